"""Telling the company's admin that something needs a person (a worker must reconnect)."""

from __future__ import annotations

import html
import logging

from shared import mail
from shared.config import Config
from shared.store import Store

log = logging.getLogger(__name__)


def send_reauth_alert(config: Config, store: Store, company_id: str, sub: str) -> bool:
    """The alert task: one email per lost grant (the account marks when it was queued)."""
    company = store.company(company_id).get().to_dict() or {}
    account = store.accounts(company_id).document(sub).get().to_dict() or {}
    to = company.get("admin_email")
    if not to:
        log.warning("company %s has no admin_email; reauthorization alert not sent", company_id)
        return False
    if account.get("state") != "needs_reauth":
        return False  # reconnected before the alert went out
    names = []
    for worker_id in account.get("worker_ids", []):
        worker = store.worker(company_id, worker_id).get().to_dict() or {}
        names.append(worker.get("name") or worker_id)
    who = ", ".join(names) or "a worker"
    text = (
        f"Google no longer accepts the calendar permission of {account.get('email')} "
        f"(used by {who}).\n\n"
        "Their bookings are kept and will be sent to Google as soon as they connect again. "
        'Ask them to click "Sync calendar" again, or send them a new invitation from the '
        "calendar settings.\n"
    )
    subject = f"Google Calendar: {who} needs to reconnect"
    mail.send(config, to, subject, text, f"<p>{html.escape(text)}</p>")
    return True
