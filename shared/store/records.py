"""Typed reads: documents leave the store as domain records, never as raw dicts.

Each reader takes an optional transaction, so a transaction reads through the same
functions as everyone else.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.field_path import FieldPath

from shared.domain.account import GoogleAccount
from shared.domain.booking import Booking, BookingStatus, UnavailableBlock
from shared.domain.company import Company
from shared.domain.event_link import EventLink, link_id
from shared.domain.grant import Grant
from shared.domain.worker import Worker
from shared.errors import NotFound
from shared.store.firestore import Store


def _read(ref: firestore.DocumentReference, transaction) -> dict | None:
    snapshot = ref.get(transaction=transaction)
    return snapshot.to_dict() if snapshot.exists else None


def company(store: Store, company_id: str, transaction=None) -> Company:
    """The company's settings (the defaults if it never saved any)."""
    return Company.from_record(company_id, _read(store.company(company_id), transaction))


def worker(store: Store, company_id: str, worker_id: str, transaction=None) -> Worker | None:
    record = _read(store.worker(company_id, worker_id), transaction)
    return Worker.from_record(worker_id, record) if record is not None else None


def existing_worker(store: Store, company_id: str, worker_id: str) -> Worker:
    """The worker, or the API's 404 naming `worker_id`."""
    found = worker(store, company_id, worker_id)
    if found is None:
        raise NotFound(f"no worker {worker_id}", field="worker_id")
    return found


def workers(store: Store, company_id: str) -> list[Worker]:
    return [
        Worker.from_record(snapshot.id, snapshot.to_dict())
        for snapshot in store.workers(company_id).stream()
    ]


def workers_page(store: Store, company_id: str, after: str | None, size: int) -> list[Worker]:
    """Up to `size` workers in document-id order, after the id `after` (None: from the start)."""
    query = store.workers(company_id).order_by(FieldPath.document_id()).limit(size)
    if after is not None:
        query = query.start_after({FieldPath.document_id(): after})
    return [Worker.from_record(snapshot.id, snapshot.to_dict()) for snapshot in query.stream()]


def account(store: Store, company_id: str, sub: str, transaction=None) -> GoogleAccount | None:
    record = _read(store.accounts(company_id).document(sub), transaction)
    return GoogleAccount.from_record(sub, record) if record is not None else None


def account_members(store: Store, company_id: str, sub: str) -> list[Worker]:
    """The company's workers linked to the Google account `sub` now (connected or waiting to
    reconnect), read from the workers themselves: a link writes only its worker."""
    query = store.workers(company_id).where(filter=FieldFilter("connection.google_sub", "==", sub))
    members = [Worker.from_record(snapshot.id, snapshot.to_dict()) for snapshot in query.stream()]
    return sorted(
        (worker for worker in members if worker.connection.state.linked), key=lambda w: w.id
    )


def linked_anywhere(store: Store, sub: str) -> list[tuple[str, Worker]]:
    """(company_id, worker) of every worker of any company linked to `sub` (a collection-group
    query; see infra for its index): what a grant's release must not pull the rug from."""
    query = store.client.collection_group("workers").where(
        filter=FieldFilter("connection.google_sub", "==", sub)
    )
    found = []
    for snapshot in query.stream():
        worker = Worker.from_record(snapshot.id, snapshot.to_dict())
        if worker.connection.state.linked:
            found.append((snapshot.reference.parent.parent.id, worker))
    return found


def grant(store: Store, gid: str) -> Grant | None:
    record = _read(store.grant(gid), None)
    return Grant.from_record(gid, record) if record is not None else None


def modify_worker(
    store: Store,
    company_id: str,
    worker_id: str,
    change: Callable[[Worker | None], dict | None],
) -> Worker | None:
    """`Store.modify` of the worker, with the worker as a record; returns it as it was read."""

    def typed(current: dict | None) -> dict | None:
        return change(Worker.from_record(worker_id, current) if current is not None else None)

    before = store.modify(store.worker(company_id, worker_id), typed)
    return Worker.from_record(worker_id, before) if before is not None else None


# -- queries ------------------------------------------------------------------

# A Firestore batch holds at most 500 writes.
_BATCH = 400


