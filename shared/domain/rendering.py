"""What a booking or an unavailable block looks like in a worker's Google Calendar: the event
body sent to Google, and the content hash that tells whether anything changed since the last
push (an unchanged event sends nothing).

The body carries no `id` (the planner adds `event_id(...)` on insert), no attendees (nobody is
invited or notified) and `extendedProperties.private` naming what the event stands for, so an
event found in the company calendar can be traced back to its booking, worker and company."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from shared.domain.booking import Booking, BookingStatus, EventKey, UnavailableBlock

# Google's event colours (`colors.get`, the `event` palette): colorId -> background.
EVENT_COLORS: dict[str, str] = {
    "1": "#a4bdfc",  # Lavender
    "2": "#7ae7bf",  # Sage
    "3": "#dbadff",  # Grape
    "4": "#ff887c",  # Flamingo
    "5": "#fbd75b",  # Banana
    "6": "#ffb878",  # Tangerine
    "7": "#46d6db",  # Peacock
    "8": "#e1e1e1",  # Graphite
    "9": "#5484ed",  # Blueberry
    "10": "#51b749",  # Basil
    "11": "#dc2127",  # Tomato
}

UNAVAILABLE_TITLE = "Unavailable"


def _rgb(color: str) -> tuple[int, int, int] | None:
    text = color.strip().removeprefix("#")
    if len(text) != 6:
        return None
    try:
        value = int(text, 16)
    except ValueError:
        return None
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


def nearest_event_color(color: str) -> str | None:
    """The colorId of Google's event colour nearest to `#rrggbb` (RGB distance; a tie goes
    to the lower id), or None for a colour that is not `#rrggbb`."""
    rgb = _rgb(color)
    if rgb is None:
        return None

    def distance(color_id: str) -> int:
        other = _rgb(EVENT_COLORS[color_id])
        assert other is not None
        return sum((a - b) ** 2 for a, b in zip(rgb, other, strict=True))

    return min(EVENT_COLORS, key=lambda color_id: (distance(color_id), int(color_id)))


def _amount(amount: Decimal) -> str:
    """Two decimals for money (1250 -> 1250.00), more only when the amount has them."""
    decimals = -amount.as_tuple().exponent  # type: ignore[operator]
    return f"{amount:.{max(2, decimals)}f}"


def _local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(microsecond=0)


def _when(instant: datetime, zone: ZoneInfo) -> dict[str, str]:
    """A timed event's start or end: the local time with its offset, and the zone."""
    return {"dateTime": _local(instant, zone).isoformat(), "timeZone": zone.key}


def _scheduled(booking: Booking, zone: ZoneInfo) -> str:
    start, end = _local(booking.start, zone), _local(booking.end, zone)
    end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M} - {end_text} ({zone.key})"


def _private(company_id: str, worker_id: str, key: EventKey, id_field: str) -> dict[str, str]:
    return {
        "company_id": company_id,
        "worker_id": worker_id,
        id_field: key.id,
        "key": str(key),
    }


def booking_title(booking: Booking, status: BookingStatus) -> str:
    """`Status: Customer - Service`, e.g. `Confirmed: Kari Nordmann - Window cleaning`."""
    return f"{status.name}: {booking.customer.name} - {booking.service.name}"


def booking_description(booking: Booking, status: BookingStatus, worker_name: str) -> str:
    """Everything the worker needs to do the job, one fact a line, in sections."""
    zone = ZoneInfo(booking.timezone)
    customer, service = booking.customer, booking.service
    job = [
        f"Status: {status.name}",
        f"Worker: {worker_name}",
        f"Scheduled: {_scheduled(booking, zone)}",
        f"Amount: {booking.currency_symbol}{_amount(booking.amount)}",
    ]
    if booking.suburb:
        job.append(f"Suburb: {booking.suburb}")
    who = [f"Customer: {customer.name}"]
    if customer.business_name:
        who.append(f"Business: {customer.business_name}")
    if customer.email:
        who.append(f"Email: {customer.email}")
    if customer.phone:
        who.append(f"Phone: {customer.phone}")
    for number, address in enumerate(booking.addresses[:3], start=1):
        who.append(f"Address {number}: {address}")
    what = [f"Service: {service.name}"]
    if service.description:
        what.append(service.description)
    sections = [job, who, what]
    if booking.properties:
        properties = [f"{name}: {value}" for name, value in booking.properties]
        sections.append(["Properties:", *properties])
    created = _local(booking.created_at, zone)
    sections.append([f"Created by {booking.created_by} on {created:%Y-%m-%d %H:%M} ({zone.key})"])
    return "\n\n".join("\n".join(lines) for lines in sections)


def render_booking(
    booking: Booking, status: BookingStatus, worker_name: str, company_id: str, worker_id: str
) -> dict[str, Any]:
    """The Google event body of `booking` in `worker_id`'s company calendar.

    Start and end are shown in the booking's (the customer's) time zone, whatever the
    worker's own zone; the instants are the booking's. Reminders are the worker's defaults."""
    zone = ZoneInfo(booking.timezone)
    body: dict[str, Any] = {
        "summary": booking_title(booking, status),
        "description": booking_description(booking, status, worker_name),
        "start": _when(booking.start, zone),
        "end": _when(booking.end, zone),
        "status": "confirmed",
        "transparency": "opaque",
        "reminders": {"useDefault": True},
        "extendedProperties": {
            "private": _private(company_id, worker_id, EventKey.booking(booking.id), "booking_id")
        },
    }
    if booking.addresses:
        body["location"] = booking.addresses[0]
    color_id = nearest_event_color(status.color)
    if color_id is not None:
        body["colorId"] = color_id
    return body


def render_unavailable(block: UnavailableBlock, company_id: str, worker_id: str) -> dict[str, Any]:
    """The busy event of an unavailable block: titled from its title ("Unavailable" if none),
    in UTC (a block has no zone of its own; Google shows it in the calendar's zone), with no
    reminders (it is not an appointment to be reminded of)."""
    key = EventKey.unavailable(block.id)
    return {
        "summary": block.title or UNAVAILABLE_TITLE,
        "start": {"dateTime": _utc(block.start)},
        "end": {"dateTime": _utc(block.end)},
        "status": "confirmed",
        "transparency": "opaque",
        "reminders": {"useDefault": False},
        "extendedProperties": {"private": _private(company_id, worker_id, key, "unavailable_id")},
    }


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def content_hash(body: dict[str, Any]) -> str:
    """SHA-256 (hex) of the body as canonical JSON: keys sorted, no spaces, UTF-8. Equal
    bodies hash equal whatever their key order; any change to any field changes it."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
