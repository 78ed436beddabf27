"""Bookings and unavailable time as the platform mirrors them here: versioned mutations.

Every mutation carries a version that only grows. An older or equal one changes nothing
(`applied: false`), so duplicated and reordered deliveries are harmless; a deleted
booking is a tombstone that keeps its version, and may come back with a higher one (a
new *generation*, so its event gets a fresh id). The mutation, the snapshot and a
pending marker on every affected worker (old and new assignees) commit in one
transaction (the outbox); then a look is asked for each affected worker, which the
worker's account sync coalesces.

    companies/{company_id}/bookings/{booking_id}          snapshot + version, generation, deleted
    companies/{company_id}/unavailability/{block_id}      the same for unavailable time

What reached each worker's calendar is in the link records (`domain/event_link.py`), which
`booking_sync` reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.config import Config
from shared.domain.booking import Booking, EventKey
from shared.domain.company import Company
from shared.domain.event_link import EventLink
from shared.domain.worker import Worker
from shared.errors import NotFound, Unprocessable
from shared.inputs import BatchBookingIn, BookingIn, UnavailabilityIn
from shared.queue import messages
from shared.store import records
from shared.store.firestore import Store
from shared.sync.push import PUSH_WINDOW
from shared.views.calendar import booking_conflicts

# Bookings of a batch written per transaction (each with its own snapshot, under
# Firestore's 500 writes per commit together with the workers' markers).
_BATCH_CHUNK = 100


@dataclass(frozen=True)
class Applied:
    applied: bool
    workers: tuple[str, ...] = ()  # whose look the mutation asks for


def put_booking(
    config: Config, store: Store, company_id: str, booking_id: str, booking: BookingIn
) -> dict:
    outcome = _write_booking(store, company_id, booking_id, booking)
    _request_looks(config, company_id, outcome.workers)
    return {"applied": outcome.applied}


def delete_booking(
    config: Config, store: Store, company_id: str, booking_id: str, version: int
) -> dict:
    outcome = _delete(store, store.bookings(company_id).document(booking_id), company_id, version)
    _request_looks(config, company_id, outcome.workers)
    return {"applied": outcome.applied}


def put_batch(config: Config, store: Store, company_id: str, batch: BatchBookingIn) -> dict:
    """Each booking of the batch as if PUT alone, committed in chunks that mark each
    affected worker once (one worker's document written by hundreds of transactions at
    once would only make them queue); the looks are asked for once per worker. An unknown
    worker anywhere refuses the whole batch before anything is written."""
    _check_batch_workers(store, company_id, batch)
    applied, workers = 0, set()
    for start in range(0, len(batch.bookings), _BATCH_CHUNK):
        chunk = batch.bookings[start : start + _BATCH_CHUNK]
        outcome = _write_bookings(store, company_id, chunk)
        applied += outcome.applied
        workers.update(outcome.workers)
    _request_looks(config, company_id, workers)
    return {"applied": applied, "ignored": len(batch.bookings) - applied}


def put_unavailability(
    config: Config, store: Store, company_id: str, block_id: str, block: UnavailabilityIn
) -> dict:
    ref = store.unavailability(company_id).document(block_id)
    outcome = _write(store, company_id, ref, block.version, block.record(), [block.worker_id])
    _request_looks(config, company_id, outcome.workers)
    return {"applied": outcome.applied}


def delete_unavailability(
    config: Config, store: Store, company_id: str, block_id: str, version: int
) -> dict:
    ref = store.unavailability(company_id).document(block_id)
    outcome = _delete(store, ref, company_id, version)
    _request_looks(config, company_id, outcome.workers)
    return {"applied": outcome.applied}


# -- the transactions --------------------------------------------------------------


def _write_booking(store: Store, company_id: str, booking_id: str, booking: BookingIn) -> Applied:
    ref = store.bookings(company_id).document(booking_id)
    return _write(store, company_id, ref, booking.version, booking.record(), booking.worker_ids)


def _check_batch_workers(store: Store, company_id: str, batch: BatchBookingIn) -> None:
    known = _on_roster(store, company_id, (w for item in batch.bookings for w in item.worker_ids))
    for number, item in enumerate(batch.bookings):
        for index, worker_id in enumerate(item.worker_ids):
            if worker_id not in known:
                raise Unprocessable(
                    f"no worker {worker_id}",
                    field=f"bookings.{number}.worker_ids.{index}",
                    code="unknown_worker",
                )


@dataclass(frozen=True)
class _ChunkApplied:
    applied: int
    workers: tuple[str, ...]


def _write_bookings(store: Store, company_id: str, chunk: list) -> _ChunkApplied:
    """Write the newer snapshots of `chunk` and mark their assignees, in one transaction."""
    refs = {item.id: store.bookings(company_id).document(item.id) for item in chunk}

    def write(transaction: firestore.Transaction) -> _ChunkApplied:
        current = {s.id: s.to_dict() for s in transaction.get_all(list(refs.values())) if s.exists}
        newer = [
            item for item in chunk if current.get(item.id, {}).get("version", -1) < item.version
        ]
        keys: dict[str, set[str]] = {}
        for item in newer:
            for worker_id in {*_assignees(current.get(item.id)), *item.worker_ids}:
                keys.setdefault(worker_id, set()).add(str(EventKey.booking(item.id)))
        now = datetime.now(UTC)
        for item in newer:
            transaction.set(refs[item.id], _stored(current.get(item.id), item.record(), now))
        _mark_pending(store, transaction, company_id, keys, now)
        return _ChunkApplied(len(newer), tuple(sorted(keys)))

    return store.transact(write)


def _stored(current: dict | None, snapshot: dict[str, Any], now: datetime) -> dict:
    """The document of a newer snapshot: back after a delete, it is a new generation (its
    events get fresh ids)."""
    generation = (current or {}).get("generation", 0)
    if current is not None and current.get("deleted"):
        generation += 1
    return {**snapshot, "deleted": False, "generation": generation, "updated_at": now}


def _assignees(record: dict | None) -> list[str]:
    """Who a stored snapshot is pushed to: nobody once it is deleted."""
    if not record or record.get("deleted"):
        return []
    if "worker_ids" in record:
        return list(record["worker_ids"])
    return [record["worker_id"]] if record.get("worker_id") else []


def _write(
    store: Store,
    company_id: str,
    ref: firestore.DocumentReference,
    version: int,
    snapshot: dict[str, Any],
    assignees: list[str],
) -> Applied:
    known = _on_roster(store, company_id, assignees)
    for index, worker_id in enumerate(assignees):
        if worker_id not in known:
            many = "worker_ids" in snapshot
            raise Unprocessable(
                f"no worker {worker_id}",
                field=f"worker_ids.{index}" if many else "worker_id",
                code="unknown_worker",
            )

    outcome = Applied(False)

    def write(current: dict | None):
        nonlocal outcome
        if current is not None and current.get("version", -1) >= version:
            outcome = Applied(False)
            return None
        affected = sorted({*_assignees(current), *assignees})
        now = datetime.now(UTC)
        outcome = Applied(True, tuple(affected))
        markers = _markers(store, company_id, affected, _key(ref), now)
        return _stored(current, snapshot, now), markers

    store.modify_with(ref, write)
    return outcome


def _delete(
    store: Store, ref: firestore.DocumentReference, company_id: str, version: int
) -> Applied:
    outcome = Applied(False)

    def delete(current: dict | None):
        nonlocal outcome
        if current is not None and current.get("version", -1) >= version:
            outcome = Applied(False)
            return None
        now = datetime.now(UTC)
        affected = _assignees(current)
        outcome = Applied(True, tuple(affected))
        # A tombstone keeps the version (a late PUT with an older one stays ignored) and who
        # the booking was pushed to, for the look that takes its events away.
        tombstone = {**(current or {}), "version": version, "deleted": True, "updated_at": now}
        return tombstone, _markers(store, company_id, affected, _key(ref), now)

    store.modify_with(ref, delete)
    return outcome


def _on_roster(store: Store, company_id: str, worker_ids: Iterable[str]) -> set[str]:
    """The workers of `worker_ids` on the roster. Read outside the mutation's write:
    workers are never removed, and a transaction reading a worker's document would queue
    behind every other booking of that worker being written at the same moment."""
    refs = [store.worker(company_id, worker_id) for worker_id in sorted(set(worker_ids))]
    return {s.id for s in store.client.get_all(refs) if s.exists} if refs else set()


def _key(ref: firestore.DocumentReference) -> str:
    """The event key a booking's or block's document stands for."""
    if ref.parent.id == "bookings":
        return str(EventKey.booking(ref.id))
    return str(EventKey.unavailable(ref.id))


def _markers(
    store: Store, company_id: str, worker_ids: Iterable[str], key: str, now: datetime
) -> list:
    """The push markers that commit with a mutation: the worker's look need only push
    `key` (blind writes: no read locks, so a burst of changes for one worker never queues)."""
    fields = {"push_pending_since": now, "push_keys": firestore.ArrayUnion([key])}
    return [(store.worker(company_id, w), fields) for w in worker_ids]


def _mark_pending(
    store: Store, transaction, company_id: str, keys: dict[str, set[str]], now: datetime
) -> None:
    """`_markers` within a transaction, for each worker the keys that changed for it."""
    for worker_id, worker_keys in sorted(keys.items()):
        transaction.update(
            store.worker(company_id, worker_id),
            {"push_pending_since": now, "push_keys": firestore.ArrayUnion(sorted(worker_keys))},
        )


def _request_looks(config: Config, company_id: str, worker_ids: Iterable[str]) -> None:
    for worker_id in sorted(set(worker_ids)):
        messages.request_sync(config, company_id, worker_id)


# -- a status's bookings -------------------------------------------------------------

# Bookings read per query page, and workers marked per commit, by a status reconcile.
_PAGE = 500


def reconcile_status(config: Config, store: Store, company_id: str, status_id: str) -> int:
    """Every worker with a booking in the status (inside the push window) needs a look:
    marked pending, then asked for. Returns how many workers."""
    since = datetime.now(UTC) - PUSH_WINDOW
    query = (
        store.bookings(company_id)
        .where(filter=FieldFilter("status_id", "==", status_id))
        .where(filter=FieldFilter("end", ">", since))
        .select(["worker_ids"])
    )
    affected: set[str] = set()
    for snapshot in query.stream():
        affected.update((snapshot.to_dict() or {}).get("worker_ids") or ())
    known = sorted(affected & {worker.id for worker in records.workers(store, company_id)})
    now = datetime.now(UTC)
    for start in range(0, len(known), _PAGE):
        batch = store.client.batch()
        for worker_id in known[start : start + _PAGE]:
            batch.update(store.worker(company_id, worker_id), {"sync_pending_since": now})
        batch.commit()
    _request_looks(config, company_id, known)
    return len(known)


# -- what reached Google -------------------------------------------------------------


def booking_sync(store: Store, company_id: str, booking_id: str) -> dict:
    """GET /bookings/{id}/sync: per worker (assigned now, or pushed to before), where the
    booking's event stands."""
    snapshot = store.bookings(company_id).document(booking_id).get()
    if not snapshot.exists:
        raise NotFound(f"no booking {booking_id}", field="booking_id")
    record = snapshot.to_dict()
    if "status_id" not in record:
        # A delete that overtook the booking's first snapshot: a bare tombstone (version
        # only), never pushed to anyone.
        return {"workers": {}}
    booking = Booking.from_record(booking_id, record)
    links = {
        link.worker_id: link
        for link in records.item_links(store, company_id, "booking", booking_id)
    }
    worker_ids = sorted({*(() if booking.deleted else booking.worker_ids), *links})
    refs = [store.worker(company_id, worker_id) for worker_id in worker_ids]
    workers = {
        s.id: Worker.from_record(s.id, s.to_dict())
        for s in (store.client.get_all(refs) if refs else [])
        if s.exists
    }
    company = records.company(store, company_id)
    statuses = records.booking_statuses(store, company_id)
    status = statuses.get(booking.status_id)
    pushes = status is not None and status.push_to_google and not booking.deleted
    clashes = booking_conflicts(store, company, booking, status, workers.values())
    since = datetime.now(UTC) - PUSH_WINDOW
    return {
        "workers": {
            worker_id: {
                **_worker_sync(
                    company, workers.get(worker_id), booking, pushes, links.get(worker_id), since
                ),
                "conflicts": clashes.get(worker_id, []),
            }
            for worker_id in worker_ids
        }
    }


