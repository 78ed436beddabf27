"""What each queued task does: one use case per message type.

Handlers are idempotent (a task may arrive twice, late, or beside itself). A
`RetryLater` leaves for the task router, which answers 503 so Cloud Tasks retries;
an email that can never be delivered was recorded for the admin by its use case and
is not retried.
"""

from __future__ import annotations

import logging

from shared import logs, mail
from shared.config import Config
from shared.queue import messages
from shared.services import alerts, grants, invitation_rounds, invitations, workers
from shared.store.firestore import Store
from shared.sync.busy_import import import_calendar
from shared.sync.run import look_at_worker, sync_account

log = logging.getLogger(__name__)


def run(config: Config, store: Store, task: messages.Message) -> str:
    """Do the task; returns its outcome, for the log and the answer."""
    try:
        with logs.labelled(**_labels(task)):
            outcome = _run(config, store, task)
        logs.event(log, "task_done", kind=task.kind, outcome=outcome)
        return outcome
    except mail.Undeliverable as exc:
        log.warning(
            "%s email for company %s is undeliverable (SMTP %s); not retried",
            task.kind,
            getattr(task, "company_id", "-"),
            exc.smtp_code or "-",
        )
        return "undeliverable"


def _labels(task: messages.Message) -> dict[str, str | None]:
    """What the task is about, for every line it logs."""
    return {
        "kind": task.kind,
        "company": getattr(task, "company_id", None),
        "worker": getattr(task, "worker_id", None),
        "account": getattr(task, "sub", None),
        "calendar": getattr(task, "calendar_id", None),
    }


def _sent(sent: bool) -> str:
    return "sent" if sent else "moot"


def _run(config: Config, store: Store, task: messages.Message) -> str:
    match task:
        case messages.WorkerLook():
            return look_at_worker(config, store, task.company_id, task.worker_id)
        case messages.AccountSync():
            return sync_account(config, store, task.company_id, task.sub)
        case messages.RosterLook():
            return workers.look_at_roster(config, store, task.company_id)
        case messages.InvitationRound():
            return invitation_rounds.fan_out(config, store, task.company_id, task.round_id)
        case messages.InvitationEmail():
            return _sent(
                invitations.send_invitation(
                    config,
                    store,
                    task.company_id,
                    task.worker_id,
                    task.invitation_id,
                    task.round,
                    task.subject,
                    task.body,
                )
            )
        case messages.ReauthAlert():
            return _sent(alerts.send_reauth_alert(config, store, task.company_id, task.sub))
        case messages.AccountSwitched():
            return _sent(
                alerts.send_switch_alert(
                    config,
                    store,
                    task.company_id,
                    task.worker_id,
                    task.previous_email,
                    task.new_email,
                )
            )
        case messages.CalendarImport():
            return import_calendar(config, store, task.company_id, task.sub, task.calendar_id)
        case messages.ReleaseGrant():
            return grants.release(config, store, task.grant_id)
    raise TypeError(f"no handler for {type(task).__name__}")  # pragma: no cover
