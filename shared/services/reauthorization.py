"""When Google refuses a grant: every worker of every company on that Google account must
reconnect, each company's admin is told once, and pending work waits for the reconnect
(the next link puts the waiting workers back to `connected`; see linking.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.cloud import firestore

from shared.config import Config
from shared.domain import connection
from shared.domain.connection import REAUTH_MESSAGE, ConnectionState
from shared.queue import messages
from shared.services import grants
from shared.store import records
from shared.store.firestore import Store


def grant_refused(config: Config, store: Store, gid: str, sub: str) -> None:
    """Google refused the grant (`invalid_grant`): every company using it learns that its
    workers on the account must reconnect."""
    for company_id in grants.refused(store, gid):
        account = records.account(store, company_id, sub)
        if account and account.grant_id == gid:
            mark_needs_reauth(config, store, company_id, sub)


def mark_needs_reauth(config: Config, store: Store, company_id: str, sub: str) -> None:
    """Every worker on the account must reconnect; the admin hears about it once."""
    ref = store.accounts(company_id).document(sub)
    now = datetime.now(UTC)

    def mark(transaction: firestore.Transaction) -> bool:
        account = records.account(store, company_id, sub, transaction)
        worker_ids = account.worker_ids if account else ()
        for worker_id in worker_ids:
            transaction.update(store.worker(company_id, worker_id), connection.needs_reauth())
        alert = not (account and account.reauth_alert_queued_at)
        update = {"state": ConnectionState.NEEDS_REAUTH.value, "error": REAUTH_MESSAGE}
        if alert:
            update["reauth_alert_queued_at"] = now
        transaction.update(ref, update)
        return alert

    if store.transact(mark):
        messages.send(config, messages.ReauthAlert(company_id=company_id, sub=sub))
