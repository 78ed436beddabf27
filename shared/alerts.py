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
    try:
        mail.send(config, to, subject, text, f"<p>{html.escape(text)}</p>")
    except mail.Undeliverable as exc:
        # Retrying cannot help (the task logs it); GET /settings shows it until admin_email changes.
        error = f"The alert email to the admin address could not be delivered ({exc.reason})."
        store.company(company_id).update({"admin_email_error": error})
        raise
    if company.get("admin_email_error"):
        store.company(company_id).update({"admin_email_error": None})
    return True


def send_switch_alert(
    config: Config,
    store: Store,
    company_id: str,
    worker_id: str,
    previous_email: str,
    new_email: str,
) -> bool:
    """The switch task: the admin hears that a worker's bookings now go to another account,
    so a switch nobody asked for is noticed."""
    company = store.company(company_id).get().to_dict() or {}
    worker = store.worker(company_id, worker_id).get().to_dict() or {}
    to = company.get("admin_email")
    if not to:
        log.warning("company %s has no admin_email; account switch alert not sent", company_id)
        return False
    name = worker.get("name") or worker_id
    text = (
        f"{name}'s Google Calendar connection moved from {previous_email} to {new_email}.\n\n"
        "Their bookings now go to the new account's calendar. If nobody asked for this, "
        "disconnect the worker from the calendar settings and ask them to connect again.\n"
    )
    subject = f"Google Calendar: {name} switched Google account"
    mail.send(config, to, subject, text, f"<p>{html.escape(text)}</p>")
    return True
