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
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore

from shared.config import Config
from shared.errors import Unprocessable
from shared.inputs import BatchBookingIn, BookingIn, UnavailabilityIn
from shared.queue import messages
from shared.store.firestore import Store

# Bookings of one batch written at a time, each in its own transaction.
_BATCH_CONCURRENCY = 8


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
    """Each booking of the batch as if PUT alone; the looks are asked for once per worker."""
    with ThreadPoolExecutor(_BATCH_CONCURRENCY) as pool:
        outcomes = list(
            pool.map(lambda item: _write_booking(store, company_id, item.id, item), batch.bookings)
        )
    _request_looks(config, company_id, (w for outcome in outcomes for w in outcome.workers))
    applied = sum(1 for outcome in outcomes if outcome.applied)
    return {"applied": applied, "ignored": len(outcomes) - applied}


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
    def write(transaction: firestore.Transaction) -> Applied:
        current = _read(ref, transaction)
        if current is not None and current.get("version", -1) >= version:
            return Applied(False)
        affected = sorted({*_assignees(current), *assignees})
        known = _existing(store, transaction, company_id, affected)
        for index, worker_id in enumerate(assignees):
            if worker_id not in known:
                many = "worker_ids" in snapshot
                raise Unprocessable(
                    f"no worker {worker_id}",
                    field=f"worker_ids.{index}" if many else "worker_id",
                    code="unknown_worker",
                )
        generation = (current or {}).get("generation", 0)
        if current is not None and current.get("deleted"):
            generation += 1  # back after a delete: its events get fresh ids
        now = datetime.now(UTC)
        transaction.set(
            ref, {**snapshot, "deleted": False, "generation": generation, "updated_at": now}
        )
        _mark_pending(store, transaction, company_id, known, now)
        return Applied(True, tuple(known))

    return store.transact(write)


def _delete(
    store: Store, ref: firestore.DocumentReference, company_id: str, version: int
) -> Applied:
    def delete(transaction: firestore.Transaction) -> Applied:
        current = _read(ref, transaction)
        if current is not None and current.get("version", -1) >= version:
            return Applied(False)
        now = datetime.now(UTC)
        affected = _existing(store, transaction, company_id, _assignees(current))
        # A tombstone keeps the version (a late PUT with an older one stays ignored) and who
        # the booking was pushed to, for the look that takes its events away.
        tombstone = {**(current or {}), "version": version, "deleted": True, "updated_at": now}
        transaction.set(ref, tombstone)
        _mark_pending(store, transaction, company_id, affected, now)
        return Applied(True, tuple(affected))

    return store.transact(delete)


def _read(ref: firestore.DocumentReference, transaction) -> dict | None:
    snapshot = ref.get(transaction=transaction)
    return snapshot.to_dict() if snapshot.exists else None


def _existing(store: Store, transaction, company_id: str, worker_ids: list[str]) -> list[str]:
    """The workers of `worker_ids` that are on the roster (read before any write)."""
    if not worker_ids:
        return []  # Firestore refuses a read of no documents
    refs = [store.worker(company_id, worker_id) for worker_id in worker_ids]
    found = {snapshot.id for snapshot in transaction.get_all(refs) if snapshot.exists}
    return [worker_id for worker_id in worker_ids if worker_id in found]


def _mark_pending(
    store: Store, transaction, company_id: str, worker_ids: Iterable[str], now: datetime
) -> None:
    for worker_id in worker_ids:
        transaction.update(store.worker(company_id, worker_id), {"sync_pending_since": now})


def _request_looks(config: Config, company_id: str, worker_ids: Iterable[str]) -> None:
    for worker_id in sorted(set(worker_ids)):
        messages.request_sync(config, company_id, worker_id)
