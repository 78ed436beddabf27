"""A Google account linked to a company's workers, and which of its calendars we import.

One account per Google account (`sub`) per company holds the company calendar, the
calendar selection and the workers using it: several workers may share one account (a
team inbox); a worker has at most one. The OAuth grant behind it is shared across
companies (see `shared/domain/grant.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from shared.domain.connection import ConnectionState
from shared.domain.worker import GrantOffer

Auth = Literal["oauth", "delegated"]


@dataclass(frozen=True)
class CalendarChoice:
    """One calendar of the account, and whether its events are imported as busy time."""

    id: str
    summary: str
    primary: bool
    access_role: str
    selected: bool

    @classmethod
    def from_record(cls, record: dict) -> CalendarChoice:
        return cls(
            id=record["id"],
            summary=record.get("summary", ""),
            primary=bool(record.get("primary")),
            access_role=record.get("access_role", "reader"),
            selected=bool(record.get("selected")),
        )

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "summary": self.summary,
            "primary": self.primary,
            "access_role": self.access_role,
            "selected": self.selected,
        }


@dataclass(frozen=True)
class WatchChannel:
    """A push channel we hold open at Google: its id, Google's id of the watched resource
    (needed to stop it) and when Google ends it."""

    id: str
    resource_id: str
    expiration: datetime

    @classmethod
    def from_record(cls, record: dict | None) -> WatchChannel | None:
        if not record or not record.get("id"):
            return None
        return cls(record["id"], record.get("resource_id", ""), record["expiration"])

    def to_record(self) -> dict[str, Any]:
        return {"id": self.id, "resource_id": self.resource_id, "expiration": self.expiration}


@dataclass(frozen=True)
class GoogleAccount:
    sub: str
    email: str | None = None
    auth: Auth | None = None
    grant_id: str | None = None
    client_kind: str | None = None  # the OAuth client that issued the grant, or "delegated"
    state: ConnectionState = ConnectionState.CONNECTED
    worker_ids: tuple[str, ...] = ()  # the workers on it at its last sync (for people to read)
    company_calendar_id: str | None = None
    company_calendar_name: str | None = None  # the name it was set up with
    set_up_at: datetime | None = None  # when the last set-up with Google began
    set_up_requested_at: datetime | None = None  # a resync asked to check again
    # A change of the account's calendar list (its channel rang, or an imported calendar
    # vanished) asked to read the list again. Not an admin's resync: it confirms nothing.
    calendars_requested_at: datetime | None = None
    calendar_list_channel: WatchChannel | None = None  # tells us of calendars made or deleted
    reconcile_requested_at: datetime | None = None  # the daily drift repair asked for it
    reconciled_at: datetime | None = None  # when the last drift repair began
    calendars: tuple[CalendarChoice, ...] = field(default=())
    reauth_alert_queued_at: datetime | None = None
    linked_at: datetime | None = None  # when the account took its current grant (or delegation)
    dirty: int = 0  # bumped by a sync that found the account busy: the running one goes again
    push_calls: tuple[dict, ...] = ()  # the pushes' calls of the last minute (pacing.CallBudget)

    @classmethod
    def from_record(cls, sub: str, record: dict) -> GoogleAccount:
        return cls(
            sub=sub,
            email=record.get("email"),
            auth=record.get("auth"),
            grant_id=record.get("grant_id"),
            client_kind=record.get("client_kind"),
            state=ConnectionState.of(record.get("state")),
            worker_ids=tuple(record.get("worker_ids") or ()),
            company_calendar_id=record.get("company_calendar_id"),
            company_calendar_name=record.get("company_calendar_name"),
            set_up_at=record.get("set_up_at"),
            set_up_requested_at=record.get("set_up_requested_at"),
            calendars_requested_at=record.get("calendars_requested_at"),
            calendar_list_channel=WatchChannel.from_record(record.get("calendar_list_channel")),
            reconcile_requested_at=record.get("reconcile_requested_at"),
            reconciled_at=record.get("reconciled_at"),
            calendars=tuple(CalendarChoice.from_record(c) for c in record.get("calendars", [])),
            reauth_alert_queued_at=record.get("reauth_alert_queued_at"),
            linked_at=record.get("linked_at"),
            dirty=int(record.get("dirty", 0)),
            push_calls=tuple(record.get("push_calls") or ()),
        )

    def takes(self, offer: GrantOffer) -> bool:
        """Whether a worker's offer is newer than what the account uses now."""
        return self.linked_at is None or offer.issued_at > self.linked_at

    def needs_set_up(self, calendar_name: str) -> bool:
        """Whether a sync must check the account's calendars with Google before pushing:
        never set up, the company renamed, or a resync or a change of the calendar list
        asked for it. Otherwise the push costs no call but its own (a vanished calendar
        shows itself as a 404 then)."""
        return (
            self.company_calendar_id is None
            or self.company_calendar_name != calendar_name
            or self.resync_requested
            or self._asked_since_set_up(self.calendars_requested_at)
        )

    @property
    def resync_requested(self) -> bool:
        """Whether an admin's resync asked since the last set-up began (every imported
        calendar then catches up, not only those the calendar list changed)."""
        return self._asked_since_set_up(self.set_up_requested_at)

    def _asked_since_set_up(self, asked: datetime | None) -> bool:
        return asked is not None and (self.set_up_at is None or asked > self.set_up_at)

    @property
    def needs_reconcile(self) -> bool:
        """Whether a drift repair was asked for since the last one began."""
        asked = self.reconcile_requested_at
        return asked is not None and (self.reconciled_at is None or asked > self.reconciled_at)

    @property
    def usable(self) -> bool:
        """Credentials can be made for it: delegated, or an OAuth grant Google still honours."""
        linked = self.auth == "delegated" or bool(self.grant_id)
        return linked and self.state != ConnectionState.NEEDS_REAUTH


def select_calendars(
    entries: list[dict], previous: tuple[CalendarChoice, ...], company_calendar_id: str
) -> list[CalendarChoice]:
    """The account's calendars to offer for import, from its calendar list: by default every
    calendar the account owns, never the company calendar (our own events); a choice made
    earlier is kept."""
    chosen = {calendar.id: calendar.selected for calendar in previous}
    calendars = []
    for entry in entries:
        if entry["id"] == company_calendar_id:
            continue
        access_role = entry.get("accessRole", "reader")
        calendars.append(
            CalendarChoice(
                id=entry["id"],
                summary=entry.get("summaryOverride") or entry.get("summary", ""),
                primary=bool(entry.get("primary")),
                access_role=access_role,
                selected=chosen.get(entry["id"], access_role == "owner"),
            )
        )
    return calendars


def with_selection(
    calendars: tuple[CalendarChoice, ...], selected: list[str]
) -> list[CalendarChoice]:
    """The calendars with exactly `selected` chosen for import."""
    return [
        CalendarChoice(c.id, c.summary, c.primary, c.access_role, c.id in selected)
        for c in calendars
    ]
