"""The roster: fieldworkers as the platform describes them.

A roster change marks the worker as needing a sync look in the same transaction
(the outbox), then asks the queue for that look; if the enqueue is lost, the
sweeper finds the marker.
"""

from __future__ import annotations

from datetime import UTC, datetime

from shared import tasks
from shared.config import Config
from shared.models import WorkerIn
from shared.store import Store


def put_worker(
    config: Config, store: Store, company_id: str, worker_id: str, worker: WorkerIn
) -> None:
    now = datetime.now(UTC)

    def write(existing: dict | None) -> dict:
        # The pending marker is always new, so an in-flight sync cannot clear this change.
        return {**worker.model_dump(), "updated_at": now, "sync_pending_since": now}

    store.modify(store.worker(company_id, worker_id), write)
    request_worker_sync(config, company_id, worker_id)


def request_worker_sync(config: Config, company_id: str, worker_id: str) -> None:
    tasks.enqueue(config, {"kind": "worker", "company_id": company_id, "worker_id": worker_id})


def worker_view(worker_id: str, worker: WorkerIn) -> dict:
    return {"worker_id": worker_id, **worker.model_dump()}
