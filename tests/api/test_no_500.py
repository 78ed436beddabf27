"""Hostile requests to every route of every function: each is refused or served, never a 500.

The routes are read from the routers themselves, so a new route is swept as soon as it exists.
"""

from __future__ import annotations

import importlib
import logging
import re

import pytest

from dev.tokens import service_token
from functions.main import ENTRY_POINTS

ROUTES = sorted(
    {
        (method, path, access)
        for name in ENTRY_POINTS
        for path, methods, access in importlib.import_module(f"functions.{name}").router.routes()
        for method in methods
    }
)

# As written on the wire.
IDS = ["w1", "__x__", "..", "a%2Fb", "x" * 129, "%FF", "a%00b"]
BODIES = {
    "none": None,
    "empty": b"",
    "not_json": b"{not json",
    "not_utf8": b"\xff\xfe\x00",
    "array": b"[1, 2]",
    "null": b"null",
    "string": b'"hello"',
    "deep": b"[" * 100_000,
    "huge_number": b'{"version": ' + b"9" * 5000 + b"}",
    "wrong_types": (
        b'{"name": 1, "email": [], "active": "yes", "enabled": 1, "timezone": {}, '
        b'"selected": "all", "kind": 5, "subject": false, "service_account_key": 7, '
        b'"color": 1, "push_to_google": "no", "company_id": "__x__", "worker_id": "a/b"}'
    ),
}
CALLERS = ["admin", "fieldworker", "service", "none", "malformed"]


def _fill(path: str, value: str) -> str:
    return re.sub(r"<[^>]+>", value, path)


def _token(stack, caller: str, path: str) -> str:
    from urllib.parse import unquote

    if caller == "service":
        return service_token(stack.config, unquote(path.split("?")[0]))
    if caller == "fieldworker":
        return stack.token("fieldworker", "c1", "w1")
    if caller == "none":
        return ""
    if caller == "malformed":
        return "_w.e30.c2ln"
    return stack.token("admin", "c1")


def _check(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        error = response.json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str), what
        assert "Traceback" not in response.text, what


def test_every_route_is_swept():
    assert len(ROUTES) >= 15, ROUTES


@pytest.mark.parametrize(("method", "path", "access"), ROUTES, ids=lambda v: str(v))
def test_no_hostile_request_makes_a_500(stack, send, caplog, method, path, access):
    caplog.set_level(logging.WARNING, logger="shared.web")
    for value in IDS:
        raw = _fill(path, value)
        for caller in CALLERS:
            for query in ("", "?invite=%FF&code=__x__&state=..&version=-1&from=x"):
                response = send(
                    method, raw + query, token=_token(stack, caller, raw), data=b"{not json"
                )
                _check(response, f"{method} {raw}{query} as {caller}")
    raw = _fill(path, "w1")
    for caller in ("admin", "service"):
        for name, body in BODIES.items():
            headers = {"Content-Type": "application/json"} if body is not None else {}
            response = send(
                method, raw, token=_token(stack, caller, raw), data=body, headers=headers
            )
            _check(response, f"{method} {raw} as {caller} with {name} body")
    unhandled = [r for r in caplog.records if r.name == "shared.web" and r.levelno >= logging.ERROR]
    assert not unhandled, [r.getMessage() for r in unhandled]
