"""Firestore: where every piece of state lives, and the one way to change it atomically.

Layout (all under the company, so one company can never read another's data):
    companies/{company_id}                      settings
    companies/{company_id}/workers/{worker_id}  roster entry, its connection, its current
                                                invitation and sync markers
    companies/{company_id}/booking_statuses/{id} the push/delete flags per status
    companies/{company_id}/accounts/{sub}       a linked Google account (calendars, its grant)
    companies/{company_id}/oauth_states/{id}    single-use consent attempts (TTL: expire_at)
    companies/{company_id}/busy_blocks/{id}     workers' Google events, imported as busy time
except what Google itself shares across companies:
    grants/{grant_id}                           one OAuth grant per client and Google account
                                                (sealed refresh token, companies using it);
                                                see services/grants.py. No endpoint reads it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from google.api_core.exceptions import Aborted, AlreadyExists, FailedPrecondition
from google.cloud import firestore
from tenacity import (
    retry,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from shared.config import Config

T = TypeVar("T")


@functools.cache
def _client(project_id: str) -> firestore.Client:
    # The library itself honours FIRESTORE_EMULATOR_HOST; one client per project and process.
    return firestore.Client(project=project_id)


def _contended(error: BaseException) -> bool:
    """Two transactions that read the same document and then both write can each wait
    for the other's lock; Firestore aborts one. Its own immediate retries can collide
    again, so we add jittered backoff on top."""
    return isinstance(error, Aborted) or (
        isinstance(error, ValueError) and isinstance(error.__cause__, Aborted)
    )


class _Raced(Exception):
    """The document changed between our read and our write."""


class Store:
    def __init__(self, client: firestore.Client) -> None:
        self.client = client

    @classmethod
    def for_config(cls, config: Config) -> Store:
        return cls(_client(config.project_id))

    def company(self, company_id: str) -> firestore.DocumentReference:
        return self.client.collection("companies").document(company_id)

    def worker(self, company_id: str, worker_id: str) -> firestore.DocumentReference:
        return self.company(company_id).collection("workers").document(worker_id)

    def workers(self, company_id: str) -> firestore.CollectionReference:
        return self.company(company_id).collection("workers")

    def booking_statuses(self, company_id: str) -> firestore.CollectionReference:
        return self.company(company_id).collection("booking_statuses")

    def accounts(self, company_id: str) -> firestore.CollectionReference:
        """Google accounts linked to the company's workers, keyed by Google's `sub`."""
        return self.company(company_id).collection("accounts")

    def busy_blocks(self, company_id: str) -> firestore.CollectionReference:
        """Workers' own Google events, imported as busy time."""
        return self.company(company_id).collection("busy_blocks")

    def grant(self, grant_id: str) -> firestore.DocumentReference:
        """An OAuth grant, shared across companies (see shared/domain/grant.py)."""
        return self.client.collection("grants").document(grant_id)

    def oauth_states(self, company_id: str) -> firestore.CollectionReference:
        """Consent attempts; a TTL policy on `expire_at` deletes the abandoned ones."""
        return self.company(company_id).collection("oauth_states")

    @retry(
        retry=retry_if_exception_type(_Raced),
        wait=wait_random_exponential(multiplier=0.02, max=1),
        stop=stop_after_attempt(10),
        reraise=True,
    )
    def modify(
        self,
        ref: firestore.DocumentReference,
        change: Callable[[dict | None], dict | None],
    ) -> dict | None:
        """Read-modify-write of one document without locks: `change(current)` returns the
        fields to update (a whole document if `current` is None), or None to write nothing.
        The write lands only if nobody wrote the document since we read it; otherwise we
        read again. Returns the document as it was read."""
        snapshot = ref.get()
        current = snapshot.to_dict() if snapshot.exists else None
        updates = change(current)
        if updates is None:
            return current
        try:
            if snapshot.exists:
                unchanged = self.client.write_option(last_update_time=snapshot.update_time)
                ref.update(updates, option=unchanged)
            else:
                ref.create(updates)
        except (FailedPrecondition, AlreadyExists):
            raise _Raced(ref.path) from None
        return current

    @retry(
        retry=retry_if_exception(_contended),
        wait=wait_random_exponential(multiplier=0.05, max=2),
        stop=stop_after_attempt(6),
        reraise=True,
    )
    def transact(self, work: Callable[[firestore.Transaction], T]) -> T:
        """Run `work(transaction)` atomically, for changes that span documents (use `modify`
        for one). It may run several times (Firestore retries conflicts), so `work` must
        only read and write through the transaction."""
        return firestore.transactional(work)(self.client.transaction(max_attempts=3))
