"""Cloud Tasks / Scheduler endpoints take only our service account's token for their own URL."""

import time

import jwt
import pytest

from dev.tokens import service_token

# Harmless work for /tasks/sync: a look at a worker that does not exist.
LOOK = {"kind": "worker", "company_id": "c1", "worker_id": "nobody"}
ENDPOINTS = [("/cron/sweep", None), ("/tasks/sync", LOOK)]


def minted(stack, path: str, **changes) -> str:
    """What Cloud Tasks would send to `path`, with `changes` to its claims (None drops one),
    signed with the real local service secret, so only the changed claim can be refused."""
    claims = jwt.decode(service_token(stack.config, path), options={"verify_signature": False})
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, stack.config.local_service_secret, algorithm="HS256")


def call(stack, path: str, body, token: str):
    return stack.request("POST", path, token=token, json=body)


@pytest.mark.parametrize(("path", "body"), ENDPOINTS)
def test_the_service_accounts_own_token_is_accepted(stack, path, body):
    # The control for the refusals below: the same minting, nothing changed, goes through.
    response = call(stack, path, body, minted(stack, path))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("path", "body"), ENDPOINTS)
@pytest.mark.parametrize(
    "changes",
    [
        {"email": "someone-else@other-project.iam.gserviceaccount.com"},
        {"email_verified": False},
        {"email_verified": None},  # not stated is not verified
    ],
    ids=["other_account", "unverified_email", "no_email_verified"],
)
def test_a_token_of_another_identity_is_403(stack, path, body, changes):
    response = call(stack, path, body, minted(stack, path, **changes))
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(("path", "body"), ENDPOINTS)
@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "https://elsewhere.example{path}"},  # same path, another service
        {"aud": "{base}/cron/poll"},  # our service, another endpoint
        {"aud": None},
        {"exp": int(time.time()) - 60},
        {"email": None},
    ],
    ids=["other_host", "other_endpoint", "no_audience", "expired", "no_email"],
)
def test_a_token_not_for_this_url_or_malformed_is_401(stack, path, body, changes):
    base = stack.config.public_base_url.rstrip("/")
    changes = {
        name: value.format(path=path, base=base) if isinstance(value, str) else value
        for name, value in changes.items()
    }
    response = call(stack, path, body, minted(stack, path, **changes))
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "invalid_token"


@pytest.mark.parametrize(("path", "body"), ENDPOINTS)
def test_a_token_signed_with_another_secret_is_401(stack, path, body):
    claims = jwt.decode(service_token(stack.config, path), options={"verify_signature": False})
    forged = jwt.encode(claims, "x" * 40, algorithm="HS256")
    response = call(stack, path, body, forged)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "invalid_token"


# -- platform tokens (people and the platform backend) ----------------------------------


def platform(stack, **claims) -> str:
    claims = {"exp": int(time.time()) + 60, **claims}
    return jwt.encode(claims, stack.config.jwt_secret, algorithm="HS256")


@pytest.mark.parametrize(
    "claims",
    [
        {"company_id": 123, "role": "admin"},
        {"company_id": "", "role": "admin"},
        {"company_id": "c1", "role": "fieldworker", "worker_id": 123},
        {"company_id": "c1", "role": "fieldworker", "worker_id": ""},
    ],
    ids=["numeric_company", "empty_company", "numeric_worker", "empty_worker"],
)
def test_a_platform_token_whose_ids_are_not_ids_is_401(stack, claims):
    token = platform(stack, **claims)
    response = stack.request("GET", "/workers/w1/connection", token=token)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "invalid_token"


def test_only_the_bearer_scheme_carries_a_token(stack):
    token = platform(stack, company_id="c1", role="admin")
    for header in (f"Basic {token}", f"Token {token}", "Bearer ", token):
        response = stack.request("GET", "/connections", token="", headers={"Authorization": header})
        assert response.status_code == 401, (header[:10], response.text)
    accepted = stack.request(
        "GET", "/connections", token="", headers={"Authorization": f"Bearer {token}"}
    )
    assert accepted.status_code == 200, accepted.text
