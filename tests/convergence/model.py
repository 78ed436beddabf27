"""The convergence suite's oracle: what every worker's company calendar should hold, kept from
the operations the test sent and the rules of DESIGN.md and docs/api.md, never from the
product's code. Pure: no HTTP, no Firestore, no Google.

One slot per (worker, item): what the worker's company calendar shows for that booking or
unavailable block (`google`), and what the product last wrote there (`links`: live,
detached or removed, with the delete flag of the status it was pushed in). After each step
has settled, `look` applies the rules to every slot:

- an item the worker should have (active worker, assigned, not deleted, a status that
  pushes; a block always) is shown with its current content: written when it differs from
  what was last written or the item came back after a delete (a new generation: a new
  event), else left as it is (an edit by the account holder stays until the item changes
  again or the daily reconcile);
- an item that ended more than `PUSH_WINDOW_DAYS` ago and would still be pushed is left as
  it is;
- an item that stops being pushed takes its event away if the status it was pushed in, or
  the status it has now, deletes from Google (a block always does); otherwise the event is
  left where it is and no longer updated (detached);
- a deleted company calendar takes every event in it; the calendar made anew holds what
  should be pushed, nothing else;
- the daily reconcile rewrites what should be pushed and differs in Google (missing or
  edited), and leaves detached events and the account holder's own events alone.

Busy blocks are judged against Google's personal events directly (`busy_interval`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

PUSH_WINDOW_DAYS = 30
IMPORT_BACK_DAYS = 30  # the import window's defaults (settings)
IMPORT_AHEAD_DAYS = 365
CUSTOMER = "Ada Lovelace"
SERVICE = "Boiler service"
UNAVAILABLE = "Unavailable"


@dataclass(frozen=True)
class Status:
    name: str
    push: bool
    delete: bool


@dataclass(frozen=True)
class Worker:
    email: str  # its Google account
    active: bool = True


@dataclass(frozen=True)
class Booking:
    version: int
    status: str
    workers: tuple[str, ...]
    start: datetime
    end: datetime
    suburb: str
    deleted: bool = False
    generation: int = 0  # one more each time it comes back after a delete


@dataclass(frozen=True)
class Block:
    version: int
    worker: str
    start: datetime
    end: datetime
    title: str | None
    deleted: bool = False
    generation: int = 0


@dataclass(frozen=True)
class Shown:
    """What one event in a company calendar shows: what the oracle compares."""

    title: str
    start: datetime
    end: datetime
    suburb: str | None = None  # bookings: the description's "Suburb:" line


@dataclass(frozen=True)
class Link:
    state: str  # "live" | "detached" | "removed"
    shown: Shown
    deletes: bool  # the delete flag of the status it was pushed in (blocks: True)
    generation: int = 0  # of the item it was written for: a revived item is written afresh


Key = tuple[str, str]  # ("booking" | "unavailable", id)
Slot = tuple[str, Key]  # (worker_id, key)

PUSH, FROZEN, LEAVE = "push", "frozen", "leave"


@dataclass
class Model:
    statuses: dict[str, Status]
    workers: dict[str, Worker]
    bookings: dict[str, Booking] = field(default_factory=dict)
    blocks: dict[str, Block] = field(default_factory=dict)
    links: dict[Slot, Link] = field(default_factory=dict)
    google: dict[Slot, Shown] = field(default_factory=dict)
    # Accounts whose company calendar the holder deleted, not made again yet.
    gone: set[str] = field(default_factory=set)
    # The holder's own events in the company calendar, by account: summaries.
    foreign: dict[str, set[str]] = field(default_factory=dict)
    drifted: bool = False  # the holder changed events of ours: the reconcile must repair

    # -- what should be -------------------------------------------------------------------

    def keys(self) -> list[Key]:
        return [("booking", b) for b in sorted(self.bookings)] + [
            ("unavailable", u) for u in sorted(self.blocks)
        ]

    def slots(self, email: str | None = None) -> list[Slot]:
        return [
            (worker_id, key)
            for worker_id, worker in sorted(self.workers.items())
            if email is None or worker.email == email
            for key in self.keys()
        ]

    def wish(self, slot: Slot, now: datetime) -> tuple[str, Shown | None, bool]:
        """(PUSH, content, delete flag) | (FROZEN, None, _) | (LEAVE, None, deletes now)."""
        worker_id, (kind, item_id) = slot
        worker = self.workers[worker_id]
        if kind == "unavailable":
            block = self.blocks[item_id]
            pushes = worker.active and not block.deleted and block.worker == worker_id
            shown = Shown(block.title or UNAVAILABLE, block.start, block.end)
            return self._windowed(pushes, shown, block.end, now, True, True)
        booking = self.bookings[item_id]
        status = self.statuses[booking.status]
        pushes = (
            worker.active and not booking.deleted and worker_id in booking.workers and status.push
        )
        title = f"{status.name}: {CUSTOMER} - {SERVICE}"
        shown = Shown(title, booking.start, booking.end, booking.suburb)
        return self._windowed(pushes, shown, booking.end, now, status.delete, status.delete)

    def generation(self, slot: Slot) -> int:
        kind, item_id = slot[1]
        return (self.blocks if kind == "unavailable" else self.bookings)[item_id].generation

    @staticmethod
    def _windowed(pushes, shown, end, now, deletes, deletes_now):
        if not pushes:
            return LEAVE, None, deletes_now
        if end <= now - timedelta(days=PUSH_WINDOW_DAYS):
            return FROZEN, None, deletes
        return PUSH, shown, deletes

    # -- what the settled system did ------------------------------------------------------

    def look(self, now: datetime) -> set[str]:
        """Every slot brought to the rules after a settled step. Returns the accounts whose
        deleted company calendar a write needed (the product makes it again then)."""
        wrote_into_gone: set[str] = set()
        for slot in self.slots():
            email = self.workers[slot[0]].email
            wish, shown, deletes = self.wish(slot, now)
            link = self.links.get(slot)
            if wish == FROZEN:
                continue
            if wish == PUSH:
                assert shown is not None
                generation = self.generation(slot)
                if (
                    link is not None
                    and link.state == "live"
                    and (link.shown, link.generation) == (shown, generation)
                ):
                    self.links[slot] = replace(link, deletes=deletes)
                    continue
                self.links[slot] = Link("live", shown, deletes, generation)
                if email in self.gone:
                    wrote_into_gone.add(email)
                else:
                    self.google[slot] = shown
                continue
            if link is None or link.state != "live":
                continue
            if link.deletes or deletes:
                self.links[slot] = replace(link, state="removed")
                self.google.pop(slot, None)
            else:
                self.links[slot] = replace(link, state="detached")
        return wrote_into_gone

    def calendar_deleted(self, email: str) -> None:
        self.gone.add(email)
        for slot in self.slots(email):
            self.google.pop(slot, None)
        self.foreign.pop(email, None)

    def calendar_made_again(self, email: str, now: datetime) -> None:
        """The new company calendar holds what should be pushed; links into the old one
        name nothing any more."""
        self.gone.discard(email)
        for slot in self.slots(email):
            wish, shown, deletes = self.wish(slot, now)
            if wish == PUSH:
                assert shown is not None
                self.links[slot] = Link("live", shown, deletes, self.generation(slot))
                self.google[slot] = shown
            else:
                self.links.pop(slot, None)
                self.google.pop(slot, None)

    def reconciled(self, now: datetime) -> None:
        """The daily drift repair: what should be pushed is rewritten where Google differs."""
        for slot in self.slots():
            if self.workers[slot[0]].email in self.gone:
                continue
            wish, shown, _ = self.wish(slot, now)
            link = self.links.get(slot)
            if wish == PUSH and link is not None and link.state == "live":
                assert shown is not None
                self.google[slot] = shown
        self.drifted = False

    # -- the account holder in Google -----------------------------------------------------

    def holder_edited(self, slot: Slot, shown: Shown | None) -> None:
        if shown is None:
            self.google.pop(slot, None)
        else:
            self.google[slot] = shown
        self.drifted = True

    def expected(self, email: str) -> dict[Slot, Shown]:
        """What the account's company calendar should hold now, by slot."""
        return {slot: shown for slot, shown in self.google.items() if slot in self.slots(email)}


