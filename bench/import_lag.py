"""Google changes reaching the platform: account-holder edit → busy block stored.

    python -m bench.import_lag [--changes 100] [--interval 0.2]

Starts its own local stack, connects one worker, waits for its calendar's first import
and push channel, then makes `--changes` changes in Google as the account holder (new
events and moves of them, `--interval` seconds apart). For each it measures the time
until the busy block in Firestore shows the change: the push notification, the import
task and the import itself. Also counts Calendar calls per change.

Prints the figures and writes `import_lag.json` beside this file.
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

OUTPUT = Path(__file__).with_name("import_lag.json")
EMAIL = "w0@example.com"


def _admin(config) -> dict:
    from dev.tokens import platform_token

    return {"Authorization": f"Bearer {platform_token(config, 'admin', 'c1')}"}


def _connected(stack: LocalStack, config):
    """w0 connected, its primary calendar imported and watched: the import state's ref."""
    from dev.connect import connect
    from shared.store.firestore import Store

    headers = _admin(config)
    stack.http.put(
        f"{stack.url}/settings",
        headers=headers,
        json={"company_name": "Bench Plumbing", "enabled": True},
        timeout=30,
    ).raise_for_status()
    stack.http.put(
        f"{stack.url}/workers/w0",
        headers=headers,
        json={"name": "W0", "email": EMAIL, "active": True, "timezone": "Europe/Oslo"},
        timeout=30,
    ).raise_for_status()
    connect(config, "w0", EMAIL)
    store = Store.for_config(config)
    imports = store.calendar_imports("c1")

    def watched():
        states = [s.to_dict() for s in imports.stream()]
        return states and all(s.get("channel") and not s.get("sync_lease") for s in states)

    wait_until(watched, timeout=60)
    return store


def run(stack: LocalStack, changes: int, interval: float, seed: int) -> dict:
    from shared.sync.busy_import import block_id

    config = stack.new_project()
    store = _connected(stack, config)
    sub = next(iter(store.accounts("c1").stream())).id
    rng = random.Random(seed)
    google = stack.google
    stack.google.reset_request_log()
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    created: list[str] = []
    lags = []
    for n in range(changes):
        start = base + timedelta(hours=rng.randrange(24 * 60))
        body = {
            "summary": f"Change {n}",
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
        }
        began = time.perf_counter()
        if created and rng.random() < 0.5:
            event_id = rng.choice(created)
            google.patch_event(EMAIL, "primary", event_id, body)
        else:
            event_id = google.insert_event(EMAIL, "primary", body)["id"]
            created.append(event_id)
        ref = store.busy_blocks("c1").document(block_id(sub, EMAIL, event_id))

        def arrived(ref=ref, start=start) -> bool:
            block = ref.get().to_dict()
            return bool(block) and block["start"] == start

        wait_until(arrived, timeout=30, interval=0.005)
        lags.append((time.perf_counter() - began) * 1000)
        time.sleep(interval)
    calls = {
        method: count
        for method, count in google.call_counts().items()
        if method.startswith("calendar.")
    }
    return {
        "changes": changes,
        "interval_s": interval,
        "google_change_to_busy_block_ms": summary(lags),
        "calendar_calls": calls,
        "list_calls_per_change": round(calls.get("calendar.events.list", 0) / changes, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with local_stack() as stack:
        result = run(stack, args.changes, args.interval, args.seed)
        result["firestore"] = stack.firestore_mode
    result["machine"] = {"python": platform.python_version()}
    print(json.dumps(result, indent=2))
    OUTPUT.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
