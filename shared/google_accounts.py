"""Google accounts linked to workers: who they are, their credentials, and their health.

One account document per Google account (`sub`) per company holds the sealed
refresh token, the company calendar and the calendar selection; several
workers may share it (a team inbox), one worker has at most one. Access tokens
are cached sealed on the account and refreshed by one caller at a time.
When Google answers `invalid_grant`, every worker on the account needs to
reconnect, the admin is told once, and pending work waits for the reconnect.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import google.auth.transport.requests
import requests
from google.auth.exceptions import RefreshError
from google.cloud import firestore
from google.oauth2 import credentials as oauth2_credentials
from google.oauth2 import service_account

from shared import tasks
from shared.clients import google_endpoints
from shared.config import Config
from shared.crypto import secret_box
from shared.store import Store

log = logging.getLogger(__name__)

CALENDAR_LIST = "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
APP_CALENDARS = "https://www.googleapis.com/auth/calendar.app.created"
READ_EVENTS = "https://www.googleapis.com/auth/calendar.events.readonly"
REQUIRED_SCOPES = frozenset({CALENDAR_LIST, APP_CALENDARS, READ_EVENTS})
EMAIL = "https://www.googleapis.com/auth/userinfo.email"
CONSENT_SCOPES = ["openid", EMAIL, *sorted(REQUIRED_SCOPES)]

_REFRESH_LEASE = timedelta(seconds=30)
_EXPIRY_MARGIN = timedelta(seconds=60)


class NeedsReauthorization(Exception):
    """Google refused the account's grant; the worker must reconnect."""


@dataclass(frozen=True)
class Identity:
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
    pass


def oauth_client(
    config: Config, company_id: str, company: dict, kind: str | None = None
) -> OAuthClient:
    """The company's private client, or the platform's: the provider chosen now, or `kind`
    (the one that issued an account's grant; refresh tokens are bound to their client)."""
    if (kind or company.get("provider")) == "private":
        secret = secret_box(config).open(
            company["client_secret"], f"companies/{company_id}/client_secret"
        )
        return OAuthClient("private", company["client_id"], secret, company["workspace_domain"])
    if not config.platform_client_id or not config.platform_client_secret:
        raise OAuthClientMissing("PLATFORM_CLIENT_ID / PLATFORM_CLIENT_SECRET are not set")
    return OAuthClient("platform", config.platform_client_id, config.platform_client_secret)


def _refresh_token_context(company_id: str, sub: str) -> str:
    return f"companies/{company_id}/accounts/{sub}/refresh_token"


def _access_token_context(company_id: str, sub: str) -> str:
    return f"companies/{company_id}/accounts/{sub}/access_token"


def _new_connection(identity: Identity, scopes: list[str], now: datetime) -> dict:
    return {
        "state": "connected",
        "google_sub": identity.sub,
        "google_email": identity.email,
        "scopes": scopes,
        "connected_at": now,
        "last_synced_at": None,
        "company_calendar_id": None,
        "error": None,
        "first_sync": {"done": False, "pushed": 0, "imported": 0},
    }


# -- linking ---------------------------------------------------------------------


