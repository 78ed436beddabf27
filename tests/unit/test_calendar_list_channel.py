"""The calendar-list channel's rules without an emulator: when a change of the list makes
the account read it again (and that this is not an admin's resync), when a channel must be
opened or renewed, and how the account keeps its channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.account import GoogleAccount, WatchChannel
from shared.domain.company import Company
from shared.sync import channels
from shared.sync.run import _has_chores

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)
SET_UP = {"company_calendar_id": "cal", "company_calendar_name": "Acme", "set_up_at": T0}


def account(**fields) -> GoogleAccount:
    return GoogleAccount.from_record("s1", {"auth": "delegated", **SET_UP, **fields})


@pytest.mark.parametrize(
    ("asked", "needed"),
    [
        (None, False),
        (T0 - timedelta(seconds=1), False),  # read since
        (T0, False),
        (T0 + timedelta(seconds=1), True),  # the list changed after the last read began
    ],
)
def test_a_change_of_the_calendar_list_asks_for_a_set_up_not_for_a_resync(asked, needed):
    changed = account(calendars_requested_at=asked)
    assert changed.needs_set_up("Acme") is needed
    assert changed.resync_requested is False  # it confirms no held removal, catches nothing up


def test_a_resync_is_both_a_set_up_and_a_resync():
    resync = account(set_up_requested_at=T0 + timedelta(seconds=1))
    assert resync.needs_set_up("Acme") and resync.resync_requested


def test_the_account_keeps_its_calendar_list_channel_as_stored():
    stored = {"id": "ch1", "resource_id": "r1", "expiration": T0}
    kept = account(calendar_list_channel=stored).calendar_list_channel
    assert kept == WatchChannel("ch1", "r1", T0) and kept.to_record() == stored
    assert account().calendar_list_channel is None
    assert account(calendar_list_channel=None).calendar_list_channel is None


@pytest.mark.parametrize(
    ("current", "due"),
    [
        (None, True),  # none yet: open one
        ({"id": "ch1", "resource_id": "r1", "expiration": T0 + timedelta(days=7)}, False),
        ({"id": "ch1", "resource_id": "r1", "expiration": T0 + timedelta(hours=49)}, False),
        ({"id": "ch1", "resource_id": "r1", "expiration": T0 + timedelta(hours=48)}, True),
        ({"id": "ch1", "resource_id": "r1", "expiration": T0 - timedelta(hours=1)}, True),
    ],
)
def test_a_channel_is_renewed_within_48_hours_of_its_end(current, due):
    assert channels.due(current, T0) is due


def company(direction: str = "two_way", enabled: bool = True) -> Company:
    record = {"company_name": "Acme", "enabled": enabled, "sync_direction": direction}
    return Company.from_record("c1", record)


def test_with_nobody_pending_an_importing_account_still_opens_and_renews_its_channel():
    far = {"id": "ch1", "resource_id": "r1", "expiration": datetime.now(UTC) + timedelta(days=6)}
    near = {**far, "expiration": datetime.now(UTC) + timedelta(hours=3)}
    assert _has_chores(company(), account())  # no channel yet
    assert _has_chores(company(), account(calendar_list_channel=near))
    assert not _has_chores(company(), account(calendar_list_channel=far))
    assert _has_chores(
        company(),
        account(calendar_list_channel=far, calendars_requested_at=LATER),
    )


def test_an_account_of_a_company_that_does_not_import_watches_no_calendar_list():
    assert not _has_chores(company("push_only"), account())
    assert not _has_chores(company(enabled=False), account(calendars_requested_at=LATER))
    reauth = account(state="needs_reauth", calendars_requested_at=LATER)
    assert not _has_chores(company(), reauth)
