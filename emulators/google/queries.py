"""Reading events the way `events.list` and `events.instances` do: filters, recurring
expansion, ordering, paging and sync tokens.

A first page computes the whole answer at once and keeps it as a snapshot; page tokens point
into it, and its `nextSyncToken` is the calendar's change number at that moment, so changes
made while a client pages are picked up by its next incremental list.

Google may cut pages short or leave them empty while `nextPageToken` is present; the
`set_paging` test hook makes the stand-in do the same (see `PagingShape`).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from werkzeug.datastructures import MultiDict

from emulators.google import events
from emulators.google.calendars import Calendar, CalendarStore, StoredEvent
from emulators.google.errors import ApiError
from emulators.google.times import parse_instant

DEFAULT_PAGE_SIZE = 250
MAX_PAGE_SIZE = 2500
# Without timeMax, recurring events expand this far beyond today (or their first instance).
EXPANSION_HORIZON = timedelta(days=730)
FAR_FUTURE = datetime.fromisoformat("3000-01-01T00:00:00+00:00")
# Parameters Google refuses next to a syncToken: they would make the increment inconsistent.
NOT_WITH_SYNC_TOKEN = (
    "timeMin",
    "timeMax",
    "q",
    "updatedMin",
    "orderBy",
    "iCalUID",
    "privateExtendedProperty",
    "sharedExtendedProperty",
)


@dataclass
class ListQuery:
    """The parameters of one `events.list` call, checked."""

    single_events: bool = False
    show_deleted: bool = False
    time_min: datetime | None = None
    time_max: datetime | None = None
    updated_min: datetime | None = None
    order_by: str | None = None
    text: str | None = None
    ical_uid: str | None = None
    private: list[tuple[str, str]] = field(default_factory=list)
    shared: list[tuple[str, str]] = field(default_factory=list)
    event_types: frozenset[str] | None = None
    sync_token: str | None = None
    max_results: int = DEFAULT_PAGE_SIZE

    @property
    def incremental(self) -> bool:
        """Deleted events are shown (as stubs unless showDeleted) on incremental reads."""
        return self.sync_token is not None or self.updated_min is not None

    @classmethod
    def parse(cls, args: MultiDict) -> ListQuery:
        if args.get("syncToken"):
            clashing = [name for name in NOT_WITH_SYNC_TOKEN if args.get(name)]
            if clashing:
                raise ApiError(
                    400, f"The parameter {clashing[0]} cannot be used with a syncToken.", "invalid"
                )
        query = cls(
            single_events=_flag(args, "singleEvents"),
            show_deleted=_flag(args, "showDeleted"),
            time_min=_instant(args, "timeMin"),
            time_max=_instant(args, "timeMax"),
            updated_min=_instant(args, "updatedMin"),
            order_by=args.get("orderBy") or None,
            text=args.get("q") or None,
            ical_uid=args.get("iCalUID") or None,
            private=_properties(args, "privateExtendedProperty"),
            shared=_properties(args, "sharedExtendedProperty"),
            event_types=frozenset(args.getlist("eventTypes")) or None,
            sync_token=args.get("syncToken") or None,
            max_results=page_size(args),
        )
        if query.time_min and query.time_max and query.time_min >= query.time_max:
            raise ApiError(400, "The specified time range is empty.", "timeRangeEmpty")
        if query.order_by not in (None, "startTime", "updated"):
            raise ApiError(400, "Invalid value for: orderBy", "invalid")
        if query.order_by == "startTime" and not query.single_events:
            raise ApiError(
                400,
                "The requested ordering is not available for the particular query.",
                "badRequest",
            )
        return query


def page_size(args: MultiDict) -> int:
    try:
        size = int(args.get("maxResults", DEFAULT_PAGE_SIZE))
    except ValueError:
        raise ApiError(400, "Invalid value for: maxResults", "invalid") from None
    if size < 1:
        raise ApiError(400, "Invalid value for: maxResults", "invalid")
    return min(size, MAX_PAGE_SIZE)


def _flag(args: MultiDict, name: str) -> bool:
    return args.get(name, "false").lower() == "true"


def _instant(args: MultiDict, name: str) -> datetime | None:
    value = args.get(name)
    if not value:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise ApiError(400, f"Bad Request: invalid {name}", "badRequest") from None


def _properties(args: MultiDict, name: str) -> list[tuple[str, str]]:
    constraints = []
    for constraint in args.getlist(name):
        key, equals, value = constraint.partition("=")
        if not equals or not key:
            raise ApiError(400, f"Invalid value for: {name}", "invalid")
        constraints.append((key, value))
    return constraints


@dataclass(frozen=True)
class PagingShape:
    """How pages are cut (the `set_paging` test hook): at most `max_page_size` items per page
    (None: as many as asked), after `empty_pages` empty pages at the start of each listing."""

    max_page_size: int | None = None
    empty_pages: int = 0

    def __post_init__(self) -> None:
        size, empties = self.max_page_size, self.empty_pages
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
            raise ValueError(f"max_page_size must be a positive integer or None, not {size!r}")
        if not isinstance(empties, int) or isinstance(empties, bool) or empties < 0:
            raise ValueError(f"empty_pages must be a non-negative integer, not {empties!r}")


@dataclass
class _Snapshot:
    calendar_id: str
    items: list[dict]
    next_sync_token: str | None


@dataclass(frozen=True)
class _Cursor:
    """Where the next page of a listing starts; page tokens name cursors."""

    snapshot: _Snapshot
    shape: PagingShape  # as it was when the listing began
    offset: int = 0
    empty_pages: int = 0  # empty pages still due before the item at `offset`


class Pages:
    """Cursors into answers being paged through; the oldest are forgotten first."""

    CAPACITY = 1000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cursors: OrderedDict[str, _Cursor] = OrderedDict()
        self._shape = PagingShape()

    def set_shape(self, max_page_size: int | None = None, empty_pages: int = 0) -> None:
        """Cut the pages of listings started from now on this way; no arguments: normally."""
        shape = PagingShape(max_page_size, empty_pages)
        with self._lock:
            self._shape = shape

    def start(self, snapshot: _Snapshot) -> _Cursor:
        """The cursor of a new listing's first page."""
        with self._lock:
            shape = self._shape
        return _Cursor(snapshot, shape, empty_pages=shape.empty_pages)

    def start_listing(self, key: str, items: list[dict]) -> _Cursor:
        """The first page's cursor for a listing without sync tokens (e.g. calendarList);
        `key` names what is listed, so its page tokens work nowhere else."""
        return self.start(_Snapshot(key, items, None))

    def page(self, cursor: _Cursor, size: int) -> dict:
        """One page: items plus nextPageToken, or nextSyncToken on the last page only."""
        snapshot = cursor.snapshot
        if cursor.empty_pages:
            items: list[dict] = []
            following: _Cursor | None = replace(cursor, empty_pages=cursor.empty_pages - 1)
        else:
            end = cursor.offset + min(size, cursor.shape.max_page_size or size)
            items = snapshot.items[cursor.offset : end]
            following = replace(cursor, offset=end) if end < len(snapshot.items) else None
        if following is None:
            tail = {"nextSyncToken": snapshot.next_sync_token} if snapshot.next_sync_token else {}
            return {"items": items, **tail}
        key = secrets.token_urlsafe(12)
        with self._lock:
            self._cursors[key] = following
            while len(self._cursors) > self.CAPACITY:
                self._cursors.popitem(last=False)
        return {"items": items, "nextPageToken": key}

    def resume(self, token: str, calendar_id: str) -> _Cursor:
        with self._lock:
            cursor = self._cursors.get(token)
        if cursor is None or cursor.snapshot.calendar_id != calendar_id:
            raise ApiError(400, "Invalid page token value.", "invalid")
        return cursor

    def reset(self) -> None:
        """Forget every cursor and page normally again."""
        with self._lock:
            self._cursors.clear()
            self._shape = PagingShape()


