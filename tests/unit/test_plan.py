"""The push plan: desired events against link records, as small actions (no emulator)."""

from __future__ import annotations

import pytest

from shared.sync.plan import Delete, Desired, Detach, Forget, Insert, Link, Update, plan

CAL = "company-calendar"


def desired(key: str, content: str = "v1", deletes: bool = False) -> Desired:
    return Desired(key, f"id{key[-1]}", {"summary": content}, f"hash-{content}", deletes)


def link(key: str, content: str = "v1", calendar: str = CAL, deletes: bool = False) -> Link:
    return Link(key, f"id{key[-1]}", calendar, f"hash-{content}", "etag-1", deletes)


def test_a_new_booking_is_inserted():
    event = desired("booking:1")
    assert plan([event], [], CAL) == [Insert(event)]


def test_an_unchanged_booking_sends_nothing():
    assert plan([desired("booking:1")], [link("booking:1")], CAL) == []


def test_a_changed_booking_updates_the_linked_event():
    event, old = desired("booking:1", "v2"), link("booking:1", "v1")
    assert plan([event], [old], CAL) == [Update(event, old)]


@pytest.mark.parametrize(
    ("pushed_in_deleting_status", "now_in_deleting_status", "expected"),
    [
        (False, False, Detach),
        (True, False, Delete),  # the status it had while pushed says delete
        (False, True, Delete),  # the status it has now says delete
        (True, True, Delete),
    ],
)
def test_a_booking_leaving_the_worker_is_deleted_only_when_a_status_says_so(
    pushed_in_deleting_status, now_in_deleting_status, expected
):
    old = link("booking:1", deletes=pushed_in_deleting_status)
    actions = plan([], [old], CAL, deletes_now={"booking:1": now_in_deleting_status})
    assert actions == [expected(old)]


def test_a_deleted_booking_without_a_status_now_follows_its_pushed_status():
    old = link("booking:1", deletes=False)
    assert plan([], [old], CAL) == [Detach(old)]


def test_a_replaced_company_calendar_gets_every_event_afresh_and_forgets_the_rest():
    kept, gone = desired("booking:1"), link("booking:2", calendar="old-calendar")
    actions = plan([kept], [link("booking:1", calendar="old-calendar"), gone], CAL)
    assert actions == [Insert(kept), Forget(gone)]


def test_the_plan_is_ordered_by_key_and_covers_every_key_once():
    events = [desired("booking:3"), desired("unavailable:1", "v2"), desired("booking:1")]
    links = [link("booking:2"), link("unavailable:1"), link("booking:3")]
    actions = plan(events, links, CAL)
    assert [type(a).__name__ for a in actions] == ["Insert", "Detach", "Update"]
    keys = [(a.desired if isinstance(a, Insert | Update) else a.link).key for a in actions]
    assert keys == ["booking:1", "booking:2", "unavailable:1"]
