"""Requests are refused unless the caller may do what it asks, in docs/api.md's error shape."""

import time

import jwt
import pytest

WORKER = {"name": "Ada Field", "email": "ada@example.com", "active": True, "timezone": "UTC"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    if code:
        assert error["code"] == code
    return error


def test_missing_token_is_401(stack):
    assert_error(stack.request("PUT", "/workers/w1", token="", json=WORKER), 401, "unauthenticated")


def test_token_signed_with_another_secret_is_401(stack):
    forged = jwt.encode(
        {"company_id": "c1", "role": "admin", "exp": int(time.time()) + 60},
        "not-the-secret-not-the-secret-not-the-secret",
        algorithm="HS256",
    )
    assert_error(stack.request("PUT", "/workers/w1", token=forged, json=WORKER), 401)


def test_expired_token_is_401(stack):
    expired = jwt.encode(
        {"company_id": "c1", "role": "admin", "exp": int(time.time()) - 5},
        stack.config.jwt_secret,
        algorithm="HS256",
    )
    assert_error(
        stack.request("PUT", "/workers/w1", token=expired, json=WORKER), 401, "token_expired"
    )


@pytest.mark.parametrize(
    "claims",
    [
        {"role": "admin"},  # no company
        {"company_id": "c1", "role": "owner"},  # unknown role
        {"company_id": "c1", "role": "fieldworker"},  # fieldworker without worker_id
        {"company_id": "c1", "role": "admin", "exp": None},  # no expiry
    ],
)
def test_malformed_claims_are_401(stack, claims):
    claims = {"exp": int(time.time()) + 60, **claims}
    if claims["exp"] is None:
        del claims["exp"]
    token = jwt.encode(claims, stack.config.jwt_secret, algorithm="HS256")
    assert_error(stack.request("PUT", "/workers/w1", token=token, json=WORKER), 401)


def test_fieldworker_cannot_write_the_roster(stack):
    response = stack.request("PUT", "/workers/w1", role="fieldworker", worker="w1", json=WORKER)
    assert_error(response, 403, "forbidden")
    assert not stack.db.document("companies/c1/workers/w1").get().exists


def test_fieldworker_reaches_only_itself(stack):
    for worker_id in ("w1", "w2"):
        assert stack.request("PUT", f"/workers/{worker_id}", json=WORKER).status_code == 200
    mine = stack.request("GET", "/workers/w1/connection", role="fieldworker", worker="w1")
    assert mine.status_code == 200
    assert mine.json()["state"] == "not_connected"
    other = stack.request("GET", "/workers/w2/connection", role="fieldworker", worker="w1")
    assert_error(other, 403, "forbidden")


def test_another_company_cannot_see_the_worker(stack):
    assert stack.request("PUT", "/workers/w1", company="c1", json=WORKER).status_code == 200
    response = stack.request("GET", "/workers/w1/connection", company="c2")
    assert_error(response, 404, "not_found")
    # and writing under its own company does not touch c1's worker
    renamed = {**WORKER, "name": "Someone Else"}
    assert stack.request("PUT", "/workers/w1", company="c2", json=renamed).status_code == 200
    assert stack.db.document("companies/c1/workers/w1").get().to_dict()["name"] == "Ada Field"


def test_task_endpoint_refuses_platform_tokens(stack):
    response = stack.request(
        "POST", "/tasks/sync", json={"kind": "worker", "company_id": "c1", "worker_id": "w1"}
    )
    assert_error(response, 401, "invalid_token")


def test_task_endpoint_refuses_a_token_for_another_address(stack):
    from dev.tokens import service_token

    token = service_token(stack.config, "/cron/poll")
    response = stack.request(
        "POST",
        "/tasks/sync",
        token=token,
        json={"kind": "worker", "company_id": "c1", "worker_id": "w1"},
    )
    assert_error(response, 401, "invalid_token")


def test_invalid_worker_body_names_the_field_and_writes_nothing(stack):
    response = stack.request("PUT", "/workers/w1", json={**WORKER, "email": "not-an-email"})
    assert assert_error(response, 400, "invalid_input")["field"] == "email"
    response = stack.request("PUT", "/workers/w1", json={**WORKER, "timezone": "Mars/Olympus"})
    assert assert_error(response, 400)["field"] == "timezone"
    response = stack.request("PUT", "/workers/w1", data=b"{not json", headers={})
    assert assert_error(response, 400)["field"] == "body"
    assert not stack.db.document("companies/c1/workers/w1").get().exists


def test_unknown_path_is_404_json(stack):
    assert_error(stack.request("GET", "/no/such/thing"), 404)


def _token(stack, **claims) -> str:
    return jwt.encode(
        {"role": "admin", "exp": int(time.time()) + 60, **claims},
        stack.config.jwt_secret,
        algorithm="HS256",
    )


@pytest.mark.parametrize(
    "claims",
    [
        {"company_id": "../c2"},  # was a 500
        {"company_id": "c1/workers/w1"},  # was a document path under another company
        {"company_id": "__c1__"},  # reserved by Firestore
        {"company_id": ""},
        {"company_id": 7},
        {"company_id": "c1", "role": "fieldworker", "worker_id": "w1/../w2"},
        {"company_id": "c1", "role": "fieldworker", "worker_id": ["w1"]},
        {"company_id": "c1", "worker_id": "../w2"},  # an admin's optional worker_id too
    ],
)
def test_token_ids_are_checked_like_path_ids(stack, claims):
    token = _token(stack, **claims)
    response = stack.request("PUT", "/workers/w1", token=token, json=WORKER)
    assert_error(response, 401, "invalid_token")
    assert not stack.db.document("companies/c1/workers/w1/workers/w1").get().exists


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": str(int(time.time()) + 600)},  # was accepted: PyJWT reads it with int()
        {"exp": f"{int(time.time()) + 600}.5"},
        {"iat": str(int(time.time()))},
        {"nbf": str(int(time.time()) - 5)},
    ],
)
def test_time_claims_must_be_numbers_not_strings(stack, claims):
    token = _token(stack, company_id="c1", **claims)
    response = stack.request("PUT", "/workers/w1", token=token, json=WORKER)
    assert_error(response, 401, "invalid_token")
    assert not stack.db.document("companies/c1/workers/w1").get().exists


def test_exp_true_is_refused(stack):
    token = _token(stack, company_id="c1", exp=True)
    assert_error(stack.request("PUT", "/workers/w1", token=token, json=WORKER), 401)


def test_a_fractional_exp_is_a_number_and_accepted(stack):
    token = _token(stack, company_id="c1", exp=time.time() + 600)
    assert stack.request("PUT", "/workers/w1", token=token, json=WORKER).status_code == 200


def test_path_ids_refuse_firestore_reserved_names(stack):
    response = stack.request("PUT", "/workers/__w1__", json=WORKER)
    assert assert_error(response, 400, "invalid_input")["field"] == "worker_id"
