// The documented HTTP API (docs/api.md), called with the platform token. Nothing else.

let token = null;
let onUnauthorized = () => {};

export function setToken(value, unauthorized) {
  token = value;
  onUnauthorized = unauthorized;
}

/** A refusal in the API's shape: {"error": {"code", "message", "field"?}}. */
export class ApiError extends Error {
  constructor(status, error) {
    super(error.message || `request failed (${status})`);
    this.status = status;
    this.code = error.code || "error";
    this.field = error.field || null;
  }
}

/** `method path` with an optional query (lists comma-joined) and JSON body; the JSON answer. */
export async function api(method, path, { query, body } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value === undefined || value === null) continue;
    url.searchParams.set(name, Array.isArray(value) ? value.join(",") : value);
  }
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, { code: "network", message: "The service cannot be reached." });
  }
  const text = await response.text();
  let answer = null;
  try {
    answer = text ? JSON.parse(text) : null;
  } catch {
    answer = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, (answer && answer.error) || {});
    if (response.status === 401) onUnauthorized(error);
    throw error;
  }
  return answer;
}

export const encode = encodeURIComponent;
