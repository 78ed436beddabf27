"""Sustained load: many connected workers, booking changes at a steady rate.

`workers` workers (each its own Google account) get `rate` booking changes a second for
`seconds` seconds, sent on schedule whatever the answers take (an open loop, from a pool
of senders). A watcher notes when Google first shows each change (or a later change of the
same booking, which carries it). Afterwards: throughput, the lag's distribution, Calendar
calls per change, task attempts, and whatever is left pending once the stack has had
`drain` seconds to catch up: changes not in Google, workers still marked pending, tasks
still queued, and bookings whose event does not match their last change.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from bench import push, scenario
from bench.counting import FirestoreOps
from bench.stack import LocalStack, summary


class _Watcher(threading.Thread):
    """Marks changes arrived as the stand-in shows them.

    The stand-in's calendar store calls a listener after every change to a calendar (the
    hook its push channels use); the watcher then looks only at the pending bookings of
    the workers whose calendars changed, and dates what it finds to the latest such call
    (an upper bound of when the write landed). So it costs next to nothing when nothing
    happens, and does not slow the stack it measures by polling every booking."""

    def __init__(self, stack: LocalStack, calendars: dict[str, str]) -> None:
        super().__init__(daemon=True, name="bench-watcher")
        self.stack, self.calendars = stack, calendars
        self.workers = {calendar_id: worker for worker, calendar_id in calendars.items()}
        self.lock = threading.Lock()
        self.pending: dict[str, list[push.Change]] = defaultdict(list)  # booking → changes
        self.by_worker: dict[str, set[str]] = defaultdict(set)  # worker → pending bookings
        self.sent: dict[int, float] = {}
        self.arrived: dict[int, float] = {}
        self.changed: dict[str, float] = {}  # worker → when its calendar last changed
        self.wake = threading.Event()
        self.stopped = threading.Event()
        stack.google.calendars.subscribe(self._calendar_changed)

    def _calendar_changed(self, calendar, state: str) -> None:
        """The store's listener (called under its lock: record and leave)."""
        worker = self.workers.get(calendar.id)
        if worker is None or self.stopped.is_set():
            return
        with self.lock:
            self.changed[worker] = time.perf_counter()
        self.wake.set()

    def expect(self, change: push.Change, sent: float) -> None:
        with self.lock:
            self.sent[change.n] = sent
            self.pending[change.booking_id].append(change)
            self.by_worker[change.worker_id].add(change.booking_id)
            # A change may be in Google already (an earlier write carried it): look now.
            self.changed.setdefault(change.worker_id, sent)
        self.wake.set()

    def outstanding(self) -> int:
        with self.lock:
            return sum(len(changes) for changes in self.pending.values())

    def run(self) -> None:
        while not self.stopped.is_set():
            self.wake.wait(0.2)
            self.wake.clear()
            with self.lock:
                changed, self.changed = self.changed, {}
                looks = {
                    worker: (at, [(b, list(self.pending[b])) for b in self.by_worker[worker]])
                    for worker, at in changed.items()
                }
            for worker, (at, bookings) in looks.items():
                for booking_id, changes in bookings:
                    if changes:
                        self._look(worker, booking_id, changes, at)

    def _look(self, worker: str, booking_id: str, changes: list[push.Change], at: float) -> None:
        shown = self._shown(worker, booking_id, changes)
        if shown is None:
            return
        with self.lock:
            left = []
            for change in self.pending[booking_id]:
                if change.n <= shown:
                    self.arrived[change.n] = max(at, self.sent[change.n])
                else:
                    left.append(change)
            self.pending[booking_id] = left
            if not left:
                self.by_worker[worker].discard(booking_id)

    def _shown(self, worker_id: str, booking_id: str, changes: list[push.Change]) -> int | None:
        """The latest change (by its number) Google's event shows, if any of `changes`."""
        state = push.event_state(self.stack, worker_id, self.calendars[worker_id], booking_id)
        if state is None or state[0] == "cancelled":
            deletes = [c.n for c in changes if c.body is None]
            return max(deletes) if deletes else None
        _, description = state
        for change in sorted(changes, key=lambda c: -c.n):
            if change.body is not None and f"Suburb: {change.suburb}" in description:
                return change.n
        return None


