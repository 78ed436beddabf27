"""The push step of a sync, for one worker: gather, plan, apply.

1. Gather: the worker's desired events (`desired_events`, pure) from the bookings assigned
   to it in a status that pushes and its unavailable blocks, from `PUSH_WINDOW` back
   onward; and its link records, what we last wrote.
2. Plan: `plan.py` compares them (pure).
3. Apply: the actions that call Google go out through the Calendar port, up to
   `MAX_BATCH` in one batch request, and each one's link record is written as its answer
   lands (batched Firestore writes), so a sync that stops half-way keeps what it did.

A change that leaves an event's content as it was sends nothing; a change that alters it
sends one call (no read before write). Google's answers, per event:
- a refusal (e.g. 400) is kept on that event's link record (`failed`, shown by
  `GET /bookings/{id}/sync`) and not tried again until the content changes;
- a rate limit or Google's own failure raises `RetryLater` once the other answers are
  stored: the task is retried, and the retry sends only what is still different;
- an insert that got no answer, or Google's failure (5xx), may have made its event all the
  same: it is recorded as ours with its content unknown, so the retry writes it (an update
  finds it or puts it back) or, should the booking have left meanwhile, deletes or detaches
  it: no event of ours is left that nothing knows of;
- the company calendar gone (404) raises `CalendarGone`: the sync makes a new one and
  pushes everything again.

The calls keep to the account's `CallBudget` (domain/pacing.py): when it is spent the push
raises `Paced`, and the sync goes on once Google's per-user quota allows it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from googleapiclient.errors import HttpError

from shared.domain.booking import (
    Booking,
    BookingStatus,
    EventKey,
    UnavailableBlock,
    event_id,
)
from shared.domain.event_link import EventLink, LinkState
from shared.domain.pacing import CallBudget, Paced
from shared.domain.rendering import content_hash, render_booking, render_unavailable
from shared.domain.worker import Worker
from shared.errors import RetryLater
from shared.google.calendar import (
    MAX_BATCH,
    Calendar,
    CalendarGone,
    EventGone,
    EventWrite,
    WriteOutcome,
)
from shared.google.errors import NO_ANSWER, is_transient, maybe_done, reason
from shared.store import records
from shared.store.firestore import Store
from shared.sync.plan import (
    CALLS,
    Action,
    Delete,
    Desired,
    Detach,
    Forget,
    Insert,
    Leaving,
    Touch,
    Update,
    drift,
    plan,
)

log = logging.getLogger(__name__)

# Bookings and blocks that ended longer ago than this are not pushed, and their events
# are left as they are (the first push after connecting starts here).
PUSH_WINDOW = timedelta(days=30)


@dataclass
class Pushed:
    """What one worker's push did, for the log and the connection's first-sync count."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    detached: int = 0
    refused: int = 0
    repaired: int = 0  # drift: events missing from Google or edited there, written again
    deleted_extra: int = 0  # drift: events of ours nothing accounts for, deleted

    @property
    def calls(self) -> int:
        return self.inserted + self.updated + self.deleted + self.deleted_extra


# -- gather -----------------------------------------------------------------------


def desired_events(
    company_id: str,
    worker: Worker,
    bookings: Iterable[Booking],
    statuses: dict[str, BookingStatus],
    blocks: Iterable[UnavailableBlock],
) -> list[Desired]:
    """The events `worker`'s company calendar should hold: its bookings in a status that
    pushes, and its unavailable blocks; nothing for an inactive worker."""
    events = []
    for booking in bookings:
        if _pushes(worker, booking, statuses):
            status = statuses[booking.status_id]
            body = render_booking(booking, status, worker.display_name, company_id, worker.id)
            key = EventKey.booking(booking.id)
            events.append(
                _desired(company_id, worker.id, key, booking, body, status.delete_from_google)
            )
    for block in blocks:
        if _pushes(worker, block, statuses):
            body = render_unavailable(block, company_id, worker.id)
            key = EventKey.unavailable(block.id)
            # A block has no status: when it goes, its busy event goes with it.
            events.append(_desired(company_id, worker.id, key, block, body, True))
    return events


def _desired(
    company_id: str,
    worker_id: str,
    key: EventKey,
    item: Booking | UnavailableBlock,
    body: dict,
    deletes_on_removal: bool,
) -> Desired:
    return Desired(
        key=str(key),
        event_id=event_id(company_id, worker_id, key, item.generation),
        body=body,
        content_hash=content_hash(body),
        version=item.version,
        end=item.end,
        deletes_on_removal=deletes_on_removal,
    )


