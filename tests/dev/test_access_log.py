"""`make run`'s access log: one line per request to the functions, secrets left out."""

from __future__ import annotations

import io
import re

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from dev.access_log import AccessLog

LINE = re.compile(r"^\d\d:\d\d:\d\d  (?P<method>\S+) (?P<path>\S+)  (?P<status>\S+)  \d+ ms$")


def app(environ, start_response):
    request = Request(environ)
    if request.path == "/boom":
        raise RuntimeError("handler failed")
    status = 404 if request.path == "/missing" else 200
    return Response("body", status=status)(environ, start_response)


def logged(stream: io.StringIO) -> list[dict[str, str]]:
    lines = stream.getvalue().splitlines()
    matches = [LINE.match(line) for line in lines]
    assert all(matches), lines
    return [m.groupdict() for m in matches if m]


def test_one_line_per_request_with_method_path_status_and_milliseconds():
    stream = io.StringIO()
    client = Client(AccessLog(app, stream))
    client.get("/workers/w1/connection", buffered=True)  # buffered: the body is closed, as a
    client.post("/missing", buffered=True)  # server closes it once sent
    assert logged(stream) == [
        {"method": "GET", "path": "/workers/w1/connection", "status": "200"},
        {"method": "POST", "path": "/missing", "status": "404"},
    ]


def test_the_query_string_is_not_logged():
    stream = io.StringIO()
    Client(AccessLog(app, stream)).get("/getAuthKey?code=4/0secret&state=x", buffered=True)
    assert "secret" not in stream.getvalue() and "state=" not in stream.getvalue()
    assert logged(stream)[0]["path"] == "/getAuthKey"


def test_a_path_cannot_forge_a_line():
    stream = io.StringIO()
    Client(AccessLog(app, stream)).get("/a%0A12:00:00  GET /forged  200  1 ms", buffered=True)
    assert len(stream.getvalue().splitlines()) == 1
    assert "\\x0a" in stream.getvalue()


def test_a_failing_handler_is_logged_as_500_and_still_raises():
    stream = io.StringIO()
    with pytest.raises(RuntimeError):
        Client(AccessLog(app, stream)).get("/boom")
    assert logged(stream) == [{"method": "GET", "path": "/boom", "status": "500"}]
