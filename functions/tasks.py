"""The `tasks` function: Cloud Tasks delivers queued work here.

Each task names its kind; handlers are idempotent. A non-2xx answer makes
Cloud Tasks retry with backoff, which is what we want for "busy" and for
Google's rate limits and outages, and never for work that is simply moot.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

import flask
import functions_framework
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError
from pydantic import BaseModel, Field, RootModel

from shared import alerts, google_accounts, invitations, mail
from shared.config import get_config
from shared.google_calendar import is_transient
from shared.store import Store
from shared.sync import Busy, look_at_worker
from shared.web import Router, parse_body

log = logging.getLogger(__name__)
router = Router()


class WorkerLook(BaseModel):
    kind: Literal["worker"]
    company_id: str
    worker_id: str


class InvitationEmail(BaseModel):
    kind: Literal["invitation_email"]
    company_id: str
    worker_id: str
    invitation_id: str
    round: str | None = None
    subject: str | None = None
    body: str | None = None


class ReauthAlert(BaseModel):
    kind: Literal["reauth_alert"]
    company_id: str
    sub: str


class AccountSwitched(BaseModel):
    kind: Literal["account_switched"]
    company_id: str
    worker_id: str
    previous_email: str
    new_email: str


class ReleaseGrant(BaseModel):
    kind: Literal["release_grant"]
    grant_id: str


class Task(RootModel):
    root: Annotated[
        WorkerLook | InvitationEmail | ReauthAlert | AccountSwitched | ReleaseGrant,
        Field(discriminator="kind"),
    ]


@router.route("/tasks/sync", methods=["POST"], auth="service")
def run_task(request: flask.Request):
    task = parse_body(request, Task).root
    config = get_config()
    store = Store.for_config(config)
    try:
        match task:
            case WorkerLook():
                outcome = look_at_worker(config, store, task.company_id, task.worker_id)
            case InvitationEmail():
                sent = invitations.send_invitation(
                    config,
                    store,
                    task.company_id,
                    task.worker_id,
                    task.invitation_id,
                    task.round,
                    task.subject,
                    task.body,
                )
                outcome = "sent" if sent else "moot"
            case ReauthAlert():
                sent = alerts.send_reauth_alert(config, store, task.company_id, task.sub)
                outcome = "sent" if sent else "moot"
            case AccountSwitched():
                sent = alerts.send_switch_alert(
                    config,
                    store,
                    task.company_id,
                    task.worker_id,
                    task.previous_email,
                    task.new_email,
                )
                outcome = "sent" if sent else "moot"
            case ReleaseGrant():
                outcome = google_accounts.release_grant(config, store, task.grant_id)
    except Busy:
        return {"error": {"code": "busy", "message": "another sync holds the account"}}, 503
    except mail.Undeliverable as exc:
        # Recorded for the admin by the use case; a 2xx so Cloud Tasks does not resend it.
        log.warning(
            "%s email for company %s is undeliverable (SMTP %s); not retried",
            task.kind,
            getattr(task, "company_id", "-"),
            exc.smtp_code or "-",
        )
        return {"kind": task.kind, "outcome": "undeliverable"}
    except mail.TryLater as exc:
        log.warning("%s email: %s; Cloud Tasks will retry", task.kind, exc)
        return {"error": {"code": "retry_later", "message": "the mail server is unavailable"}}, 503
    except HttpError as exc:
        if not is_transient(exc):
            raise
        log.warning("Google answered %s; Cloud Tasks will retry", exc.status_code)
        return {"error": {"code": "retry_later", "message": "Google is busy"}}, 503
    except RefreshError as exc:
        if not exc.retryable:
            raise
        log.warning("Google's token endpoint failed; Cloud Tasks will retry")
        return {"error": {"code": "retry_later", "message": "Google is busy"}}, 503
    return {"kind": task.kind, "outcome": outcome}


@functions_framework.http
def tasks(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
