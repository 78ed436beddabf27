"""A push bigger than Google's per-user quota is paced to it, not refused by it.

Google's quota is scaled down so that the test takes seconds: the stand-in allows 20 calls
per user in any 2 s, and the service keeps to 10 per 2 s (`PUSH_PACE`), the same headroom of
one batch that the production default (500 a minute under Google's 600) leaves."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.config import get_config
from tests.helpers import wait_until
from tests.push.conftest import ANN, BEN, PushCompany, day, snapshot

PERIOD = timedelta(seconds=2)


@pytest.fixture
def paced(stack, monkeypatch) -> PushCompany:
    monkeypatch.setenv("PUSH_PACE", "10/2s")
    get_config.cache_clear()
    stack.google.set_user_rate_limit(20, window_seconds=PERIOD.total_seconds())
    return PushCompany.enabled(stack)


def refusals(stack) -> list[dict]:
    return [entry for entry in stack.google.request_log() if entry["status"] in (403, 429)]


def test_a_first_push_over_the_quota_goes_out_in_paced_steps_with_no_refusal(paced, stack):
    paced.add_worker("w1", ANN, name="Ann Hansen")
    bookings = [{"id": f"b{n}", **snapshot(1, "w1", start=day(1 + n % 20))} for n in range(35)]
    assert paced.call("POST", "/bookings:batch", json={"bookings": bookings}).status_code == 200
    paced.connect("w1")

    progress: set[int] = set()

    def done() -> bool:
        first_sync = paced.connection("w1")["first_sync"]
        progress.add(first_sync["pushed"])
        return first_sync["done"]

    wait_until(done, timeout=60, interval=0.1, what="the paced first push")
    paced.settled()

    assert len(paced.events(ANN, "w1")) == 35
    assert refusals(stack) == []
    inserts = [
        entry["at"]
        for entry in stack.google.request_log()
        if entry["methodId"] == "calendar.events.insert"
    ]
    assert len(inserts) == 35  # nothing sent twice
    # 35 calls at 10 per period: the last step cannot start before three periods passed.
    assert max(inserts) - min(inserts) >= 3 * PERIOD.total_seconds() - 0.1
    # The connection showed the push going on, not only its end.
    assert any(0 < pushed < 35 for pushed in progress), progress
    assert paced.connection("w1")["first_sync"]["pushed"] == 35
    # The list of workers carries the same progress (the console shows it from there).
    (listed,) = paced.call("GET", "/connections").json()["workers"]
    assert listed["first_sync"] == {"done": True, "pushed": 35, "imported": 0}


def test_a_change_while_a_push_is_paced_lands_with_it(paced, stack):
    paced.add_worker("w1", ANN, name="Ann Hansen")
    paced.add_worker("w2", BEN, name="Ben Berg")
    bookings = [{"id": f"b{n}", **snapshot(1, "w1", start=day(1 + n % 20))} for n in range(25)]
    assert paced.call("POST", "/bookings:batch", json={"bookings": bookings}).status_code == 200
    paced.connect("w1")
    paced.connect("w2")
    wait_until(lambda: paced.connection("w1")["first_sync"]["pushed"] > 0, timeout=30)
    # Mid-push: one of the waiting bookings moves, and another worker's account is not held up.
    paced.put("b24", snapshot(2, "w1", start=day(2, hour=14)))
    paced.put("x1", snapshot(1, "w2", start=day(3)))
    paced.wait_first_sync("w1")
    paced.settled(timeout=60)

    assert len(paced.events(ANN, "w1")) == 25
    (moved,) = paced.events_of(ANN, "w1", "b24")
    assert moved["start"]["dateTime"].startswith(day(2, hour=14).date().isoformat())
    assert len(paced.events_of(BEN, "w2", "x1")) == 1
    assert refusals(stack) == []


def test_a_recreated_company_calendar_refills_for_everyone_on_the_account_though_paced(
    paced, stack
):
    # Ann's account serves w1 and w3. Its company calendar is deleted in Google; the push
    # that makes it again runs out of budget half-way through w1's events, and w3's events
    # must still follow into the new calendar.
    bookings = [{"id": f"a{n}", **snapshot(1, "w1", start=day(1 + n))} for n in range(6)]
    bookings += [{"id": f"c{n}", **snapshot(1, "w3", start=day(1 + n, hour=15))} for n in range(4)]
    paced.share_anns_account(bookings)
    paced.settled(timeout=60)
    old = paced.calendar_id("w1")

    stack.google.delete_calendar(ANN, old)
    more = [{"id": f"a{n}", **snapshot(1, "w1", start=day(1 + n))} for n in range(6, 12)]
    assert paced.call("POST", "/bookings:batch", json={"bookings": more}).status_code == 200
    wait_until(lambda: paced.calendar_id("w1") != old, timeout=30)
    paced.settled(timeout=60)

    mine = {
        worker: sorted(
            e["extendedProperties"]["private"]["key"]
            for e in paced.events(ANN, "w1")
            if e["extendedProperties"]["private"]["worker_id"] == worker
        )
        for worker in ("w1", "w3")
    }
    assert mine["w1"] == sorted(f"booking:a{n}" for n in range(12))
    assert mine["w3"] == sorted(f"booking:c{n}" for n in range(4))
    assert refusals(stack) == []
