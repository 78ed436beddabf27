"""RFC 3339 instants, IANA zones and the start/end of events (all-day date or timed instant)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from emulators.google.errors import ApiError


def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`; ValueError when Google would not know it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def parse_instant(value: str) -> datetime:
    """An RFC 3339 timestamp with a mandatory offset."""
    parsed = datetime.fromisoformat(value)
    if "T" not in value.upper() or parsed.tzinfo is None:
        raise ValueError(f"not an RFC 3339 timestamp with offset: {value!r}")
    return parsed


def format_instant(moment: datetime, in_zone: ZoneInfo) -> str:
    """`moment` as Google renders event times: in the given zone, `Z` for UTC."""
    local = moment.astimezone(in_zone).replace(microsecond=0)
    text = local.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def now_timestamp() -> str:
    """`created`/`updated` style: UTC with milliseconds."""
    now = time.time()
    moment = datetime.fromtimestamp(now, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class EventTime:
    """An event's start or end: an all-day `date`, or an aware `moment` (with optional zone)."""

    day: date | None = None
    moment: datetime | None = None
    zone_name: str | None = None

    @property
    def all_day(self) -> bool:
        return self.day is not None

    def instant(self, calendar_zone: ZoneInfo) -> datetime:
        """This time as an instant; all-day dates begin at midnight in the calendar's zone."""
        if self.day is not None:
            return datetime(self.day.year, self.day.month, self.day.day, tzinfo=calendar_zone)
        assert self.moment is not None
        return self.moment

    def render(self, calendar_zone: ZoneInfo) -> dict:
        if self.day is not None:
            return {"date": self.day.isoformat()}
        assert self.moment is not None
        shown_in = zone(self.zone_name) if self.zone_name else calendar_zone
        rendered = {"dateTime": format_instant(self.moment, shown_in)}
        if self.zone_name:
            rendered["timeZone"] = self.zone_name
        return rendered

    def shifted(self, delta: timedelta) -> EventTime:
        if self.day is not None:
            return EventTime(day=self.day + delta)
        assert self.moment is not None
        return EventTime(moment=self.moment + delta, zone_name=self.zone_name)


def parse_event_time(value: object, field: str) -> EventTime:
    """Google's EventDateTime: exactly one of `date`/`dateTime`; a dateTime needs an offset
    or a `timeZone` to be read in."""
    if not isinstance(value, dict):
        raise ApiError(400, f"Missing {field} time.", "required")
    zone_name = value.get("timeZone") or None
    if zone_name is not None:
        try:
            zone(zone_name)
        except ValueError:
            raise ApiError(
                400, f"Invalid time zone definition for {field} time.", "invalid"
            ) from None
    day, stamp = value.get("date"), value.get("dateTime")
    if day and stamp:
        raise ApiError(400, f"Invalid {field} time: both date and dateTime.", "invalid")
    if not day and not stamp:
        raise ApiError(400, f"Missing {field} time.", "required")
    try:
        if day:
            return EventTime(day=date.fromisoformat(str(day)))
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        raise ApiError(400, f"Invalid {field} time.", "invalid") from None
    if moment.tzinfo is None:
        if zone_name is None:
            raise ApiError(400, f"Missing time zone definition for {field} time.", "required")
        moment = moment.replace(tzinfo=zone(zone_name))
    return EventTime(moment=moment.replace(microsecond=0), zone_name=zone_name)
