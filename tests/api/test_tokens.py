"""A token that is not a token is a 401 that says "invalid token", and nothing more.

The library's reason (PyJWT's "Invalid header string: 'utf-8' codec can't decode byte 0xff")
is for our logs, which never hold the token itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time

import jwt
import pytest

from tests.api.edge import assert_error, company_is_untouched

WORKER = {"name": "Ann", "email": "ann@example.com", "active": True, "timezone": "UTC"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed(secret: str, header: bytes, payload: bytes) -> str:
    """A token signed with the right secret whose segments are whatever we say."""
    signing_input = f"{_b64(header)}.{_b64(payload)}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _unsigned(header: bytes, payload: bytes) -> str:
    return f"{_b64(header)}.{_b64(payload)}.c2ln"


def malformed_tokens(secret: str) -> dict[str, str]:
    exp = int(time.time()) + 600
    claims = json.dumps({"company_id": "c1", "role": "admin", "exp": exp}).encode()
    return {
        "one_segment": "not-a-token-at-all",
        "bad_padding": "a.b.c",
        "header_not_utf8": _unsigned(b"\xff", claims),
        "header_not_json": _unsigned(b"{nope", claims),
        "header_a_list": _unsigned(b"[]", claims),
        "payload_not_utf8": _signed(secret, b'{"alg":"HS256"}', b"\xff"),
        "payload_a_list": _signed(secret, b'{"alg":"HS256"}', b"[1]"),
        "alg_none": _unsigned(b'{"alg":"none"}', claims)[: -len("c2ln")],
        "kid_a_number": _signed(secret, b'{"alg":"HS256","kid":5}', claims),
        "crit_unknown": _signed(secret, b'{"alg":"HS256","crit":["x"]}', claims),
    }


CASES = list(malformed_tokens("-").keys())


def _assert_just_invalid_token(response) -> None:
    error = assert_error(response, 401, "invalid_token")
    assert error["message"] == "invalid token", error
    assert "field" not in error


@pytest.mark.parametrize("case", CASES)
def test_a_malformed_platform_token_is_401_invalid_token_without_internals(stack, caplog, case):
    token = malformed_tokens(stack.config.jwt_secret)[case]
    caplog.set_level(logging.INFO, logger="shared.security")
    response = stack.request("PUT", "/workers/w1", token=token, json=WORKER)
    _assert_just_invalid_token(response)
    assert company_is_untouched(stack)
    # The reason is logged, the token is not (nor any of its segments).
    refusals = [r.getMessage() for r in caplog.records if r.name == "shared.security"]
    assert any("refused a platform token" in message for message in refusals), refusals
    for message in refusals:
        for part in (token, *token.split(".")):
            assert len(part) < 8 or part not in message, message


def test_the_utf8_reason_is_logged_not_answered(stack, caplog):
    token = malformed_tokens(stack.config.jwt_secret)["header_not_utf8"]
    caplog.set_level(logging.INFO, logger="shared.security")
    response = stack.request("GET", "/connections", token=token)
    _assert_just_invalid_token(response)
    assert "codec" not in response.text and "utf-8" not in response.text
    assert any("utf-8" in r.getMessage() for r in caplog.records), caplog.text


@pytest.mark.parametrize("path, body", [("/cron/sweep", None), ("/tasks/sync", {"kind": "x"})])
@pytest.mark.parametrize("case", ["one_segment", "header_not_utf8", "payload_not_utf8"])
def test_a_malformed_service_token_is_401_invalid_token_without_internals(
    stack, caplog, path, body, case
):
    token = malformed_tokens(stack.config.local_service_secret)[case]
    caplog.set_level(logging.INFO, logger="shared.security")
    _assert_just_invalid_token(stack.request("POST", path, token=token, json=body))
    refusals = [r.getMessage() for r in caplog.records if r.name == "shared.security"]
    assert any("refused a service token" in message for message in refusals), refusals
    assert all(token not in message for message in refusals)


def _platform(stack, **claims) -> str:
    claims = {"role": "admin", "exp": int(time.time()) + 600, **claims}
    return jwt.encode(claims, stack.config.jwt_secret, algorithm="HS256")


@pytest.mark.parametrize(
    "claims",
    [
        {"company_id": "__x__"},
        {"company_id": "a/b"},
        {"company_id": "."},
        {"company_id": ".."},
        {"company_id": "c" * 129},
        {"company_id": True},
        {"company_id": "c1", "role": "fieldworker", "worker_id": "a/b"},
        {"company_id": "c1", "role": "fieldworker", "worker_id": "__x__"},
    ],
    ids=lambda claims: repr(claims)[:40],
)
def test_a_token_whose_ids_are_not_ids_is_401(stack, claims):
    token = _platform(stack, **claims)
    for method, path, body in [
        ("PUT", "/workers/w1", WORKER),
        ("GET", "/workers/w1/connection", None),
        ("GET", "/settings", None),
    ]:
        assert_error(stack.request(method, path, token=token, json=body), 401, "invalid_token")
    assert company_is_untouched(stack)
    assert company_is_untouched(stack, "a")


def test_a_token_with_good_ids_is_accepted(stack):
    """The control for the refusals above: the same minting with plain ids goes through."""
    response = stack.request(
        "PUT", "/workers/w1", token=_platform(stack, company_id="c1"), json=WORKER
    )
    assert response.status_code == 200, response.text
