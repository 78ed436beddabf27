"""The per-account budget that keeps pushes within Google's per-user quota (pure)."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.config import ConfigError, load_config
from shared.domain.pacing import CallBudget, Pace

T0 = datetime(2026, 11, 25, 9, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def budget(calls: int = 100, sent=()) -> CallBudget:
    return CallBudget(Pace(calls, MINUTE), list(sent))


def test_a_fresh_budget_grants_what_is_asked_up_to_its_pace():
    b = budget()
    assert b.take(50, T0) == 50
    assert b.take(50, T0) == 50
    assert b.take(1, T0) == 0
    assert b.left(T0) == 0


def test_the_last_grant_is_cut_to_what_is_left():
    b = budget(sent=[(T0, 80)])
    assert b.take(50, T0) == 20
    assert b.sent == [(T0, 80), (T0, 20)]


def test_a_refusal_spends_nothing():
    b = budget(sent=[(T0, 100)])
    assert b.take(50, T0 + timedelta(seconds=30)) == 0
    assert b.sent == [(T0, 100)]


def test_calls_leave_the_budget_one_period_after_they_were_sent():
    b = budget(sent=[(T0, 60), (T0 + timedelta(seconds=20), 40)])
    assert b.left(T0 + MINUTE - timedelta(microseconds=1)) == 0
    assert b.left(T0 + MINUTE) == 60  # the first batch is a whole period old
    assert b.take(70, T0 + MINUTE) == 60
    assert b.sent == [(T0 + timedelta(seconds=20), 40), (T0 + MINUTE, 60)]  # the old one pruned


def test_resume_at_is_when_the_oldest_calls_leave():
    b = budget(sent=[(T0, 60), (T0 + timedelta(seconds=20), 40)])
    now = T0 + timedelta(seconds=30)
    assert b.resume_at(now) == T0 + MINUTE
    assert budget().resume_at(now) == now  # room now: no wait


def test_the_record_keeps_only_the_last_period_and_reads_back():
    b = budget(sent=[(T0, 10), (T0 + timedelta(seconds=50), 5)])
    now = T0 + timedelta(seconds=70)
    record = b.to_record(now)
    assert record == [{"at": T0 + timedelta(seconds=50), "calls": 5}]
    again = CallBudget.from_record(b.pace, record)
    assert again.left(now) == 95
    assert CallBudget.from_record(b.pace, None).left(now) == 100


@pytest.mark.parametrize("calls, period", [(0, MINUTE), (10, timedelta(0))])
def test_a_pace_needs_calls_and_a_period(calls, period):
    with pytest.raises(ValueError):
        Pace(calls, period)


def local(**env: str):
    return load_config({"APP_MODE": "local", **env})


def test_the_default_pace_leaves_room_under_googles_600_a_minute():
    assert local().push_pace == Pace(500, MINUTE)


@pytest.mark.parametrize(
    "text, pace",
    [("500/1m", Pace(500, MINUTE)), ("10/1s", Pace(10, timedelta(seconds=1))), (" 20 / 2s", None)],
)
def test_push_pace_is_calls_per_duration(text, pace):
    if pace is None:
        pace = Pace(20, timedelta(seconds=2))
    assert local(PUSH_PACE=text).push_pace == pace


@pytest.mark.parametrize("text", ["500", "500/", "/1m", "x/1m", "500/1 minute", "-5/1m"])
def test_a_push_pace_in_another_form_is_refused(text):
    with pytest.raises(ConfigError, match="PUSH_PACE: .*500/1m"):
        local(PUSH_PACE=text)


@pytest.mark.parametrize("text", ["601/1m", "11/1s", "0/1m", "10/0s"])
def test_a_push_pace_beyond_googles_quota_or_empty_is_refused(text):
    with pytest.raises(ConfigError, match="PUSH_PACE: "):
        local(PUSH_PACE=text)
