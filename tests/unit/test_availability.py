"""The pure rules of busy, free and conflict (shared/domain/availability.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.domain.availability import BusySpan, Interval, free, merge, occupies
from shared.domain.booking import Booking, BookingStatus

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def booking(deleted: bool = False) -> Booking:
    return Booking.from_record(
        "b1",
        {
            "version": 1,
            "status_id": "confirmed",
            "start": h(1).isoformat(),
            "end": h(2).isoformat(),
            "timezone": "Europe/Oslo",
            "worker_ids": ["w1"],
            "created_at": T0.isoformat(),
            "deleted": deleted,
        },
    )


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_overlapping_and_touching_intervals_merge_and_name_their_sources_in_order():
    spans = merge(
        [
            Interval(h(3), h(4), "google"),
            Interval(h(1), h(2), "booking"),
            Interval(h(2), h(3), "unavailable"),  # touches both neighbours
            Interval(h(6), h(8), "google"),
            Interval(h(6.5), h(7), "google"),  # inside the one before
        ],
        h(0),
        h(10),
    )
    assert spans == [
        BusySpan(h(1), h(4), ("booking", "unavailable", "google")),
        BusySpan(h(6), h(8), ("google",)),
    ]
    assert [s.source for s in spans] == ["booking", "google"]


def test_busy_time_is_clipped_to_the_range_and_outside_time_is_dropped():
    spans = merge(
        [
            Interval(h(-2), h(1), "booking"),
            Interval(h(9), h(12), "unavailable"),
            Interval(h(-5), h(0), "google"),  # ends where the range starts
            Interval(h(10), h(11), "google"),  # starts where it ends
        ],
        h(0),
        h(10),
    )
    assert spans == [
        BusySpan(h(0), h(1), ("booking",)),
        BusySpan(h(9), h(10), ("unavailable",)),
    ]


def test_free_time_is_the_range_between_busy_spans():
    spans = [BusySpan(h(1), h(2), ("booking",)), BusySpan(h(5), h(10), ("google",))]
    assert free(spans, h(0), h(10)) == [(h(0), h(1)), (h(2), h(5))]
    assert free([], h(0), h(10)) == [(h(0), h(10))]
    assert free([BusySpan(h(0), h(10), ("booking",))], h(0), h(10)) == []


def test_nothing_busy_gives_no_spans():
    assert merge([], h(0), h(1)) == []


def test_intervals_overlap_only_when_they_share_time():
    a = Interval(h(1), h(2), "booking")
    assert a.overlaps(Interval(h(1.5), h(3), "google"))
    assert a.overlaps(Interval(h(0), h(5), "google"))
    assert not a.overlaps(Interval(h(2), h(3), "google"))  # touching is no conflict
    assert not a.overlaps(Interval(h(0), h(1), "google"))


def test_a_booking_occupies_its_workers_unless_deleted_or_in_a_removing_status():
    confirmed = BookingStatus("confirmed", "Confirmed", "#00ff00", True, False)
    cancelled = BookingStatus("cancelled", "Cancelled", "#ff0000", False, True)
    quote = BookingStatus("quote", "Quote", "#cccccc", False, False)
    live = booking()
    assert occupies(live, confirmed)
    assert occupies(live, quote)  # not pushed, still booked
    assert occupies(live, None)  # unknown status: the cautious answer
    assert not occupies(live, cancelled)
    assert not occupies(booking(deleted=True), confirmed)
