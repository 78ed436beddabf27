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
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from shared.config import Config
from shared.domain.company import Company
from shared.domain.connection import ConnectionState
from shared.errors import Unprocessable
from shared.google import oauth
from shared.secrets import signing
from shared.services import grants, invitations, linking
from shared.services.invitations import InviteError, read_invite
from shared.store import records
from shared.store.firestore import Store

log = logging.getLogger(__name__)

STATE_LIFETIME = timedelta(minutes=15)


class ConsentError(Exception):
    """Ends the round trip; `reason` is what the platform shows the worker."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _client(config: Config, company: Company) -> oauth.OAuthClient:
    try:
        return oauth.client_for(config, company)
    except oauth.OAuthClientMissing:
        raise ConsentError("platform_client_not_configured") from None


def platform_return(config: Config, **params: str) -> str:
    """Where the worker lands after Google, with `google_calendar=connected|error`."""
    base = config.platform_return_url
    return f"{base}{'&' if '?' in base else '?'}{urlencode(params)}"


def _enabled_company(store: Store, company_id: str) -> Company:
    try:
        return invitations.enabled_company(store, company_id)
    except Unprocessable as exc:
        raise ConsentError(exc.code) from None  # integration_disabled


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
    company = _enabled_company(store, company_id)
    worker = records.worker(store, company_id, worker_id)
    if worker is None or not worker.active:
        raise ConsentError("unknown_worker")
    if not worker.invitation.is_current(invite.invitation_id):
        connected = worker.connection.state == ConnectionState.CONNECTED
        raise ConsentError("already_connected" if connected else "invite_used")
    client = _client(config, company)

    attempt_id = secrets.token_urlsafe(24)
    state = signing.sign(
        config, "oauth_state", {"jti": attempt_id, "company_id": company_id}, STATE_LIFETIME
    )
    url = oauth.consent_url(
        config,
        client,
        state=state,
        code_verifier=code_verifier(config, attempt_id),
        login_hint=worker.email,
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
    return platform_return(
        config, google_calendar=ConnectionState.CONNECTED.value, worker_id=worker_id
    )


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
    company = _enabled_company(store, company_id)
    client = _client(config, company)

    try:
        token = oauth.exchange_code(
            config, client, params["code"], code_verifier(config, attempt_id)
        )
    except (OAuth2Error, ValueError) as exc:
        log.warning("code exchange failed for %s/%s: %s", company_id, worker_id, type(exc).__name__)
        raise ConsentError("exchange_failed") from None

    granted = oauth.granted_scopes(token)
    try:
        identity = oauth.verify_identity(config, client, token)
    except oauth.InvalidIdToken as exc:
        raise ConsentError(exc.reason) from None
    unused = token.get("refresh_token") or token["access_token"]
    if client.kind == "private" and identity.hd != client.workspace_domain:
        grants.give_back_unused(config, store, client, identity.sub, unused)
        raise ConsentError("wrong_domain")
    if not granted >= oauth.REQUIRED_SCOPES:
        # Nothing half-connected: give the grant back (unless another company uses it).
        grants.give_back_unused(config, store, client, identity.sub, unused)
        raise ConsentError("missing_scopes")
    if not token.get("refresh_token"):
        raise ConsentError("no_refresh_token")
    try:
        # One write on the worker: uses the invitation up and links it.
        linking.link_worker(
            config,
            store,
            company_id,
            worker_id,
            identity,
            refresh_token=token["refresh_token"],
            scopes=sorted(granted),
            client=client,
            invitation_id=attempt["invitation_id"],
        )
    except linking.InvitationVoid:
        # Used by another attempt, replaced, or voided by a connect or disconnect meanwhile.
        grants.give_back_unused(config, store, client, identity.sub, unused)
        raise ConsentError("invite_used") from None
    return company_id, worker_id
