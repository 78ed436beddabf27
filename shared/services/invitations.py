"""Inviting a fieldworker to connect their Google Calendar.

The "Sync calendar" link carries a signed, expiring invite for one invitation of
one worker; `/connect` turns it into Google's consent screen. A worker has at
most one current invitation: issuing a new one voids the older ones, and a
connect or disconnect voids it, so the link in an old email moves nobody. Only
a link the worker asks for while signed in to the platform
(`POST /workers/{id}/authorization-url`) may move a connected worker to another
Google account, and it is short-lived. Emails are sent by tasks (never on the
request path) and are idempotent per invitation.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from google.cloud import firestore

from shared import mail
from shared.config import Config
from shared.domain import connection
from shared.domain.company import Company
from shared.domain.connection import ConnectionState
from shared.domain.worker import Worker
from shared.errors import Conflict, NotFound, Unprocessable
from shared.mail import templates
from shared.queue import messages
from shared.secrets import signing
from shared.store import records
from shared.store.firestore import Store

INVITE_LIFETIME = timedelta(days=14)
# A link that can move a connected worker to another account is for now, not for an inbox.
SWITCH_LIFETIME = timedelta(hours=1)


class InviteError(Exception):
    """An invite link that cannot be used; `reason` goes back to the platform."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Invite:
    company_id: str
    worker_id: str
    invitation_id: str


def read_invite(config: Config, token: str) -> Invite:
    """The invitation a valid, unexpired link names, or InviteError. Whether it is still
    the worker's current one is for the caller to check against the stored worker."""
    try:
        claims = signing.verify(config, "invite", token)
    except signing.Expired:
        raise InviteError("expired_invite") from None
    except signing.Invalid:
        raise InviteError("invalid_invite") from None
    ids = (claims.get("company_id"), claims.get("worker_id"), claims.get("iid"))
    if not all(isinstance(value, str) and value for value in ids):
        raise InviteError("invalid_invite")  # e.g. a link minted before invitations had ids
    return Invite(*ids)


def connect_url(
    config: Config,
    company_id: str,
    worker_id: str,
    invitation_id: str,
    lifetime: timedelta = INVITE_LIFETIME,
) -> str:
    claims = {"company_id": company_id, "worker_id": worker_id, "iid": invitation_id}
    token = signing.sign(config, "invite", claims, lifetime)
    return f"{_connect_base(config)}?{urlencode({'invite': token})}"


def _connect_base(config: Config) -> str:
    return f"{config.public_base_url.rstrip('/')}/connect"


def enabled_company(store: Store, company_id: str) -> Company:
    """The company, or the API's 422 if its integration is off."""
    company = records.company(store, company_id)
    if not company.enabled:
        raise Unprocessable(
            "the Google Calendar integration is not enabled for this company",
            code="integration_disabled",
        )
    return company


def _issue(store: Store, company_id: str, worker_id: str, *, emailed: bool) -> tuple[str, Worker]:
    """A new current invitation for the worker, voiding every earlier one; returns its id and
    the worker as it was. An emailed one is refused for a connected worker: an email can be
    forwarded, and must never be able to move a working connection."""
    invitation_id = secrets.token_urlsafe(12)
    now = datetime.now(UTC)

    def issue(worker: Worker | None) -> dict:
        if worker is None:
            raise NotFound(f"no worker {worker_id}", field="worker_id")
        state = worker.connection.state
        if emailed and state == ConnectionState.CONNECTED:
            raise Conflict(
                "the worker is connected; only the worker's own signed-in request can move the "
                "connection to another Google account",
                code="already_connected",
            )
        updates = {"invitation.current": invitation_id, "invitation.issued_at": now}
        if state.invitable and state != ConnectionState.INVITED:
            updates.update(connection.invited())
        return updates

    worker = records.modify_worker(store, company_id, worker_id, issue)
    assert worker is not None  # `issue` refused a missing worker
    return invitation_id, worker


def authorization_url(config: Config, store: Store, company_id: str, worker_id: str) -> str:
    """The "Sync calendar" link for one worker, asked for by the worker or an admin."""
    records.existing_worker(store, company_id, worker_id)
    enabled_company(store, company_id)
    invitation_id, worker = _issue(store, company_id, worker_id, emailed=False)
    lifetime = SWITCH_LIFETIME if worker.connection.state.linked else INVITE_LIFETIME
    return connect_url(config, company_id, worker_id, invitation_id, lifetime)


