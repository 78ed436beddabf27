"""A worker's connection to a Google account: its states, what each transition writes, and
how the platform sees it.

    not_connected --invite--> invited --consent / delegation--> connected
    connected --Google refuses the grant--> needs_reauth --consent--> connected
    any --disconnect--> disconnected --invite--> invited

Only this module spells a state; everything else uses `ConnectionState`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ConnectionState(StrEnum):
    NOT_CONNECTED = "not_connected"
    INVITED = "invited"
    CONNECTED = "connected"
    NEEDS_REAUTH = "needs_reauth"
    DISCONNECTED = "disconnected"

    @property
    def linked(self) -> bool:
        """A Google account is attached (working, or waiting for the worker to reconnect)."""
        return self in (ConnectionState.CONNECTED, ConnectionState.NEEDS_REAUTH)

    @property
    def invitable(self) -> bool:
        """An invitation round may (re)invite the worker: nothing is attached."""
        return not self.linked

    @classmethod
    def of(cls, value: object) -> ConnectionState:
        """The state a stored value names; a worker nobody invited yet has none stored."""
        return cls(value) if value else cls.NOT_CONNECTED


REAUTH_MESSAGE = "Google refused the saved permission; the worker needs to connect again."


@dataclass(frozen=True)
class FirstSync:
    done: bool = False
    pushed: int = 0
    imported: int = 0

    @classmethod
    def from_record(cls, record: dict | None) -> FirstSync:
        record = record or {}
        return cls(
            done=bool(record.get("done", False)),
            pushed=int(record.get("pushed", 0)),
            imported=int(record.get("imported", 0)),
        )

    def to_record(self) -> dict:
        return {"done": self.done, "pushed": self.pushed, "imported": self.imported}


@dataclass(frozen=True)
class Connection:
    state: ConnectionState = ConnectionState.NOT_CONNECTED
    google_sub: str | None = None
    google_email: str | None = None
    scopes: tuple[str, ...] = ()
    connected_at: datetime | None = None
    last_synced_at: datetime | None = None
    company_calendar_id: str | None = None
    error: str | None = None
    first_sync: FirstSync = field(default_factory=FirstSync)
    previous_google_email: str | None = None
    switched_at: datetime | None = None

    @classmethod
    def from_record(cls, record: dict | None) -> Connection:
        record = record or {}
        return cls(
            state=ConnectionState.of(record.get("state")),
            google_sub=record.get("google_sub"),
            google_email=record.get("google_email"),
            scopes=tuple(record.get("scopes") or ()),
            connected_at=record.get("connected_at"),
            last_synced_at=record.get("last_synced_at"),
            company_calendar_id=record.get("company_calendar_id"),
            error=record.get("error"),
            first_sync=FirstSync.from_record(record.get("first_sync")),
            previous_google_email=record.get("previous_google_email"),
            switched_at=record.get("switched_at"),
        )

    def status(self) -> dict[str, Any]:
        """What `GET /workers/{id}/connection` shows."""
        view: dict[str, Any] = {
            "state": self.state.value,
            "google_email": self.google_email,
            "scopes": list(self.scopes),
            "company_calendar_id": self.company_calendar_id,
            "connected_at": self.connected_at,
            "last_synced_at": self.last_synced_at,
            "first_sync": self.first_sync.to_record(),
        }
        if self.error:
            view["error"] = self.error
        if self.switched_at:
            # The worker moved to this account from another one: shown so nobody misses it.
            view["previous_google_email"] = self.previous_google_email
            view["switched_at"] = self.switched_at
        return view


# -- transitions: what each one writes on the worker's `connection` -----------------


def connected(
    previous: Connection,
    sub: str,
    email: str,
    scopes: list[str],
    now: datetime,
    company_calendar_id: str | None = None,
) -> dict[str, Any]:
    """The connection after a link to the account `sub`. Moving off another account is
    recorded (`previous_google_email`, `switched_at`) so the switch is visible."""
    record: dict[str, Any] = {
        "state": ConnectionState.CONNECTED.value,
        "google_sub": sub,
        "google_email": email,
        "scopes": scopes,
        "connected_at": now,
        "last_synced_at": None,
        "company_calendar_id": company_calendar_id,
        "error": None,
        "first_sync": FirstSync().to_record(),
    }
    if switched_from(previous, sub):
        record["previous_google_email"] = previous.google_email
        record["switched_at"] = now
    return record


def switched_from(previous: Connection, sub: str) -> str | None:
    """The Google address a link to `sub` moves the worker off, if it moves one."""
    moved = previous.state.linked and previous.google_sub and previous.google_sub != sub
    return previous.google_email if moved else None


def disconnected(previous: Connection, now: datetime) -> dict[str, Any]:
    """The connection after a disconnect: nothing attached, the last address remembered."""
    return {
        "state": ConnectionState.DISCONNECTED.value,
        "google_sub": None,
        "google_email": None,
        "scopes": [],
        "disconnected_at": now,
        "previous_google_email": previous.google_email,
    }


def needs_reauth(message: str = REAUTH_MESSAGE) -> dict[str, Any]:
    """Field updates on a worker whose account's grant Google refused."""
    return {"connection.state": ConnectionState.NEEDS_REAUTH.value, "connection.error": message}


def reauthorized() -> dict[str, Any]:
    """Field updates on a worker waiting for its account's reconnect, once it happened."""
    return {"connection.state": ConnectionState.CONNECTED.value, "connection.error": None}


def invited() -> dict[str, Any]:
    return {"connection.state": ConnectionState.INVITED.value}
