"""Workers, their invitations and the company settings' rules (no emulator)."""

from datetime import UTC, datetime

import pytest

from shared.domain.company import DEFAULTS, FALLBACK_CALENDAR_NAME, Company
from shared.domain.connection import Connection, ConnectionState
from shared.domain.worker import INVITATION_VOIDED, Invitation, Worker

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
KEY = {"v": 1, "ciphertext": "sealed"}


# -- invitations --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("invitation", "invitation_id", "current"),
    [
        (Invitation(current="inv-1"), "inv-1", True),
        (Invitation(current="inv-2"), "inv-1", False),  # replaced by a newer one
        (Invitation(current=None, used_at=NOW), "inv-1", False),  # used (or voided)
        (Invitation(current=None), "", False),
        (Invitation(current=""), "", False),  # an empty id is never current
        (Invitation(), "inv-1", False),
    ],
)
def test_only_the_live_invitation_is_current(invitation, invitation_id, current):
    assert invitation.is_current(invitation_id) is current


def test_a_used_invitation_reads_as_not_current():
    # What a link leaves behind: the id is voided, the use is remembered.
    record = {"current": "inv-1", "issued_at": NOW}
    record.update({"current": INVITATION_VOIDED["invitation.current"], "used_at": NOW})
    invitation = Invitation.from_record(record)
    assert not invitation.is_current("inv-1")
    assert invitation.used_at == NOW


def test_voiding_clears_the_current_invitation():
    assert INVITATION_VOIDED == {"invitation.current": None}


@pytest.mark.parametrize("record", [None, {}])
def test_a_missing_invitation_reads_empty(record):
    assert Invitation.from_record(record) == Invitation(
        current=None, issued_at=None, used_at=None, round=None, sent_id=None, error=None
    )


def test_an_invitation_reads_back_field_by_field():
    assert Invitation.from_record(
        {
            "current": "r1",
            "issued_at": NOW,
            "used_at": None,
            "round": "r1",
            "sent_id": "r0",
            "error": "bounced",
            "queued_at": NOW,  # written by a round, not part of the record's reading
        }
    ) == Invitation(current="r1", issued_at=NOW, round="r1", sent_id="r0", error="bounced")


# -- workers ------------------------------------------------------------------------


def test_a_bare_worker_record_gets_the_defaults():
    worker = Worker.from_record("w1", {})
    assert worker == Worker(
        id="w1",
        name="",
        email="",
        active=True,
        timezone=None,  # the company calendar then takes the Google account's own zone
        connection=Connection(),
        invitation=Invitation(),
        sync_pending_since=None,
    )
    assert worker.connection.state is ConnectionState.NOT_CONNECTED
    assert worker.display_name == "w1"


def test_null_fields_of_a_worker_record_get_the_defaults():
    worker = Worker.from_record(
        "w1", {"name": None, "email": None, "timezone": None, "connection": None}
    )
    assert (worker.name, worker.email, worker.timezone) == ("", "", None)
    assert worker.connection == Connection()


def test_a_worker_record_reads_back():
    worker = Worker.from_record(
        "w1",
        {
            "name": "Ana",
            "email": "ana@example.com",
            "active": False,
            "timezone": "Europe/Paris",
            "connection": {"state": "invited"},
            "invitation": {"current": "inv-1"},
            "sync_pending_since": NOW,
        },
    )
    assert worker == Worker(
        id="w1",
        name="Ana",
        email="ana@example.com",
        active=False,
        timezone="Europe/Paris",
        connection=Connection(state=ConnectionState.INVITED),
        invitation=Invitation(current="inv-1"),
        sync_pending_since=NOW,
    )
    assert worker.display_name == "Ana"


# -- companies ----------------------------------------------------------------------


@pytest.mark.parametrize("record", [None, {}])
def test_a_company_that_never_saved_its_settings_has_the_defaults(record):
    assert Company.from_record("c1", record) == Company(
        id="c1",
        company_name=None,
        enabled=False,
        provider="platform",
        client_id=None,
        workspace_domain=None,
        sync_direction="two_way",
        admin_email=None,
        admin_email_error=None,
        client_secret=None,
        service_account_key=None,
    )


