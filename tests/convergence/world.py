"""One example of the convergence suite: a company of its own on the running local stack, the
operations the suite interleaves (as the platform, the account holder in Google, and Google
misbehaving), and the checks after the system has settled.

Each example gets a fresh company id and fresh Google accounts on the test's stand-in, so
examples never see each other's state; at the end the company is disabled, so the cron
jobs of later examples pass it by.

Operations change the stack and the oracle's inputs (`model.py`); `step_done` then waits
until the stack has settled, applies the rules to the oracle and compares every worker's
company calendar with it. `finish` also runs the backstop poll (and the daily reconcile when
the account holder changed events of ours or deleted a company calendar) and checks the busy
blocks and the stored versions.
"""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import requests

from shared.queue import messages
from tests.convergence.model import Block, Booking, Model, Shown, Status, Worker, busy_interval
from tests.helpers import wait_until
from tests.imports.conftest import ImportingCompany

OSLO = ZoneInfo("Europe/Oslo")
COMPANY_NAME = "Acme Plumbing"
# id: (name, colour, push_to_google, delete_from_google), as tests/push/conftest.py
STATUSES = {
    "confirmed": ("Confirmed", "#51b749", True, False),
    "tentative": ("Tentative", "#fbd75b", True, True),
    "quote": ("Quote", "#e1e1e1", False, False),
    "cancelled": ("Cancelled", "#dc2127", False, True),
}
RENAMED = {"confirmed": "Booked", "tentative": "Pencilled", "quote": "Estimate", "cancelled": "Off"}
# Ann's account is shared by w1 and w3 (a team inbox); Ben has his own.
WORKERS = {"w1": ("ann", "Ann Hansen"), "w2": ("ben", "Ben Berg"), "w3": ("ann", "Ann at work")}
HOLDER_TITLE = "Changed by the account holder"
SETTLE_SECONDS = 60
GOOGLE_TIMEOUT = 2  # seconds (GOOGLE_TIMEOUT, set for the suite in conftest.py)
SUBURB = re.compile(r"^Suburb: (.*)$", re.MULTILINE)


def day(offset: int, hour: int) -> datetime:
    """`offset` days from today at `hour`:00 in Oslo."""
    today = datetime.now(OSLO).date() + timedelta(days=offset)
    return datetime(today.year, today.month, today.day, hour, tzinfo=OSLO)


