"""`make demo`'s scripted part against the tests' stack: what it shows really happened.

The script waits on each outcome itself; these checks look again, independently, through
the HTTP API and the Google stand-in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dev.demo_scenario import BY_ID, CLASS_WEEKS, CREW, WORKERS, Outcome, run


@pytest.fixture
def played(stack) -> tuple[Outcome, list[str]]:
    lines: list[str] = []
    outcome = run(stack.config, say=lines.append)
    return outcome, lines


def busy(stack, outcome: Outcome, days: int) -> list[dict]:
    assert outcome.week is not None
    since = outcome.week.first.isoformat() + "T00:00:00+00:00"
    until = (outcome.week.first + timedelta(days=days)).isoformat() + "T00:00:00+00:00"
    answer = stack.request("GET", "/calendar", params={"from": since, "to": until})
    assert answer.status_code == 200, answer.text
    return answer.json()["busy"]


def private(event: dict, name: str) -> str | None:
    return event.get("extendedProperties", {}).get("private", {}).get(name)


# Enabling the integration counts the invitations with queries the npm fallback lacks.
@pytest.mark.full_firestore
def test_the_demo_week_reaches_google_and_google_changes_come_back(stack, played):
    outcome, lines = played
    print("\n".join(lines))
    week = outcome.week
    assert week is not None

    # Five workers connected, two of them on one shared account, Eve by delegation.
    answer = stack.request("GET", "/connections")
    assert answer.status_code == 200, answer.text
    listed = {w["worker_id"]: w for w in answer.json()["workers"]}
    assert {w: s["state"] for w, s in listed.items()} == {w.id: "connected" for w in WORKERS}
    assert {w: s["google_email"] for w, s in listed.items()} == {w.id: w.google for w in WORKERS}
    assert listed["cat"]["google_email"] == listed["dan"]["google_email"] == CREW
    connections = {
        w.id: stack.request("GET", f"/workers/{w.id}/connection").json() for w in WORKERS
    }
    calendars = {w: c["company_calendar_id"] for w, c in connections.items()}
    assert calendars["cat"] == calendars["dan"]  # one company calendar in the shared account
    assert len(set(calendars.values())) == 4
    # Eve, delegated, was never invited (the others may connect before their email goes).
    assert "eve" not in " ".join(r for m in stack.mail.mailbox.messages() for r in m.recipients)

    # Every pushed booking and block is in its worker's company calendar, once per worker;
    # quotes are not.
    for worker in WORKERS:
        held = stack.google.events(worker.google, calendars[worker.id])
        mine = [e for e in held if private(e, "worker_id") == worker.id]
        keys = sorted(private(e, "booking_id") or private(e, "unavailable_id") or "" for e in mine)
        assert keys == sorted(week.pushed_to(worker.id)), worker.id
    quotes = {b for b, booking in week.bookings.items() if booking["status_id"] == "quote"}
    assert quotes
    for worker in WORKERS:
        held = stack.google.events(worker.google, calendars[worker.id])
        assert not {private(e, "booking_id") for e in held} & quotes
    crew = stack.google.events(CREW, calendars["cat"])
    swap = [e for e in crew if private(e, "booking_id") == "b-crew-swap"]
    assert sorted(private(e, "worker_id") for e in swap) == ["cat", "dan"]

    # Google's side, as GET /calendar shows it: the dentist, no private job, the class.
    blocks = busy(stack, outcome, 7 * CLASS_WEEKS + 1)
    seen = {(b["worker_id"], b["summary"]) for b in blocks}
    assert ("ann", "Dentist") in seen
    assert ("eve", "Physio") in seen
    assert not [b for b in blocks if b["worker_id"] == "bob"]
    deleted = stack.google.events(BY_ID["bob"].google, "primary", deleted=True)
    assert [e["status"] for e in deleted if e["id"] == outcome.google_events["private job"]] == [
        "cancelled"
    ]
    for worker_id in ("cat", "dan"):
        classes = [
            b for b in blocks if b["worker_id"] == worker_id and b["summary"] == "First-aid class"
        ]
        assert len(classes) == CLASS_WEEKS
        assert len({b["start"] for b in classes}) == CLASS_WEEKS  # one a week, not one repeated
    conflicts = stack.request(
        "GET",
        "/conflicts",
        params={
            "from": week.first.isoformat() + "T00:00:00+00:00",
            "to": (week.first + timedelta(days=7)).isoformat() + "T00:00:00+00:00",
        },
    ).json()["conflicts"]
    assert [(c["worker_id"], c["busy"]["summary"]) for c in conflicts] == [("ann", "Dentist")]

    # What it printed says so, with times.
    text = "\n".join(lines)
    assert text.count(": connected as ") == len(WORKERS)
    assert "by domain-wide delegation" in text
    assert f"all {sum(outcome.events.values())} events are in Google" in text
    assert "a busy block in GET /calendar" in text
    assert f"Summary: {len(WORKERS)} workers connected" in lines[-2]
    assert "Scripted part done in" in lines[-1]