def link_worker(
    config: Config,
    store: Store,
    company_id: str,
    worker_id: str,
    identity: Identity,
    *,
    scopes: list[str],
    client_kind: str,
    refresh_token: str | None = None,
) -> None:
    """Connect the worker to the account (moving it off any other), then ask for a sync."""
    now = datetime.now(UTC)
    account_ref = store.accounts(company_id).document(identity.sub)
    worker_ref = store.worker(company_id, worker_id)
    sealed = (
        secret_box(config).seal(refresh_token, _refresh_token_context(company_id, identity.sub))
        if refresh_token
        else None
    )

    def link(transaction: firestore.Transaction) -> str | None:
        # Firestore transactions read everything first, then write.
        worker = worker_ref.get(transaction=transaction).to_dict() or {}
        account_snapshot = account_ref.get(transaction=transaction)
        account = account_snapshot.to_dict() if account_snapshot.exists else {}
        old_sub = (worker.get("connection") or {}).get("google_sub")
        old_ref = None
        old_account = None
        if old_sub and old_sub != identity.sub:
            old_ref = store.accounts(company_id).document(old_sub)
            old_account = old_ref.get(transaction=transaction).to_dict()
        waiting = []  # workers on this account waiting for its reauthorization
        for other_id in account.get("worker_ids", []):
            if other_id != worker_id:
                other_ref = store.worker(company_id, other_id)
                other = other_ref.get(transaction=transaction).to_dict() or {}
                if (other.get("connection") or {}).get("state") == "needs_reauth":
                    waiting.append(other_ref)

        account.update(
            {
                "email": identity.email,
                "hd": identity.hd,
                "scopes": scopes,
                "auth": "oauth" if refresh_token else "delegated",
                "client_kind": client_kind,
                "state": "connected",
                "error": None,
                "reauth_alert_queued_at": None,
                "worker_ids": sorted({*account.get("worker_ids", []), worker_id}),
                "updated_at": now,
            }
        )
        if sealed:
            account["refresh_token"] = sealed
            account["access_token"] = None  # minted for the previous grant
        transaction.set(account_ref, account)
        connection = _new_connection(identity, scopes, now)
        connection["company_calendar_id"] = account.get("company_calendar_id")
        transaction.update(worker_ref, {"connection": connection, "sync_pending_since": now})
        for other_ref in waiting:
            transaction.update(
                other_ref, {"connection.state": "connected", "connection.error": None}
            )
        if old_account is None or old_ref is None:
            return None
        return old_sub if _leave(transaction, old_ref, old_account, worker_id, now) else None

    released = store.transact(link)
    if released:
        request_release(config, company_id, released)
    for other_id in _workers_of(store, company_id, identity.sub):
        tasks.enqueue(config, {"kind": "worker", "company_id": company_id, "worker_id": other_id})


def _workers_of(store: Store, company_id: str, sub: str) -> list[str]:
    snapshot = store.accounts(company_id).document(sub).get()
    return snapshot.to_dict().get("worker_ids", []) if snapshot.exists else []


def unlink_worker(config: Config, store: Store, company_id: str, worker_id: str) -> None:
    """Disconnect: the worker leaves its account; the last one out releases it."""
    worker_ref = store.worker(company_id, worker_id)
    now = datetime.now(UTC)

    def unlink(transaction: firestore.Transaction) -> str | None:
        worker = worker_ref.get(transaction=transaction).to_dict() or {}
        connection = worker.get("connection") or {}
        sub = connection.get("google_sub")
        account_ref = store.accounts(company_id).document(sub) if sub else None
        account = account_ref.get(transaction=transaction).to_dict() if account_ref else None
        transaction.update(
            worker_ref,
            {
                "connection": {
                    "state": "disconnected",
                    "google_sub": None,
                    "google_email": None,
                    "scopes": [],
                    "disconnected_at": now,
                    "previous_google_email": connection.get("google_email"),
                },
                "sync_pending_since": None,
            },
        )
        if account is None or account_ref is None:
            return None
        return sub if _leave(transaction, account_ref, account, worker_id, now) else None

    released = store.transact(unlink)
    if released:
        request_release(config, company_id, released)


def _leave(transaction, account_ref, account: dict, worker_id: str, now: datetime) -> bool:
    """Take the worker off the account; True if it was the last one."""
    remaining = [w for w in account.get("worker_ids", []) if w != worker_id]
    transaction.update(account_ref, {"worker_ids": remaining, "updated_at": now})
    return not remaining


def request_release(config: Config, company_id: str, sub: str) -> None:
    tasks.enqueue(config, {"kind": "release_account", "company_id": company_id, "sub": sub})


def release_account(config: Config, store: Store, company_id: str, sub: str) -> None:
    """The release task: an account no worker uses gives its grant back to Google.

    Revoking a refresh token ends the whole grant for that client and account, so
    it happens only when no worker shares the account any more.
    """
    ref = store.accounts(company_id).document(sub)
    snapshot = ref.get()
    if not snapshot.exists:
        return
    account = snapshot.to_dict()
    if account.get("worker_ids"):
        return  # someone reconnected meanwhile
    if account.get("refresh_token"):
        token = secret_box(config).open(
            account["refresh_token"], _refresh_token_context(company_id, sub)
        )
        revoke(config, token)
    ref.update(
        {
            "state": "released",
            "refresh_token": None,
            "access_token": None,
            "updated_at": datetime.now(UTC),
        }
    )


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


# -- credentials -------------------------------------------------------------------


