"""Inviting a fieldworker to connect their Google Calendar.

The "Sync calendar" link carries a signed, expiring invite for one worker of
one company; `/connect` turns it into Google's consent screen. Emails are sent
by tasks (never on the request path) and are idempotent per invitation round.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared import mail, signing, tasks
from shared.config import Config
from shared.errors import NotFound, Unprocessable
from shared.store import Store

INVITE_LIFETIME = timedelta(days=14)
# States from which an invitation moves a worker to `invited`.
_INVITABLE = (None, "not_connected", "invited", "disconnected")


class InviteError(Exception):
    """An invite link that cannot be used; `reason` goes back to the platform."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def invite_token(config: Config, company_id: str, worker_id: str) -> str:
    claims = {"company_id": company_id, "worker_id": worker_id}
    return signing.sign(config, "invite", claims, INVITE_LIFETIME)


def read_invite(config: Config, token: str) -> tuple[str, str]:
    """(company_id, worker_id) of a valid invite, or InviteError."""
    try:
        claims = signing.verify(config, "invite", token)
    except signing.Expired:
        raise InviteError("expired_invite") from None
    except signing.Invalid:
        raise InviteError("invalid_invite") from None
    return claims["company_id"], claims["worker_id"]


def connect_url(config: Config, company_id: str, worker_id: str) -> str:
    query = urlencode({"invite": invite_token(config, company_id, worker_id)})
    return f"{config.public_base_url.rstrip('/')}/connect?{query}"


def _worker(store: Store, company_id: str, worker_id: str) -> dict:
    snapshot = store.worker(company_id, worker_id).get()
    if not snapshot.exists:
        raise NotFound(f"no worker {worker_id}", field="worker_id")
    return snapshot.to_dict()


def _mark_invited(store: Store, company_id: str, worker_id: str) -> None:
    def mark(worker: dict | None) -> dict | None:
        state = ((worker or {}).get("connection") or {}).get("state")
        if worker is None or state == "invited" or state not in _INVITABLE:
            return None
        return {"connection.state": "invited"}

    store.modify(store.worker(company_id, worker_id), mark)


def authorization_url(config: Config, store: Store, company_id: str, worker_id: str) -> str:
    """The "Sync calendar" link for one worker."""
    _worker(store, company_id, worker_id)
    _company_enabled(store, company_id)
    _mark_invited(store, company_id, worker_id)
    return connect_url(config, company_id, worker_id)


def _company_enabled(store: Store, company_id: str) -> dict:
    snapshot = store.company(company_id).get()
    company = snapshot.to_dict() if snapshot.exists else {}
    if not company.get("enabled"):
        raise Unprocessable(
            "the Google Calendar integration is not enabled for this company",
            code="integration_disabled",
        )
    return company


# -- the email --------------------------------------------------------------


def compose(company: dict, worker: dict, link: str) -> dict:
    """The invitation as the admin's email form shows it: to, subject, body."""
    company_name = company.get("company_name") or "Your company"
    body = (
        f"Hi {worker['name']},\n\n"
        f"{company_name} would like to show your bookings in your Google Calendar and keep "
        "your availability up to date.\n\n"
        "When you connect, you allow us to:\n"
        "- see the list of your calendars,\n"
        f'- create one calendar named "{company_name}" and fully manage it: your bookings '
        "appear there,\n"
        "- read the events of your calendars, so that times you are busy are not booked.\n\n"
        f"Connect your Google Calendar: {link}\n\n"
        "You can disconnect at any time from the platform.\n"
    )
    return {
        "to": worker["email"],
        "subject": f"{company_name}: connect your Google Calendar",
        "body": body,
    }


def preview(config: Config, store: Store, company_id: str, worker_id: str) -> dict:
    worker = _worker(store, company_id, worker_id)
    company = _company_enabled(store, company_id)
    return compose(company, worker, connect_url(config, company_id, worker_id))


def request_email(
    config: Config,
    store: Store,
    company_id: str,
    worker_id: str,
    subject: str | None = None,
    body: str | None = None,
) -> str:
    """Queue one invitation email (the admin's "send"); returns the address it goes to."""
    worker = _worker(store, company_id, worker_id)
    _company_enabled(store, company_id)
    _mark_invited(store, company_id, worker_id)
    payload = {"kind": "invitation_email", "company_id": company_id, "worker_id": worker_id}
    if subject is not None:
        payload["subject"] = subject
    if body is not None:
        payload["body"] = body
    tasks.enqueue(config, payload, queue=config.mail_queue)
    return worker["email"]


def mark_round(
    store: Store,
    transaction: firestore.Transaction,
    company_id: str,
    round_id: str,
    now: datetime,
    skip: Callable[[dict], bool] = lambda worker: False,
) -> list[str]:
    """Within the settings transaction: mark every active, unconnected worker as invited in
    this round (except those `skip` names); returns their ids."""
    query = store.workers(company_id).where(filter=FieldFilter("active", "==", True))
    invited = []
    for snapshot in transaction.get(query):
        record = snapshot.to_dict()
        if (record.get("connection") or {}).get("state") not in _INVITABLE or skip(record):
            continue
        transaction.update(
            snapshot.reference,
            {"connection.state": "invited", "invitation": {"round": round_id, "queued_at": now}},
        )
        invited.append(snapshot.id)
    return invited


def queue_email(config: Config, company_id: str, worker_id: str, round_id: str) -> None:
    # Named per round and worker: a retried settings save cannot queue the same email twice.
    name = hashlib.sha256(f"{company_id}/{worker_id}/{round_id}".encode()).hexdigest()[:40]
    payload = {
        "kind": "invitation_email",
        "company_id": company_id,
        "worker_id": worker_id,
        "round": round_id,
    }
    tasks.enqueue(config, payload, queue=config.mail_queue, name=f"invite-{name}")


def send_invitation(
    config: Config,
    store: Store,
    company_id: str,
    worker_id: str,
    round_id: str | None = None,
    subject: str | None = None,
    body: str | None = None,
) -> bool:
    """The mail task. Returns False when the email is no longer wanted."""
    ref = store.worker(company_id, worker_id)
    snapshot = ref.get()
    company_snapshot = store.company(company_id).get()
    if not snapshot.exists or not company_snapshot.exists:
        return False
    worker, company = snapshot.to_dict(), company_snapshot.to_dict()
    invitation = worker.get("invitation") or {}
    if round_id is not None:
        # A round email is moot once the worker connected, left, or got it already.
        state = (worker.get("connection") or {}).get("state")
        if state not in _INVITABLE or not worker.get("active", True):
            return False
        if invitation.get("round") == round_id and invitation.get("sent_at"):
            return False
    link = connect_url(config, company_id, worker_id)
    message = compose(company, worker, link)
    subject = subject or message["subject"]
    text = body or message["body"]
    if "/connect?invite=" not in text:
        text = f"{text.rstrip()}\n\nConnect your Google Calendar: {link}\n"
    mail.send(config, message["to"], subject, text, _html(text, link))
    sent = {"invitation.sent_at": datetime.now(UTC)}
    if round_id is not None:
        sent["invitation.round"] = round_id
    ref.update(sent)
    return True


def _html(text: str, link: str) -> str:
    paragraphs = "".join(
        f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>" for part in text.split("\n\n")
    )
    button = (
        f'<p><a href="{html.escape(link)}" style="background:#1a73e8;color:#fff;'
        'padding:10px 16px;border-radius:4px;text-decoration:none">Connect Google Calendar</a></p>'
    )
    style = "font-family:sans-serif;max-width:40rem"
    return f"<!doctype html><html><body style='{style}'>{paragraphs}{button}</body></html>"
