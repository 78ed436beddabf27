"""Google failing a list call in the middle of an import (its own failures, rate limits):
the import is retried by Cloud Tasks and converges, with no block twice, and the stored
sync token never moves past a page that was not stored: the retry lists again from it."""

from __future__ import annotations

import re
import threading
from urllib.parse import parse_qs

import pytest

from tests.helpers import wait_until
from tests.imports.conftest import connect, timed
from tests.push.conftest import ANN, day

EVENTS_LIST = re.compile(r"/calendar/v3/calendars/[^/]+/events")


def fail_list_call(google, monkeypatch, nth: int, status: int, reason: str) -> None:
    """Make the `nth` events.list call from now fail with `status` / `reason`, through the
    stand-in's fault hook (which fails the next matching calls: this arms it at the right
    moment, so the failure falls in the middle of a listing)."""
    original, seen, lock = google.faults.apply, [0], threading.Lock()

    def apply(method: str, path: str):
        if method == "GET" and EVENTS_LIST.fullmatch(path):
            with lock:
                seen[0] += 1
                if seen[0] == nth:
                    google.inject_fault(status, reason, method="GET", path=path, count=1)
        return original(method, path)

    monkeypatch.setattr(google.faults, "apply", apply)


@pytest.mark.parametrize(
    "status, reason",
    [(500, "backendError"), (503, "backendError"), (429, None), (403, "rateLimitExceeded")],
)
def test_a_failed_page_is_retried_from_the_stored_token_and_the_import_converges(
    company, monkeypatch, status, reason
):
    google = company.stack.google
    google.set_paging(max_page_size=1)  # one change per page
    connect(company)
    channel = company.channel(ANN)
    company.imported()
    company.notified()
    token = company.import_of(ANN)["sync_token"]

    # Three changes whose doorbells are lost, so that one import lists them all.
    google.drop_notifications(3, channel_id=channel["id"])
    events = [
        google.insert_event(ANN, "primary", timed(f"Job {n}", day(2 + n, 9))) for n in range(3)
    ]
    company.notified()
    company.forget_calls()
    fail_list_call(google, monkeypatch, 2, status, reason)  # page 1 is stored, page 2 fails
    company.poll_all()

    ids = {event["id"] for event in events}
    wait_until(lambda: set(company.blocks()) == ids, timeout=30, what="the import converged")
    company.imported()
    lists = [r for r in google.request_log() if r["methodId"] == "calendar.events.list"]
    statuses = [r["status"] for r in lists]
    assert statuses[:2] == [200, status] and set(statuses[2:]) == {200}
    assert "pageToken" in parse_qs(lists[1]["query"])  # it failed mid-listing
    # The retry (Cloud Tasks, after backoff) starts again from the token stored before.
    retried = parse_qs(lists[2]["query"])
    assert retried["syncToken"] == [token] and "pageToken" not in retried
    assert sorted(b["event_id"] for b in company.stored_blocks()) == sorted(ids)  # none twice
    state = company.import_of(ANN)
    assert state["sync_token"] not in (None, token) and state["error"] is None
