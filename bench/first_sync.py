"""First syncs: a worker with many future bookings connects (its first push, in batches),
and calendars of growing size are imported for the first time.

- `push_first_sync`: `bookings` future bookings saved, then the worker connects; wall time
  until its first sync is done, Calendar calls (batch requests and their parts), calls
  Google refused, and Firestore operations. Google's per-user rate limit (600 calls a
  minute) is on, as at Google, and the push keeps to `PUSH_PACE` (500 a minute): 2,000
  inserts take at least three minutes whatever the engine does, and none is refused.
- `memory`: the same jobs, each in a process of its own (probe.py), for their memory: the
  first push of `bookings` bookings (resident set; a task pushes at most one `PUSH_PACE`'s
  worth), and the first import of calendars of
  each size in `sizes` (resident set, and Python's heap under tracemalloc; flat in the
  calendar's size is the target).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import scenario
from bench.counting import FirestoreOps
from bench.stack import LocalStack

ROOT = Path(__file__).resolve().parent.parent


def bookings_for(worker_id: str, count: int) -> dict[str, dict]:
    base = datetime.now(UTC).replace(microsecond=0, second=0, minute=0) + timedelta(days=1)
    return {
        f"{worker_id}-p{n}": scenario.booking(
            1, worker_id, base + timedelta(hours=3 * n), f"Preloaded {n}"
        )
        for n in range(count)
    }


def push_first_sync(
    stack: LocalStack, ops: FirestoreOps, *, bookings: int, latency_ms: float, progress=None
) -> dict:
    config = stack.new_project()
    stack.set_latency(latency_ms)
    scenario.company(stack, config)
    worker = "f0"
    scenario.add_workers(stack, config, [worker])
    scenario.put_bookings(stack, config, bookings_for(worker, bookings))
    stack.settle(config)
    stack.google.reset_request_log()
    ops.reset()
    began = time.perf_counter()
    try:
        connection = scenario.connect_all(stack, config, [worker], timeout=900)[worker]
        wall = time.perf_counter() - began
        stack.settle(config)
    finally:
        stack.set_latency(0)
    if progress is not None:
        progress.update(1)
    calls = scenario.calendar_calls(stack)
    refused = [e for e in stack.google.request_log() if e["status"] in (403, 429)]
    pace = config.push_pace
    return {
        "bookings": bookings,
        "pushed": connection["first_sync"].get("pushed"),
        "connect_to_first_sync_done_s": round(wall, 2),
        "calendar_calls": calls,
        "calendar_calls_total": scenario.total_calls(calls),
        "batch_requests": calls.get("batch", 0),
        # The sync's tasks, and the consent round trip (not the bench's polling of the
        # connection while it waits).
        "firestore_sync_tasks": ops.totals(["POST /tasks"]),
        "firestore_consent": ops.totals(["GET /connect", "GET /getAuthKey"]),
        "refused_calls": len(refused),
        "push_pace": f"{pace.calls} calls per {pace.period.total_seconds():g} s",
        # Whatever the engine does, the quota lets the last step start no sooner than this.
        "quota_bound_s": (math.ceil(bookings / pace.calls) - 1) * pace.period.total_seconds(),
    }


def _probe(kind: str, worker: str, heap: bool = False) -> dict:
    answer = subprocess.run(
        [sys.executable, "-m", "bench.probe", kind, scenario.COMPANY, worker]
        + (["--heap"] if heap else []),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    if answer.returncode != 0:
        raise RuntimeError(f"probe {kind} {worker} failed:\n{answer.stderr[-3000:]}")
    return json.loads(answer.stdout.strip().splitlines()[-1])


def _linked_while_paused(stack: LocalStack, config, worker: str) -> None:
    """Connect `worker` with the sync queue paused: linked, nothing synced yet."""
    from dev.connect import connect

    scenario.sync_queue(config, paused=True)
    outcome = connect(config, worker, scenario.email_of(worker))
    if not outcome.connected:
        raise RuntimeError(f"{worker} did not connect: {outcome.describe()}")


def memory(stack: LocalStack, *, bookings: int, sizes: list[int], progress=None) -> dict:
    config = stack.new_project()
    scenario.company(stack, config)
    stack.google.set_paging()  # full pages of 2,500: the most one page can hold
    limit = stack.google.user_rate_limit()
    stack.google.set_user_rate_limit(None)
    result: dict = {"imports": []}
    try:
        worker = "mp"
        scenario.add_workers(stack, config, [worker])
        scenario.put_bookings(stack, config, bookings_for(worker, bookings))
        stack.settle(config)
        _linked_while_paused(stack, config, worker)
        try:
            result["push"] = {"bookings": bookings, **_probe("push", worker)}
        finally:
            scenario.sync_queue(config, paused=False)
        stack.settle(config, timeout=300)
        if progress is not None:
            progress.update(1)
        for size in sizes:
            entry: dict = {"events": size}
            # Twice, each time a first import of its own calendar: for the resident set at
            # full speed, then for Python's heap under tracemalloc.
            for heap in (False, True):
                worker = f"m{size}{'h' if heap else 'r'}"
                scenario.populate(stack, scenario.email_of(worker), "primary", size)
                scenario.add_workers(stack, config, [worker])
                stack.settle(config)
                stack.google.reset_request_log()
                _linked_while_paused(stack, config, worker)
                try:
                    entry.update(_probe("import", worker, heap))
                finally:
                    scenario.sync_queue(config, paused=False)
                calls = scenario.calendar_calls(stack)
                entry["events_list_calls"] = calls.get("calendar.events.list", 0)
                stack.settle(config, timeout=300)
                if progress is not None:
                    progress.update(1)
            result["imports"].append(entry)
    finally:
        stack.google.set_user_rate_limit(limit["limit"], limit["window_seconds"])
        stack.google.pages.randomize()
    peaks = [entry["heap_peak_mb"] for entry in result["imports"]]
    if len(peaks) >= 2 and peaks[0]:
        result["import_heap_peak_ratio_largest_to_smallest"] = round(peaks[-1] / peaks[0], 2)
    return result