def credentials(config: Config, store: Store, company_id: str, sub: str):
    """Credentials for calling Google as the account; NeedsReauthorization if the grant died."""
    ref = store.accounts(company_id).document(sub)
    account = ref.get().to_dict() or {}
    company = store.company(company_id).get().to_dict() or {}
    if account.get("state") == "needs_reauth":
        raise NeedsReauthorization(sub)
    if account.get("auth") == "delegated":
        return delegated_credentials(config, company_id, company, account["email"])

    client = oauth_client(config, company_id, company, kind=account.get("client_kind"))
    box = secret_box(config)
    refresh_token = box.open(account["refresh_token"], _refresh_token_context(company_id, sub))
    creds = oauth2_credentials.Credentials(
        token=None,
        refresh_token=refresh_token,
        token_uri=google_endpoints(config).token,
        client_id=client.client_id,
        client_secret=client.client_secret,
        scopes=account.get("scopes"),
    )
    cached = _cached_access_token(config, company_id, sub, account)
    if cached is None:
        cached = _refresh_once(config, store, company_id, sub, creds)
    creds.token, creds.expiry = cached
    return creds


def _cached_access_token(config: Config, company_id: str, sub: str, account: dict):
    sealed = account.get("access_token")
    if not sealed:
        return None
    expiry = datetime.fromisoformat(sealed["expiry"])
    if expiry - _EXPIRY_MARGIN <= datetime.now(UTC):
        return None
    token = secret_box(config).open(sealed["token"], _access_token_context(company_id, sub))
    return token, expiry.replace(tzinfo=None)  # google-auth compares naive UTC


def _leased_elsewhere(account: dict, now: datetime) -> bool:
    lease = account.get("refresh_lease_until")
    return bool(lease and lease > now)


def _refresh_once(config: Config, store: Store, company_id: str, sub: str, creds):
    """Refresh under a lease so concurrent syncs of one account do not all refresh."""
    ref = store.accounts(company_id).document(sub)
    deadline = time.monotonic() + _REFRESH_LEASE.total_seconds()
    while True:
        now = datetime.now(UTC)

        def take(account: dict | None, now: datetime = now) -> dict | None:
            account = account or {}
            cached = _cached_access_token(config, company_id, sub, account)
            if cached or _leased_elsewhere(account, now):
                return None
            return {"refresh_lease_until": now + _REFRESH_LEASE}

        account = store.modify(ref, take) or {}
        cached = _cached_access_token(config, company_id, sub, account)
        if cached is not None:
            return cached
        if not _leased_elsewhere(account, now) or time.monotonic() > deadline:
            break  # the lease is ours (or its holder died): refresh
        time.sleep(0.2)  # another caller is refreshing; its token lands shortly

    try:
        creds.refresh(google.auth.transport.requests.Request())
    except RefreshError as exc:
        ref.update({"refresh_lease_until": None})
        if "invalid_grant" in str(exc):
            mark_needs_reauth(config, store, company_id, sub)
            raise NeedsReauthorization(sub) from None
        raise
    expiry = creds.expiry.replace(tzinfo=UTC)
    ref.update(
        {
            "access_token": {
                "token": secret_box(config).seal(
                    creds.token, _access_token_context(company_id, sub)
                ),
                "expiry": expiry.isoformat(),
            },
            "refresh_lease_until": None,
        }
    )
    return creds.token, creds.expiry


def delegated_credentials(config: Config, company_id: str, company: dict, email: str):
    """Workspace domain-wide delegation: the company's service account acts as `email`."""
    info = json.loads(
        secret_box(config).open(
            company["service_account_key"], f"companies/{company_id}/service_account_key"
        )
    )
    return service_account.Credentials.from_service_account_info(
        info, scopes=[EMAIL, *sorted(REQUIRED_SCOPES)], subject=email
    )


def mark_needs_reauth(config: Config, store: Store, company_id: str, sub: str) -> None:
    """Every worker on the account must reconnect; the admin hears about it once."""
    ref = store.accounts(company_id).document(sub)
    now = datetime.now(UTC)
    message = "Google refused the saved permission; the worker needs to connect again."

    def mark(transaction: firestore.Transaction) -> bool:
        account = ref.get(transaction=transaction).to_dict() or {}
        for worker_id in account.get("worker_ids", []):
            transaction.update(
                store.worker(company_id, worker_id),
                {"connection.state": "needs_reauth", "connection.error": message},
            )
        alert = not account.get("reauth_alert_queued_at")
        update = {"state": "needs_reauth", "error": message, "access_token": None}
        if alert:
            update["reauth_alert_queued_at"] = now
        transaction.update(ref, update)
        return alert

    if store.transact(mark):
        tasks.enqueue(
            config,
            {"kind": "reauth_alert", "company_id": company_id, "sub": sub},
            queue=config.mail_queue,
        )