# -- busy time, by Google's documented fields (GOOGLE_FACTS.md) ---------------------------


def busy_interval(event: dict, now: datetime) -> tuple | None:
    """What a personal event should be stored as: ("timed", start, end) or ("day", first,
    end_exclusive), or None when it makes nobody busy or falls outside the import window."""
    if event.get("status") == "cancelled" or event.get("transparency") == "transparent":
        return None
    if event.get("eventType") in ("workingLocation", "birthday"):
        return None
    if any(
        a.get("self") and a.get("responseStatus") == "declined"
        for a in event.get("attendees") or ()
    ):
        return None
    today = datetime.combine(now.astimezone(UTC).date(), datetime.min.time(), UTC)
    since, until = (
        today - timedelta(days=IMPORT_BACK_DAYS),
        today + timedelta(days=IMPORT_AHEAD_DAYS),
    )
    start, end = event["start"], event["end"]
    if "date" in start:
        first, last = date.fromisoformat(start["date"]), date.fromisoformat(end["date"])
        inside = (
            first - timedelta(days=1) < until.date() and last + timedelta(days=1) > since.date()
        )
        return ("day", first, last) if inside else None
    begins = datetime.fromisoformat(start["dateTime"])
    ends = datetime.fromisoformat(end["dateTime"])
    if ends <= begins or not (begins < until and ends > since):
        return None
    return ("timed", begins, ends)
