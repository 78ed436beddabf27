"""Google accounts of the stand-in, the OAuth clients acting for them, and their tokens.

This is the seam between the OAuth side (which issues tokens) and the Calendar API side
(which checks them with `resolve_access_token`). It keeps Google's token rules in one place:
single-use codes with PKCE, refresh tokens that die on revocation or beyond the per
client-and-account limit, consent remembered per client, and service accounts with
domain-wide delegation. Thread-safe: every method takes the lock.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from emulators.google.oauth_keys import SigningKey

USERINFO_EMAIL = "https://www.googleapis.com/auth/userinfo.email"
USERINFO_PROFILE = "https://www.googleapis.com/auth/userinfo.profile"
# Google grants these whenever they are requested; the user cannot untick them.
BASIC_SCOPES = frozenset({"openid", "email", "profile", USERINFO_EMAIL, USERINFO_PROFILE})
EMAIL_SCOPES = frozenset({"email", USERINFO_EMAIL})
CONSUMER_DOMAINS = frozenset({"gmail.com", "googlemail.com"})

ACCESS_TOKEN_TTL = 3599  # what Google's token endpoint answers in expires_in
CODE_TTL = 600
REFRESH_TOKEN_LIMIT = 100  # live refresh tokens per client and account; older ones die silently


class OAuthError(Exception):
    """An OAuth failure as Google's token endpoint reports it: `error`, description, status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class Grant:
    """What an access token may do: act for `email` within `scopes`, until `expires_at`."""

    email: str
    scopes: frozenset[str]
    client_id: str
    expires_at: float


@dataclass
class Account:
    email: str
    sub: str
    hd: str | None = None  # Workspace domain, None for consumer accounts
    created_at: float = field(default_factory=time.time)


@dataclass
class Client:
    """An OAuth client as its owner registered it in the Cloud Console: its secret and the
    redirect URIs Google may send the person back to (no others, ever)."""

    client_id: str
    secret: str
    redirect_uris: frozenset[str] = frozenset()
    # False while the secret is one the stand-in made up because none was given.
    secret_given: bool = True


def new_client_secret() -> str:
    """A secret the way the Cloud Console makes one for a new client."""
    return "GOCSPX-" + secrets.token_urlsafe(21)


@dataclass(frozen=True)
class AuthorizationCode:
    email: str
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    with_refresh_token: bool
    code_challenge: str | None
    code_challenge_method: str
    nonce: str | None
    expires_at: float


@dataclass(frozen=True)
class RefreshToken:
    email: str
    client_id: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class ServiceAccount:
    """A service account whose client id a Workspace admin allowed to act for `domain`."""

    email: str
    client_id: str
    project_id: str
    domain: str
    delegated_scopes: frozenset[str]
    key: SigningKey

    def check_delegation(self, subject: str, scopes: frozenset[str]) -> None:
        """Google refuses impersonation outside the domain or beyond the allowed scopes."""
        if domain_of(subject) != self.domain or not scopes <= self.delegated_scopes:
            raise OAuthError(
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, "
                "or client not authorized for any of the scopes requested.",
                status=401,
            )


def domain_of(email: str) -> str:
    return email.strip().lower().rsplit("@", 1)[-1]


def pkce_matches(verifier: str, challenge: str, method: str) -> bool:
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        verifier = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return hmac.compare_digest(verifier, challenge)


