"""A body over the route's limit is a 413 before it is parsed, and before it is read when its
Content-Length says so. The default limit is 1 MB (shared/web.py `MAX_BODY_BYTES`)."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

from shared.web import MAX_BODY_BYTES
from tests.api.edge import assert_error, company_is_untouched

WORKER = {"name": "Ann", "email": "ann@example.com", "active": True, "timezone": "UTC"}
TWO_MB = 2 * 1024 * 1024


def _padded(size: int, record: dict = WORKER) -> bytes:
    """A JSON object of exactly `size` bytes: `record` plus a padding field."""
    base = json.dumps({**record, "padding": ""}).encode()
    return json.dumps({**record, "padding": "x" * (size - len(base))}).encode()


def test_the_default_limit_is_one_megabyte():
    assert MAX_BODY_BYTES == 1024 * 1024


def test_a_2mb_body_is_413_and_nothing_is_written(stack):
    body = _padded(TWO_MB)
    for method, path in [("PUT", "/workers/w1"), ("PUT", "/settings")]:
        response = stack.request(
            method, path, data=body, headers={"Content-Type": "application/json"}
        )
        assert_error(response, 413, "body_too_large", "body")
    assert company_is_untouched(stack)


def test_a_body_just_under_the_limit_is_parsed(stack):
    """The limit is 1 MB, not less: this body reaches the model (which refuses `padding`)."""
    response = stack.request(
        "PUT",
        "/workers/w1",
        data=_padded(MAX_BODY_BYTES - 1024),
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "invalid_input", "padding")


def test_a_route_that_never_parses_a_body_refuses_a_big_one_too(stack):
    """The router checks the size, not only `parse_body`: resync reads no body at all."""
    stack.request("PUT", "/workers/w1", json=WORKER)
    response = stack.request("POST", "/workers/w1/resync", data=b"x" * TWO_MB)
    assert_error(response, 413, "body_too_large", "body")


def test_a_chunked_body_over_the_limit_is_413(stack):
    """No Content-Length: the body is measured as it is read (at most the limit and a byte),
    on a route that parses it as on one that never reads it."""

    def chunks():
        piece = b" " * 65536
        yield b'{"name": "Ann", "padding": "'
        for _ in range(TWO_MB // len(piece)):
            yield piece
        yield b'"}'

    for method, path in [("PUT", "/workers/w1"), ("POST", "/workers/w2/resync")]:
        response = stack.request(
            method, path, data=chunks(), headers={"Content-Type": "application/json"}
        )
        assert_error(response, 413, "body_too_large", "body")
    assert company_is_untouched(stack)


def test_a_declared_length_over_the_limit_is_refused_without_reading_the_body(stack):
    """The client announces 2 MB and sends nothing: the answer must come anyway (a server
    waiting for the body would time out here)."""
    url = urlsplit(stack.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.putrequest("POST", "/workers/w1/resync")
        connection.putheader("Authorization", f"Bearer {stack.token()}")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(TWO_MB))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
        error = json.loads(response.read())["error"]
    finally:
        connection.close()
    assert (error["code"], error["field"]) == ("body_too_large", "body")
