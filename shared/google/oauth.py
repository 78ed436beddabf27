"""Google OAuth: the scopes we ask for, which client asks, the consent round trip's Google
calls (consent URL, code exchange, id token), and giving a grant back.

Refresh tokens are bound to the client that issued them, so the client is chosen from
the company's provider now, or from the `kind` recorded with a grant.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from urllib.parse import quote

import google.auth.transport.requests
import requests
from cachecontrol import CacheControl
from google.oauth2 import id_token
from google_auth_oauthlib.flow import Flow

from shared.config import Config
from shared.domain.company import Company
from shared.google.clients import google_endpoints
from shared.secrets import locations
from shared.secrets.crypto import secret_box

log = logging.getLogger(__name__)

CALENDAR_LIST = "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
APP_CALENDARS = "https://www.googleapis.com/auth/calendar.app.created"
READ_EVENTS = "https://www.googleapis.com/auth/calendar.events.readonly"
REQUIRED_SCOPES = frozenset({CALENDAR_LIST, APP_CALENDARS, READ_EVENTS})
EMAIL = "https://www.googleapis.com/auth/userinfo.email"
CONSENT_SCOPES = ["openid", EMAIL, *sorted(REQUIRED_SCOPES)]
# What a service account acting for a Workspace user (domain-wide delegation) asks for.
DELEGATED_SCOPES = [EMAIL, *sorted(REQUIRED_SCOPES)]


@dataclass(frozen=True)
class Identity:
    """Who the Google account is, from a verified id token or userinfo."""

    sub: str
    email: str
    hd: str | None = None


@dataclass(frozen=True)
class OAuthClient:
    kind: str  # "platform" or "private"
    client_id: str
    client_secret: str
    workspace_domain: str | None = None


class OAuthClientMissing(Exception):
    """The platform's own OAuth client is not configured in this deployment."""


