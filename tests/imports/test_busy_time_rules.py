"""Which Google events make whom busy, and when: an account shared by two workers stores
each block once and shows it to both; an all-day event is busy from each worker's own
local midnight; an event the account holder declined is free (and stops being busy when
declined later)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.domain.busy import BusyTime
from tests.helpers import wait_until
from tests.imports.conftest import ImportingCompany, connect, timed
from tests.push.conftest import ANN, OSLO, day

AUCKLAND = ZoneInfo("Pacific/Auckland")


@pytest.fixture
def shared(company: ImportingCompany) -> ImportingCompany:
    """Ann (Oslo) and Kiri (Auckland) both signed in with Ann's Google account (a shared
    team account), twelve hours apart."""
    company.add_worker("w2", "kiri@example.com", name="Kiri Ngata", timezone="Pacific/Auckland")
    company.stack.google.set_paging()
    connect(company, "w1")
    connect(company, "w2", email=ANN)
    assert company.account_sub("w1") == company.account_sub("w2")
    return company


def as_seen_from(block: dict, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The busy instants of a stored block for a worker in `zone` (the views' reading)."""
    busy = BusyTime(
        event_id=block["event_id"],
        summary=block["summary"],
        start=block["start"],
        end=block["end"],
        start_date=date.fromisoformat(block["start_date"]) if block["start_date"] else None,
        end_date=date.fromisoformat(block["end_date"]) if block["end_date"] else None,
    )
    return busy.interval(zone)


def test_a_shared_account_stores_each_block_once_for_both_of_its_workers(shared):
    google = shared.stack.google
    event = google.insert_event(ANN, "primary", timed("Team meeting", day(2, 10)))
    wait_until(lambda: event["id"] in shared.blocks(), timeout=20)
    shared.imported()
    (block,) = shared.stored_blocks()
    sub = shared.account_sub("w1")
    assert block["sub"] == sub
    assert sorted(shared.account(sub)["worker_ids"]) == ["w1", "w2"]  # shown for both
    # A timed event is the same instants wherever the worker is.
    assert as_seen_from(block, OSLO) == as_seen_from(block, AUCKLAND) == (day(2, 10), day(2, 11))
    # One import and one channel per calendar, however many workers share the account.
    assert len(shared.imports()) == 1
    assert len(shared.channel_docs()) == 1 and len(shared.channel_docs("calendar_list")) == 1

    # One of them leaves: the other still sees the blocks; the last one takes them along.
    assert shared.call("DELETE", "/workers/w2/connection").status_code == 200
    assert set(shared.blocks()) == {event["id"]}
    assert shared.call("DELETE", "/workers/w1/connection").status_code == 200
    assert shared.blocks() == {}


def test_an_all_day_event_is_busy_from_each_workers_own_midnight(shared):
    google = shared.stack.google
    holiday = (datetime.now(OSLO) + timedelta(days=3)).date()
    event = google.insert_event(
        ANN,
        "primary",
        {
            "summary": "Public holiday",
            "start": {"date": holiday.isoformat()},
            "end": {"date": (holiday + timedelta(days=1)).isoformat()},
        },
    )
    wait_until(lambda: event["id"] in shared.blocks(), timeout=20)
    (block,) = shared.stored_blocks()  # one block for the account, not one per zone
    assert block["all_day"] is True and block["start"] is None and block["end"] is None
    assert (block["start_date"], block["end_date"]) == (
        holiday.isoformat(),
        (holiday + timedelta(days=1)).isoformat(),
    )
    in_oslo, in_auckland = as_seen_from(block, OSLO), as_seen_from(block, AUCKLAND)
    midnight = datetime(holiday.year, holiday.month, holiday.day)
    assert in_oslo == (
        midnight.replace(tzinfo=OSLO),
        (midnight + timedelta(days=1)).replace(tzinfo=OSLO),
    )
    assert in_auckland == (
        midnight.replace(tzinfo=AUCKLAND),
        (midnight + timedelta(days=1)).replace(tzinfo=AUCKLAND),
    )
    # The same day is different instants: Auckland's starts 11 or 12 hours before Oslo's.
    assert timedelta(hours=10) < in_oslo[0] - in_auckland[0] < timedelta(hours=13)
    # Range queries find the block from either zone (its stored bounds cover both days).
    assert block["range_start"] <= in_auckland[0] and block["range_end"] >= in_oslo[1]


def test_events_the_account_holder_declined_are_free_and_declining_later_frees_the_time(company):
    google = company.stack.google
    google.set_paging()

    def invitation(summary: str, start, answer: str) -> dict:
        attendees = [
            {"email": "boss@example.com", "responseStatus": "accepted"},
            {"email": ANN, "responseStatus": answer},
        ]
        return timed(summary, start, attendees=attendees)

    declined = google.insert_event(ANN, "primary", invitation("Golf", day(2, 10), "declined"))
    accepted = google.insert_event(ANN, "primary", invitation("Review", day(2, 13), "accepted"))
    unanswered = google.insert_event(ANN, "primary", invitation("Demo", day(2, 15), "needsAction"))
    connect(company)
    wait_until(lambda: len(company.blocks()) == 2, timeout=20)
    company.imported()
    assert set(company.blocks()) == {accepted["id"], unanswered["id"]}
    assert declined["id"] not in company.blocks()

    # Ann declines the meeting she had accepted: its block goes after the notification.
    attendees = [
        {"email": "boss@example.com", "responseStatus": "accepted"},
        {"email": ANN, "responseStatus": "declined"},
    ]
    google.patch_event(ANN, "primary", accepted["id"], {"attendees": attendees})
    wait_until(lambda: set(company.blocks()) == {unanswered["id"]}, timeout=20)
