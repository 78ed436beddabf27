"""The push plan: desired events against link records, as small actions (no emulator)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.domain.event_link import EventLink, LinkState
from shared.sync.plan import (
    Delete,
    Desired,
    Detach,
    Forget,
    Insert,
    Leaving,
    Touch,
    Update,
    plan,
)

CAL = "company-calendar"
OLD_CAL = "replaced-calendar"
END = datetime(2026, 4, 14, 9, 0, tzinfo=UTC)


def event_id(key: str, generation: int) -> str:
    return f"{key}@{generation}"


def desired(
    key: str = "booking:1",
    content: str = "v1",
    version: int = 1,
    generation: int = 0,
    deletes: bool = False,
) -> Desired:
    return Desired(
        key=key,
        event_id=event_id(key, generation),
        body={"summary": content},
        content_hash=f"hash-{content}",
        version=version,
        end=END,
        deletes_on_removal=deletes,
    )


def link(
    key: str = "booking:1",
    content: str | None = "v1",
    version: int = 1,
    generation: int | None = 0,
    state: LinkState = LinkState.SYNCED,
    calendar: str | None = CAL,
    deletes: bool = False,
    refused: str | None = None,
) -> EventLink:
    """A link record; `generation=None` is a record whose event was never written."""
    return EventLink(
        worker_id="w1",
        key=key,
        state=state,
        version=version,
        event_id=None if generation is None else event_id(key, generation),
        calendar_id=calendar,
        content_hash=None if content is None else f"hash-{content}",
        etag="etag-1",
        deletes_on_removal=deletes,
        refused_hash=None if refused is None else f"hash-{refused}",
        end=END,
    )


# -- a desired event ----------------------------------------------------------------


def test_a_new_booking_is_inserted():
    event = desired()
    assert plan([event], [], CAL) == [Insert(event)]


def test_an_unchanged_booking_at_the_same_version_plans_nothing():
    assert plan([desired(version=4)], [link(version=4)], CAL) == []


def test_the_same_content_at_a_newer_version_only_touches_the_record():
    event, old = desired(version=5), link(version=4)
    assert plan([event], [old], CAL) == [Touch(event, old)]


@pytest.mark.parametrize("version", [1, 2])
def test_changed_content_updates_the_linked_event(version):
    event, old = desired(content="v2", version=version), link(content="v1", version=1)
    assert plan([event], [old], CAL) == [Update(event, old)]


@pytest.mark.parametrize("state", [LinkState.REMOVED, LinkState.DETACHED])
def test_a_removed_or_detached_event_desired_again_under_its_id_is_updated_to_restore_it(state):
    # Same content and version: only the state says the event is not ours as it should be.
    event, old = desired(), link(state=state)
    assert plan([event], [old], CAL) == [Update(event, old)]


# -- a link nobody wants ------------------------------------------------------------


@pytest.mark.parametrize("state", [LinkState.SYNCED, LinkState.FAILED])
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
    state, pushed_in_deleting_status, now_in_deleting_status, expected
):
    old = link(version=3, state=state, deletes=pushed_in_deleting_status)
    gone = {"booking:1": Leaving(version=5, deletes_now=now_in_deleting_status)}
    assert plan([], [old], CAL, gone) == [expected(old, 5)]


@pytest.mark.parametrize(
    ("pushed_in_deleting_status", "expected"), [(False, Detach), (True, Delete)]
)
def test_a_leaving_link_the_booking_says_nothing_of_follows_its_pushed_status_at_its_version(
    pushed_in_deleting_status, expected
):
    old = link(version=3, deletes=pushed_in_deleting_status)
    unrelated = {"booking:2": Leaving(version=9, deletes_now=True)}
    assert plan([], [old], CAL) == [expected(old, 3)]
    assert plan([], [old], CAL, unrelated) == [expected(old, 3)]


@pytest.mark.parametrize(
    "old",
    [
        link(state=LinkState.REMOVED, deletes=True),
        link(state=LinkState.DETACHED, deletes=True),
        link(state=LinkState.FAILED, generation=None, content=None, refused="v1", deletes=True),
        link(state=LinkState.REMOVED, generation=None, calendar=None, deletes=True),  # forgotten
        link(state=LinkState.REMOVED, calendar=OLD_CAL, deletes=True),
    ],
    ids=["removed", "detached", "never-written", "forgotten", "removed-in-old-calendar"],
)
def test_a_link_without_a_live_event_plans_nothing_when_it_leaves(old):
    assert plan([], [old], CAL, {"booking:1": Leaving(version=5, deletes_now=True)}) == []


# -- a replaced company calendar ----------------------------------------------------


def test_a_live_link_in_a_replaced_calendar_gets_its_event_inserted_afresh():
    event, old = desired(), link(calendar=OLD_CAL)
    assert plan([event], [old], CAL) == [Insert(event)]


def test_a_live_link_in_a_replaced_calendar_nobody_wants_is_forgotten_not_deleted():
    old = link(calendar=OLD_CAL, deletes=True)
    assert plan([], [old], CAL, {"booking:1": Leaving(5, deletes_now=True)}) == [Forget(old)]


def test_a_replaced_calendar_gets_every_event_afresh_and_forgets_the_rest():
    kept, gone = desired("booking:1"), link("booking:2", calendar=OLD_CAL)
    actions = plan([kept], [link("booking:1", calendar=OLD_CAL), gone], CAL)
    assert actions == [Insert(kept), Forget(gone)]


# -- a new generation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("pushed_in_deleting_status", "now_in_deleting_status", "leaves"),
    [
        (False, False, Detach),
        (True, False, Delete),
        (False, True, Delete),
        (True, True, Delete),
    ],
)
def test_a_revived_booking_leaves_its_old_event_by_the_status_flags_then_inserts_the_new_one(
    pushed_in_deleting_status, now_in_deleting_status, leaves
):
    old = link(version=3, generation=0, deletes=pushed_in_deleting_status)
    event = desired(version=6, generation=1, deletes=now_in_deleting_status)
    assert plan([event], [old], CAL) == [leaves(old, 6), Insert(event)]


@pytest.mark.parametrize("state", [LinkState.REMOVED, LinkState.DETACHED])
def test_a_revived_booking_whose_old_event_is_gone_or_detached_is_only_inserted(state):
    event = desired(version=6, generation=1, deletes=True)
    assert plan([event], [link(generation=0, state=state, deletes=True)], CAL) == [Insert(event)]


def test_a_revived_booking_whose_old_event_is_in_a_replaced_calendar_is_only_inserted():
    event = desired(generation=1, deletes=True)
    old = link(generation=0, calendar=OLD_CAL, deletes=True)
    assert plan([event], [old], CAL) == [Insert(event)]


# -- a write Google refused ---------------------------------------------------------


@pytest.mark.parametrize(("version", "touched"), [(2, False), (3, True)])
def test_a_refused_update_is_not_sent_again_while_the_content_is_the_same(version, touched):
    old = link(content="v1", version=2, state=LinkState.FAILED, refused="v2")
    event = desired(content="v2", version=version)
    assert plan([event], [old], CAL) == ([Touch(event, old)] if touched else [])


@pytest.mark.parametrize("content", ["v3", "v1"], ids=["new-content", "back-to-what-google-has"])
def test_a_refused_update_is_sent_again_once_the_content_changes(content):
    old = link(content="v1", version=2, state=LinkState.FAILED, refused="v2")
    event = desired(content=content, version=2)
    assert plan([event], [old], CAL) == [Update(event, old)]


@pytest.mark.parametrize(
    ("content", "version", "expected"),
    [
        ("v1", 2, lambda event, old: []),
        ("v1", 3, lambda event, old: [Touch(event, old)]),
        ("v2", 2, lambda event, old: [Insert(event)]),
    ],
    ids=["same", "same-content-newer-version", "changed"],
)
def test_a_refused_insert_is_tried_again_only_once_the_content_changes(content, version, expected):
    old = link(generation=None, content=None, version=2, state=LinkState.FAILED, refused="v1")
    event = desired(content=content, version=version)
    assert plan([event], [old], CAL) == expected(event, old)


# -- the plan as a whole ------------------------------------------------------------


def test_the_plan_is_ordered_by_key_and_covers_every_key_once():
    events = [desired("booking:3"), desired("unavailable:1", "v2"), desired("booking:1")]
    links = [link("booking:2"), link("unavailable:1"), link("booking:3")]
    actions = plan(events, links, CAL)
    assert [type(a).__name__ for a in actions] == ["Insert", "Detach", "Update"]
    keys = [(a.desired if isinstance(a, Insert | Update) else a.link).key for a in actions]
    assert keys == ["booking:1", "booking:2", "unavailable:1"]
