"""Google accounts linked to a company's workers: who they are, their credentials, their health.

One account document per Google account (`sub`) per company holds the company
calendar, the calendar selection and the workers using it. Several workers may
share it (a team inbox); one worker has at most one. The OAuth grant behind the
account belongs to `grants` (one per client and Google account, across companies).
When Google refuses that grant, every worker of every company using it needs to
reconnect, each admin is told once, and pending work waits for the reconnect.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from google.cloud import firestore
from google.oauth2 import service_account

from shared import grants, invitations, tasks
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

_LINKED = ("connected", "needs_reauth")


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


@dataclass(frozen=True)
class Linked:
    """What a link changed, for the work that follows its commit."""

    released_grants: list[str]
    switched_from: str | None  # the Google address the worker was moved off


def link_worker(
    config: Config,
    store: Store,
    company_id: str,
    worker_id: str,
    identity: Identity,
    *,
    scopes: list[str],
    client: OAuthClient | None = None,
    refresh_token: str | None = None,
) -> Linked:
    """Connect the worker to the account (moving it off any other), then ask for a sync.

    With `refresh_token` (and its `client`) the account uses that OAuth grant; without,
    domain-wide delegation. A consent uses up its invitation before (`invitations.use_up`);
    the link voids any other outstanding one.
    """
    now = datetime.now(UTC)
    account_ref = store.accounts(company_id).document(identity.sub)
    worker_ref = store.worker(company_id, worker_id)
    new_gid = grants.grant_id(client.client_id, identity.sub) if refresh_token and client else None

    def link(transaction: firestore.Transaction) -> Linked:
        # Firestore transactions read everything first, then write.
        worker = worker_ref.get(transaction=transaction).to_dict() or {}
        account_snapshot = account_ref.get(transaction=transaction)
        account = account_snapshot.to_dict() if account_snapshot.exists else {}
        previous = worker.get("connection") or {}
        old_sub = previous.get("google_sub")
        old_ref = old_account = None
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
        # Grants this link touches: the one just issued, the one the account used before,
        # and the one of the account the worker leaves (if it is the last one there).
        touched: dict[str, grants.GrantChange] = {}
        for gid in {new_gid, account.get("grant_id"), (old_account or {}).get("grant_id")}:
            if gid:
                touched[gid] = grants.GrantChange.read(store, transaction, gid)

        released: list[str] = []
        left_old = old_account is not None and old_ref is not None
        if left_old and _leave(transaction, old_ref, old_account, worker_id, now):
            old_gid = old_account.get("grant_id")
            if old_gid and touched[old_gid].leave(company_id, now):
                released.append(old_gid)
        if new_gid and client and refresh_token:
            previous_gid = account.get("grant_id")
            if (
                previous_gid
                and previous_gid != new_gid
                and touched[previous_gid].leave(company_id, now)
            ):
                released.append(previous_gid)  # the account moved to another client's grant
            touched[new_gid].join(
                config,
                company_id,
                client_id=client.client_id,
                client_kind=client.kind,
                sub=identity.sub,
                email=identity.email,
                scopes=scopes,
                refresh_token=refresh_token,
                now=now,
            )
        elif account.get("grant_id") and touched[account["grant_id"]].leave(company_id, now):
            released.append(account["grant_id"])  # now delegated: no grant needed

        account.update(
            {
                "email": identity.email,
                "hd": identity.hd,
                "scopes": scopes,
                "auth": "oauth" if new_gid else "delegated",
                "grant_id": new_gid,
                "client_kind": client.kind if new_gid and client else "delegated",
                "state": "connected",
                "error": None,
                "reauth_alert_queued_at": None,
                "worker_ids": sorted({*account.get("worker_ids", []), worker_id}),
                "updated_at": now,
            }
        )
        transaction.set(account_ref, account)
        connection = _new_connection(identity, scopes, now)
        connection["company_calendar_id"] = account.get("company_calendar_id")
        switched_from = None
        if previous.get("state") in _LINKED and old_sub and old_sub != identity.sub:
            switched_from = previous.get("google_email")
            connection["previous_google_email"] = switched_from
            connection["switched_at"] = now
        transaction.update(
            worker_ref,
            {"connection": connection, "sync_pending_since": now, **invitations.VOIDED},
        )
        for other_ref in waiting:
            transaction.update(
                other_ref, {"connection.state": "connected", "connection.error": None}
            )
        for change in touched.values():
            change.write(transaction)
        return Linked(released_grants=released, switched_from=switched_from)

    linked = store.transact(link)
    for gid in linked.released_grants:
        request_release(config, gid)
    if linked.switched_from:
        tasks.enqueue(
            config,
            {
                "kind": "account_switched",
                "company_id": company_id,
                "worker_id": worker_id,
                "previous_email": linked.switched_from,
                "new_email": identity.email,
            },
            queue=config.mail_queue,
        )
    for other_id in _workers_of(store, company_id, identity.sub):
        tasks.enqueue(config, {"kind": "worker", "company_id": company_id, "worker_id": other_id})
    return linked


def _workers_of(store: Store, company_id: str, sub: str) -> list[str]:
    snapshot = store.accounts(company_id).document(sub).get()
    return snapshot.to_dict().get("worker_ids", []) if snapshot.exists else []


def unlink_worker(config: Config, store: Store, company_id: str, worker_id: str) -> None:
    """Disconnect: the worker leaves its account, and outstanding invitations die with the
    connection. The company's last worker on the account lets go of its grant."""
    worker_ref = store.worker(company_id, worker_id)
    now = datetime.now(UTC)

    def unlink(transaction: firestore.Transaction) -> str | None:
        worker = worker_ref.get(transaction=transaction).to_dict() or {}
        connection = worker.get("connection") or {}
        sub = connection.get("google_sub")
        account_ref = store.accounts(company_id).document(sub) if sub else None
        account = account_ref.get(transaction=transaction).to_dict() if account_ref else None
        gid = (account or {}).get("grant_id")
        grant = grants.GrantChange.read(store, transaction, gid) if gid else None
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
                **invitations.VOIDED,
            },
        )
        if account is None or account_ref is None:
            return None
        if not _leave(transaction, account_ref, account, worker_id, now) or grant is None:
            return None
        released = grant.leave(company_id, now)
        grant.write(transaction)
        return gid if released else None

    released = store.transact(unlink)
    if released:
        request_release(config, released)