def _pushes(
    worker: Worker, item: Booking | UnavailableBlock, statuses: dict[str, BookingStatus]
) -> bool:
    """Whether `item` belongs in the worker's calendar (whatever its time)."""
    if not worker.active or item.deleted:
        return False
    if isinstance(item, UnavailableBlock):
        return item.worker_id == worker.id
    status = statuses.get(item.status_id)
    return worker.id in item.worker_ids and status is not None and status.push_to_google


def leaving(
    worker: Worker,
    links: Iterable[EventLink],
    desired: Iterable[Desired],
    items: dict[str, Booking | UnavailableBlock],
    statuses: dict[str, BookingStatus],
    since: datetime,
) -> tuple[list[EventLink], dict[str, Leaving]]:
    """The links the plan looks at, and for each linked key no longer desired what its
    booking (or block) says now. A key whose item would still be pushed but ended before
    `since` is left out: its event stays as it is."""
    wanted = {event.key for event in desired}
    looked_at, gone = [], {}
    for link in links:
        item = items.get(link.key)
        if link.key not in wanted and item is not None:
            if item.end <= since and _pushes(worker, item, statuses):
                continue
            status = statuses.get(item.status_id) if isinstance(item, Booking) else None
            gone[link.key] = Leaving(item.version, bool(status and status.delete_from_google))
        looked_at.append(link)
    return looked_at, gone


@dataclass(frozen=True)
class Gathered:
    desired: list[Desired]
    links: list[EventLink]  # every link record read (end after the window's start)
    looked_at: list[EventLink]  # those the plan looks at (see `leaving`)
    gone: dict[str, Leaving]


def gather(store: Store, company_id: str, worker: Worker, since: datetime) -> Gathered:
    """Read what the plan needs for one worker from `since` on: desired events, links, and
    why linked keys leave."""
    statuses = records.booking_statuses(store, company_id)
    bookings = records.worker_bookings(store, company_id, worker.id, since)
    blocks = records.worker_blocks(store, company_id, worker.id, since)
    desired = desired_events(company_id, worker, bookings, statuses, blocks)
    links = records.event_links(store, company_id, worker.id, since)
    items: dict[str, Booking | UnavailableBlock] = {
        **{str(EventKey.booking(b.id)): b for b in bookings},
        **{str(EventKey.unavailable(b.id)): b for b in blocks},
    }
    missing = [EventKey.parse(link.key) for link in links if link.key not in items]
    found_bookings = records.bookings_by_id(
        store, company_id, [key.id for key in missing if key.kind == "booking"]
    )
    found_blocks = records.blocks_by_id(
        store, company_id, [key.id for key in missing if key.kind == "unavailable"]
    )
    items.update({str(EventKey.booking(i)): b for i, b in found_bookings.items()})
    items.update({str(EventKey.unavailable(i)): b for i, b in found_blocks.items()})
    looked_at, gone = leaving(worker, links, desired, items, statuses, since)
    return Gathered(desired, links, looked_at, gone)


def gather_keys(
    store: Store, company_id: str, worker: Worker, since: datetime, keys: Iterable[str]
) -> Gathered:
    """`gather`, for just the changed `keys` (a booking or block mutation's look): reads in
    proportion to the change, not to the worker's calendar."""
    parsed = [EventKey.parse(key) for key in sorted(set(keys))]
    statuses = records.booking_statuses(store, company_id)
    bookings = records.bookings_by_id(
        store, company_id, [key.id for key in parsed if key.kind == "booking"]
    )
    blocks = records.blocks_by_id(
        store, company_id, [key.id for key in parsed if key.kind == "unavailable"]
    )
    desired = desired_events(
        company_id,
        worker,
        [booking for booking in bookings.values() if booking.end > since],
        statuses,
        [block for block in blocks.values() if block.end > since],
    )
    links = records.links_by_key(store, company_id, worker.id, [str(key) for key in parsed])
    items: dict[str, Booking | UnavailableBlock] = {
        **{str(EventKey.booking(i)): b for i, b in bookings.items()},
        **{str(EventKey.unavailable(i)): b for i, b in blocks.items()},
    }
    looked_at, gone = leaving(worker, links, desired, items, statuses, since)
    return Gathered(desired, links, looked_at, gone)


# -- apply ------------------------------------------------------------------------