class World:
    def __init__(self, stack) -> None:
        tag = uuid.uuid4().hex[:10]
        self.stack = stack
        self.google = stack.google
        self.company = ImportingCompany(stack, f"cv-{tag}")
        self.emails = {"ann": f"ann.{tag}@example.com", "ben": f"ben.{tag}@example.com"}
        self.model = Model(
            statuses={sid: Status(f[0], f[2], f[3]) for sid, f in STATUSES.items()},
            workers={w: Worker(self.emails[a]) for w, (a, _) in WORKERS.items()},
        )
        self.sent: dict[str, list[dict]] = {}  # booking id: bodies applied, in order
        self.personal: dict[str, list[str]] = {email: [] for email in self.emails.values()}
        self.trace: list[str] = []  # what this example did, for a failure's report

    # -- set-up and tear-down ---------------------------------------------------------

    def start(self) -> None:
        self.google.clear_faults()
        self.company.enable(company_name=COMPANY_NAME)
        for status_id, fields in STATUSES.items():
            self.company.put_status(status_id, *fields)
        for worker_id, (account, name) in WORKERS.items():
            email = f"{worker_id}.{self.emails[account]}"
            self.company.add_worker(worker_id, email, name=name, timezone="Europe/Oslo")
        for worker_id, (account, _) in WORKERS.items():
            answer = self.company.connect(worker_id, email=self.emails[account])
            assert answer.get("google_calendar") == "connected", answer
        for worker_id in WORKERS:
            self.company.wait_first_sync(worker_id)
        self.settle()
        wait_until(self._importing, timeout=SETTLE_SECONDS, what="both primaries imported")

    def _importing(self) -> bool:
        imports = self.company.imports()
        return {i.get("calendar_id") for i in imports} == set(self.emails.values()) and all(
            i.get("channel") and i.get("last_import_at") for i in imports
        )

    def stop(self) -> None:
        """Out of the way of later examples: faults off, the company disabled."""
        self.google.clear_faults()
        self.company.enable(company_name=COMPANY_NAME, enabled=False)

    # -- settling and checking --------------------------------------------------------

    def settle(self) -> None:
        self.company.settled(timeout=SETTLE_SECONDS)

    def step_done(self) -> None:
        """The stack settled after a step: the oracle applies the rules, and every company
        calendar must hold exactly what it says."""
        self.settle()
        now = datetime.now(UTC)
        wrote = self.model.look(now)
        for email in sorted(self.model.gone):
            if self.company_calendars(email):
                self.model.calendar_made_again(email, now)
        for email in sorted(wrote & self.model.gone):
            raise AssertionError(
                f"a change was due in {email}'s deleted company calendar, and none was made again"
            )
        self.check_calendars()

    def company_calendars(self, email: str) -> list[str]:
        """The live calendars named after the company in the account."""
        return [
            entry["id"]
            for entry in self.google.calendar_list(email)
            if entry.get("summary") == COMPANY_NAME
            and not entry.get("deleted")
            and not entry.get("primary")
        ]

    def check_calendars(self) -> None:
        for email in sorted(self.emails.values()):
            calendars = self.company_calendars(email)
            if email in self.model.gone:
                assert calendars == [], f"{email}: {calendars}"
                continue
            assert len(calendars) == 1, f"{email} has company calendars {calendars}"
            shown: dict = {}
            foreign: list[str] = []
            for event in self.google.events(email, calendars[0]):
                private = (event.get("extendedProperties") or {}).get("private") or {}
                if "key" not in private:
                    foreign.append(event.get("summary"))
                    continue
                assert private.get("company_id") == self.company.id, event
                kind, _, item_id = private["key"].partition(":")
                shown.setdefault((private["worker_id"], (kind, item_id)), []).append(_shown(event))
            expected = self.model.expected(email)
            twice = {slot: found for slot, found in shown.items() if len(found) > 1}
            assert not twice, f"{email}: more than one event for {twice}"
            actual = {slot: found[0] for slot, found in shown.items()}
            _assert_same(email, expected, actual, self.trace)
            assert sorted(foreign) == sorted(self.model.foreign.get(email, ())), (
                f"{email}: the holder's own events {foreign}"
            )

    def finish(self) -> None:
        """After the last step: repair drift if any was made, poll, and check everything."""
        self.step_done()
        if self.model.drifted or self.model.gone:
            self.trace.append("reconcile")
            self.company.cron("reconcile")
            self.settle()
            now = datetime.now(UTC)
            for email in sorted(self.model.gone):
                assert self.company_calendars(email), f"{email}: no company calendar made again"
                self.model.calendar_made_again(email, now)
            self.model.reconciled(now)
            self.check_calendars()
        self.check_busy_blocks()
        self.check_versions()
        self.check_booking_sync()

    def check_busy_blocks(self) -> None:
        before = datetime.now(UTC)
        self.google.clear_faults()  # a held notification goes now
        self.company.poll_all()
        self.company.imported(after=before)
        now = datetime.now(UTC)
        expected = {}
        for email in self.emails.values():
            for event in self.google.events(email, "primary", deleted=True):
                busy = busy_interval(event, now)
                if busy is not None:
                    expected[(email, event["id"])] = busy
        stored = self.company.stored_blocks()
        keys = [(b["calendar_id"], b["event_id"]) for b in stored]
        assert len(keys) == len(set(keys)), f"a busy block stored twice: {sorted(keys)}"
        actual = {(b["calendar_id"], b["event_id"]): _busy(b) for b in stored}
        assert actual == expected, f"busy blocks:\n stored {actual}\n expected {expected}"

    def check_versions(self) -> None:
        for booking_id, booking in self.model.bookings.items():
            doc = self.stack.db.document(f"companies/{self.company.id}/bookings/{booking_id}")
            stored = doc.get().to_dict()
            assert (stored["version"], bool(stored.get("deleted"))) == (
                booking.version,
                booking.deleted,
            ), f"booking {booking_id}: {stored} but the last sent is {booking}"
        for block_id, block in self.model.blocks.items():
            doc = self.stack.db.document(f"companies/{self.company.id}/unavailability/{block_id}")
            stored = doc.get().to_dict()
            assert (stored["version"], bool(stored.get("deleted"))) == (
                block.version,
                block.deleted,
            ), f"block {block_id}: {stored} but the last sent is {block}"

    def check_booking_sync(self) -> None:
        """`GET /bookings/{id}/sync` agrees: nothing pending or failed, synced where pushed."""
        now = datetime.now(UTC)
        for booking_id in self.model.bookings:
            answer = self.company.call("GET", f"/bookings/{booking_id}/sync")
            assert answer.status_code == 200, (booking_id, answer.status_code, answer.text)
            states = {w: s["state"] for w, s in answer.json()["workers"].items()}
            assert not {"pending", "failed"} & set(states.values()), (booking_id, states)
            for worker_id in WORKERS:
                wish = self.model.wish((worker_id, ("booking", booking_id)), now)[0]
                if wish == "push":
                    assert states.get(worker_id) == "synced", (booking_id, worker_id, states)

    # -- the platform ------------------------------------------------------------------

    def booking_body(self, version, workers, status, offset, hour, hours, suburb) -> dict:
        start = day(offset, hour)
        return {
            "version": version,
            "status_id": status,
            "start": start.isoformat(),
            "end": (start + timedelta(hours=hours)).isoformat(),
            "timezone": "Europe/Oslo",
            "worker_ids": list(workers),
            "customer": {"name": "Ada Lovelace", "phone": "+47 22 00 00 00"},
            "addresses": ["1 Analytical Way, Oslo"],
            "suburb": suburb,
            "service": {"name": "Boiler service", "description": "Annual check"},
            "currency_symbol": "kr",
            "amount": 1250,
            "properties": {},
            "created_by": "Grace",
            "created_at": "2026-01-20T10:00:00+01:00",
        }

    def next_version(self, booking_id: str, jump: int = 1) -> int:
        current = self.model.bookings.get(booking_id)
        return (current.version if current else 0) + jump

    def put_booking(self, booking_id, workers, status, offset, hour, hours, suburb, jump=1):
        body = self.booking_body(
            self.next_version(booking_id, jump), workers, status, offset, hour, hours, suburb
        )
        self.trace.append(
            f"put {booking_id} {body['version']} {workers} {status} "
            f"day {offset} {hour}h+{hours} {suburb}"
        )
        self._send_booking(booking_id, body)

    def _send_booking(self, booking_id: str, body: dict) -> None:
        answer = self.company.put(booking_id, body)
        assert answer == {"applied": True}, (booking_id, body["version"], answer)
        self._booked(booking_id, body)

    def _booked(self, booking_id: str, body: dict) -> None:
        self.sent.setdefault(booking_id, []).append(body)
        self.model.bookings[booking_id] = Booking(
            generation=_next_generation(self.model.bookings.get(booking_id)),
            version=body["version"],
            status=body["status_id"],
            workers=tuple(body["worker_ids"]),
            start=datetime.fromisoformat(body["start"]),
            end=datetime.fromisoformat(body["end"]),
            suburb=body["suburb"],
        )

    def resend(self, booking_id: str, which: int) -> None:
        """Deliver again a snapshot sent before (the last one: a duplicate; an earlier one:
        reordered, late): ignored either way."""
        bodies = self.sent.get(booking_id)
        if not bodies:
            return
        body = bodies[which % len(bodies)]
        self.trace.append(f"resend {booking_id} {body['version']}")
        assert self.company.put(booking_id, body) == {"applied": False}

    def delete_booking(self, booking_id: str) -> None:
        version = self.next_version(booking_id)
        self.trace.append(f"delete {booking_id} {version}")
        assert self.company.delete(booking_id, version) == {"applied": True}
        self._deleted(booking_id, version)

    def _deleted(self, booking_id: str, version: int) -> None:
        current = self.model.bookings.get(booking_id)
        if current is None:  # a delete that overtook the booking's first snapshot
            current = Booking(0, "quote", (), day(1, 9), day(1, 10), "")
        self.model.bookings[booking_id] = replace(current, version=version, deleted=True)

    def burst(self, changes: list[tuple]) -> None:
        """Several bookings changed at the same moment (one change each)."""

        def send(change):
            kind, booking_id, args = change
            if kind == "delete":
                return self.company.call("DELETE", f"/bookings/{booking_id}?version={args}")
            return self.company.call("PUT", f"/bookings/{booking_id}", json=args)

        planned = []
        for kind, booking_id, args in changes:
            if kind == "delete":
                planned.append(("delete", booking_id, self.next_version(booking_id)))
            else:
                planned.append(
                    ("put", booking_id, self.booking_body(self.next_version(booking_id), *args))
                )
        self.trace.append(
            f"burst {[(k, b, a if k == 'delete' else a['version']) for k, b, a in planned]}"
        )
        with ThreadPoolExecutor(len(planned)) as pool:
            answers = list(pool.map(send, planned))
        for (kind, booking_id, args), answer in zip(planned, answers, strict=True):
            assert answer.status_code == 200 and answer.json() == {"applied": True}, answer.text
            if kind == "delete":
                self._deleted(booking_id, args)
            else:
                self._booked(booking_id, args)

    def put_block(self, block_id, worker_id, offset, hour, title) -> None:
        current = self.model.blocks.get(block_id)
        version = (current.version if current else 0) + 1
        start = day(offset, hour)
        body = {
            "version": version,
            "worker_id": worker_id,
            "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(),
        }
        if title:
            body["title"] = title
        self.trace.append(f"block {block_id} {version} {worker_id} day {offset} {hour}h {title}")
        answer = self.company.call("PUT", f"/unavailability/{block_id}", json=body)
        assert answer.status_code == 200 and answer.json() == {"applied": True}, answer.text
        self.model.blocks[block_id] = Block(
            version,
            worker_id,
            start,
            start + timedelta(hours=2),
            title,
            generation=_next_generation(current),
        )

    def delete_block(self, block_id: str) -> None:
        current = self.model.blocks.get(block_id)
        if current is None:
            return
        version = current.version + 1
        self.trace.append(f"delete block {block_id} {version}")
        answer = self.company.call("DELETE", f"/unavailability/{block_id}?version={version}")
        assert answer.status_code == 200 and answer.json() == {"applied": True}, answer.text
        self.model.blocks[block_id] = replace(current, version=version, deleted=True)

    def set_status(self, status_id: str, push: bool, delete: bool, renamed: bool) -> None:
        name, colour, _, _ = STATUSES[status_id]
        name = RENAMED[status_id] if renamed else name
        self.trace.append(f"status {status_id} {name} push={push} delete={delete}")
        self.company.put_status(status_id, name, colour, push, delete)
        self.model.statuses[status_id] = Status(name, push, delete)

    def set_active(self, worker_id: str, active: bool) -> None:
        account, name = WORKERS[worker_id]
        email = f"{worker_id}.{self.emails[account]}"
        self.trace.append(f"worker {worker_id} active={active}")
        self.company.add_worker(worker_id, email, name=name, timezone="Europe/Oslo", active=active)
        self.model.workers[worker_id] = replace(self.model.workers[worker_id], active=active)

    def duplicate_look(self, worker_id: str) -> None:
        """A duplicated task: the same look asked for again."""
        self.trace.append(f"duplicate look {worker_id}")
        messages.request_sync(self.stack.config, self.company.id, worker_id)

    # -- the account holder in Google -----------------------------------------------------

    def holder_edits_ours(self, pick: int, how: str) -> None:
        """The account holder retitles, moves or deletes one of our events."""
        present = sorted(self.model.google)
        if not present:
            return
        slot = present[pick % len(present)]
        email = self.model.workers[slot[0]].email
        (calendar_id,) = self.company_calendars(email)
        (event,) = [
            e
            for e in self.google.events(email, calendar_id)
            if (e.get("extendedProperties") or {}).get("private", {}).get("worker_id") == slot[0]
            and e["extendedProperties"]["private"]["key"] == ":".join(slot[1])
        ]
        shown = self.model.google[slot]
        self.trace.append(f"holder {how} {slot}")
        if how == "delete":
            self.google.delete_event(email, calendar_id, event["id"])
            self.model.holder_edited(slot, None)
        elif how == "retitle":
            self.google.patch_event(email, calendar_id, event["id"], {"summary": HOLDER_TITLE})
            self.model.holder_edited(
                slot, Shown(HOLDER_TITLE, shown.start, shown.end, shown.suburb)
            )
        else:
            hour = timedelta(hours=1)
            self.google.patch_event(
                email,
                calendar_id,
                event["id"],
                {
                    "start": {"dateTime": (shown.start + hour).isoformat()},
                    "end": {"dateTime": (shown.end + hour).isoformat()},
                },
            )
            self.model.holder_edited(
                slot, Shown(shown.title, shown.start + hour, shown.end + hour, shown.suburb)
            )

    def holder_adds_to_company_calendar(self, account: str) -> None:
        """The holder's own event in our calendar: not ours to touch, not busy time."""
        email = self.emails[account]
        calendars = self.company_calendars(email)
        if not calendars:
            return
        summary = f"Own note {len(self.model.foreign.get(email, ())) + 1}"
        self.trace.append(f"holder adds {summary!r} to {account}'s company calendar")
        self.google.insert_event(email, calendars[0], _timed(summary, day(2, 7), 1))
        self.model.foreign.setdefault(email, set()).add(summary)

    def personal_event(self, account: str, kind: str, offset: int, hour: int) -> None:
        email = self.emails[account]
        body = _timed(f"Personal {kind}", day(offset, hour), 1)
        if kind == "free":
            body["transparency"] = "transparent"
        elif kind == "declined":
            body["attendees"] = [
                {"email": email, "responseStatus": "declined"},
                {"email": "organiser@example.com", "responseStatus": "accepted"},
            ]
        elif kind == "working":
            body["eventType"] = "workingLocation"  # free by its type alone
            body["workingLocationProperties"] = {"type": "homeOffice", "homeOffice": {}}
        elif kind == "all_day":
            first = day(offset, hour).date()
            body["start"] = {"date": first.isoformat()}
            body["end"] = {"date": (first + timedelta(days=1)).isoformat()}
        self.trace.append(f"personal {kind} {account} day {offset} {hour}h")
        event = self.google.insert_event(email, "primary", body)
        self.personal[email].append(event["id"])

    def personal_edit(self, account: str, pick: int, how: str) -> None:
        email = self.emails[account]
        live = [e for e in self.google.events(email, "primary") if e["id"] in self.personal[email]]
        if not live:
            return
        event = live[pick % len(live)]
        self.trace.append(f"personal {how} {account} {event['summary']}")
        if how == "delete":
            self.google.delete_event(email, "primary", event["id"])
        elif how == "move":
            if "date" in event["start"]:
                first = datetime.fromisoformat(event["start"]["date"]).date() + timedelta(days=1)
                change = {
                    "start": {"date": first.isoformat()},
                    "end": {"date": (first + timedelta(days=1)).isoformat()},
                }
            else:
                start = datetime.fromisoformat(event["start"]["dateTime"]) + timedelta(hours=3)
                change = {
                    "start": {"dateTime": start.isoformat()},
                    "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
                }
            self.google.patch_event(email, "primary", event["id"], change)
        elif event.get("eventType") != "workingLocation":
            transparency = "transparent" if how == "free" else "opaque"
            self.google.patch_event(email, "primary", event["id"], {"transparency": transparency})

    # -- Google misbehaving ---------------------------------------------------------------

    def primary_channel(self, account: str) -> str:
        state = self.company.import_of(self.emails[account])
        assert state and state.get("channel"), state
        return state["channel"]["id"]

    def lose_notifications(self, account: str, count: int, late: bool) -> None:
        """The next `count` notifications of the account's primary calendar are lost (or
        held back until the end of the example)."""
        channel = self.primary_channel(account)
        self.trace.append(f"{'delay' if late else 'drop'} {count} notifications of {account}")
        if late:
            self.google.delay_notifications(600, count=count, channel_id=channel)
        else:
            self.google.drop_notifications(count, channel_id=channel)

    def poll(self) -> None:
        """The backstop poll (`/cron/poll`, every calendar), and its imports finished."""
        self.trace.append("poll")
        before = datetime.now(UTC)
        self.company.poll_all()
        self.company.imported(after=before)

    def invalidate_sync_tokens(self, account: str) -> None:
        self.trace.append(f"invalidate sync tokens of {account}")
        self.google.invalidate_sync_tokens(self.emails[account], "primary")

    def delete_company_calendar(self, account: str) -> None:
        """The holder deletes our calendar. Its calendar list's channel rings: wait until the
        product has looked at the list again (it may make the calendar anew then)."""
        email = self.emails[account]
        calendars = self.company_calendars(email)
        if not calendars:
            return
        self.trace.append(f"holder deletes {account}'s company calendar")
        sub = self.company.account_sub(self._worker_of(account))
        channel = (self.company.account(sub).get("calendar_list_channel") or {}).get("id")
        heard = self._answered(channel)
        self.google.delete_calendar(email, calendars[0])
        self.model.calendar_deleted(email)
        if channel:  # (not `wait_for_notifications`: other channels may hold messages back)
            wait_until(
                lambda: self._answered(channel) > heard,
                timeout=SETTLE_SECONDS,
                what="the calendar list's notification answered",
            )

        def list_read_again() -> bool:
            account_doc = self.company.account(sub)
            asked, done = account_doc.get("calendars_requested_at"), account_doc.get("set_up_at")
            return asked is None or (done is not None and done >= asked)

        wait_until(list_read_again, timeout=SETTLE_SECONDS, what="the calendar list read again")

    def _answered(self, channel_id: str | None) -> int:
        """Notifications to the channel our webhook has answered so far."""
        return sum(
            1
            for delivery in self.google.notifications()
            if delivery.get("channelId") == channel_id and delivery.get("status") is not None
        )

    def fault(self, status: int, reason: str | None, count: int, done: bool = False) -> None:
        """Google fails the next `count` Calendar API calls (`done`: after doing them)."""
        self.trace.append(f"fault {status} {reason} x{count}{' done' if done else ''}")
        # Those of an earlier step not used up yet go: a task failing many times in a row
        # waits minutes in Cloud Tasks' backoff.
        self.google.faults.clear()
        self.google.inject_fault(status, reason, count=count, done=done)

    def timeout(self, count: int) -> None:
        """Google answers the next `count` Calendar API calls only after we gave up on them."""
        self.trace.append(f"timeout x{count}")
        self.google.faults.clear()
        self.google.add_latency(GOOGLE_TIMEOUT + 1.5, count=count)

    def clear_faults(self) -> None:
        self.google.clear_faults()

    def revoke(self, account: str) -> None:
        """The holder removes our access in their Google account: the tokens die."""
        email = self.emails[account]
        self.trace.append(f"revoke {account}")
        answer = requests.post(
            f"{self.google.base_url}/_test/accounts/{email}/revoke-tokens", timeout=10
        )
        assert answer.status_code == 200, answer.text
        self.company.forget_access_token(self.company.account_sub(self._worker_of(account)))

    def reconnect(self, account: str) -> None:
        """A worker on the account notices (`needs_reauth`, the admin is told) and goes
        through Google's consent again; every worker on the account is connected again."""
        workers = [w for w, (a, _) in WORKERS.items() if a == account]
        self.company.call("POST", f"/workers/{workers[0]}/resync")
        for worker_id in workers:
            wait_until(
                lambda w=worker_id: self.company.connection(w)["state"] == "needs_reauth",
                timeout=SETTLE_SECONDS,
                what=f"{worker_id} told to reconnect",
            )
        active = [w for w in workers if self.model.workers[w].active]
        if not active:  # an inactive worker cannot connect: the admin reactivates one first
            self.set_active(workers[0], True)
            active = workers[:1]
        self.trace.append(f"reconnect {account} through {active[0]}")
        answer = self.company.connect(active[0], email=self.emails[account])
        assert answer.get("google_calendar") == "connected", answer
        for worker_id in workers:
            wait_until(
                lambda w=worker_id: self.company.connection(w)["state"] == "connected",
                timeout=SETTLE_SECONDS,
                what=f"{worker_id} connected again",
            )

    def _worker_of(self, account: str) -> str:
        return next(w for w, (a, _) in WORKERS.items() if a == account)