class Accounts:
    """Registry of accounts (created on first use), OAuth clients, consents and tokens."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock  # tests swap it to age codes and tokens without sleeping
        self._lock = threading.RLock()
        self._accounts: dict[str, Account] = {}
        self._access_tokens: dict[str, Grant] = {}
        self._on_new: list[Callable[[Account], None]] = []
        self._clients: dict[str, Client] = {}
        self._consents: dict[tuple[str, str], frozenset[str]] = {}  # (client_id, email)
        self._codes: dict[str, AuthorizationCode] = {}
        self._refresh_tokens: dict[str, RefreshToken] = {}  # insertion order = age
        self._service_accounts: dict[str, ServiceAccount] = {}
        self._signing_key: SigningKey | None = None

    # -- accounts ------------------------------------------------------------
    def on_new_account(self, callback: Callable[[Account], None]) -> None:
        """Call `callback(account)` on each new account (e.g. to add its primary calendar)."""
        with self._lock:
            self._on_new.append(callback)

    def ensure(self, email: str) -> Account:
        email = email.strip().lower()
        with self._lock:
            account = self._accounts.get(email)
            if account is None:
                domain = domain_of(email)
                workspace = domain not in CONSUMER_DOMAINS and not domain.endswith(
                    ".gserviceaccount.com"
                )
                account = Account(
                    email=email,
                    sub=str(10**20 + len(self._accounts) + 1),
                    hd=domain if workspace else None,
                )
                self._accounts[email] = account
                for callback in self._on_new:
                    callback(account)
            return account

    def get(self, email: str) -> Account | None:
        with self._lock:
            return self._accounts.get(email.strip().lower())

    # -- access tokens -------------------------------------------------------
    def issue_access_token(
        self,
        email: str,
        scopes: set[str] | frozenset[str],
        client_id: str,
        ttl: float = ACCESS_TOKEN_TTL,
    ) -> str:
        account = self.ensure(email)
        token = "ya29.local-" + secrets.token_urlsafe(32)
        with self._lock:
            self._access_tokens[token] = Grant(
                email=account.email,
                scopes=frozenset(scopes),
                client_id=client_id,
                expires_at=self.clock() + ttl,
            )
        return token

    def resolve_access_token(self, token: str) -> Grant | None:
        """The grant behind a bearer token, or None if unknown, expired or revoked."""
        with self._lock:
            grant = self._access_tokens.get(token)
            if grant is None or grant.expires_at <= self.clock():
                return None
            return grant

    def revoke_access_token(self, token: str) -> bool:
        with self._lock:
            return self._access_tokens.pop(token, None) is not None

    def expire_access_tokens(self, email: str) -> int:
        """Make the account's access tokens expired now, so clients must refresh."""
        email = email.strip().lower()
        with self._lock:
            now = self.clock()
            expired = 0
            for token, grant in self._access_tokens.items():
                if grant.email == email and grant.expires_at > now:
                    self._access_tokens[token] = dataclasses.replace(grant, expires_at=now)
                    expired += 1
            return expired

    # -- clients and consent -------------------------------------------------
    def register_client(
        self,
        client_id: str,
        client_secret: str | None = None,
        redirect_uris: Iterable[str] = (),
        *,
        keep_secret: bool = False,
    ) -> Client:
        """Create or update a client as its owner would in the Cloud Console.

        A new client gets `client_secret`, or without one a fresh secret nobody was told (the
        console makes one for every client). A known client takes `client_secret` if given;
        with `keep_secret`, only if its secret was made up that way (one given is kept).
        `redirect_uris` are added to those already registered. The stand-in never registers a
        client by itself: unknown clients are refused, as at Google.
        """
        with self._lock:
            client = self._clients.get(client_id)
            if client is None:
                client = Client(client_id, new_client_secret(), secret_given=False)
                self._clients[client_id] = client
            if client_secret and not (keep_secret and client.secret_given):
                client.secret, client.secret_given = client_secret, True
            client.redirect_uris = client.redirect_uris | frozenset(redirect_uris)
            return client

    def client(self, client_id: str) -> Client | None:
        """The registered client, or None (Google answers `invalid_client`)."""
        with self._lock:
            return self._clients.get(client_id)

    def authenticate_client(self, client_id: str, client_secret: str) -> Client:
        """Check a client's credentials at the token endpoint, as Google does."""
        with self._lock:
            client = self._clients.get(client_id)
            if client is None:
                raise OAuthError("invalid_client", "The OAuth client was not found.", status=401)
            if not client_secret:
                raise OAuthError("invalid_request", "client_secret is missing.")
            if not hmac.compare_digest(client.secret.encode(), client_secret.encode()):
                raise OAuthError("invalid_client", "Unauthorized", status=401)
            return client

    def granted_scopes(self, email: str, client_id: str) -> frozenset[str]:
        """Scopes the account has granted the client so far (forgotten on revocation)."""
        with self._lock:
            return self._consents.get((client_id, email.strip().lower()), frozenset())

    # -- authorization codes -------------------------------------------------
    def authorize(
        self,
        *,
        email: str,
        client_id: str,
        redirect_uri: str,
        scopes: frozenset[str],
        include_granted_scopes: bool,
        offline: bool,
        consent_prompted: bool,
        code_challenge: str | None,
        code_challenge_method: str,
        nonce: str | None,
    ) -> tuple[str, frozenset[str]]:
        """Record the account's consent and issue a code for it; returns (code, scopes).

        Like Google, a refresh token comes with the code only for offline access and when
        the consent screen was really shown (`prompt=consent` or new scopes) or the client
        holds no live refresh token for the account.
        """
        account = self.ensure(email)
        key = (client_id, account.email)
        with self._lock:
            previous = self._consents.get(key, frozenset())
            granted = scopes | previous if include_granted_scopes else scopes
            self._consents[key] = previous | scopes
            with_refresh_token = offline and (
                consent_prompted
                or not scopes <= previous
                or not any(
                    rt.client_id == client_id and rt.email == account.email
                    for rt in self._refresh_tokens.values()
                )
            )
            now = self.clock()
            self._codes = {c: v for c, v in self._codes.items() if v.expires_at > now}
            code = "4/0Alocal-" + secrets.token_urlsafe(32)
            self._codes[code] = AuthorizationCode(
                email=account.email,
                client_id=client_id,
                redirect_uri=redirect_uri,
                scopes=granted,
                with_refresh_token=with_refresh_token,
                code_challenge=code_challenge,
                code_challenge_method=code_challenge_method,
                nonce=nonce,
                expires_at=now + CODE_TTL,
            )
            return code, granted

    def redeem_authorization_code(
        self, code: str, client_id: str, redirect_uri: str | None, code_verifier: str | None
    ) -> AuthorizationCode:
        """Use up a code; any failure is `invalid_grant` except a wrong redirect URI."""
        with self._lock:
            issued = self._codes.get(code)
            if issued is None or issued.expires_at <= self.clock():
                raise OAuthError("invalid_grant", "Malformed auth code.")
            if issued.client_id != client_id:
                raise OAuthError("invalid_grant", "Unauthorized")
            if redirect_uri != issued.redirect_uri:
                raise OAuthError("redirect_uri_mismatch", "Bad Request")
            if issued.code_challenge is not None:
                if not code_verifier:
                    raise OAuthError("invalid_grant", "Missing code verifier.")
                if not pkce_matches(
                    code_verifier, issued.code_challenge, issued.code_challenge_method
                ):
                    raise OAuthError("invalid_grant", "Invalid code verifier.")
            del self._codes[code]
            return issued

    # -- refresh tokens and revocation ---------------------------------------
    def issue_refresh_token(self, email: str, scopes: frozenset[str], client_id: str) -> str:
        account = self.ensure(email)
        token = "1//0local-" + secrets.token_urlsafe(48)
        with self._lock:
            live = [
                t
                for t, rt in self._refresh_tokens.items()
                if rt.client_id == client_id and rt.email == account.email
            ]
            for oldest in live[: max(0, len(live) - REFRESH_TOKEN_LIMIT + 1)]:
                del self._refresh_tokens[oldest]
            self._refresh_tokens[token] = RefreshToken(account.email, client_id, frozenset(scopes))
        return token

    def refresh_access_token(
        self, refresh_token: str, client_id: str, scopes: frozenset[str] | None = None
    ) -> tuple[str, RefreshToken, frozenset[str]]:
        """A new access token for a live refresh token; `scopes` may only narrow the grant."""
        with self._lock:
            issued = self._refresh_tokens.get(refresh_token)
            if issued is None:
                raise OAuthError("invalid_grant", "Token has been expired or revoked.")
            if issued.client_id != client_id:
                raise OAuthError("unauthorized_client", "Unauthorized", status=401)
            granted = scopes or issued.scopes
            if not granted <= issued.scopes:
                raise OAuthError("invalid_scope", "Bad Request")
            return self.issue_access_token(issued.email, granted, client_id), issued, granted

    def revoke(self, token: str) -> bool:
        """Revoke an access or refresh token as `/revoke` does: the client's whole grant dies.

        Google revokes the account's consent for that client, so every refresh and access
        token of the same client and account stops working, not only the one presented.
        """
        with self._lock:
            issued = self._refresh_tokens.get(token) or self._access_tokens.get(token)
            if issued is None:
                return False
            self._forget(
                lambda email, client_id: (email, client_id) == (issued.email, issued.client_id)
            )
            return True

    def revoke_account_tokens(self, email: str) -> int:
        """Revoke every token and consent of the account, as when its owner removes app access."""
        email = email.strip().lower()
        with self._lock:
            return self._forget(lambda owner, _client_id: owner == email)

    def _forget(self, matches: Callable[[str, str], bool]) -> int:
        doomed_refresh = [
            t for t, rt in self._refresh_tokens.items() if matches(rt.email, rt.client_id)
        ]
        doomed_access = [t for t, g in self._access_tokens.items() if matches(g.email, g.client_id)]
        for token in doomed_refresh:
            del self._refresh_tokens[token]
        for token in doomed_access:
            del self._access_tokens[token]
        for client_id, email in [k for k in self._consents if matches(k[1], k[0])]:
            del self._consents[(client_id, email)]
        return len(doomed_refresh) + len(doomed_access)

    # -- service accounts ----------------------------------------------------
    def create_service_account(
        self, domain: str, delegated_scopes: Iterable[str], email: str | None = None
    ) -> ServiceAccount:
        """A service account with a fresh key, delegated `domain`-wide for `delegated_scopes`."""
        key = SigningKey.generate(email or "service account")
        with self._lock:
            number = len(self._service_accounts) + 1
            email = (
                email or f"calendar-sync-{number}@local-project.iam.gserviceaccount.com"
            ).lower()
            project_id = domain_of(email).split(".iam.gserviceaccount.com")[0]
            service_account = ServiceAccount(
                email=email,
                client_id=str(10**20 + 5 * 10**19 + number),
                project_id=project_id,
                domain=domain.strip().lower(),
                delegated_scopes=frozenset(delegated_scopes),
                key=key,
            )
            self._service_accounts[email] = service_account
            return service_account

    def service_account(self, email: str) -> ServiceAccount | None:
        with self._lock:
            return self._service_accounts.get(email.strip().lower())

    # -- keeping state across restarts ---------------------------------------
    def export_state(self) -> dict:
        """Accounts, clients, consents and live codes and tokens, as JSON-ready data."""
        with self._lock:
            now = self.clock()
            return {
                "accounts": [dataclasses.asdict(a) for a in self._accounts.values()],
                "clients": [
                    {
                        "client_id": c.client_id,
                        "secret": c.secret,
                        "secret_given": c.secret_given,
                        "redirect_uris": sorted(c.redirect_uris),
                    }
                    for c in self._clients.values()
                ],
                "consents": [
                    {"client_id": client_id, "email": email, "scopes": sorted(scopes)}
                    for (client_id, email), scopes in self._consents.items()
                ],
                "codes": {
                    code: {**dataclasses.asdict(issued), "scopes": sorted(issued.scopes)}
                    for code, issued in self._codes.items()
                    if issued.expires_at > now
                },
                "access_tokens": {
                    token: {**dataclasses.asdict(grant), "scopes": sorted(grant.scopes)}
                    for token, grant in self._access_tokens.items()
                    if grant.expires_at > now
                },
                # A list: the order is the tokens' age, which the per-client limit relies on.
                "refresh_tokens": [
                    {"token": token, **dataclasses.asdict(rt), "scopes": sorted(rt.scopes)}
                    for token, rt in self._refresh_tokens.items()
                ],
                "service_accounts": [
                    {
                        "email": sa.email,
                        "client_id": sa.client_id,
                        "project_id": sa.project_id,
                        "domain": sa.domain,
                        "delegated_scopes": sorted(sa.delegated_scopes),
                        "key": sa.key.export_state(),
                    }
                    for sa in self._service_accounts.values()
                ],
                "signing_key": self._signing_key.export_state() if self._signing_key else None,
            }

    def import_state(self, state: dict) -> None:
        """Replace everything with `export_state`'s data (new-account callbacks do not run)."""
        accounts = {a["email"]: Account(**a) for a in state["accounts"]}
        clients = {
            # A client kept without a secret (by an older stand-in) gets one nobody knows.
            c["client_id"]: Client(
                c["client_id"],
                c["secret"] or new_client_secret(),
                frozenset(c["redirect_uris"]),
                secret_given=bool(c["secret"]) and c.get("secret_given", True),
            )
            for c in state["clients"]
        }
        consents = {(c["client_id"], c["email"]): frozenset(c["scopes"]) for c in state["consents"]}
        codes = {
            code: AuthorizationCode(**{**fields, "scopes": frozenset(fields["scopes"])})
            for code, fields in state["codes"].items()
        }
        access_tokens = {
            token: Grant(**{**fields, "scopes": frozenset(fields["scopes"])})
            for token, fields in state["access_tokens"].items()
        }
        refresh_tokens = {
            rt["token"]: RefreshToken(rt["email"], rt["client_id"], frozenset(rt["scopes"]))
            for rt in state["refresh_tokens"]
        }
        service_accounts = {
            sa["email"]: ServiceAccount(
                email=sa["email"],
                client_id=sa["client_id"],
                project_id=sa["project_id"],
                domain=sa["domain"],
                delegated_scopes=frozenset(sa["delegated_scopes"]),
                key=SigningKey.from_state(sa["key"]),
            )
            for sa in state["service_accounts"]
        }
        signing_key = state["signing_key"] and SigningKey.from_state(state["signing_key"])
        with self._lock:
            self._accounts = accounts
            self._clients = clients
            self._consents = consents
            self._codes = codes
            self._access_tokens = access_tokens
            self._refresh_tokens = refresh_tokens
            self._service_accounts = service_accounts
            self._signing_key = signing_key or None

    # -- id_token signing ----------------------------------------------------
    @property
    def signing_key(self) -> SigningKey:
        """The key signing id_tokens, made on first use (keeps non-OAuth tests fast)."""
        with self._lock:
            if self._signing_key is None:
                self._signing_key = SigningKey.generate("accounts.google.com")
            return self._signing_key
