"""Invite -> consent -> callback, through the functions exactly as docs/api.md describes."""

import time
from urllib.parse import parse_qsl, urlsplit

import jwt
import requests

from shared.google.oauth import CALENDAR_LIST, REQUIRED_SCOPES
from tests.browser import consent, follow, query_of


def test_platform_client_full_flow(company):
    company.enable()
    company.add_worker("w1", "ann@example.com", "Ann")
    url = company.link("w1")
    assert url.startswith(company.stack.url + "/connect?invite=")
    assert company.connection("w1")["state"] == "invited"

    google_url = follow(url)
    assert google_url.startswith(company.stack.google.base_url + "/o/oauth2/v2/auth?")
    asked = query_of(google_url)
    assert asked["client_id"] == company.stack.config.platform_client_id
    assert asked["redirect_uri"] == company.stack.url + "/getAuthKey"
    assert asked["access_type"] == "offline" and asked["prompt"] == "consent"
    assert asked["include_granted_scopes"] == "true"
    assert asked["login_hint"] == "ann@example.com"
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) >= 43
    assert set(asked["scope"].split()) >= REQUIRED_SCOPES | {"openid"}
    assert "hd" not in asked

    landing = query_of(follow(consent(google_url)))
    assert landing == {"google_calendar": "connected", "worker_id": "w1"}
    status = company.connection("w1")
    assert status["state"] == "connected"
    assert status["google_email"] == "ann@example.com"
    assert set(status["scopes"]) >= REQUIRED_SCOPES
    assert status["connected_at"]


