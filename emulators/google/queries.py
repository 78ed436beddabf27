"""Reading lists the way `events.list`, `events.instances` and `calendarList.list` do: filters,
recurring expansion, ordering, paging and sync tokens.

A first page computes the whole answer at once and keeps it as a snapshot; page tokens point
into it, and its `nextSyncToken` is the calendar's change number at that moment, so changes
made while a client pages are picked up by its next incremental list. A page token is good
only with the very query that returned it (the same parameters apart from `pageToken`).

Google may cut pages short or leave them empty while `nextPageToken` is present ("Incomplete
pages can be detected by a non-empty nextPageToken"), so the stand-in does too: by default at
random (`RandomPaging`, seeded per stand-in, deterministic for a seed); the `set_paging` test
hook cuts them in a fixed way instead (`PagingShape`). Either way the pages of a listing hold
each item of its snapshot exactly once, in order.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import os
import random
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from werkzeug.datastructures import MultiDict

from emulators.google import events, times
from emulators.google.calendars import Calendar, CalendarStore, StoredEvent
from emulators.google.errors import ApiError, google_error
from emulators.google.times import parse_instant

DEFAULT_PAGE_SIZE = 250
MAX_PAGE_SIZE = 2500
CALENDAR_LIST_PAGE_SIZE = (100, 250)  # default, maximum
ACCESS_ROLES = ("freeBusyReader", "reader", "writerWithoutPrivateAccess", "writer", "owner")
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
CALENDAR_LIST_NOT_WITH_SYNC_TOKEN = ("minAccessRole", "showOwnOrganizationOnly")
# How far back `updatedMin` may reach; older answers 410 updatedMinTooLongAgo. Google does not
# publish the bound (it keeps deleted events for about a month); this stays on the safe side.
UPDATED_MIN_WINDOW = timedelta(days=28)
# Standard query parameters of every Google API: they shape the answer's encoding, not the
# query, so a page token stays good whatever they are.
SYSTEM_PARAMETERS = frozenset(
    {
        "$.xgafv",
        "access_token",
        "alt",
        "callback",
        "fields",
        "key",
        "oauth_token",
        "prettyPrint",
        "quotaUser",
        "upload_protocol",
        "uploadType",
        "userIp",
    }
)


class CalendarError(ApiError):
    """An error Google files under the `calendar` domain, naming the parameter at fault."""

    def __init__(self, status: int, message: str, reason: str, parameter: str) -> None:
        super().__init__(status, message, reason)
        self.parameter = parameter

    def response(self):
        response = google_error(self.status, self.message, self.reason, "calendar")
        body = json.loads(response.get_data())
        body["error"]["errors"][0].update(locationType="parameter", location=self.parameter)
        response.set_data(json.dumps(body))
        return response


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
    time_zone: str | None = None  # of the answer; None: the calendar's

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
            if args.get("showDeleted", "").lower() == "false":
                # Deletions are always part of an increment: hiding them is refused.
                raise ApiError(
                    400, "showDeleted cannot be set to false together with a syncToken.", "invalid"
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
            time_zone=_time_zone(args),
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
        if query.updated_min and query.updated_min < datetime.now(UTC) - UPDATED_MIN_WINDOW:
            raise CalendarError(
                410,
                "The requested minimum modification time lies too far in the past.",
                "updatedMinTooLongAgo",
                "updatedMin",
            )
        return query


def page_size(args: MultiDict, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE):
    """`maxResults`, clamped to `maximum`; 400 when it is not a positive integer."""
    try:
        size = int(args.get("maxResults", default))
    except ValueError:
        raise ApiError(400, "Invalid value for: maxResults", "invalid") from None
    if size < 1:
        raise ApiError(400, "Invalid value for: maxResults", "invalid")
    return min(size, maximum)


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


def _time_zone(args: MultiDict) -> str | None:
    name = args.get("timeZone") or None
    if name is not None:
        try:
            times.zone(name)
        except ValueError:
            raise ApiError(400, "Invalid time zone definition.", "invalid") from None
    return name


def _properties(args: MultiDict, name: str) -> list[tuple[str, str]]:
    constraints = []
    for constraint in args.getlist(name):
        key, equals, value = constraint.partition("=")
        if not equals or not key:
            raise ApiError(400, f"Invalid value for: {name}", "invalid")
        constraints.append((key, value))
    return constraints


def query_key(listing: str, args: MultiDict) -> str:
    """What a page token is bound to: what is listed and every parameter but the page token
    (and the standard ones that only shape the encoding of the answer)."""
    parameters = sorted(
        (name, value)
        for name, value in args.items(multi=True)
        if name != "pageToken" and name not in SYSTEM_PARAMETERS
    )
    return json.dumps([listing, parameters])


# -- paging -----------------------------------------------------------------
SEED_VARIABLE = "GOOGLE_STANDIN_PAGING_SEED"
DEFAULT_SEED = 0


@dataclass(frozen=True)
class PagingShape:
    """Pages cut in a fixed way (the `set_paging` test hook): at most `max_page_size` items per
    page (None: as many as asked), after `empty_pages` empty pages at the start of each
    listing. `PagingShape()` gives full pages, the one shape Google never promises."""

    max_page_size: int | None = None
    empty_pages: int = 0

    def __post_init__(self) -> None:
        size, empties = self.max_page_size, self.empty_pages
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
            raise ValueError(f"max_page_size must be a positive integer or None, not {size!r}")
        if not isinstance(empties, int) or isinstance(empties, bool) or empties < 0:
            raise ValueError(f"empty_pages must be a non-negative integer, not {empties!r}")


@dataclass(frozen=True)
class RandomPaging:
    """Pages cut at random, as Google may: each page is, by chance, short (down to empty) while
    `nextPageToken` is still present; an empty listing may start with empty pages too.

    A page's cut depends only on the seed, the listing's number (listings are numbered as they
    start, per stand-in) and the page's number within it, so a seed replays the same cuts
    whatever other listings run meanwhile."""

    seed: int
    short_chance: float = 0.3
    max_empty_run: int = 3  # consecutive empty pages at most, so every listing ends

    def cut(self, cursor: _Cursor, size: int) -> tuple[int, bool]:
        """How many of the remaining items the page holds, and whether it is short."""
        full = min(size, len(cursor.snapshot.items) - cursor.offset)
        chance = random.Random(f"{self.seed}/{cursor.listing}/{cursor.page}")
        if cursor.empty_run < self.max_empty_run and chance.random() < self.short_chance:
            return (chance.randrange(full) if full else 0), True
        return full, False


def seed_from_environment() -> int:
    """The paging seed: `$GOOGLE_STANDIN_PAGING_SEED` (an integer), else `DEFAULT_SEED`."""
    value = os.environ.get(SEED_VARIABLE, "").strip()
    if not value:
        return DEFAULT_SEED
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{SEED_VARIABLE} must be an integer, not {value!r}") from None


@dataclass
class _Snapshot:
    key: str  # see `query_key`: page tokens into this snapshot work with this query only
    items: list[dict]
    next_sync_token: str | None
    envelope: dict = field(default_factory=dict)  # the answer's fields besides the page


@dataclass(frozen=True)
class _Cursor:
    """Where the next page of a listing starts; page tokens name cursors."""

    snapshot: _Snapshot
    shape: PagingShape | RandomPaging  # as it was when the listing began
    listing: int = 0  # the listing's number, for RandomPaging
    offset: int = 0
    page: int = 0
    empty_pages: int = 0  # PagingShape: empty pages still due before the item at `offset`
    empty_run: int = 0  # empty pages just before this one


class Pages:
    """Cursors into answers being paged through; the oldest are forgotten first.

    Pages are cut at random by default (`RandomPaging` with the stand-in's seed: `seed`, else
    `$GOOGLE_STANDIN_PAGING_SEED`, else `DEFAULT_SEED`); `set_shape` cuts them in a fixed way
    instead, `randomize` and `reset` return to random cuts."""

    CAPACITY = 1000

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed_from_environment() if seed is None else seed
        self._lock = threading.Lock()
        self._cursors: OrderedDict[str, _Cursor] = OrderedDict()
        self._shape: PagingShape | RandomPaging = RandomPaging(self.seed)
        self._listings = itertools.count()

    def set_shape(self, max_page_size: int | None = None, empty_pages: int = 0) -> None:
        """Cut the pages of listings started from now on this way, not at random; no
        arguments: full pages."""
        shape = PagingShape(max_page_size, empty_pages)
        with self._lock:
            self._shape = shape

    def randomize(self, seed: int | None = None) -> None:
        """Cut pages at random again, from listing number 0, with `seed` (None: the
        stand-in's)."""
        shape = RandomPaging(self.seed if seed is None else seed)
        with self._lock:
            self._shape = shape
            self._listings = itertools.count()

    @property
    def shape(self) -> PagingShape | RandomPaging:
        with self._lock:
            return self._shape

    def start(self, snapshot: _Snapshot) -> _Cursor:
        """The cursor of a new listing's first page."""
        with self._lock:
            shape, listing = self._shape, next(self._listings)
        empties = shape.empty_pages if isinstance(shape, PagingShape) else 0
        return _Cursor(snapshot, shape, listing=listing, empty_pages=empties)

    def page(self, cursor: _Cursor, size: int) -> dict:
        """One page: items plus nextPageToken, or nextSyncToken on the last page only."""
        snapshot, shape = cursor.snapshot, cursor.shape
        if isinstance(shape, RandomPaging):
            count, short = shape.cut(cursor, size)
        elif cursor.empty_pages:
            count, short = 0, True
        else:
            count, short = min(size, shape.max_page_size or size), False
        end = min(cursor.offset + count, len(snapshot.items))
        items = snapshot.items[cursor.offset : end]
        if not short and end == len(snapshot.items):
            tail = {"nextSyncToken": snapshot.next_sync_token} if snapshot.next_sync_token else {}
            return {"items": items, **tail}
        following = replace(
            cursor,
            offset=end,
            page=cursor.page + 1,
            empty_pages=max(cursor.empty_pages - 1, 0) if not items else cursor.empty_pages,
            empty_run=cursor.empty_run + 1 if not items else 0,
        )
        key = secrets.token_urlsafe(12)
        with self._lock:
            self._cursors[key] = following
            while len(self._cursors) > self.CAPACITY:
                self._cursors.popitem(last=False)
        return {"items": items, "nextPageToken": key}

    def resume(self, token: str, key: str) -> _Cursor:
        """The cursor a page token names, if the request repeats the query it came from."""
        with self._lock:
            cursor = self._cursors.get(token)
        if cursor is None or cursor.snapshot.key != key:
            raise ApiError(400, "Invalid page token value.", "invalid")
        return cursor

    def reset(self) -> None:
        """Forget every cursor and cut pages at random again, with the stand-in's seed."""
        with self._lock:
            self._cursors.clear()
            self._shape = RandomPaging(self.seed)
            self._listings = itertools.count()


def _cursor(pages: Pages, key: str, args: MultiDict, snapshot) -> _Cursor:
    """The page token's cursor, or a new listing of `snapshot()` (called without a token)."""
    if args.get("pageToken"):
        return pages.resume(args["pageToken"], key)
    return pages.start(snapshot())


# -- events.list, events.instances --------------------------------------------
def list_events(store: CalendarStore, pages: Pages, calendar: Calendar, args: MultiDict) -> dict:
    """The body of an `events.list` answer."""
    query = ListQuery.parse(args)
    key = query_key(f"events/{calendar.id}", args)

    def snapshot() -> _Snapshot:
        with store.lock:
            after = store.changes_after(calendar, query.sync_token) if query.sync_token else 0
            changed = [s for s in calendar.events.values() if s.change > after]
            items = _select(calendar, changed, query)
            return _Snapshot(
                key,
                _shown_in(items, query.time_zone),
                store.sync_token(calendar),
                _envelope(calendar, query.time_zone),
            )

    cursor = _cursor(pages, key, args, snapshot)
    return cursor.snapshot.envelope | pages.page(cursor, query.max_results)


def list_instances(
    store: CalendarStore, pages: Pages, calendar: Calendar, event_id: str, args: MultiDict
) -> dict:
    """The body of an `events.instances` answer: one series, expanded, exceptions applied."""
    query = ListQuery(
        single_events=True,
        show_deleted=_flag(args, "showDeleted"),
        time_min=_instant(args, "timeMin"),
        time_max=_instant(args, "timeMax"),
        max_results=page_size(args),
        time_zone=_time_zone(args),
    )
    key = query_key(f"instances/{calendar.id}/{event_id}", args)

    def snapshot() -> _Snapshot:
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
            items = _shown_in(_select(calendar, series, query), query.time_zone)
            return _Snapshot(key, items, None, _envelope(calendar, query.time_zone))

    cursor = _cursor(pages, key, args, snapshot)
    return cursor.snapshot.envelope | pages.page(cursor, query.max_results)


def collection_etag(calendar: Calendar) -> str:
    """The etag of a calendar's events collection: it moves with every change to an event,
    to the calendar itself, and when its sync tokens are invalidated."""
    state = f"{calendar.id}\n{calendar.token_epoch}\n{calendar.change}\n{calendar.etag}"
    return f'"{hashlib.sha256(state.encode()).hexdigest()[:20]}"'


def _envelope(calendar: Calendar, time_zone: str | None) -> dict:
    envelope = {
        "kind": "calendar#events",
        "etag": collection_etag(calendar),
        "summary": calendar.summary,
        "updated": calendar.updated,
        "timeZone": time_zone or calendar.time_zone,
        "accessRole": "owner",
        "defaultReminders": calendar.list_entry()["defaultReminders"],
    }
    if calendar.description:
        envelope["description"] = calendar.description
    return envelope


def _shown_in(items: list[dict], time_zone: str | None) -> list[dict]:
    """The items as an answer in `time_zone` shows them (None: as stored, in the calendar's)."""
    if time_zone is None:
        return items
    return [events.shown_in(item, times.zone(time_zone)) for item in items]


# -- calendarList.list --------------------------------------------------------
def list_calendars(store: CalendarStore, pages: Pages, email: str, args: MultiDict) -> dict:
    """The body of a `calendarList.list` answer for the account `email`: every calendar is the
    account's own (accessRole owner), so any minAccessRole keeps them all."""
    sync_token = args.get("syncToken") or None
    if sync_token:
        clashing = [name for name in CALENDAR_LIST_NOT_WITH_SYNC_TOKEN if args.get(name)]
        if clashing:
            raise ApiError(
                400, f"The parameter {clashing[0]} cannot be used with a syncToken.", "invalid"
            )
        for name in ("showDeleted", "showHidden"):
            if args.get(name, "").lower() == "false":
                raise ApiError(
                    400, f"{name} cannot be set to false together with a syncToken.", "invalid"
                )
    if args.get("minAccessRole", "owner") not in ACCESS_ROLES:
        raise ApiError(400, "Invalid value for: minAccessRole", "invalid")
    show_deleted = _flag(args, "showDeleted")
    size = page_size(args, *CALENDAR_LIST_PAGE_SIZE)
    key = query_key(f"calendarList/{email.strip().lower()}", args)

    def snapshot() -> _Snapshot:
        with store.lock:
            calendars = store.calendars_of(email)
            after = _calendar_list_after(email, sync_token, calendars) if sync_token else None
            if after is None:  # a full listing
                shown = [c for c in calendars if show_deleted or not c.deleted]
            else:  # an increment: every entry changed since, deleted ones included
                shown = [c for c in calendars if _change_number(c) > after]
            entries = [calendar.list_entry() for calendar in shown]
            latest = max(_change_number(calendar) for calendar in calendars)
            return _Snapshot(
                key,
                entries,
                _calendar_list_token(email, latest),
                {"kind": "calendar#calendarList", "etag": _calendar_list_etag(calendars)},
            )

    cursor = _cursor(pages, key, args, snapshot)
    return cursor.snapshot.envelope | pages.page(cursor, size)


def _change_number(calendar: Calendar) -> int:
    """When the calendar itself last changed: its etag, drawn from the store's rising clock."""
    try:
        return int(calendar.etag.strip('"'))
    except ValueError:
        return 0


def _calendar_list_etag(calendars: Iterable[Calendar]) -> str:
    state = "\n".join(f"{calendar.id} {calendar.etag}" for calendar in calendars)
    return f'"{hashlib.sha256(state.encode()).hexdigest()[:20]}"'


def _calendar_list_token(email: str, number: int) -> str:
    raw = f"calendarList\n{email.strip().lower()}\n{number}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def _calendar_list_after(email: str, token: str, calendars: list[Calendar]) -> int:
    """The change number a calendarList sync token stands for; 410 once it cannot be served."""
    try:
        kind, owner, change = base64.urlsafe_b64decode(token).decode().split("\n")
        number = int(change)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "Invalid sync token value.", "invalid") from None
    latest = max(_change_number(calendar) for calendar in calendars)
    if kind != "calendarList" or owner != email.strip().lower() or number > latest:
        raise ApiError(
            410, "Sync token is no longer valid, a full sync is required.", "fullSyncRequired"
        )
    return number


# -- selecting events -------------------------------------------------------------
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
