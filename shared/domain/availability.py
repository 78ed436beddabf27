"""When a worker is busy, when free, and which bookings clash with the worker's own Google
time. Pure rules over intervals; `shared/views/calendar.py` reads what they work on.

A worker is busy during
- a booking assigned to the worker, unless its status takes the booking out of the
  worker's calendar (`delete_from_google`: cancelled, in the platform's words);
- the worker's unavailable blocks;
- busy time imported from the worker's own Google calendars (`shared/domain/busy.py`).

Busy intervals are merged (overlapping or touching ones become one), sorted and clipped
to the asked range; free time is the rest of the range. A merged interval names the
`sources` it came from, and as its one `source` the first of booking, unavailable,
google among them.

A conflict is a booking that overlaps (more than touches) the worker's Google busy time:
someone booked the worker over a personal appointment, or the worker made one over a job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from shared.domain.booking import Booking, BookingStatus

Source = Literal["booking", "unavailable", "google"]
SOURCES: tuple[Source, ...] = ("booking", "unavailable", "google")


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime
    source: Source

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class BusySpan:
    """One merged stretch of busy time."""

    start: datetime
    end: datetime
    sources: tuple[Source, ...]  # in SOURCES order

    @property
    def source(self) -> Source:
        return self.sources[0]


def occupies(booking: Booking, status: BookingStatus | None) -> bool:
    """Whether the booking makes its workers busy. An unknown status counts as busy: a
    double booking is worse than a slot offered too cautiously."""
    if booking.deleted:
        return False
    return status is None or not status.delete_from_google


def merge(intervals: Iterable[Interval], since: datetime, until: datetime) -> list[BusySpan]:
    """The busy time in [since, until): sorted, non-overlapping, touching spans joined."""
    clipped = sorted(
        (
            Interval(max(i.start, since), min(i.end, until), i.source)
            for i in intervals
            if i.start < until and i.end > since
        ),
        key=lambda i: (i.start, i.end),
    )
    spans: list[BusySpan] = []
    start = end = None
    sources: set[Source] = set()
    for interval in clipped:
        if end is not None and interval.start <= end:
            end = max(end, interval.end)
            sources.add(interval.source)
            continue
        if start is not None and end is not None:
            spans.append(BusySpan(start, end, _ordered(sources)))
        start, end, sources = interval.start, interval.end, {interval.source}
    if start is not None and end is not None:
        spans.append(BusySpan(start, end, _ordered(sources)))
    return spans


def free(
    spans: list[BusySpan], since: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """The gaps of [since, until) between merged busy spans."""
    gaps, cursor = [], since
    for span in spans:
        if span.start > cursor:
            gaps.append((cursor, span.start))
        cursor = max(cursor, span.end)
    if cursor < until:
        gaps.append((cursor, until))
    return gaps


def _ordered(sources: set[Source]) -> tuple[Source, ...]:
    return tuple(s for s in SOURCES if s in sources)
