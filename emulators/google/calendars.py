"""The stand-in's calendar data: each account's calendars, their events and change numbers.

One lock guards it all, so concurrent requests see each change whole. Every change to a
calendar's events takes the calendar's next change number; a sync token is such a number
(plus an epoch that invalidation replaces), and an incremental list returns every event whose
last change came after it. Deleted events stay as `cancelled` so their ids stay taken.
"""

from __future__ import annotations

import base64
import binascii
import copy
import itertools
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from emulators.google import events
from emulators.google.errors import ApiError
from emulators.google.times import now_timestamp, zone

PRIMARY = "primary"
DEFAULT_TIME_ZONE = "UTC"
CALENDAR_FIELDS = ("summary", "description", "location", "timeZone")

Listener = Callable[["Calendar", str], None]


@dataclass
class StoredEvent:
    resource: dict
    change: int  # the calendar's change number when this event last changed


@dataclass
class Calendar:
    id: str
    owner: str
    summary: str
    primary: bool
    created_by: str | None  # OAuth client that created it: what calendar.app.created may manage
    time_zone: str = DEFAULT_TIME_ZONE
    description: str | None = None
    location: str | None = None
    etag: str = ""
    updated: str = ""  # last change to the calendar or any of its events
    deleted: bool = False
    events: dict[str, StoredEvent] = field(default_factory=dict)
    change: int = 0
    token_epoch: str = field(default_factory=lambda: secrets.token_hex(4))
    resource_id: str = field(default_factory=lambda: secrets.token_urlsafe(20))  # for channels

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.time_zone)

    def organizer(self) -> dict:
        if self.primary:
            return {"email": self.id, "self": True}
        return {"email": self.id, "displayName": self.summary, "self": True}

    def resource(self) -> dict:
        """As `calendars.get` shows it."""
        body = {
            "kind": "calendar#calendar",
            "etag": self.etag,
            "id": self.id,
            "summary": self.summary,
            "timeZone": self.time_zone,
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }
        if self.description is not None:
            body["description"] = self.description
        if self.location is not None:
            body["location"] = self.location
        if not self.primary:
            body["dataOwner"] = self.owner
        return body

    def list_entry(self) -> dict:
        """As `calendarList` shows it to its owner."""
        entry = self.resource()
        entry.update(
            kind="calendar#calendarListEntry",
            accessRole="owner",
            colorId="14",
            backgroundColor="#9fe1e7",
            foregroundColor="#000000",
            selected=True,
            defaultReminders=[{"method": "popup", "minutes": 10}] if self.primary else [],
        )
        if self.primary:
            entry["primary"] = True
            entry["notificationSettings"] = {
                "notifications": [
                    {"type": kind, "method": "email"}
                    for kind in ("eventCreation", "eventChange", "eventCancellation")
                ]
            }
        if self.deleted:
            entry["deleted"] = True
        return entry