def push_worker(
    store: Store,
    calendar: Calendar,
    company_id: str,
    worker: Worker,
    calendar_id: str,
    since: datetime,
    google_events: list[dict] | None = None,
    keys: Sequence[str] | None = None,
    budget: CallBudget | None = None,
) -> Pushed:
    """Bring the worker's events in company calendar `calendar_id` to the desired state,
    for what ends after `since` (see PUSH_WINDOW). With `google_events` (the calendar's
    live events of the company ending after the same `since`, listed by the daily
    reconcile), what Google really holds corrects the links first, and events of ours
    that no link accounts for are deleted. With `keys`, only those keys are looked at.
    Calls are taken from `budget` (none: unpaced); `Paced` when it runs out."""
    if keys is not None and google_events is None:
        found = gather_keys(store, company_id, worker, since, keys)
    else:
        found = gather(store, company_id, worker, since)
    links = found.looked_at
    drifted = None
    if google_events is not None:
        # Judged against every link read: an event left alone (it ended before the
        # window) is still accounted for.
        drifted = drift(found.links, google_events, worker.id, calendar_id)
        corrected = {link.key: link for link in drifted.links}
        links = [corrected[link.key] for link in found.looked_at]
    actions = plan(found.desired, links, calendar_id, found.gone)
    pushed = apply(store, calendar, company_id, worker.id, calendar_id, actions, budget)
    if drifted is not None:
        pushed.repaired = drifted.missing + drifted.edited
        pushed.deleted_extra = _delete_extra(calendar, calendar_id, drifted.extra, budget)
    return pushed


def _chunks(items: Sequence, budget: CallBudget | None) -> Iterable[Sequence]:
    """`items` in batches of at most MAX_BATCH, each as large as the budget allows now;
    `Paced` when it allows none."""
    start = 0
    while start < len(items):
        size = min(MAX_BATCH, len(items) - start)
        if budget is not None:
            now = datetime.now(UTC)
            size = budget.take(size, now)
            if not size:
                raise Paced(budget.resume_at(now))
        yield items[start : start + size]
        start += size


def _delete_extra(
    calendar: Calendar, calendar_id: str, event_ids: list[str], budget: CallBudget | None
) -> int:
    """Delete events of ours that no link accounts for (their records are not ours to
    write: the key's record may name another event)."""
    stop: Exception | None = None
    deleted = 0
    for ids in _chunks(event_ids, budget):
        chunk = [EventWrite("delete", event_id) for event_id in ids]
        for outcome in calendar.write_events(calendar_id, chunk):
            if isinstance(outcome, HttpError) and is_transient(outcome):
                stop = stop or RetryLater(f"Google answered {outcome.status_code}")
            elif isinstance(outcome, Exception):
                log.warning("could not delete an extra event: %s", outcome)
            else:
                deleted += 1
    if stop is not None:
        raise stop
    return deleted


def apply(
    store: Store,
    calendar: Calendar,
    company_id: str,
    worker_id: str,
    calendar_id: str,
    actions: Sequence[Action],
    budget: CallBudget | None = None,
) -> Pushed:
    pushed = Pushed()
    now = datetime.now(UTC)
    quiet = [action for action in actions if not isinstance(action, CALLS)]
    records.save_links(
        store, company_id, [_recorded(a, worker_id, calendar_id, now) for a in quiet]
    )
    pushed.detached = sum(1 for action in quiet if isinstance(action, Detach))
    calls = [action for action in actions if isinstance(action, CALLS)]
    # A revived booking's old event goes before its new one comes: both share one link
    # record, which must not forget an old event that Google refused to delete.
    inserted = {action.desired.key for action in calls if isinstance(action, Insert)}
    first = [a for a in calls if isinstance(a, Delete) and a.link.key in inserted]
    send = functools.partial(_send, store, calendar, company_id, worker_id, calendar_id)
    refused = send(first, pushed, budget)
    rest = [
        action
        for action in calls
        if action not in first
        and not (isinstance(action, Insert) and action.desired.key in refused)
    ]
    send(rest, pushed, budget)
    return pushed


def _send(
    store: Store,
    calendar: Calendar,
    company_id: str,
    worker_id: str,
    calendar_id: str,
    calls: Sequence[Action],
    pushed: Pushed,
    budget: CallBudget | None,
) -> set[str]:
    """Send `calls` in batches, storing each one's outcome; returns the keys refused."""
    refused: set[str] = set()
    try:
        for chunk in _chunks(calls, budget):
            try:
                outcomes = calendar.write_events(calendar_id, [_write(a) for a in chunk])
            except (*NO_ANSWER, HttpError) as exc:
                if maybe_done(exc):
                    _unanswered(store, company_id, worker_id, calendar_id, chunk)
                raise
            refused |= _land(store, company_id, worker_id, calendar_id, chunk, outcomes, pushed)
    except Paced as paced:
        paced.inserted = pushed.inserted  # the first sync's progress so far
        raise
    return refused


def _write(action: Action) -> EventWrite:
    if isinstance(action, Insert):
        return EventWrite("insert", action.desired.event_id, action.desired.body)
    if isinstance(action, Update):
        return EventWrite("update", action.desired.event_id, action.desired.body, action.link.etag)
    assert isinstance(action, Delete)
    assert action.link.event_id is not None
    return EventWrite("delete", action.link.event_id)


