"""Scheduling per Google account: which offer an account takes, and how requests for one
account within a time slice become one named task (no emulator)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.config import load_config
from shared.domain.account import GoogleAccount
from shared.domain.worker import GrantOffer, Worker
from shared.queue import messages

CONFIG = load_config({"APP_MODE": "local"})
T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def offer(at: datetime) -> GrantOffer:
    return GrantOffer(kind="oauth", issued_at=at, email="team@example.com", client_id="c")


@pytest.mark.parametrize(
    ("linked_at", "issued_at", "takes"),
    [
        (None, T0, True),  # a new account takes any offer
        (T0, T0 + timedelta(seconds=1), True),  # a newer consent replaces the grant
        (T0, T0, False),  # the offer it already took
        (T0, T0 - timedelta(seconds=1), False),  # an older consent never wins over a newer one
    ],
)
def test_an_account_takes_only_offers_newer_than_its_grant(linked_at, issued_at, takes):
    account = GoogleAccount(sub="s1", linked_at=linked_at)
    assert account.takes(offer(issued_at)) is takes


def test_a_worker_record_carries_its_offer():
    record = {
        "grant_offer": {
            "kind": "oauth",
            "issued_at": T0,
            "email": "team@example.com",
            "scopes": ["a", "b"],
            "client_id": "client-1",
            "client_kind": "private",
            "refresh_token": {"v": 1},
        }
    }
    worker = Worker.from_record("w1", record)
    assert worker.grant_offer == GrantOffer(
        kind="oauth",
        issued_at=T0,
        email="team@example.com",
        scopes=("a", "b"),
        client_id="client-1",
        client_kind="private",
        refresh_token={"v": 1},
    )
    assert Worker.from_record("w1", {}).grant_offer is None


@pytest.fixture
def queued(monkeypatch) -> list[dict]:
    sent: list[dict] = []

    def enqueue(config, payload, *, queue, name=None, delay=None):
        sent.append({"payload": payload, "queue": queue, "name": name, "delay": delay})
        return True

    monkeypatch.setattr(messages.tasks, "enqueue", enqueue)
    return sent


def at(monkeypatch, seconds: float) -> None:
    monkeypatch.setattr(messages.time, "time", lambda: seconds)


def test_requests_within_one_slice_are_one_named_task_run_when_the_slice_ends(monkeypatch, queued):
    at(monkeypatch, 1000.1)
    messages.request_account_sync(CONFIG, "c1", "sub-1")
    at(monkeypatch, 1000.4)
    messages.request_account_sync(CONFIG, "c1", "sub-1")
    first, second = queued
    assert first["name"] == second["name"]  # Cloud Tasks keeps one of them
    assert first["payload"] == {"kind": "account_sync", "company_id": "c1", "sub": "sub-1"}
    assert first["queue"] == CONFIG.sync_queue
    # Each runs when the slice ends, so it sees everything committed within the slice.
    assert first["delay"].total_seconds() == pytest.approx(0.4)
    assert second["delay"].total_seconds() == pytest.approx(0.1)


def test_the_next_slice_and_another_account_are_other_tasks(monkeypatch, queued):
    at(monkeypatch, 1000.1)
    messages.request_account_sync(CONFIG, "c1", "sub-1")
    at(monkeypatch, 1000.6)
    messages.request_account_sync(CONFIG, "c1", "sub-1")
    messages.request_account_sync(CONFIG, "c1", "sub-2")
    messages.request_account_sync(CONFIG, "c2", "sub-1")
    assert len({task["name"] for task in queued}) == 4


def test_a_sync_booked_for_later_lands_in_that_later_slice(monkeypatch, queued):
    at(monkeypatch, 1000.1)
    messages.request_account_sync(CONFIG, "c1", "sub-1", not_before=1030.0)
    (task,) = queued
    assert task["delay"].total_seconds() == pytest.approx(30.4)