# -- the email --------------------------------------------------------------


def _email(config: Config, company: Company, worker: Worker, invitation_id: str):
    link = connect_url(config, company.id, worker.id, invitation_id)
    return templates.invitation(company.company_name, worker.name, worker.email, link), link


def preview(config: Config, store: Store, company_id: str, worker_id: str) -> dict:
    """The email form. Its link is a sample: sending issues the real invitation and puts
    its link in place of any link the (edited) text carries."""
    worker = records.existing_worker(store, company_id, worker_id)
    company = enabled_company(store, company_id)
    email, _ = _email(config, company, worker, "preview")
    return email.form()


def request_email(
    config: Config,
    store: Store,
    company_id: str,
    worker_id: str,
    subject: str | None = None,
    body: str | None = None,
) -> str:
    """Queue one invitation email (the admin's "send"); returns the address it goes to."""
    records.existing_worker(store, company_id, worker_id)
    enabled_company(store, company_id)
    invitation_id, worker = _issue(store, company_id, worker_id, emailed=True)
    messages.send(
        config,
        messages.InvitationEmail(
            company_id=company_id,
            worker_id=worker_id,
            invitation_id=invitation_id,
            subject=subject,
            body=body,
        ),
    )
    return worker.email


def queue_email(config: Config, company_id: str, worker_id: str, round_id: str) -> bool:
    """Queue the round's email to a worker the round marked (see invitation_rounds.py); False
    if it was queued before. Named per round and worker: a retried fan-out cannot queue the
    same email twice."""
    name = hashlib.sha256(f"{company_id}/{worker_id}/{round_id}".encode()).hexdigest()[:40]
    message = messages.InvitationEmail(
        company_id=company_id, worker_id=worker_id, invitation_id=round_id, round=round_id
    )
    return messages.send(config, message, name=f"invite-{name}")


def send_invitation(
    config: Config,
    store: Store,
    company_id: str,
    worker_id: str,
    invitation_id: str,
    round_id: str | None = None,
    subject: str | None = None,
    body: str | None = None,
) -> bool:
    """The mail task. Returns False when the email is no longer wanted: its invitation was
    used, replaced or voided, or this very email went out already (a redelivered task)."""
    worker = records.worker(store, company_id, worker_id)
    company_snapshot = store.company(company_id).get()
    if worker is None or not company_snapshot.exists:
        return False
    company = Company.from_record(company_id, company_snapshot.to_dict())
    invitation = worker.invitation
    if not invitation.is_current(invitation_id) or invitation.sent_id == invitation_id:
        return False
    if round_id is not None and not worker.active:
        return False  # left the roster since the round started
    message, link = _email(config, company, worker, invitation_id)
    text = _with_link(config, body or message.body, link)
    ref = store.worker(company_id, worker_id)
    try:
        mail.send(
            config,
            message.to,
            subject or message.subject,
            text,
            templates.invitation_html(text, link),
        )
    except mail.Undeliverable as exc:
        # Retrying cannot help: the admin sees why on the worker's connection instead.
        error = f"The invitation email could not be delivered ({exc.reason})."
        ref.update({"connection.error": error, "invitation.error": error})
        raise
    sent = {"invitation.sent_at": datetime.now(UTC), "invitation.sent_id": invitation_id}
    if invitation.error:
        # This address works now; clear the failure we recorded, and only ours.
        sent["invitation.error"] = firestore.DELETE_FIELD
        if worker.connection.error == invitation.error:
            sent["connection.error"] = None
    if round_id is not None:
        sent["invitation.round"] = round_id
    ref.update(sent)
    return True


def _with_link(config: Config, text: str, link: str) -> str:
    """The admin's text with this invitation's link in place of any connect link it carries
    (the preview's sample, or one pasted from elsewhere); added at the end if it has none."""
    # A token never ends with "." (a JWT's last part is its signature), so a full stop
    # right after a pasted link stays in the sentence.
    token = r"(?:[A-Za-z0-9._~%-]*[A-Za-z0-9_~%-])?"
    pattern = re.compile(re.escape(_connect_base(config)) + r"\?invite=" + token)
    if pattern.search(text):
        return pattern.sub(lambda _: link, text)
    return f"{text.rstrip()}\n\nConnect your Google Calendar: {link}\n"
