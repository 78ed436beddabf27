"""What a look at a worker is for, per connection state, with and without delegation."""

import pytest

from shared.domain.company import Company
from shared.domain.connection import Connection, ConnectionState
from shared.domain.worker import Worker
from shared.sync.run import Look, plan_look

PLAIN = Company("c1", enabled=True)
DELEGATING = Company(
    "c1",
    enabled=True,
    provider="private",
    workspace_domain="example.com",
    service_account_key={"v": 1},
)


def worker(state: ConnectionState, email: str = "ana@example.com", active: bool = True):
    return Worker("w1", email=email, active=active, connection=Connection(state=state))


def test_the_company_fixture_delegates_for_the_worker():
    assert DELEGATING.delegates(worker(ConnectionState.INVITED))
    assert not PLAIN.delegates(worker(ConnectionState.INVITED))


@pytest.mark.parametrize(
    ("state", "without_delegation", "with_delegation"),
    [
        (ConnectionState.NOT_CONNECTED, Look.NOTHING, Look.DELEGATE),
        (ConnectionState.INVITED, Look.NOTHING, Look.DELEGATE),
        (ConnectionState.CONNECTED, Look.SYNC, Look.SYNC),
        # Keeps the pending marker: the work resumes on the reconnect.
        (ConnectionState.NEEDS_REAUTH, Look.WAIT, Look.WAIT),
        # A disconnect is the admin's choice: delegation does not undo it.
        (ConnectionState.DISCONNECTED, Look.NOTHING, Look.NOTHING),
    ],
)
def test_the_look_per_state(state, without_delegation, with_delegation):
    assert plan_look(worker(state), PLAIN) is without_delegation
    assert plan_look(worker(state), DELEGATING) is with_delegation


@pytest.mark.parametrize(
    "other",
    [
        worker(ConnectionState.INVITED, email="ana@other.com"),
        worker(ConnectionState.INVITED, email="ana@evil-example.com"),
        worker(ConnectionState.INVITED, active=False),
    ],
)
def test_a_worker_delegation_does_not_cover_is_not_delegated(other):
    assert plan_look(other, DELEGATING) is Look.NOTHING


def test_a_missing_connection_reads_as_not_connected():
    bare = Worker.from_record("w1", {"email": "ana@example.com"})
    assert plan_look(bare, PLAIN) is Look.NOTHING
    assert plan_look(bare, DELEGATING) is Look.DELEGATE


def test_the_looks_are_spelled_for_the_log():
    assert [look.value for look in Look] == ["wait", "delegate", "sync", "nothing"]
