"""A company whose workers are connected, and ways to watch what reaches their calendars.

Everything goes through the HTTP API (docs/api.md) and the Google stand-in, as the
platform and Google would; the stand-in's call counts tell what each change cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.connections.conftest import Company
from tests.helpers import wait_until

ANN, BEN = "ann@example.com", "ben@example.com"
PUSH_ONLY = "push_only"
OSLO = ZoneInfo("Europe/Oslo")

# name, colour, push_to_google, delete_from_google
STATUSES = {
    "confirmed": ("Confirmed", "#51b749", True, False),
    "tentative": ("Tentative", "#fbd75b", True, True),
    "quote": ("Quote", "#e1e1e1", False, False),
    "cancelled": ("Cancelled", "#dc2127", False, True),
}


def day(offset: int, hour: int = 9) -> datetime:
    """`offset` days from today at `hour`:00 in Oslo (bookings stay in the future)."""
    today = datetime.now(OSLO).date() + timedelta(days=offset)
    return datetime(today.year, today.month, today.day, hour, tzinfo=OSLO)


def snapshot(version: int, *workers: str, status: str = "confirmed", **changes) -> dict:
    start = changes.pop("start", day(3))
    end = changes.pop("end", start + timedelta(hours=2))
    body = {
        "version": version,
        "status_id": status,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "timezone": "Europe/Oslo",
        "worker_ids": list(workers),
        "customer": {"name": "Ada Lovelace", "phone": "+47 22 00 00 00"},
        "addresses": ["1 Analytical Way, Oslo", "Back door"],
        "suburb": "Frogner",
        "service": {"name": "Boiler service", "description": "Annual check"},
        "currency_symbol": "kr",
        "amount": 1250,
        "properties": {"gate code": "1234"},
        "created_by": "Grace",
        "created_at": "2026-11-20T10:00:00+01:00",
    }
    return {**body, **changes}


class PushCompany(Company):
    @classmethod
    def enabled(cls, stack) -> PushCompany:
        """Acme, enabled `push_only` with the test statuses, no workers yet. `push_only`:
        these tests count the calls a push makes, and an import's (tests/imports) would
        run beside them."""
        company = cls(stack)
        company.enable(sync_direction=PUSH_ONLY)
        for status_id, fields in STATUSES.items():
            company.put_status(status_id, *fields)
        return company

    def put(self, booking_id: str, body: dict) -> dict:
        answer = self.call("PUT", f"/bookings/{booking_id}", json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def delete(self, booking_id: str, version: int) -> dict:
        answer = self.call("DELETE", f"/bookings/{booking_id}?version={version}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def share_anns_account(self, bookings: list[dict] = ()) -> None:
        """Workers w1 and w3 both on Ann's Google account, connected after `bookings` (each
        with its id) are saved, their first syncs done."""
        self.add_worker("w1", ANN, name="Ann Hansen")
        self.add_worker("w3", "ann.work@example.com", name="Ann at work")
        if bookings:
            answer = self.call("POST", "/bookings:batch", json={"bookings": list(bookings)})
            assert answer.status_code == 200, answer.text
        self.connect("w1")
        self.connect("w3", email=ANN)
        self.wait_first_sync("w1")
        self.wait_first_sync("w3")

    def put_status(self, status_id: str, name, color, push, delete) -> None:
        body = {"name": name, "color": color, "push_to_google": push, "delete_from_google": delete}
        answer = self.call("PUT", f"/booking-statuses/{status_id}", json=body)
        assert answer.status_code == 200, answer.text

    def sync_of(self, booking_id: str) -> dict:
        answer = self.call("GET", f"/bookings/{booking_id}/sync")
        assert answer.status_code == 200, answer.text
        return answer.json()["workers"]

    def settled(self, timeout: float = 20) -> None:
        """Wait until no worker has a pending look and no sync holds an account."""

        def quiet() -> bool:
            workers = self.stack.db.collection(f"companies/{self.id}/workers").stream()
            markers = ("sync_pending_since", "push_pending_since")
            if any(w.to_dict().get(m) for w in workers for m in markers):
                return False
            accounts = self.stack.db.collection(f"companies/{self.id}/accounts").stream()
            return not any(a.to_dict().get("sync_lease") for a in accounts)

        wait_until(quiet, timeout=timeout, what="every sync settled")

    def calendar_id(self, worker_id: str) -> str:
        """The company calendar of the worker's Google account, as stored."""
        return self.account(self.account_sub(worker_id))["company_calendar_id"]

    def events(self, email: str, worker_id: str, *, deleted: bool = False) -> list[dict]:
        """The events in the company calendar of `worker_id`'s account."""
        return self.stack.google.events(email, self.calendar_id(worker_id), deleted=deleted)

    def events_of(self, email: str, worker_id: str, booking_id: str) -> list[dict]:
        return [
            event
            for event in self.events(email, worker_id)
            if event.get("extendedProperties", {}).get("private", {}).get("booking_id")
            == booking_id
            and event["extendedProperties"]["private"]["worker_id"] == worker_id
        ]

    def calls(self) -> dict[str, int]:
        """Calendar API calls since the last `forget_calls` (token calls left out)."""
        return {
            method: count
            for method, count in self.stack.google.call_counts().items()
            if method.startswith("calendar.") or method == "batch"
        }

    def forget_calls(self) -> None:
        self.stack.google.reset_request_log()


@pytest.fixture
def company(stack) -> PushCompany:
    """Acme with two connected workers (Ann, Ben), each on their own Google account."""
    company = PushCompany.enabled(stack)
    company.add_worker("w1", ANN, name="Ann Hansen", timezone="Europe/Oslo")
    company.add_worker("w2", BEN, name="Ben Berg", timezone="Europe/Oslo")
    for worker_id in ("w1", "w2"):
        company.connect(worker_id)
        company.wait_first_sync(worker_id)
    company.settled()
    company.forget_calls()
    return company


def pushed(company: PushCompany, booking_id: str) -> dict:
    """Wait until every sync has settled; the booking's sync state per worker then."""
    company.settled()
    return company.sync_of(booking_id)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
