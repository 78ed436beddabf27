"""Booking changes reaching Google: mutation → event lag, server time, and calls per change.

    python -m bench.push_lag [--workers 10] [--changes 200] [--interval 0.05]

Starts its own local stack (bench/stack.py), connects `--workers` workers (each its own
Google account), then sends `--changes` booking changes one after another, `--interval`
seconds apart, each a new booking or a reschedule of one, spread over the workers. For
each it measures the server time of the PUT and the time until the changed event is in
the worker's company calendar at the stand-in. Then one no-op change per worker (a new
version that alters nothing in the event) to count its calls.

Prints the figures and writes `push_lag.json` beside this file.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.stack import LocalStack, local_stack, summary
from tests.helpers import wait_until

OUTPUT = Path(__file__).with_name("push_lag.json")
STATUS = {"name": "Confirmed", "color": "#51b749", "push_to_google": True}


def _admin(config) -> dict:
    from dev.tokens import platform_token

    return {"Authorization": f"Bearer {platform_token(config, 'admin', 'c1')}"}


def _booking(version: int, worker_id: str, start: datetime, suburb: str) -> dict:
    return {
        "version": version,
        "status_id": "confirmed",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
        "timezone": "Europe/Oslo",
        "worker_ids": [worker_id],
        "customer": {"name": "Ada Lovelace"},
        "addresses": ["1 Analytical Way"],
        "suburb": suburb,
        "service": {"name": "Boiler service"},
        "currency_symbol": "kr",
        "amount": 1250,
        "properties": {},
        "created_by": "bench",
        "created_at": "2026-11-20T10:00:00+01:00",
    }


def _connected(
    stack: LocalStack, config, workers: int, preload: int, first: dict
) -> dict[str, tuple[str, str]]:
    """Workers w0.. connected, each on its own account: worker -> (email, calendar id).
    With `preload`, w0 has that many future bookings before it connects; `first` gets
    how long its first push took and what it cost."""
    from dev.connect import connect

    http, headers = stack.http, _admin(config)
    answer = http.put(
        f"{stack.url}/settings",
        headers=headers,
        json={"company_name": "Bench Plumbing", "enabled": True},
        timeout=30,
    )
    answer.raise_for_status()
    http.put(
        f"{stack.url}/booking-statuses/confirmed",
        headers=headers,
        json={**STATUS, "delete_from_google": False},
        timeout=30,
    ).raise_for_status()
    calendars = {}
    for n in range(workers):
        email = f"w{n}@example.com"
        http.put(
            f"{stack.url}/workers/w{n}",
            headers=headers,
            json={"name": f"W{n}", "email": email, "active": True, "timezone": "Europe/Oslo"},
            timeout=30,
        ).raise_for_status()
    if preload:
        _preload(stack, headers, preload)
    stack.google.reset_request_log()
    started = time.perf_counter()
    for n in range(workers):
        connect(config, f"w{n}", f"w{n}@example.com")
    for n in range(workers):
        status = wait_until(
            lambda n=n: (
                (c := http.get(f"{stack.url}/workers/w{n}/connection", headers=headers).json())
                .get("first_sync", {})
                .get("done")
                and c
            ),
            timeout=60,
        )
        calendars[f"w{n}"] = (f"w{n}@example.com", status["company_calendar_id"])
    first["all_first_syncs_s"] = round(time.perf_counter() - started, 2)
    first["pushed_to_w0"] = status_of(stack, headers, "w0")["first_sync"]["pushed"]
    first["calendar_calls"] = _calendar_calls(stack)
    return calendars


def status_of(stack: LocalStack, headers: dict, worker_id: str) -> dict:
    return stack.http.get(f"{stack.url}/workers/{worker_id}/connection", headers=headers).json()


def _preload(stack: LocalStack, headers: dict, count: int) -> None:
    """`count` future bookings for w0, in batches of 500."""
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    bookings = [
        {"id": f"p{n}", **_booking(1, "w0", base + timedelta(hours=3 * n), "Preloaded")}
        for n in range(count)
    ]
    for start in range(0, count, 500):
        stack.http.post(
            f"{stack.url}/bookings:batch",
            headers=headers,
            json={"bookings": bookings[start : start + 500]},
            timeout=120,
        ).raise_for_status()


def _arrived(stack: LocalStack, email: str, calendar_id: str, booking_id: str, suburb: str):
    """Whether the booking's event (looked up by its id, not by listing a big calendar) shows
    the change."""
    from shared.domain.booking import EventKey, event_id

    worker_id = "w" + email.split("@")[0].removeprefix("w")
    the_id = event_id("c1", worker_id, EventKey.booking(booking_id), 0)
    google = stack.google

    def found() -> bool:
        calendar = google.calendars.calendar(email, calendar_id)
        try:
            event = google.calendars.get_event(calendar, the_id)
        except Exception:  # noqa: BLE001 - not there yet
            return False
        return f"Suburb: {suburb}" in event.get("description", "")

    return found


def run(
    stack: LocalStack, workers: int, changes: int, interval: float, seed: int, preload: int
) -> dict:
    config = stack.new_project()
    first: dict = {"preloaded_for_w0": preload}
    calendars = _connected(stack, config, workers, preload, first)
    rng = random.Random(seed)
    headers = _admin(config)
    versions: dict[str, int] = {}
    owner: dict[str, str] = {}
    last: dict[str, dict] = {}
    lags, server = [], []
    stack.google.reset_request_log()
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    for n in range(changes):
        if versions and rng.random() < 0.5:
            booking_id = rng.choice(sorted(versions))  # a reschedule
        else:
            booking_id = f"b{n}"
            owner[booking_id] = f"w{rng.randrange(workers)}"
        worker_id = owner[booking_id]
        versions[booking_id] = versions.get(booking_id, 0) + 1
        suburb = f"Suburb {n}"
        start = base + timedelta(hours=rng.randrange(24 * 30))
        body = last[booking_id] = _booking(versions[booking_id], worker_id, start, suburb)
        sent = time.perf_counter()
        answer = stack.http.put(
            f"{stack.url}/bookings/{booking_id}", headers=headers, json=body, timeout=30
        )
        answer.raise_for_status()
        server.append(stack.timed.last("PUT", f"/bookings/{booking_id}") or 0.0)
        email, calendar_id = calendars[worker_id]
        wait_until(
            _arrived(stack, email, calendar_id, booking_id, suburb), timeout=30, interval=0.002
        )
        lags.append((time.perf_counter() - sent) * 1000)
        time.sleep(interval)
    calls = _calendar_calls(stack)
    no_op_calls = _no_op_calls(stack, headers, last)
    return {
        "workers": workers,
        "changes": changes,
        "interval_s": interval,
        "mutation_server_ms": summary(server),
        "mutation_to_google_ms": summary(lags),
        "calendar_calls_per_change": round(sum(calls.values()) / changes, 3),
        "calendar_calls": calls,
        "calls_for_a_no_op_change": no_op_calls,
        "first_push": first,
    }


def _calendar_calls(stack: LocalStack) -> dict[str, int]:
    return {
        method: count
        for method, count in stack.google.call_counts().items()
        if method.startswith("calendar.") or method == "batch"
    }


def _no_op_calls(stack: LocalStack, headers: dict, last: dict[str, dict]) -> int:
    """Re-send one booking per worker as it stands, with a higher version (a change that
    alters nothing in the event); count the calls once every marker has settled."""
    from shared.config import get_config
    from shared.store.firestore import Store

    store = Store.for_config(get_config())
    stack.google.reset_request_log()
    one_each = {body["worker_ids"][0]: booking_id for booking_id, body in last.items()}
    for booking_id in one_each.values():
        body = {**last[booking_id], "version": last[booking_id]["version"] + 1}
        stack.http.put(
            f"{stack.url}/bookings/{booking_id}", headers=headers, json=body, timeout=30
        ).raise_for_status()

    def settled() -> bool:
        workers = store.workers("c1").stream()
        markers = ("sync_pending_since", "push_pending_since")
        return not any(w.to_dict().get(m) for w in workers for m in markers)

    wait_until(settled, timeout=30)
    return sum(_calendar_calls(stack).values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between changes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--preload", type=int, default=0, help="future bookings w0 has first")
    args = parser.parse_args()
    with local_stack() as stack:
        result = run(stack, args.workers, args.changes, args.interval, args.seed, args.preload)
        result["firestore"] = stack.firestore_mode
    result["machine"] = {"python": platform.python_version(), "cpus": _cpus()}
    print(json.dumps(result, indent=2))
    OUTPUT.write_text(json.dumps(result, indent=2) + "\n")


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    main()
