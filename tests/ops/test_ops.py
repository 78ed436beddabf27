"""The operator's command line (`python -m shared.ops`) against the local stack: what it
shows matches what the API shows, and its two levers (resync, replay) really move work."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from shared import ops
from tests.push.conftest import day, pushed, snapshot
from tests.views.conftest import ANN, timed, two_way_company


def run(stack, capsys, *argv: str) -> tuple[int, object]:
    code = ops.main(list(argv), config=stack.config)
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else json.loads(err)


def test_a_bookings_sync_state_is_what_the_api_shows(company, capsys):
    company.put("b1", snapshot(1, "w1", "w2"))
    api = pushed(company, "b1")
    code, shown = run(company.stack, capsys, "booking", company.id, "b1")
    assert code == 0
    assert shown["booking_id"] == "b1"
    assert {w: s["state"] for w, s in shown["workers"].items()} == {"w1": "synced", "w2": "synced"}
    assert shown["workers"]["w1"]["event_id"] == api["w1"]["event_id"]


def test_unknown_or_malformed_ids_exit_1_with_the_apis_error(company, capsys):
    code, error = run(company.stack, capsys, "booking", company.id, "nope")
    assert code == 1 and error["error"]["code"] == "not_found"
    code, error = run(company.stack, capsys, "worker", company.id, "a/b")
    assert code == 1 and error["error"]["field"] == "worker_id"
    code, error = run(company.stack, capsys, "worker", "other-company", "w1")
    assert code == 1 and error["error"]["code"] == "not_found"


def test_a_workers_refused_event_shows_on_the_worker_and_in_the_errors(company, capsys):
    company.stack.google.inject_fault(
        400, "invalid", method="POST", path="/calendar/v3/calendars/*/events", count=1
    )
    company.put("b1", snapshot(1, "w1"))
    assert pushed(company, "b1")["w1"]["state"] == "failed"

    code, worker = run(company.stack, capsys, "worker", company.id, "w1")
    assert code == 0
    assert worker["connection"]["state"] == "connected"
    (failed,) = worker["failed_events"]
    assert failed["key"] == "booking:b1" and "invalid" in failed["error"]
    code, errors = run(company.stack, capsys, "errors", company.id)
    assert [(e["what"], e["worker_id"], e["key"]) for e in errors] == [
        ("event", "w1", "booking:b1")
    ]
    code, others = run(company.stack, capsys, "errors", "other-company")
    assert others == []


def test_resync_asks_the_workers_account_to_check_everything_again(company, capsys):
    company.settled()
    company.forget_calls()
    code, answer = run(company.stack, capsys, "resync", company.id, "w1")
    assert (code, answer) == (0, {"resync_requested": "w1"})
    company.settled()
    # The account checked its calendars with Google (short pages may take more than one).
    assert company.calls().get("calendar.calendarList.list", 0) >= 1


def test_pending_work_is_listed_and_replay_gets_it_done(company, capsys):
    stuck = datetime.now(UTC) - timedelta(minutes=30)
    # A change whose task was lost: the marker is there, nothing was asked.
    company.stack.db.document(f"companies/{company.id}/workers/w2").update(
        {"sync_pending_since": stuck}
    )
    code, waiting = run(company.stack, capsys, "pending", "--minutes", "15")
    assert [(w["company_id"], w["worker_id"]) for w in waiting] == [(company.id, "w2")]
    code, none = run(company.stack, capsys, "pending", "--minutes", "60")
    assert none == []

    code, replayed = run(company.stack, capsys, "replay", "--minutes", "15")
    assert replayed == {"replayed": 1}
    company.settled()
    code, waiting = run(company.stack, capsys, "pending", "--minutes", "0")
    assert waiting == []


def test_channels_expiring_soon_are_listed(stack, capsys):
    company = two_way_company(stack)
    google = stack.google
    dentist = google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))
    company.imported(dentist["id"])
    code, week = run(stack, capsys, "channels", "--hours", str(8 * 24))
    assert code == 0
    ann = [c for c in week if c["calendar_id"] == ANN]
    assert ann and all(c["company_id"] == company.id for c in ann)
    code, soon = run(stack, capsys, "channels", "--hours", "1")
    assert soon == []


@pytest.mark.parametrize("argv", [[], ["nonsense"], ["worker", "c1"]])
def test_a_wrong_command_line_is_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as exit:
        ops.main(argv)
    assert exit.value.code == 2
