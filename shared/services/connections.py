"""A worker's link to a Google account, as the platform sees and changes it."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.config import Config
from shared.domain.account import GoogleAccount, with_selection
from shared.domain.connection import ConnectionState
from shared.errors import InvalidInput, Unprocessable
from shared.queue import messages
from shared.services import linking
from shared.store import records
from shared.store.firestore import Store
from shared.sync import busy_import


def connection_status(store: Store, company_id: str, worker_id: str) -> dict:
    return records.existing_worker(store, company_id, worker_id).connection.status()


def list_connections(store: Store, company_id: str) -> dict:
    entries = []
    for worker in records.workers(store, company_id):
        status = worker.connection.status()
        entry = {
            "worker_id": worker.id,
            "name": worker.name or None,
            "state": status["state"],
            "google_email": status["google_email"],
            "last_synced_at": status["last_synced_at"],
            "first_sync": status["first_sync"],
        }
        if "error" in status:
            entry["error"] = status["error"]
        entries.append(entry)
    return {"workers": sorted(entries, key=lambda entry: entry["worker_id"])}


def disconnect(config: Config, store: Store, company_id: str, worker_id: str) -> dict:
    """Idempotent. Pushed events stay in Google; the account's imported busy blocks go
    with the last of the company's workers on it (others sharing it still see them)."""
    connection = records.existing_worker(store, company_id, worker_id).connection
    linking.unlink_worker(config, store, company_id, worker_id)
    sub = connection.google_sub if connection.state.linked else None
    if sub and not records.account_members(store, company_id, sub):
        busy_import.forget_account(store, company_id, sub)
    return connection_status(store, company_id, worker_id)


def _linked_sub(store: Store, company_id: str, worker_id: str) -> str:
    """The Google account the worker is linked to, or the API's 422."""
    connection = records.existing_worker(store, company_id, worker_id).connection
    if not connection.state.linked or not connection.google_sub:
        raise Unprocessable(
            "the worker has no Google account connected", code=ConnectionState.NOT_CONNECTED.value
        )
    return connection.google_sub


def calendars(store: Store, company_id: str, worker_id: str) -> dict:
    account = records.account(store, company_id, _linked_sub(store, company_id, worker_id))
    return {"calendars": [c.to_record() for c in account.calendars] if account else []}


def select(
    config: Config, store: Store, company_id: str, worker_id: str, selected: list[str]
) -> dict:
    """Choose the imported calendars (shared by every worker on the account)."""
    sub = _linked_sub(store, company_id, worker_id)
    ref = store.accounts(company_id).document(sub)
    chosen = []

    def choose(record: dict | None) -> dict:
        account = GoogleAccount.from_record(sub, record or {})
        known = {calendar.id for calendar in account.calendars}
        for index, calendar_id in enumerate(selected):
            if calendar_id not in known:
                raise InvalidInput(
                    f"{calendar_id!r} is not one of the worker's calendars",
                    field=f"selected.{index}",
                )
        chosen[:] = with_selection(account.calendars, selected)
        return {"calendars": [c.to_record() for c in chosen]}

    store.modify(ref, choose)
    # Only the imports move: newly chosen calendars come in, dropped ones take their blocks
    # away. Not a resync: that is an admin's, and it confirms a held mass removal.
    account = records.account(store, company_id, sub)
    if account is not None:
        busy_import.request_imports(config, store, company_id, account)
    return {"calendars": [c.to_record() for c in chosen]}


def resync(config: Config, store: Store, company_id: str, worker_id: str) -> None:
    """Ask for a fresh look now (admin's "force resync")."""
    worker = records.existing_worker(store, company_id, worker_id)
    now = datetime.now(UTC)
    if worker.connection.google_sub:
        # Check the account's calendars with Google again (e.g. the company calendar was
        # deleted, or calendars were added); a plain sync does not.
        store.accounts(company_id).document(worker.connection.google_sub).set(
            {"set_up_requested_at": now}, merge=True
        )
    store.worker(company_id, worker_id).update({"sync_pending_since": now})
    messages.request_sync(config, company_id, worker_id)
