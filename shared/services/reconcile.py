"""The daily drift repair (`/cron/reconcile`): pushed events edited or deleted in Google do
not change bookings, so once a day every company calendar is compared with the desired
state and put right (missing, changed or extra events of ours).

The cron only asks: each Google account in use by a company that pushes gets a
`reconcile_requested_at`, its workers a pending marker, and a sync. The sync does the
work under the account's lease (`sync/run.py`, `plan.drift`), and records what it
repaired in the account's `last_reconcile`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from shared.config import Config
from shared.domain.company import Company
from shared.queue import messages
from shared.store.firestore import Store


def request_reconcile(config: Config, store: Store) -> int:
    """Ask every account in use by a pushing company for a drift repair; returns how many."""
    now = datetime.now(UTC)
    asked = 0
    for snapshot in store.client.collection("companies").stream():
        if not Company.from_record(snapshot.id, snapshot.to_dict()).pushes:
            continue
        for account in store.accounts(snapshot.id).stream():
            worker_ids = (account.to_dict() or {}).get("worker_ids") or []
            if not worker_ids:
                continue  # nobody of the company is on it any more
            # The request and the workers' pending markers commit together: should the
            # task be lost, the sweeper finds the markers and the sync sees the request.
            batch = store.client.batch()
            batch.update(account.reference, {"reconcile_requested_at": now})
            for worker_id in worker_ids:
                batch.update(store.worker(snapshot.id, worker_id), {"sync_pending_since": now})
            batch.commit()
            messages.request_account_sync(config, snapshot.id, account.id)
            asked += 1
    return asked