def _next_generation(current: Booking | Block | None) -> int:
    """A snapshot after a delete starts a new generation (its events get new ids)."""
    if current is None:
        return 0
    return current.generation + 1 if current.deleted else current.generation


def _timed(summary: str, start: datetime, hours: int) -> dict:
    return {
        "summary": summary,
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + timedelta(hours=hours)).isoformat()},
    }


def _shown(event: dict) -> Shown:
    suburb = SUBURB.search(event.get("description") or "")
    return Shown(
        event.get("summary"),
        datetime.fromisoformat(event["start"]["dateTime"].replace("Z", "+00:00")),
        datetime.fromisoformat(event["end"]["dateTime"].replace("Z", "+00:00")),
        suburb.group(1) if suburb else None,
    )


def _busy(block: dict) -> tuple:
    if block.get("all_day"):
        return (
            "day",
            date.fromisoformat(block["start_date"]),
            date.fromisoformat(block["end_date"]),
        )
    return ("timed", block["start"], block["end"])


def _assert_same(email: str, expected: dict, actual: dict, trace: list[str]) -> None:
    if expected == actual:
        return
    lines = [f"{email}'s company calendar differs from the desired state:"]
    for slot in sorted(expected.keys() | actual.keys()):
        want, got = expected.get(slot), actual.get(slot)
        if want != got:
            lines.append(f"  {slot}: expected {want}, found {got}")
    lines.append("after: " + " | ".join(trace))
    raise AssertionError("\n".join(lines))
