"""`make connect`: a worker connected through the stand-in's consent screen, no browser."""

from __future__ import annotations

import pytest

from dev import connect
from tests.helpers import wait_until

ADA = "ada@example.com"
ADA_WORKER = {"name": "Ada", "email": ADA, "active": True, "timezone": "Europe/Oslo"}


@pytest.fixture
def enabled(stack):
    """Company c1 with the integration on and worker w1, as an admin would set them up."""
    settings = {"company_name": "Acme Plumbing", "enabled": True}
    assert stack.request("PUT", "/settings", json=settings).status_code == 200
    assert stack.request("PUT", "/workers/w1", json=ADA_WORKER).status_code == 200
    return stack


def test_a_worker_is_connected_as_the_given_account(enabled):
    outcome = connect.connect(enabled.config, "w1", "ada.google@example.com")
    assert outcome.connected, outcome.describe()
    assert outcome.connection["state"] == "connected"
    assert outcome.connection["google_email"] == "ada.google@example.com"
    assert outcome.describe() == "connected as ada.google@example.com"
    wait_until(  # the first sync (a Cloud Tasks task) makes the company's calendar
        lambda: (
            "Acme Plumbing"
            in [c["summary"] for c in enabled.google.calendar_list("ada.google@example.com")]
        ),
        timeout=20,
        what="the company calendar in the connected account",
    )


def test_the_command_prints_the_outcome_and_exits_zero(enabled, capsys):
    assert connect.main(["--worker", "w1", "--email", ADA]) == 0
    out = capsys.readouterr().out
    assert f"worker w1 of c1: connected as {ADA}" in out
    assert "connection state: connected" in out


def test_an_unknown_worker_is_an_error_and_exits_non_zero(enabled, capsys):
    outcome = connect.connect(enabled.config, "nobody", ADA)
    assert not outcome.connected and outcome.reason
    assert connect.main(["--worker", "nobody", "--email", ADA]) == 1
    assert "error:" in capsys.readouterr().out


def test_a_refused_consent_reports_googles_reason(enabled):
    """A company restricted to its Workspace domain refuses a consumer account."""
    assert enabled.request("PUT", "/settings", json=_private()).status_code == 200
    outcome = connect.connect(enabled.config, "w1", "ada@gmail.com")
    assert not outcome.connected
    assert outcome.reason == "wrong_domain", outcome.describe()


def test_a_client_id_google_does_not_know_reports_invalid_client(enabled, capsys):
    """The stand-in knows only the clients the stack registered, as Google: a company whose
    client id never reached it (written straight into Firestore here) is refused there."""
    assert enabled.request("PUT", "/settings", json=_private()).status_code == 200
    worker = {**ADA_WORKER, "email": "ada@acme.example"}
    assert enabled.request("PUT", "/workers/w1", json=worker).status_code == 200
    enabled.db.document("companies/c1").update({"client_id": "acme-privat.apps.example"})

    outcome = connect.connect(enabled.config, "w1", "ada@acme.example")

    assert not outcome.connected
    assert outcome.reason == "invalid_client", outcome.describe()
    assert "acme-privat.apps.example" in outcome.detail
    assert connect.main(["--worker", "w1", "--email", "ada@acme.example"]) == 1
    assert "error: invalid_client" in capsys.readouterr().out


def _private() -> dict:
    return {
        "company_name": "Acme Plumbing",
        "enabled": True,
        "provider": "private",
        "client_id": "acme-private.apps.googleusercontent.com",
        "client_secret": "acme-secret",
        "workspace_domain": "acme.example",
    }
