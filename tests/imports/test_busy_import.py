"""Google events come in as busy blocks: first import, increments, a full re-import after
Google drops the sync token (no duplicates, vanished events swept), the mass-removal
guard, and what is never imported. Driven through the HTTP API, the account holder's
hooks on the Google stand-in and the cron jobs, as in production."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dev.tokens import service_token
from tests.helpers import wait_until
from tests.imports.conftest import ImportingCompany, connect, imports_asked, notify, timed
from tests.push.conftest import ANN, day, snapshot


def test_events_already_in_google_are_imported_on_connect_and_free_ones_are_not(company):
    google = company.stack.google
    dentist = google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))
    free = google.insert_event(
        ANN, "primary", timed("Maybe", day(2, 12), transparency="transparent")
    )
    holiday = google.insert_event(
        ANN,
        "primary",
        {"summary": "Holiday", "start": {"date": "2026-12-24"}, "end": {"date": "2026-12-27"}},
    )
    far = google.insert_event(ANN, "primary", timed("Next year", day(400)))
    connect(company)
    blocks = wait_until(lambda: len(company.blocks()) == 2 and company.blocks(), timeout=20)
    assert set(blocks) == {dentist["id"], holiday["id"]}
    assert free["id"] not in blocks and far["id"] not in blocks  # free; outside the window
    block = blocks[dentist["id"]]
    assert (block["summary"], block["all_day"]) == ("Dentist", False)
    assert block["start"] == day(2, 10) and block["end"] == day(2, 11)
    assert (blocks[holiday["id"]]["start_date"], blocks[holiday["id"]]["end_date"]) == (
        "2026-12-24",
        "2026-12-27",
    )
    # The connection counts them in its first sync.
    wait_until(lambda: company.connection("w1")["first_sync"]["imported"] == 2, timeout=20)


def test_a_first_import_over_short_and_empty_pages_stores_every_event_once(company):
    google = company.stack.google
    events = [
        google.insert_event(ANN, "primary", timed(f"Job {n}", day(2 + n, 9))) for n in range(10)
    ]
    # Two empty pages, then three events a page, each with its nextPageToken: the token
    # comes only with the last page, after every page is stored.
    google.set_paging(max_page_size=3, empty_pages=2)
    connect(company)
    wait_until(lambda: len(company.blocks()) == 10, timeout=20)
    company.imported()
    assert set(company.blocks()) == {event["id"] for event in events}
    assert company.calls().get("calendar.events.list", 0) >= 2 + 4  # empty, then 4 of 3
    (state,) = company.imports()
    assert state["sync_token"] and state["error"] is None
    assert company.connection("w1")["first_sync"]["imported"] == 10  # once, not per page


def test_a_change_in_google_arrives_incrementally_with_one_list_call(company):
    google = company.stack.google
    # Full pages: the rule is our one call per change; Google's short pages may add some
    # (make bench measures that, with the stand-in's random short pages).
    google.set_paging()
    event = google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))
    connect(company)
    wait_until(lambda: event["id"] in company.blocks(), timeout=20)
    company.imported()

    company.forget_calls()
    before = datetime.now(UTC)
    # The move rings the channel's doorbell: one import, one list call, no poll needed.
    google.patch_event(ANN, "primary", event["id"], timed("Dentist", day(3, 15)))
    wait_until(lambda: company.blocks()[event["id"]]["start"] == day(3, 15), timeout=20)
    company.imported(after=before)
    assert company.calls() == {"calendar.events.list": 1}

    google.delete_event(ANN, "primary", event["id"])
    company.poll_all()
    wait_until(lambda: event["id"] not in company.blocks(), timeout=20)


def test_an_invalidated_sync_token_reimports_without_duplicates_and_sweeps_the_vanished(company):
    google = company.stack.google
    kept = google.insert_event(ANN, "primary", timed("Kept", day(2, 10)))
    gone = google.insert_event(ANN, "primary", timed("Gone", day(2, 13)))
    connect(company)
    wait_until(lambda: len(company.blocks()) == 2, timeout=20)
    company.imported()
    google.delete_event(ANN, "primary", gone["id"])
    google.invalidate_sync_tokens(ANN, "primary")
    company.poll_all()
    wait_until(lambda: set(company.blocks()) == {kept["id"]}, timeout=20)
    company.imported()
    (state,) = company.imports()
    assert state["sync_token"] and state["error"] is None
    assert company.connection("w1")["first_sync"]["imported"] == 2  # the first import's only


def test_a_recurring_event_is_one_block_per_instance_and_a_cancelled_instance_goes(company):
    google = company.stack.google
    series = google.insert_event(
        ANN,
        "primary",
        {
            **timed("Class", day(2, 18)),
            "start": {"dateTime": day(2, 18).isoformat(), "timeZone": "Europe/Oslo"},
            "end": {"dateTime": day(2, 19).isoformat(), "timeZone": "Europe/Oslo"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
        },
    )
    connect(company)
    blocks = wait_until(lambda: len(company.blocks()) == 3 and company.blocks(), timeout=20)
    assert {b["recurring_event_id"] for b in blocks.values()} == {series["id"]}
    company.imported()
    second = sorted(blocks.values(), key=lambda b: b["start"])[1]
    google.delete_event(ANN, "primary", second["event_id"])
    company.poll_all()
    wait_until(lambda: len(company.blocks()) == 2, timeout=20)
    assert second["event_id"] not in company.blocks()


def test_most_blocks_vanishing_at_once_is_held_until_an_admin_resyncs(company):
    google = company.stack.google
    events = [
        google.insert_event(ANN, "primary", timed(f"Job {n}", day(2 + n, 9))) for n in range(12)
    ]
    connect(company)
    wait_until(lambda: len(company.blocks()) == 12, timeout=20)
    company.imported()
    for event in events:
        google.delete_event(ANN, "primary", event["id"])
    company.poll_all()
    wait_until(lambda: (company.imports()[0].get("held") or {}).get("removing") == 12, timeout=20)
    assert len(company.blocks()) == 12  # held, not applied
    assert "held" in company.imports()[0]["error"]

    # The worker saving its calendar choice again is no admin's confirmation.
    chosen = company.call(
        "PUT", "/workers/w1/calendars", role="fieldworker", worker="w1", json={"selected": [ANN]}
    )
    assert chosen.status_code == 200, chosen.text
    assert company.account(company.account_sub("w1")).get("set_up_requested_at") is None
    assert len(company.blocks()) == 12

    assert company.call("POST", "/workers/w1/resync").status_code == 202
    wait_until(lambda: company.blocks() == {}, timeout=20)


def test_the_company_calendar_is_never_imported_and_push_only_imports_nothing(company):
    connect(company)
    company.put("b1", snapshot(1, "w1"))
    company.settled()
    assert company.events_of(ANN, "w1", "b1")  # pushed into the company calendar
    before = datetime.now(UTC)
    assert company.poll_all() == 1  # the primary calendar only
    company.imported(after=before)
    assert company.blocks() == {}

    company.enable(sync_direction="push_only")
    dentist = company.stack.google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))
    assert company.poll_all() == 0
    # The dentist's notification finds the company not importing: the channel closes.
    channels = company.stack.db.collection("channels")

    def calendar_channels() -> list:
        return [c for c in channels.stream() if c.to_dict().get("kind") == "events"]

    wait_until(lambda: not calendar_channels(), timeout=20, what="the channel closed")
    assert dentist["id"] not in company.blocks()

    # Importing again brings what Google gained meanwhile, without waiting for a poll.
    company.enable(sync_direction="two_way")
    wait_until(lambda: dentist["id"] in company.blocks(), timeout=20, what="the catch-up")


# -- real time: the doorbell -----------------------------------------------------------


def channel_of(company: ImportingCompany) -> dict:
    (state,) = company.imports()
    return state["channel"]


def test_a_change_in_google_rings_the_doorbell_and_arrives_without_a_poll(company):
    connect(company)
    wait_until(lambda: company.imports() and company.imports()[0].get("channel"), timeout=20)
    event = company.stack.google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))
    wait_until(lambda: event["id"] in company.blocks(), timeout=20)


def test_forged_unknown_and_sync_notifications_are_200_and_do_nothing(company):
    connect(company)
    channel = wait_until(
        lambda: company.imports() and company.imports()[0].get("channel"), timeout=20
    )
    company.imported()
    company.forget_calls()
    tasks_before = imports_asked(company)
    for args in [
        (channel["id"], "not-the-token", channel["resource_id"]),
        ("0123456789abcdef", "whatever", channel["resource_id"]),
        ("../../etc", "x", "y"),
        (channel["id"], "", channel["resource_id"], "sync"),
    ]:
        answer = notify(company, *args)
        assert answer.status_code == 200, answer.text
    assert company.calls() == {}
    assert imports_asked(company) == tasks_before


def test_a_channel_near_its_end_is_renewed_new_first_then_the_old_stopped(company):
    connect(company)
    old = wait_until(lambda: company.imports() and company.imports()[0].get("channel"), timeout=20)
    company.imported()
    soon = datetime.now(UTC) + timedelta(hours=1)
    db = company.stack.db
    (state_ref,) = [d.reference for d in db.collection("companies/c1/calendar_imports").stream()]
    state_ref.update({"channel.expiration": soon})
    db.collection("channels").document(old["id"]).update({"expiration": soon})

    token = service_token(company.stack.config, "/cron/renew-channels")
    answer = company.stack.request("POST", "/cron/renew-channels", token=token)
    assert answer.json()["calendars"] == 1
    new = wait_until(lambda: (c := channel_of(company))["id"] != old["id"] and c, timeout=20)
    assert not db.collection("channels").document(old["id"]).get().exists
    assert db.collection("channels").document(new["id"]).get().exists
    # The new channel rings the bell; the old one's token no longer does anything.
    event = company.stack.google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))
    wait_until(lambda: event["id"] in company.blocks(), timeout=20)


def test_a_change_of_selection_imports_the_new_calendar_and_drops_the_old_ones_blocks(company):
    google = company.stack.google
    football = google.create_calendar(ANN, "Ann's football")
    google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))
    match = google.insert_event(ANN, football["id"], timed("Match", day(3, 18)))
    connect(company)
    both = wait_until(lambda: len(company.blocks()) == 2 and company.blocks(), timeout=20)
    assert {b["calendar_id"] for b in both.values()} == {ANN, football["id"]}

    answer = company.call("PUT", "/workers/w1/calendars", json={"selected": [football["id"]]})
    assert answer.status_code == 200, answer.text
    wait_until(lambda: set(company.blocks()) == {match["id"]}, timeout=20)


def test_the_last_disconnect_from_an_account_drops_its_blocks_and_mutes_its_channels(company):
    google = company.stack.google
    google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))
    connect(company)
    wait_until(lambda: company.blocks(), timeout=20)
    channel = wait_until(
        lambda: company.imports() and company.imports()[0].get("channel"), timeout=20
    )
    assert company.call("DELETE", "/workers/w1/connection").status_code == 200
    assert company.blocks() == {}
    assert not company.stack.db.collection("channels").document(channel["id"]).get().exists


def test_the_daily_slide_lists_only_the_days_that_came_into_view(company):
    """The window moves a day: the import lists that day and drops what aged out, instead
    of reading and rewriting the whole calendar. Yesterday is simulated by moving the
    stored window back a day (as the import left it yesterday)."""
    google = company.stack.google
    google.set_paging()
    kept = google.insert_event(ANN, "primary", timed("Kept", day(5, 10)))
    connect(company)
    wait_until(lambda: kept["id"] in company.blocks(), timeout=20)
    company.imported()
    ((ref, state),) = [
        (s.reference, s.to_dict())
        for s in company.stack.db.collection(f"companies/{company.id}/calendar_imports").stream()
    ]
    # Yesterday's window ended a day earlier: an event in its last day was not in view.
    new_end = state["window_end"]
    entering = google.insert_event(
        ANN, "primary", timed("New in view", new_end - timedelta(hours=6))
    )
    company.notified()  # its notification's import runs now; what it stored goes below
    company.imported()
    blocks = company.stack.db.collection(f"companies/{company.id}/busy_blocks")
    for stored in blocks.stream():
        if stored.to_dict()["event_id"] == entering["id"]:
            stored.reference.delete()
    aged_id = f"{state['sub']}|{ANN}|agedout0"
    blocks.document(aged_id).set(
        {
            **company.blocks()[kept["id"]],
            "event_id": "agedout0",
            "range_start": state["window_start"] - timedelta(days=2),
            "range_end": state["window_start"] - timedelta(hours=1),
        }
    )
    ref.update(
        {
            "window_start": state["window_start"] - timedelta(days=1),
            "window_end": new_end - timedelta(days=1),
        }
    )

    company.forget_calls()
    before = datetime.now(UTC)
    company.poll_all()
    company.imported(after=before)

    assert set(company.blocks()) == {kept["id"], entering["id"]}  # aged out, came in
    assert company.calls() == {"calendar.events.list": 2}  # the new day, then the changes
    (after,) = company.imports()
    assert after["generation"] == state["generation"]  # no full re-import
    assert after["window_start"] == state["window_start"] and after["window_end"] == new_end
