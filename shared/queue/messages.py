"""The messages our tasks carry: one typed model per kind, shared by the producers (which
`send` them) and the task router (which parses `Task` and dispatches on the type).

Sync work goes to the sync queue; emails go to the mail queue, which retries a bounded
number of times (see tasks.py).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from shared.config import Config
from shared.queue import tasks


class _Message(BaseModel):
    # Unknown fields are ignored: a task queued by an older or newer release still runs.
    model_config = ConfigDict(frozen=True)
    mail: ClassVar[bool] = False  # emails go to the mail queue


class WorkerLook(_Message):
    """A worker "needs a look": bring its Google side up to date."""

    kind: Literal["worker"] = "worker"
    company_id: str
    worker_id: str


class InvitationEmail(_Message):
    """Email the worker its invitation (one round of the settings, or the admin's send)."""

    kind: Literal["invitation_email"] = "invitation_email"
    mail: ClassVar[bool] = True
    company_id: str
    worker_id: str
    invitation_id: str
    round: str | None = None
    subject: str | None = None
    body: str | None = None


class ReauthAlert(_Message):
    """Tell the admin that the workers on a Google account must reconnect."""

    kind: Literal["reauth_alert"] = "reauth_alert"
    mail: ClassVar[bool] = True
    company_id: str
    sub: str


class AccountSwitched(_Message):
    """Tell the admin that a worker moved to another Google account."""

    kind: Literal["account_switched"] = "account_switched"
    mail: ClassVar[bool] = True
    company_id: str
    worker_id: str
    previous_email: str
    new_email: str


class ReleaseGrant(_Message):
    """Give a grant nobody uses back to Google."""

    kind: Literal["release_grant"] = "release_grant"
    grant_id: str


Message = WorkerLook | InvitationEmail | ReauthAlert | AccountSwitched | ReleaseGrant


class Task(RootModel):
    """A task body as /tasks/sync receives it."""

    root: Annotated[Message, Field(discriminator="kind")]


def send(config: Config, message: Message, *, name: str | None = None) -> bool:
    """Queue `message`. A `name` de-duplicates: False if that task exists already."""
    payload = message.model_dump(exclude_none=True)
    queue = config.mail_queue if message.mail else config.sync_queue
    return tasks.enqueue(config, payload, queue=queue, name=name)


def request_sync(config: Config, company_id: str, worker_id: str) -> None:
    """Ask for a look at the worker (after its pending marker was committed)."""
    send(config, WorkerLook(company_id=company_id, worker_id=worker_id))
