"""Bookings reach the workers' company calendars: the exact requests sent to Google, one call
per changed event and none for a change that alters nothing, and the delete flag's rules
for a booking that stops being pushed (Odoo's test_sync_odoo2google style)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests

from dev.tokens import service_token
from shared.config import get_config
from shared.domain.booking import EventKey, event_id
from shared.queue import messages
from shared.queue.tasks import tasks_client
from tests.helpers import wait_until
from tests.push.conftest import (
    ANN,
    BEN,
    PUSH_ONLY,
    PushCompany,
    day,
    pushed,
    snapshot,
)


def only_event(company, email, worker_id, booking_id) -> dict:
    (event,) = company.events_of(email, worker_id, booking_id)
    return event


def test_a_new_booking_becomes_one_event_with_every_field_the_worker_needs(company):
    assert company.put("b1", snapshot(1, "w1")) == {"applied": True}
    states = pushed(company, "b1")
    assert company.calls() == {"calendar.events.insert": 1}
    (entry,) = company.stack.google.request_log()
    assert "sendUpdates=none" in entry["query"]

    event = only_event(company, ANN, "w1", "b1")
    assert event["id"] == event_id("c1", "w1", EventKey.booking("b1"), 0)
    assert event["summary"] == "Confirmed: Ada Lovelace - Boiler service"
    assert event["start"] == {"dateTime": day(3).isoformat(), "timeZone": "Europe/Oslo"}
    assert event["end"] == {
        "dateTime": (day(3) + timedelta(hours=2)).isoformat(),
        "timeZone": "Europe/Oslo",
    }
    assert event["location"] == "1 Analytical Way, Oslo"
    assert event["colorId"] == "10"  # Basil, nearest to the status's #51b749
    assert event["transparency"] == "opaque"
    assert "attendees" not in event
    assert event["extendedProperties"]["private"] == {
        "company_id": "c1",
        "worker_id": "w1",
        "booking_id": "b1",
        "key": "booking:b1",
    }
    description = event["description"]
    for line in (
        "Status: Confirmed",
        "Worker: Ann Hansen",
        "Amount: kr1250.00",
        "Suburb: Frogner",
        "Customer: Ada Lovelace",
        "Phone: +47 22 00 00 00",
        "Address 1: 1 Analytical Way, Oslo",
        "Address 2: Back door",
        "Service: Boiler service",
        "Annual check",
        "gate code: 1234",
        "Created by Grace on 2026-11-20 10:00 (Europe/Oslo)",
    ):
        assert line in description
    assert states["w1"]["state"] == "synced"
    assert states["w1"]["event_id"] == event["id"]
    assert states["w1"]["calendar_id"] == company.calendar_id("w1")
    assert states["w1"]["updated_at"]
    assert states["w1"]["error"] is None
    # Ben is not on the booking: nothing reached his calendar.
    assert company.events(BEN, "w2") == []


def test_a_reschedule_is_one_update_and_a_no_op_change_sends_nothing(company):
    company.put("b1", snapshot(1, "w1"))
    pushed(company, "b1")
    first = only_event(company, ANN, "w1", "b1")
    company.forget_calls()

    later = day(4, hour=13)
    company.put("b1", snapshot(2, "w1", start=later))
    pushed(company, "b1")
    assert company.calls() == {"calendar.events.update": 1}  # no read before write
    moved = only_event(company, ANN, "w1", "b1")
    assert (moved["id"], moved["start"]["dateTime"]) == (first["id"], later.isoformat())

    company.forget_calls()
    # A new version whose event reads the same (a field the event does not show changed).
    assert company.put("b1", snapshot(3, "w1", start=later, created_by="Grace")) == {
        "applied": True
    }
    states = pushed(company, "b1")
    assert company.calls() == {}
    assert states["w1"]["state"] == "synced"


def test_a_duplicated_or_older_delivery_changes_nothing_and_never_duplicates(company):
    company.put("b1", snapshot(2, "w1"))
    pushed(company, "b1")
    company.forget_calls()
    assert company.put("b1", snapshot(2, "w1", suburb="Elsewhere")) == {"applied": False}
    assert company.put("b1", snapshot(1, "w1", suburb="Older")) == {"applied": False}
    messages.request_sync(company.stack.config, "c1", "w1")  # a duplicated task
    pushed(company, "b1")
    assert company.calls() == {}
    assert "Suburb: Frogner" in only_event(company, ANN, "w1", "b1")["description"]


@pytest.mark.parametrize(
    ("status", "removed"),
    [("confirmed", False), ("tentative", True)],  # tentative carries delete_from_google
)
def test_a_reassignment_moves_the_booking_by_the_delete_flag(company, status, removed):
    company.put("b1", snapshot(1, "w1", status=status))
    pushed(company, "b1")
    company.forget_calls()

    company.put("b1", snapshot(2, "w2", status=status))
    states = pushed(company, "b1")
    ben = only_event(company, BEN, "w2", "b1")
    assert ben["extendedProperties"]["private"]["worker_id"] == "w2"
    if removed:
        assert company.calls() == {"calendar.events.insert": 1, "calendar.events.delete": 1}
        assert company.events_of(ANN, "w1", "b1") == []
        assert states["w1"]["state"] == "removed"
    else:
        assert company.calls() == {"calendar.events.insert": 1}
        assert len(company.events_of(ANN, "w1", "b1")) == 1  # left, no longer updated
        assert states["w1"]["state"] == "detached"
    assert states["w2"]["state"] == "synced"


@pytest.mark.parametrize(
    ("pushed_in", "moved_to", "removed"),
    [
        ("confirmed", "quote", False),  # neither status says delete: detached
        ("confirmed", "cancelled", True),  # the status it has now says delete
        ("tentative", "quote", True),  # the status it had while pushed says delete
    ],
)
def test_a_move_to_a_status_that_does_not_push(company, pushed_in, moved_to, removed):
    company.put("b1", snapshot(1, "w1", status=pushed_in))
    pushed(company, "b1")
    company.forget_calls()
    company.put("b1", snapshot(2, "w1", status=moved_to))
    states = pushed(company, "b1")
    if removed:
        assert company.calls() == {"calendar.events.delete": 1}
        assert company.events_of(ANN, "w1", "b1") == []
        assert states["w1"]["state"] == "removed"
    else:
        assert company.calls() == {}
        assert states["w1"]["state"] == "detached"
        company.put("b1", snapshot(3, "w1", status=pushed_in, suburb="Majorstuen"))
        pushed(company, "b1")
        assert "Suburb: Majorstuen" in only_event(company, ANN, "w1", "b1")["description"]


def test_a_booking_in_a_status_that_does_not_push_is_skipped(company):
    company.put("b1", snapshot(1, "w1", status="quote"))
    states = pushed(company, "b1")
    assert company.calls() == {}
    assert states["w1"]["state"] == "skipped"


def test_a_delete_and_a_revival_as_a_new_generation(company):
    company.put("b1", snapshot(1, "w1", status="tentative"))
    pushed(company, "b1")
    first = only_event(company, ANN, "w1", "b1")
    company.delete("b1", 2)
    states = pushed(company, "b1")
    assert company.events_of(ANN, "w1", "b1") == []
    assert states["w1"]["state"] == "removed"

    company.forget_calls()
    assert company.put("b1", snapshot(3, "w1", status="tentative")) == {"applied": True}
    pushed(company, "b1")
    revived = only_event(company, ANN, "w1", "b1")
    assert revived["id"] == event_id("c1", "w1", EventKey.booking("b1"), 1) != first["id"]
    assert company.calls() == {"calendar.events.insert": 1}


def test_a_booking_for_two_workers_sharing_one_google_account(stack):
    company = PushCompany.enabled(stack)
    company.share_anns_account()
    company.settled()
    company.forget_calls()

    company.put("b1", snapshot(1, "w1", "w3"))
    pushed(company, "b1")
    assert company.calendar_id("w1") == company.calendar_id("w3")
    events = company.events(ANN, "w1")
    assert sorted(e["extendedProperties"]["private"]["worker_id"] for e in events) == ["w1", "w3"]
    assert {e["summary"] for e in events} == {"Confirmed: Ada Lovelace - Boiler service"}
    assert company.calls() in (
        {"batch": 1, "calendar.events.insert": 2},  # one run for both workers
        {"calendar.events.insert": 2},
    )


def test_unavailable_time_is_a_busy_event_that_leaves_with_its_block(company):
    block = {
        "version": 1,
        "worker_id": "w1",
        "start": day(2, 12).isoformat(),
        "end": day(2, 14).isoformat(),
    }
    assert company.call("PUT", "/unavailability/u1", json=block).json() == {"applied": True}
    company.settled()
    (event,) = company.events(ANN, "w1")
    assert event["summary"] == "Unavailable"
    assert event["transparency"] == "opaque"
    assert event["extendedProperties"]["private"]["unavailable_id"] == "u1"
    company.call("PUT", "/unavailability/u1", json={**block, "version": 2, "title": "Dentist"})
    company.settled()
    assert [e["summary"] for e in company.events(ANN, "w1")] == ["Dentist"]
    company.call("DELETE", "/unavailability/u1?version=3")
    company.settled()
    assert company.events(ANN, "w1") == []


def test_an_inactive_worker_gets_nothing_and_its_events_leave_by_the_flags(company):
    company.put("b1", snapshot(1, "w1", status="confirmed"))
    company.put("b2", snapshot(1, "w1", status="tentative", start=day(5)))
    company.settled()
    company.add_worker("w1", ANN, name="Ann Hansen", active=False, timezone="Europe/Oslo")
    company.settled()
    assert len(company.events_of(ANN, "w1", "b1")) == 1  # detached
    assert company.events_of(ANN, "w1", "b2") == []  # its status deletes
    assert company.sync_of("b1")["w1"]["state"] == "detached"
    company.forget_calls()
    company.put("b3", snapshot(1, "w1"))
    company.settled()
    assert company.calls() == {}
    assert company.connection("w1")["state"] == "connected"  # kept

    company.add_worker("w1", ANN, name="Ann Hansen", active=True, timezone="Europe/Oslo")
    company.settled()
    assert len(company.events_of(ANN, "w1", "b2")) == 1
    assert len(company.events_of(ANN, "w1", "b3")) == 1


def test_a_status_change_reconciles_every_booking_in_it_in_one_batch(company):
    batch = {
        "bookings": [{"id": f"b{n}", **snapshot(1, "w1", start=day(2 + n))} for n in range(1, 6)]
    }
    assert company.call("POST", "/bookings:batch", json=batch).json() == {
        "applied": 5,
        "ignored": 0,
    }
    company.settled()
    assert len(company.events(ANN, "w1")) == 5
    company.forget_calls()

    company.put_status("confirmed", "Confirmed", "#51b749", False, True)
    company.settled()
    assert company.events(ANN, "w1") == []
    assert company.calls() == {"batch": 1, "calendar.events.delete": 5}


def test_a_status_renamed_rewrites_its_events(company):
    company.put("b1", snapshot(1, "w1"))
    pushed(company, "b1")
    company.forget_calls()
    company.put_status("confirmed", "Booked", "#51b749", True, False)
    company.settled()
    assert only_event(company, ANN, "w1", "b1")["summary"].startswith("Booked: ")
    assert company.calls() == {"calendar.events.update": 1}


def test_the_first_push_sends_the_last_30_days_onward_in_batches_and_counts_them(stack):
    company = PushCompany.enabled(stack)
    company.add_worker("w1", ANN, name="Ann Hansen")
    bookings = [{"id": f"b{n}", **snapshot(1, "w1", start=day(n - 20))} for n in range(60)]
    bookings.append({"id": "old", **snapshot(1, "w1", start=day(-45))})
    assert company.call("POST", "/bookings:batch", json={"bookings": bookings}).status_code == 200
    company.connect("w1")
    connection = company.wait_first_sync("w1")
    company.settled()
    assert len(company.events(ANN, "w1")) == 60  # not the one from 45 days ago
    assert company.connection("w1")["first_sync"]["pushed"] == 60
    calls = company.calls()
    assert calls["calendar.events.insert"] == 60
    assert calls["batch"] == 2  # 50 + 10
    assert connection["first_sync"]["done"]


def test_pull_only_and_a_disabled_integration_push_nothing(company):
    company.enable(sync_direction="pull_only")  # imports start: reads only
    company.put("b1", snapshot(1, "w1"))
    states = pushed(company, "b1")
    written = {"calendar.events.insert", "calendar.events.update", "calendar.events.delete"}
    assert not written & set(company.calls()) and "batch" not in company.calls()
    assert states["w1"]["state"] == "skipped"
    company.enable(sync_direction=PUSH_ONLY)  # pushing again sends what waited
    wait_until(lambda: company.events_of(ANN, "w1", "b1"), timeout=20)
    company.settled()

    company.enable(enabled=False)
    company.forget_calls()
    company.put("b1", snapshot(2, "w1", suburb="Majorstuen"))
    company.settled()
    assert company.calls() == {}


def test_google_faults_are_retried_and_nothing_is_lost_or_doubled(company):
    google = company.stack.google
    google.inject_fault(503, "backendError", method="POST", path="/calendar/v3/**", count=1)
    google.inject_fault(429, "rateLimitExceeded", method="PUT", path="/calendar/v3/**", count=1)
    company.put("b1", snapshot(1, "w1"))
    wait_until(lambda: company.events_of(ANN, "w1", "b1"), timeout=30)
    company.put("b1", snapshot(2, "w1", suburb="Majorstuen"))
    wait_until(
        lambda: "Majorstuen" in only_event(company, ANN, "w1", "b1")["description"], timeout=30
    )
    pushed(company, "b1")
    assert len(company.events_of(ANN, "w1", "b1")) == 1


def test_an_insert_whose_answer_was_lost_is_not_doubled(company):
    # Google wrote the event, but the answer never came back: the retry finds it.
    company.stack.google.inject_fault(
        500, "backendError", method="POST", path="/calendar/v3/calendars/*/events", done=True
    )
    company.put("b1", snapshot(1, "w1"))
    assert pushed(company, "b1")["w1"]["state"] == "synced"
    assert len(company.events(ANN, "w1")) == 1
    # The retry writes the event it may have made (an update finds it), not a second insert.
    assert company.calls() == {"calendar.events.insert": 1, "calendar.events.update": 1}


@pytest.mark.parametrize("lost", ["answered 500", "timed out"])
def test_a_booking_deleted_while_its_inserts_answer_was_lost_leaves_no_event(
    company, lost, monkeypatch
):
    # Google makes the event but the answer is a 500, or comes after we gave up; before the
    # retry, the booking is deleted. The event Google made must go too, though no answer
    # ever named it.
    stack = company.stack
    sync_queue = stack.config.queue_path(stack.config.sync_queue)
    inserts = "/calendar/v3/calendars/*/events"
    if lost == "timed out":
        monkeypatch.setenv("GOOGLE_TIMEOUT", "1")
        get_config.cache_clear()
        stack.google.add_latency(1.2, method="POST", path=inserts, count=1)
    else:
        stack.google.inject_fault(500, "backendError", method="POST", path=inserts, done=True)
    company.put("b1", snapshot(1, "w1", status="tentative"))  # tentative deletes from Google
    wait_until(lambda: company.events_of(ANN, "w1", "b1"), timeout=10)
    # The retry waits a second (the queue's backoff); hold it back until the delete is in.
    tasks_client(stack.config).pause_queue(name=sync_queue)
    try:
        company.delete("b1", 2)
    finally:
        tasks_client(stack.config).resume_queue(name=sync_queue)
    assert pushed(company, "b1").get("w1", {}).get("state") == "removed"
    assert company.events_of(ANN, "w1", "b1") == []


def test_a_call_that_times_out_is_retried_and_not_doubled(company, monkeypatch):
    monkeypatch.setenv("GOOGLE_TIMEOUT", "1")
    get_config.cache_clear()
    # Google sits on the insert for 3 s and then writes it anyway; we gave up after 1 s.
    google = company.stack.google
    google.add_latency(3, method="POST", path="/calendar/v3/calendars/*/events", count=1)
    company.put("b1", snapshot(1, "w1"))
    assert pushed(company, "b1")["w1"]["state"] == "synced"
    wait_until(lambda: company.calls().get("calendar.events.insert", 0) >= 2, timeout=10)
    company.settled()
    assert len(company.events_of(ANN, "w1", "b1")) == 1


def test_a_refusal_is_shown_on_the_booking_and_not_retried_until_it_changes(company):
    company.stack.google.inject_fault(
        400, "invalid", method="POST", path="/calendar/v3/calendars/*/events", count=1
    )
    company.put("b1", snapshot(1, "w1"))
    states = pushed(company, "b1")
    assert states["w1"]["state"] == "failed"
    assert "invalid" in states["w1"]["error"]
    company.forget_calls()
    company.call("POST", "/workers/w1/resync")
    company.settled()
    assert company.calls().get("calendar.events.insert") is None
    company.put("b1", snapshot(2, "w1", suburb="Majorstuen"))
    assert pushed(company, "b1")["w1"]["state"] == "synced"


def test_a_deleted_company_calendar_is_recreated_and_everything_pushed_again(company):
    company.put("b1", snapshot(1, "w1"))
    company.put("b2", snapshot(1, "w1", start=day(6)))
    company.settled()
    old = company.calendar_id("w1")
    company.stack.google.delete_calendar(ANN, old)
    company.put("b3", snapshot(1, "w1", start=day(7)))
    company.settled()
    new = company.calendar_id("w1")
    assert new != old
    keys = sorted(e["extendedProperties"]["private"]["key"] for e in company.events(ANN, "w1"))
    assert keys == ["booking:b1", "booking:b2", "booking:b3"]


def test_a_recreated_calendar_gets_every_event_of_both_workers_of_a_shared_account(stack):
    company = PushCompany.enabled(stack)
    company.share_anns_account()
    company.put("b1", snapshot(1, "w1"))
    company.put("b3", snapshot(1, "w3", start=day(4)))
    company.settled()
    old = company.calendar_id("w1")
    company.stack.google.delete_calendar(ANN, old)
    # One change each, in one sync: both go into the new calendar with all they had.
    bookings = [
        {"id": "b2", **snapshot(1, "w1", start=day(6))},
        {"id": "b4", **snapshot(1, "w3", start=day(7))},
    ]
    assert company.call("POST", "/bookings:batch", json={"bookings": bookings}).status_code == 200
    company.settled()
    assert company.calendar_id("w1") != old
    keys = sorted(
        (e["extendedProperties"]["private"]["worker_id"], e["extendedProperties"]["private"]["key"])
        for e in company.events(ANN, "w1")
    )
    assert keys == [
        ("w1", "booking:b1"),
        ("w1", "booking:b2"),
        ("w3", "booking:b3"),
        ("w3", "booking:b4"),
    ]


def test_the_daily_reconcile_repairs_drift_it_owns_and_reports_it(company):
    for n in (1, 2, 3):
        company.put(f"b{n}", snapshot(1, "w1", start=day(2 + n)))
    company.settled()
    calendar_id = company.calendar_id("w1")
    google = company.stack.google
    by_booking = {
        e["extendedProperties"]["private"]["booking_id"]: e for e in company.events(ANN, "w1")
    }
    google.delete_event(ANN, calendar_id, by_booking["b1"]["id"])  # deleted in Google
    google.patch_event(ANN, calendar_id, by_booking["b2"]["id"], {"summary": "mine now"})
    stray = {**by_booking["b3"], "id": "d0ub1e0ab1e0123456789"}
    for field in ("etag", "htmlLink", "iCalUID", "created", "updated", "creator", "organizer"):
        stray.pop(field, None)
    google.insert_event(ANN, calendar_id, stray)  # an event of ours that nothing links
    personal = google.insert_event(
        ANN, calendar_id, {"summary": "Ann's own", "start": stray["start"], "end": stray["end"]}
    )

    token = service_token(company.stack.config, "/cron/reconcile")
    answer = company.stack.request("POST", "/cron/reconcile", token=token)
    assert answer.status_code == 200, answer.text
    assert answer.json()["accounts"] == 2
    company.settled()
    events = {e["id"]: e for e in company.events(ANN, "w1")}
    assert by_booking["b1"]["id"] in events
    assert events[by_booking["b2"]["id"]]["summary"].startswith("Confirmed: ")
    assert "d0ub1e0ab1e0123456789" not in events
    assert personal["id"] in events  # not ours: left alone
    report = company.account(company.account_sub("w1"))["last_reconcile"]
    assert report["repaired"] == 3


def test_booking_sync_is_404_for_another_company_and_for_unknown_bookings(company):
    company.put("b1", snapshot(1, "w1"))
    assert company.call("GET", "/bookings/b1/sync", company="c2").status_code == 404
    assert company.call("GET", "/bookings/nope/sync").status_code == 404
    worker = company.call("GET", "/bookings/b1/sync", role="fieldworker", worker="w1")
    assert worker.status_code == 403


def test_dozens_of_changes_at_once_on_one_account_end_as_one_event_each(company):
    """Forty bookings and ten reschedules of one of them, all at the same moment, for one
    worker: each booking ends as exactly one event, in its newest version."""
    changes = [
        ("PUT", f"/bookings/c{n}", snapshot(1, "w1", start=day(2 + n % 20))) for n in range(40)
    ]
    changes += [
        ("PUT", "/bookings/c0", snapshot(v, "w1", start=day(2), suburb=f"Suburb {v}"))
        for v in range(2, 12)
    ]
    with ThreadPoolExecutor(len(changes)) as pool:
        answers = list(
            pool.map(lambda change: company.call(change[0], change[1], json=change[2]), changes)
        )
    assert [a.status_code for a in answers] == [200] * len(changes)
    company.settled(timeout=60)
    events = company.events(ANN, "w1")
    keys = [e["extendedProperties"]["private"]["key"] for e in events]
    assert sorted(keys) == sorted(f"booking:c{n}" for n in range(40))
    (c0,) = company.events_of(ANN, "w1", "c0")
    assert "Suburb: Suburb 11" in c0["description"]
    assert company.calls()["calendar.events.insert"] <= 40 + 1  # a lost answer may retry once


def test_a_refused_grant_parks_the_booking_until_the_worker_reconnects(company):
    stack = company.stack
    # Ann removes our access in her Google account: her tokens die.
    answer = requests.post(
        f"{stack.google.base_url}/_test/accounts/{ANN}/revoke-tokens", timeout=10
    )
    assert answer.status_code == 200
    company.forget_access_token(company.account_sub("w1"))
    company.put("b1", snapshot(1, "w1"))
    wait_until(lambda: company.connection("w1")["state"] == "needs_reauth", timeout=20)
    states = company.sync_of("b1")
    assert states["w1"]["state"] == "pending"  # kept, not dropped
    assert "connect again" in states["w1"]["error"]
    assert company.events(ANN, "w1") == []

    company.connect("w1", email=ANN)
    wait_until(lambda: company.events_of(ANN, "w1", "b1"), timeout=20)
    assert pushed(company, "b1")["w1"]["state"] == "synced"


def test_a_booking_moved_before_the_push_window_keeps_its_event_through_a_reconcile(company):
    company.put("b1", snapshot(1, "w1"))
    pushed(company, "b1")
    (before,) = company.events_of(ANN, "w1", "b1")
    company.forget_calls()
    company.put("b1", snapshot(2, "w1", start=day(-40)))  # history now: left as it is
    company.settled()
    assert company.calls() == {}
    token = service_token(company.stack.config, "/cron/reconcile")
    assert company.stack.request("POST", "/cron/reconcile", token=token).status_code == 200
    company.settled()
    (after,) = company.events_of(ANN, "w1", "b1")
    assert after["etag"] == before["etag"]
