"""Connections under load, as a growing company produces it (the concurrency issue's table).

    python -m bench.connections [--roster 500] [--own 200] [--shared 50 --accounts 5]

Starts its own local stack (bench/stack.py), then, each on a fresh Firestore project:

- roster: `--roster` `PUT /workers` from 16 threads: throughput, latency, errors;
- own accounts: `--own` workers, each with its own Google account, consent at once
  (`--threads` at a time, 32 by default): `/getAuthKey` server time, outcomes, time until
  every worker's first sync, Calendar calls per worker, task attempts;
- shared accounts: `--shared` workers on `--accounts` Google accounts consent at once:
  the same, plus how many consents were lost (not connected).

Prints the figures and writes `connections.json` beside this file.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.stack import LocalStack, local_stack, summary
from tests.helpers import wait_until

OUTPUT = Path(__file__).with_name("connections.json")


def _admin(config, company_id: str = "c1") -> dict:
    from dev.tokens import platform_token

    return {"Authorization": f"Bearer {platform_token(config, 'admin', company_id)}"}


def _put_worker(stack: LocalStack, config, worker_id: str, email: str) -> tuple[int, float]:
    started = time.perf_counter()
    response = stack.http.put(
        f"{stack.url}/workers/{worker_id}",
        headers=_admin(config),
        json={"name": worker_id, "email": email, "active": True, "timezone": "Europe/Oslo"},
        timeout=60,
    )
    return response.status_code, (time.perf_counter() - started) * 1000


def roster(stack: LocalStack, workers: int) -> dict:
    config = stack.new_project()
    started = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        answers = list(
            pool.map(
                lambda n: _put_worker(stack, config, f"w{n}", f"w{n}@example.com"),
                range(workers),
            )
        )
    elapsed = time.perf_counter() - started
    return {
        "workers": workers,
        "requests_per_s": round(workers / elapsed, 1),
        "latency_ms": summary([ms for _, ms in answers]),
        "errors": sum(1 for status, _ in answers if status != 200),
    }


def consenting(stack: LocalStack, accounts: dict[str, str], threads: int = 32) -> dict:
    """`accounts`: worker id -> Google account; the workers consent `threads` at a time."""
    from dev.connect import connect

    config = stack.new_project()
    stack.http.put(
        f"{stack.url}/settings",
        headers=_admin(config),
        json={"company_name": "Acme", "enabled": True},
        timeout=60,
    ).raise_for_status()
    for worker_id, email in accounts.items():
        _put_worker(stack, config, worker_id, email)
    wait_until(
        lambda: _all(stack, config, accounts, synced=False), 120, what="the roster's first looks"
    )
    stack.timed.clear()
    stack.google.reset_request_log()

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        outcomes = list(
            pool.map(lambda w: connect(config, w, accounts[w]).connected, list(accounts))
        )
    consented = time.perf_counter() - started
    wait_until(
        lambda: _all(stack, config, accounts, synced=True), 600, what="every worker's first sync"
    )
    all_synced = time.perf_counter() - started

    calls = stack.google.call_counts()
    calendar_calls = sum(n for method, n in calls.items() if method.startswith("calendar."))
    finished = stack.tasks.finished_tasks(f"projects/{config.project_id}/")
    attempts = [task.attempts for task in finished]
    return {
        "workers": len(accounts),
        "google_accounts": len(set(accounts.values())),
        "consenting_at_once": threads,
        "connected": sum(outcomes),
        "lost": len(outcomes) - sum(outcomes),
        "get_auth_key_ms": summary(stack.timed.of("GET", "/getAuthKey")),
        "all_consents_answered_s": round(consented, 2),
        "all_synced_s": round(all_synced, 2),
        "calendar_calls": calendar_calls,
        "calendar_calls_per_worker": round(calendar_calls / len(accounts), 2),
        "calendar_calls_by_method": {k: v for k, v in calls.items() if k.startswith("calendar.")},
        "tasks": len(attempts),
        "tasks_retried": sum(1 for n in attempts if n > 1),
        "extra_dispatches": sum(n - 1 for n in attempts),
        "most_attempts": max(attempts, default=0),
    }


def _all(stack: LocalStack, config, accounts: dict[str, str], synced: bool) -> bool:
    listing = stack.http.get(f"{stack.url}/connections", headers=_admin(config), timeout=60)
    states = {entry["worker_id"]: entry for entry in listing.json()["workers"]}
    if not synced:
        return set(accounts) <= set(states)
    return all(
        states.get(w, {}).get("state") == "connected" and states[w].get("last_synced_at")
        for w in accounts
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roster", type=int, default=500)
    parser.add_argument("--own", type=int, default=200)
    parser.add_argument("--shared", type=int, default=50)
    parser.add_argument("--accounts", type=int, default=5)
    parser.add_argument("--threads", type=int, default=32, help="consents at a time")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    with local_stack() as stack:
        print(f"connections: Firestore {stack.firestore_mode}, Python {platform.python_version()}")
        consenting(stack, {f"warm{n}": f"warm{n}@example.com" for n in range(5)})  # warm-up
        results = {"roster": roster(stack, args.roster)}
        print("roster", json.dumps(results["roster"]), flush=True)
        own = {f"own{n}": f"own{n}@example.com" for n in range(args.own)}
        results["own_accounts"] = consenting(stack, own, args.threads)
        print("own accounts", json.dumps(results["own_accounts"]), flush=True)
        shared = {f"team{n}": f"team{n % args.accounts}@example.com" for n in range(args.shared)}
        results["shared_accounts"] = consenting(stack, shared, args.threads)
        print("shared accounts", json.dumps(results["shared_accounts"]), flush=True)
    report = {
        "benchmark": "connections",
        "firestore": stack.firestore_mode,
        "python": platform.python_version(),
        **results,
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.output.name}")


if __name__ == "__main__":
    main()
