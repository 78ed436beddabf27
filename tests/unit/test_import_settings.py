"""The import's settings: how often the backstop poll looks at a calendar, and the window
of events imported. A bad value stops the service at start, naming the variable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.config import ConfigError, load_config
from shared.services.poll import CRON_EVERY, due
from shared.sync.busy_import import window


def local(**env: str):
    return load_config({"APP_MODE": "local", **env})


def test_the_defaults_poll_every_six_hours_and_import_a_month_back_and_a_year_ahead():
    config = local()
    assert config.poll_interval == timedelta(hours=6)
    assert (config.import_back, config.import_ahead) == (timedelta(days=30), timedelta(days=365))


@pytest.mark.parametrize(
    "text, interval",
    [
        ("15m", timedelta(minutes=15)),
        ("90m", timedelta(minutes=90)),
        ("6h", timedelta(hours=6)),
        (" 12H ", timedelta(hours=12)),
        ("1d", timedelta(days=1)),
        ("3600s", timedelta(hours=1)),
        ("7d", timedelta(days=7)),
    ],
)
def test_the_poll_interval_is_a_number_and_a_unit(text, interval):
    assert local(POLL_INTERVAL=text).poll_interval == interval


@pytest.mark.parametrize("text", ["6", "six hours", "6 hours", "1.5h", "-1h", "6h30m", "PT6H"])
def test_a_poll_interval_without_a_unit_or_in_another_form_is_refused(text):
    with pytest.raises(ConfigError, match="POLL_INTERVAL: .*30m, 6h or 1d"):
        local(POLL_INTERVAL=text)


@pytest.mark.parametrize("text", ["0m", "14m", "899s", "8d", "169h"])
def test_a_poll_interval_shorter_than_the_cron_or_longer_than_a_week_is_refused(text):
    with pytest.raises(ConfigError, match="POLL_INTERVAL: .*between 15m .* and 7d"):
        local(POLL_INTERVAL=text)


def test_the_import_window_is_whole_days():
    config = local(IMPORT_BACK_DAYS="0", IMPORT_AHEAD_DAYS="90")
    assert (config.import_back, config.import_ahead) == (timedelta(0), timedelta(days=90))
    now = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    assert window(config, now) == (
        datetime(2026, 3, 10, tzinfo=UTC),
        datetime(2026, 6, 8, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    "name, value",
    [
        ("IMPORT_BACK_DAYS", "-1"),
        ("IMPORT_BACK_DAYS", "366"),
        ("IMPORT_BACK_DAYS", "a month"),
        ("IMPORT_BACK_DAYS", "1.5"),
        ("IMPORT_AHEAD_DAYS", "0"),
        ("IMPORT_AHEAD_DAYS", "731"),
        ("IMPORT_AHEAD_DAYS", "1y"),
    ],
)
def test_an_import_window_out_of_range_or_not_a_number_of_days_is_refused(name, value):
    with pytest.raises(ConfigError, match=f"{name}: "):
        local(**{name: value})


def test_every_problem_is_named_at_once():
    with pytest.raises(ConfigError) as raised:
        local(POLL_INTERVAL="soon", IMPORT_BACK_DAYS="-3", IMPORT_AHEAD_DAYS="x")
    for name in ("POLL_INTERVAL", "IMPORT_BACK_DAYS", "IMPORT_AHEAD_DAYS"):
        assert name in str(raised.value)


@pytest.mark.parametrize("interval", [timedelta(hours=6), timedelta(hours=1), CRON_EVERY])
def test_each_calendar_is_due_once_per_interval(interval):
    start = datetime(2026, 3, 10, tzinfo=UTC)
    slots = [start + CRON_EVERY * n for n in range(int(interval / CRON_EVERY) * 3)]
    for calendar in ("primary", "football", "work"):
        hits = [t for t in slots if due("c1", "sub", calendar, t, interval)]
        assert len(hits) == 3  # once in each of three intervals
        assert all(b - a == interval for a, b in zip(hits, hits[1:], strict=False))
