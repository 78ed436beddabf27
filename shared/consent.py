"""Google's consent round trip: `/connect` sends the worker to Google, `/getAuthKey`
brings them back.

`state` is a signed, expiring token naming a single-use attempt record, so a
replayed or forged callback connects nobody. The attempt stores no secret: the
PKCE verifier is derived from its id with our signing secret, and the record
expires (Firestore TTL on `expire_at`). The invitation the attempt started from
must still be the worker's current one when Google sends the person back, and
linking uses it up. Every way this can go wrong ends in a redirect to the
platform with a reason, never a 500.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import google.auth.transport.requests
from google.oauth2 import id_token
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from shared import google_accounts, invitations, signing
from shared.clients import google_endpoints
from shared.config import Config
from shared.google_accounts import OAuthClient, OAuthClientMissing, oauth_client
from shared.invitations import InviteError, is_current, read_invite
from shared.settings import redirect_uri
from shared.store import Store

log = logging.getLogger(__name__)

STATE_LIFETIME = timedelta(minutes=15)

# We check granted scopes ourselves (a user may untick some), so oauthlib must not
# reject a token whose scope differs from the request.
os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")


class ConsentError(Exception):
    """Ends the round trip; `reason` is what the platform shows the worker."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _client(config: Config, company_id: str, company: dict) -> OAuthClient:
    try:
        return oauth_client(config, company_id, company)
    except OAuthClientMissing:
        raise ConsentError("platform_client_not_configured") from None


def _flow(config: Config, client: OAuthClient, **kwargs) -> Flow:
    if config.local:
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"  # the stand-in speaks plain http
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
        scopes=google_accounts.CONSENT_SCOPES,
        redirect_uri=redirect_uri(config),
        **kwargs,
    )


def platform_return(config: Config, **params: str) -> str:
    """Where the worker lands after Google, with `google_calendar=connected|error`."""
    base = config.platform_return_url
    return f"{base}{'&' if '?' in base else '?'}{urlencode(params)}"


def _company(store: Store, company_id: str) -> dict:
    snapshot = store.company(company_id).get()
    company = snapshot.to_dict() if snapshot.exists else {}
    if not company.get("enabled"):
        raise ConsentError("integration_disabled")
    return company


