"""The answers the fuzzing rarely reaches conform to openapi.yaml too: connected workers with
imported Google busy time (timed and all-day), a booking in conflict, disconnects, each
cron job and a Google notification. Each answer is checked by schemathesis as in the fuzz:
a documented status code, its content type and its schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dev.tokens import service_token
from tests.contract.test_fuzz import SCHEMA
from tests.push.conftest import ANN, BEN, STATUSES, day, snapshot
from tests.views.conftest import ViewingCompany, timed

# Transactions, recursive queries, listing collections: the official emulator only.
pytestmark = pytest.mark.full_firestore

CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
WEEK = {"from": day(1, 0).isoformat(), "to": day(8, 0).isoformat()}


@pytest.fixture
def company(stack):
    # Ann (w1) connected to her Google account, Ben (w2) not.
    company = ViewingCompany(stack)
    company.enable()
    company.put_status("confirmed", *STATUSES["confirmed"])
    company.add_worker("w1", ANN, name="Ann Hansen", timezone="Europe/Oslo")
    company.add_worker("w2", BEN, name="Ben Berg", timezone="America/New_York")
    company.connect("w1")
    company.wait_first_sync("w1")
    google = stack.google
    dentist = google.insert_event(ANN, "primary", timed("Dentist", day(2, 8), hours=3))
    start = day(3).date()
    holiday = google.insert_event(
        ANN,
        "primary",
        {
            "summary": "Holiday",
            "start": {"date": start.isoformat()},
            "end": {"date": (start + timedelta(days=1)).isoformat()},
        },
    )
    company.imported(dentist["id"], holiday["id"])
    company.put("b1", snapshot(1, "w1", start=day(2, 9)))
    answer = company.call(
        "PUT",
        "/unavailability/u1",
        json={
            "version": 1,
            "worker_id": "w2",
            "start": day(2, 12).isoformat(),
            "end": day(2, 13).isoformat(),
        },
    )
    assert answer.status_code == 200, answer.text
    company.settled()
    return company


def _answer(stack, method: str, path: str, status: int, *, token: str | None = None, **parts):
    """Call the spec's operation at `path` with `parts` (path_parameters, query, body,
    headers); check the answer against the spec and its status; the JSON."""
    case = SCHEMA[path][method].Case(**parts)
    if token is None:
        token = stack.token("admin", "c1")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = case.call(base_url=stack.url, headers=headers, allow_redirects=False, timeout=30)
    case.validate_response(response, checks=CHECKS)
    assert response.status_code == status, response.text
    return response.json() if status != 302 else None


def test_answers_of_a_connected_company_conform(stack, company):
    w1 = {"worker_id": "w1"}
    connection = _answer(stack, "GET", "/workers/{worker_id}/connection", 200, path_parameters=w1)
    assert connection["state"] == "connected"
    calendars = _answer(stack, "GET", "/workers/{worker_id}/calendars", 200, path_parameters=w1)
    assert calendars["calendars"]
    chosen = {"selected": [ANN]}
    _answer(stack, "PUT", "/workers/{worker_id}/calendars", 200, path_parameters=w1, body=chosen)
    listed = _answer(stack, "GET", "/connections", 200)
    assert [w["state"] for w in listed["workers"]] == ["connected", "not_connected"]

    view = _answer(stack, "GET", "/calendar", 200, query=WEEK)
    assert {b["all_day"] for b in view["busy"]} == {True, False} and view["unavailable"]
    free = _answer(stack, "GET", "/availability", 200, query=WEEK)
    assert free["workers"]["w1"]["busy"]
    clashes = _answer(stack, "GET", "/conflicts", 200, query=WEEK)
    assert clashes["conflicts"]
    ann = stack.token("fieldworker", "c1", "w1")
    _answer(stack, "GET", "/calendar", 200, token=ann, query={**WEEK, "worker_ids": ["w1"]})
    sync = _answer(
        stack, "GET", "/bookings/{booking_id}/sync", 200, path_parameters={"booking_id": "b1"}
    )
    assert sync["workers"]["w1"]["state"] == "synced" and sync["workers"]["w1"]["conflicts"]

    ben = {"worker_id": "w2"}
    _answer(stack, "GET", "/workers/{worker_id}/calendars", 422, path_parameters=ben)
    _answer(stack, "POST", "/workers/{worker_id}/authorization-email", 409, path_parameters=w1)
    _answer(stack, "POST", "/workers/{worker_id}/authorization-url", 200, path_parameters=w1)
    gone = _answer(stack, "DELETE", "/workers/{worker_id}/connection", 200, path_parameters=w1)
    assert gone["state"] == "disconnected"

    for job in ("renew-channels", "poll", "reconcile", "sweep"):
        token = service_token(stack.config, f"/cron/{job}")
        done = _answer(stack, "POST", "/cron/{job}", 200, token=token, path_parameters={"job": job})
        assert done["job"] == job


def test_a_notification_answers_as_the_spec_says(stack):
    headers = {"X-Goog-Channel-ID": "nope", "X-Goog-Resource-State": "exists"}
    assert _answer(stack, "POST", "/notifications", 200, token="", headers=headers) == {}
