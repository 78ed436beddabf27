"""The roster: fieldworkers as the platform describes them.

A roster change marks the worker as needing a sync look in the same write (the
outbox), then asks the queue for that look; if the enqueue is lost, the sweeper
finds the marker.
"""

from __future__ import annotations

from datetime import UTC, datetime

from shared.config import Config
from shared.inputs import WorkerIn
from shared.queue import messages
from shared.store.firestore import Store


def put_worker(
    config: Config, store: Store, company_id: str, worker_id: str, worker: WorkerIn
) -> dict:
    """Save the roster entry (its connection and invitation are kept); returns its view."""
    now = datetime.now(UTC)

    def write(existing: dict | None) -> dict:
        # The pending marker is always new, so an in-flight sync cannot clear this change.
        return {**worker.model_dump(), "updated_at": now, "sync_pending_since": now}

    store.modify(store.worker(company_id, worker_id), write)
    messages.request_sync(config, company_id, worker_id)
    return {"worker_id": worker_id, **worker.model_dump()}