def list_events(store: CalendarStore, pages: Pages, calendar: Calendar, args: MultiDict) -> dict:
    """The body of an `events.list` answer."""
    query = ListQuery.parse(args)
    if args.get("pageToken"):
        cursor = pages.resume(args["pageToken"], calendar.id)
    else:
        with store.lock:
            after = store.changes_after(calendar, query.sync_token) if query.sync_token else 0
            changed = [s for s in calendar.events.values() if s.change > after]
            items = _select(calendar, changed, query)
            snapshot = _Snapshot(calendar.id, items, store.sync_token(calendar))
        cursor = pages.start(snapshot)
    return _envelope(calendar) | pages.page(cursor, query.max_results)


def list_instances(
    store: CalendarStore, pages: Pages, calendar: Calendar, event_id: str, args: MultiDict
) -> dict:
    """The body of an `events.instances` answer: one series, expanded, exceptions applied."""
    if args.get("pageToken"):
        cursor = pages.resume(args["pageToken"], calendar.id)
    else:
        query = ListQuery(
            single_events=True,
            show_deleted=_flag(args, "showDeleted"),
            time_min=_instant(args, "timeMin"),
            time_max=_instant(args, "timeMax"),
        )
        with store.lock:
            master = store.get_event(calendar, event_id)
            if "recurrence" not in master:
                raise ApiError(400, "The event is not a recurring event.", "invalid")
            series = [
                stored
                for stored in calendar.events.values()
                if stored.resource["id"] == event_id
                or stored.resource.get("recurringEventId") == event_id
            ]
            snapshot = _Snapshot(calendar.id, _select(calendar, series, query), None)
        cursor = pages.start(snapshot)
    return _envelope(calendar) | pages.page(cursor, page_size(args))


