"""Workspace domain-wide delegation: a service account key from the stand-in, refreshed by
google-auth's `service_account.Credentials` exactly as production code does."""

from __future__ import annotations

import time

import google.auth.transport.requests
import jwt
import pytest
import requests
from google.auth import jwt as google_jwt
from google.auth.exceptions import RefreshError
from google.oauth2 import service_account

EVENTS_READONLY = "https://www.googleapis.com/auth/calendar.events.readonly"
APP_CREATED = "https://www.googleapis.com/auth/calendar.app.created"
EMAIL = "https://www.googleapis.com/auth/userinfo.email"
DELEGATED = [EMAIL, EVENTS_READONLY, APP_CREATED]
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@pytest.fixture
def http():
    return google.auth.transport.requests.Request()


def create_key(google, **body) -> dict:
    body = {"domain": "example.com", "scopes": DELEGATED, **body}
    answer = requests.post(google.base_url + "/_test/service-accounts", json=body, timeout=10)
    answer.raise_for_status()
    return answer.json()


def delegated(key: dict, subject: str | None, scopes=(EVENTS_READONLY,)):
    credentials = service_account.Credentials.from_service_account_info(key, scopes=list(scopes))
    return credentials.with_subject(subject) if subject else credentials


def assertion(key: dict, **claims) -> str:
    now = int(time.time())
    payload = {
        "iss": key["client_email"],
        "aud": "https://oauth2.googleapis.com/token",
        "scope": EVENTS_READONLY,
        "sub": "worker@example.com",
        "iat": now,
        "exp": now + 3600,
        **claims,
    }
    return jwt.encode(
        payload, key["private_key"], algorithm="RS256", headers={"kid": key["private_key_id"]}
    )


def test_key_file_looks_like_googles(google):
    key = create_key(google, email="sync@acme-prod.iam.gserviceaccount.com")

    assert key["type"] == "service_account"
    assert key["project_id"] == "acme-prod"
    assert key["client_email"] == "sync@acme-prod.iam.gserviceaccount.com"
    assert key["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert key["private_key_id"] and key["client_id"].isdigit()
    assert key["token_uri"] == google.base_url + "/token"


def test_delegated_credentials_act_for_a_domain_user(google, http):
    credentials = delegated(create_key(google), "worker@example.com", DELEGATED)

    credentials.refresh(http)

    grant = google.accounts.resolve_access_token(credentials.token)
    assert grant.email == "worker@example.com"
    assert grant.scopes == frozenset(DELEGATED)


def test_service_account_without_subject_acts_as_itself(google, http):
    key = create_key(google)
    credentials = delegated(key, None)

    credentials.refresh(http)

    assert google.accounts.resolve_access_token(credentials.token).email == key["client_email"]


def test_jwt_bearer_answer_has_no_refresh_token(google):
    key = create_key(google)

    answer = requests.post(
        key["token_uri"],
        data={"grant_type": JWT_BEARER, "assertion": assertion(key)},
        timeout=10,
    ).json()

    assert answer["token_type"] == "Bearer" and answer["access_token"]
    assert "refresh_token" not in answer


@pytest.mark.parametrize(
    ("subject", "scopes"),
    [
        ("someone@other.org", (EVENTS_READONLY,)),  # outside the delegated domain
        ("worker@example.com", ("https://www.googleapis.com/auth/calendar",)),  # not allowed
    ],
)
def test_delegation_beyond_what_the_admin_allowed_is_unauthorized_client(
    google, http, subject, scopes
):
    credentials = delegated(create_key(google), subject, scopes)

    with pytest.raises(RefreshError, match="unauthorized_client"):
        credentials.refresh(http)


def test_assertion_signed_with_another_key_is_invalid_grant(google, http):
    key, impostor = create_key(google), create_key(google)
    forged = {**key, "private_key": impostor["private_key"]}

    with pytest.raises(RefreshError, match="invalid_grant"):
        delegated(forged, "worker@example.com").refresh(http)


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://elsewhere.example.com/token"},
        {"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600},  # expired
        {"exp": int(time.time()) + 7200},  # longer than an hour
    ],
)
def test_bad_assertions_are_invalid_grant(google, claims):
    key = create_key(google)

    answer = requests.post(
        key["token_uri"],
        data={"grant_type": JWT_BEARER, "assertion": assertion(key, **claims)},
        timeout=10,
    )

    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")


def test_unknown_service_account_is_invalid_grant(google):
    key = {**create_key(google), "client_email": "ghost@nowhere.iam.gserviceaccount.com"}

    answer = requests.post(
        google.base_url + "/token",
        data={"grant_type": JWT_BEARER, "assertion": assertion(key)},
        timeout=10,
    )

    assert answer.json()["error"] == "invalid_grant"


def test_published_certificate_verifies_what_the_key_signs(google):
    key = create_key(google)
    signer = service_account.Credentials.from_service_account_info(key).signer
    now = int(time.time())
    claims = {"iss": key["client_email"], "aud": "anyone", "iat": now, "exp": now + 60}
    signed = google_jwt.encode(signer, claims)

    certs = requests.get(key["client_x509_cert_url"], timeout=10).json()

    assert google_jwt.decode(signed, certs=certs, audience="anyone") == claims
