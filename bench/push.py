"""Booking changes reaching Google, and what each one costs.

Workers connected on their own Google accounts get booking changes one after another
(new bookings, reschedules and deletions, spread over the workers). For each change: the
server time of its request, and the time until Google holds it (the event, looked up by
its id in the stand-in, shows the change). Then: Calendar calls per change, Firestore
reads and writes per change (request and sync task), and a no-op change per worker (a
new version that alters nothing in the event): its calls and Firestore operations.

The naive baseline (naive.py) then replays the same changes on calendars of its own.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench import first_sync, scenario
from bench.counting import FirestoreOps
from bench.naive import NaiveCalendar
from bench.stack import LocalStack, summary
from tests.helpers import wait_until


@dataclass(frozen=True)
class Change:
    n: int
    kind: str  # new, reschedule, delete
    booking_id: str
    worker_id: str
    version: int
    body: dict | None  # None: deleted
    suburb: str | None


def changes(workers: list[str], count: int, seed: int) -> list[Change]:
    """A reproducible sequence: about 45% reschedules, 10% deletions, the rest new."""
    rng = random.Random(seed)
    base = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=2)
    live: dict[str, tuple[str, int]] = {}  # booking → (worker, version)
    out = []
    for n in range(count):
        roll = rng.random()
        suburb = f"Suburb {n}"
        start = base + timedelta(hours=rng.randrange(24 * 30))
        if live and roll < 0.45:
            booking_id = rng.choice(sorted(live))
            worker_id, version = live[booking_id]
            body = scenario.booking(version + 1, worker_id, start, suburb)
            live[booking_id] = (worker_id, version + 1)
            out.append(Change(n, "reschedule", booking_id, worker_id, version + 1, body, suburb))
        elif live and roll < 0.55:
            booking_id = rng.choice(sorted(live))
            worker_id, version = live.pop(booking_id)
            out.append(Change(n, "delete", booking_id, worker_id, version + 1, None, None))
        else:
            booking_id, worker_id = f"b{n}", rng.choice(workers)
            body = scenario.booking(1, worker_id, start, suburb)
            live[booking_id] = (worker_id, 1)
            out.append(Change(n, "new", booking_id, worker_id, 1, body, suburb))
    return out


def send(stack: LocalStack, headers: dict, change: Change) -> None:
    url = f"{stack.url}/bookings/{change.booking_id}"
    if change.body is None:
        answer = stack.http.delete(url, params={"version": change.version}, headers=headers)
    else:
        answer = stack.http.put(url, headers=headers, json=change.body, timeout=60)
    answer.raise_for_status()


def event_state(stack: LocalStack, worker_id: str, calendar_id: str, booking_id: str):
    """The booking's event in the worker's company calendar: (status, description), or None."""
    from shared.domain.booking import EventKey, event_id

    google = stack.google
    the_id = event_id(scenario.COMPANY, worker_id, EventKey.booking(booking_id), 0)
    try:
        calendar = google.calendars.calendar(scenario.email_of(worker_id), calendar_id)
        event = google.calendars.get_event(calendar, the_id)
    except Exception:  # noqa: BLE001 - not there (yet)
        return None
    return event.get("status"), event.get("description", "")


def arrived(stack: LocalStack, calendar_id: str, change: Change) -> bool:
    state = event_state(stack, change.worker_id, calendar_id, change.booking_id)
    if change.body is None:
        return state is None or state[0] == "cancelled"
    return state is not None and state[0] != "cancelled" and f"Suburb: {change.suburb}" in state[1]


def run(
    stack: LocalStack,
    ops: FirestoreOps,
    *,
    workers: int,
    count: int,
    interval: float,
    latency_ms: float,
    naive_count: int,
    preload: int = 0,
    seed: int = 7,
    progress=None,
) -> dict:
    config = stack.new_project()
    stack.set_latency(latency_ms)
    headers = scenario.company(stack, config)
    ids = [f"w{n}" for n in range(workers)]
    scenario.add_workers(stack, config, ids)
    preloaded = {w: first_sync.bookings_for(w, preload) for w in ids}
    for bodies in preloaded.values():
        scenario.put_bookings(stack, config, bodies)
    connections = scenario.connect_all(stack, config, ids)
    calendars = {w: c["company_calendar_id"] for w, c in connections.items()}
    stack.settle(config)

    sequence = changes(ids, count, seed)
    stack.google.reset_request_log()
    stack.timed.clear()
    ops.reset()
    server, lags, by_kind = [], [], {}
    cpu_before = stack.cpu_seconds()
    for change in sequence:
        method = "DELETE" if change.body is None else "PUT"
        path = f"/bookings/{change.booking_id}"
        before = len(stack.timed.of(method, path, exact=True))
        sent = time.perf_counter()
        send(stack, headers, change)
        wait_until(
            lambda c=change: arrived(stack, calendars[c.worker_id], c),
            timeout=60,
            interval=0.002,
            what=f"change {change.n} in Google",
        )
        lag = (time.perf_counter() - sent) * 1000
        lags.append(lag)
        by_kind.setdefault(change.kind, []).append(lag)
        times = wait_until(
            lambda m=method, p=path, b=before: (t := stack.timed.of(m, p, exact=True))[b:] and t,
            timeout=10,
            interval=0.002,
        )
        server.append(times[before])
        if progress is not None:
            progress.update(1)
        time.sleep(interval)
    stack.settle(config)
    cpu_after = stack.cpu_seconds()
    calls = scenario.calendar_calls(stack)
    firestore = ops.snapshot()
    result = {
        "workers": workers,
        "future_bookings_per_worker_before": preload,
        "changes": count,
        "kinds": {kind: len(values) for kind, values in by_kind.items()},
        "interval_s": interval,
        "mutation_server_ms": summary(server),
        "mutation_to_google_ms": summary(lags),
        "mutation_to_google_ms_by_kind": {k: summary(v) for k, v in by_kind.items()},
        "samples": {"server_ms": _rounded(server), "mutation_to_google_ms": _rounded(lags)},
        "calendar_calls": calls,
        "calendar_calls_per_change": round(scenario.total_calls(calls) / count, 3),
        "firestore_per_change": _per(ops.totals(), count),
        "firestore_per_change_request": _per(
            ops.totals(["PUT /bookings", "DELETE /bookings"]), count
        ),
        "firestore_per_change_tasks": _per(ops.totals(["POST /tasks"]), count),
        "firestore_by_tag": firestore,
        # CPU a change costs the local stack (its functions, stand-ins and the bench in this
        # process; the Firestore emulator's JVM apart), with the pauses between changes.
        "cpu_ms_per_change": {
            name: round((cpu_after[name] - cpu_before[name]) * 1000 / count, 1)
            for name in cpu_before
            if cpu_before[name] is not None and cpu_after[name] is not None
        },
    }
    result["no_op"] = _no_op(stack, ops, config, headers, sequence)
    if naive_count:
        result["naive"] = naive(stack, config, sequence[:naive_count], preloaded, progress)
        ours = sorted(lags[:naive_count])
        result["naive"]["ours_on_the_same_changes_ms"] = summary(ours)
    stack.set_latency(0)
    return result


def _rounded(values: list[float]) -> list[float]:
    return [round(v, 1) for v in values]


def _per(totals: dict[str, int], n: int) -> dict[str, float]:
    return {k: round(v / n, 2) for k, v in totals.items()}


def _no_op(stack: LocalStack, ops: FirestoreOps, config, headers: dict, sequence) -> dict:
    """One booking per worker sent again as it stands, with a higher version."""
    last: dict[str, Change] = {}
    for change in sequence:
        last[change.booking_id] = change
    one_each: dict[str, Change] = {}
    for change in last.values():
        if change.body is not None:
            one_each.setdefault(change.worker_id, change)
    stack.google.reset_request_log()
    ops.reset()
    for change in one_each.values():
        again = Change(
            change.n,
            "no-op",
            change.booking_id,
            change.worker_id,
            change.version + 1,
            {**change.body, "version": change.version + 1},
            change.suburb,
        )
        send(stack, headers, again)
    stack.settle(config)
    n = max(1, len(one_each))
    return {
        "changes": len(one_each),
        "calendar_calls": scenario.calendar_calls(stack),
        "calendar_calls_per_change": round(
            scenario.total_calls(scenario.calendar_calls(stack)) / n, 3
        ),
        "firestore_per_change": _per(ops.totals(), n),
    }


def naive_event_id(booking_id: str) -> str:
    return "naive" + hashlib.sha256(booking_id.encode()).hexdigest()[:24]


def naive(
    stack: LocalStack,
    config,
    sequence: list[Change],
    preloaded: dict[str, dict[str, dict]],
    progress=None,
) -> dict:
    """The same changes, pushed by listing and rewriting the worker's events each time, on
    calendars that hold the same bookings to begin with (written through the stand-in's own
    API, not counted)."""
    calendars: dict[str, NaiveCalendar] = {}
    desired: dict[str, dict[str, dict]] = {}
    lags, calls, sizes = [], [], []
    for change in sequence:
        worker = change.worker_id
        if worker not in calendars:
            email = scenario.email_of(f"naive-{worker}")
            calendars[worker] = NaiveCalendar.open(stack, config, email)
            desired[worker] = {
                naive_event_id(booking_id): naive_body(body)
                for booking_id, body in preloaded.get(worker, {}).items()
            }
            for event_id, body in desired[worker].items():
                stack.google.insert_event(
                    email, calendars[worker].calendar_id, {**body, "id": event_id}
                )
        mine = desired[worker]
        event_id = naive_event_id(change.booking_id)
        if change.body is None:
            mine.pop(event_id, None)
        else:
            mine[event_id] = naive_body(change.body)
        sent = time.perf_counter()
        done = calendars[worker].push(mine, event_id)
        lags.append((done.changed_at - sent) * 1000)
        calls.append(done.calls)
        sizes.append(len(mine))
        if progress is not None:
            progress.update(1)
    return {
        "changes": len(sequence),
        "mutation_to_google_ms": summary(lags),
        "calendar_calls_per_change": round(sum(calls) / max(1, len(calls)), 3),
        "events_per_worker_mean": round(sum(sizes) / max(1, len(sizes)), 1),
        "samples": {"mutation_to_google_ms": _rounded(lags), "calls": calls},
    }


def naive_body(body: dict) -> dict:
    return {
        "summary": f"Boiler service - {body['customer']['name']}",
        "description": f"Suburb: {body['suburb']}",
        "start": {"dateTime": body["start"], "timeZone": body["timezone"]},
        "end": {"dateTime": body["end"], "timeZone": body["timezone"]},
    }
