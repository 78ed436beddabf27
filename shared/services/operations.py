"""What an operator on call asks: where a worker or booking stands, what is stuck, what
failed, which channels run out soon; and the two levers, resync and replay.

Read-only except `resync` and `replay`, which go through the same use cases as the API
and the sweeper. `shared/ops.py` is the command line over these.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud.firestore_v1.base_query import FieldFilter

from shared.config import Config
from shared.domain.event_link import EventLink
from shared.services import bookings, connections, sweep
from shared.store import records
from shared.store.firestore import Store


def worker(store: Store, company_id: str, worker_id: str) -> dict[str, Any]:
    """The worker's connection as the platform sees it, what waits to be pushed, and the
    imports of its Google account."""
    found = records.existing_worker(store, company_id, worker_id)
    view: dict[str, Any] = {
        "worker_id": worker_id,
        "active": found.active,
        "connection": connections.connection_status(store, company_id, worker_id),
        "sync_pending_since": found.sync_pending_since,
        "push_pending_since": found.push_pending_since,
        "push_keys": list(found.push_keys),
        "failed_events": [
            {"key": link.key, "error": link.error, "updated_at": link.updated_at}
            for link in _failed_links(store, company_id, worker_id)
        ],
    }
    sub = found.connection.google_sub
    if sub:
        account = records.account(store, company_id, sub)
        view["account"] = {
            "email": account.email if account else None,
            "state": account.state.value if account else None,
            "workers": list(account.worker_ids) if account else [],
            "company_calendar_id": account.company_calendar_id if account else None,
        }
        view["imports"] = _imports(store, company_id, sub)
    return view


def booking(store: Store, company_id: str, booking_id: str) -> dict[str, Any]:
    """GET /bookings/{id}/sync, for an operator."""
    return {"booking_id": booking_id, **bookings.booking_sync(store, company_id, booking_id)}


def resync(config: Config, store: Store, company_id: str, worker_id: str) -> dict[str, Any]:
    """The admin's "force resync": the worker's account checks everything with Google."""
    connections.resync(config, store, company_id, worker_id)
    return {"resync_requested": worker_id}


def replay(config: Config, store: Store, older_than: timedelta) -> dict[str, Any]:
    """Ask again for every sync and invitation round pending longer than `older_than`."""
    return {"replayed": sweep.sweep(config, store, stale_after=older_than)}


def pending(store: Store, older_than: timedelta) -> list[dict[str, Any]]:
    """Workers whose sync has waited longer than `older_than`, oldest first."""
    cutoff = datetime.now(UTC) - older_than
    found = []
    for company_id, worker_id in records.pending_since_before(store, cutoff):
        waiting = records.worker(store, company_id, worker_id)
        if waiting is None:
            continue
        since = min(t for t in (waiting.sync_pending_since, waiting.push_pending_since) if t)
        found.append({"company_id": company_id, "worker_id": worker_id, "pending_since": since})
    return sorted(found, key=lambda entry: entry["pending_since"])


def expiring_channels(store: Store, within: timedelta) -> list[dict[str, Any]]:
    """Open push channels whose expiration falls within `within` (renewal is due 48 h
    before; one listed here after a renew-channels run is a renewal that failed)."""
    cutoff = datetime.now(UTC) + within
    query = store.client.collection("channels").where(filter=FieldFilter("expiration", "<", cutoff))
    channels = []
    for snapshot in query.stream():
        record = snapshot.to_dict() or {}
        channels.append(
            {
                "channel_id": snapshot.id,
                "company_id": record.get("company_id"),
                "calendar_id": record.get("calendar_id"),
                "kind": record.get("kind", "events"),
                "expiration": record.get("expiration"),
            }
        )
    return sorted(channels, key=lambda c: c["expiration"] or datetime.max.replace(tzinfo=UTC))


def errors(store: Store, company_id: str, limit: int = 20) -> list[dict[str, Any]]:
    """The company's latest errors, newest first: workers who must reconnect or whose sync
    failed, events Google refused, and imports that failed or are held."""
    found: list[dict[str, Any]] = []
    for member in records.workers(store, company_id):
        if member.connection.error:
            found.append(
                {
                    "what": "connection",
                    "worker_id": member.id,
                    "state": member.connection.state.value,
                    "error": member.connection.error,
                    "at": member.connection.last_synced_at,
                }
            )
    failed = store.event_links(company_id).where(filter=FieldFilter("state", "==", "failed"))
    for snapshot in failed.stream():
        record = snapshot.to_dict() or {}
        found.append(
            {
                "what": "event",
                "worker_id": record.get("worker_id"),
                "key": record.get("key"),
                "error": record.get("error"),
                "at": record.get("updated_at"),
            }
        )
    for snapshot in store.calendar_imports(company_id).stream():
        record = snapshot.to_dict() or {}
        if record.get("error"):
            found.append(
                {
                    "what": "import",
                    "calendar_id": record.get("calendar_id"),
                    "held": bool(record.get("held")),
                    "error": record.get("error"),
                    "at": record.get("updated_at"),
                }
            )
    oldest = datetime.min.replace(tzinfo=UTC)
    found.sort(key=lambda entry: entry["at"] or oldest, reverse=True)
    return found[:limit]


def _failed_links(store: Store, company_id: str, worker_id: str) -> list[EventLink]:
    query = (
        store.event_links(company_id)
        .where(filter=FieldFilter("worker_id", "==", worker_id))
        .where(filter=FieldFilter("state", "==", "failed"))
    )
    return [EventLink.from_record(s.to_dict() or {}) for s in query.stream()]


def _imports(store: Store, company_id: str, sub: str) -> list[dict[str, Any]]:
    query = store.calendar_imports(company_id).where(filter=FieldFilter("sub", "==", sub))
    found = []
    for snapshot in query.stream():
        record = snapshot.to_dict() or {}
        channel = record.get("channel") or {}
        found.append(
            {
                "calendar_id": record.get("calendar_id"),
                "last_import_at": record.get("last_import_at"),
                "full_at": record.get("full_at"),
                "channel_expiration": channel.get("expiration"),
                "held": record.get("held"),
                "error": record.get("error"),
            }
        )
    return sorted(found, key=lambda entry: entry["calendar_id"] or "")
