"""The router's own rules, without emulators or an HTTP server: Flask's test request context.

The handlers here check nothing themselves, so each refusal below is the router's.
"""

from __future__ import annotations

import io
import json

import flask
import pytest

from dev.tokens import platform_token, service_token
from shared import web
from shared.config import load_config
from shared.errors import RetryLater
from shared.security import Principal, _redacted
from shared.web import MAX_BATCH_BODY_BYTES, MAX_BODY_BYTES, Router, parse_body

CONFIG = load_config({"APP_MODE": "local"})
APP = flask.Flask(__name__)
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _config(monkeypatch):
    monkeypatch.setattr(web, "get_config", lambda: CONFIG)


@pytest.fixture
def calls() -> list[dict]:
    return []


@pytest.fixture
def router(calls) -> Router:
    router = Router()

    def record(request: flask.Request, **values):
        calls.append(values)
        return {"ok": True}

    def echo_body(request: flask.Request, **values):
        calls.append(values)
        return {"size": len(request.get_data())}

    router.route("/admin/<worker_id>", ["POST"], access="admin")(record)
    router.route("/workers/<worker_id>", ["POST"], access="worker")(record)
    router.route("/workers/<worker_id>/items/<item_id>", ["PUT"], access="worker")(record)
    router.route("/platform", ["GET"], access="platform")(record)
    router.route("/service/<job>", ["POST"], access="service")(record)
    router.route("/public", ["GET", "POST"], access="public")(record)
    router.route("/echo", ["POST"], access="public")(echo_body)
    router.route("/batch", ["POST"], access="public", max_body_bytes=MAX_BATCH_BODY_BYTES)(
        echo_body
    )
    return router


def token(role: str = "admin", worker: str | None = None) -> str:
    return platform_token(CONFIG, role, "c1", worker)


def call(router: Router, method: str, path: str, bearer: str | None = "", **kwargs):
    """`path` as sent on the wire (RAW_URI); `bearer` None sends no Authorization header."""
    headers = kwargs.pop("headers", {})
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer or token()}"
    with APP.test_request_context(path, method=method, headers=headers, **kwargs):
        response = router.dispatch(flask.request)
        return response.status_code, json.loads(response.get_data() or b"null")


def refused(result, status: int, code: str, field: str | None = None) -> None:
    got_status, body = result
    assert got_status == status, body
    assert body["error"]["code"] == code, body
    assert body["error"].get("field") == field, body


# -- access -------------------------------------------------------------------------------


def test_admin_access(router, calls):
    assert call(router, "POST", "/admin/w1")[0] == 200
    assert call(router, "POST", "/admin/w1", bearer=token("system"))[0] == 200
    assert calls[0]["principal"] == Principal("c1", "admin")
    calls.clear()
    refused(call(router, "POST", "/admin/w1", bearer=token("fieldworker", "w1")), 403, "forbidden")
    refused(call(router, "POST", "/admin/w1", bearer=None), 401, "unauthenticated")
    assert calls == []


def test_worker_access_is_the_worker_itself_or_an_admin(router, calls):
    assert call(router, "POST", "/workers/w1", bearer=token("fieldworker", "w1"))[0] == 200
    assert call(router, "POST", "/workers/w1", bearer=token("admin"))[0] == 200
    assert call(router, "POST", "/workers/w1", bearer=token("system"))[0] == 200
    assert [c["worker_id"] for c in calls] == ["w1", "w1", "w1"]
    calls.clear()
    other = call(router, "POST", "/workers/w2", bearer=token("fieldworker", "w1"))
    refused(other, 403, "forbidden")
    refused(call(router, "POST", "/workers/w1", bearer=None), 401, "unauthenticated")
    assert calls == []


def test_platform_access_takes_any_platform_caller(router, calls):
    assert call(router, "GET", "/platform", bearer=token("fieldworker", "w9"))[0] == 200
    assert calls == [{"principal": Principal("c1", "fieldworker", "w9")}]
    refused(call(router, "GET", "/platform", bearer=None), 401, "unauthenticated")
    refused(
        call(router, "GET", "/platform", bearer=service_token(CONFIG, "/platform")),
        401,
        "invalid_token",
    )


def test_service_access_takes_only_the_service_token_for_this_url(router, calls):
    assert (
        call(router, "POST", "/service/sweep", bearer=service_token(CONFIG, "/service/sweep"))[0]
        == 200
    )
    assert calls == [{"job": "sweep"}]  # no principal
    calls.clear()
    refused(call(router, "POST", "/service/sweep"), 401, "invalid_token")
    wrong_url = service_token(CONFIG, "/service/poll")
    refused(call(router, "POST", "/service/sweep", bearer=wrong_url), 401, "invalid_token")
    refused(call(router, "POST", "/service/sweep", bearer=None), 401, "unauthenticated")
    assert calls == []


def test_public_access_needs_nothing(router, calls):
    assert call(router, "GET", "/public", bearer=None)[0] == 200
    assert calls == [{}]


