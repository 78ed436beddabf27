// The platform token. It arrives in the URL fragment (/console#token=<JWT>), which browsers
// never send to a server; it is kept for this tab only (sessionStorage) and taken out of the
// address bar at once, so it is not left in the history or in a copied address.

const KEY = "calendar-sync.token";

/** The token handed over in the fragment (kept from now on), or the one kept before. */
export function takeToken() {
  if (location.hash.startsWith("#token=")) {
    const handed = new URLSearchParams(location.hash.slice(1)).get("token");
    if (handed) sessionStorage.setItem(KEY, handed);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(KEY);
}

export function forgetToken() {
  sessionStorage.removeItem(KEY);
}

/**
 * The token's claims, read without verifying them: they only choose what the page shows.
 * The API checks the token on every call. Null when it cannot be read or has expired.
 */
export function claimsOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof claims.exp === "number" && claims.exp * 1000 < Date.now()) return null;
    if (!["admin", "system", "fieldworker"].includes(claims.role)) return null;
    if (claims.role === "fieldworker" && !claims.worker_id) return null;
    return claims;
  } catch {
    return null;
  }
}
