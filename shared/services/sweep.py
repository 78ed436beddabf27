"""The sweeper: re-asks for every sync look that has waited too long.

Mutations commit a pending marker before enqueueing; if that enqueue was lost
(or the task died after its retries) the marker stays, and this finds it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.cloud.firestore_v1.base_query import FieldFilter

from shared.config import Config
from shared.queue import messages
from shared.store.firestore import Store

STALE_AFTER = timedelta(minutes=2)


def sweep(config: Config, store: Store, stale_after: timedelta = STALE_AFTER) -> int:
    """Re-enqueue the look for every worker pending longer than `stale_after`; returns how many."""
    cutoff = datetime.now(UTC) - stale_after
    query = store.client.collection_group("workers").where(
        filter=FieldFilter("sync_pending_since", "<", cutoff)
    )
    count = 0
    for snapshot in query.stream():
        company_id = snapshot.reference.parent.parent.id
        messages.request_sync(config, company_id, snapshot.id)
        count += 1
    return count