class InvalidIdToken(Exception):
    """Google's id token did not verify, or names no verified email; `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def client_for(config: Config, company: Company, kind: str | None = None) -> OAuthClient:
    """The company's private client, or the platform's: the provider chosen now, or `kind`
    (the one that issued an account's grant; refresh tokens are bound to their client)."""
    if (kind or company.provider) == "private":
        secret = secret_box(config).open(
            company.client_secret or {}, locations.client_secret(company.id)
        )
        return OAuthClient(
            "private", company.client_id or "", secret, company.workspace_domain or None
        )
    if not config.platform_client_id or not config.platform_client_secret:
        raise OAuthClientMissing("PLATFORM_CLIENT_ID / PLATFORM_CLIENT_SECRET are not set")
    return OAuthClient("platform", config.platform_client_id, config.platform_client_secret)


def redirect_uri(config: Config) -> str:
    """Google's consent screen returns here; private clients must register it."""
    return config.public_base_url.rstrip("/") + "/getAuthKey"


# -- the consent round trip -----------------------------------------------------------


def _flow(config: Config, client: OAuthClient, code_verifier: str) -> Flow:
    endpoints = google_endpoints(config)
    client_config = {
        "web": {
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "auth_uri": endpoints.auth,
            "token_uri": endpoints.token,
            "redirect_uris": [redirect_uri(config)],
        }
    }
    return Flow.from_client_config(
        client_config,
        scopes=CONSENT_SCOPES,
        redirect_uri=redirect_uri(config),
        code_verifier=code_verifier,
    )


def consent_url(
    config: Config, client: OAuthClient, *, state: str, code_verifier: str, login_hint: str
) -> str:
    """Google's consent screen asking for offline access to our scopes (PKCE, `state`)."""
    extra = {"hd": client.workspace_domain} if client.workspace_domain else {}
    url, _ = _flow(config, client, code_verifier).authorization_url(
        access_type="offline",
        prompt="consent",
        include_granted_scopes="true",
        login_hint=login_hint,
        state=state,
        **extra,
    )
    return url


def exchange_code(config: Config, client: OAuthClient, code: str, code_verifier: str) -> dict:
    """Google's token answer for the consent's code. A person may untick scopes, so the
    granted scope may differ from what we asked; the caller checks it."""
    flow = _flow(config, client, code_verifier)
    try:
        return dict(flow.fetch_token(code=code))
    except Warning as changed:
        # oauthlib signals "scope has changed" by raising its token with a Warning (unless
        # an environment switch relaxes that for the whole process, which we do not want).
        return dict(changed.token)  # type: ignore[attr-defined]


def granted_scopes(token: dict) -> set[str]:
    scope = token.get("scope") or []  # oauthlib may hand back a list or the raw string
    return set(scope.split() if isinstance(scope, str) else scope)


@functools.cache
def _certs_request() -> google.auth.transport.requests.Request:
    # Google's signing keys may be cached as its Cache-Control says (hours): one fetch, not
    # one per consent. The cache honours the headers, so a rotation is picked up in time.
    return google.auth.transport.requests.Request(session=CacheControl(requests.Session()))


def verify_identity(config: Config, client: OAuthClient, token: dict) -> Identity:
    """The Google account the token is for, from its id token (signature, audience, issuer)."""
    raw = token.get("id_token")
    if not raw:
        raise InvalidIdToken("missing_id_token")
    certs_url = google_endpoints(config).certs
    try:
        try:
            claims = id_token.verify_token(
                raw, _certs_request(), audience=client.client_id, certs_url=certs_url
            )
        except ValueError:
            # Perhaps signed with a key newer than the cached ones: ask Google once more.
            _certs_request.cache_clear()
            claims = id_token.verify_token(
                raw, _certs_request(), audience=client.client_id, certs_url=certs_url
            )
    except ValueError:
        raise InvalidIdToken("invalid_id_token") from None
    if claims.get("iss") not in ("accounts.google.com", "https://accounts.google.com"):
        raise InvalidIdToken("invalid_id_token")
    if not claims.get("email") or not claims.get("email_verified", False):
        raise InvalidIdToken("unverified_email")
    return Identity(sub=claims["sub"], email=claims["email"], hd=claims.get("hd"))


def userinfo(config: Config, access_token: str) -> Identity:
    """Who an access token acts for (used with delegated credentials)."""
    response = requests.get(
        google_endpoints(config).userinfo,
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=15,
    )
    response.raise_for_status()
    info = response.json()
    return Identity(sub=info["sub"], email=info["email"], hd=info.get("hd"))


def revoke(config: Config, token: str) -> None:
    """Give a grant back to Google. Best effort: a dead token is already what we want."""
    try:
        response = requests.post(
            google_endpoints(config).revoke,
            data={"token": token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=15,
        )
        if response.status_code not in (200, 400):
            log.warning("token revocation answered %s", response.status_code)
    except requests.RequestException as exc:
        log.warning("token revocation failed: %s", type(exc).__name__)


# -- service-account keys (domain-wide delegation) --------------------------------------


def service_account_key_addresses(config: Config, client_email: str) -> dict[str, set[str]]:
    """The addresses a key file may name: Google's documented ones, or the stand-in's locally.
    The delegation flow posts a signed assertion to `token_uri`, so any other address would
    let an admin make us call anywhere (SSRF)."""
    endpoints = google_endpoints(config)
    base = config.google_api_base.rstrip("/") if config.google_api_base else None
    accounts = base or "https://accounts.google.com"
    certs = (base or "https://www.googleapis.com") + "/robot/v1/metadata/x509/"
    return {
        "token_uri": {endpoints.token},
        "auth_uri": {accounts + "/o/oauth2/auth"},
        "auth_provider_x509_cert_url": {endpoints.certs},
        # Google writes the address percent-encoded; the stand-in does not.
        "client_x509_cert_url": {certs + quote(client_email, safe=""), certs + client_email},
        "universe_domain": {"googleapis.com"},
    }
