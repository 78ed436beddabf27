"""Google changes reaching the platform as busy time, on a big calendar.

A worker whose primary calendar holds `events` events connects: its first import (wall
time, calls). Then the account holder changes the calendar one change at a time (moves,
new events, deletions): for each, the time until the busy block in Firestore shows it,
from the change and from the moment our `/notifications` got Google's push; Calendar calls
and Firestore operations per change. Pages are full here (the calls counted are ours
alone); a second, shorter series runs with the stand-in's random short and empty pages,
as Google may cut them.

The naive baseline lists the whole import window of an equally big calendar again on
every change.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from bench import scenario
from bench.counting import FirestoreOps
from bench.naive import NaiveCalendar
from bench.stack import LocalStack, summary
from tests.helpers import wait_until

WORKER = "i0"


def _imports_done(store, after: datetime | None = None) -> bool:
    states = [s.to_dict() or {} for s in store.calendar_imports(scenario.COMPANY).stream()]
    return bool(states) and all(
        s.get("channel")
        and s.get("last_import_at")
        and not s.get("sync_lease")
        and (after is None or s["last_import_at"] > after)
        for s in states
    )


def first_import(stack: LocalStack, config, worker: str, events: int) -> dict:
    """Populate the worker's primary calendar, connect it and wait for its first import."""
    email = scenario.email_of(worker)
    scenario.populate(stack, email, "primary", events)
    scenario.add_workers(stack, config, [worker])
    stack.google.reset_request_log()
    store = scenario.store(config)
    began = time.perf_counter()
    scenario.connect_all(stack, config, [worker])
    wait_until(lambda: _imports_done(store), timeout=600, interval=0.05, what="the first import")
    wall = time.perf_counter() - began
    calls = scenario.calendar_calls(stack)
    blocks = store.busy_blocks(scenario.COMPANY).count().get()[0][0].value
    return {
        "events": events,
        "busy_blocks_stored": blocks,
        "connect_to_imported_s": round(wall, 2),
        "calendar_calls": calls,
        "events_list_calls": calls.get("calendar.events.list", 0),
    }


class _Edits:
    """The account holder's changes to one calendar: moves, new events and deletions."""

    def __init__(self, stack: LocalStack, email: str, ids: list[str], seed: int) -> None:
        self.stack, self.email, self.ids = stack, email, list(ids)
        self.rng = random.Random(seed)
        self.base = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=1)
        self.n = 0

    def make(self) -> tuple[str, str, datetime | None]:
        """One change; returns (kind, event id, the block's new start or None if gone)."""
        google, rng = self.stack.google, self.rng
        self.n += 1
        start = self.base + timedelta(minutes=15 * rng.randrange(4 * 24 * 200))
        body = scenario.timed_event(f"Change {self.n}", start)
        roll = rng.random()
        if roll < 0.6:
            event_id = rng.choice(self.ids)
            google.patch_event(self.email, "primary", event_id, body)
            return "move", event_id, start
        if roll < 0.85:
            event_id = google.insert_event(self.email, "primary", body)["id"]
            self.ids.append(event_id)
            return "new", event_id, start
        event_id = self.ids.pop(rng.randrange(len(self.ids)))
        google.delete_event(self.email, "primary", event_id)
        return "delete", event_id, None


def _series(
    stack: LocalStack,
    config,
    edits: _Edits,
    count: int,
    interval: float,
    progress=None,
) -> tuple[list[float], list[float], dict[str, list[float]], list[float]]:
    """`count` changes, one at a time; lags from the change and from the notification, and
    how long the import task took to start after the notification."""
    from shared.sync.busy_import import block_id

    store = scenario.store(config)
    sub = scenario.worker_sub(config, WORKER)
    blocks = store.busy_blocks(scenario.COMPANY)
    lags, by_kind, marks = [], {}, []
    for _ in range(count):
        began = time.perf_counter()
        kind, event_id, start = edits.make()
        ref = blocks.document(block_id(sub, edits.email, event_id))

        def shown(ref=ref, start=start) -> bool:
            block = ref.get().to_dict()
            if start is None:
                return block is None
            return bool(block) and block["start"] == start

        wait_until(shown, timeout=60, interval=0.005, what=f"{kind} of {event_id} imported")
        landed = time.perf_counter()
        lags.append((landed - began) * 1000)
        by_kind.setdefault(kind, []).append(lags[-1])
        marks.append((began, landed))
        if progress is not None:
            progress.update(1)
        time.sleep(interval)
    # Requests are timed once answered: read their starts when every one has been.
    stack.settle(config)
    notes = stack.timed.started("POST", "/notifications")
    tasks = stack.timed.started("POST", "/tasks")
    after_note, queued = [], []
    for began, landed in marks:
        rang = next((at for at in notes if at >= began), None)
        if rang is None or rang > landed:
            continue
        after_note.append((landed - rang) * 1000)
        ran = next((at for at in tasks if at >= rang), None)
        if ran is not None and ran <= landed:
            queued.append((ran - rang) * 1000)
    return lags, after_note, by_kind, queued


