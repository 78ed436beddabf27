"""The sync task: what happens when a worker "needs a look".

Runs in /tasks/sync, possibly duplicated, late or concurrent with itself, so it
re-reads everything from Firestore, holds the account's lease while it talks to
Google, and only clears the pending marker it saw before starting.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from shared import delegation, google_accounts, grants
from shared.config import Config
from shared.google_calendar import GoogleCalendar, is_transient, reason
from shared.store import Store

log = logging.getLogger(__name__)

SYNC_LEASE = timedelta(minutes=5)


class Busy(Exception):
    """Another sync holds the account; Cloud Tasks retries this one after a backoff."""


def look_at_worker(config: Config, store: Store, company_id: str, worker_id: str) -> str:
    """Bring the worker's Google side up to date; returns what happened, for the log."""
    ref = store.worker(company_id, worker_id)
    snapshot = ref.get()
    if not snapshot.exists:
        return "unknown_worker"
    worker = snapshot.to_dict()
    seen_pending = worker.get("sync_pending_since")
    connection = worker.get("connection") or {}
    state = connection.get("state", "not_connected")
    if state == "needs_reauth":
        return state  # keep the pending marker: the work resumes after the reconnect
    if state in ("not_connected", "invited"):
        company = store.company(company_id).get().to_dict() or {}
        if delegation.applies(company, worker):
            _settle(store, ref, seen_pending, {})
            return delegation.connect(config, store, company_id, worker_id)
    if state != "connected":
        _settle(store, ref, seen_pending, {})
        return state

    sub = connection["google_sub"]
    with _AccountLease(store, company_id, sub):
        try:
            credentials = google_accounts.credentials(config, store, company_id, sub)
            outcome = _set_up_account(config, store, company_id, sub, worker, credentials)
        except google_accounts.NeedsReauthorization:
            return "needs_reauth"
        except RefreshError as exc:
            # Also raised mid-sync: on a 401 the client library refreshes by itself.
            if exc.retryable:
                raise  # Google's token endpoint is having trouble: Cloud Tasks retries
            account = store.accounts(company_id).document(sub).get().to_dict() or {}
            if grants.oauth_error(exc) == "invalid_grant" and account.get("grant_id"):
                google_accounts.grant_refused(config, store, account["grant_id"], sub)
                return "needs_reauth"
            # e.g. the admin replaced the private client's secret with a wrong one
            error = grants.oauth_error(exc) or "refused"
            ref.update({"connection.error": f"Google refused our sign-in ({error})."})
            return "failed"
        except HttpError as exc:
            if exc.status_code == 401:
                # The cached access token died early (e.g. revoked): refresh on the retry.
                account = store.accounts(company_id).document(sub).get().to_dict() or {}
                if account.get("grant_id"):
                    grants.forget_access_token(store, account["grant_id"])
                raise
            if is_transient(exc):
                raise  # Cloud Tasks retries with backoff
            # A refusal will not change by retrying: show it to the admin, keep the work.
            ref.update({"connection.error": f"Google refused the sync ({reason(exc)})."})
            return "failed"
    _settle(
        store,
        ref,
        seen_pending,
        {
            "connection.company_calendar_id": outcome["company_calendar_id"],
            "connection.last_synced_at": datetime.now(UTC),
            "connection.error": None,
            "connection.first_sync.done": True,
        },
    )
    return "synced"


def _set_up_account(
    config: Config, store: Store, company_id: str, sub: str, worker: dict, credentials
) -> dict:
    """The company calendar exists and is named after the company; the calendar list is fresh."""
    account_ref = store.accounts(company_id).document(sub)
    account = account_ref.get().to_dict() or {}
    company = store.company(company_id).get().to_dict() or {}
    google = GoogleCalendar(config, credentials)
    calendar_id, created = google.ensure_company_calendar(
        account.get("company_calendar_id"),
        company.get("company_name") or "Bookings",
        worker.get("timezone"),
    )
    if created:
        log.info("created company calendar for %s/%s", company_id, sub)
    calendars = select_calendars(google.calendar_list(), account.get("calendars", []), calendar_id)
    account_ref.update({"company_calendar_id": calendar_id, "calendars": calendars})
    return {"company_calendar_id": calendar_id}


def select_calendars(entries: list[dict], previous: list[dict], company_calendar_id: str):
    """Imported calendars: by default every calendar the account owns, never the company
    calendar; a choice made earlier is kept."""
    chosen = {calendar["id"]: calendar["selected"] for calendar in previous}
    calendars = []
    for entry in entries:
        if entry["id"] == company_calendar_id:
            continue
        access_role = entry.get("accessRole", "reader")
        calendars.append(
            {
                "id": entry["id"],
                "summary": entry.get("summaryOverride") or entry.get("summary", ""),
                "primary": bool(entry.get("primary")),
                "access_role": access_role,
                "selected": chosen.get(entry["id"], access_role == "owner"),
            }
        )
    return calendars


def _settle(store: Store, ref, seen_pending, updates: dict) -> None:
    """Apply `updates`; clear the pending marker only if nothing newer arrived meanwhile."""

    def settle(current: dict | None) -> dict | None:
        if current is None:
            return None  # the worker was removed meanwhile
        changes = {**updates, "last_looked_at": datetime.now(UTC)}
        if current.get("sync_pending_since") == seen_pending:
            changes["sync_pending_since"] = None
        return changes

    store.modify(ref, settle)


class _AccountLease:
    """One sync at a time per Google account, with an expiry so a crashed run frees it."""

    def __init__(self, store: Store, company_id: str, sub: str) -> None:
        self._ref = store.accounts(company_id).document(sub)
        self._store = store
        self._holder = uuid.uuid4().hex

    def __enter__(self) -> None:
        def take(account: dict | None) -> dict | None:
            now = datetime.now(UTC)
            lease = (account or {}).get("sync_lease")
            if lease and lease["until"] > now and lease["holder"] != self._holder:
                raise Busy("another sync holds this Google account")
            if account is None:
                return None  # nothing to guard; the sync will find the account gone
            return {"sync_lease": {"holder": self._holder, "until": now + SYNC_LEASE}}

        self._store.modify(self._ref, take)

    def __exit__(self, *exc: object) -> None:
        def release(account: dict | None) -> dict | None:
            lease = (account or {}).get("sync_lease")
            return {"sync_lease": None} if lease and lease["holder"] == self._holder else None

        self._store.modify(self._ref, release)
