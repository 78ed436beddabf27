"""The push plan: desired events against link records, as small actions (no emulator)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.event_link import EventLink, LinkState
from shared.sync.plan import (
    Delete,
    Desired,
    Detach,
    Drift,
    Forget,
    Insert,
    Leaving,
    Touch,
    Update,
    drift,
    plan,
)
from shared.sync.push import _recorded

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


@pytest.mark.parametrize("pushed_in_deleting_status", [False, True])
@pytest.mark.parametrize("now_in_deleting_status", [False, True])
def test_a_revived_booking_deletes_its_old_event_whatever_the_flags_then_inserts_the_new_one(
    pushed_in_deleting_status, now_in_deleting_status
):
    # Left in place (detached), the old event would be a second event of the booking.
    old = link(version=3, generation=0, deletes=pushed_in_deleting_status)
    event = desired(version=6, generation=1, deletes=now_in_deleting_status)
    assert plan([event], [old], CAL) == [Delete(old, 6), Insert(event)]


def test_a_revived_booking_whose_old_event_is_gone_is_only_inserted():
    event = desired(version=6, generation=1, deletes=True)
    old = link(generation=0, state=LinkState.REMOVED, deletes=True)
    assert plan([event], [old], CAL) == [Insert(event)]


@pytest.mark.parametrize("deletes", [False, True])
def test_a_revived_booking_whose_old_event_was_detached_deletes_it_first(deletes):
    event = desired(version=6, generation=1, deletes=deletes)
    old = link(generation=0, state=LinkState.DETACHED, deletes=deletes)
    assert plan([event], [old], CAL) == [Delete(old, 6), Insert(event)]


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


# -- the status's delete flag changed ---------------------------------------------------


@pytest.mark.parametrize(
    ("pushed_in_deleting_status", "deletes_now"), [(False, True), (True, False)]
)
def test_a_changed_delete_flag_alone_touches_the_record(pushed_in_deleting_status, deletes_now):
    event = desired(version=4, deletes=deletes_now)
    old = link(version=4, deletes=pushed_in_deleting_status)
    assert plan([event], [old], CAL) == [Touch(event, old)]


@pytest.mark.parametrize("deletes", [False, True])
def test_the_same_delete_flag_at_the_same_version_plans_nothing(deletes):
    event, old = desired(version=4, deletes=deletes), link(version=4, deletes=deletes)
    assert plan([event], [old], CAL) == []


def test_a_changed_delete_flag_touches_a_refused_record_without_sending_it_again():
    old = link(generation=None, content=None, version=2, state=LinkState.FAILED, refused="v1")
    event = desired(content="v1", version=2, deletes=True)
    assert plan([event], [old], CAL) == [Touch(event, old)]


# -- the records actions leave (push._recorded) -------------------------------------

NOW = datetime(2026, 4, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("deletes", [False, True])
def test_a_touch_records_the_version_end_and_delete_flag_and_keeps_the_event(deletes):
    old = replace(link(version=4, deletes=not deletes), end=None)  # a record from before `end`
    later = END + timedelta(hours=2)
    event = replace(desired(version=5, deletes=deletes), end=later)
    record = _recorded(Touch(event, old), "w1", CAL, NOW)
    assert (record.version, record.end, record.deletes_on_removal) == (5, later, deletes)
    expected = replace(old, version=5, end=later, deletes_on_removal=deletes)
    assert replace(record, updated_at=None) == expected  # state, event, hash and etag kept


def test_a_forget_drops_the_event_and_what_google_said_of_it():
    old = replace(
        link(version=3, calendar=OLD_CAL, state=LinkState.FAILED, refused="v2", deletes=True),
        error="Google refused the update (invalid).",
    )
    record = _recorded(Forget(old), "w1", CAL, NOW)
    assert record.state == LinkState.REMOVED
    assert (record.event_id, record.calendar_id, record.etag) == (None, None, None)
    assert (record.refused_hash, record.error) == (None, None)
    assert (record.worker_id, record.key, record.version) == ("w1", "booking:1", 3)
    assert not record.live


def test_a_forgotten_record_does_not_hold_back_the_content_refused_in_the_old_calendar():
    old = link(version=3, calendar=OLD_CAL, state=LinkState.FAILED, refused="v2")
    forgotten = _recorded(Forget(old), "w1", CAL, NOW)
    event = desired(content="v2", version=3)
    assert plan([event], [forgotten], CAL) == [Insert(event)]


# -- drift: what Google really holds ----------------------------------------------------


def listed(
    key: str = "booking:1",
    generation: int = 0,
    etag: str = "etag-1",
    worker: str = "w1",
    status: str = "confirmed",
) -> dict:
    """An event of ours as `our_events` lists it from the company calendar."""
    private = {"company_id": "c1", "worker_id": worker, "key": key}
    return {
        "id": event_id(key, generation),
        "etag": etag,
        "status": status,
        "extendedProperties": {"private": private},
    }


def test_a_synced_event_missing_from_google_is_marked_removed_and_written_again():
    old = link(version=3)
    found = drift([old], [listed("booking:2")], "w1", CAL)
    removed = replace(old, state=LinkState.REMOVED)
    assert (found.links, found.missing, found.edited) == ([removed], 1, 0)
    event = desired(version=3)
    assert plan([event], found.links, CAL) == [Update(event, removed)]  # restores it


def test_a_cancelled_event_counts_as_missing():
    old = link(version=3)
    found = drift([old], [listed(status="cancelled")], "w1", CAL)
    assert (found.links, found.missing, found.extra) == (
        [replace(old, state=LinkState.REMOVED)],
        1,
        [],
    )


def test_an_event_edited_in_google_loses_its_hash_and_is_written_over_its_new_etag():
    old = link(version=3)
    found = drift([old], [listed(etag="etag-2")], "w1", CAL)
    edited = replace(old, etag="etag-2", content_hash=None)
    assert (found.links, found.missing, found.edited, found.extra) == ([edited], 0, 1, [])
    event = desired(version=3)
    actions = plan([event], found.links, CAL)
    assert actions == [Update(event, edited)]
    assert actions[0].link.etag == "etag-2"


def test_a_failed_live_link_whose_event_was_edited_takes_the_new_etag():
    old = link(content="v1", state=LinkState.FAILED, refused="v2")
    found = drift([old], [listed(etag="etag-2")], "w1", CAL)
    assert (found.links, found.edited) == ([replace(old, etag="etag-2", content_hash=None)], 1)


@pytest.mark.parametrize(
    ("old", "events"),
    [
        (link(), [listed()]),
        (link(state=LinkState.FAILED, refused="v2"), [listed()]),
        # Gone from Google, but its content was refused: not sent again until it changes.
        (link(state=LinkState.FAILED, refused="v2"), []),
        (link(state=LinkState.REMOVED), []),
        (link(state=LinkState.DETACHED), []),
        (link(state=LinkState.DETACHED), [listed(etag="edited-by-the-worker")]),
        (link(state=LinkState.FAILED, generation=None, content=None, refused="v1"), []),
    ],
    ids=[
        "synced",
        "failed",
        "failed-missing",
        "removed",
        "detached",
        "detached-edited",
        "never-written",
    ],
)
def test_a_link_google_agrees_with_or_no_longer_ours_is_left_as_it_is(old, events):
    assert drift([old], events, "w1", CAL) == Drift([old], 0, 0, [])


def test_events_of_this_worker_that_no_live_or_detached_link_names_are_extra_sorted():
    links = [
        link("booking:1"),
        link("booking:2", state=LinkState.REMOVED),
        link("booking:3", state=LinkState.DETACHED),
        link("booking:4", state=LinkState.FAILED, refused="v2"),
        link("unavailable:1", generation=1),  # a revived block: its old event is stray
    ]
    events = [
        listed("unavailable:1", generation=0),
        listed("booking:9"),
        listed("booking:4"),
        listed("booking:3"),
        listed("booking:2"),
        listed("booking:1"),
        listed("unavailable:1", generation=1),
    ]
    found = drift(links, events, "w1", CAL)
    stray = [event_id("booking:2", 0), event_id("booking:9", 0), event_id("unavailable:1", 0)]
    assert found.extra == stray
    assert (found.links, found.missing, found.edited) == (links, 0, 0)


@pytest.mark.parametrize(
    ("state", "extra"),
    [
        (LinkState.SYNCED, False),
        (LinkState.FAILED, False),
        (LinkState.DETACHED, False),
        (LinkState.REMOVED, True),
    ],
)
def test_only_a_live_or_detached_link_accounts_for_its_event(state, extra):
    found = drift([link(state=state)], [listed()], "w1", CAL)
    assert found.extra == ([event_id("booking:1", 0)] if extra else [])


def _without(key: str) -> dict:
    event = listed("booking:9")
    event.pop(key)
    return event


@pytest.mark.parametrize(
    "event",
    [
        listed("booking:9", worker="w2"),
        listed("booking:9", status="cancelled"),
        _without("extendedProperties"),
        {**listed("booking:9"), "extendedProperties": None},
        {**listed("booking:9"), "extendedProperties": {"shared": {"worker_id": "w1"}}},
        {**listed("booking:9"), "extendedProperties": {"private": {"company_id": "c1"}}},
    ],
    ids=[
        "other-worker",
        "cancelled",
        "no-properties",
        "null-properties",
        "only-shared",
        "no-worker",
    ],
)
def test_events_not_of_this_worker_or_cancelled_are_none_of_its_business(event):
    assert drift([], [event], "w1", CAL) == Drift([], 0, 0, [])
    ours = drift([], [listed("booking:9")], "w1", CAL)  # the same event of this worker
    assert ours.extra == [event_id("booking:9", 0)]


def test_an_event_of_another_worker_under_our_id_does_not_keep_our_link_alive():
    old = link(version=3)
    found = drift([old], [listed(worker="w2")], "w1", CAL)
    assert (found.links, found.missing, found.extra) == (
        [replace(old, state=LinkState.REMOVED)],
        1,
        [],
    )


def test_drift_counts_each_missing_and_edited_link():
    links = [link("booking:1"), link("booking:2"), link("booking:3"), link("booking:4")]
    events = [listed("booking:2", etag="etag-2"), listed("booking:3")]
    found = drift(links, events, "w1", CAL)
    assert [x.state for x in found.links] == [
        LinkState.REMOVED,
        LinkState.SYNCED,
        LinkState.SYNCED,
        LinkState.REMOVED,
    ]
    assert (found.missing, found.edited, found.extra) == (2, 1, [])


def test_links_into_another_calendar_are_left_to_the_plan_not_counted_as_missing():
    """After the company calendar was replaced, the old links are the plan's (Insert,
    Forget): a drift repair does not count them as repaired."""
    old = link(version=3, calendar="old-calendar")
    found = drift([old], [], "w1", CAL)
    assert (found.links, found.missing, found.edited, found.extra) == ([old], 0, 0, [])


def test_drift_looks_past_a_link_into_another_calendar_and_counts_every_edit():
    elsewhere = link("booking:4", version=3, calendar="old-calendar")
    first = replace(link("booking:1", version=3), etag="etag-1")
    second = replace(link("booking:2", version=3), etag="etag-1")
    gone = link("booking:3", version=3)
    events = [listed("booking:1", etag="etag-9"), listed("booking:2", etag="etag-9")]
    found = drift([elsewhere, first, second, gone], events, "w1", CAL)
    assert (found.missing, found.edited) == (1, 2)
