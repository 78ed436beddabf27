"""The sync task: what happens when a worker "needs a look".

Runs in /tasks/sync, possibly duplicated, late or concurrent with itself, so it
re-reads everything from Firestore, holds the account's lease while it talks to
Google, and only clears the pending marker it saw before starting. Its steps:
decide what the look is for (`plan_look`), then for a connected worker take the
account's lease, make credentials, set the account up (`account_setup.py`); the
push and import steps of later issues follow the setup here.

Google's failures arrive as `RetryLater` (left to the task router: 503, Cloud
Tasks retries), `GrantRefused` (the account's workers must reconnect) or
`GoogleRefused` (shown on the connection, not retried).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from enum import StrEnum

from shared.config import Config
from shared.domain.company import Company
from shared.domain.connection import ConnectionState
from shared.domain.worker import Worker
from shared.google import credentials
from shared.google.calendar import GoogleCalendar
from shared.google.errors import GoogleRefused, GrantRefused, calling_google
from shared.services import delegation, reauthorization
from shared.store import records
from shared.store.firestore import Store
from shared.sync.account_setup import set_up_account
from shared.sync.lease import AccountLease

log = logging.getLogger(__name__)


class Look(StrEnum):
    """What a look at a worker is for."""

    WAIT = "wait"  # needs_reauth: keep the pending marker; the work resumes on reconnect
    DELEGATE = "delegate"  # domain-wide delegation connects the worker now
    SYNC = "sync"  # connected: talk to Google
    NOTHING = "nothing"  # not connected: nothing to do but clear the marker


def plan_look(worker: Worker, company: Company) -> Look:
    state = worker.connection.state
    if state == ConnectionState.NEEDS_REAUTH:
        return Look.WAIT
    if state in (ConnectionState.NOT_CONNECTED, ConnectionState.INVITED) and company.delegates(
        worker
    ):
        return Look.DELEGATE
    return Look.SYNC if state == ConnectionState.CONNECTED else Look.NOTHING


def look_at_worker(config: Config, store: Store, company_id: str, worker_id: str) -> str:
    """Bring the worker's Google side up to date; returns what happened, for the log."""
    worker = records.worker(store, company_id, worker_id)
    if worker is None:
        return "unknown_worker"
    company = records.company(store, company_id)
    seen_pending = worker.sync_pending_since
    match plan_look(worker, company):
        case Look.WAIT:
            return worker.connection.state.value
        case Look.DELEGATE:
            _settle(store, company_id, worker_id, seen_pending, {})
            return delegation.connect(config, store, company_id, worker_id)
        case Look.NOTHING:
            _settle(store, company_id, worker_id, seen_pending, {})
            return worker.connection.state.value
    return _sync(config, store, company, worker)


def _sync(config: Config, store: Store, company: Company, worker: Worker) -> str:
    sub = worker.connection.google_sub or ""
    with AccountLease(store, company.id, sub):
        account = records.account(store, company.id, sub)
        if account is None or not account.usable:
            return ConnectionState.NEEDS_REAUTH.value

        def forget_cached_token() -> None:
            # The cached access token died early (e.g. revoked): refresh on the retry.
            if account.grant_id:
                credentials.forget_access_token(store, account.grant_id)

        try:
            with calling_google(on_unauthorized=forget_cached_token):
                acting = credentials.for_account(config, store, company, account)
                setup = set_up_account(
                    GoogleCalendar(config, acting), company, account, worker.timezone
                )
        except credentials.NeedsReauthorization:
            return ConnectionState.NEEDS_REAUTH.value
        except GrantRefused:
            if not account.grant_id:
                _show_error(
                    store, company.id, worker.id, "Google refused our sign-in (invalid_grant)."
                )
                return "failed"
            reauthorization.grant_refused(config, store, account.grant_id, sub)
            return ConnectionState.NEEDS_REAUTH.value
        except GoogleRefused as exc:
            # A refusal will not change by retrying: show it to the admin, keep the work.
            _show_error(store, company.id, worker.id, exc.message)
            return "failed"
        if setup.created:
            log.info("created company calendar for %s/%s", company.id, sub)
        store.accounts(company.id).document(sub).update(
            {
                "company_calendar_id": setup.company_calendar_id,
                "calendars": [calendar.to_record() for calendar in setup.calendars],
            }
        )
    _settle(
        store,
        company.id,
        worker.id,
        worker.sync_pending_since,
        {
            "connection.company_calendar_id": setup.company_calendar_id,
            "connection.last_synced_at": datetime.now(UTC),
            "connection.error": None,
            "connection.first_sync.done": True,
        },
    )
    return "synced"


def _show_error(store: Store, company_id: str, worker_id: str, message: str) -> None:
    store.worker(company_id, worker_id).update({"connection.error": message})


def _settle(store: Store, company_id: str, worker_id: str, seen_pending, updates: dict) -> None:
    """Apply `updates`; clear the pending marker only if nothing newer arrived meanwhile."""

    def settle(current: dict | None) -> dict | None:
        if current is None:
            return None  # the worker was removed meanwhile
        changes = {**updates, "last_looked_at": datetime.now(UTC)}
        if current.get("sync_pending_since") == seen_pending:
            changes["sync_pending_since"] = None
        return changes

    store.modify(store.worker(company_id, worker_id), settle)