def test_denial_returns_access_denied_and_connects_nothing(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    landing = company.connect("w1", button="deny")
    assert landing == {"google_calendar": "error", "reason": "access_denied"}
    assert company.connection("w1")["state"] == "invited"


def test_partial_consent_is_refused_and_the_grant_given_back(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    landing = company.connect("w1", untick=(CALENDAR_LIST,))
    assert landing == {"google_calendar": "error", "reason": "missing_scopes"}
    assert company.connection("w1")["state"] == "invited"
    assert "1//0local-" not in company.raw()
    # Google no longer holds a grant for our client (nothing half-connected).
    client_id = company.stack.config.platform_client_id
    assert company.stack.google.accounts.granted_scopes("ann@example.com", client_id) == frozenset()


def test_replayed_callback_is_refused(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    callback = consent(follow(company.link("w1")))
    assert query_of(follow(callback))["google_calendar"] == "connected"
    assert query_of(follow(callback)) == {"google_calendar": "error", "reason": "invalid_state"}


def test_forged_and_expired_states_are_refused(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    google_url = follow(company.link("w1"))
    callback = consent(google_url)
    params = dict(parse_qsl(urlsplit(callback).query))
    config = company.stack.config
    forged = jwt.encode(
        {**jwt.decode(params["state"], options={"verify_signature": False})},
        "another-secret-another-secret-another",
        algorithm="HS256",
    )
    base = company.stack.url + "/getAuthKey"
    landing = follow(f"{base}?code={params['code']}&state={forged}")
    assert query_of(landing)["reason"] == "invalid_state"
    claims = jwt.decode(params["state"], config.signing_secret, algorithms=["HS256"])
    expired = jwt.encode({**claims, "exp": int(time.time()) - 1}, config.signing_secret, "HS256")
    landing = follow(f"{base}?code={params['code']}&state={expired}")
    assert query_of(landing)["reason"] == "expired_state"
    assert company.connection("w1")["state"] == "invited"


def test_unknown_or_tampered_invites_end_in_a_clear_redirect(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    for invite in ("", "garbage", company.link("w1").split("invite=")[1][:-3] + "abc"):
        response = requests.get(
            f"{company.stack.url}/connect?invite={invite}", allow_redirects=False, timeout=10
        )
        assert response.status_code == 302
        assert query_of(response.headers["Location"]) == {
            "google_calendar": "error",
            "reason": "invalid_invite",
        }


def test_callback_without_state_or_with_garbage_is_a_redirect_not_a_500(company):
    for query in ("", "?code=x", "?state=x&code=y", "?error=access_denied"):
        response = requests.get(
            company.stack.url + "/getAuthKey" + query, allow_redirects=False, timeout=10
        )
        assert response.status_code == 302, response.text
        assert query_of(response.headers["Location"])["google_calendar"] == "error"


def test_private_client_asks_for_the_domain_and_refuses_outsiders(company):
    company.enable_private()
    company.add_worker("w1", "ann@acme.example")
    google_url = follow(company.link("w1"))
    asked = query_of(google_url)
    assert asked["client_id"] == "acme-private.apps.googleusercontent.com"
    assert asked["hd"] == "acme.example"
    # Google only hints with hd: a person may still pick a private account.
    landing = query_of(follow(consent(google_url, email="ann.private@gmail.com")))
    assert landing == {"google_calendar": "error", "reason": "wrong_domain"}
    assert company.connection("w1")["state"] == "invited"

    landing = company.connect("w1")
    assert landing["google_calendar"] == "connected"
    assert company.connection("w1")["google_email"] == "ann@acme.example"


def test_disabled_integration_refuses_links(company):
    company.add_worker("w1", "ann@example.com")
    response = company.call("POST", "/workers/w1/authorization-url")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "integration_disabled"
    # A link sent earlier stops working when the admin turns the integration off.
    company.enable()
    link = company.link("w1")
    company.call("PUT", "/settings", json={"enabled": False})
    assert connect_through_google_refused(link) == "integration_disabled"


def connect_through_google_refused(link: str) -> str:
    landing = query_of(follow(link))
    assert landing["google_calendar"] == "error"
    return landing["reason"]


def test_google_failing_at_the_code_exchange_ends_in_a_redirect(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    callback = consent(follow(company.link("w1")))
    company.stack.google.inject_fault(503, "backendError", method="POST", path="/token")
    assert query_of(follow(callback)) == {"google_calendar": "error", "reason": "exchange_failed"}
    assert company.connection("w1")["state"] == "invited"


def test_an_unexpected_failure_still_ends_in_a_redirect(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    callback = consent(follow(company.link("w1")))
    # The stored client secret no longer opens (e.g. a key rotation gone wrong).
    company.stack.db.document("companies/c1").update(
        {
            "provider": "private",
            "client_id": "x",
            "workspace_domain": "example.com",
            "client_secret": {"v": 1, "wrapped_key": "AAAA", "nonce": "AAAA", "ciphertext": "AAAA"},
        }
    )
    assert query_of(follow(callback)) == {"google_calendar": "error", "reason": "server_error"}


def test_an_attempt_stores_no_verifier_and_expires(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    google_url = follow(company.link("w1"))
    (attempt,) = company.stack.db.collection("companies/c1/oauth_states").stream()
    record = attempt.to_dict()
    assert "code_verifier" not in record
    assert query_of(google_url)["code_challenge"] not in company.raw()
    # Firestore's TTL policy on expire_at deletes abandoned attempts.
    lifetime = record["expire_at"] - record["created_at"]
    assert lifetime.total_seconds() == 15 * 60
    assert query_of(follow(consent(google_url)))["google_calendar"] == "connected"


def test_connect_with_a_secret_that_no_longer_opens_is_a_redirect_not_a_500(company):
    company.enable_private()
    company.add_worker("w1", "ann@acme.example")
    link = company.link("w1")
    company.stack.db.document("companies/c1").update(
        {"client_secret": {"v": 1, "wrapped_key": "AAAA", "nonce": "AAAA", "ciphertext": "AAAA"}}
    )
    assert query_of(follow(link)) == {"google_calendar": "error", "reason": "server_error"}


def test_googles_signing_keys_are_fetched_once_not_per_consent(company):
    company.enable()
    for n in range(3):
        company.add_worker(f"w{n}", f"person{n}@example.com")
    company.stack.google.reset_request_log()
    for n in range(3):
        assert company.connect(f"w{n}")["google_calendar"] == "connected"
    paths = [entry["path"] for entry in company.stack.google.request_log()]
    assert paths.count("/oauth2/v1/certs") <= 1, paths
