"""Event resources as Google keeps them: id rules, validation, defaults and recurring instances.

Pure functions over dicts; the store (`calendars.py`) decides when they run and keeps the result.
"""

from __future__ import annotations

import base64
import copy
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from emulators.google.discovery import schema_fields
from emulators.google.errors import ApiError
from emulators.google.recurrence import Series
from emulators.google.times import EventTime, parse_event_time, zone

ID_ALPHABET = frozenset("abcdefghijklmnopqrstuv0123456789")  # base32hex, lower case
# `fromGmail` exists but cannot be created through the API.
CREATABLE_EVENT_TYPES = frozenset(
    {"default", "birthday", "focusTime", "outOfOffice", "workingLocation"}
)
STATUSES = frozenset({"confirmed", "tentative", "cancelled"})
# Set by Google, never taken from a request body (iCalUID only on insert).
READ_ONLY_FIELDS = frozenset(
    {
        "kind",
        "etag",
        "id",
        "htmlLink",
        "iCalUID",
        "created",
        "updated",
        "creator",
        "organizer",
        "recurringEventId",
        "originalStartTime",
        "hangoutLink",
    }
)
WRITABLE_FIELDS = schema_fields("Event") - READ_ONLY_FIELDS
TIME_FIELDS = ("start", "end", "recurrence")


def check_id(event_id: object) -> str:
    """A client-chosen id: base32hex characters only, 5 to 1024 of them."""
    if (
        not isinstance(event_id, str)
        or not 5 <= len(event_id) <= 1024
        or not set(event_id) <= ID_ALPHABET
    ):
        raise ApiError(400, "Invalid resource id value.", "invalid")
    return event_id


def new_id() -> str:
    return base64.b32hexencode(uuid.uuid4().bytes).decode().rstrip("=").lower()


def html_link(event_id: str, calendar_id: str) -> str:
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"


def instance_id(series_id: str, original: EventTime) -> str:
    """`<series>_<YYYYMMDD>` for all-day instances, `<series>_<YYYYMMDDTHHMMSSZ>` (UTC) else."""
    if original.day is not None:
        return f"{series_id}_{original.day:%Y%m%d}"
    assert original.moment is not None
    return f"{series_id}_{original.moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def split_instance_id(event_id: str) -> tuple[str, EventTime] | None:
    """The series id and original start encoded in an instance id, or None if it is not one."""
    series_id, underscore, stamp = event_id.rpartition("_")
    if not underscore:
        return None
    try:
        if len(stamp) == 8:
            return series_id, EventTime(day=datetime.strptime(stamp, "%Y%m%d").date())
        moment = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return series_id, EventTime(moment=moment)
    except ValueError:
        return None


def writable(body: dict) -> dict:
    """The part of a request body a client may set; unknown and read-only fields are dropped."""
    return {key: copy.deepcopy(value) for key, value in body.items() if key in WRITABLE_FIELDS}


