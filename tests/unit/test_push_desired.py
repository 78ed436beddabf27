"""The push gather rules: which bookings and blocks a worker's calendar should hold, and why
linked keys leave it (pure functions of push.py; no emulator, no Google)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from shared.domain.booking import Booking, BookingStatus, EventKey, UnavailableBlock, event_id
from shared.domain.event_link import EventLink, LinkState
from shared.domain.rendering import content_hash, render_booking, render_unavailable
from shared.domain.worker import Worker
from shared.sync.plan import Desired, Leaving
from shared.sync.push import desired_events, leaving

COMPANY = "acme"
WORKER = Worker("w-1", name="Ola Worker")
SINCE = datetime(2026, 4, 1, tzinfo=UTC)

CONFIRMED = BookingStatus("confirmed", "Confirmed", "#2e7d32", True, False)
CANCELLED = BookingStatus("cancelled", "Cancelled", "#c62828", True, True)  # pushes, deletes
QUOTE = BookingStatus("quote", "Quote", "#9e9e9e", False, False)
LOST = BookingStatus("lost", "Lost", "#000000", False, True)  # does not push, deletes
STATUSES = {status.id: status for status in (CONFIRMED, CANCELLED, QUOTE, LOST)}


def booking(booking_id: str = "b-1", **fields) -> Booking:
    record = {
        "version": 3,
        "status_id": "confirmed",
        "start": "2026-04-14T07:00:00+00:00",
        "end": "2026-04-14T09:00:00+00:00",
        "timezone": "Europe/Oslo",
        "worker_ids": ["w-1"],
        "customer": {"name": "Kari Nordmann"},
        "service": {"name": "Window cleaning"},
        "created_by": "Alice Admin",
        "created_at": "2026-03-01T09:00:00+00:00",
    }
    return Booking.from_record(booking_id, record | fields)


def block(block_id: str = "u-1", **fields) -> UnavailableBlock:
    record = {
        "version": 2,
        "worker_id": "w-1",
        "start": "2026-04-15T12:00:00+00:00",
        "end": "2026-04-15T13:00:00+00:00",
    }
    return UnavailableBlock.from_record(block_id, record | fields)


def desired(bookings=(), blocks=(), worker: Worker = WORKER) -> list[Desired]:
    return desired_events(COMPANY, worker, bookings, STATUSES, blocks)


def desired_for(item: Booking | UnavailableBlock) -> Desired:
    (event,) = desired([item]) if isinstance(item, Booking) else desired(blocks=[item])
    return event


def link(key: str, version: int = 1) -> EventLink:
    return EventLink("w-1", key, LinkState.SYNCED, version, event_id=f"e-{key}", calendar_id="cal")


# -- desired events -----------------------------------------------------------------


@pytest.mark.parametrize("status", [CONFIRMED, CANCELLED], ids=lambda status: status.id)
def test_a_booking_assigned_to_the_worker_in_a_pushing_status_is_desired(status):
    item = booking(status_id=status.id, worker_ids=["w-2", "w-1"], version=7, generation=2)
    body = render_booking(item, status, "Ola Worker", COMPANY, "w-1")
    assert "Worker: Ola Worker" in body["description"]
    assert desired([item]) == [
        Desired(
            key="booking:b-1",
            event_id=event_id(COMPANY, "w-1", EventKey.booking("b-1"), 2),
            body=body,
            content_hash=content_hash(body),
            version=7,
            end=datetime(2026, 4, 14, 9, 0, tzinfo=UTC),
            deletes_on_removal=status.delete_from_google,
        )
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"worker_ids": ["w-2"]},
        {"worker_ids": []},
        {"deleted": True},
        {"status_id": "no-such-status"},
        {"status_id": "quote"},
        {"status_id": "lost"},
    ],
    ids=["other-worker", "nobody", "deleted", "unknown-status", "quote", "non-pushing-deleting"],
)
def test_a_booking_that_does_not_push_to_this_worker_is_not_desired(fields):
    assert desired([booking(**fields)]) == []


def test_an_inactive_worker_gets_nothing_desired():
    inactive = replace(WORKER, active=False)
    assert desired([booking()], [block()]) != []
    assert desired([booking()], [block()], worker=inactive) == []


def test_the_workers_own_blocks_are_desired_and_delete_their_event_on_removal():
    mine, theirs = block("u-1", version=4, generation=1), block("u-2", worker_id="w-2")
    body = render_unavailable(mine, COMPANY, "w-1")
    assert desired(blocks=[mine, theirs]) == [
        Desired(
            key="unavailable:u-1",
            event_id=event_id(COMPANY, "w-1", EventKey.unavailable("u-1"), 1),
            body=body,
            content_hash=content_hash(body),
            version=4,
            end=datetime(2026, 4, 15, 13, 0, tzinfo=UTC),
            deletes_on_removal=True,
        )
    ]


def test_a_deleted_block_is_not_desired():
    assert desired(blocks=[block(deleted=True)]) == []


@pytest.mark.parametrize("make", [booking, block], ids=["booking", "block"])
def test_a_new_generation_gives_a_new_event_id_for_the_same_key(make):
    first, revived = desired_for(make(generation=0)), desired_for(make(generation=1))
    assert first.key == revived.key
    assert first.event_id != revived.event_id


# -- why linked keys leave ----------------------------------------------------------


@pytest.mark.parametrize(
    "item",
    [
        booking(end="2026-03-10T09:00:00+00:00"),
        booking(end=SINCE.isoformat()),  # ends exactly at the window's start: outside it
        block(end="2026-03-10T13:00:00+00:00"),
    ],
    ids=["booking", "booking-ending-at-since", "block"],
)
def test_a_link_whose_item_still_pushes_but_ended_before_the_window_is_left_alone(item):
    key = f"booking:{item.id}" if isinstance(item, Booking) else f"unavailable:{item.id}"
    assert leaving(WORKER, [link(key)], [], {key: item}, STATUSES, SINCE) == ([], {})


def test_a_link_whose_item_ended_before_the_window_and_no_longer_pushes_still_leaves():
    old = link("booking:b-1")
    item = booking(end="2026-03-10T09:00:00+00:00", worker_ids=[], version=8)
    looked_at, gone = leaving(WORKER, [old], [], {old.key: item}, STATUSES, SINCE)
    assert (looked_at, gone) == ([old], {old.key: Leaving(8, deletes_now=False)})


@pytest.mark.parametrize(
    ("fields", "deletes_now"),
    [
        ({"worker_ids": ["w-2"]}, False),
        ({"worker_ids": ["w-2"], "status_id": "cancelled"}, True),
        ({"status_id": "quote"}, False),
        ({"status_id": "lost"}, True),
        ({"deleted": True}, False),
        ({"deleted": True, "status_id": "cancelled"}, True),
        ({"status_id": "no-such-status"}, False),
    ],
    ids=[
        "unassigned",
        "unassigned-deleting-status",
        "non-pushing-status",
        "non-pushing-deleting-status",
        "deleted",
        "deleted-in-deleting-status",
        "unknown-status",
    ],
)
def test_a_link_of_a_booking_no_longer_pushed_leaves_with_its_current_status_flag(
    fields, deletes_now
):
    old = link("booking:b-1", version=3)
    item = booking(version=7, **fields)
    looked_at, gone = leaving(WORKER, [old], [], {old.key: item}, STATUSES, SINCE)
    assert looked_at == [old]
    assert gone == {old.key: Leaving(7, deletes_now=deletes_now)}


def test_every_link_of_an_inactive_worker_leaves():
    inactive = replace(WORKER, active=False)
    links = [link("booking:b-1"), link("unavailable:u-1")]
    items = {"booking:b-1": booking(status_id="cancelled", version=5), "unavailable:u-1": block()}
    looked_at, gone = leaving(inactive, links, [], items, STATUSES, SINCE)
    assert looked_at == links
    # A block has no status: its link's pushed flag is what deletes its event.
    assert gone == {
        "booking:b-1": Leaving(5, deletes_now=True),
        "unavailable:u-1": Leaving(2, deletes_now=False),
    }


def test_a_link_whose_item_is_unknown_stays_without_a_leaving_entry():
    old = link("booking:gone")
    assert leaving(WORKER, [old], [], {}, STATUSES, SINCE) == ([old], {})


def test_a_desired_link_stays_without_a_leaving_entry():
    item = booking()
    events = desired([item])
    old = link("booking:b-1")
    assert leaving(WORKER, [old], events, {old.key: item}, STATUSES, SINCE) == ([old], {})


def test_leaving_keeps_the_links_in_their_order_and_names_only_the_leaving_keys():
    wanted, unassigned = booking("b-1"), booking("b-2", worker_ids=[])
    old = booking("b-3", end="2026-03-10T09:00:00+00:00")
    items = {f"booking:{b.id}": b for b in (wanted, unassigned, old)}
    links = [link("booking:b-4"), link("booking:b-3"), link("booking:b-2"), link("booking:b-1")]
    looked_at, gone = leaving(WORKER, links, desired([wanted]), items, STATUSES, SINCE)
    assert [each.key for each in looked_at] == ["booking:b-4", "booking:b-2", "booking:b-1"]
    assert gone == {"booking:b-2": Leaving(3, deletes_now=False)}
