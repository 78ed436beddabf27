"""The messages our tasks carry: one typed model per kind, shared by the producers (which
`send` them) and the task router (which parses `Task` and dispatches on the type).

Sync work goes to the sync queue; emails go to the mail queue, which retries a bounded
number of times (see tasks.py).
"""

from __future__ import annotations

import hashlib
import math
import time
from datetime import timedelta
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from shared.config import Config
from shared.inputs import Id
from shared.queue import tasks

# A Google calendar id (an address such as `en.norwegian#holiday@group.v.calendar.google.com`):
# not a Firestore id, but it becomes part of one, so no slash and no blank.
CalendarId = Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^[^/\s]+$")]


class _Message(BaseModel):
    # Unknown fields are ignored: a task queued by an older or newer release still runs.
    model_config = ConfigDict(frozen=True)
    mail: ClassVar[bool] = False  # emails go to the mail queue


class WorkerLook(_Message):
    """A worker "needs a look": bring its Google side up to date."""

    kind: Literal["worker"] = "worker"
    company_id: Id
    worker_id: Id


class AccountSync(_Message):
    """Bring one Google account of the company up to date: its grant, its company calendar,
    and every linked worker on it with a pending look. Named per account and time slice
    (`request_account_sync`), so a burst of requests becomes one task."""

    kind: Literal["account_sync"] = "account_sync"
    company_id: Id
    sub: Id


class RosterLook(_Message):
    """Every worker of the company needs a look (e.g. the company calendar was renamed, or
    domain-wide delegation may connect workers now): fanned out by a task, not the request."""

    kind: Literal["roster_look"] = "roster_look"
    company_id: Id


class InvitationRound(_Message):
    """Fan out one invitation round: mark each worker the round invites, queue its email."""

    kind: Literal["invitation_round"] = "invitation_round"
    company_id: Id
    round_id: Id


class InvitationEmail(_Message):
    """Email the worker its invitation (one round of the settings, or the admin's send)."""

    kind: Literal["invitation_email"] = "invitation_email"
    mail: ClassVar[bool] = True
    company_id: Id
    worker_id: Id
    invitation_id: Id
    round: str | None = None
    subject: str | None = None
    body: str | None = None


class ReauthAlert(_Message):
    """Tell the admin that the workers on a Google account must reconnect."""

    kind: Literal["reauth_alert"] = "reauth_alert"
    mail: ClassVar[bool] = True
    company_id: Id
    sub: Id


class AccountSwitched(_Message):
    """Tell the admin that a worker moved to another Google account."""

    kind: Literal["account_switched"] = "account_switched"
    mail: ClassVar[bool] = True
    company_id: Id
    worker_id: Id
    previous_email: str
    new_email: str


class CalendarImport(_Message):
    """Bring the busy blocks of one imported calendar of a Google account up to date
    (incrementally, or in full when Google asks for it). Named per calendar and time
    slice (`request_import`), so a burst of notifications becomes one task."""

    kind: Literal["calendar_import"] = "calendar_import"
    company_id: Id
    sub: Id
    calendar_id: CalendarId


class ReleaseGrant(_Message):
    """Give a grant nobody uses back to Google."""

    kind: Literal["release_grant"] = "release_grant"
    grant_id: Id


Message = (
    WorkerLook
    | AccountSync
    | RosterLook
    | InvitationRound
    | InvitationEmail
    | ReauthAlert
    | AccountSwitched
    | ReleaseGrant
    | CalendarImport
)


class Task(RootModel):
    """A task body as /tasks/sync receives it."""

    root: Annotated[Message, Field(discriminator="kind")]


# Requests for one account within a slice become one task, which runs when the slice ends.
ACCOUNT_SLICE = 0.5  # seconds: the most a request waits for its account's sync to start


def send(
    config: Config, message: Message, *, name: str | None = None, delay: timedelta | None = None
) -> bool:
    """Queue `message`. A `name` de-duplicates: False if that task exists already."""
    payload = message.model_dump(exclude_none=True)
    queue = config.mail_queue if message.mail else config.sync_queue
    return tasks.enqueue(config, payload, queue=queue, name=name, delay=delay)


def _send_coalesced(
    config: Config, message: Message, kind: str, *parts: str, not_before: float | None = None
) -> None:
    """Send `message` named per subject (`parts`) and time slice, scheduled at the slice's
    end: every request of the slice is covered by that one task (Cloud Tasks drops the
    duplicates), since it starts after they committed. `not_before` (seconds since the
    epoch) puts it in a later slice."""
    now = time.time()
    slice_end = (math.floor(max(now, not_before or now) / ACCOUNT_SLICE) + 1) * ACCOUNT_SLICE
    subject = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    name = f"{kind}-{subject}-{int(slice_end * 1000)}"
    send(config, message, name=name, delay=timedelta(seconds=slice_end - now))


def request_account_sync(
    config: Config, company_id: str, sub: str, not_before: float | None = None
) -> None:
    """Ask for a sync of the account after a change committed, coalesced per account."""
    message = AccountSync(company_id=company_id, sub=sub)
    _send_coalesced(config, message, "account", company_id, sub, not_before=not_before)


def request_import(config: Config, company_id: str, sub: str, calendar_id: str) -> None:
    """Ask for an import of one calendar, coalesced per calendar."""
    message = CalendarImport(company_id=company_id, sub=sub, calendar_id=calendar_id)
    _send_coalesced(config, message, "import", company_id, sub, calendar_id)


def request_sync(config: Config, company_id: str, worker_id: str) -> None:
    """Ask for a look at the worker (after its pending marker was committed)."""
    send(config, WorkerLook(company_id=company_id, worker_id=worker_id))
