"""The oracle itself (`model.py`), without the stack: its rules are the documented ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.convergence.model import Block, Booking, Model, Shown, Status, Worker, busy_interval

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
ANN = "ann@example.com"
SLOT = ("w1", ("booking", "b1"))


def model() -> Model:
    return Model(
        statuses={
            "confirmed": Status("Confirmed", True, False),
            "tentative": Status("Tentative", True, True),
            "quote": Status("Quote", False, False),
            "cancelled": Status("Cancelled", False, True),
        },
        workers={"w1": Worker(ANN), "w2": Worker("ben@example.com")},
    )


def booking(version=1, status="confirmed", workers=("w1",), days=2, suburb="Frogner", **more):
    start = NOW + timedelta(days=days)
    return Booking(version, status, workers, start, start + timedelta(hours=2), suburb, **more)


def shown(status="Confirmed", days=2, suburb="Frogner") -> Shown:
    start = NOW + timedelta(days=days)
    return Shown(
        f"{status}: Ada Lovelace - Boiler service", start, start + timedelta(hours=2), suburb
    )


def pushed(status="confirmed") -> Model:
    m = model()
    m.bookings["b1"] = booking(status=status)
    m.look(NOW)
    return m


def test_a_booking_in_a_status_that_pushes_is_shown_to_its_workers_only():
    m = pushed()
    assert m.expected(ANN) == {SLOT: shown()}
    assert m.expected("ben@example.com") == {}


@pytest.mark.parametrize(
    ("pushed_in", "now", "stays"),
    [
        ("confirmed", "quote", True),  # neither deletes: detached, left as it was
        ("confirmed", "cancelled", False),  # the status it has now deletes
        ("tentative", "quote", False),  # the status it was pushed in deletes
    ],
)
def test_a_booking_leaving_goes_or_stays_by_the_delete_flags(pushed_in, now, stays):
    m = pushed(pushed_in)
    m.bookings["b1"] = booking(2, status=now, suburb="Majorstuen")
    m.look(NOW)
    name = m.statuses[pushed_in].name
    assert m.expected(ANN) == ({SLOT: shown(name)} if stays else {})


def test_a_flag_changed_while_pushed_is_the_one_that_counts_when_the_booking_leaves():
    m = pushed("confirmed")
    m.statuses["confirmed"] = Status("Confirmed", True, True)
    m.look(NOW)
    m.bookings["b1"] = booking(2, status="quote")
    m.look(NOW)
    assert m.expected(ANN) == {}


def test_a_detached_event_is_written_again_when_the_booking_pushes_again():
    m = pushed()
    m.workers["w1"] = Worker(ANN, active=False)
    m.look(NOW)
    assert m.links[SLOT].state == "detached"
    m.workers["w1"] = Worker(ANN)
    m.bookings["b1"] = booking(2, suburb="Majorstuen")
    m.look(NOW)
    assert m.expected(ANN) == {SLOT: shown(suburb="Majorstuen")}


def test_a_booking_that_ended_before_the_push_window_is_left_as_it_is():
    m = pushed()
    m.bookings["b1"] = booking(2, days=-40)
    m.look(NOW)
    assert m.expected(ANN) == {SLOT: shown()}  # the old event, not moved
    m.bookings["b1"] = booking(3, days=-40, status="cancelled")
    m.look(NOW)
    assert m.expected(ANN) == {}  # leaving still follows the flags


def test_an_edit_by_the_holder_stays_until_the_booking_changes_or_the_reconcile():
    m = pushed()
    edited = replace(shown(), title="mine")
    m.holder_edited(SLOT, edited)
    m.bookings["b1"] = booking(2)  # a new version, the same content: nothing sent
    m.look(NOW)
    assert m.expected(ANN) == {SLOT: edited} and m.drifted
    m.reconciled(NOW)
    assert m.expected(ANN) == {SLOT: shown()}
    m.holder_edited(SLOT, None)
    m.bookings["b1"] = booking(3, suburb="Majorstuen")  # rewritten (and restored)
    m.look(NOW)
    assert m.expected(ANN) == {SLOT: shown(suburb="Majorstuen")}


def test_a_revived_booking_is_written_afresh_even_with_the_same_content():
    m = pushed()
    m.holder_edited(SLOT, None)
    m.bookings["b1"] = booking(3, generation=1)  # deleted and sent again, not looked at between
    m.look(NOW)
    assert m.expected(ANN) == {SLOT: shown()}


def test_a_deleted_calendar_takes_everything_and_the_new_one_holds_only_what_pushes():
    m = pushed()
    m.blocks["u1"] = Block(1, "w1", NOW + timedelta(days=1), NOW + timedelta(days=1, hours=1), None)
    m.bookings["b2"] = booking(status="confirmed")
    m.look(NOW)
    m.bookings["b2"] = booking(2, status="quote")  # detached
    m.look(NOW)
    assert len(m.expected(ANN)) == 3
    m.calendar_deleted(ANN)
    assert m.expected(ANN) == {} and m.look(NOW) == set()  # nothing to write: not made yet
    m.bookings["b1"] = booking(2, suburb="Majorstuen")
    assert m.look(NOW) == {ANN}  # a write is due: the product makes the calendar again
    m.calendar_made_again(ANN, NOW)
    assert set(m.expected(ANN)) == {SLOT, ("w1", ("unavailable", "u1"))}


@pytest.mark.parametrize(
    ("fields", "busy"),
    [
        ({}, True),
        ({"transparency": "transparent"}, False),
        ({"eventType": "workingLocation"}, False),
        ({"status": "cancelled"}, False),
        ({"attendees": [{"email": ANN, "self": True, "responseStatus": "declined"}]}, False),
        ({"attendees": [{"email": ANN, "self": True, "responseStatus": "accepted"}]}, True),
    ],
)
def test_busy_time_follows_googles_fields(fields, busy):
    start = NOW + timedelta(days=1)
    event = {
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
        **fields,
    }
    expected = ("timed", start, start + timedelta(hours=1)) if busy else None
    assert busy_interval(event, NOW) == expected


def test_busy_time_outside_the_import_window_is_not_imported():
    start = NOW - timedelta(days=40)
    event = {
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
    }
    assert busy_interval(event, NOW) is None
    day = {"start": {"date": "2026-06-03"}, "end": {"date": "2026-06-04"}}
    first, last = datetime(2026, 6, 3).date(), datetime(2026, 6, 4).date()
    assert busy_interval(day, NOW) == ("day", first, last)
