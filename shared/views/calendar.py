"""The read side: what the platform's calendar page, its booking form and its admins see.

- `calendar`: bookings, unavailable time and Google busy blocks in a range.
- `availability`: per worker, merged busy time and the free time between.
- `conflicts`: bookings that overlap the worker's own Google busy time.
- `booking_conflicts`: the same for one booking, for GET /bookings/{id}/sync.

Everything is read with range queries (a few per request, whatever the company's size);
the rules of busy, free and conflict are `shared/domain/availability.py`'s.

Who sees what: admins see every worker; a fieldworker only itself. A Google event's
title is shown only to admins and the worker whose calendar it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from google.cloud.firestore_v1.base_query import FieldFilter

from shared.domain import availability
from shared.domain.availability import Interval
from shared.domain.booking import Booking, BookingStatus, UnavailableBlock
from shared.domain.busy import BusyTime
from shared.domain.company import Company
from shared.domain.rendering import UNAVAILABLE_TITLE, booking_title
from shared.domain.worker import Worker
from shared.errors import Forbidden, NotFound
from shared.inputs import CalendarQuery, RangeQuery
from shared.security import Principal
from shared.store import records
from shared.store.firestore import Store

# Firestore's `in` and `array-contains-any` take at most 30 values.
_IN_LIMIT = 30


@dataclass(frozen=True)
class GoogleBusy:
    """An imported busy block as one worker sees it (all-day blocks on the worker's own
    midnights: two workers sharing an account need not share a zone)."""

    id: str
    worker_id: str
    calendar_id: str
    start: datetime
    end: datetime
    all_day: bool
    summary: str | None
    start_date: date | None = None
    end_date: date | None = None

    def to_view(self, titled: bool) -> dict:
        view = {
            "id": self.id,
            "worker_id": self.worker_id,
            "calendar_id": self.calendar_id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "all_day": self.all_day,
            "summary": self.summary if titled else None,
        }
        if self.all_day:
            view["start_date"] = self.start_date.isoformat() if self.start_date else None
            view["end_date"] = self.end_date.isoformat() if self.end_date else None
        return view


# -- the views -----------------------------------------------------------------------


def calendar(store: Store, company_id: str, principal: Principal, query: CalendarQuery) -> dict:
    """GET /calendar."""
    look = _Look.read(store, company_id, principal, query)
    bookings = [
        {
            "id": b.id,
            # A fieldworker is not told who else works a job.
            "worker_ids": list(b.worker_ids) if principal.is_admin else [principal.worker_id],
            "start": b.start.isoformat(),
            "end": b.end.isoformat(),
            "status_id": b.status_id,
            "title": booking_title(b, look.status(b)),
        }
        for b in look.bookings
    ]
    unavailable = [
        {
            "id": u.id,
            "worker_id": u.worker_id,
            "start": u.start.isoformat(),
            "end": u.end.isoformat(),
            "title": u.title or UNAVAILABLE_TITLE,
        }
        for u in look.unavailable
    ]
    busy = [
        b.to_view(_titled(principal, b.worker_id))
        for b in look.busy
        if query.calendar_ids is None or b.calendar_id in query.calendar_ids
    ]
    return {"bookings": bookings, "unavailable": unavailable, "busy": busy}


def availability_view(
    store: Store, company_id: str, principal: Principal, query: RangeQuery
) -> dict:
    """GET /availability."""
    look = _Look.read(store, company_id, principal, query)
    intervals: dict[str, list[Interval]] = {worker_id: [] for worker_id in look.workers}
    for booking in look.bookings:
        if availability.occupies(booking, look.status(booking)):
            for worker_id in booking.worker_ids:
                if worker_id in intervals:
                    intervals[worker_id].append(Interval(booking.start, booking.end, "booking"))
    for block in look.unavailable:
        intervals[block.worker_id].append(Interval(block.start, block.end, "unavailable"))
    for busy in look.busy:
        intervals[busy.worker_id].append(Interval(busy.start, busy.end, "google"))
    workers = {}
    for worker_id, found in intervals.items():
        spans = availability.merge(found, query.since, query.until)
        workers[worker_id] = {
            "busy": [
                {
                    "start": s.start.isoformat(),
                    "end": s.end.isoformat(),
                    "source": s.source,
                    "sources": list(s.sources),
                }
                for s in spans
            ],
            "free": [
                {"start": start.isoformat(), "end": end.isoformat()}
                for start, end in availability.free(spans, query.since, query.until)
            ],
        }
    return {"workers": workers}


def conflicts(store: Store, company_id: str, principal: Principal, query: RangeQuery) -> dict:
    """GET /conflicts: each (booking, worker, busy block) that overlap, in time order."""
    look = _Look.read(store, company_id, principal, query)
    by_worker: dict[str, list[GoogleBusy]] = {}
    for busy in look.busy:
        by_worker.setdefault(busy.worker_id, []).append(busy)
    found = []
    for booking in look.bookings:
        if not availability.occupies(booking, look.status(booking)):
            continue
        for worker_id in booking.worker_ids:
            for busy in _overlapping(booking, by_worker.get(worker_id, ())):
                found.append(
                    {
                        "booking_id": booking.id,
                        "worker_id": worker_id,
                        "booking": {
                            "start": booking.start.isoformat(),
                            "end": booking.end.isoformat(),
                        },
                        "busy": busy.to_view(_titled(principal, worker_id)),
                    }
                )
    found.sort(key=lambda c: (c["booking"]["start"], c["booking_id"], c["worker_id"]))
    return {"conflicts": found}


def booking_conflicts(
    store: Store,
    company: Company,
    booking: Booking,
    status: BookingStatus | None,
    workers: Iterable[Worker],
) -> dict[str, list[dict]]:
    """Per assigned worker, the Google busy blocks the booking overlaps (admins' view)."""
    assigned = [w for w in workers if w.id in booking.worker_ids]
    if not company.imports or not availability.occupies(booking, status):
        return {w.id: [] for w in assigned}
    busy = _google_busy(store, company.id, assigned, booking.start, booking.end)
    return {
        worker.id: [
            b.to_view(titled=True)
            for b in _overlapping(booking, (b for b in busy if b.worker_id == worker.id))
        ]
        for worker in assigned
    }


# -- reading a range -----------------------------------------------------------------


@dataclass(frozen=True)
class _Look:
    """What a view reads: the workers looked at and their items in the range."""

    workers: dict[str, Worker]
    statuses: dict[str, BookingStatus]
    bookings: list[Booking]
    unavailable: list[UnavailableBlock]
    busy: list[GoogleBusy]

    @classmethod
    def read(cls, store: Store, company_id: str, principal: Principal, query: RangeQuery):
        workers = _workers(store, company_id, principal, query.worker_ids)
        company = records.company(store, company_id)
        since, until = query.since, query.until
        ids = sorted(workers)
        return cls(
            workers=workers,
            statuses=records.booking_statuses(store, company_id),
            bookings=_bookings(store, company_id, ids, since, until),
            unavailable=_unavailable(store, company_id, ids, since, until),
            busy=(
                _google_busy(store, company_id, workers.values(), since, until)
                if company.imports
                else []
            ),
        )

    def status(self, booking: Booking) -> BookingStatus:
        found = self.statuses.get(booking.status_id)
        return found or BookingStatus(booking.status_id, booking.status_id, "", False, False)


def _workers(
    store: Store, company_id: str, principal: Principal, asked: list[str] | None
) -> dict[str, Worker]:
    """The workers a view is about: those asked for (all, for an admin who names none); a
    fieldworker sees only itself."""
    if not principal.is_admin:
        if asked is not None and set(asked) != {principal.worker_id}:
            raise Forbidden("a fieldworker sees only itself", field="worker_ids")
        asked = [principal.worker_id or ""]
    if asked is None:
        return {w.id: w for w in records.workers(store, company_id)}
    refs = [store.worker(company_id, worker_id) for worker_id in sorted(set(asked))]
    found = {
        s.id: Worker.from_record(s.id, s.to_dict() or {})
        for s in store.client.get_all(refs)
        if s.exists
    }
    missing = sorted(set(asked) - set(found))
    if missing:
        raise NotFound(f"no worker {missing[0]}", field="worker_ids")
    return found


def _in_range(collection, since: datetime, until: datetime, start="start", end="end"):
    return collection.where(filter=FieldFilter(end, ">", since)).where(
        filter=FieldFilter(start, "<", until)
    )


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for first in range(0, len(values), _IN_LIMIT):
        yield values[first : first + _IN_LIMIT]


def _bookings(
    store: Store, company_id: str, worker_ids: list[str], since: datetime, until: datetime
) -> list[Booking]:
    """Live bookings in the range with at least one of the workers."""
    found: dict[str, Booking] = {}
    for chunk in _chunks(worker_ids):
        query = _in_range(store.bookings(company_id), since, until).where(
            filter=FieldFilter("worker_ids", "array_contains_any", chunk)
        )
        for snapshot in query.stream():
            booking = Booking.from_record(snapshot.id, snapshot.to_dict() or {})
            if not booking.deleted:
                found[booking.id] = booking
    return sorted(found.values(), key=lambda b: (b.start, b.id))


def _unavailable(
    store: Store, company_id: str, worker_ids: list[str], since: datetime, until: datetime
) -> list[UnavailableBlock]:
    found = []
    for chunk in _chunks(worker_ids):
        query = _in_range(store.unavailability(company_id), since, until).where(
            filter=FieldFilter("worker_id", "in", chunk)
        )
        for snapshot in query.stream():
            block = UnavailableBlock.from_record(snapshot.id, snapshot.to_dict() or {})
            if not block.deleted:
                found.append(block)
    return sorted(found, key=lambda u: (u.start, u.id))


def _google_busy(
    store: Store, company_id: str, workers: Iterable[Worker], since: datetime, until: datetime
) -> list[GoogleBusy]:
    """Imported busy blocks of the workers' Google accounts that fall in the range, once
    per worker on the account."""
    on_account: dict[str, list[Worker]] = {}
    for worker in workers:
        sub = worker.connection.google_sub
        if sub and worker.connection.state.linked:
            on_account.setdefault(sub, []).append(worker)
    found = []
    for chunk in _chunks(sorted(on_account)):
        query = _in_range(
            store.busy_blocks(company_id), since, until, "range_start", "range_end"
        ).where(filter=FieldFilter("sub", "in", chunk))
        for snapshot in query.stream():
            record = snapshot.to_dict() or {}
            busy = _busy_time(record)
            for worker in on_account.get(record.get("sub", ""), ()):
                seen = _as_seen_by(snapshot.id, record, busy, worker)
                if seen.start < until and seen.end > since:
                    found.append(seen)
    return sorted(found, key=lambda b: (b.start, b.id, b.worker_id))


def _busy_time(record: dict) -> BusyTime:
    start_date, end_date = record.get("start_date"), record.get("end_date")
    return BusyTime(
        event_id=record.get("event_id", ""),
        summary=record.get("summary"),
        start=record.get("start"),
        end=record.get("end"),
        start_date=date.fromisoformat(start_date) if start_date else None,
        end_date=date.fromisoformat(end_date) if end_date else None,
    )


def _as_seen_by(block_id: str, record: dict, busy: BusyTime, worker: Worker) -> GoogleBusy:
    zone = ZoneInfo(worker.timezone) if worker.timezone else UTC
    start, end = busy.interval(zone)  # type: ignore[arg-type]
    return GoogleBusy(
        id=block_id,
        worker_id=worker.id,
        calendar_id=record.get("calendar_id", ""),
        start=start,
        end=end,
        all_day=busy.all_day,
        summary=busy.summary,
        start_date=busy.start_date,
        end_date=busy.end_date,
    )


def _overlapping(booking: Booking, busy: Iterable[GoogleBusy]) -> list[GoogleBusy]:
    span = Interval(booking.start, booking.end, "booking")
    return [b for b in busy if span.overlaps(Interval(b.start, b.end, "google"))]


def _titled(principal: Principal, worker_id: str) -> bool:
    """Whether the viewer may read a Google event's title: admins and the worker itself."""
    return principal.is_admin or principal.worker_id == worker_id