def _worker_sync(
    company: Company,
    worker: Worker | None,
    booking: Booking,
    pushes: bool,
    link: EventLink | None,
    since: datetime,
) -> dict:
    view = {
        "state": sync_state(company, worker, booking, pushes, link, since),
        "event_id": link.event_id if link else None,
        "calendar_id": link.calendar_id if link else None,
        "updated_at": link.updated_at.isoformat() if link and link.updated_at else None,
        "error": None,
    }
    if link is not None and view["state"] == "failed":
        view["error"] = link.error
    elif worker is not None and view["state"] == "pending":
        view["error"] = worker.connection.error  # e.g. the worker must reconnect
    return view


def sync_state(
    company: Company,
    worker: Worker | None,
    booking: Booking,
    pushes: bool,
    link: EventLink | None,
    since: datetime | None = None,
) -> str:
    """`synced`, `removed`, `detached` or `failed` as the link record says once it reflects
    the booking's version; before that `pending` if a sync will act, else `skipped`.
    `since` is the push window's start: a booking still pushed that ended before it is left
    as it is (no sync acts on it)."""
    if link is not None and link.version >= booking.version:
        return link.state.value
    if worker is None or not company.pushes:
        return "skipped"
    if not worker.connection.state.linked:
        return "skipped"  # nothing goes to Google while the worker has no Google account
    wanted = pushes and worker.active and worker.id in booking.worker_ids
    if wanted and since is not None and booking.end <= since:
        return "skipped"  # history: nothing is pushed, an event of it stays as it is
    if wanted or (link is not None and link.live):
        return "pending"
    return "skipped"
