"""How long enabling the integration takes for a roster, and how long until everyone has the email.

    python -m bench.settings_fanout [--workers 500] [--runs 5]      (make bench)

Starts its own local stack on free ports (Firestore emulator, Cloud Tasks emulator, SMTP
sink, Google stand-in, every function in-process, as the tests do). After one uncounted
warm-up run with a small roster, each run takes a fresh Firestore project: it saves
`--workers` workers through `PUT /workers`, waits until their sync looks are done, then
sends `PUT /settings {"enabled": true}` and measures

- the server's time for that `PUT /settings` (inside the WSGI app, without the client),
- the time from the request until every invitation email task is queued (the enqueues are
  counted in-process, around `shared.queue.tasks.enqueue`),
- the time from the request until every email is in the SMTP sink.

Prints a table (median and max over the runs) and writes `settings_fanout.json` beside this
file.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.stack import local_stack, summary
from tests.helpers import wait_until

OUTPUT = Path(__file__).with_name("settings_fanout.json")
WARMUP_WORKERS = 20


class _Enqueues:
    """Counts invitation emails queued, by wrapping the queue adapter of this process."""

    def __init__(self) -> None:
        from shared.queue import tasks

        self.lock = threading.Lock()
        self.stamps: list[float] = []
        original = tasks.enqueue

        def counted(config, payload: dict, **kwargs) -> bool:
            created = original(config, payload, **kwargs)
            if created and payload.get("kind") == "invitation_email":
                with self.lock:
                    self.stamps.append(time.perf_counter())
            return created

        tasks.enqueue = counted

    def reset(self) -> None:
        with self.lock:
            self.stamps.clear()

    def count(self) -> int:
        with self.lock:
            return len(self.stamps)

    def last(self) -> float:
        with self.lock:
            return max(self.stamps)


def _summary(values: list[float]) -> dict:
    return {**summary(values), "runs": [round(value, 1) for value in values]}


def _drained(config, queue: str) -> bool:
    """No task left in the queue (the emulator drops a task once it succeeded)."""
    from shared.queue.tasks import tasks_client

    return not list(tasks_client(config).list_tasks(parent=config.queue_path(queue)))


def _one_run(config, workers: int, http, url: str, timed, enqueues, sink) -> dict:
    """One fresh project: the roster, then the enabling save; returns the measurements."""
    from dev import tokens

    headers = {"Authorization": f"Bearer {tokens.platform_token(config, 'admin', 'c1')}"}

    def put_worker(index: int) -> None:
        body = {
            "name": f"Worker {index}",
            "email": f"w{index:05d}@example.com",
            "active": True,
            "timezone": "Europe/London",
        }
        answer = http.put(f"{url}/workers/w{index:05d}", json=body, headers=headers, timeout=60)
        answer.raise_for_status()

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put_worker, range(workers)))
    wait_until(lambda: _drained(config, config.sync_queue), 300, what="the roster's sync looks")
    enqueues.reset()
    started = time.perf_counter()
    body = {"company_name": "Acme", "enabled": True}
    answer = http.put(f"{url}/settings", json=body, headers=headers, timeout=120)
    answer.raise_for_status()
    # The server records the time once the body is out, a moment after the client has it.
    wait_until(lambda: timed.last("PUT", "/settings") is not None, 10, what="the server's time")
    server_ms = timed.last("PUT", "/settings")
    wait_until(lambda: enqueues.count() >= workers, 300, what="every email to be queued")
    queued_ms = (enqueues.last() - started) * 1000
    wait_until(lambda: len(sink.mailbox.messages()) >= workers, 600, what="every email")
    delivered_ms = (time.perf_counter() - started) * 1000
    recipients = {message.recipients[0] for message in sink.mailbox.messages()}
    if len(recipients) != workers:
        raise SystemExit(f"{len(recipients)} of {workers} workers emailed")
    wait_until(lambda: _drained(config, config.mail_queue), 60, what="the mail queue")
    return {
        "put_settings_ms": server_ms,
        "queued_ms": queued_ms,
        "delivered_ms": delivered_ms,
        "answered": answer.json()["authorization_emails_queued"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    enqueues = _Enqueues()
    results: dict[str, list[float]] = {"put_settings_ms": [], "queued_ms": [], "delivered_ms": []}
    answered: list[int] = []
    warmup: dict = {}
    with local_stack(http_pool=16) as stack:
        print(
            f"settings fan-out: {args.workers} workers, {args.runs} runs, Firestore "
            f"{stack.firestore_mode}, Python {platform.python_version()}",
            flush=True,
        )
        # Run 0 warms up (a small roster, not counted): the emulators' JVM and this process
        # pay one-time costs on their first requests of each kind.
        for run in range(args.runs + 1):
            config = stack.new_project()
            stack.mail.mailbox.clear()
            workers = args.workers if run else min(WARMUP_WORKERS, args.workers)
            measured = _one_run(
                config, workers, stack.http, stack.url, stack.timed, enqueues, stack.mail
            )
            if run == 0:
                warmup = measured
                print(
                    f"  warm-up ({workers} workers): PUT /settings "
                    f"{measured['put_settings_ms']:.1f} ms (not counted)",
                    flush=True,
                )
                continue
            for key, value in measured.items():
                if key in results:
                    results[key].append(value)
            answered.append(measured["answered"])
            print(
                f"  run {run}: PUT /settings {measured['put_settings_ms']:7.1f} ms, "
                f"all queued {measured['queued_ms']:8.1f} ms, "
                f"all delivered {measured['delivered_ms']:8.1f} ms "
                f"(authorization_emails_queued {measured['answered']})",
                flush=True,
            )

    summary = {key: _summary(values) for key, values in results.items()}
    labels = {
        "put_settings_ms": "PUT /settings (server)",
        "queued_ms": f"all {args.workers} emails queued",
        "delivered_ms": f"all {args.workers} emails delivered",
    }
    print(f"\n{'':32}{'median ms':>12}{'max ms':>12}")
    for key, label in labels.items():
        print(f"{label:32}{summary[key]['median']:>12.1f}{summary[key]['max']:>12.1f}")
    report = {
        "benchmark": "settings_fanout",
        "workers": args.workers,
        "runs": args.runs,
        "firestore": stack.firestore_mode,
        "python": platform.python_version(),
        "authorization_emails_queued": answered,
        **summary,
        "warmup": {
            "workers": min(WARMUP_WORKERS, args.workers),
            "put_settings_ms": round(warmup["put_settings_ms"], 1),
        },
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {args.output.name}", file=sys.stderr)


if __name__ == "__main__":
    main()
