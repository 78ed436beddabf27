"""The doorbell under Google's real behaviour: each change in Google arrives after its one
notification, and lost, duplicated, late and stale notifications neither lose a change nor
cost more than one incremental list; a channel is renewed with no gap. Driven through the
account holder's hooks and the push hooks of the Google stand-in, and the cron jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers import wait_until
from tests.imports.conftest import (
    ImportingCompany,
    connect,
    imports_asked,
    replay,
    timed,
)
from tests.push.conftest import ANN, day


def connected(company: ImportingCompany) -> dict:
    """Ann connected, her primary calendar imported and its channel quiet; the channel."""
    company.stack.google.set_paging()  # full pages: the calls counted are ours alone
    connect(company)
    channel = company.channel(ANN)
    company.imported()
    company.notified()
    return channel


def test_an_event_made_moved_and_deleted_in_google_each_arrives_after_one_notification(company):
    google = company.stack.google
    channel = connected(company)
    sub = company.account_sub("w1")

    def one_change(change, arrived) -> None:
        """`change` in Google rings the channel once; `arrived` follows, for one list call."""
        heard = len(company.deliveries(channel["id"]))
        company.forget_calls()
        before = datetime.now(UTC)
        change()
        wait_until(arrived, timeout=20, what="the change imported")
        company.imported(after=before)
        company.notified()
        assert len(company.deliveries(channel["id"])) == heard + 1
        assert company.calls() == {"calendar.events.list": 1}

    made = {}
    one_change(
        lambda: made.update(google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))),
        lambda: made and made["id"] in company.blocks(),
    )
    block = company.blocks()[made["id"]]
    assert (block["sub"], block["calendar_id"], block["start"]) == (sub, ANN, day(2, 10))

    one_change(
        lambda: google.patch_event(ANN, "primary", made["id"], timed("Dentist", day(4, 15))),
        lambda: company.blocks()[made["id"]]["start"] == day(4, 15),
    )
    assert company.blocks()[made["id"]]["end"] == day(4, 16)

    one_change(
        lambda: google.delete_event(ANN, "primary", made["id"]),
        lambda: made["id"] not in company.blocks(),
    )
    assert company.stored_blocks() == []


def test_a_lost_notification_is_caught_up_by_the_poll(company):
    google = company.stack.google
    channel = connected(company)
    google.drop_notifications(1, channel_id=channel["id"])
    event = google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))
    (lost,) = [d for d in company.notified() if d["channelId"] == channel["id"] and d["dropped"]]
    assert lost["headers"]["X-Goog-Resource-State"] == "exists"
    company.imported()
    assert event["id"] not in company.blocks()  # nothing rang: nothing imported yet

    company.forget_calls()
    assert company.poll_all() == 1  # `make cron JOB=poll ALL=1`
    wait_until(lambda: event["id"] in company.blocks(), timeout=20, what="the poll's import")
    company.imported()
    assert company.calls() == {"calendar.events.list": 1}


def test_a_duplicated_notification_stores_nothing_twice(company):
    google = company.stack.google
    channel = connected(company)
    event = google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))
    wait_until(lambda: event["id"] in company.blocks(), timeout=20)
    company.imported()
    (delivered,) = [
        d
        for d in company.notified()
        if d["channelId"] == channel["id"] and d["headers"]["X-Goog-Resource-State"] == "exists"
    ]

    company.forget_calls()
    asked = imports_asked(company)
    before = datetime.now(UTC)
    # Google sends the same message twice (or two channels ring for one change).
    for _ in range(2):
        assert replay(company, delivered).status_code == 200
    company.imported(after=before)
    # Coalesced: one import per time slice and calendar, each one incremental list.
    wait_until(lambda: imports_asked(company) > asked, timeout=20, what="the import's task done")
    assert imports_asked(company) - asked <= 2
    calls = company.calls()
    assert set(calls) == {"calendar.events.list"} and calls["calendar.events.list"] <= 2
    assert [b["event_id"] for b in company.stored_blocks()] == [event["id"]]


def test_a_late_notification_after_its_change_was_imported_costs_one_list_and_no_block(company):
    google = company.stack.google
    channel = connected(company)
    google.delay_notifications(600, count=1, channel_id=channel["id"])  # held until released
    event = google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))
    company.poll_all()  # the poll imports the change before its notification comes
    wait_until(lambda: event["id"] in company.blocks(), timeout=20)
    company.imported()

    company.forget_calls()
    before = datetime.now(UTC)
    google.clear_faults()  # the held notification is delivered now, late
    (late,) = [d for d in company.notified() if d["channelId"] == channel["id"] and d["delayed"]]
    assert late["status"] == 200
    company.imported(after=before)
    assert company.calls() == {"calendar.events.list": 1}  # one increment finding nothing new
    assert [b["event_id"] for b in company.stored_blocks()] == [event["id"]]


def test_renewal_leaves_no_gap_and_the_stopped_channel_rings_for_nothing(company):
    google = company.stack.google
    old = connected(company)
    db = company.stack.db
    # Ann's change before the renewal rings the old channel once (kept, to ring it later).
    google.drop_notifications(1, channel_id=old["id"])
    google.insert_event(ANN, "primary", timed("Before", day(2, 8)))
    (stale,) = [d for d in company.notified() if d["channelId"] == old["id"] and d["dropped"]]
    company.poll_all()
    company.imported()

    soon = datetime.now(UTC) + timedelta(hours=1)
    (state,) = db.collection(f"companies/{company.id}/calendar_imports").stream()
    state.reference.update({"channel.expiration": soon})
    db.collection("channels").document(old["id"]).update({"expiration": soon})
    # Stopping the old channel takes a while: a change made meanwhile, after the new channel
    # opened, must still arrive, though the old channel's message of it is lost.
    google.add_latency(1.5, method="POST", path="/calendar/v3/channels/stop", count=1)
    google.drop_notifications(1, channel_id=old["id"])
    assert company.cron("renew-channels")["calendars"] == 1
    new_id = wait_until(
        lambda: next((c for c in company.channel_docs() if c != old["id"]), None),
        timeout=20,
        what="the new channel open",
    )
    event = google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))
    stopped = [r for r in google.request_log() if r["methodId"] == "calendar.channels.stop"]
    assert stopped == []  # the change was made in the gap a stop-first renewal would leave
    wait_until(lambda: event["id"] in company.blocks(), timeout=20, what="the change imported")
    wait_until(
        lambda: (
            [r["status"] for r in google.request_log() if r["methodId"] == "calendar.channels.stop"]
            == [204]
        ),
        timeout=20,
        what="the old channel stopped at Google",
    )
    assert set(company.channel_docs()) == {new_id}
    assert company.channel(ANN)["id"] == new_id
    company.imported()

    # A notification of the stopped channel (late, or forged with its old token) does nothing.
    company.forget_calls()
    asked = imports_asked(company)
    assert replay(company, stale).status_code == 200
    assert company.calls() == {}
    assert imports_asked(company) == asked