def _envelope(calendar: Calendar) -> dict:
    envelope = {
        "kind": "calendar#events",
        "etag": f'"{calendar.change}"',  # of the collection: moves with every event change
        "summary": calendar.summary,
        "updated": calendar.updated,
        "timeZone": calendar.time_zone,
        "accessRole": "owner",
        "defaultReminders": calendar.list_entry()["defaultReminders"],
    }
    if calendar.description:
        envelope["description"] = calendar.description
    return envelope


def _select(calendar: Calendar, candidates: Iterable[StoredEvent], query: ListQuery) -> list[dict]:
    """The listed items among `candidates`, filtered, expanded and ordered as the query says."""
    zone = calendar.zone
    items = []
    for stored in candidates:
        event = stored.resource
        if query.single_events and "recurrence" in event:
            upper = query.time_max or _horizon(event, zone)
            for occurrence in events.instances(event, zone, query.time_min, upper):
                if occurrence["id"] not in calendar.events:  # exceptions are listed themselves
                    items.append(occurrence)
        elif _in_window(event, zone, query):
            items.append(event)
    items = [item for item in items if _visible(item, calendar, query) and _matches(item, query)]
    if query.order_by == "startTime":
        items.sort(key=lambda item: events.times(item)[0].instant(zone))
    elif query.order_by == "updated":
        items.sort(key=lambda item: item["updated"])
    show_details = query.show_deleted
    return [
        events.cancelled_stub(item) if item["status"] == "cancelled" and not show_details else item
        for item in items
    ]


def _horizon(event: dict, zone) -> datetime:
    first = events.times(event)[0].instant(zone)
    return max(datetime.now(first.tzinfo), first) + EXPANSION_HORIZON


def _in_window(event: dict, zone, query: ListQuery) -> bool:
    if query.time_min is None and query.time_max is None:
        return True
    if "recurrence" in event:  # listed when any of its instances overlaps the window
        upper = query.time_max or FAR_FUTURE
        return next(events.instances(event, zone, query.time_min, upper), None) is not None
    start, end = (value.instant(zone) for value in events.times(event))
    after_min = query.time_min is None or end > query.time_min
    before_max = query.time_max is None or start < query.time_max
    return after_min and before_max


def _visible(item: dict, calendar: Calendar, query: ListQuery) -> bool:
    """Cancelled items show on incremental reads or with showDeleted; cancelled exceptions of a
    live series also show when the series is not expanded (clients need them to hide instances)."""
    if item["status"] != "cancelled" or query.show_deleted or query.incremental:
        return True
    if query.single_events or "recurringEventId" not in item:
        return False
    master = calendar.events.get(item["recurringEventId"])
    return master is not None and master.resource["status"] != "cancelled"


def _matches(item: dict, query: ListQuery) -> bool:
    if query.updated_min and parse_instant(item["updated"]) < query.updated_min:
        return False
    if query.ical_uid and item.get("iCalUID") != query.ical_uid:
        return False
    if query.event_types and item.get("eventType", "default") not in query.event_types:
        return False
    properties = item.get("extendedProperties", {})
    for scope, constraints in (("private", query.private), ("shared", query.shared)):
        values = properties.get(scope, {})
        if any(values.get(key) != value for key, value in constraints):
            return False
    return query.text is None or query.text.lower() in _searchable(item)


def _searchable(item: dict) -> str:
    people = [item.get("organizer", {})] + item.get("attendees", [])
    texts = [item.get(name, "") for name in ("summary", "description", "location")]
    texts += [person.get(key, "") for person in people for key in ("displayName", "email")]
    return "\n".join(texts).lower()