def pending_since_before(store: Store, cutoff: datetime) -> list[tuple[str, str]]:
    """(company_id, worker_id) of every worker whose look (full, or of pushed keys) has
    waited since before `cutoff`, across companies (collection-group queries; see infra
    for their indexes)."""
    found: set[tuple[str, str]] = set()
    for marker in ("sync_pending_since", "push_pending_since"):
        query = store.client.collection_group("workers").where(
            filter=FieldFilter(marker, "<", cutoff)
        )
        found.update((s.reference.parent.parent.id, s.id) for s in query.stream())
    return sorted(found)


def oldest_pending(store: Store) -> datetime | None:
    """When the longest-waiting look of any worker was asked for (None: nothing waits)."""
    oldest = []
    for marker in ("sync_pending_since", "push_pending_since"):
        query = (
            store.client.collection_group("workers")
            .where(filter=FieldFilter(marker, ">", _EPOCH))
            .order_by(marker)
            .limit(1)
        )
        oldest += [(s.to_dict() or {}).get(marker) for s in query.stream()]
    return min((t for t in oldest if t), default=None)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# -- what a worker's push reads and writes -------------------------------------------


def booking_statuses(store: Store, company_id: str) -> dict[str, BookingStatus]:
    return {
        snapshot.id: BookingStatus.from_record(snapshot.id, snapshot.to_dict())
        for snapshot in store.booking_statuses(company_id).stream()
    }


def worker_bookings(
    store: Store, company_id: str, worker_id: str, since: datetime
) -> list[Booking]:
    """Bookings (tombstones included) assigned to the worker that end after `since`."""
    query = (
        store.bookings(company_id)
        .where(filter=FieldFilter("worker_ids", "array_contains", worker_id))
        .where(filter=FieldFilter("end", ">", since))
    )
    return [Booking.from_record(snapshot.id, snapshot.to_dict()) for snapshot in query.stream()]


def worker_blocks(
    store: Store, company_id: str, worker_id: str, since: datetime
) -> list[UnavailableBlock]:
    """The worker's unavailable blocks (tombstones included) that end after `since`."""
    query = (
        store.unavailability(company_id)
        .where(filter=FieldFilter("worker_id", "==", worker_id))
        .where(filter=FieldFilter("end", ">", since))
    )
    return [
        UnavailableBlock.from_record(snapshot.id, snapshot.to_dict()) for snapshot in query.stream()
    ]


def bookings_by_id(store: Store, company_id: str, ids: list[str]) -> dict[str, Booking]:
    return _by_id(store, store.bookings(company_id), ids, Booking.from_record)


def blocks_by_id(store: Store, company_id: str, ids: list[str]) -> dict[str, UnavailableBlock]:
    return _by_id(store, store.unavailability(company_id), ids, UnavailableBlock.from_record)


def _by_id(store: Store, collection, ids: list[str], make) -> dict:
    if not ids:
        return {}  # Firestore refuses a read of no documents
    refs = [collection.document(item_id) for item_id in ids]
    return {s.id: make(s.id, s.to_dict()) for s in store.client.get_all(refs) if s.exists}


def event_links(store: Store, company_id: str, worker_id: str, since: datetime) -> list[EventLink]:
    """The worker's link records of what ends after `since`."""
    query = (
        store.event_links(company_id)
        .where(filter=FieldFilter("worker_id", "==", worker_id))
        .where(filter=FieldFilter("end", ">", since))
    )
    return [EventLink.from_record(snapshot.to_dict()) for snapshot in query.stream()]


def links_by_key(store: Store, company_id: str, worker_id: str, keys: list[str]) -> list[EventLink]:
    """The worker's link records of `keys` (those that exist)."""
    if not keys:
        return []
    refs = [store.event_links(company_id).document(link_id(worker_id, key)) for key in keys]
    return [EventLink.from_record(s.to_dict()) for s in store.client.get_all(refs) if s.exists]


def item_links(store: Store, company_id: str, kind: str, item_id: str) -> list[EventLink]:
    """Every worker's link record of one booking or block."""
    query = (
        store.event_links(company_id)
        .where(filter=FieldFilter("kind", "==", kind))
        .where(filter=FieldFilter("item_id", "==", item_id))
    )
    return [EventLink.from_record(snapshot.to_dict()) for snapshot in query.stream()]


def save_links(store: Store, company_id: str, links: list[EventLink]) -> None:
    """Write link records in batched commits (at most _BATCH writes each)."""
    for start in range(0, len(links), _BATCH):
        batch = store.client.batch()
        for link in links[start : start + _BATCH]:
            ref = store.event_links(company_id).document(link_id(link.worker_id, link.key))
            batch.set(ref, link.to_record())
        batch.commit()