def test_the_defaults_are_pinned():
    assert DEFAULTS == {
        "company_name": None,
        "enabled": False,
        "provider": "platform",
        "client_id": None,
        "workspace_domain": None,
        "sync_direction": "two_way",
        "admin_email": None,
    }


def test_a_company_record_reads_back():
    company = Company.from_record(
        "c1",
        {
            "company_name": "Acme",
            "enabled": True,
            "provider": "private",
            "client_id": "cid",
            "workspace_domain": "acme.com",
            "sync_direction": "one_way",
            "admin_email": "admin@acme.com",
            "admin_email_error": "bounced",
            "client_secret": {"sealed": "s"},
            "service_account_key": KEY,
        },
    )
    assert company == Company(
        id="c1",
        company_name="Acme",
        enabled=True,
        provider="private",
        client_id="cid",
        workspace_domain="acme.com",
        sync_direction="one_way",
        admin_email="admin@acme.com",
        admin_email_error="bounced",
        client_secret={"sealed": "s"},
        service_account_key=KEY,
    )


@pytest.mark.parametrize(
    ("name", "calendar"), [("Acme", "Acme"), (None, "Bookings"), ("", "Bookings")]
)
def test_the_company_calendar_is_named_after_the_company(name, calendar):
    assert FALLBACK_CALENDAR_NAME == "Bookings"
    assert Company("c1", company_name=name).calendar_name == calendar


@pytest.mark.parametrize(
    ("before", "after", "starts"),
    [
        # the integration became enabled
        (Company("c1"), Company("c1", enabled=True), True),
        (Company("c1", provider="private"), Company("c1", enabled=True, provider="private"), True),
        # the provider changed: every worker must consent to the new client
        (
            Company("c1", enabled=True, provider="platform"),
            Company("c1", enabled=True, provider="private"),
            True,
        ),
        (
            Company("c1", enabled=True, provider="private"),
            Company("c1", enabled=True, provider="platform"),
            True,
        ),
        # saving again, even with other changes
        (Company("c1", enabled=True), Company("c1", enabled=True), False),
        (
            Company("c1", enabled=True, company_name="Old"),
            Company("c1", enabled=True, company_name="New", sync_direction="one_way"),
            False,
        ),
        # disabled: nobody is emailed
        (Company("c1", enabled=True), Company("c1", enabled=False), False),
        (Company("c1"), Company("c1", provider="private"), False),
        (Company("c1"), Company("c1"), False),
    ],
)
def test_which_saves_start_an_invitation_round(before, after, starts):
    assert after.starts_invitation_round(before) is starts


def delegating(**changes) -> Company:
    settings = {
        "enabled": True,
        "provider": "private",
        "workspace_domain": "example.com",
        "service_account_key": KEY,
        **changes,
    }
    return Company("c1", **settings)


def worker(email: str, active: bool = True) -> Worker:
    return Worker("w1", name="Ana", email=email, active=active)


@pytest.mark.parametrize(
    ("company", "email", "delegates"),
    [
        (delegating(), "ana@example.com", True),
        (delegating(), "Ana@EXAMPLE.com", True),
        (delegating(workspace_domain="Example.COM"), "ana@example.com", True),
        # only a private client with a key delegates
        (delegating(provider="platform"), "ana@example.com", False),
        (delegating(service_account_key=None), "ana@example.com", False),
        (delegating(service_account_key={}), "ana@example.com", False),
        (delegating(workspace_domain=None), "ana@example.com", False),
        (delegating(workspace_domain=""), "ana@example.com", False),
        # only workers of the Workspace's own domain
        (delegating(), "ana@other.com", False),
        (delegating(), "ana@evil-example.com", False),
        (delegating(), "ana@example.com.evil.org", False),
        (delegating(), "ana@sub.example.com", False),
        (delegating(), "example.com", False),
        (delegating(), "", False),
    ],
)
def test_which_workers_delegation_connects(company, email, delegates):
    assert company.delegates(worker(email)) is delegates


def test_delegation_skips_an_inactive_worker():
    assert delegating().delegates(worker("ana@example.com", active=True)) is True
    assert delegating().delegates(worker("ana@example.com", active=False)) is False
