"""The operations the convergence suite interleaves, as plain values: hypothesis generates
lists of them, a failure prints as a list that a regression test can replay (`run`).

Each operation acts on a `World` (the platform's calls, the account holder in Google, Google
misbehaving); `run` waits for the stack to settle after each one and compares every company
calendar with the oracle, and checks everything once more at the end. CONVERGENCE_TRACE=1
prints what each example did (with `-s`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from hypothesis import strategies as st

from tests.convergence.world import World

BOOKINGS = ("b1", "b2")
BLOCKS = ("u1", "u2")
WORKER_IDS = ("w1", "w2", "w3")  # w1 and w3 share Ann's Google account
ACCOUNTS = ("ann", "ben")
STATUS_IDS = ("confirmed", "tentative", "quote", "cancelled")
# Days from today, weighted to the push window; -40: ended before it (30 days).
DAYS = (1, 2, -3, 5, 1, 2, -40)


@dataclass(frozen=True)
class Put:
    """PUT /bookings/{booking}: the next version (`jump` ahead of the last one sent)."""

    booking: str
    workers: tuple[str, ...]
    status: str = "confirmed"
    day: int = 1
    hour: int = 9
    hours: int = 2
    suburb: str = "Frogner"
    jump: int = 1

    def __call__(self, world: World) -> None:
        world.put_booking(
            self.booking,
            self.workers,
            self.status,
            self.day,
            self.hour,
            self.hours,
            self.suburb,
            self.jump,
        )

    def args(self) -> tuple:
        return (self.workers, self.status, self.day, self.hour, self.hours, self.suburb)


@dataclass(frozen=True)
class Resend:
    """A snapshot delivered again: the last one (a duplicate) or the first (late)."""

    booking: str
    which: int = -1

    def __call__(self, world: World) -> None:
        world.resend(self.booking, self.which)


@dataclass(frozen=True)
class Delete:
    booking: str

    def __call__(self, world: World) -> None:
        world.delete_booking(self.booking)


@dataclass(frozen=True)
class DeleteAndRevive:
    """The booking deleted and sent again at once (an undo), with no wait in between."""

    put: Put

    def __call__(self, world: World) -> None:
        world.delete_booking(self.put.booking)
        self.put(world)


@dataclass(frozen=True)
class Burst:
    """Several bookings changed at once, each once, without waiting in between."""

    changes: tuple[Put | Delete, ...]

    def __call__(self, world: World) -> None:
        world.burst(
            [
                ("delete", c.booking, None)
                if isinstance(c, Delete)
                else ("put", c.booking, c.args())
                for c in self.changes
            ]
        )


@dataclass(frozen=True)
class PutBlock:
    block: str
    worker: str
    day: int = 1
    hour: int = 12
    title: str | None = None

    def __call__(self, world: World) -> None:
        world.put_block(self.block, self.worker, self.day, self.hour, self.title)


@dataclass(frozen=True)
class DeleteBlock:
    block: str

    def __call__(self, world: World) -> None:
        world.delete_block(self.block)


@dataclass(frozen=True)
class SetStatus:
    """PUT /booking-statuses/{status}: its flags (and perhaps its name) changed."""

    status: str
    push: bool
    delete: bool
    renamed: bool = False

    def __call__(self, world: World) -> None:
        world.set_status(self.status, self.push, self.delete, self.renamed)


@dataclass(frozen=True)
class SetActive:
    worker: str
    active: bool

    def __call__(self, world: World) -> None:
        world.set_active(self.worker, self.active)


@dataclass(frozen=True)
class DuplicateLook:
    worker: str

    def __call__(self, world: World) -> None:
        world.duplicate_look(self.worker)


@dataclass(frozen=True)
class HolderEdit:
    """The account holder retitles, moves or deletes one of our events (the `pick`th)."""

    pick: int
    how: str

    def __call__(self, world: World) -> None:
        world.holder_edits_ours(self.pick, self.how)


@dataclass(frozen=True)
class HolderAddsOwn:
    """The account holder puts an event of their own into our calendar."""

    account: str

    def __call__(self, world: World) -> None:
        world.holder_adds_to_company_calendar(self.account)


@dataclass(frozen=True)
class Personal:
    """A personal event made in the holder's primary calendar: busy, free (transparent),
    declined, a working location, all day."""

    account: str
    kind: str = "busy"
    day: int = 1
    hour: int = 10

    def __call__(self, world: World) -> None:
        world.personal_event(self.account, self.kind, self.day, self.hour)


@dataclass(frozen=True)
class PersonalEdit:
    """A personal event moved, shown as free or busy, or deleted."""

    account: str
    pick: int
    how: str

    def __call__(self, world: World) -> None:
        world.personal_edit(self.account, self.pick, self.how)


@dataclass(frozen=True)
class LoseNotifications:
    """The primary calendar's next `count` notifications are dropped (or held back)."""

    account: str
    count: int = 1
    late: bool = False

    def __call__(self, world: World) -> None:
        world.lose_notifications(self.account, self.count, self.late)


