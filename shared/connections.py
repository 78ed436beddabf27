"""A worker's link to a Google account, as the platform sees and changes it."""

from __future__ import annotations

from datetime import UTC, datetime

from google.cloud import firestore

from shared import google_accounts, tasks
from shared.config import Config
from shared.errors import InvalidInput, NotFound, Unprocessable
from shared.store import Store

_FIRST_SYNC = {"done": False, "pushed": 0, "imported": 0}


def _worker(store: Store, company_id: str, worker_id: str) -> dict:
    snapshot = store.worker(company_id, worker_id).get()
    if not snapshot.exists:
        raise NotFound(f"no worker {worker_id}", field="worker_id")
    return snapshot.to_dict()


def _status(record: dict) -> dict:
    connection = record.get("connection") or {}
    status = {
        "state": connection.get("state") or "not_connected",
        "google_email": connection.get("google_email"),
        "scopes": connection.get("scopes", []),
        "company_calendar_id": connection.get("company_calendar_id"),
        "connected_at": connection.get("connected_at"),
        "last_synced_at": connection.get("last_synced_at"),
        "first_sync": {**_FIRST_SYNC, **(connection.get("first_sync") or {})},
    }
    if connection.get("error"):
        status["error"] = connection["error"]
    if connection.get("switched_at"):
        # The worker moved to this account from another one: shown so nobody misses it.
        status["previous_google_email"] = connection.get("previous_google_email")
        status["switched_at"] = connection["switched_at"]
    return status


def connection_status(store: Store, company_id: str, worker_id: str) -> dict:
    return _status(_worker(store, company_id, worker_id))


def list_connections(store: Store, company_id: str) -> dict:
    workers = []
    for snapshot in store.workers(company_id).stream():
        record = snapshot.to_dict()
        status = _status(record)
        entry = {
            "worker_id": snapshot.id,
            "name": record.get("name"),
            "state": status["state"],
            "google_email": status["google_email"],
            "last_synced_at": status["last_synced_at"],
        }
        if "error" in status:
            entry["error"] = status["error"]
        workers.append(entry)
    return {"workers": sorted(workers, key=lambda worker: worker["worker_id"])}


def disconnect(config: Config, store: Store, company_id: str, worker_id: str) -> dict:
    """Idempotent. Pushed events stay in Google; imported busy blocks go."""
    _worker(store, company_id, worker_id)
    google_accounts.unlink_worker(config, store, company_id, worker_id)
    busy = store.busy_blocks(company_id).where(
        filter=firestore.FieldFilter("worker_id", "==", worker_id)
    )
    batch = store.client.batch()
    for count, snapshot in enumerate(busy.stream(), start=1):
        batch.delete(snapshot.reference)
        if count % 400 == 0:
            batch.commit()
            batch = store.client.batch()
    batch.commit()
    return connection_status(store, company_id, worker_id)


def _account_of(store: Store, company_id: str, worker_id: str):
    connection = _worker(store, company_id, worker_id).get("connection") or {}
    if connection.get("state") not in ("connected", "needs_reauth"):
        raise Unprocessable("the worker has no Google account connected", code="not_connected")
    return store.accounts(company_id).document(connection["google_sub"])


def calendars(store: Store, company_id: str, worker_id: str) -> dict:
    account = _account_of(store, company_id, worker_id).get().to_dict() or {}
    return {"calendars": account.get("calendars", [])}


def select(
    config: Config, store: Store, company_id: str, worker_id: str, selected: list[str]
) -> dict:
    """Choose the imported calendars (shared by every worker on the account)."""
    ref = _account_of(store, company_id, worker_id)

    def choose(account: dict | None) -> dict:
        calendars = (account or {}).get("calendars", [])
        known = {calendar["id"] for calendar in calendars}
        for index, calendar_id in enumerate(selected):
            if calendar_id not in known:
                raise InvalidInput(
                    f"{calendar_id!r} is not one of the worker's calendars",
                    field=f"selected.{index}",
                )
        return {"calendars": _chosen(calendars, selected)}

    chosen = _chosen(store.modify(ref, choose).get("calendars", []), selected)
    resync(config, store, company_id, worker_id)
    return {"calendars": chosen}


def _chosen(calendars: list[dict], selected: list[str]) -> list[dict]:
    return [{**calendar, "selected": calendar["id"] in selected} for calendar in calendars]


def resync(config: Config, store: Store, company_id: str, worker_id: str) -> None:
    """Ask for a fresh look now (admin's "force resync")."""
    ref = store.worker(company_id, worker_id)
    _worker(store, company_id, worker_id)
    ref.update({"sync_pending_since": datetime.now(UTC)})
    tasks.enqueue(config, {"kind": "worker", "company_id": company_id, "worker_id": worker_id})