def _land(
    store: Store,
    company_id: str,
    worker_id: str,
    calendar_id: str,
    chunk: Sequence[Action],
    outcomes: Sequence[WriteOutcome],
    pushed: Pushed,
) -> set[str]:
    """Store what each write came to; then raise what must stop the sync. Returns the
    keys whose write Google refused."""
    now = datetime.now(UTC)
    landed: list[EventLink] = []
    refused: set[str] = set()
    stop: Exception | None = None
    for action, outcome in zip(chunk, outcomes, strict=True):
        if isinstance(outcome, CalendarGone):
            stop = outcome
        elif isinstance(outcome, HttpError) and is_transient(outcome):
            stop = stop or RetryLater(f"Google answered {outcome.status_code}")
            if isinstance(action, Insert) and maybe_done(outcome):
                landed.append(_maybe_written(action, worker_id, calendar_id, now))
        elif isinstance(outcome, EventGone):
            # It vanished between our read and our write: the retry plans it afresh.
            stop = stop or RetryLater("an event changed under us")
        elif isinstance(outcome, Exception):
            pushed.refused += 1
            record = _refused(action, outcome, worker_id, calendar_id, now)
            refused.add(record.key)
            landed.append(record)
            log.warning("Google refused %s for worker %s: %s", _name(action), worker_id, outcome)
        else:
            _count(action, pushed)
            landed.append(_recorded(action, worker_id, calendar_id, now, etag=outcome))
    records.save_links(store, company_id, landed)
    if stop is not None:
        raise stop
    return refused


def _unanswered(
    store: Store, company_id: str, worker_id: str, calendar_id: str, chunk: Sequence[Action]
) -> None:
    """A batch that got no answer: its inserts may have made their events."""
    now = datetime.now(UTC)
    records.save_links(
        store,
        company_id,
        [_maybe_written(a, worker_id, calendar_id, now) for a in chunk if isinstance(a, Insert)],
    )


def _maybe_written(action: Insert, worker_id: str, calendar_id: str, now: datetime) -> EventLink:
    """An insert whose outcome is unknown: the event may exist. Ours, with no content and no
    version confirmed (the booking's sync shows `pending`), so the plan writes it again or
    takes it away."""
    return replace(
        _recorded(action, worker_id, calendar_id, now), content_hash=None, etag=None, version=-1
    )


def _count(action: Action, pushed: Pushed) -> None:
    if isinstance(action, Insert):
        pushed.inserted += 1
    elif isinstance(action, Update):
        pushed.updated += 1
    else:
        pushed.deleted += 1


def _name(action: Action) -> str:
    return type(action).__name__.lower()


def _recorded(
    action: Action, worker_id: str, calendar_id: str, now: datetime, etag: str | None = None
) -> EventLink:
    """The link record once `action` has landed."""
    if isinstance(action, Insert | Update):
        event = action.desired
        return EventLink(
            worker_id=worker_id,
            key=event.key,
            state=LinkState.SYNCED,
            version=event.version,
            event_id=event.event_id,
            calendar_id=calendar_id,
            content_hash=event.content_hash,
            etag=etag,
            deletes_on_removal=event.deletes_on_removal,
            end=event.end,
            updated_at=now,
        )
    if isinstance(action, Touch):
        event = action.desired
        return replace(
            action.link,
            version=event.version,
            end=event.end,
            deletes_on_removal=event.deletes_on_removal,
        )
    if isinstance(action, Delete):
        return replace(
            action.link,
            state=LinkState.REMOVED,
            version=action.version,
            error=None,
            etag=None,
            updated_at=now,
        )
    if isinstance(action, Detach):
        return replace(
            action.link, state=LinkState.DETACHED, version=action.version, updated_at=now
        )
    assert isinstance(action, Forget)
    return replace(
        action.link,
        state=LinkState.REMOVED,
        event_id=None,
        calendar_id=None,
        etag=None,
        refused_hash=None,
        error=None,
        updated_at=now,
    )


def _refused(
    action: Action, error: Exception, worker_id: str, calendar_id: str, now: datetime
) -> EventLink:
    """The link record of a write Google refused: what was there stays, with the error."""
    message = f"Google refused the {_name(action)} ({_reason(error)})."
    if isinstance(action, Insert | Update):
        event = action.desired
        base = action.link if isinstance(action, Update) else None
        if base is None:
            base = EventLink(
                worker_id=worker_id, key=event.key, state=LinkState.FAILED, version=event.version
            )
        return replace(
            base,
            state=LinkState.FAILED,
            version=event.version,
            refused_hash=event.content_hash,
            error=message,
            end=event.end,
            updated_at=now,
        )
    assert isinstance(action, Delete)
    return replace(action.link, state=LinkState.FAILED, error=message, updated_at=now)


def _reason(error: Exception) -> str:
    if isinstance(error, HttpError):
        return reason(error) or str(error.status_code)
    return type(error).__name__
