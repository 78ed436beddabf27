"""A worker's connection: its states, how a stored record reads, what the platform sees and
what each transition writes (no emulator)."""

from datetime import UTC, datetime

import pytest

from shared.domain import connection
from shared.domain.connection import (
    REAUTH_MESSAGE,
    Connection,
    ConnectionState,
    FirstSync,
    switched_from,
)

EARLIER = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def linked_to(sub: str, email: str, state: ConnectionState = ConnectionState.CONNECTED):
    return Connection(state=state, google_sub=sub, google_email=email)


# -- states -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "state"),
    [
        (None, ConnectionState.NOT_CONNECTED),
        ("", ConnectionState.NOT_CONNECTED),
        ("not_connected", ConnectionState.NOT_CONNECTED),
        ("invited", ConnectionState.INVITED),
        ("connected", ConnectionState.CONNECTED),
        ("needs_reauth", ConnectionState.NEEDS_REAUTH),
        ("disconnected", ConnectionState.DISCONNECTED),
    ],
)
def test_a_stored_value_names_its_state(value, state):
    assert ConnectionState.of(value) is state


def test_an_unknown_stored_state_is_refused():
    with pytest.raises(ValueError):
        ConnectionState.of("linked")


@pytest.mark.parametrize(
    ("state", "linked"),
    [
        (ConnectionState.NOT_CONNECTED, False),
        (ConnectionState.INVITED, False),
        (ConnectionState.CONNECTED, True),
        (ConnectionState.NEEDS_REAUTH, True),
        (ConnectionState.DISCONNECTED, False),
    ],
)
def test_only_a_working_or_waiting_account_is_linked_and_only_the_others_are_invitable(
    state, linked
):
    assert state.linked is linked
    assert state.invitable is (not linked)


def test_states_are_spelled_as_stored():
    assert [state.value for state in ConnectionState] == [
        "not_connected",
        "invited",
        "connected",
        "needs_reauth",
        "disconnected",
    ]


# -- reading a record ---------------------------------------------------------------


@pytest.mark.parametrize("record", [None, {}])
def test_a_missing_connection_reads_as_not_connected_with_defaults(record):
    read = Connection.from_record(record)
    assert read == Connection(
        state=ConnectionState.NOT_CONNECTED,
        google_sub=None,
        google_email=None,
        scopes=(),
        connected_at=None,
        last_synced_at=None,
        company_calendar_id=None,
        error=None,
        first_sync=FirstSync(done=False, pushed=0, imported=0),
        previous_google_email=None,
        switched_at=None,
    )
    assert read.first_sync.to_record() == {"done": False, "pushed": 0, "imported": 0}


def test_a_stored_connection_reads_back_field_by_field():
    read = Connection.from_record(
        {
            "state": "connected",
            "google_sub": "sub-1",
            "google_email": "ana@example.com",
            "scopes": ["s1", "s2"],
            "connected_at": EARLIER,
            "last_synced_at": NOW,
            "company_calendar_id": "cal-1",
            "error": "boom",
            "first_sync": {"done": True, "pushed": 3, "imported": 7},
            "previous_google_email": "old@example.com",
            "switched_at": EARLIER,
        }
    )
    assert read == Connection(
        state=ConnectionState.CONNECTED,
        google_sub="sub-1",
        google_email="ana@example.com",
        scopes=("s1", "s2"),
        connected_at=EARLIER,
        last_synced_at=NOW,
        company_calendar_id="cal-1",
        error="boom",
        first_sync=FirstSync(done=True, pushed=3, imported=7),
        previous_google_email="old@example.com",
        switched_at=EARLIER,
    )


def test_a_partial_first_sync_fills_in_its_defaults():
    assert Connection.from_record({"first_sync": {"pushed": 2}}).first_sync == FirstSync(
        done=False, pushed=2, imported=0
    )


def test_null_scopes_read_as_none():
    assert Connection.from_record({"scopes": None}).scopes == ()


# -- what the platform sees ---------------------------------------------------------


def test_status_of_a_connection_without_error_or_switch():
    view = Connection(
        state=ConnectionState.CONNECTED,
        google_sub="sub-1",
        google_email="ana@example.com",
        scopes=("s1",),
        connected_at=EARLIER,
        last_synced_at=NOW,
        company_calendar_id="cal-1",
    ).status()
    assert view == {
        "state": "connected",
        "google_email": "ana@example.com",
        "scopes": ["s1"],
        "company_calendar_id": "cal-1",
        "connected_at": EARLIER,
        "last_synced_at": NOW,
        "first_sync": {"done": False, "pushed": 0, "imported": 0},
    }
    assert "google_sub" not in view  # the account id stays inside


def test_status_shows_an_error_only_when_there_is_one():
    assert Connection(error="").status().get("error", "absent") == "absent"
    assert Connection(error="Google refused").status()["error"] == "Google refused"


