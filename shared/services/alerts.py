"""Telling the company's admin that something needs a person: a worker must reconnect, or
moved to another Google account. Each runs as a mail task."""

from __future__ import annotations

import logging

from shared import mail
from shared.config import Config
from shared.domain.connection import ConnectionState
from shared.mail import templates
from shared.store import records
from shared.store.firestore import Store

log = logging.getLogger(__name__)


def send_reauth_alert(config: Config, store: Store, company_id: str, sub: str) -> bool:
    """The alert task: one email per lost grant (the account marks when it was queued)."""
    company = records.company(store, company_id)
    account = records.account(store, company_id, sub)
    if not company.admin_email:
        log.warning("company %s has no admin_email; reauthorization alert not sent", company_id)
        return False
    if account is None or account.state != ConnectionState.NEEDS_REAUTH:
        return False  # reconnected before the alert went out
    names = [worker.display_name for worker in records.account_members(store, company_id, sub)]
    email = templates.reauth_alert(
        company.admin_email, account.email, ", ".join(names) or "a worker"
    )
    try:
        mail.send(config, email.to, email.subject, email.body, templates.as_html(email.body))
    except mail.Undeliverable as exc:
        # Retrying cannot help; GET /settings shows it until admin_email changes.
        error = f"The alert email to the admin address could not be delivered ({exc.reason})."
        store.company(company_id).update({"admin_email_error": error})
        raise
    if company.admin_email_error:
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
    company = records.company(store, company_id)
    if not company.admin_email:
        log.warning("company %s has no admin_email; account switch alert not sent", company_id)
        return False
    worker = records.worker(store, company_id, worker_id)
    name = worker.display_name if worker else worker_id
    email = templates.switch_alert(company.admin_email, name, previous_email, new_email)
    mail.send(config, email.to, email.subject, email.body, templates.as_html(email.body))
    return True
