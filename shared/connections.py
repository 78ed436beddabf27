"""A worker's link to a Google account, and what the platform shows about it."""

from __future__ import annotations

from shared.errors import NotFound
from shared.store import Store


def connection_status(store: Store, company_id: str, worker_id: str) -> dict:
    snapshot = store.worker(company_id, worker_id).get()
    if not snapshot.exists:
        raise NotFound(f"no worker {worker_id}", field="worker_id")
    connection = snapshot.to_dict().get("connection") or {}
    return {
        "state": connection.get("state", "not_connected"),
        "google_email": connection.get("google_email"),
        "scopes": connection.get("scopes", []),
        "company_calendar_id": connection.get("company_calendar_id"),
        "connected_at": connection.get("connected_at"),
        "last_synced_at": connection.get("last_synced_at"),
        "first_sync": connection.get("first_sync", {"done": False, "pushed": 0, "imported": 0}),
    }
