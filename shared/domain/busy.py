"""Busy time: which of a worker's own Google events make the worker busy, and when.

Import reads `events.list` with `singleEvents=true`, so a recurring event arrives as its
instances, each with its own id (a cancelled instance arrives as cancelled). The rules
(Google's fields; see GOOGLE_FACTS.md):

- a cancelled event is no busy time (its block, if any, goes);
- `transparency: transparent` ("show as available") is free;
- an event the account holder declined is free;
- `workingLocation` and `birthday` events are free; `outOfOffice`, `focusTime` and
  ordinary events are busy;
- an all-day event (`start.date`, end exclusive) is busy for whole days in the zone of
  the worker who looks at it (two workers may share an account and not a zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

FREE_EVENT_TYPES = frozenset({"workingLocation", "birthday"})


@dataclass(frozen=True)
class BusyTime:
    """One Google event (or one instance of a recurring one) that makes the account busy."""

    event_id: str
    summary: str | None  # shown only to admins and the worker itself
    # Timed events: the instants. All-day events: the dates (end exclusive).
    start: datetime | None = None
    end: datetime | None = None
    start_date: date | None = None
    end_date: date | None = None
    recurring_event_id: str | None = None

    @property
    def all_day(self) -> bool:
        return self.start_date is not None

    def interval(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The busy instants as seen from `zone` (all-day events: its midnights)."""
        if self.start is not None and self.end is not None:
            return self.start, self.end
        assert self.start_date is not None and self.end_date is not None
        return (
            datetime.combine(self.start_date, time(), zone),
            datetime.combine(self.end_date, time(), zone),
        )

    def overlaps(self, since: datetime, until: datetime) -> bool:
        """Whether it may fall in [since, until) for a viewer in any zone (all-day events
        are padded by a day either side, the widest zone offsets being under a day)."""
        if self.start is not None and self.end is not None:
            return self.start < until and self.end > since
        assert self.start_date is not None and self.end_date is not None
        return (
            self.start_date - timedelta(days=1) < until.date()
            and self.end_date + timedelta(days=1) > since.date()
        )


def busy_time(event: dict) -> BusyTime | None:
    """The busy time `event` stands for, or None if it makes nobody busy."""
    if event.get("status") == "cancelled":
        return None
    if event.get("transparency") == "transparent":
        return None
    if event.get("eventType") in FREE_EVENT_TYPES:
        return None
    if _declined(event):
        return None
    start, end = event.get("start") or {}, event.get("end") or {}
    common = {
        "event_id": event["id"],
        "summary": event.get("summary"),
        "recurring_event_id": event.get("recurringEventId"),
    }
    if "date" in start:
        first = date.fromisoformat(start["date"])
        last = date.fromisoformat(end["date"]) if "date" in end else first + timedelta(days=1)
        return BusyTime(**common, start_date=first, end_date=max(last, first + timedelta(days=1)))
    if "dateTime" not in start or "dateTime" not in end:
        return None  # nothing to place in time
    begins, ends = _instant(start["dateTime"]), _instant(end["dateTime"])
    if ends <= begins:
        return None  # a zero-length event blocks no time
    return BusyTime(**common, start=begins, end=ends)


def _declined(event: dict) -> bool:
    """The account holder is an attendee who said no."""
    return any(
        attendee.get("self") and attendee.get("responseStatus") == "declined"
        for attendee in event.get("attendees") or ()
    )


def _instant(text: str) -> datetime:
    instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError(f"Google's dateTime carries an offset: {text!r}")
    return instant