def run(
    stack: LocalStack,
    ops: FirestoreOps,
    *,
    workers: int,
    rate: float,
    seconds: float,
    latency_ms: float,
    drain: float = 90,
    seed: int = 11,
    progress=None,
) -> dict:
    config = stack.new_project()
    stack.set_latency(latency_ms)
    headers = scenario.company(stack, config)
    ids = [f"l{n}" for n in range(workers)]
    scenario.add_workers(stack, config, ids)
    connections = scenario.connect_all(stack, config, ids, threads=8, timeout=600)
    calendars = {w: c["company_calendar_id"] for w, c in connections.items()}
    stack.settle(config, timeout=300)

    count = int(rate * seconds)
    sequence = push.changes(ids, count, seed)
    watcher = _Watcher(stack, calendars)
    stack.google.reset_request_log()
    stack.timed.clear()
    ops.reset()
    prefix = f"projects/{config.project_id}/"
    tasks_before = len(stack.tasks.finished_tasks(prefix))
    errors: list[str] = []
    behind: list[float] = []
    watcher.start()
    cpu_before = stack.cpu_seconds()

    def send(change: push.Change) -> None:
        try:
            push.send(stack, headers, change)
        except Exception as exc:  # noqa: BLE001 - counted, the load goes on
            errors.append(f"{change.n}: {exc}")

    began = time.perf_counter()
    with ThreadPoolExecutor(16) as senders:
        for index, change in enumerate(sequence):
            due = began + index / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            now = time.perf_counter()
            behind.append(max(0.0, now - due) * 1000)
            watcher.expect(change, now)
            senders.submit(send, change)
            if progress is not None:
                progress.update(1)
    sent_for = time.perf_counter() - began
    deadline = time.perf_counter() + drain
    while watcher.outstanding() and time.perf_counter() < deadline:
        time.sleep(0.05)
    settled = True
    try:
        stack.settle(config, timeout=max(5.0, deadline - time.perf_counter()))
    except TimeoutError:
        settled = False
    cpu_after = stack.cpu_seconds()
    wall = time.perf_counter() - began
    watcher.stopped.set()
    watcher.wake.set()
    watcher.join()
    stack.set_latency(0)
    cpu = {
        name: round(cpu_after[name] - cpu_before[name], 1)
        for name in cpu_before
        if cpu_before[name] is not None and cpu_after[name] is not None
    }

    lags = [(watcher.arrived[n] - watcher.sent[n]) * 1000 for n in sorted(watcher.arrived)]
    last = max(watcher.arrived.values(), default=began)
    calls = scenario.calendar_calls(stack)
    finished = stack.tasks.finished_tasks(prefix)[tasks_before:]
    attempts = [task.attempts for task in finished]
    final = {}
    for change in sequence:
        final[change.booking_id] = change
    mismatched = sum(
        1 for c in final.values() if not push.arrived(stack, calendars[c.worker_id], c)
    )
    from shared.queue.tasks import tasks_client

    queued = len(list(tasks_client(config).list_tasks(parent=config.queue_path(config.sync_queue))))
    return {
        "workers": workers,
        "rate_per_s": rate,
        "seconds": seconds,
        "changes_sent": count,
        "send_errors": len(errors),
        "send_error_examples": errors[:3],
        "sender_behind_schedule_ms": summary(behind),
        "sent_per_s": round(count / sent_for, 2),
        "changes_in_google": len(watcher.arrived),
        "throughput_per_s": round(len(watcher.arrived) / max(1e-9, last - began), 2),
        "all_in_google_after_s": round(last - began, 2),
        "mutation_server_ms": summary(
            stack.timed.of("PUT", "/bookings") + stack.timed.of("DELETE", "/bookings")
        ),
        "mutation_to_google_ms": summary(lags),
        "samples": {
            "server_ms": [
                round(v, 1)
                for v in stack.timed.of("PUT", "/bookings") + stack.timed.of("DELETE", "/bookings")
            ],
            "sent_at_s": [round(watcher.sent[n] - began, 3) for n in sorted(watcher.arrived)],
            "mutation_to_google_ms": [round(v, 1) for v in lags],
        },
        "calendar_calls": calls,
        "calendar_calls_per_change": round(scenario.total_calls(calls) / max(1, count), 3),
        "firestore_per_change": {k: round(v / max(1, count), 2) for k, v in ops.totals().items()},
        "cpu_seconds": cpu,
        "cpu_cores_busy": {name: round(seconds / wall, 2) for name, seconds in cpu.items()},
        "cpu_ms_per_change": {
            name: round(seconds * 1000 / max(1, count), 1) for name, seconds in cpu.items()
        },
        "tasks": len(attempts),
        "tasks_retried": sum(1 for n in attempts if n > 1),
        "left_pending": {
            "changes_not_in_google": watcher.outstanding(),
            "workers_marked_pending": scenario.pending_workers(config),
            "tasks_queued": queued,
            "settled": settled,
            "bookings_not_matching_their_last_change": mismatched,
        },
    }
