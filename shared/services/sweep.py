"""The sweeper: re-asks for every sync look that has waited too long.

Mutations commit a pending marker before enqueueing; if that enqueue was lost
(or the task died after its retries) the marker stays, and this finds it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.config import Config
from shared.queue import messages
from shared.store import records
from shared.store.firestore import Store

STALE_AFTER = timedelta(minutes=2)


def sweep(config: Config, store: Store, stale_after: timedelta = STALE_AFTER) -> int:
    """Re-enqueue the look for every worker pending longer than `stale_after`; returns how many."""
    cutoff = datetime.now(UTC) - stale_after
    pending = records.pending_since_before(store, cutoff)
    for company_id, worker_id in pending:
        messages.request_sync(config, company_id, worker_id)
    return len(pending)