def merge_patch(target: dict, patch: dict) -> dict:
    """Patch semantics: objects merge key by key, arrays and scalars replace, null removes."""
    merged = copy.deepcopy(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_patch(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def times(event: dict) -> tuple[EventTime, EventTime]:
    return parse_event_time(event["start"], "start"), parse_event_time(event["end"], "end")


def series(master: dict, calendar_zone: ZoneInfo) -> Series:
    start, _ = times(master)
    in_zone = zone(start.zone_name) if start.zone_name else calendar_zone
    return Series(master["recurrence"], start, in_zone)


def normalise(fields: dict, *, calendar_id: str, calendar_zone: ZoneInfo, organizer: str) -> dict:
    """Check writable fields as Google does and fill in its defaults; raises ApiError(400)."""
    event = copy.deepcopy(fields)
    start = parse_event_time(event.get("start"), "start")
    end = parse_event_time(event.get("end"), "end")
    if start.all_day != end.all_day:
        raise ApiError(400, "Start and end times must either both be date or both be dateTime.")
    empty = end.day <= start.day if end.day and start.day else end.moment < start.moment
    if empty:
        raise ApiError(400, "The specified time range is empty.", "timeRangeEmpty")
    _check_recurrence(event, start, end, calendar_zone)
    _check_choice(event, "status", STATUSES, "confirmed")
    _check_choice(event, "eventType", CREATABLE_EVENT_TYPES, "default")
    _check_choice(event, "transparency", frozenset({"opaque", "transparent"}), None)
    _check_choice(
        event, "visibility", frozenset({"default", "public", "private", "confidential"}), None
    )
    _check_attendees(event, calendar_id, organizer)
    _check_extended_properties(event)
    event.setdefault("reminders", {"useDefault": True})
    event["start"] = start.render(calendar_zone)
    event["end"] = end.render(calendar_zone)
    return event


def _check_recurrence(event: dict, start: EventTime, end: EventTime, calendar_zone) -> None:
    lines = event.get("recurrence")
    if not lines:
        event.pop("recurrence", None)
        return
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise ApiError(400, "Invalid recurrence rule.", "invalid")
    for field, value in (("start", start), ("end", end)):
        if not value.all_day and not value.zone_name:
            raise ApiError(400, f"Missing time zone definition for {field} time.", "required")
    try:
        Series(lines, start, zone(start.zone_name) if start.zone_name else calendar_zone)
    except (ValueError, TypeError, KeyError):
        raise ApiError(400, "Invalid recurrence rule.", "invalid") from None


def _check_choice(event: dict, field: str, allowed: frozenset[str], default: str | None) -> None:
    value = event.get(field, default)
    if value is None:
        return
    if value not in allowed:
        raise ApiError(400, f"Invalid value for: {field}", "invalid")
    event[field] = value


def _check_attendees(event: dict, calendar_id: str, organizer: str) -> None:
    attendees = event.get("attendees")
    if attendees is None:
        return
    if not isinstance(attendees, list) or not all(isinstance(a, dict) for a in attendees):
        raise ApiError(400, "Invalid attendee.", "invalid")
    for attendee in attendees:
        email = attendee.get("email")
        if not email:
            raise ApiError(400, "Missing attendee email.", "required")
        attendee.setdefault("responseStatus", "needsAction")
        attendee.pop("self", None)  # read-only: which copy of the event this is
        attendee.pop("organizer", None)
        if email.lower() == calendar_id.lower():
            attendee["self"] = True
        if email.lower() == organizer.lower():
            attendee["organizer"] = True


def _check_extended_properties(event: dict) -> None:
    properties = event.get("extendedProperties")
    if properties is None:
        return
    valid = isinstance(properties, dict) and all(
        key in ("private", "shared")
        and isinstance(values, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in values.items())
        for key, values in properties.items()
    )
    if not valid:
        raise ApiError(400, "Invalid extended properties.", "invalid")


def next_sequence(current: dict, changed: dict, requested: object) -> int:
    """`sequence` never decreases and moves on when the event's time changes."""
    old = int(current.get("sequence", 0))
    new = old if requested is None else requested
    if not isinstance(new, int) or new < old:
        raise ApiError(
            400,
            "Invalid sequence value. The specified sequence number is below the current "
            "sequence number of the resource.",
            "invalid",
        )
    moved = any(current.get(field) != changed.get(field) for field in TIME_FIELDS)
    return new + 1 if moved and new == old else new


def cancelled_stub(event: dict) -> dict:
    """What incremental sync shows of a deleted event: only what identifies it."""
    stub = {key: event[key] for key in ("kind", "etag", "id", "status") if key in event}
    for key in ("recurringEventId", "originalStartTime"):
        if key in event:
            stub[key] = event[key]
    return stub


def shown_in(event: dict, response_zone: ZoneInfo) -> dict:
    """`event` as an answer in `response_zone` (the `timeZone` parameter of a list) shows it:
    times without a zone of their own are rendered in that zone; dates and times with their
    own zone stay as they are (see `EventTime.render`). The stored event is left alone."""
    shown = dict(event)
    for key in ("start", "end", "originalStartTime"):
        value = event.get(key)
        if isinstance(value, dict) and value.get("dateTime"):
            shown[key] = parse_event_time(value, key).render(response_zone)
    return shown


def instance(master: dict, original: EventTime, calendar_zone: ZoneInfo) -> dict:
    """One occurrence of a recurring event, as Google lists it with singleEvents=true."""
    first_start, first_end = times(master)
    length = (
        first_end.day - first_start.day
        if first_end.day and first_start.day
        else first_end.instant(calendar_zone) - first_start.instant(calendar_zone)
    )
    shown = EventTime(day=original.day, moment=original.moment, zone_name=first_start.zone_name)
    occurrence = {key: copy.deepcopy(value) for key, value in master.items() if key != "recurrence"}
    occurrence["id"] = instance_id(master["id"], original)
    occurrence["recurringEventId"] = master["id"]
    occurrence["originalStartTime"] = shown.render(calendar_zone)
    occurrence["start"] = shown.render(calendar_zone)
    end = shown.shifted(length)
    occurrence["end"] = EventTime(end.day, end.moment, first_end.zone_name).render(calendar_zone)
    return occurrence


def instances(
    master: dict, calendar_zone: ZoneInfo, after: datetime | None, before: datetime
) -> Iterator[dict]:
    """Instances of `master` overlapping (after, before), in start order."""
    first_start, first_end = times(master)
    length = first_end.instant(calendar_zone) - first_start.instant(calendar_zone)
    lower = after - length if after is not None else None
    for original in series(master, calendar_zone).starts(lower, before):
        occurrence = instance(master, original, calendar_zone)
        if after is None or times(occurrence)[1].instant(calendar_zone) > after:
            yield occurrence


def instance_at(master: dict, original: EventTime, calendar_zone: ZoneInfo) -> dict | None:
    """The instance of `master` originally starting at `original`, or None."""
    match = series(master, calendar_zone).occurrence_at(original.instant(calendar_zone))
    return instance(master, match, calendar_zone) if match else None
