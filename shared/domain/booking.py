"""Bookings, unavailable time and booking statuses as we keep them, and the names of the
events they become in a worker's Google Calendar (ids Google accepts, stable across retries).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

# -- records ------------------------------------------------------------------------


def _instant(value: datetime | str) -> datetime:
    """A stored instant: Firestore gives an aware datetime (UTC); tests may give the text."""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    if instant.tzinfo is None:
        raise ValueError(f"a stored instant must carry its offset: {value!r}")
    return instant


def _amount(value: Decimal | int | float | str | None) -> Decimal:
    """The amount as stored: its decimal text (what `BookingIn.record` writes)."""
    if value is None:
        return Decimal(0)
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a decimal amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return amount


@dataclass(frozen=True)
class Customer:
    name: str
    business_name: str | None = None
    email: str | None = None
    phone: str | None = None

    @classmethod
    def from_record(cls, record: dict | None) -> Customer:
        record = record or {}
        return cls(
            name=record.get("name") or "",
            business_name=record.get("business_name") or None,
            email=record.get("email") or None,
            phone=record.get("phone") or None,
        )


@dataclass(frozen=True)
class Service:
    name: str
    description: str | None = None

    @classmethod
    def from_record(cls, record: dict | None) -> Service:
        record = record or {}
        return cls(name=record.get("name") or "", description=record.get("description") or None)


@dataclass(frozen=True)
class Booking:
    """The platform's snapshot of a booking (PUT /bookings/{id}), at `version`."""

    id: str
    version: int
    status_id: str
    start: datetime
    end: datetime
    timezone: str  # IANA: the customer's zone, in which the event is shown
    worker_ids: tuple[str, ...]
    customer: Customer
    addresses: tuple[str, ...]
    suburb: str
    service: Service
    currency_symbol: str
    amount: Decimal
    properties: tuple[tuple[str, str], ...]  # sorted by name: a stored map keeps no order
    created_by: str
    created_at: datetime
    generation: int = 0  # grows when a deleted booking comes back (its events get new ids)
    deleted: bool = False  # a tombstone: the snapshot as it was, and the delete's version

    @classmethod
    def from_record(cls, booking_id: str, record: dict) -> Booking:
        return cls(
            id=booking_id,
            version=record["version"],
            status_id=record["status_id"],
            start=_instant(record["start"]),
            end=_instant(record["end"]),
            timezone=record["timezone"],
            worker_ids=tuple(record.get("worker_ids") or ()),
            customer=Customer.from_record(record.get("customer")),
            addresses=tuple(record.get("addresses") or ()),
            suburb=record.get("suburb") or "",
            service=Service.from_record(record.get("service")),
            currency_symbol=record.get("currency_symbol") or "",
            amount=_amount(record.get("amount")),
            properties=tuple(sorted((record.get("properties") or {}).items())),
            created_by=record.get("created_by") or "",
            created_at=_instant(record["created_at"]),
            generation=int(record.get("generation", 0)),
            deleted=bool(record.get("deleted", False)),
        )


@dataclass(frozen=True)
class UnavailableBlock:
    """Time a worker is not available (PUT /unavailability/{id}), pushed as a busy event."""

    id: str
    version: int
    worker_id: str
    start: datetime
    end: datetime
    title: str | None = None
    generation: int = 0
    deleted: bool = False

    @classmethod
    def from_record(cls, block_id: str, record: dict) -> UnavailableBlock:
        return cls(
            id=block_id,
            version=record["version"],
            worker_id=record["worker_id"],
            start=_instant(record["start"]),
            end=_instant(record["end"]),
            title=record.get("title") or None,
            generation=int(record.get("generation", 0)),
            deleted=bool(record.get("deleted", False)),
        )


@dataclass(frozen=True)
class BookingStatus:
    """A booking status and its two flags (PUT /booking-statuses/{id})."""

    id: str
    name: str
    color: str  # "#rrggbb"
    push_to_google: bool
    delete_from_google: bool

    @classmethod
    def from_record(cls, status_id: str, record: dict) -> BookingStatus:
        return cls(
            id=status_id,
            name=record.get("name") or status_id,
            color=record.get("color") or "",
            push_to_google=bool(record.get("push_to_google", False)),
            delete_from_google=bool(record.get("delete_from_google", False)),
        )


# -- events -------------------------------------------------------------------------

EventKind = Literal["booking", "unavailable"]


@dataclass(frozen=True)
class EventKey:
    """What a pushed event stands for: `booking:<id>` or `unavailable:<id>`."""

    kind: EventKind
    id: str

    @classmethod
    def booking(cls, booking_id: str) -> EventKey:
        return cls("booking", booking_id)

    @classmethod
    def unavailable(cls, block_id: str) -> EventKey:
        return cls("unavailable", block_id)

    @classmethod
    def parse(cls, text: str) -> EventKey:
        kind, _, key_id = text.partition(":")
        if kind not in ("booking", "unavailable") or not key_id:
            raise ValueError(f"not an event key: {text!r}")
        return cls(kind, key_id)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


def event_id(company_id: str, worker_id: str, key: EventKey | str, generation: int) -> str:
    """The Google event id of `key` in `worker_id`'s company calendar.

    Deterministic, so an insert retried after a lost answer names the same event (409: it is
    already there). The base32hex of a SHA-256 over the parts, lower case: 52 characters of
    `0-9a-v`, Google's event-id alphabet. Google keeps a deleted event's id for good, so a
    removed event that comes back needs a new `generation`, hence a new id."""
    if isinstance(generation, bool) or not isinstance(generation, int) or generation < 0:
        raise ValueError(f"generation must be an integer >= 0, not {generation!r}")
    parts = json.dumps([company_id, worker_id, str(key), generation], separators=(",", ":"))
    digest = hashlib.sha256(parts.encode()).digest()
    return base64.b32hexencode(digest).decode().rstrip("=").lower()
