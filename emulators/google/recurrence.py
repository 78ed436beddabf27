"""Recurring events: RFC 5545 RRULE/EXRULE/RDATE/EXDATE lines expanded with python-dateutil.

Expansion runs on local wall-clock times in the event's zone and is localised afterwards, so a
09:00 weekly meeting stays at 09:00 across daylight-saving changes, as in Google Calendar.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rruleset, rrulestr

from emulators.google.times import EventTime

# Per series and query: stops runaway rules (FREQ=SECONDLY without an end) from eating memory.
MAX_INSTANCES = 5000


class Series:
    """The original start times of a recurring event's instances."""

    def __init__(self, lines: list[str], first: EventTime, in_zone: ZoneInfo) -> None:
        """`first` is the event's start; `in_zone` its own zone (the calendar's for all-day)."""
        self._first = first
        self._zone = in_zone
        self._dtstart = self._wall(first.instant(in_zone))
        self._rules = rruleset()
        self._rules.rdate(self._dtstart)  # DTSTART is always the first instance (RFC 5545)
        for line in lines:
            self._add(line)

    def _add(self, line: str) -> None:
        head, colon, value = line.partition(":")
        name, *params = head.split(";")
        kind = name.strip().upper()
        if not colon or not value:
            raise ValueError(f"malformed recurrence line {line!r}")
        if kind in ("RRULE", "EXRULE"):
            rule = rrulestr(self._local_until(value), dtstart=self._dtstart)
            (self._rules.rrule if kind == "RRULE" else self._rules.exrule)(rule)
        elif kind in ("RDATE", "EXDATE"):
            tzid = next((p[5:] for p in params if p.upper().startswith("TZID=")), None)
            for stamp in value.split(","):
                moment = self._local_stamp(stamp.strip(), tzid)
                (self._rules.rdate if kind == "RDATE" else self._rules.exdate)(moment)
        else:
            raise ValueError(f"unsupported recurrence line {line!r}")

    def _local_until(self, rule: str) -> str:
        """UNTIL in the rule's own terms: dateutil needs it naive, like our wall-clock DTSTART."""
        parts = rule.split(";")
        for index, part in enumerate(parts):
            key, _, stamp = part.partition("=")
            if key.strip().upper() == "UNTIL":
                until = self._local_stamp(stamp.strip(), None)
                if len(stamp.strip()) == 8 and not self._first.all_day:
                    until += timedelta(days=1, seconds=-1)  # a date UNTIL includes that whole day
                parts[index] = "UNTIL=" + until.strftime("%Y%m%dT%H%M%S")
        return ";".join(parts)

    def _local_stamp(self, stamp: str, tzid: str | None) -> datetime:
        """An iCalendar DATE or DATE-TIME (UTC `Z`, with TZID, or floating) as local wall time."""
        if len(stamp) == 8:
            return datetime.strptime(stamp, "%Y%m%d")
        if stamp.upper().endswith("Z"):
            moment = datetime.strptime(stamp[:-1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
            return self._wall(moment)
        moment = datetime.strptime(stamp, "%Y%m%dT%H%M%S")
        return self._wall(moment.replace(tzinfo=ZoneInfo(tzid))) if tzid else moment

    def _wall(self, moment: datetime) -> datetime:
        return moment.astimezone(self._zone).replace(tzinfo=None)

    def _event_time(self, wall: datetime) -> EventTime:
        if self._first.all_day:
            return EventTime(day=wall.date())
        return EventTime(moment=wall.replace(tzinfo=self._zone), zone_name=self._first.zone_name)

    def starts(self, after: datetime | None, before: datetime) -> Iterator[EventTime]:
        """Original starts in [after, before) (instants), in order."""
        lower = self._dtstart if after is None else self._wall(after) - timedelta(days=1)
        for count, wall in enumerate(self._rules.xafter(lower, inc=True)):
            start = self._event_time(wall)
            moment = start.instant(self._zone)
            if moment >= before or count >= MAX_INSTANCES:
                return
            if after is None or moment >= after:
                yield start

    def occurrence_at(self, moment: datetime) -> EventTime | None:
        """The instance originally starting at `moment`, if the series has one."""
        wall = self._wall(moment)
        found = self._rules.after(wall, inc=True)
        return self._event_time(wall) if found == wall else None