def code_verifier(config: Config, attempt_id: str) -> str:
    """The attempt's PKCE verifier (43 characters): derived, so it is never stored."""
    digest = hmac.new(
        config.signing_secret.encode(), f"pkce\n{attempt_id}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


# -- /connect ------------------------------------------------------------------


def start(config: Config, store: Store, invite: str) -> str:
    """The URL of Google's consent screen for the invited worker (or an error return)."""
    try:
        return _start(config, store, invite)
    except (InviteError, ConsentError) as exc:
        return platform_return(config, google_calendar="error", reason=exc.reason)
    except Exception:
        # e.g. the company's stored client secret no longer opens: a page, not a 500.
        log.exception("consent start failed")
        return platform_return(config, google_calendar="error", reason="server_error")


def _start(config: Config, store: Store, invite_token: str) -> str:
    invite = read_invite(config, invite_token)
    company_id, worker_id = invite.company_id, invite.worker_id
    company = _company(store, company_id)
    worker_snapshot = store.worker(company_id, worker_id).get()
    if not worker_snapshot.exists or not worker_snapshot.to_dict().get("active", True):
        raise ConsentError("unknown_worker")
    worker = worker_snapshot.to_dict()
    if not is_current(worker, invite.invitation_id):
        connected = (worker.get("connection") or {}).get("state") == "connected"
        raise ConsentError("already_connected" if connected else "invite_used")
    client = _client(config, company_id, company)

    attempt_id = secrets.token_urlsafe(24)
    state = signing.sign(
        config, "oauth_state", {"jti": attempt_id, "company_id": company_id}, STATE_LIFETIME
    )
    flow = _flow(config, client, code_verifier=code_verifier(config, attempt_id))
    extra = {"hd": client.workspace_domain} if client.workspace_domain else {}
    url, _ = flow.authorization_url(
        access_type="offline",
        prompt="consent",
        include_granted_scopes="true",
        login_hint=worker["email"],
        state=state,
        **extra,
    )
    now = datetime.now(UTC)
    store.oauth_states(company_id).document(attempt_id).set(
        {
            "worker_id": worker_id,
            "invitation_id": invite.invitation_id,
            "client_kind": client.kind,
            "created_at": now,
            "expire_at": now + STATE_LIFETIME,  # Firestore's TTL policy deletes it after
            "used_at": None,
        }
    )
    return url


# -- /getAuthKey ----------------------------------------------------------------


def finish(config: Config, store: Store, params: dict[str, str]) -> str:
    """Complete the consent and return where to send the worker."""
    try:
        company_id, worker_id = _finish(config, store, params)
    except ConsentError as exc:
        return platform_return(config, google_calendar="error", reason=exc.reason)
    except Exception:
        # A person is waiting in a browser: they get a page that says to retry, not a 500.
        log.exception("consent callback failed")
        return platform_return(config, google_calendar="error", reason="server_error")
    return platform_return(config, google_calendar="connected", worker_id=worker_id)


def _consume_state(config: Config, store: Store, state: str) -> tuple[str, str, dict]:
    try:
        claims = signing.verify(config, "oauth_state", state)
    except signing.Expired:
        raise ConsentError("expired_state") from None
    except signing.Invalid:
        raise ConsentError("invalid_state") from None
    company_id = claims["company_id"]
    ref = store.oauth_states(company_id).document(claims["jti"])

    def consume(attempt: dict | None) -> dict:
        if attempt is None or attempt.get("used_at") or not attempt.get("invitation_id"):
            raise ConsentError("invalid_state")  # replayed, or never issued
        return {"used_at": datetime.now(UTC)}

    # Two callbacks racing with one state: only one write lands, the other re-reads "used".
    return company_id, claims["jti"], store.modify(ref, consume)


def _finish(config: Config, store: Store, params: dict[str, str]) -> tuple[str, str]:
    if not params.get("state"):
        raise ConsentError("invalid_state")
    company_id, attempt_id, attempt = _consume_state(config, store, params["state"])
    worker_id = attempt["worker_id"]
    if params.get("error"):
        raise ConsentError("access_denied" if params["error"] == "access_denied" else "error")
    if not params.get("code"):
        raise ConsentError("invalid_request")
    company = _company(store, company_id)
    client = _client(config, company_id, company)

    flow = _flow(config, client, code_verifier=code_verifier(config, attempt_id))
    try:
        token = flow.fetch_token(code=params["code"])
    except (OAuth2Error, ValueError) as exc:
        log.warning("code exchange failed for %s/%s: %s", company_id, worker_id, type(exc).__name__)
        raise ConsentError("exchange_failed") from None

    scope = token.get("scope") or []  # oauthlib may hand back a list or the raw string
    granted = set(scope.split() if isinstance(scope, str) else scope)
    identity = _identity(config, client, token)
    unused = token.get("refresh_token") or token["access_token"]
    if client.kind == "private" and identity.hd != client.workspace_domain:
        google_accounts.give_back_unused(config, store, client, identity.sub, unused)
        raise ConsentError("wrong_domain")
    if not granted >= google_accounts.REQUIRED_SCOPES:
        # Nothing half-connected: give the grant back (unless another company uses it).
        google_accounts.give_back_unused(config, store, client, identity.sub, unused)
        raise ConsentError("missing_scopes")
    if not token.get("refresh_token"):
        raise ConsentError("no_refresh_token")
    try:
        invitations.use_up(store, company_id, worker_id, attempt["invitation_id"])
    except invitations.InvitationVoid:
        # Used by another attempt, replaced, or voided by a connect or disconnect meanwhile.
        google_accounts.give_back_unused(config, store, client, identity.sub, unused)
        raise ConsentError("invite_used") from None
    google_accounts.link_worker(
        config,
        store,
        company_id,
        worker_id,
        identity,
        refresh_token=token["refresh_token"],
        scopes=sorted(granted),
        client=client,
    )
    return company_id, worker_id


def _identity(config: Config, client: OAuthClient, token: dict) -> google_accounts.Identity:
    raw = token.get("id_token")
    if not raw:
        raise ConsentError("missing_id_token")
    try:
        claims = id_token.verify_token(
            raw,
            google.auth.transport.requests.Request(),
            audience=client.client_id,
            certs_url=google_endpoints(config).certs,
        )
    except ValueError:
        raise ConsentError("invalid_id_token") from None
    if claims.get("iss") not in ("accounts.google.com", "https://accounts.google.com"):
        raise ConsentError("invalid_id_token")
    if not claims.get("email") or not claims.get("email_verified", False):
        raise ConsentError("unverified_email")
    return google_accounts.Identity(sub=claims["sub"], email=claims["email"], hd=claims.get("hd"))
