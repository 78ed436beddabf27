"""The roster: fieldworkers as the platform describes them.

A roster change marks the worker as needing a sync look in the same write (the
outbox), then asks the queue for that look; if the enqueue is lost, the sweeper
finds the marker.

Every roster write also keeps the fields an invitation round counts without reading
the roster (`invitation_rounds.expected_invitations`): `email_domain`, and a
`connection.state` from the worker's creation on.
"""

from __future__ import annotations

from datetime import UTC, datetime

from shared.config import Config
from shared.domain.connection import ConnectionState
from shared.inputs import WorkerIn
from shared.queue import messages
from shared.store import records
from shared.store.firestore import Store
from shared.sync import busy_import


def email_domain(email: str) -> str:
    """The part of the address after its @, lowercased: what domain-wide delegation and the
    round's count match a Workspace domain against."""
    return email.rpartition("@")[2].lower()


def put_worker(
    config: Config, store: Store, company_id: str, worker_id: str, worker: WorkerIn
) -> dict:
    """Save the roster entry (its connection and invitation are kept); returns its view."""
    now = datetime.now(UTC)
    fields = worker.model_dump()

    def write(existing: dict | None) -> dict:
        # The pending marker is always new, so an in-flight sync cannot clear this change.
        record = {
            **fields,
            "email_domain": email_domain(fields["email"]),
            "updated_at": now,
            "sync_pending_since": now,
        }
        not_connected = ConnectionState.NOT_CONNECTED.value
        if existing is None:
            # A new worker: its state stated, so a round can count who is (not) linked, and
            # dated, so a round started before it joined leaves it out.
            record["connection"] = {"state": not_connected}
            record["created_at"] = now
        elif not (existing.get("connection") or {}).get("state"):
            record["connection.state"] = not_connected  # saved before states were stated
        return record

    store.modify(store.worker(company_id, worker_id), write)
    messages.request_sync(config, company_id, worker_id)
    return {"worker_id": worker_id, **fields}


# Workers read per query when the whole roster needs a look.
_PAGE = 300


def look_at_roster(config: Config, store: Store, company_id: str) -> str:
    """The RosterLook task: every worker is marked pending (the outbox), page by page, then
    one sync is asked for per linked Google account and one look per other worker (whom
    domain-wide delegation may connect)."""
    company = records.company(store, company_id)
    accounts: set[str] = set()
    others = 0
    after = None
    while True:
        page = records.workers_page(store, company_id, after, _PAGE)
        if not page:
            break
        now = datetime.now(UTC)
        batch = store.client.batch()
        for worker in page:
            batch.update(store.worker(company_id, worker.id), {"sync_pending_since": now})
        batch.commit()
        for worker in page:
            if worker.connection.state.linked and worker.connection.google_sub:
                accounts.add(worker.connection.google_sub)
            elif company.delegates(worker):
                messages.request_sync(config, company_id, worker.id)
                others += 1
        after = page[-1].id
    for sub in sorted(accounts):
        messages.request_account_sync(config, company_id, sub)
        account = records.account(store, company_id, sub) if company.imports else None
        if account is not None:
            # Imports catch up from where they stopped (or start); the first one opens the
            # account's calendar-list channel if the company did not import before.
            busy_import.request_imports(config, store, company_id, account)
    return f"{len(accounts)} accounts, {others} workers to connect"