def test_a_route_must_say_who_may_call_it():
    with pytest.raises(TypeError):
        Router().route("/x", ["GET"])  # type: ignore[call-arg]


def test_a_retry_later_answers_503_with_its_code(calls):
    router = Router()

    def busy(request: flask.Request):
        raise RetryLater("another sync holds the account", code="busy")

    router.route("/busy", ["POST"], access="public")(busy)
    assert call(router, "POST", "/busy", bearer=None) == (
        503,
        {"error": {"code": "busy", "message": "another sync holds the account"}},
    )


def test_declarations_that_cannot_be_checked_are_refused():
    router = Router()
    with pytest.raises(ValueError, match="worker_id"):
        router.route("/things/<thing_id>", ["GET"], access="worker")(lambda request: None)
    with pytest.raises(ValueError, match="unknown access"):
        router.route("/x", ["GET"], access="everyone")  # type: ignore[arg-type]
    with pytest.raises(LookupError):  # only plain <name> variables: each one is an id
        router.route("/x/<int:n>", ["GET"], access="admin")(lambda request, n: None)


# -- path ids -----------------------------------------------------------------------------

BAD_IDS = {
    "__x__": "__x__",
    "__w1__": "__w1__",
    ".": ".",
    "..": "..",
    "%2E%2E": "%2E%2E",
    "a%2Fb": "a%2Fb",
    "..%2Fw2": "..%2Fw2",
    "129 chars": "x" * 129,
    "space": "a%20b",
    "line break": "a%0Ab",
    "nul": "a%00b",
    "non-ascii": "%C3%A9",
    "percent": "a%25b",
    "invalid utf-8": "%FF",
}


@pytest.mark.parametrize("bad", BAD_IDS.values(), ids=BAD_IDS.keys())
def test_every_path_variable_is_an_id(router, calls, bad):
    refused(call(router, "POST", f"/admin/{bad}"), 400, "invalid_input", "worker_id")
    refused(call(router, "POST", f"/workers/{bad}"), 400, "invalid_input", "worker_id")
    refused(call(router, "PUT", f"/workers/w1/items/{bad}"), 400, "invalid_input", "item_id")
    refused(call(router, "PUT", f"/workers/{bad}/items/i1"), 400, "invalid_input", "worker_id")
    service = service_token(CONFIG, flask.Request.from_values(f"/service/{bad}").path)
    refused(call(router, "POST", f"/service/{bad}", bearer=service), 400, "invalid_input", "job")
    assert calls == []


def test_ids_that_are_ids_reach_the_handler(router, calls):
    for good in ("w1", "W-1_a.b:c@d", "x" * 128, "a..b", "_x_"):
        assert call(router, "PUT", f"/workers/{good}/items/{good}")[0] == 200
    assert [c["item_id"] for c in calls] == ["w1", "W-1_a.b:c@d", "x" * 128, "a..b", "_x_"]


def test_an_encoded_slash_stays_in_its_segment(router, calls):
    """PATH_INFO is `/workers/a/b` (no route): the raw URI says it was one segment, `a%2Fb`."""
    refused(call(router, "POST", "/workers/a%2Fb"), 400, "invalid_input", "worker_id")
    refused(call(router, "PUT", "/workers/a%2Fb/items/i1"), 400, "invalid_input", "worker_id")
    with APP.test_request_context("/workers/a%2Fb/items/i1", method="PUT"):
        assert flask.request.path == "/workers/a/b/items/i1"
        assert router.handles(flask.request.path)  # the local host finds the owner
    assert not router.handles("/workers/a/b/items/i1")  # outside a request: the path as given
    assert calls == []


def test_without_a_raw_uri_the_path_is_used(router, calls):
    status, _ = call(
        router,
        "POST",
        "/workers/w1",
        environ_overrides={"RAW_URI": None, "REQUEST_URI": None},
        bearer=token("fieldworker", "w1"),
    )
    assert status == 200
    refused(
        call(
            router,
            "POST",
            "/workers/__x__",
            environ_overrides={"RAW_URI": None, "REQUEST_URI": None},
        ),
        400,
        "invalid_input",
        "worker_id",
    )


def test_authentication_comes_before_ids_and_ids_before_access(router, calls):
    refused(call(router, "POST", "/workers/__x__", bearer=None), 401, "unauthenticated")
    fieldworker = token("fieldworker", "w1")
    refused(
        call(router, "POST", "/workers/__x__", bearer=fieldworker),
        400,
        "invalid_input",
        "worker_id",
    )
    refused(call(router, "POST", "/workers/w2", bearer=fieldworker), 403, "forbidden")


# -- body size ----------------------------------------------------------------------------


def test_the_limits():
    assert MAX_BODY_BYTES == 1 * MB
    assert MAX_BATCH_BODY_BYTES == 8 * MB


