"""What every workload starts from: a company that pushes and imports, its workers, their
Google accounts connected through the stand-in's consent page, and the booking bodies the
platform sends."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from bench.stack import LocalStack
from tests.helpers import wait_until

COMPANY = "c1"
STATUS = {
    "name": "Confirmed",
    "color": "#51b749",
    "push_to_google": True,
    "delete_from_google": True,
}


def admin(config) -> dict:
    from dev.tokens import platform_token

    return {"Authorization": f"Bearer {platform_token(config, 'admin', COMPANY)}"}


def service(config, path: str) -> dict:
    from dev.tokens import service_token

    return {"Authorization": f"Bearer {service_token(config, path)}"}


def email_of(worker_id: str) -> str:
    """The worker's Google account: one per worker and Firestore project, so that runs in
    the same stand-in never share calendars."""
    project = os.environ.get("GOOGLE_CLOUD_PROJECT", "bench")
    return f"{worker_id}.{project.rsplit('-', 1)[-1]}@example.com"


def booking(version: int, worker_id: str, start: datetime, suburb: str) -> dict:
    """A booking as the platform sends it; `suburb` shows in the event's description."""
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


def timed_event(summary: str, start: datetime, minutes: int = 60, **fields) -> dict:
    """A Google event as the account holder makes it."""
    return {
        "summary": summary,
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + timedelta(minutes=minutes)).isoformat()},
        **fields,
    }


def populate(stack: LocalStack, email: str, calendar_id: str, count: int) -> list[str]:
    """`count` events in the account's calendar, through the stand-in's own API (the account
    holder's hook, no HTTP): hour-long jobs every 50 minutes from 20 days ago, all inside
    the import window; every 10th is marked free (not busy time). Returns their ids."""
    first = datetime.now(UTC).replace(microsecond=0, second=0, minute=0) - timedelta(days=20)
    ids = []
    for n in range(count):
        extra = {"transparency": "transparent"} if n % 10 == 9 else {}
        body = timed_event(f"Job {n}", first + timedelta(minutes=50 * n), **extra)
        ids.append(stack.google.insert_event(email, calendar_id, body)["id"])
    return ids


def company(stack: LocalStack, config, name: str = "Bench Plumbing") -> dict:
    """The company with the integration on (push and import) and a status that pushes and
    deletes; returns the admin's headers."""
    headers = admin(config)
    http = stack.http
    http.put(
        f"{stack.url}/settings",
        headers=headers,
        json={"company_name": name, "enabled": True},
        timeout=60,
    ).raise_for_status()
    http.put(
        f"{stack.url}/booking-statuses/confirmed", headers=headers, json=STATUS, timeout=60
    ).raise_for_status()
    return headers


def add_workers(stack: LocalStack, config, worker_ids: list[str], threads: int = 8) -> None:
    headers = admin(config)

    def put(worker_id: str) -> None:
        stack.http.put(
            f"{stack.url}/workers/{worker_id}",
            headers=headers,
            json={
                "name": worker_id.upper(),
                "email": email_of(worker_id),
                "active": True,
                "timezone": "Europe/Oslo",
            },
            timeout=60,
        ).raise_for_status()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(put, worker_ids))


def connect_all(
    stack: LocalStack, config, worker_ids: list[str], threads: int = 8, timeout: float = 300
) -> dict[str, dict]:
    """Each worker consents as its own Google account (`email_of`); waits for every
    first sync. Returns each worker's connection as the API shows it."""
    from dev.connect import connect

    def one(worker_id: str) -> None:
        outcome = connect(config, worker_id, email_of(worker_id))
        if not outcome.connected:
            raise RuntimeError(f"{worker_id} did not connect: {outcome.describe()}")

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, worker_ids))
    return {w: first_synced(stack, config, w, timeout) for w in worker_ids}


def connection(stack: LocalStack, config, worker_id: str) -> dict:
    answer = stack.http.get(
        f"{stack.url}/workers/{worker_id}/connection", headers=admin(config), timeout=60
    )
    answer.raise_for_status()
    return answer.json()


def first_synced(stack: LocalStack, config, worker_id: str, timeout: float = 300) -> dict:
    return wait_until(
        lambda: (c := connection(stack, config, worker_id)).get("first_sync", {}).get("done") and c,
        timeout=timeout,
        interval=0.05,
        what=f"{worker_id}'s first sync",
    )


def put_bookings(stack: LocalStack, config, bodies: dict[str, dict], chunk: int = 500) -> None:
    """Bookings (id → body) through `POST /bookings:batch`, `chunk` at a time."""
    items = [{"id": booking_id, **body} for booking_id, body in bodies.items()]
    for start in range(0, len(items), chunk):
        stack.http.post(
            f"{stack.url}/bookings:batch",
            headers=admin(config),
            json={"bookings": items[start : start + chunk]},
            timeout=300,
        ).raise_for_status()


def store(config):
    from shared.store.firestore import Store

    return Store.for_config(config)


def worker_sub(config, worker_id: str) -> str:
    from shared.store import records

    worker = records.worker(store(config), COMPANY, worker_id)
    assert worker is not None and worker.connection.google_sub
    return worker.connection.google_sub


def calendar_calls(stack: LocalStack) -> dict[str, int]:
    """Calendar API calls by method (each batch part counted), batch requests as `batch`."""
    return {
        method: count
        for method, count in sorted(stack.google.call_counts().items())
        if method.startswith("calendar.") or method == "batch"
    }


def total_calls(calls: dict[str, int]) -> int:
    """Calls against the quota: every Calendar method call (a batch request itself is not
    one; its parts are)."""
    return sum(n for method, n in calls.items() if method != "batch")


def pending_workers(config) -> int:
    """Workers still carrying a sync or push marker."""
    markers = ("sync_pending_since", "push_pending_since")
    return sum(
        1
        for w in store(config).workers(COMPANY).stream()
        if any((w.to_dict() or {}).get(m) for m in markers)
    )


def sync_queue(config, paused: bool) -> None:
    """Pause or resume the project's sync queue."""
    from shared.queue.tasks import tasks_client

    client = tasks_client(config)
    name = config.queue_path(config.sync_queue)
    if paused:
        client.pause_queue(name=name)
    else:
        client.resume_queue(name=name)


class Clock:
    """Seconds since it was made, and a deadline helper."""

    def __init__(self) -> None:
        self.began = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.began
