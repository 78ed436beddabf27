"""The sync task: what happens when a worker "needs a look".

Runs in /tasks/sync, possibly duplicated, late or concurrent with itself, so it
re-reads everything from Firestore and only clears the pending marker it saw.
"""

from __future__ import annotations

from datetime import UTC, datetime

from google.cloud import firestore

from shared.store import Store


def look_at_worker(store: Store, company_id: str, worker_id: str) -> bool:
    """Settle the worker's pending marker; False if the worker does not exist (nothing to do)."""
    ref = store.worker(company_id, worker_id)

    def settle(transaction: firestore.Transaction) -> bool:
        snapshot = ref.get(transaction=transaction)
        if not snapshot.exists:
            return False
        transaction.update(ref, {"sync_pending_since": None, "last_looked_at": datetime.now(UTC)})
        return True

    return store.transact(settle)
