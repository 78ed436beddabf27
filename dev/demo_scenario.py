"""The scripted part of `make demo`: one company's week, driven as the platform and Google would.

Against a running local stack (`make run`, or the tests' `stack` fixture) and nothing else:
the public HTTP API (docs/api.md) as the platform's admin, the Google stand-in's consent
page as each worker, and the stand-in's `/_test/` hooks as the Google account holders.

Acme Plumbing runs its own Google Workspace (acme.example) with a private OAuth client and a
domain-wide delegation key. Eve's platform address is in the Workspace, so delegation
connects her with no click; Ann and Bob sign in to their own Workspace accounts on the
consent screen; Cat and Dan share the crew's account. Then a week of bookings and
unavailable time goes out, and the account holders change things in Google: Ann books the
dentist, Bob cancels a private job, the crew signs up for a weekly class.

`run()` waits on each outcome through the API (never a fixed sleep), prints a line per step
with how long it took, and raises `DemoFailed` when something does not happen in time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

import requests

from dev import connect, tokens
from shared.config import Config
from shared.google.oauth import REQUIRED_SCOPES

T = TypeVar("T")

COMPANY_NAME = "Acme Plumbing"
DOMAIN = "acme.example"
ZONE_NAME = "Europe/London"
ZONE = ZoneInfo(ZONE_NAME)
PRIVATE_CLIENT = {
    "client_id": "acme-workspace.apps.googleusercontent.com",
    "client_secret": "acme-workspace-client-secret",
}
CREW = f"crew@{DOMAIN}"  # the account Cat and Dan share
TIMEOUT = 30  # seconds any one outcome may take before the demo gives up
HTTP_TIMEOUT = 30
CLASS_WEEKS = 4


@dataclass(frozen=True)
class Worker:
    id: str
    name: str
    email: str  # the platform's address for the worker (where invitations go)
    google: str  # the Google account the worker's calendar lives in

    @property
    def delegated(self) -> bool:
        """Delegation covers workers whose platform address is in the Workspace."""
        return self.email.endswith("@" + DOMAIN)


WORKERS = (
    Worker("ann", "Ann Hansen", "ann.hansen@example.net", f"ann@{DOMAIN}"),
    Worker("bob", "Bob Okafor", "bob.okafor@example.net", f"bob@{DOMAIN}"),
    Worker("cat", "Cat Silva", "cat.silva@example.net", CREW),
    Worker("dan", "Dan Novak", "dan.novak@example.net", CREW),
    Worker("eve", "Eve Larsen", f"eve@{DOMAIN}", f"eve@{DOMAIN}"),
)
BY_ID = {worker.id: worker for worker in WORKERS}

# id: name, colour, push_to_google, delete_from_google
STATUSES = {
    "confirmed": ("Confirmed", "#51b749", True, False),
    "tentative": ("Tentative", "#fbd75b", True, True),
    "quote": ("Quote", "#e1e1e1", False, False),
}
PUSHED_STATUSES = frozenset(s for s, (_n, _c, push, _d) in STATUSES.items() if push)

SERVICES = (
    ("Boiler service", "Annual check and flue test", 95),
    ("Leaking tap", "Replace washer or cartridge", 60),
    ("Blocked drain", "Rod and jet, CCTV if needed", 120),
    ("Radiator install", "Fit and balance one radiator", 240),
    ("Bathroom refit survey", "Measure up and quote", 0),
    ("Water heater repair", "Thermostat and element", 150),
)
CUSTOMERS = (
    ("Ada Byron", "Camden"),
    ("Brunel & Sons", "Rotherhithe"),
    ("Clara Barton", "Hackney"),
    ("Dorothy Hodgkin", "Islington"),
    ("Edith Clarke", "Brixton"),
    ("Florence Nightingale", "Lambeth"),
    ("Grace Hopper", "Greenwich"),
)
# (hour, minutes long) of the day's job slots
SLOTS = ((8, 120), (11, 120), (14, 150))


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


@dataclass
class Week:
    """The bookings and unavailable blocks the platform mirrors here, and the Google events
    the account holders have or make, all relative to `first` (tomorrow)."""

    first: date
    bookings: dict[str, dict] = field(default_factory=dict)
    unavailable: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def starting(cls, first: date) -> Week:
        week = cls(first)
        week.unavailable = {
            "u-bob-van": week._block("bob", 1, 13, 4 * 60, "Van in for its MOT"),
            "u-eve-course": week._block("eve", 3, 8, 9 * 60, "Gas safety course"),
            "u-ann-off": week._block("ann", 4, 8, 10 * 60, "Day off"),
        }
        number = 0
        for offset in range(7):
            for index, worker in enumerate(WORKERS):
                for slot, (hour, minutes) in enumerate(SLOTS):
                    if (offset + index + slot) % 3 == 0:
                        continue  # about two jobs a day each
                    start = _at(first + timedelta(days=offset), hour)
                    end = start + timedelta(minutes=minutes)
                    if week._unavailable(worker.id, start, end):
                        continue
                    number += 1
                    status = "quote" if number % 9 == 4 else "confirmed"
                    status = "tentative" if number % 7 == 2 else status
                    week.bookings[f"b{number:03}"] = week._booking(
                        number, start, end, [worker.id], status
                    )
        # A two-person job for the crew: both workers, one Google account between them.
        start = _at(first + timedelta(days=1), 17)
        week.bookings["b-crew-swap"] = week._booking(
            number + 1, start, start + timedelta(minutes=90), ["cat", "dan"], "confirmed"
        )
        return week

    def _block(self, worker_id: str, offset: int, hour: int, minutes: int, title: str) -> dict:
        start = _at(self.first + timedelta(days=offset), hour)
        end = start + timedelta(minutes=minutes)
        return {
            "version": 1,
            "worker_id": worker_id,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "title": title,
        }

    def _unavailable(self, worker_id: str, start: datetime, end: datetime) -> bool:
        return any(
            block["worker_id"] == worker_id
            and datetime.fromisoformat(block["start"]) < end
            and datetime.fromisoformat(block["end"]) > start
            for block in self.unavailable.values()
        )

    @staticmethod
    def _booking(
        number: int, start: datetime, end: datetime, worker_ids: list[str], status: str
    ) -> dict:
        service, description, amount = SERVICES[number % len(SERVICES)]
        customer, suburb = CUSTOMERS[number % len(CUSTOMERS)]
        return {
            "version": 1,
            "status_id": status,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "timezone": ZONE_NAME,
            "worker_ids": worker_ids,
            "customer": {"name": customer, "phone": f"+44 20 7946 0{number % 1000:03}"},
            "addresses": [f"{10 + number} High Street, {suburb}, London"],
            "suburb": suburb,
            "service": {"name": service, "description": description},
            "currency_symbol": "£",
            "amount": amount,
            "properties": {"access": "Ring twice"},
            "created_by": "Olivia (office)",
            "created_at": datetime.now(ZONE).replace(microsecond=0).isoformat(),
        }

    def pushed_to(self, worker_id: str) -> set[str]:
        """What the worker's company calendar should hold: booking and block ids."""
        return {
            booking_id
            for booking_id, booking in self.bookings.items()
            if worker_id in booking["worker_ids"] and booking["status_id"] in PUSHED_STATUSES
        } | {block_id for block_id, b in self.unavailable.items() if b["worker_id"] == worker_id}

    def first_job(self, worker_id: str, offset: int) -> tuple[str, dict]:
        """The worker's first pushed booking on day `offset` or later."""
        return min(
            (
                (b["start"], booking_id, b)
                for booking_id, b in self.bookings.items()
                if b["worker_ids"] == [worker_id]
                and b["status_id"] in PUSHED_STATUSES
                and date.fromisoformat(b["start"][:10]) >= self.first + timedelta(days=offset)
            ),
        )[1:]

    def timed(self, summary: str, start: datetime, minutes: int, **fields: Any) -> dict:
        end = start + timedelta(minutes=minutes)
        return {
            "summary": summary,
            "start": {"dateTime": start.isoformat(), "timeZone": ZONE_NAME},
            "end": {"dateTime": end.isoformat(), "timeZone": ZONE_NAME},
            **fields,
        }


