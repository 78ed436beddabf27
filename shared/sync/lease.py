"""One sync at a time per Google account: a lease on the account document, with an expiry so
a run that crashed frees it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from shared.errors import RetryLater
from shared.store.firestore import Store

SYNC_LEASE = timedelta(minutes=5)


class Busy(RetryLater):
    """Another sync holds the account; Cloud Tasks retries this one after a backoff."""

    code = "busy"


class AccountLease:
    def __init__(self, store: Store, company_id: str, sub: str) -> None:
        self._ref = store.accounts(company_id).document(sub)
        self._store = store
        self._holder = uuid.uuid4().hex

    def __enter__(self) -> None:
        def take(account: dict | None) -> dict | None:
            now = datetime.now(UTC)
            lease = (account or {}).get("sync_lease")
            if lease and lease["until"] > now and lease["holder"] != self._holder:
                raise Busy("another sync holds the account")
            if account is None:
                return None  # nothing to guard; the sync will find the account gone
            return {"sync_lease": {"holder": self._holder, "until": now + SYNC_LEASE}}

        self._store.modify(self._ref, take)

    def __exit__(self, *exc: object) -> None:
        def release(account: dict | None) -> dict | None:
            lease = (account or {}).get("sync_lease")
            return {"sync_lease": None} if lease and lease["holder"] == self._holder else None

        self._store.modify(self._ref, release)