def _leave(transaction, account_ref, account: dict, worker_id: str, now: datetime) -> bool:
    """Take the worker off the account; True if it was the last one."""
    remaining = [w for w in account.get("worker_ids", []) if w != worker_id]
    transaction.update(account_ref, {"worker_ids": remaining, "updated_at": now})
    return not remaining


def request_release(config: Config, gid: str) -> None:
    tasks.enqueue(config, {"kind": "release_grant", "grant_id": gid})


def release_grant(config: Config, store: Store, gid: str) -> str:
    """The release task; if a consent relinked the grant while it was being revoked, the
    grant's users sync now, so a token that died with the revocation is found at once."""
    outcome = grants.release(config, store, gid)
    if outcome == "relinked":
        record = grants.grant_ref(store, gid).get().to_dict() or {}
        for company_id in record.get("companies", []):
            for worker_id in _workers_of(store, company_id, record["sub"]):
                tasks.enqueue(
                    config, {"kind": "worker", "company_id": company_id, "worker_id": worker_id}
                )
    return outcome


def give_back_unused(config: Config, store: Store, client: OAuthClient, sub: str, token: str):
    """Return a grant we will not use (partial consent, wrong domain) unless another company
    already relies on it: revoking ends the grant for everyone."""
    record = grants.grant_ref(store, grants.grant_id(client.client_id, sub)).get().to_dict()
    if record and record.get("companies"):
        return
    grants.revoke(config, token)


# -- credentials -------------------------------------------------------------------


def credentials(config: Config, store: Store, company_id: str, sub: str):
    """Credentials for calling Google as the account; NeedsReauthorization if the grant died."""
    account = store.accounts(company_id).document(sub).get().to_dict() or {}
    company = store.company(company_id).get().to_dict() or {}
    linked = account.get("auth") == "delegated" or account.get("grant_id")
    if account.get("state") == "needs_reauth" or not linked:
        raise NeedsReauthorization(sub)
    if account["auth"] == "delegated":
        return delegated_credentials(config, company_id, company, account["email"])
    client = oauth_client(config, company_id, company, kind=account.get("client_kind"))
    try:
        return grants.oauth_credentials(
            config, store, account["grant_id"], client.client_id, client.client_secret
        )
    except grants.GrantRefused:
        grant_refused(config, store, account["grant_id"], sub)
        raise NeedsReauthorization(sub) from None


def delegated_credentials(config: Config, company_id: str, company: dict, email: str):
    """Workspace domain-wide delegation: the company's service account acts as `email`.

    The token endpoint is ours to choose, never the uploaded key's: a tenant must not be
    able to make the backend post signed assertions to an address of its own.
    """
    info = json.loads(
        secret_box(config).open(
            company["service_account_key"], f"companies/{company_id}/service_account_key"
        )
    )
    info["token_uri"] = google_endpoints(config).token
    return service_account.Credentials.from_service_account_info(
        info, scopes=[EMAIL, *sorted(REQUIRED_SCOPES)], subject=email
    )


def grant_refused(config: Config, store: Store, gid: str, sub: str) -> None:
    """Google refused the grant (401, then `invalid_grant`): every company using it learns
    that its workers on the account must reconnect."""
    for company_id in grants.refused(store, gid):
        account = store.accounts(company_id).document(sub).get().to_dict() or {}
        if account.get("grant_id") == gid:
            mark_needs_reauth(config, store, company_id, sub)


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
        update = {"state": "needs_reauth", "error": message}
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
