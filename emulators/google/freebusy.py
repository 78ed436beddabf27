"""`freebusy.query`: when each asked-for calendar is busy, from the events that block time."""

from __future__ import annotations

from datetime import datetime

from emulators.google import events
from emulators.google.calendars import Calendar, CalendarStore
from emulators.google.errors import ApiError
from emulators.google.times import format_instant, parse_instant, zone

MAX_CALENDARS = 50
# Event types that never make their owner busy.
NEVER_BUSY_TYPES = frozenset({"workingLocation", "birthday"})


def query(store: CalendarStore, email: str, body: dict) -> dict:
    time_min, time_max = _bound(body, "timeMin"), _bound(body, "timeMax")
    if time_min >= time_max:
        raise ApiError(400, "The specified time range is empty.", "timeRangeEmpty")
    items = body.get("items") or []
    if len(items) > MAX_CALENDARS:
        raise ApiError(400, "Too many calendars requested.", "tooManyCalendarsRequested")
    try:
        shown_in = zone(body.get("timeZone") or "UTC")
    except ValueError:
        raise ApiError(400, "Invalid time zone definition.", "invalid") from None
    calendars = {}
    for item in items:
        calendar_id = str(item.get("id", ""))
        try:
            calendar = store.calendar(email, calendar_id)
        except ApiError:
            calendars[calendar_id] = {
                "errors": [{"domain": "global", "reason": "notFound"}],
                "busy": [],
            }
            continue
        with store.lock:
            periods = _busy(calendar, time_min, time_max)
        calendars[calendar_id] = {
            "busy": [
                {"start": format_instant(start, shown_in), "end": format_instant(end, shown_in)}
                for start, end in periods
            ]
        }
    return {
        "kind": "calendar#freeBusy",
        "timeMin": format_instant(time_min, shown_in),
        "timeMax": format_instant(time_max, shown_in),
        "calendars": calendars,
    }


def _bound(body: dict, name: str) -> datetime:
    value = body.get(name)
    if not value:
        raise ApiError(400, f"Missing {name}.", "required")
    try:
        return parse_instant(str(value))
    except ValueError:
        raise ApiError(400, f"Invalid value for: {name}", "invalid") from None


def _busy(calendar: Calendar, time_min: datetime, time_max: datetime) -> list[tuple]:
    """Merged busy periods inside [time_min, time_max)."""
    zone_ = calendar.zone
    spans = []
    for stored in calendar.events.values():
        event = stored.resource
        if "recurrence" in event:
            occurrences = [
                occurrence
                for occurrence in events.instances(event, zone_, time_min, time_max)
                if occurrence["id"] not in calendar.events
            ]
        else:
            occurrences = [event]
        for occurrence in occurrences:
            if not _blocks_time(occurrence):
                continue
            start, end = (value.instant(zone_) for value in events.times(occurrence))
            start, end = max(start, time_min), min(end, time_max)
            if start < end:
                spans.append((start, end))
    merged: list[tuple] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _blocks_time(event: dict) -> bool:
    declined = any(
        attendee.get("self") and attendee.get("responseStatus") == "declined"
        for attendee in event.get("attendees", [])
    )
    return (
        event["status"] != "cancelled"
        and event.get("transparency") != "transparent"
        and event.get("eventType", "default") not in NEVER_BUSY_TYPES
        and not declined
    )
