"""When Google refuses a grant: every worker of every company on that Google account must
reconnect, each company's admin is told once, and pending work waits for the reconnect
(the account's next grant puts the waiting workers back to `connected`; see
shared/sync/run.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from shared import logs
from shared.config import Config
from shared.domain import connection
from shared.domain.connection import REAUTH_MESSAGE, ConnectionState
from shared.queue import messages
from shared.services import grants
from shared.store import records
from shared.store.firestore import Store

log = logging.getLogger(__name__)


def grant_refused(config: Config, store: Store, gid: str, sub: str) -> None:
    """Google refused the grant (`invalid_grant`): every company using it learns that its
    workers on the account must reconnect."""
    for company_id in grants.refused(store, gid):
        account = records.account(store, company_id, sub)
        if account and account.grant_id == gid:
            mark_needs_reauth(config, store, company_id, sub)


def mark_needs_reauth(config: Config, store: Store, company_id: str, sub: str) -> None:
    """Every worker on the account must reconnect; the admin hears about it once."""
    now = datetime.now(UTC)
    alert = False

    def mark(account: dict | None) -> dict:
        nonlocal alert
        alert = not (account or {}).get("reauth_alert_queued_at")
        update = {"state": ConnectionState.NEEDS_REAUTH.value, "error": REAUTH_MESSAGE}
        if alert:
            update["reauth_alert_queued_at"] = now
        return update

    store.modify(store.accounts(company_id).document(sub), mark)
    batch = store.client.batch()
    members = records.account_members(store, company_id, sub)
    for worker in members:
        batch.update(store.worker(company_id, worker.id), connection.needs_reauth())
    batch.commit()
    for worker in members:
        with logs.labelled(company=company_id, worker=worker.id, account=sub):
            logs.event(log, "needs_reauth", logging.WARNING)
    if alert:
        messages.send(config, messages.ReauthAlert(company_id=company_id, sub=sub))
