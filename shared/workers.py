"""The roster: fieldworkers as the platform describes them.

A roster change marks the worker as needing a sync look in the same transaction
(the outbox), then asks the queue for that look; if the enqueue is lost, the
sweeper finds the marker.
"""

from __future__ import annotations

from datetime import UTC, datetime

from google.cloud import firestore

from shared import tasks
from shared.config import Config
from shared.models import WorkerIn
from shared.store import Store


def put_worker(config: Config, store: Store, company_id: str, worker_id: str, worker: WorkerIn):
    ref = store.worker(company_id, worker_id)
    now = datetime.now(UTC)

    def write(transaction: firestore.Transaction) -> dict:
        snapshot = ref.get(transaction=transaction)
        existing = snapshot.to_dict() if snapshot.exists else {}
        record = {
            **existing,
            **worker.model_dump(),
            "updated_at": now,
            "sync_pending_since": now,  # newer than any marker an in-flight sync saw
        }
        transaction.set(ref, record)
        return record

    record = store.transact(write)
    request_worker_sync(config, company_id, worker_id)
    return record


def request_worker_sync(config: Config, company_id: str, worker_id: str) -> None:
    tasks.enqueue(config, {"kind": "worker", "company_id": company_id, "worker_id": worker_id})


def worker_view(worker_id: str, record: dict) -> dict:
    return {
        "worker_id": worker_id,
        "name": record["name"],
        "email": record["email"],
        "active": record["active"],
        "timezone": record["timezone"],
    }