class CalendarStore:
    """All calendars of all accounts, with the operations Google (or its UI) offers on them."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._calendars: dict[str, Calendar] = {}
        self._listeners: list[Listener] = []
        self._etag_clock = itertools.count(time.time_ns() // 1000)

    def subscribe(self, listener: Listener) -> None:
        """Call `listener(calendar, "exists" | "not_exists")` after each change (under the lock)."""
        self._listeners.append(listener)

    def reset(self) -> None:
        with self.lock:
            self._calendars.clear()

    # -- keeping state across restarts -------------------------------------
    def export_state(self) -> dict:
        """Every calendar with its events, change numbers and sync-token epoch, JSON-ready."""
        with self.lock:
            calendars = []
            for calendar in self._calendars.values():
                fields = {
                    name: getattr(calendar, name)
                    for name in Calendar.__dataclass_fields__
                    if name != "events"
                }
                fields["events"] = [
                    {"resource": copy.deepcopy(stored.resource), "change": stored.change}
                    for stored in calendar.events.values()
                ]
                calendars.append(fields)
            return {"calendars": calendars, "next_etag": next(self._etag_clock)}

    def import_state(self, state: dict) -> None:
        """Replace every calendar with `export_state`'s data; etags keep growing from it."""
        calendars: dict[str, Calendar] = {}
        for fields in state["calendars"]:
            stored = [StoredEvent(e["resource"], e["change"]) for e in fields["events"]]
            calendar = Calendar(**{**fields, "events": {e.resource["id"]: e for e in stored}})
            calendars[calendar.id] = calendar
        with self.lock:
            self._calendars = calendars
            start = max(next(self._etag_clock), int(state["next_etag"]))
            self._etag_clock = itertools.count(start)

    def by_id(self, calendar_id: str) -> Calendar | None:
        """The calendar with this id, whoever owns it (None if unknown)."""
        with self.lock:
            return self._calendars.get(calendar_id.lower())

    # -- calendars --------------------------------------------------------
    def ensure_primary(self, email: str) -> Calendar:
        email = email.strip().lower()
        with self.lock:
            calendar = self._calendars.get(email)
            if calendar is None:
                calendar = Calendar(
                    id=email, owner=email, summary=email, primary=True, created_by=None
                )
                self._touch(calendar)
                self._calendars[email] = calendar
            return calendar

    def calendar(self, email: str, calendar_id: str) -> Calendar:
        """A live calendar of `email` (`primary` is an alias); another account's is notFound."""
        email = email.strip().lower()
        with self.lock:
            if calendar_id == PRIMARY or calendar_id.lower() == email:
                return self.ensure_primary(email)
            calendar = self._calendars.get(calendar_id.lower())
            if calendar is None or calendar.owner != email or calendar.deleted:
                raise ApiError(404, "Not Found", "notFound")
            return calendar

    def calendars_of(self, email: str) -> list[Calendar]:
        """The account's calendars, deleted ones included, primary first."""
        email = email.strip().lower()
        with self.lock:
            self.ensure_primary(email)
            owned = [c for c in self._calendars.values() if c.owner == email]
            return sorted(owned, key=lambda c: not c.primary)

    def create_calendar(self, email: str, body: dict, client_id: str | None) -> Calendar:
        email = email.strip().lower()
        calendar_id = f"c_{secrets.token_hex(32)}@group.calendar.google.com"
        with self.lock:
            self.ensure_primary(email)
            calendar = Calendar(
                id=calendar_id, owner=email, summary="", primary=False, created_by=client_id
            )
            self._apply_calendar_fields(calendar, body, replace=True)
            self._calendars[calendar_id] = calendar
            return calendar

    def change_calendar(self, calendar: Calendar, body: dict, *, replace: bool) -> Calendar:
        with self.lock:
            self._apply_calendar_fields(calendar, body, replace=replace)
            return calendar

    def _apply_calendar_fields(self, calendar: Calendar, body: dict, *, replace: bool) -> None:
        """`update` (replace) or `patch` a calendar's own fields."""
        kept = (
            {}
            if replace
            else {
                "summary": calendar.summary,
                "description": calendar.description,
                "location": calendar.location,
                "timeZone": calendar.time_zone,
            }
        )
        fields = kept | {name: body[name] for name in CALENDAR_FIELDS if name in body}
        if not fields.get("summary"):
            raise ApiError(400, "Missing title.", "required")
        time_zone = fields.get("timeZone") or DEFAULT_TIME_ZONE
        try:
            zone(time_zone)
        except ValueError:
            raise ApiError(400, "Invalid time zone definition.", "invalid") from None
        calendar.summary = fields["summary"]
        calendar.description = fields.get("description")
        calendar.location = fields.get("location")
        calendar.time_zone = time_zone
        self._touch(calendar)

    def delete_calendar(self, calendar: Calendar) -> None:
        if calendar.primary:
            raise ApiError(400, "Cannot delete primary calendar.", "cannotDeletePrimaryCalendar")
        with self.lock:
            calendar.deleted = True
            self._touch(calendar)
            self._notify(calendar, "not_exists")

    # -- events -----------------------------------------------------------
    def insert_event(self, calendar: Calendar, body: dict, actor: str) -> dict:
        event_id = events.check_id(body["id"]) if "id" in body else events.new_id()
        with self.lock:
            if event_id in calendar.events:
                raise ApiError(409, "The requested identifier already exists.", "duplicate")
            resource = {
                "kind": "calendar#event",
                "id": event_id,
                "htmlLink": events.html_link(event_id, calendar.id),
                "created": now_timestamp(),
                "creator": {"email": actor} | ({"self": True} if actor == calendar.owner else {}),
                "organizer": calendar.organizer(),
                "iCalUID": body.get("iCalUID") or f"{event_id}@google.com",
            }
            resource.update(self._normalise(calendar, events.writable(body)))
            resource["sequence"] = events.next_sequence({}, {}, body.get("sequence"))
            self._save(calendar, resource)
            self._notify(calendar, "exists")
            return copy.deepcopy(resource)

    def get_event(self, calendar: Calendar, event_id: str) -> dict:
        with self.lock:
            return copy.deepcopy(self._current(calendar, event_id))

    def change_event(
        self, calendar: Calendar, event_id: str, body: dict, *, replace: bool, if_match: str | None
    ) -> dict:
        """`update` (replace=True) or `patch` an event, or an instance (making it an exception)."""
        with self.lock:
            current = self._current(calendar, event_id)
            _check_if_match(current, if_match)
            changes = events.writable(body)
            if replace:
                changes.setdefault("status", current["status"])
                changes.setdefault("eventType", current["eventType"])
                fields = changes
            else:
                fields = events.merge_patch(events.writable(current), changes)
            if fields.get("eventType") != current["eventType"]:
                raise ApiError(400, "The event type cannot be changed.", "invalid")
            if "recurringEventId" in current:
                fields.pop("recurrence", None)  # an instance cannot recur on its own
            read_only = {k: v for k, v in current.items() if k in events.READ_ONLY_FIELDS}
            resource = read_only | self._normalise(calendar, fields)
            resource["sequence"] = events.next_sequence(current, resource, body.get("sequence"))
            self._save(calendar, resource)
            self._notify(calendar, "exists")
            return copy.deepcopy(resource)

    def delete_event(self, calendar: Calendar, event_id: str, if_match: str | None) -> None:
        """Cancel the event (and, for a series, its exceptions); the id stays taken."""
        with self.lock:
            current = self._current(calendar, event_id)
            if current["status"] == "cancelled":
                raise ApiError(410, "Resource has been deleted", "deleted")
            _check_if_match(current, if_match)
            self._save(calendar, current | {"status": "cancelled"})
            if "recurrence" in current:
                for stored in list(calendar.events.values()):
                    exception = stored.resource
                    if (
                        exception.get("recurringEventId") == event_id
                        and exception["status"] != "cancelled"
                    ):
                        self._save(calendar, exception | {"status": "cancelled"})
            self._notify(calendar, "exists")

    def _current(self, calendar: Calendar, event_id: str) -> dict:
        """The stored event, or the instance of a series the id names (not stored until changed)."""
        stored = calendar.events.get(event_id)
        if stored is not None:
            return stored.resource
        named = events.split_instance_id(event_id)
        if named is not None:
            series_id, original = named
            master = calendar.events.get(series_id)
            if master is not None and "recurrence" in master.resource:
                found = events.instance_at(master.resource, original, calendar.zone)
                if found is not None:
                    return found
        raise ApiError(404, "Not Found", "notFound")

    def _normalise(self, calendar: Calendar, fields: dict) -> dict:
        return events.normalise(
            fields,
            calendar_id=calendar.id,
            calendar_zone=calendar.zone,
            organizer=calendar.organizer()["email"],
        )

    def _save(self, calendar: Calendar, resource: dict) -> None:
        resource["etag"] = self._new_etag()
        resource["updated"] = now_timestamp()
        calendar.change += 1
        calendar.updated = resource["updated"]
        calendar.events[resource["id"]] = StoredEvent(resource, calendar.change)

    def _touch(self, calendar: Calendar) -> None:
        calendar.etag = self._new_etag()
        calendar.updated = now_timestamp()

    def _new_etag(self) -> str:
        return f'"{next(self._etag_clock)}"'

    def _notify(self, calendar: Calendar, state: str) -> None:
        for listener in self._listeners:
            listener(calendar, state)

    # -- sync tokens ------------------------------------------------------
    def sync_token(self, calendar: Calendar) -> str:
        """A token for "everything up to now"; the next incremental list starts after it."""
        raw = f"{calendar.id}\n{calendar.token_epoch}\n{calendar.change}".encode()
        return base64.urlsafe_b64encode(raw).decode()

    def changes_after(self, calendar: Calendar, token: str) -> int:
        """The change number a sync token stands for; 410 fullSyncRequired once invalid."""
        try:
            calendar_id, epoch, change = base64.urlsafe_b64decode(token).decode().split("\n")
            number = int(change)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ApiError(400, "Invalid sync token value.", "invalid") from None
        if calendar_id != calendar.id or epoch != calendar.token_epoch or number > calendar.change:
            raise ApiError(
                410, "Sync token is no longer valid, a full sync is required.", "fullSyncRequired"
            )
        return number

    def invalidate_sync_tokens(self, calendar: Calendar) -> None:
        with self.lock:
            calendar.token_epoch = secrets.token_hex(4)


def _check_if_match(current: dict, if_match: str | None) -> None:
    if if_match and if_match.strip() not in ("*", current["etag"]):
        raise ApiError(412, "Precondition Failed", "conditionNotMet")
