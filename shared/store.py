"""Firestore: where every piece of state lives, and the one way to change it atomically.

Layout (all under the company, so one company can never read another's data):
    companies/{company_id}                      settings
    companies/{company_id}/workers/{worker_id}  roster entry and its sync markers
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

    def transact(self, work: Callable[[firestore.Transaction], T]) -> T:
        """Run `work(transaction)` atomically; Firestore retries it on contention,
        so `work` must only read and write through the transaction."""
        return firestore.transactional(work)(self.client.transaction())
