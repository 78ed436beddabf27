"""What GET /bookings/{id}/sync says of one worker: `sync_state` (no emulator)."""

from __future__ import annotations

import pytest

from shared.domain.booking import Booking
from shared.domain.company import Company
from shared.domain.connection import Connection, ConnectionState
from shared.domain.event_link import EventLink, LinkState
from shared.domain.worker import Worker
from shared.services.bookings import sync_state

VERSION = 5
CAL = "company-calendar"

CONNECTED = ConnectionState.CONNECTED
NEEDS_REAUTH = ConnectionState.NEEDS_REAUTH
NOT_CONNECTED = ConnectionState.NOT_CONNECTED
INVITED = ConnectionState.INVITED


def company(enabled: bool = True, direction: str = "two_way") -> Company:
    return Company(id="c1", enabled=enabled, sync_direction=direction)


def worker(state: ConnectionState = CONNECTED, active: bool = True) -> Worker:
    return Worker(id="w1", name="Kari", active=active, connection=Connection(state=state))


def booking(worker_ids: tuple[str, ...] = ("w1",), version: int = VERSION) -> Booking:
    return Booking.from_record(
        "b1",
        {
            "version": version,
            "status_id": "confirmed",
            "start": "2026-04-14T08:00:00+00:00",
            "end": "2026-04-14T09:00:00+00:00",
            "timezone": "Europe/Oslo",
            "worker_ids": list(worker_ids),
            "customer": {"name": "Ola"},
            "service": {"name": "Window cleaning"},
            "created_at": "2026-04-01T08:00:00+00:00",
        },
    )


def link(
    state: LinkState = LinkState.SYNCED, version: int = VERSION - 1, written: bool = True
) -> EventLink:
    """A link record; `written=False` is one whose event was never written (a refused insert)."""
    return EventLink(
        worker_id="w1",
        key="booking:b1",
        state=state,
        version=version,
        event_id="event-1" if written else None,
        calendar_id=CAL if written else None,
    )


LIVE = [link(LinkState.SYNCED), link(LinkState.FAILED)]
NOT_LIVE = [
    None,
    link(LinkState.REMOVED),
    link(LinkState.DETACHED),
    link(LinkState.FAILED, written=False),
]
NOT_LIVE_IDS = ["no-link", "removed", "detached", "never-written"]


# -- a link that reflects the booking's version -------------------------------------


@pytest.mark.parametrize("state", list(LinkState))
@pytest.mark.parametrize("version", [VERSION, VERSION + 1], ids=["same-version", "newer"])
@pytest.mark.parametrize(
    ("the_company", "the_worker", "pushes"),
    [
        (company(), worker(), True),  # else: pending
        (company(), worker(), False),  # else: pending or skipped by the link
        (company(enabled=False), None, True),  # else: skipped
        (company(direction="pull_only"), worker(NOT_CONNECTED, active=False), False),
    ],
    ids=["wanted", "leaving", "unknown-worker", "nothing-pushes"],
)
def test_a_link_at_or_above_the_booking_version_reports_its_own_state(
    state, version, the_company, the_worker, pushes
):
    record = link(state, version=version)
    assert sync_state(the_company, the_worker, booking(), pushes, record) == state.value


# -- before the link reflects it: will a sync act? ----------------------------------


@pytest.mark.parametrize(
    "record", [None, *LIVE, link(LinkState.REMOVED)], ids=["no-link", "synced", "failed", "removed"]
)
@pytest.mark.parametrize(
    ("the_company", "the_worker"),
    [
        (company(), None),
        (company(enabled=False), worker()),
        (company(direction="pull_only"), worker()),
        (company(enabled=False, direction="pull_only"), worker()),
        (company(), worker(NOT_CONNECTED)),
        (company(), worker(INVITED)),
        (company(), worker(ConnectionState.DISCONNECTED)),  # no sync acts for it any more
    ],
    ids=[
        "unknown-worker",
        "disabled",
        "pull-only",
        "disabled-pull-only",
        "not-connected",
        "invited",
        "disconnected",
    ],
)
def test_nothing_a_sync_would_do_is_skipped(the_company, the_worker, record):
    assert sync_state(the_company, the_worker, booking(), True, record) == "skipped"


@pytest.mark.parametrize("record", [*LIVE, *NOT_LIVE], ids=["synced", "failed", *NOT_LIVE_IDS])
@pytest.mark.parametrize("connection", [CONNECTED, NEEDS_REAUTH])
@pytest.mark.parametrize("direction", ["two_way", "push_only"])
def test_a_wanted_booking_of_a_connected_worker_is_pending(direction, connection, record):
    state = sync_state(company(direction=direction), worker(connection), booking(), True, record)
    assert state == "pending"


LEAVES = [
    (True, True, ("w2",)),  # unassigned from the worker
    (True, False, ("w1",)),  # the worker made inactive
    (False, True, ("w1",)),  # a status that does not push, or the booking deleted
    (False, False, ()),
]
LEAVES_IDS = ["unassigned", "inactive", "status-does-not-push", "all-of-it"]


@pytest.mark.parametrize(("pushes", "active", "assigned"), LEAVES, ids=LEAVES_IDS)
@pytest.mark.parametrize("record", LIVE, ids=["synced", "failed"])
@pytest.mark.parametrize("connection", [CONNECTED, NEEDS_REAUTH])
def test_a_live_event_that_must_leave_is_pending(connection, record, pushes, active, assigned):
    state = sync_state(
        company(), worker(connection, active=active), booking(assigned), pushes, record
    )
    assert state == "pending"


@pytest.mark.parametrize(("pushes", "active", "assigned"), LEAVES, ids=LEAVES_IDS)
@pytest.mark.parametrize("record", NOT_LIVE, ids=NOT_LIVE_IDS)
@pytest.mark.parametrize("connection", [CONNECTED, NEEDS_REAUTH])
def test_nothing_wanted_and_no_live_event_is_skipped(connection, record, pushes, active, assigned):
    state = sync_state(
        company(), worker(connection, active=active), booking(assigned), pushes, record
    )
    assert state == "skipped"
