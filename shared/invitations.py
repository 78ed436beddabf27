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
import html
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared import mail, signing, tasks
from shared.config import Config
from shared.errors import Conflict, NotFound, Unprocessable
from shared.store import Store

INVITE_LIFETIME = timedelta(days=14)
# A link that can move a connected worker to another account is for now, not for an inbox.
SWITCH_LIFETIME = timedelta(hours=1)
# States from which an invitation moves a worker to `invited`.
_INVITABLE = (None, "not_connected", "invited", "disconnected")
# What a connect or disconnect writes on the worker: every outstanding invitation is void.
VOIDED = {"invitation.current": None}


class InvitationVoid(Exception):
    """The invitation behind a consent was used, replaced or voided meanwhile."""


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


def is_current(worker: dict, invitation_id: str) -> bool:
    """Whether `invitation_id` is the worker's one live invitation."""
    return bool(invitation_id) and (worker.get("invitation") or {}).get("current") == invitation_id


def use_up(store: Store, company_id: str, worker_id: str, invitation_id: str) -> None:
    """Consume the invitation a consent came from, or InvitationVoid. An optimistic write on
    the worker: of many consents racing on one link exactly one wins, and the others learn
    it at once instead of queueing on a transaction lock."""

    def consume(worker: dict | None) -> dict:
        if worker is None or not is_current(worker, invitation_id):
            raise InvitationVoid(worker_id)
        return {**VOIDED, "invitation.used_at": datetime.now(UTC)}

    store.modify(store.worker(company_id, worker_id), consume)


def invite_token(
    config: Config,
    company_id: str,
    worker_id: str,
    invitation_id: str,
    lifetime: timedelta = INVITE_LIFETIME,
) -> str:
    claims = {"company_id": company_id, "worker_id": worker_id, "iid": invitation_id}
    return signing.sign(config, "invite", claims, lifetime)


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
    token = invite_token(config, company_id, worker_id, invitation_id, lifetime)
    return f"{_connect_base(config)}?{urlencode({'invite': token})}"


def _connect_base(config: Config) -> str:
    return f"{config.public_base_url.rstrip('/')}/connect"


def _worker(store: Store, company_id: str, worker_id: str) -> dict:
    snapshot = store.worker(company_id, worker_id).get()
    if not snapshot.exists:
        raise NotFound(f"no worker {worker_id}", field="worker_id")
    return snapshot.to_dict()


def _issue(store: Store, company_id: str, worker_id: str, *, emailed: bool) -> tuple[str, dict]:
    """A new current invitation for the worker, voiding every earlier one; returns its id and
    the worker as it was. An emailed one is refused for a connected worker: an email can be
    forwarded, and must never be able to move a working connection."""
    invitation_id = secrets.token_urlsafe(12)
    now = datetime.now(UTC)

    def issue(worker: dict | None) -> dict:
        if worker is None:
            raise NotFound(f"no worker {worker_id}", field="worker_id")
        state = (worker.get("connection") or {}).get("state")
        if emailed and state == "connected":
            raise Conflict(
                "the worker is connected; only the worker's own signed-in request can move the "
                "connection to another Google account",
                code="already_connected",
            )
        updates = {"invitation.current": invitation_id, "invitation.issued_at": now}
        if state in _INVITABLE and state != "invited":
            updates["connection.state"] = "invited"
        return updates

    worker = store.modify(store.worker(company_id, worker_id), issue)
    return invitation_id, worker or {}


def authorization_url(config: Config, store: Store, company_id: str, worker_id: str) -> str:
    """The "Sync calendar" link for one worker, asked for by the worker or an admin."""
    _worker(store, company_id, worker_id)
    _company_enabled(store, company_id)
    invitation_id, worker = _issue(store, company_id, worker_id, emailed=False)
    linked = (worker.get("connection") or {}).get("state") in ("connected", "needs_reauth")
    lifetime = SWITCH_LIFETIME if linked else INVITE_LIFETIME
    return connect_url(config, company_id, worker_id, invitation_id, lifetime)


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
    """The email form. Its link is a sample: sending issues the real invitation and puts
    its link in place of any link the (edited) text carries."""
    worker = _worker(store, company_id, worker_id)
    company = _company_enabled(store, company_id)
    return compose(company, worker, connect_url(config, company_id, worker_id, "preview"))


def request_email(
    config: Config,
    store: Store,
    company_id: str,
    worker_id: str,
    subject: str | None = None,
    body: str | None = None,
) -> str:
    """Queue one invitation email (the admin's "send"); returns the address it goes to."""
    _worker(store, company_id, worker_id)
    _company_enabled(store, company_id)
    invitation_id, worker = _issue(store, company_id, worker_id, emailed=True)
    payload = {
        "kind": "invitation_email",
        "company_id": company_id,
        "worker_id": worker_id,
        "invitation_id": invitation_id,
    }
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
    this round (except those `skip` names); returns their ids. The round is each worker's
    new current invitation."""
    query = store.workers(company_id).where(filter=FieldFilter("active", "==", True))
    invited = []
    for snapshot in transaction.get(query):
        record = snapshot.to_dict()
        if (record.get("connection") or {}).get("state") not in _INVITABLE or skip(record):
            continue
        transaction.update(
            snapshot.reference,
            {
                "connection.state": "invited",
                "invitation": {
                    "round": round_id,
                    "current": round_id,
                    "issued_at": now,
                    "queued_at": now,
                },
            },
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
        "invitation_id": round_id,
    }
    tasks.enqueue(config, payload, queue=config.mail_queue, name=f"invite-{name}")


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
    ref = store.worker(company_id, worker_id)
    snapshot = ref.get()
    company_snapshot = store.company(company_id).get()
    if not snapshot.exists or not company_snapshot.exists:
        return False
    worker, company = snapshot.to_dict(), company_snapshot.to_dict()
    invitation = worker.get("invitation") or {}
    if not is_current(worker, invitation_id) or invitation.get("sent_id") == invitation_id:
        return False
    if round_id is not None and not worker.get("active", True):
        return False  # left the roster since the round started
    link = connect_url(config, company_id, worker_id, invitation_id)
    message = compose(company, worker, link)
    subject = subject or message["subject"]
    text = _with_link(config, body or message["body"], link)
    try:
        mail.send(config, message["to"], subject, text, _html(text, link))
    except mail.Undeliverable as exc:
        # Retrying cannot help: the admin sees why on the worker's connection instead.
        error = f"The invitation email could not be delivered ({exc.reason})."
        ref.update({"connection.error": error, "invitation.error": error})
        raise
    sent = {"invitation.sent_at": datetime.now(UTC), "invitation.sent_id": invitation_id}
    if invitation.get("error"):
        # This address works now; clear the failure we recorded, and only ours.
        sent["invitation.error"] = firestore.DELETE_FIELD
        if (worker.get("connection") or {}).get("error") == invitation["error"]:
            sent["connection.error"] = None
    if round_id is not None:
        sent["invitation.round"] = round_id
    ref.update(sent)
    return True


def _with_link(config: Config, text: str, link: str) -> str:
    """The admin's text with this invitation's link in place of any connect link it carries
    (the preview's sample, or one pasted from elsewhere); added at the end if it has none."""
    pattern = re.compile(re.escape(_connect_base(config)) + r"\?invite=[A-Za-z0-9._~%-]*")
    if pattern.search(text):
        return pattern.sub(lambda _: link, text)
    return f"{text.rstrip()}\n\nConnect your Google Calendar: {link}\n"


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
