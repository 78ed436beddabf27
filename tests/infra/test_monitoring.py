"""The metrics and alerts of infra/monitoring.tf count events the code really logs: every
event a metric filters on is logged by `shared.logs.event(...)` somewhere, with the field a
distribution measures, and every alert reads a metric that is defined."""

from __future__ import annotations

import ast
from pathlib import Path

import hcl2

ROOT = Path(__file__).resolve().parents[2]


def monitoring() -> dict:
    with open(ROOT / "infra" / "monitoring.tf") as file:
        return _unquoted(hcl2.load(file))


def _unquoted(value):
    """hcl2 keeps the quotes of HCL strings (`'"google_call"'`), in keys too."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, dict):
        return {_unquoted(k): _unquoted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unquoted(v) for v in value]
    return value


def _locals(parsed: dict) -> dict:
    merged: dict = {}
    for block in parsed["locals"]:
        merged.update(block)
    return merged


def logged_events() -> dict[str, set[str]]:
    """Each event name passed to `logs.event(logger, "name", ...)` in shared/ and
    functions/, with the keyword fields logged with it."""
    events: dict[str, set[str]] = {}
    for path in [*ROOT.glob("shared/**/*.py"), *ROOT.glob("functions/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "event"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "logs"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
            ):
                continue
            fields = events.setdefault(node.args[1].value, set())
            fields.update(k.arg for k in node.keywords if k.arg)
    return events


def test_every_metric_counts_an_event_the_code_logs_with_the_fields_it_reads():
    settings = _locals(monitoring())
    logged = logged_events()
    for name, counter in settings["counters"].items():
        assert counter["event"] in logged, f"metric {name}: nothing logs {counter['event']}"
        missing = set(counter["labels"].values()) - logged[counter["event"]]
        assert not missing, f"metric {name}: {counter['event']} is logged without {missing}"
    for name, distribution in settings["distributions"].items():
        event, field = distribution["event"], distribution["field"]
        assert event in logged, f"metric {name}: nothing logs {event}"
        assert field in logged[event], f"metric {name}: {event} is logged without {field}"


def test_every_alert_reads_a_defined_metric():
    settings = _locals(monitoring())
    defined = set(settings["counters"]) | set(settings["distributions"])
    alerts = settings["alerts"]
    assert {"pending_work", "needs_reauth", "channel_renewals"} <= set(alerts)
    for name, alert in alerts.items():
        assert alert["metric"] in defined, f"alert {name} reads undefined metric {alert['metric']}"
    assert alerts["pending_work"]["threshold"] == 900  # the 15 minutes