@dataclass(frozen=True)
class Poll:
    """The backstop poll runs (`/cron/poll`), and its imports finish."""

    def __call__(self, world: World) -> None:
        world.poll()


@dataclass(frozen=True)
class InvalidateTokens:
    account: str

    def __call__(self, world: World) -> None:
        world.invalidate_sync_tokens(self.account)


@dataclass(frozen=True)
class DeleteCalendar:
    """The account holder deletes our company calendar."""

    account: str

    def __call__(self, world: World) -> None:
        world.delete_company_calendar(self.account)


@dataclass(frozen=True)
class Fault:
    """Google fails the next `count` Calendar API calls, whichever they are; `done`: it
    carries them out first (the answer is lost, not the work)."""

    status: int
    reason: str | None
    count: int = 1
    done: bool = False

    def __call__(self, world: World) -> None:
        world.fault(self.status, self.reason, self.count, self.done)


@dataclass(frozen=True)
class Timeout:
    """Google sits on the next `count` Calendar API calls longer than we wait for an answer
    (GOOGLE_TIMEOUT), then does them anyway: the answer is lost, not the work."""

    count: int = 1

    def __call__(self, world: World) -> None:
        world.timeout(self.count)


@dataclass(frozen=True)
class Reauth:
    """The holder revokes our access (`invalid_grant` on the next refresh); `meanwhile`
    happens before the worker reconnects through Google's consent."""

    account: str
    meanwhile: Put | None = None

    def __call__(self, world: World) -> None:
        world.revoke(self.account)
        if self.meanwhile is not None:
            self.meanwhile(world)
        world.reconnect(self.account)


Operation = (
    Put
    | Resend
    | Delete
    | DeleteAndRevive
    | Burst
    | PutBlock
    | DeleteBlock
    | SetStatus
    | SetActive
    | DuplicateLook
    | HolderEdit
    | HolderAddsOwn
    | Personal
    | PersonalEdit
    | LoseNotifications
    | Poll
    | InvalidateTokens
    | DeleteCalendar
    | Fault
    | Reauth
)


def run(stack, operations: list[Operation]) -> None:
    """One example: a fresh company, the operations each followed by a settled check, then
    the final checks."""
    world = World(stack)
    world.start()
    done, failed = 0, False
    try:
        for operation in operations:
            operation(world)
            world.step_done()
            done += 1
        world.finish()
    except BaseException as failure:
        failed = True
        where = f"in step {done + 1}" if done < len(operations) else "at the final checks"
        failure.add_note(f"Failed {where} of: {list(operations)!r}")
        raise
    finally:
        if os.environ.get("CONVERGENCE_TRACE"):
            print("example:", " | ".join(world.trace), flush=True)
        try:
            world.stop()
        except Exception:
            if not failed:
                raise


# -- strategies ------------------------------------------------------------------------
# Weighted towards what interacts: few bookings and workers, mostly inside the push window,
# mostly assigned, mostly in a status that pushes.

