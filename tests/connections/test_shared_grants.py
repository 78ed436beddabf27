"""Attack C: one Google account used by two companies on the platform client.

Google keeps one grant per client and account: revoking any token ends it for
both companies, and only the newest 100 refresh tokens live. The grant is
therefore one record for both, revoked only when neither uses it, and a grant
Google refuses turns every affected connection into `needs_reauth`, each admin
told once.
"""

import pytest
import requests

from emulators.google.accounts import REFRESH_TOKEN_LIMIT
from shared.google.oauth import REQUIRED_SCOPES
from tests.connections.conftest import Company
from tests.helpers import wait_until

TEAM = "team@example.com"


@pytest.fixture
def two_companies(stack) -> tuple[Company, Company]:
    """Acme and Bravo, each with one worker on the same Google account, both synced."""
    acme, bravo = Company(stack, "c1"), Company(stack, "c2")
    for company, admin in ((acme, "boss@acme.example"), (bravo, "boss@bravo.example")):
        company.enable(admin_email=admin, company_name=f"{company.id} calendar")
        company.add_worker("w1", "pat@example.com", "Pat")
        assert company.connect("w1", email=TEAM)["google_calendar"] == "connected"
        company.wait_first_sync("w1")
    return acme, bravo


def revoke_calls(stack) -> int:
    return [entry["path"] for entry in stack.google.request_log()].count("/revoke")


def resynced(company: Company) -> dict:
    before = company.connection("w1")["last_synced_at"]
    assert company.call("POST", "/workers/w1/resync").status_code == 202
    return wait_until(
        lambda: (c := company.connection("w1"))["last_synced_at"] != before and c,
        timeout=15,
        what=f"a resync in {company.id}",
    )


def test_both_companies_share_one_grant_record(two_companies):
    acme, bravo = two_companies
    assert acme.account()["grant_id"] == bravo.account()["grant_id"]
    assert acme.grant()["companies"] == ["c1", "c2"]
    grants = list(acme.stack.db.collection("grants").stream())
    assert len(grants) == 1
    # Each company keeps its own calendar in the shared account.
    assert (
        acme.connection("w1")["company_calendar_id"]
        != bravo.connection("w1")["company_calendar_id"]
    )


def test_a_disconnect_in_one_company_never_touches_the_other(two_companies):
    acme, bravo = two_companies
    stack = acme.stack
    leave = bravo.call("DELETE", "/workers/w1/connection", role="fieldworker", worker="w1")
    assert leave.status_code == 200 and leave.json()["state"] == "disconnected"
    # Bravo's account lets go of the grant when its sync finds nobody left on it.
    wait_until(lambda: acme.grant()["companies"] == ["c1"], what="Bravo leaving the grant")

    acme.forget_access_token()  # so Acme's next sync really uses the grant's refresh token
    status = resynced(acme)
    assert status["state"] == "connected" and "error" not in status
    assert revoke_calls(stack) == 0
    assert stack.google.accounts.granted_scopes(TEAM, stack.config.platform_client_id) >= (
        REQUIRED_SCOPES
    )

    # When the last company lets go, the grant goes back to Google.
    acme.call("DELETE", "/workers/w1/connection")
    wait_until(lambda: acme.grant()["state"] == "released", what="the grant released")
    assert acme.grant()["refresh_token"] is None
    assert stack.google.accounts.granted_scopes(TEAM, stack.config.platform_client_id) == (
        frozenset()
    )
    assert revoke_calls(stack) == 1


def test_the_newest_refresh_token_serves_every_company(two_companies):
    """Acme's own refresh token falls out of Google's 100 newest; Acme keeps working."""
    acme, _bravo = two_companies
    stack = acme.stack
    accounts, client_id = stack.google.accounts, stack.config.platform_client_id
    # Bravo's consent issued the newest token; 99 more consents push Acme's out.
    for _ in range(REFRESH_TOKEN_LIMIT - 1):
        accounts.issue_refresh_token(TEAM, frozenset(REQUIRED_SCOPES), client_id)
    acme.forget_access_token()
    status = resynced(acme)
    assert status["state"] == "connected" and "error" not in status


def test_a_grant_google_refuses_turns_every_company_to_needs_reauth(two_companies):
    acme, bravo = two_companies
    stack = acme.stack
    # The person removes our access in their Google account: tokens die, the cache does not.
    requests.post(f"{stack.google.base_url}/_test/accounts/{TEAM}/revoke-tokens", timeout=10)
    acme.call("POST", "/workers/w1/resync")  # Google answers 401, then invalid_grant

    for company in (acme, bravo):
        status = wait_until(
            lambda c=company: (s := c.connection("w1"))["state"] == "needs_reauth" and s,
            timeout=15,
            what=f"needs_reauth in {company.id}",
        )
        assert "connect again" in status["error"]
    alerts = stack.mail.mailbox.wait_for(2)
    assert sorted(a.recipients[0] for a in alerts) == ["boss@acme.example", "boss@bravo.example"]

    # Further syncs see needs_reauth at once: no endless retries, no second alert.
    bravo.call("POST", "/workers/w1/resync")
    worker = stack.db.document("companies/c2/workers/w1")
    wait_until(lambda: worker.get().to_dict().get("last_looked_at"), timeout=10)
    assert len(stack.mail.mailbox.messages()) == 2

    # A reconnect in Acme mends Acme; Bravo's worker reconnects for Bravo.
    acme.connect("w1", email=TEAM)
    assert acme.wait_first_sync("w1")["state"] == "connected"
    assert bravo.connection("w1")["state"] == "needs_reauth"


def test_a_reconnect_racing_the_release_is_never_left_silently_broken(company):
    """The last worker lets go, and while the revocation is on the wire, connects again. The
    consent may have come before Google ended the grant, so the grant is checked at once:
    the worker ends up working, or told to reconnect with the admin alerted, never
    `connected` on a dead grant."""
    stack = company.stack
    company.enable(admin_email="boss@example.com")
    company.add_worker("w1", "ann@example.com")
    company.connect("w1")
    company.wait_first_sync("w1")
    stack.google.add_latency(1.5, method="POST", path="/revoke", count=1)

    company.call("DELETE", "/workers/w1/connection")
    wait_until(lambda: company.grant().get("releasing_generation") is not None, what="release")
    assert company.connect("w1")["google_calendar"] == "connected"

    # The revocation lands after the consent and ends the grant the consent joined.
    wait_until(lambda: company.grant().get("releasing_generation") is None, what="revoked")
    status = wait_until(
        lambda: (s := company.connection("w1"))["state"] == "needs_reauth" and s,
        timeout=15,
        what="the dead grant found",
    )
    assert "connect again" in status["error"]
    (alert,) = stack.mail.mailbox.wait_for(1)
    assert alert.recipients == ["boss@example.com"]
    # Connecting once more mends it for good.
    company.connect("w1")
    assert company.wait_first_sync("w1")["state"] == "connected"
