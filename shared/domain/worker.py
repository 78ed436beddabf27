"""A fieldworker as we keep them: the roster entry, its connection, its current invitation
and the "needs a sync look" marker (the outbox)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.domain.connection import Connection


@dataclass(frozen=True)
class Invitation:
    """The worker's one live invitation (`current`), and what happened to the last ones.
    A round of emails started by the settings uses the round id as the invitation id."""

    current: str | None = None
    issued_at: datetime | None = None
    used_at: datetime | None = None
    round: str | None = None
    sent_id: str | None = None
    error: str | None = None

    @classmethod
    def from_record(cls, record: dict | None) -> Invitation:
        record = record or {}
        return cls(
            current=record.get("current"),
            issued_at=record.get("issued_at"),
            used_at=record.get("used_at"),
            round=record.get("round"),
            sent_id=record.get("sent_id"),
            error=record.get("error"),
        )

    def is_current(self, invitation_id: str) -> bool:
        """Whether `invitation_id` is the live invitation (a used or replaced one is not)."""
        return bool(invitation_id) and self.current == invitation_id


@dataclass(frozen=True)
class GrantOffer:
    """What a link brings for its account: the consent's OAuth grant (the refresh token,
    sealed) or domain-wide delegation. A link writes only the worker; the account's sync
    takes the newest offer of its workers into the account and the shared grant, so
    workers linking at once never contend on the account."""

    kind: str  # "oauth" or "delegated"
    issued_at: datetime
    email: str
    hd: str | None = None
    scopes: tuple[str, ...] = ()
    client_id: str | None = None
    client_kind: str | None = None  # "platform" or "private"
    refresh_token: dict | None = None  # sealed at `locations.grant_offer`

    @classmethod
    def from_record(cls, record: dict | None) -> GrantOffer | None:
        if not record:
            return None
        return cls(
            kind=record["kind"],
            issued_at=record["issued_at"],
            email=record.get("email") or "",
            hd=record.get("hd"),
            scopes=tuple(record.get("scopes") or ()),
            client_id=record.get("client_id"),
            client_kind=record.get("client_kind"),
            refresh_token=record.get("refresh_token"),
        )


# What a connect or disconnect writes on the worker: every outstanding invitation is void.
INVITATION_VOIDED: dict[str, Any] = {"invitation.current": None}


@dataclass(frozen=True)
class Worker:
    id: str
    name: str = ""
    email: str = ""
    active: bool = True
    timezone: str | None = None  # None: the Google account's own zone where one is needed
    connection: Connection = field(default_factory=Connection)
    invitation: Invitation = field(default_factory=Invitation)
    sync_pending_since: datetime | None = None  # a full look is due
    # Booking or block changes waiting to be pushed (a look at just these keys suffices
    # unless a full look is due too): written by the mutations' outbox.
    push_pending_since: datetime | None = None
    push_keys: tuple[str, ...] = ()
    grant_offer: GrantOffer | None = None

    @classmethod
    def from_record(cls, worker_id: str, record: dict) -> Worker:
        return cls(
            id=worker_id,
            name=record.get("name") or "",
            email=record.get("email") or "",
            active=record.get("active", True),
            timezone=record.get("timezone") or None,
            connection=Connection.from_record(record.get("connection")),
            invitation=Invitation.from_record(record.get("invitation")),
            sync_pending_since=record.get("sync_pending_since"),
            push_pending_since=record.get("push_pending_since"),
            push_keys=tuple(record.get("push_keys") or ()),
            grant_offer=GrantOffer.from_record(record.get("grant_offer")),
        )

    @property
    def pending(self) -> bool:
        """Whether a look at the worker is due (a full one, or of changed keys)."""
        return self.sync_pending_since is not None or self.push_pending_since is not None

    @property
    def display_name(self) -> str:
        return self.name or self.id
