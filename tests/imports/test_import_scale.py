"""Import cost grows with changes, not with the calendar: after the first import of a
10,000-event calendar, one change in Google costs exactly one `events.list` call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers import wait_until
from tests.imports.conftest import connect, timed
from tests.push.conftest import ANN, day

EVENTS = 10_000


def test_one_change_on_a_10000_event_calendar_costs_one_list_call(company):
    google = company.stack.google
    google.set_paging()  # full pages: the calls counted are ours alone
    # Seeded through the stand-in's Python API (the account holder's hook, without HTTP):
    # hour-long jobs every 45 minutes, all inside the import window (counted in UTC: a
    # wall-clock hour across a DST change may be no time at all).
    first = day(-20, 0).astimezone(UTC)
    seeded = [
        google.insert_event(ANN, "primary", timed(f"Job {n}", first + timedelta(minutes=45 * n)))
        for n in range(EVENTS)
    ]
    connect(company)
    company.channel(ANN)
    company.imported()
    blocks = company.stack.db.collection(f"companies/{company.id}/busy_blocks")
    assert blocks.count().get()[0][0].value == EVENTS
    company.notified()

    company.forget_calls()
    before = datetime.now(UTC)
    moved = seeded[EVENTS // 2]
    google.patch_event(ANN, "primary", moved["id"], timed("Job moved", day(3, 7)))
    sub = company.account_sub("w1")
    block = blocks.document(f"{sub}|{ANN}|{moved['id']}")
    wait_until(lambda: block.get().to_dict()["start"] == day(3, 7), timeout=20, what="the move")
    company.imported(after=before)
    assert company.calls() == {"calendar.events.list": 1}
