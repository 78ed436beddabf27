"""One sync at a time per Google account, without pushing anyone into backoff.

The lease is short and renewed while the sync works, so a run that crashed (or whose
release failed) blocks the account for seconds, not minutes. A sync that finds the
account busy does not wait: it bumps the account's `dirty` counter and leaves; the
running sync releases only if the counter did not move since it last looked, and
otherwise goes round once more. So a burst of requests becomes one more pass of the
running sync, and nothing waits in Cloud Tasks' exponential backoff.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from shared.store.firestore import Store

log = logging.getLogger(__name__)

SYNC_LEASE = timedelta(seconds=30)


class Lease:
    """A short lease on one document (an account, an imported calendar)."""

    def __init__(self, store: Store, ref: firestore.DocumentReference) -> None:
        self._ref = ref
        self._store = store
        self._holder = uuid.uuid4().hex
        self.held = False
        self.busy_until: datetime | None = None  # when the other holder's lease runs out

    def take(self) -> bool:
        """Take (or renew) the lease; False if another live sync holds it."""
        now = datetime.now(UTC)

        def take(account: dict | None) -> dict | None:
            lease = (account or {}).get("sync_lease")
            if lease and lease["until"] > now and lease["holder"] != self._holder:
                self.busy_until = lease["until"]
                raise _Held()
            return {"sync_lease": {"holder": self._holder, "until": now + SYNC_LEASE}}

        try:
            self._store.modify(self._ref, take)
        except _Held:
            return False
        self.held = True
        return True

    renew = take

    def mark_dirty(self) -> None:
        """Tell the running sync to go round once more (an unconditional write: no retries)."""
        self._ref.set({"dirty": firestore.Increment(1)}, merge=True)

    def release_if_clean(self, seen_dirty: int) -> bool:
        """Release unless someone marked the account dirty since `seen_dirty` was read; then
        False: the caller goes round again (still holding the lease)."""
        released = False

        def release(account: dict | None) -> dict | None:
            nonlocal released
            account = account or {}
            if int(account.get("dirty", 0)) != seen_dirty:
                released = False
                return None
            released = True
            lease = account.get("sync_lease")
            return {"sync_lease": None} if lease and lease["holder"] == self._holder else None

        self._with_retries(lambda: self._store.modify(self._ref, release))
        self.held = not released
        return released

    def release(self) -> None:
        """Best effort: if this fails, the lease expires within SYNC_LEASE anyway."""
        if not self.held:
            return

        def release(account: dict | None) -> dict | None:
            lease = (account or {}).get("sync_lease")
            return {"sync_lease": None} if lease and lease["holder"] == self._holder else None

        try:
            self._with_retries(lambda: self._store.modify(self._ref, release))
        except Exception as exc:  # noqa: BLE001 - the lease expires by itself
            log.warning("lease release failed (%s); it expires in %s", exc, SYNC_LEASE)
        self.held = False

    @staticmethod
    @retry(
        retry=retry_if_exception_type(
            (google_exceptions.ServiceUnavailable, google_exceptions.DeadlineExceeded)
        ),
        wait=wait_random_exponential(multiplier=0.05, max=0.5),
        stop=stop_after_attempt(3),
        reraise=True,
    )
    def _with_retries(write):
        return write()


class AccountLease(Lease):
    """One sync at a time per Google account."""

    def __init__(self, store: Store, company_id: str, sub: str) -> None:
        super().__init__(store, store.accounts(company_id).document(sub))


class _Held(Exception):
    pass
