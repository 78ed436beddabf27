"""Attack A: an old invitation must not move a connected worker to another Google account.

A worker has one current invitation. Connecting uses it up; a newer invitation or a
disconnect voids it; only the worker's own signed-in request may switch accounts, and
a switch is recorded and reported to the admin.
"""

import jwt

from shared.google.oauth import REQUIRED_SCOPES
from tests.browser import consent, follow, query_of
from tests.helpers import wait_until


def emailed_link(company, count: int = 1) -> str:
    message = company.stack.mail.mailbox.wait_for(count)[-1]
    return message.text.split("Connect your Google Calendar: ")[1].split()[0]


def refused(link: str) -> str:
    """Open a link from an email or chat: the reason the platform is sent back with."""
    landing = query_of(follow(link))
    assert landing["google_calendar"] == "error", landing
    return landing["reason"]


def test_a_used_invitation_email_cannot_move_the_connected_worker(company):
    company.add_worker("w1", "ann@example.com")
    company.enable(admin_email="boss@example.com")  # the round emails Ann
    link = emailed_link(company)
    assert query_of(follow(consent(follow(link))))["google_calendar"] == "connected"
    company.wait_first_sync("w1")

    # Someone who sees the old email (a forward, a shared inbox) tries again.
    assert refused(link) == "already_connected"
    status = company.connection("w1")
    assert status["state"] == "connected" and status["google_email"] == "ann@example.com"
    assert "previous_google_email" not in status


def test_a_consent_started_before_the_worker_connected_is_void_at_the_callback(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    link = company.link("w1")
    workers_screen, attackers_screen = follow(link), follow(link)
    assert query_of(follow(consent(workers_screen)))["google_calendar"] == "connected"

    landing = query_of(follow(consent(attackers_screen, email="mallory@example.com")))
    assert landing == {"google_calendar": "error", "reason": "invite_used"}
    assert company.connection("w1")["google_email"] == "ann@example.com"
    # The attacker's own grant is given back: nothing of it is kept or used.
    granted = company.stack.google.accounts.granted_scopes
    assert granted("mallory@example.com", company.stack.config.platform_client_id) == frozenset()
    assert granted("ann@example.com", company.stack.config.platform_client_id) >= REQUIRED_SCOPES


def test_a_newer_invitation_voids_the_older_ones(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    older, newer = company.link("w1"), company.link("w1")
    assert refused(older) == "invite_used"
    assert query_of(follow(consent(follow(newer))))["google_calendar"] == "connected"


def test_a_disconnect_voids_outstanding_invitations(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    link = company.link("w1")
    assert company.call("DELETE", "/workers/w1/connection").status_code == 200
    assert refused(link) == "invite_used"
    assert company.connection("w1")["state"] == "disconnected"


def test_no_invitation_email_goes_to_a_connected_worker(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    company.connect("w1")
    response = company.call("POST", "/workers/w1/authorization-email", json={})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_connected"
    assert company.stack.mail.mailbox.messages() == []


def test_the_worker_switches_account_only_through_its_own_signed_in_request(company):
    company.enable(admin_email="boss@example.com")
    company.add_worker("w1", "ann@example.com", "Ann")
    company.connect("w1", email="ann@example.com")
    company.wait_first_sync("w1")

    response = company.call(
        "POST", "/workers/w1/authorization-url", role="fieldworker", worker="w1"
    )
    assert response.status_code == 200, response.text
    link = response.json()["url"]
    claims = jwt.decode(link.split("invite=")[1], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] <= 3600  # a switch link is for now, not for an inbox
    landing = query_of(follow(consent(follow(link), email="ann.work@example.com")))
    assert landing["google_calendar"] == "connected"

    status = company.wait_first_sync("w1")
    assert status["google_email"] == "ann.work@example.com"
    assert status["previous_google_email"] == "ann@example.com" and status["switched_at"]
    (alert,) = company.stack.mail.mailbox.wait_for(1)
    assert alert.recipients == ["boss@example.com"]
    assert "ann@example.com" in alert.text and "ann.work@example.com" in alert.text
    # The old account is let go of: its grant is revoked once nobody uses it.
    granted = company.stack.google.accounts.granted_scopes
    client_id = company.stack.config.platform_client_id
    wait_until(lambda: granted("ann@example.com", client_id) == frozenset(), what="release")
    assert refused(link) == "already_connected"  # and the switch link is used up


def test_a_reconnect_to_the_same_account_is_not_a_switch(company):
    company.enable(admin_email="boss@example.com")
    company.add_worker("w1", "ann@example.com")
    company.connect("w1")
    company.connect("w1")
    status = company.wait_first_sync("w1")
    assert status["state"] == "connected" and "previous_google_email" not in status
    assert company.stack.mail.mailbox.messages() == []


def test_a_dozen_consents_racing_on_one_invitation_connect_exactly_once(company):
    from concurrent.futures import ThreadPoolExecutor

    company.enable()
    company.add_worker("w1", "ann@example.com")
    link = company.link("w1")
    screens = [follow(link) for _ in range(12)]
    emails = [f"person{n}@example.com" for n in range(12)]

    def answer(n: int) -> str:
        landing = query_of(follow(consent(screens[n], email=emails[n])))
        return landing.get("reason", landing["google_calendar"])

    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(answer, range(12)))
    assert sorted(set(outcomes)) == ["connected", "invite_used"], outcomes
    assert outcomes.count("connected") == 1
    winner = emails[outcomes.index("connected")]
    status = company.wait_first_sync("w1")
    assert status["google_email"] == winner and "previous_google_email" not in status
    accounts = {
        a.id: a.to_dict() for a in company.stack.db.collection("companies/c1/accounts").stream()
    }
    in_use = {sub: a for sub, a in accounts.items() if a.get("grant_id") or a.get("worker_ids")}
    # Only the winner's account was taken into use. (Under heavy load the emulator has once let
    # a sync look at a loser's account; it found nobody on it and took nothing.)
    winner_sub = company.account_sub("w1")
    assert list(in_use) == [winner_sub], (outcomes, accounts)
    assert in_use[winner_sub]["worker_ids"] == ["w1"]
