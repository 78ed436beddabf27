"""Convergence: random interleavings of everything that happens to the sync, against the real
local stack, end with every company calendar exactly as the bookings say, every busy block as
Google's events say, and no mutation lost.

Hypothesis generates lists of operations (`operations.py`): booking and unavailable-block
mutations (new, rescheduled, reassigned, deleted, revived with a higher version, several at
once), duplicated and late deliveries, status flags and names, workers made inactive and
active again, duplicated tasks; the account holder editing and deleting our events, adding
their own to our calendar, deleting our calendar, and making, moving and deleting personal
events; Google dropping or delaying notifications, expiring sync tokens, failing calls (429,
403 rateLimitExceeded, 500, 503) and refusing a revoked grant until the worker reconnects.
Each example is a company of its own with Google accounts of its own (three workers, two of
them on one account). After every operation the stack settles and each company calendar is
compared with the oracle (`model.py`); at the end the backstop poll runs (and the daily
reconcile, if the holder changed our events or deleted our calendar), then the busy blocks,
the stored versions and `GET /bookings/{id}/sync` are checked too.

`make test` runs three hand-made interleavings (the `@example`s: status flags, the account
holder, Google failing) and CONVERGENCE_EXAMPLES generated ones (default 10) of up to
CONVERGENCE_STEPS operations (default 16), derandomized (the same examples every run), without
shrinking, in about a minute. `make soak` runs SOAK_EXAMPLES generated examples of up to
SOAK_STEPS operations, from SOAK_SEED if given (else a random seed, shown with a failure), and
shrinks a failure.
A failure names the operations that led to it (a list to replay with `operations.run`); a
shrunk failure is kept in test_regressions.py.
"""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, Phase, example, given, seed, settings
from hypothesis import strategies as st

from tests.convergence.operations import (
    Burst,
    Delete,
    DeleteAndRevive,
    DeleteCalendar,
    Fault,
    HolderAddsOwn,
    HolderEdit,
    InvalidateTokens,
    LoseNotifications,
    Personal,
    PersonalEdit,
    Poll,
    Put,
    PutBlock,
    Reauth,
    Resend,
    SetActive,
    SetStatus,
    Timeout,
    operations,
    run,
)

# Firestore transactions and collection-group queries: the official emulator only.
pytestmark = pytest.mark.full_firestore

SOAK = bool(os.environ.get("SOAK_EXAMPLES"))
EXAMPLES = int(os.environ.get("SOAK_EXAMPLES") or os.environ.get("CONVERGENCE_EXAMPLES", "10"))
STEPS = int(os.environ.get("SOAK_STEPS") or os.environ.get("CONVERGENCE_STEPS", "16"))
# A soak without SOAK_SEED picks one, shown with a failure so that the run can be replayed.
SEED = os.environ.get("SOAK_SEED", "").strip() or (str(random.randrange(2**32)) if SOAK else "")

# The status flags' rules: leaving by the pushed status or the present one, a flag changed
# while pushed, detached and attached again, a rename, an inactive worker.
FLAGS = [
    Put("b1", ("w1", "w2"), "confirmed", day=1),
    Put("b2", ("w3",), "tentative", day=2),
    Put("b1", ("w1", "w2"), "cancelled", day=1),  # deletes now: both events go
    Put("b2", ("w3",), "quote", day=2),  # was pushed in a deleting status: goes
    Put("b1", ("w1",), "confirmed", day=2, suburb="Majorstuen"),
    SetStatus("confirmed", push=True, delete=True),
    Put("b1", ("w1",), "quote", day=2),  # pushed in what deletes now: goes
    Put("b2", ("w1", "w3"), "confirmed", day=5),
    SetStatus("confirmed", push=False, delete=False),  # detached
    SetStatus("confirmed", push=True, delete=False, renamed=True),  # back, renamed
    SetActive("w3", active=False),
    Put("b2", ("w1", "w3"), "confirmed", day=-3, hour=13),
    SetActive("w3", active=True),
    Put("b1", ("w2",), "confirmed", day=-40),  # history: nothing pushed
]
# The account holder: our events edited and deleted (repaired by the daily reconcile, or
# rewritten by the next change), their own event in our calendar, our calendar deleted,
# personal events of every kind.
HOLDER = [
    Put("b1", ("w1", "w3"), "confirmed", day=1),
    PutBlock("u1", "w2", day=2, title="Dentist"),
    HolderEdit(0, "retitle"),
    HolderEdit(1, "move"),
    HolderEdit(2, "delete"),
    HolderAddsOwn("ann"),
    Put("b1", ("w1", "w3"), "confirmed", day=1, suburb="Majorstuen"),  # rewrites both
    DeleteCalendar("ben"),
    PutBlock("u1", "w2", day=2, hour=15),
    Personal("ann", "free", day=2),
    Personal("ann", "declined", day=2),
    Personal("ben", "all_day", day=5),
    Personal("ben", "working", day=1),
    Personal("ann", "busy", day=-40),
    Personal("ann", "busy", day=1, hour=16),
    PersonalEdit("ann", 4, "move"),
    PersonalEdit("ann", 0, "busy"),
    HolderEdit(0, "move"),
]
# Google failing: rate limits and errors on writes, lost and late notifications (the poll
# catches up), an expired sync token (a full import, sweeping what went meanwhile), a revoked
# grant with work waiting for the reconnect, reordered deliveries.
GOOGLE = [
    Fault(429, None, 2),
    Put("b1", ("w1",), "confirmed", day=1),
    Fault(403, "rateLimitExceeded"),
    Burst((Put("b1", ("w1", "w2"), "tentative", day=2), Put("b2", ("w2",), "confirmed"))),
    LoseNotifications("ann", 1),
    Personal("ann", "busy", day=2),
    Personal("ann", "busy", day=5),
    Poll(),
    InvalidateTokens("ann"),
    PersonalEdit("ann", 0, "delete"),  # its block must go in the full import after the 410
    LoseNotifications("ben", 1, late=True),
    Personal("ben", "busy", day=1),
    Reauth("ben", meanwhile=Put("b2", ("w2",), "confirmed", day=5)),
    Fault(500, "backendError"),
    Delete("b1"),
    DeleteAndRevive(Put("b1", ("w1",), "confirmed", day=1)),
    Resend("b1", 0),
    Fault(503, "backendError", 2),
    PutBlock("u2", "w1", day=1),
    Fault(500, "backendError", 2, done=True),  # done, but the answers lost
    Put("b2", ("w1",), "tentative", day=1),
    Delete("b2"),
    Timeout(2),  # the block's retry, then whatever comes next, answered too late
    Put("b2", ("w2", "w3"), "confirmed", day=2),
    Personal("ann", "busy", day=2, hour=16),
]


def _seeded(test):
    return seed(int(SEED))(test) if SEED else test


@pytest.mark.timeout(0 if SOAK else 120 + 30 * EXAMPLES)
@_seeded
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not SOAK,
    database=None,
    phases=(Phase.explicit, Phase.generate, *((Phase.shrink,) if SOAK else ())),
    suppress_health_check=[
        # One stack per test; each example makes a company and Google accounts of its own.
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    print_blob=True,
)
@given(steps=st.lists(operations, min_size=STEPS // 2, max_size=STEPS))
@example(steps=FLAGS)
@example(steps=HOLDER)
@example(steps=GOOGLE)
def test_every_interleaving_converges(stack, steps):
    try:
        run(stack, steps)
    except BaseException as failure:
        if SOAK:
            failure.add_note(f"Replay the soak: SOAK_SEED={SEED} (with the same SOAK_STEPS).")
        raise
