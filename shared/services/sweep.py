"""The sweeper: re-asks for every sync look, and every invitation round, that has waited
too long.

Mutations commit a pending marker before enqueueing; if that enqueue was lost
(or the task died after its retries) the marker stays, and this finds it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from shared import logs
from shared.config import Config
from shared.queue import messages
from shared.services import invitation_rounds
from shared.store import records
from shared.store.firestore import Store

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=2)


def sweep(config: Config, store: Store, stale_after: timedelta = STALE_AFTER) -> int:
    """Re-enqueue the look for every worker, and the fan-out of every invitation round,
    pending longer than `stale_after`; returns how many."""
    now = datetime.now(UTC)
    oldest = records.oldest_pending(store)
    # The alert on work waiting too long (infra/monitoring.tf) reads this, every sweep.
    logs.event(
        log,
        "pending_work",
        oldest_age_seconds=round((now - oldest).total_seconds()) if oldest else 0,
    )
    cutoff = now - stale_after
    pending = records.pending_since_before(store, cutoff)
    for company_id, worker_id in pending:
        messages.request_sync(config, company_id, worker_id)
    rounds = invitation_rounds.pending_before(store, cutoff)
    for company_id, round_id in rounds:
        # Named per sweep minute: the round's first task name may still be taken.
        invitation_rounds.queue(config, company_id, round_id, f"-sweep-{now:%Y%m%d%H%M}")
    return len(pending) + len(rounds)
