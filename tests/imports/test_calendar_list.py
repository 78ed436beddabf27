"""The account's calendar list has its own channel: a calendar made in Google is offered
(and imported when the domain's rule selects it) and a deleted one leaves with its blocks,
without a poll or a resync. The channel opens with the account, is renewed before it ends
and goes with the last worker on the account."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from tests.helpers import wait_until
from tests.imports.conftest import (
    ImportingCompany,
    account_syncs_asked,
    connect,
    replay,
    timed,
)
from tests.push.conftest import ANN, day, snapshot


def calendars(company: ImportingCompany) -> dict[str, dict]:
    answer = company.call("GET", "/workers/w1/calendars")
    assert answer.status_code == 200, answer.text
    return {c["id"]: c for c in answer.json()["calendars"]}


def test_connecting_opens_a_channel_on_the_calendar_list_with_its_own_hashed_token(company):
    connect(company)
    channel = company.list_channel()
    doc = company.channel_docs("calendar_list")[channel["id"]]
    assert (doc["company_id"], doc["sub"]) == (company.id, company.account_sub("w1"))
    assert doc["calendar_id"] is None and doc["expiration"] == channel["expiration"]
    (sync,) = [d for d in company.notified() if d["channelId"] == channel["id"]]
    token = sync["headers"]["X-Goog-Channel-Token"]
    assert doc["token_hash"] == hashlib.sha256(token.encode()).hexdigest() != token
    events_channel = company.channel(ANN)
    company.notified()
    (events_sync,) = company.deliveries(events_channel["id"])
    assert token != events_sync["headers"]["X-Goog-Channel-Token"]


def test_a_calendar_made_in_google_is_offered_selected_and_imported_without_a_poll(company):
    google = company.stack.google
    connect(company)
    channel = company.list_channel()
    company.imported()
    company.notified()
    company.forget_calls()

    football = google.create_calendar(ANN, "Ann's football")  # in Google's UI
    match = google.insert_event(ANN, football["id"], timed("Match", day(3, 18)))
    wait_until(lambda: match["id"] in company.blocks(), timeout=20, what="the new calendar's event")
    listed = calendars(company)[football["id"]]
    assert (listed["summary"], listed["selected"], listed["access_role"]) == (
        "Ann's football",
        True,  # owned by the account: imported by default
        "owner",
    )
    assert company.blocks()[match["id"]]["calendar_id"] == football["id"]
    company.channel(football["id"])  # and it has a channel of its own
    company.imported()
    # One read of the list; the calendars already imported were not listed again.
    log = google.request_log()
    listings = [r for r in log if r["methodId"] == "calendar.calendarList.list"]
    assert len([r for r in listings if "pageToken=" not in r["query"]]) == 1
    assert [r["path"] for r in log if r["methodId"] == "calendar.events.list"] == [
        f"/calendar/v3/calendars/{football['id']}/events"
    ]
    rang = [d["headers"]["X-Goog-Resource-State"] for d in company.deliveries(channel["id"])]
    assert rang == ["sync", "exists"]


def test_a_calendar_deleted_in_google_takes_its_blocks_import_and_channel_along(company):
    google = company.stack.google
    football = google.create_calendar(ANN, "Ann's football")
    match = google.insert_event(ANN, football["id"], timed("Match", day(3, 18)))
    dentist = google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))
    connect(company)
    wait_until(lambda: set(company.blocks()) == {match["id"], dentist["id"]}, timeout=20)
    football_channel = company.channel(football["id"])
    company.imported()
    company.notified()

    google.delete_calendar(ANN, football["id"])  # in Google's UI
    wait_until(lambda: set(company.blocks()) == {dentist["id"]}, timeout=20, what="blocks gone")
    wait_until(lambda: football["id"] not in calendars(company), timeout=20, what="list read")
    wait_until(lambda: company.import_of(football["id"]) is None, timeout=20, what="import gone")
    assert football_channel["id"] not in company.channel_docs()
    assert set(calendars(company)) == {ANN}
    company.imported()
    assert company.import_of(ANN)["channel"]  # the other calendar is untouched
    assert company.poll_all() == 1  # the deleted calendar is not polled


def test_a_calendar_deleted_while_its_list_notification_is_lost_goes_at_the_next_poll(company):
    google = company.stack.google
    football = google.create_calendar(ANN, "Ann's football")
    match = google.insert_event(ANN, football["id"], timed("Match", day(3, 18)))
    connect(company)
    wait_until(lambda: match["id"] in company.blocks(), timeout=20)
    list_channel = company.list_channel()
    company.imported()
    company.notified()
    # Both doorbells are lost: the list's and the calendar's own (`not_exists`).
    google.drop_notifications(1, channel_id=list_channel["id"])
    google.drop_notifications(1, channel_id=company.channel(football["id"])["id"])
    google.delete_calendar(ANN, football["id"])
    company.notified()
    assert match["id"] in company.blocks()

    company.poll_all()  # its import meets a 404: the blocks go and the list is read again
    wait_until(lambda: match["id"] not in company.blocks(), timeout=20)
    wait_until(lambda: football["id"] not in calendars(company), timeout=20, what="list read")
    wait_until(lambda: company.import_of(football["id"]) is None, timeout=20, what="import gone")


def test_the_company_calendar_deleted_in_google_is_made_again_with_its_events(company):
    google = company.stack.google
    connect(company)
    company.put("b1", snapshot(1, "w1"))
    company.settled()
    old = company.calendar_id("w1")
    assert company.events_of(ANN, "w1", "b1")
    company.list_channel()
    company.notified()

    google.delete_calendar(ANN, old)  # the worker deletes it in Google's UI
    new = wait_until(
        lambda: (c := company.calendar_id("w1")) != old and c, timeout=20, what="a new one"
    )
    # Its events come back with it, though no booking changed.
    wait_until(lambda: company.events_of(ANN, "w1", "b1"), timeout=20, what="pushed again")
    company.settled()
    assert company.sync_of("b1")["w1"]["calendar_id"] == new
    assert new not in calendars(company)  # ours: never offered for import


def test_the_calendar_list_channel_is_renewed_new_first_then_the_old_stopped(company):
    google = company.stack.google
    connect(company)
    old = company.list_channel()
    company.imported()
    company.notified()
    soon = datetime.now(UTC) + timedelta(hours=1)
    db = company.stack.db
    sub = company.account_sub("w1")
    db.document(f"companies/{company.id}/accounts/{sub}").update(
        {"calendar_list_channel.expiration": soon}
    )
    db.collection("channels").document(old["id"]).update({"expiration": soon})

    assert company.cron("renew-channels") == {
        "job": "renew-channels",
        "calendars": 0,
        "accounts": 1,
    }
    new = wait_until(
        lambda: (c := company.account()["calendar_list_channel"])["id"] != old["id"] and c,
        timeout=20,
        what="the list channel renewed",
    )
    assert set(company.channel_docs("calendar_list")) == {new["id"]}
    assert new["expiration"] > soon
    calls = [
        (r["methodId"], r["status"])
        for r in google.request_log()
        if r["methodId"] in ("calendar.calendarList.watch", "calendar.channels.stop")
    ]
    assert calls[-2:] == [("calendar.calendarList.watch", 200), ("calendar.channels.stop", 204)]

    # The old channel's ring (late, or forged with its token) does nothing; the new one's
    # brings a new calendar in.
    (old_sync,) = company.deliveries(old["id"])
    late = {**old_sync, "headers": {**old_sync["headers"], "X-Goog-Resource-State": "exists"}}
    asked = account_syncs_asked(company)
    assert replay(company, late).status_code == 200
    assert account_syncs_asked(company) == asked
    football = google.create_calendar(ANN, "Ann's football")
    wait_until(lambda: football["id"] in calendars(company), timeout=20, what="new calendar")


def test_the_last_disconnect_closes_the_calendar_list_channel(company):
    connect(company)
    channel = company.list_channel()
    assert company.call("DELETE", "/workers/w1/connection").status_code == 200
    assert company.channel_docs("calendar_list") == {}
    assert company.account()["calendar_list_channel"] is None
    assert company.stack.db.collection("channels").document(channel["id"]).get().exists is False


def test_an_account_set_up_while_push_only_gets_its_list_channel_from_its_first_import(company):
    company.enable(sync_direction="push_only")
    connect(company)
    assert company.account().get("calendar_list_channel") is None
    assert company.channel_docs("calendar_list") == {}
    assert "calendar.calendarList.watch" not in company.calls()

    company.enable(sync_direction="two_way")
    assert company.poll_all() == 1  # the import asks the account to open its channel
    company.list_channel()
    football = company.stack.google.create_calendar(ANN, "Ann's football")
    wait_until(lambda: football["id"] in calendars(company), timeout=20, what="new calendar")