def run(
    stack: LocalStack,
    ops: FirestoreOps,
    *,
    events: int,
    count: int,
    short_pages_count: int,
    interval: float,
    latency_ms: float,
    naive_count: int,
    seed: int = 7,
    progress=None,
) -> dict:
    config = stack.new_project()
    stack.set_latency(latency_ms)
    stack.google.set_paging()  # full pages: the calls counted are ours alone
    scenario.company(stack, config)
    first = first_import(stack, config, WORKER, events)
    stack.settle(config)
    email = scenario.email_of(WORKER)
    ids = [e["id"] for e in stack.google.events(email, "primary") if not e.get("transparency")]
    edits = _Edits(stack, email, ids, seed)

    stack.google.reset_request_log()
    stack.timed.clear()
    ops.reset()
    lags, after_note, by_kind, queued = _series(stack, config, edits, count, interval, progress)
    stack.settle(config)
    calls = scenario.calendar_calls(stack)
    result = {
        "calendar_events": events,
        "first_import": first,
        "changes": count,
        "kinds": {kind: len(values) for kind, values in by_kind.items()},
        "interval_s": interval,
        "google_change_to_busy_block_ms": summary(lags),
        "notification_to_busy_block_ms": summary(after_note),
        # Of which: from the notification until the import task started (Cloud Tasks, and
        # the wait for the end of the half-second slice that coalesces notifications).
        "notification_to_import_task_ms": summary(queued),
        "samples": {
            "google_change_to_busy_block_ms": [round(v, 1) for v in lags],
            "notification_to_busy_block_ms": [round(v, 1) for v in after_note],
        },
        "calendar_calls": calls,
        "calendar_calls_per_change": round(scenario.total_calls(calls) / count, 3),
        "list_calls_per_change": round(calls.get("calendar.events.list", 0) / count, 3),
        "firestore_per_change": {k: round(v / count, 2) for k, v in ops.totals().items()},
        "firestore_by_tag": ops.snapshot(),
    }
    if short_pages_count:
        stack.google.pages.randomize()
        stack.google.reset_request_log()
        short, _, _, _ = _series(stack, config, edits, short_pages_count, interval, progress)
        stack.settle(config)
        short_calls = scenario.calendar_calls(stack)
        stack.google.set_paging()
        result["random_short_pages"] = {
            "changes": short_pages_count,
            "google_change_to_busy_block_ms": summary(short),
            "list_calls_per_change": round(
                short_calls.get("calendar.events.list", 0) / short_pages_count, 3
            ),
        }
    if naive_count:
        result["naive"] = naive(stack, config, events, naive_count, seed, progress)
        result["naive"]["ours_ms"] = result["google_change_to_busy_block_ms"]
    stack.set_latency(0)
    stack.google.pages.randomize()
    return result


def naive(stack: LocalStack, config, events: int, count: int, seed: int, progress=None) -> dict:
    """The naive import on a calendar as big: every change, the whole window listed again."""
    from shared.sync.busy_import import window

    email = scenario.email_of("naive-import")
    scenario.populate(stack, email, "primary", events)
    ids = [e["id"] for e in stack.google.events(email, "primary") if not e.get("transparency")]
    calendar = NaiveCalendar.open(stack, config, email, calendar_id=email)
    edits = _Edits(stack, email, ids, seed)
    since, until = window(config, datetime.now(UTC))
    lags, calls, listed = [], [], []
    for _ in range(count):
        began = time.perf_counter()
        edits.make()
        done = calendar.relist(since, until)
        lags.append((done.changed_at - began) * 1000)
        calls.append(done.calls)
        listed.append(done.listed)
        if progress is not None:
            progress.update(1)
    return {
        "changes": count,
        "google_change_to_busy_block_ms": summary(lags),
        "list_calls_per_change": round(sum(calls) / max(1, count), 3),
        "events_read_per_change": round(sum(listed) / max(1, count), 1),
        "samples": {"google_change_to_busy_block_ms": [round(v, 1) for v in lags]},
    }
