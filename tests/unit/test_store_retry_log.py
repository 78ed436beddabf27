"""`Store.transact` and `Store.modify` say when they had to retry: one warning per call, when
it is over, with what was contended, the attempt count and the outcome. No Firestore needed:
the client, document and Firestore's `transactional` are stand-ins."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from google.api_core.exceptions import Aborted, FailedPrecondition

from shared.store import firestore as store_module
from shared.store.firestore import MODIFY_ATTEMPTS, TRANSACT_ATTEMPTS, Raced, Store

PATH = "companies/c1/workers/w1"


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    """Tenacity's backoff is real otherwise (up to seconds per call)."""
    for method in (Store.transact, Store.modify):
        monkeypatch.setattr(method.retry, "sleep", lambda seconds: None)


@pytest.fixture
def store(monkeypatch) -> Store:
    # Firestore's wrapper (begin, commit, its own retries) is not what is tested: run `work`
    # straight on the transaction the client hands out.
    monkeypatch.setattr(store_module.firestore, "transactional", lambda work: work)
    return Store(FakeClient())


@pytest.fixture
def warnings(caplog) -> Callable[[], list[str]]:
    caplog.set_level(logging.WARNING, logger=store_module.__name__)

    def messages() -> list[str]:
        return [
            record.getMessage()
            for record in caplog.records
            if record.name == store_module.__name__ and record.levelno == logging.WARNING
        ]

    return messages


class FakeClient:
    def transaction(self, max_attempts: int) -> object:
        return object()

    def write_option(self, **precondition) -> dict:
        return precondition


class FakeSnapshot:
    exists = True
    update_time = datetime(2026, 1, 1, tzinfo=UTC)

    def to_dict(self) -> dict:
        return {"n": 1}


class RacyDocument:
    """A document someone else writes between our read and our write, `races` times."""

    path = PATH

    def __init__(self, races: int) -> None:
        self.races = races
        self.updates: list[dict] = []

    def get(self) -> FakeSnapshot:
        return FakeSnapshot()

    def update(self, updates: dict, option: dict) -> None:
        if self.races:
            self.races -= 1
            raise FailedPrecondition("the document changed")
        self.updates.append(updates)


def aborting(times: int, error: Callable[[], BaseException]) -> Callable[[object], str]:
    def work(transaction: object) -> str:
        nonlocal times
        if times:
            times -= 1
            raise error()
        return "done"

    return work


def test_a_transaction_aborted_twice_logs_once_what_was_contended_and_that_it_succeeded(
    store, warnings
):
    work = aborting(2, lambda: Aborted(f"Too much contention on these documents: {PATH}"))
    assert store.transact(work) == "done"
    [line] = warnings()
    assert f"Aborted: Too much contention on these documents: {PATH}" in line
    assert "aborting.<locals>.work" in line  # which transaction: the work's name
    assert line.endswith(f"succeeded at attempt 3 of {TRANSACT_ATTEMPTS}")


def test_firestores_own_exhausted_retries_are_described_with_the_abort(store, warnings):
    def exhausted() -> ValueError:
        error = ValueError("Failed to commit transaction in 3 attempts.")
        error.__cause__ = Aborted("Transaction lock timeout.")
        return error

    assert store.transact(aborting(1, exhausted)) == "done"
    [line] = warnings()
    assert "Failed to commit transaction in 3 attempts. Aborted: Transaction lock timeout." in line
    assert line.endswith(f"succeeded at attempt 2 of {TRANSACT_ATTEMPTS}")


def test_a_transaction_that_never_gets_through_logs_once_and_raises_the_abort(store, warnings):
    with pytest.raises(Aborted, match="Transaction lock timeout"):
        store.transact(aborting(100, lambda: Aborted("Transaction lock timeout.")))
    [line] = warnings()
    assert line.endswith(f"gave up at attempt {TRANSACT_ATTEMPTS} of {TRANSACT_ATTEMPTS}")


def test_a_contended_transaction_that_then_fails_otherwise_says_so(store, warnings):
    calls = 0

    def work(transaction: object) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise Aborted("Transaction lock timeout.")
        raise KeyError("not contention")

    with pytest.raises(KeyError):
        store.transact(work)
    assert calls == 2  # not retried past the other error
    [line] = warnings()
    assert line.endswith(f"failed (KeyError) at attempt 2 of {TRANSACT_ATTEMPTS}")


def test_a_transaction_without_contention_logs_nothing(store, warnings):
    assert store.transact(aborting(0, lambda: Aborted("never"))) == "done"
    with pytest.raises(KeyError):
        store.transact(lambda transaction: {}["missing"])
    assert warnings() == []


def test_modify_logs_once_with_the_path_when_it_needed_more_than_three_attempts(store, warnings):
    document = RacyDocument(races=3)
    assert store.modify(document, lambda current: {"n": current["n"] + 1}) == {"n": 1}
    assert document.updates == [{"n": 2}]
    [line] = warnings()
    assert line.startswith(f"Firestore modify of {PATH} (written by someone else")
    assert line.endswith(f"succeeded at attempt 4 of {MODIFY_ATTEMPTS}")


def test_modify_with_a_few_races_stays_quiet(store, warnings):
    store.modify(RacyDocument(races=2), lambda current: {"n": 2})
    assert warnings() == []


def test_modify_that_keeps_losing_logs_once_and_raises(store, warnings):
    with pytest.raises(Raced):
        store.modify(RacyDocument(races=100), lambda current: {"n": 2})
    [line] = warnings()
    assert PATH in line
    assert line.endswith(f"gave up at attempt {MODIFY_ATTEMPTS} of {MODIFY_ATTEMPTS}")
