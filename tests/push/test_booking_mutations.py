"""Versioned booking mutations: older or equal versions change nothing, deletes are
tombstones, a deleted booking comes back with a higher version as a new generation, and
every mutation marks its old and new assignees pending in the same commit (the outbox)."""

from __future__ import annotations

import pytest

from tests.connections.conftest import Company


def snapshot(version: int, *workers: str, **changes) -> dict:
    body = {
        "version": version,
        "status_id": "confirmed",
        "start": "2026-12-01T09:00:00+01:00",
        "end": "2026-12-01T11:00:00+01:00",
        "timezone": "Europe/Oslo",
        "worker_ids": list(workers),
        "customer": {"name": "Ada Lovelace"},
        "addresses": ["1 Analytical Way"],
        "suburb": "Frogner",
        "service": {"name": "Boiler service"},
        "currency_symbol": "kr",
        "amount": 1250,
        "properties": {},
        "created_by": "Grace",
        "created_at": "2026-11-20T10:00:00+01:00",
    }
    return {**body, **changes}


@pytest.fixture
def company(stack) -> Company:
    company = Company(stack)
    company.add_worker("w1", "ann@example.com")
    company.add_worker("w2", "ben@example.com")
    return company


def stored(company: Company, booking_id: str) -> dict:
    return company.stack.db.document(f"companies/c1/bookings/{booking_id}").get().to_dict()


def pending(company: Company, worker_id: str):
    worker = company.stack.db.document(f"companies/c1/workers/{worker_id}").get().to_dict()
    return worker.get("push_pending_since") and worker.get("push_keys")


def clear_pending(company: Company, *worker_ids: str) -> None:
    for worker_id in worker_ids:
        company.stack.db.document(f"companies/c1/workers/{worker_id}").update(
            {"push_pending_since": None, "push_keys": []}
        )


def put(company: Company, booking_id: str, body: dict):
    return company.call("PUT", f"/bookings/{booking_id}", json=body)


def test_a_newer_version_applies_and_an_older_or_equal_one_changes_nothing(company):
    assert put(company, "b1", snapshot(2, "w1")).json() == {"applied": True}
    assert put(company, "b1", snapshot(2, "w1", suburb="Other")).json() == {"applied": False}
    assert put(company, "b1", snapshot(1, "w2")).json() == {"applied": False}
    record = stored(company, "b1")
    assert (record["version"], record["suburb"], record["worker_ids"]) == (2, "Frogner", ["w1"])
    assert put(company, "b1", snapshot(3, "w2")).json() == {"applied": True}
    assert stored(company, "b1")["worker_ids"] == ["w2"]


def test_a_reassignment_marks_the_old_and_the_new_worker_pending(company):
    put(company, "b1", snapshot(1, "w1"))
    clear_pending(company, "w1", "w2")
    put(company, "b1", snapshot(2, "w2"))
    assert pending(company, "w1") is not None  # its event must leave
    assert pending(company, "w2") is not None
    clear_pending(company, "w1", "w2")
    put(company, "b1", snapshot(2, "w2"))  # a duplicate delivery: nothing to do
    assert pending(company, "w1") is None and pending(company, "w2") is None


def test_a_delete_is_a_tombstone_and_a_higher_version_brings_a_new_generation(company):
    put(company, "b1", snapshot(1, "w1"))
    assert company.call("DELETE", "/bookings/b1?version=1").json() == {"applied": False}
    assert company.call("DELETE", "/bookings/b1?version=2").json() == {"applied": True}
    record = stored(company, "b1")
    assert (record["deleted"], record["version"], record["generation"]) == (True, 2, 0)
    assert put(company, "b1", snapshot(2, "w1")).json() == {"applied": False}  # late PUT
    assert put(company, "b1", snapshot(3, "w1")).json() == {"applied": True}
    record = stored(company, "b1")
    assert (record["deleted"], record["generation"]) == (False, 1)


def test_a_delete_of_an_unknown_booking_is_remembered_against_a_late_put(company):
    assert company.call("DELETE", "/bookings/b9?version=5").json() == {"applied": True}
    assert put(company, "b9", snapshot(4, "w1")).json() == {"applied": False}


def test_an_unknown_worker_is_422_naming_it_and_changes_nothing(company):
    answer = put(company, "b1", snapshot(1, "w1", "ghost"))
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == ("unknown_worker", "worker_ids.1")
    assert stored(company, "b1") is None


@pytest.mark.parametrize("version", ["", "-1", "1.5", "x", "١"])
def test_a_delete_needs_a_whole_version(company, version):
    answer = company.call("DELETE", f"/bookings/b1?version={version}")
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "version"


def test_a_batch_applies_each_booking_by_its_version(company):
    put(company, "b1", snapshot(5, "w1"))
    batch = {
        "bookings": [
            {"id": "b1", **snapshot(4, "w2")},  # older than what we have: ignored
            {"id": "b2", **snapshot(1, "w1")},
            {"id": "b3", **snapshot(1, "w1", "w2")},
        ]
    }
    answer = company.call("POST", "/bookings:batch", json=batch)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"applied": 2, "ignored": 1}
    assert stored(company, "b1")["worker_ids"] == ["w1"]
    assert stored(company, "b3")["worker_ids"] == ["w1", "w2"]


def test_unavailable_time_is_versioned_too(company):
    block = {
        "version": 1,
        "worker_id": "w1",
        "start": snapshot(1)["start"],
        "end": snapshot(1)["end"],
    }
    assert company.call("PUT", "/unavailability/u1", json=block).json() == {"applied": True}
    assert company.call("PUT", "/unavailability/u1", json=block).json() == {"applied": False}
    assert company.call("DELETE", "/unavailability/u1?version=2").json() == {"applied": True}
    ghost = {**block, "version": 3, "worker_id": "ghost"}
    answer = company.call("PUT", "/unavailability/u1", json=ghost)
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "worker_id"


def test_a_fieldworker_cannot_mirror_bookings(company):
    answer = company.call(
        "PUT", "/bookings/b1", json=snapshot(1, "w1"), role="fieldworker", worker="w1"
    )
    assert answer.status_code == 403