def test_a_body_over_the_limit_is_413_before_the_handler(router, calls):
    refused(call(router, "POST", "/echo", data=b"x" * (2 * MB)), 413, "body_too_large", "body")
    refused(call(router, "POST", "/admin/w1", data=b"x" * (2 * MB)), 413, "body_too_large", "body")
    assert calls == []
    assert call(router, "POST", "/echo", data=b"x" * MB) == (200, {"size": MB})


def test_a_declared_length_is_refused_without_reading(router, calls):
    class Unreadable(io.RawIOBase):
        def readinto(self, buffer):
            raise AssertionError("the body was read")

    environ = {"wsgi.input": Unreadable(), "CONTENT_LENGTH": str(2 * MB)}
    result = call(router, "POST", "/echo", environ_overrides=environ)
    refused(result, 413, "body_too_large", "body")
    assert calls == []


def test_a_chunked_body_is_measured_as_it_is_read(router, calls):
    def chunked(size: int) -> dict:
        return {
            "input_stream": io.BytesIO(b"x" * size),
            "headers": {"Transfer-Encoding": "chunked"},
            "environ_overrides": {"wsgi.input_terminated": True},
        }

    refused(call(router, "POST", "/echo", **chunked(2 * MB)), 413, "body_too_large", "body")
    refused(call(router, "POST", "/admin/w1", **chunked(2 * MB)), 413, "body_too_large", "body")
    assert calls == []
    assert call(router, "POST", "/echo", **chunked(MB)) == (200, {"size": MB})


def test_a_route_may_declare_a_larger_limit(router, calls):
    assert call(router, "POST", "/batch", data=b"x" * (2 * MB)) == (200, {"size": 2 * MB})
    refused(call(router, "POST", "/batch", data=b"x" * (9 * MB)), 413, "body_too_large", "body")


def test_parse_body_uses_the_routes_limit(monkeypatch):
    from pydantic import BaseModel

    class Batch(BaseModel):
        items: list[str]

    router = Router()
    router.route("/batch", ["POST"], access="public", max_body_bytes=MAX_BATCH_BODY_BYTES)(
        lambda request: {"n": len(parse_body(request, Batch).items)}
    )
    router.route("/one", ["POST"], access="public")(
        lambda request: {"n": len(parse_body(request, Batch).items)}
    )
    body = json.dumps({"items": ["x" * 1000] * 2000}).encode()  # about 2 MB
    assert call(router, "POST", "/batch", data=body) == (200, {"n": 2000})
    refused(call(router, "POST", "/one", data=body), 413, "body_too_large", "body")


def test_deeply_nested_json_is_400_not_500(router):
    router.route("/nested", ["POST"], access="public")(
        lambda request: parse_body(request, Principal)  # any model
    )
    refused(call(router, "POST", "/nested", data=b"[" * 100_000), 400, "invalid_input", "body")


# -- tokens -------------------------------------------------------------------------------


def test_a_malformed_token_says_only_invalid_token(router):
    status, body = call(router, "GET", "/platform", bearer="_w.e30.c2ln")
    assert (status, body) == (401, {"error": {"code": "invalid_token", "message": "invalid token"}})


def test_a_token_quoted_in_a_library_message_is_redacted():
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0"  # google-auth quotes it whole
    message = _redacted(f"Wrong number of segments in token: b'{token}'", token)
    assert "eyJ" not in message and "Wrong number of segments" in message


def test_a_production_service_token_refusal_logs_no_token(monkeypatch, caplog):
    """google-auth quotes a malformed token whole in its error ("Wrong number of segments in
    token: b'...'"); the caller hears "invalid token" and the log keeps the reason only."""
    from shared import security

    production = load_config(
        {
            "APP_MODE": "production",
            "GOOGLE_CLOUD_PROJECT": "p",
            "PUBLIC_BASE_URL": "https://functions.example",
            "PLATFORM_RETURN_URL": "https://platform.example/back",
            "APP_JWT_SECRET": "j" * 40,
            "SIGNING_SECRET": "s" * 40,
            "TASKS_SERVICE_ACCOUNT": "tasks@p.iam.gserviceaccount.com",
            "KMS_KEY_NAME": "projects/p/locations/l/keyRings/r/cryptoKeys/k",
        }
    )
    bad = "eyJhbGciOiJSUzI1NiJ9eyJzdWIiOiIxMjM0NTY3ODkwIn0"

    def verify(token, request, audience):
        raise ValueError(f"Wrong number of segments in token: {token.encode()}")

    monkeypatch.setattr(security.id_token, "verify_oauth2_token", verify)
    monkeypatch.setattr(web, "get_config", lambda: production)
    caplog.set_level("INFO", logger="shared.security")
    router = Router()
    router.route("/cron/<job>", ["POST"], access="service")(lambda request, job: {})
    status, body = call(router, "POST", "/cron/sweep", bearer=bad)
    assert (status, body["error"]["message"]) == (401, "invalid token")
    assert "Wrong number of segments" in caplog.text
    assert bad not in caplog.text and bad[:24] not in caplog.text