class DemoFailed(RuntimeError):
    """Something the demo shows did not happen (in time)."""


@dataclass
class Outcome:
    """What the run measured, for the closing lines and for tests."""

    seconds: float = 0.0
    connected: dict[str, str] = field(default_factory=dict)  # worker id -> Google address
    events: dict[str, int] = field(default_factory=dict)  # Google address -> events held
    lags: dict[str, float] = field(default_factory=dict)  # what -> seconds
    google_events: dict[str, str] = field(default_factory=dict)  # what -> Google event id
    week: Week | None = None


class _Demo:
    def __init__(self, config: Config, company_id: str, say: Callable[[str], None]) -> None:
        self.config = config
        self.company_id = company_id
        self.say = say
        self.base = config.public_base_url.rstrip("/")
        self.google = (config.google_api_base or "").rstrip("/")
        self.http = requests.Session()
        self.http.trust_env = False  # every address here is local: no proxy in between
        self.admin = tokens.platform_token(config, "admin", company_id)
        self.outcome = Outcome()
        self.enabled_at = time.monotonic()  # when the integration was switched on

    # -- the platform's calls and the account holders' hooks --------------------------
    def api(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.admin}"}
        answer = self.http.request(
            method, self.base + path, headers=headers, timeout=HTTP_TIMEOUT, **kwargs
        )
        if answer.status_code != expect:
            raise DemoFailed(f"{method} {path} answered {answer.status_code}: {answer.text[:300]}")
        return answer.json() if answer.content else None

    def hook(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.http.request(method, self.google + path, timeout=HTTP_TIMEOUT, **kwargs)
        if answer.status_code >= 300:
            raise DemoFailed(f"Google stand-in: {method} {path} answered {answer.status_code}")
        return answer.json() if answer.content else None

    def events_hook(self, email: str, calendar_id: str) -> str:
        return f"/_test/accounts/{quote(email)}/calendars/{quote(calendar_id, safe='')}/events"

    def wait(self, what: str, check: Callable[[], T], timeout: float = TIMEOUT) -> T:
        """Poll `check` until it answers something truthy; raise DemoFailed after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            found = check()
            if found:
                return found
            if time.monotonic() > deadline:
                raise DemoFailed(f"{what}: not seen within {timeout:.0f} s")
            time.sleep(0.05)

    def busy(self, first: date, days: int) -> list[dict]:
        """GET /calendar's Google busy blocks from midnight of `first`, for `days` days."""
        since = _at(first, 0)
        query = {"from": since.isoformat(), "to": (since + timedelta(days=days)).isoformat()}
        return self.api("GET", "/calendar", params=query)["busy"]

    # -- the story ----------------------------------------------------------------------
    def set_up(self, week: Week) -> None:
        for status_id, (name, color, push, delete) in STATUSES.items():
            body = {
                "name": name,
                "color": color,
                "push_to_google": push,
                "delete_from_google": delete,
            }
            self.api("PUT", f"/booking-statuses/{status_id}", json=body)
        pushed = ", ".join(STATUSES[s][0] for s in STATUSES if s in PUSHED_STATUSES)
        kept = ", ".join(STATUSES[s][0] for s in STATUSES if s not in PUSHED_STATUSES)
        self.say(f"  booking statuses: {pushed} go to Google; {kept} stays in the platform")
        for worker in WORKERS:
            body = {"name": worker.name, "email": worker.email, "timezone": ZONE_NAME}
            self.api("PUT", f"/workers/{worker.id}", json={**body, "active": True})
        self.say(
            f"  {len(WORKERS)} workers: "
            + ", ".join(f"{w.name.split()[0]} <{w.email}>" for w in WORKERS)
        )
        # What the account holders already have in Google before anyone connects.
        bob, eve = BY_ID["bob"], BY_ID["eve"]
        private = week.timed("Private job: garden fence", _at(week.first + timedelta(2), 17), 150)
        self.outcome.google_events["private job"] = self.hook(
            "POST", self.events_hook(bob.google, "primary"), json=private
        )["id"]
        physio = week.timed("Physio", _at(week.first, 7), 45)
        self.outcome.google_events["physio"] = self.hook(
            "POST", self.events_hook(eve.google, "primary"), json=physio
        )["id"]
        self.say("  in Google already: Bob's private job after work, Eve's physio")

        # The Workspace admin's service-account key, allowed to act for the whole domain.
        scopes = [*sorted(REQUIRED_SCOPES), "https://www.googleapis.com/auth/userinfo.email"]
        key = self.hook(
            "POST", "/_test/service-accounts", json={"domain": DOMAIN, "scopes": scopes}
        )
        self.enabled_at = started = time.monotonic()
        settings = self.api(
            "PUT",
            "/settings",
            json={
                "company_name": COMPANY_NAME,
                "enabled": True,
                "provider": "private",
                **PRIVATE_CLIENT,
                "workspace_domain": DOMAIN,
                "service_account_key": key,
                "sync_direction": "two_way",
                "admin_email": f"office@{DOMAIN}",
            },
        )
        self.say(
            f"  integration on: {COMPANY_NAME}'s own Workspace client for {DOMAIN}, with a "
            f"domain-wide delegation key; {settings['authorization_emails_queued']} "
            f"invitation emails queued ({_ms(time.monotonic() - started)})"
        )

    def connect_workers(self, week: Week) -> None:
        # Delegation first: it needs nobody, and began when the settings were saved.
        for worker in sorted(WORKERS, key=lambda w: not w.delegated):
            started = self.enabled_at if worker.delegated else time.monotonic()
            if worker.delegated:
                how = "by domain-wide delegation, no consent screen"
            else:
                outcome = connect.connect(
                    self.config, worker.id, worker.google, self.company_id, session=self.http
                )
                if not outcome.connected:
                    raise DemoFailed(f"{worker.name} could not connect: {outcome.describe()}")
                how = "through Google's consent screen"
            status = self.wait(
                f"{worker.name}'s first sync",
                lambda w=worker: (
                    (c := self.api("GET", f"/workers/{w.id}/connection"))["state"] == "connected"
                    and c["first_sync"]["done"]
                    and c
                ),
            )
            self.outcome.connected[worker.id] = status["google_email"]
            since = "after the settings were saved" if worker.delegated else "from the link"
            self.say(
                f"  {worker.name}: connected as {status['google_email']} {how}; first sync "
                f"done {_s(time.monotonic() - started)} {since}"
            )
        # What was in Google before is busy time now.
        expected = {("bob", "Private job: garden fence"), ("eve", "Physio")}
        self.wait(
            "the events already in Google as busy time",
            lambda: expected <= {(b["worker_id"], b["summary"]) for b in self.busy(week.first, 7)},
        )
        self.say(
            "  already in Google, now busy time in GET /calendar: Bob's private job, Eve's physio"
        )
        cat, dan = (self.api("GET", f"/workers/{w}/connection") for w in ("cat", "dan"))
        shared = cat["company_calendar_id"] == dan["company_calendar_id"]
        self.say(
            f"  Cat and Dan share {CREW}: "
            + (
                f"one '{COMPANY_NAME}' calendar there holds both workers' jobs"
                if shared
                else "each has a calendar of their own there"
            )
        )
        listed = self.api("GET", "/connections")["workers"]
        connected = sum(1 for w in listed if w["state"] == "connected")
        self.say(f"  GET /connections: {connected} of {len(listed)} workers connected")

    def company_calendars(self) -> dict[str, tuple[str, list[Worker]]]:
        """Per Google account: its company calendar and the workers on it."""
        found: dict[str, tuple[str, list[Worker]]] = {}
        for worker in WORKERS:
            status = self.api("GET", f"/workers/{worker.id}/connection")
            account = (status["company_calendar_id"], [])
            found.setdefault(status["google_email"], account)[1].append(worker)
        return found

    def held(self, email: str, calendar_id: str) -> list[dict]:
        return self.hook("GET", self.events_hook(email, calendar_id))["items"]

    def push_week(self, week: Week) -> None:
        started = time.monotonic()
        body = {"bookings": [{"id": b, **booking} for b, booking in week.bookings.items()]}
        answer = self.api("POST", "/bookings:batch", json=body)
        for block_id, block in week.unavailable.items():
            self.api("PUT", f"/unavailability/{block_id}", json=block)
        sent = time.monotonic() - started
        quotes = sum(1 for b in week.bookings.values() if b["status_id"] not in PUSHED_STATUSES)
        self.say(
            f"  POST /bookings:batch: {answer['applied']} bookings for "
            f"{week.first:%a %d %b} to {week.first + timedelta(days=6):%a %d %b} "
            f"({quotes} of them quotes, which stay out of Google), and "
            f"{len(week.unavailable)} unavailable blocks (PUT /unavailability), "
            f"sent in {_ms(sent)}"
        )
        calendars = self.company_calendars()
        expected = {
            email: sum(len(week.pushed_to(w.id)) for w in workers)
            for email, (_calendar, workers) in calendars.items()
        }
        self.wait(
            "every booking in Google",
            lambda: all(
                len(self.held(email, calendar_id)) == expected[email]
                for email, (calendar_id, _workers) in calendars.items()
            ),
        )
        self.outcome.lags["week pushed"] = time.monotonic() - started
        total = sum(expected.values())
        self.say(
            f"  all {total} events are in Google {_s(time.monotonic() - started)} after the "
            "first request:"
        )
        for email, (calendar_id, workers) in calendars.items():
            events = self.held(email, calendar_id)
            self.outcome.events[email] = len(events)
            per = " + ".join(
                w.name.split()[0]
                + (
                    f" {sum(1 for e in events if _worker_of(e) == w.id)}"
                    if len(workers) > 1
                    else ""
                )
                for w in workers
            )
            self.say(f"    {email:<18} '{COMPANY_NAME}' calendar: {len(events)} events ({per})")
        crew_events = self.held(CREW, calendars[CREW][0])
        swap = [e for e in crew_events if _booking_of(e) == "b-crew-swap"]
        self.say(
            f"    the two-person job (Cat and Dan) is {len(swap)} events in {CREW}'s "
            "calendar, one per worker"
        )

    def google_changes(self, week: Week) -> None:
        ann, bob = BY_ID["ann"], BY_ID["bob"]
        # Ann books the dentist over the start of one of her jobs.
        booking_id, job = week.first_job("ann", 2)
        start = datetime.fromisoformat(job["start"]) + timedelta(minutes=30)
        changed = time.monotonic()
        dentist = self.hook(
            "POST",
            self.events_hook(ann.google, "primary"),
            json=week.timed("Dentist", start, 60),
        )
        self.outcome.google_events["dentist"] = dentist["id"]
        self.wait(
            "Ann's dentist appointment as busy time",
            lambda: any(
                b["worker_id"] == "ann" and b["summary"] == "Dentist"
                for b in self.busy(week.first, 7)
            ),
        )
        self.outcome.lags["dentist"] = lag = time.monotonic() - changed
        self.say(
            f"  Ann adds 'Dentist' {start:%a %H:%M} to her Google Calendar: a busy block "
            f"in GET /calendar {_ms(lag)} later"
        )
        since = _at(week.first, 0)
        query = {
            "from": since.isoformat(),
            "to": (since + timedelta(days=7)).isoformat(),
            "worker_ids": "ann",
        }
        conflicts = [
            c
            for c in self.api("GET", "/conflicts", params=query)["conflicts"]
            if c["booking_id"] == booking_id
        ]
        if not conflicts:
            raise DemoFailed(f"the dentist appointment does not conflict with {booking_id}")
        self.say(
            f"    GET /conflicts: it overlaps booking {booking_id} "
            f"({job['service']['name']}, {job['customer']['name']}), time to move one of them"
        )

        # Bob's private job is off: he deletes it in Google.
        changed = time.monotonic()
        event_id = self.outcome.google_events["private job"]
        self.hook("DELETE", f"{self.events_hook(bob.google, 'primary')}/{event_id}")
        self.wait(
            "Bob's cancelled private job leaving the busy time",
            lambda: not any(b["worker_id"] == "bob" for b in self.busy(week.first, 7)),
        )
        self.outcome.lags["private job"] = lag = time.monotonic() - changed
        self.say(
            f"  Bob deletes his private job from Google: its busy block is gone {_ms(lag)} later"
        )

        # The crew signs up for a weekly evening class, in the account Cat and Dan share.
        first = _at(week.first + timedelta(days=3), 18, 30)
        changed = time.monotonic()
        series = self.hook(
            "POST",
            self.events_hook(CREW, "primary"),
            json=week.timed(
                "First-aid class", first, 120, recurrence=[f"RRULE:FREQ=WEEKLY;COUNT={CLASS_WEEKS}"]
            ),
        )
        self.outcome.google_events["class"] = series["id"]

        def occurrences() -> dict[str, int]:
            found = self.busy(week.first, 7 * CLASS_WEEKS + 1)
            return {
                w: sum(
                    1 for b in found if b["worker_id"] == w and b["summary"] == "First-aid class"
                )
                for w in ("cat", "dan")
            }

        self.wait(
            "the weekly class's occurrences as busy time",
            lambda: all(n == CLASS_WEEKS for n in occurrences().values()),
        )
        self.outcome.lags["class"] = lag = time.monotonic() - changed
        self.say(
            f"  {CREW} adds a weekly 'First-aid class' ({first:%a %H:%M}, {CLASS_WEEKS} weeks): "
            f"{CLASS_WEEKS} occurrences imported {_ms(lag)} later, busy for both Cat and Dan"
        )


def _worker_of(event: dict) -> str | None:
    return event.get("extendedProperties", {}).get("private", {}).get("worker_id")


def _booking_of(event: dict) -> str | None:
    return event.get("extendedProperties", {}).get("private", {}).get("booking_id")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else _s(seconds)


def _s(seconds: float) -> str:
    return f"{seconds:.1f} s"


def run(
    config: Config,
    company_id: str = "c1",
    say: Callable[[str], None] = lambda line: print(line, flush=True),
    today: date | None = None,
) -> Outcome:
    """Play the week against the stack `config` describes; raise DemoFailed if it stalls."""
    demo = _Demo(config, company_id, say)
    started = time.monotonic()
    week = Week.starting((today or datetime.now(ZONE).date()) + timedelta(days=1))
    demo.outcome.week = week
    steps = (
        ("The admin turns the Google Calendar sync on", demo.set_up),
        ("The workers connect", demo.connect_workers),
        ("The office books the coming week", demo.push_week),
        ("Changes made in Google by the account holders", demo.google_changes),
    )
    for number, (title, step) in enumerate(steps, start=1):
        say(f"{number}. {title}")
        step(week)
    outcome = demo.outcome
    outcome.seconds = time.monotonic() - started
    blocks = demo.busy(week.first, 7 * CLASS_WEEKS + 1)
    lags = ", ".join(_ms(outcome.lags[what]) for what in ("dentist", "private job", "class"))
    say(
        f"Summary: {len(outcome.connected)} workers connected; {sum(outcome.events.values())} "
        f"events pushed to {len(outcome.events)} company calendars in "
        f"{_s(outcome.lags['week pushed'])}; {len(blocks)} busy blocks imported "
        f"(GET /calendar, next {CLASS_WEEKS} weeks); Google change to API: {lags}"
    )
    say(f"Scripted part done in {_s(outcome.seconds)}.")
    return outcome