def test_status_shows_the_previous_account_only_after_a_switch():
    # Remembered after a disconnect, but no switch happened: not shown.
    remembered = Connection(previous_google_email="old@example.com").status()
    assert "previous_google_email" not in remembered
    assert "switched_at" not in remembered

    switched = Connection(previous_google_email="old@example.com", switched_at=NOW).status()
    assert switched["previous_google_email"] == "old@example.com"
    assert switched["switched_at"] == NOW


def test_status_of_a_missing_connection():
    assert Connection.from_record(None).status() == {
        "state": "not_connected",
        "google_email": None,
        "scopes": [],
        "company_calendar_id": None,
        "connected_at": None,
        "last_synced_at": None,
        "first_sync": {"done": False, "pushed": 0, "imported": 0},
    }


# -- transitions --------------------------------------------------------------------


def test_connecting_for_the_first_time_writes_a_fresh_connection():
    record = connection.connected(
        Connection(state=ConnectionState.INVITED), "sub-1", "ana@example.com", ["s1"], NOW, "cal-1"
    )
    assert record == {
        "state": "connected",
        "google_sub": "sub-1",
        "google_email": "ana@example.com",
        "scopes": ["s1"],
        "connected_at": NOW,
        "last_synced_at": None,
        "company_calendar_id": "cal-1",
        "error": None,
        "first_sync": {"done": False, "pushed": 0, "imported": 0},
    }


def test_connecting_clears_the_error_and_the_first_sync_of_the_previous_link():
    previous = Connection(
        state=ConnectionState.CONNECTED,
        google_sub="sub-1",
        google_email="ana@example.com",
        error="boom",
        first_sync=FirstSync(done=True, pushed=4, imported=5),
        last_synced_at=EARLIER,
    )
    record = connection.connected(previous, "sub-1", "ana@example.com", ["s1"], NOW)
    assert record["error"] is None
    assert record["last_synced_at"] is None
    assert record["company_calendar_id"] is None
    assert record["first_sync"] == {"done": False, "pushed": 0, "imported": 0}


@pytest.mark.parametrize("state", [ConnectionState.CONNECTED, ConnectionState.NEEDS_REAUTH])
def test_a_switch_to_another_account_is_recorded(state):
    previous = linked_to("sub-old", "old@example.com", state)
    record = connection.connected(previous, "sub-new", "new@example.com", ["s1"], NOW)
    assert record["previous_google_email"] == "old@example.com"
    assert record["switched_at"] == NOW
    assert record["google_sub"] == "sub-new"
    assert record["google_email"] == "new@example.com"
    assert switched_from(previous, "sub-new") == "old@example.com"


@pytest.mark.parametrize("state", [ConnectionState.CONNECTED, ConnectionState.NEEDS_REAUTH])
def test_a_reconnect_to_the_same_account_is_no_switch(state):
    previous = linked_to("sub-1", "ana@example.com", state)
    record = connection.connected(previous, "sub-1", "ana@example.com", ["s1"], NOW)
    assert "previous_google_email" not in record
    assert "switched_at" not in record
    assert switched_from(previous, "sub-1") is None


@pytest.mark.parametrize(
    "state",
    [ConnectionState.NOT_CONNECTED, ConnectionState.INVITED, ConnectionState.DISCONNECTED],
)
def test_linking_from_a_state_without_an_account_is_no_switch(state):
    # Even if a stale sub and address linger on the record.
    previous = linked_to("sub-old", "old@example.com", state)
    record = connection.connected(previous, "sub-new", "new@example.com", ["s1"], NOW)
    assert "previous_google_email" not in record
    assert "switched_at" not in record
    assert switched_from(previous, "sub-new") is None


def test_a_linked_connection_without_a_sub_is_no_switch():
    previous = Connection(state=ConnectionState.CONNECTED, google_email="old@example.com")
    assert switched_from(previous, "sub-new") is None


def test_disconnecting_forgets_the_account_and_remembers_the_address():
    previous = linked_to("sub-1", "ana@example.com")
    assert connection.disconnected(previous, NOW) == {
        "state": "disconnected",
        "google_sub": None,
        "google_email": None,
        "scopes": [],
        "disconnected_at": NOW,
        "previous_google_email": "ana@example.com",
    }


def test_a_disconnected_record_reads_as_disconnected_without_a_switch_shown():
    record = connection.disconnected(linked_to("sub-1", "ana@example.com"), NOW)
    read = Connection.from_record(record)
    assert read.state is ConnectionState.DISCONNECTED
    assert read.state.invitable
    assert "previous_google_email" not in read.status()


def test_needs_reauth_updates_the_state_and_shows_why():
    assert connection.needs_reauth() == {
        "connection.state": "needs_reauth",
        "connection.error": REAUTH_MESSAGE,
    }
    assert connection.needs_reauth("other") == {
        "connection.state": "needs_reauth",
        "connection.error": "other",
    }
    assert REAUTH_MESSAGE == (
        "Google refused the saved permission; the worker needs to connect again."
    )


def test_reauthorized_reconnects_and_clears_the_error():
    assert connection.reauthorized() == {
        "connection.state": "connected",
        "connection.error": None,
    }


def test_invited_only_changes_the_state():
    assert connection.invited() == {"connection.state": "invited"}