bookings = st.sampled_from(BOOKINGS)
accounts = st.sampled_from(ACCOUNTS)
workers = st.sampled_from(WORKER_IDS)
days = st.sampled_from(DAYS)
assignees = st.one_of(
    st.lists(workers, min_size=1, max_size=2, unique=True).map(tuple),
    st.lists(workers, min_size=1, max_size=2, unique=True).map(tuple),
    st.just(()),
)

puts = st.builds(
    Put,
    booking=bookings,
    workers=assignees,
    status=st.sampled_from(("confirmed", "tentative", "confirmed", "quote", "cancelled")),
    day=days,
    hour=st.sampled_from((8, 13)),
    hours=st.sampled_from((1, 2)),
    suburb=st.sampled_from(("Frogner", "Majorstuen")),
    jump=st.sampled_from((1, 1, 1, 5)),
)
deletes = st.builds(Delete, booking=bookings)


def _weighted(*choices: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    return st.one_of(*[strategy for weight, strategy in choices for _ in range(weight)])


operations = _weighted(
    # The platform: bookings and blocks (most of what happens).
    (8, puts),
    (2, deletes),
    (2, st.builds(Resend, booking=bookings, which=st.sampled_from((-1, 0)))),
    (1, st.builds(DeleteAndRevive, put=puts)),
    (
        2,
        st.builds(
            Burst,
            changes=st.lists(
                st.one_of(puts, puts, deletes),
                min_size=2,
                max_size=3,
                unique_by=lambda change: change.booking,
            ).map(tuple),
        ),
    ),
    (
        2,
        st.builds(
            PutBlock,
            block=st.sampled_from(BLOCKS),
            worker=workers,
            day=days,
            hour=st.sampled_from((12, 15)),
            title=st.sampled_from((None, "Dentist")),
        ),
    ),
    (1, st.builds(DeleteBlock, block=st.sampled_from(BLOCKS))),
    (
        2,
        st.builds(
            SetStatus,
            status=st.sampled_from(STATUS_IDS),
            push=st.booleans(),
            delete=st.booleans(),
            renamed=st.booleans(),
        ),
    ),
    (2, st.builds(SetActive, worker=workers, active=st.booleans())),
    (1, st.builds(DuplicateLook, worker=workers)),
    # The account holder in Google.
    (
        2,
        st.builds(
            HolderEdit, pick=st.integers(0, 5), how=st.sampled_from(("retitle", "move", "delete"))
        ),
    ),
    (1, st.builds(HolderAddsOwn, account=accounts)),
    (
        3,
        st.builds(
            Personal,
            account=accounts,
            kind=st.sampled_from(("busy", "free", "busy", "declined", "working", "all_day")),
            day=days,
            hour=st.sampled_from((10, 16)),
        ),
    ),
    (
        2,
        st.builds(
            PersonalEdit,
            account=accounts,
            pick=st.integers(0, 5),
            how=st.sampled_from(("move", "free", "busy", "delete")),
        ),
    ),
    # Google misbehaving.
    (
        1,
        st.builds(LoseNotifications, account=accounts, count=st.integers(1, 2), late=st.booleans()),
    ),
    (1, st.just(Poll())),
    (1, st.builds(InvalidateTokens, account=accounts)),
    (1, st.builds(DeleteCalendar, account=accounts)),
    (
        2,
        st.builds(
            lambda fault, count: Fault(*fault[:2], count, *fault[2:]),
            st.sampled_from(
                (
                    (429, None),
                    (403, "rateLimitExceeded"),
                    (500, "backendError"),
                    (503, "backendError"),
                    (500, "backendError", True),  # done, and the answer lost
                )
            ),
            st.integers(1, 2),
        ),
    ),
    (1, st.builds(Timeout, count=st.integers(1, 2))),
    (1, st.builds(Reauth, account=accounts, meanwhile=st.one_of(st.none(), puts))),
)
