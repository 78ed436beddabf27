"""Firestore: where every piece of state lives, and the one way to change it atomically.

Layout (all under the company, so one company can never read another's data):
    companies/{company_id}                      settings
    companies/{company_id}/workers/{worker_id}  roster entry, its connection and sync markers
    companies/{company_id}/booking_statuses/{id} the push/delete flags per status
    companies/{company_id}/accounts/{sub}       a linked Google account (sealed refresh token)
    companies/{company_id}/oauth_states/{id}    single-use consent attempts (PKCE verifier)
    companies/{company_id}/busy_blocks/{id}     workers' Google events, imported as busy time
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from google.cloud import firestore

from shared.clients import db
from shared.config import Config

T = TypeVar("T")


class Store:
    def __init__(self, client: firestore.Client) -> None:
        self.client = client

    @classmethod
    def for_config(cls, config: Config) -> Store:
        return cls(db(config))

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

    def oauth_states(self, company_id: str) -> firestore.CollectionReference:
        return self.company(company_id).collection("oauth_states")

    def transact(self, work: Callable[[firestore.Transaction], T]) -> T:
        """Run `work(transaction)` atomically; Firestore retries it on contention,
        so `work` must only read and write through the transaction."""
        return firestore.transactional(work)(self.client.transaction())
