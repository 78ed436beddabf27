"""The HTTP edge shared by every function: routing, access, path ids, body size, JSON in and out.

A function module declares its routes on a `Router` and its entry point calls
`router.dispatch(request)`. Everything a route needs before its handler may run
is part of the declaration and checked by the router, so a new route cannot
forget it:

- who may call it (`access=`, on by default: an authenticated platform caller),
- that every path variable is an id (shared/ids.py's one rule; 400 naming it),
- how big its body may be (`max_body_bytes=`; 413 before the body is read).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar, get_args, get_origin
from urllib.parse import quote, unquote, urlsplit

import flask
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import BaseConverter, Map, Rule

from shared import logs, security
from shared.config import get_config
from shared.errors import ApiError, InvalidInput, PayloadTooLarge, RetryLater
from shared.ids import check_id

log = logging.getLogger(__name__)

# Who may call a route:
#   admin     an admin (or the platform backend, role `system`) of the caller's company
#   worker    the fieldworker named by the route's `worker_id` path variable itself, or an admin
#   platform  any authenticated platform caller (the handler decides the rest)
#   service   our Cloud Tasks / Cloud Scheduler identity (OIDC), for exactly the URL called
#   public    nobody is authenticated: Google-facing routes (consent, push notifications) and
#             the console's static files (they hold no data; the page calls the API with a token)
Access = Literal["admin", "worker", "platform", "service", "public"]
ACCESS: tuple[str, ...] = get_args(Access)
_WITH_PRINCIPAL = ("admin", "worker", "platform")

Model = TypeVar("Model", bound=BaseModel)
Handler = TypeVar("Handler", bound=Callable[..., Any])

# Far above any one record of the contract, well under Firestore's 1 MiB document limit once
# stored. A route taking many records at once declares a larger `max_body_bytes`.
MAX_BODY_BYTES = 1024 * 1024
# POST /bookings:batch takes up to 500 booking snapshots. One snapshot (customer, three
# addresses, service, properties) is a few KB; 16 KB each is generous: 500 x 16 KB = 8 MB.
MAX_BATCH_BODY_BYTES = 8 * 1024 * 1024

# Where dispatch leaves the route's body limit for `parse_body`.
_BODY_LIMIT_KEY = "calendar_sync.max_body_bytes"


class _IdSegment(BaseConverter):
    """A path variable: one segment, as sent. A slash that arrived percent-encoded inside the
    segment stays in the value (see `_routing_path`), so the id rule refuses it."""

    def to_python(self, value: str) -> str:
        return unquote(value)

    def to_url(self, value: Any) -> str:
        return quote(str(value), safe="")


class _IdMap(Map):
    # Only `<name>` path variables, and each is an id: `<int:n>` or `<path:p>` are refused
    # when the route is declared, since they would bypass the one id rule.
    default_converters = {"default": _IdSegment}  # type: ignore[assignment]


@dataclass(frozen=True)
class _Route:
    handler: Callable[..., Any]
    access: Access
    max_body_bytes: int


class Router:
    """Routes of one deployed function."""

    def __init__(self) -> None:
        self._map = _IdMap(strict_slashes=False, merge_slashes=False)

    def route(
        self,
        path: str,
        methods: list[str],
        access: Access,
        *,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> Callable[[Handler], Handler]:
        """Register a handler, called as `handler(request, **path_ids)`, plus `principal=` for
        `admin`, `worker` and `platform` routes. Every route says who may call it."""
        if access not in ACCESS:
            raise ValueError(f"unknown access {access!r}; one of {', '.join(ACCESS)}")
        if max_body_bytes <= 0:
            raise ValueError("max_body_bytes must be positive")

        def register(handler: Handler) -> Handler:
            rule = Rule(path, methods=methods, endpoint=_Route(handler, access, max_body_bytes))
            self._map.add(rule)
            if access == "worker" and "worker_id" not in rule.arguments:
                raise ValueError(f"{path}: access='worker' needs a <worker_id> path variable")
            return handler

        return register

    def routes(self) -> list[tuple[str, list[str], Access]]:
        """(path, methods, access) of every route, for documentation and tests."""
        return [
            (rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"}), rule.endpoint.access)
            for rule in self._map.iter_rules()
        ]

    def handles(self, path: str) -> bool:
        """Whether any route of this function matches `path` (for the local all-in-one host)."""
        if flask.has_request_context() and path == flask.request.path:
            path = _routing_path(flask.request)
        else:
            path = _escape_segment_text(path)
        try:
            self._map.bind("localhost").match(path, method="GET")
        except MethodNotAllowed:
            return True
        except RouteNotFound:
            return False
        return True

    def dispatch(self, request: flask.Request) -> flask.Response:
        try:
            _set_up_logging()
            adapter = self._map.bind("localhost")
            try:
                route, values = adapter.match(_routing_path(request), method=request.method)
            except RouteNotFound:
                return error_response(ApiError("no such endpoint", code="not_found"), 404)
            except MethodNotAllowed:
                return error_response(
                    ApiError("method not allowed", code="method_not_allowed"), 405
                )
            try:
                values.update(_admit(route, request, values))
                with logs.labelled(**_labels(values)):
                    result = route.handler(request, **values)
            except RequestEntityTooLarge:  # a chunked body went over the limit as it was read
                raise _too_large(route.max_body_bytes) from None
        except ApiError as exc:
            return error_response(exc)
        except RetryLater as exc:
            # Busy or failing dependencies: a 503 makes Cloud Tasks retry with backoff.
            logs.event(log, "retry_later", logging.WARNING, path=request.path, reason=exc.message)
            body = {"error": {"code": exc.code, "message": exc.message}}
            return flask.Response(json.dumps(body), status=503, mimetype="application/json")
        except HTTPException as exc:
            if exc.code is None or exc.code >= 500:
                log.exception("unhandled error on %s %s", request.method, request.path)
                return error_response(ApiError("internal error"), 500)
            # werkzeug refusing the request itself (e.g. an unreadable body): its 4xx, as JSON.
            code = (exc.name or "bad request").lower().replace(" ", "_")
            return error_response(ApiError(exc.name or "bad request", code=code), exc.code)
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.path)
            return error_response(ApiError("internal error"), 500)
        return to_response(result)


def _set_up_logging() -> None:
    """Production logs Cloud Logging's JSON lines from the first request on (idempotent;
    `make run` sets up its own plain lines, and tests their own handlers)."""
    config = get_config()
    if config.mode == "production":
        logs.set_up(config)


def _labels(values: dict[str, Any]) -> dict[str, str | None]:
    """The log labels of a request: whose company, and which worker it is about."""
    principal = values.get("principal")
    return {
        "company": principal.company_id if principal else None,
        "worker": values.get("worker_id") or (principal.worker_id if principal else None),
    }


def _admit(route: _Route, request: flask.Request, values: dict[str, str]) -> dict[str, Any]:
    """Everything checked before the handler, in this order: the caller is who it says (401);
    the path ids are ids (400); the caller may act on them (403); the body is not too big
    (413, before it is read). Returns the extra handler arguments."""
    config = get_config()
    principal = None
    if route.access in _WITH_PRINCIPAL:
        principal = security.authenticate_platform(request, config)
    elif route.access == "service":
        security.authenticate_service(request, config)

    for name, value in values.items():
        check_id(value, name)

    if route.access == "admin":
        principal.require_admin()
    elif route.access == "worker":
        principal.require_worker_access(values["worker_id"])

    limit = route.max_body_bytes
    request.environ[_BODY_LIMIT_KEY] = limit
    if (request.content_length or 0) > limit:
        raise _too_large(limit)
    # A body without Content-Length (chunked) is cut off as it is read (Flask >= 3.1). werkzeug
    # stops at the maximum and returns what it has, so one byte more than the limit tells
    # "over the limit" from "exactly the limit".
    request.max_content_length = limit + 1
    # Such a body is read here (at most limit + 1 bytes, kept for the handler) and measured, so
    # a route that never reads its body refuses a big one like every other route.
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if request.content_length is None and chunked and len(request.get_data(cache=True)) > limit:
        raise _too_large(limit)
    return {"principal": principal} if principal is not None else {}


def _routing_path(request: flask.Request) -> str:
    """The path to route on: `request.path`, except that a slash sent percent-encoded inside a
    segment (`/workers/a%2Fb`) stays inside that segment, as `%2F`.

    WSGI servers decode %2F in PATH_INFO, so `/workers/a%2Fb` would arrive as `/workers/a/b`
    and route nowhere (404) or, worse, somewhere else. The request target as sent is in the
    environ: RAW_URI (gunicorn, which functions-framework runs on, and werkzeug's server) or
    REQUEST_URI. Each of its segments is decoded alone, then `%` and `/` inside it are escaped
    again; `_IdSegment` undoes that for the value. If the raw target does not decode to
    `request.path` (a proxy rewrote it), `request.path` is used."""
    path = request.path
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not isinstance(raw, str) or not raw:
        return _escape_segment_text(path)
    if "://" in raw.split("?", 1)[0]:  # absolute-form request target
        raw_path = urlsplit(raw).path
    else:
        raw_path = raw.split("?", 1)[0].split("#", 1)[0]
    segments = [unquote(segment) for segment in raw_path.split("/")]
    if "/".join(segments) != path:
        return _escape_segment_text(path)
    return "/".join(_escape_segment_text(segment).replace("/", "%2F") for segment in segments)


def _escape_segment_text(text: str) -> str:
    """Escape `%` so that `_IdSegment.to_python` (unquote) gives back exactly what was sent."""
    return text.replace("%", "%25")


def to_response(result: Any) -> flask.Response:
    """Handlers return a Response, a JSON-able body, or (body, status)."""
    if isinstance(result, flask.Response):
        return result
    status = 200
    if isinstance(result, tuple):
        result, status = result
    body = json.dumps(result, default=_json_default)
    return flask.Response(body, status=status, mimetype="application/json")


def _json_default(value: Any) -> str:
    """Times leave as RFC 3339 with offset (Firestore hands back aware UTC datetimes)."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def error_response(error: ApiError, status: int | None = None) -> flask.Response:
    return flask.Response(
        json.dumps(error.to_body()), status=status or error.status, mimetype="application/json"
    )


def parse_body(
    request: flask.Request, model: type[Model], *, max_bytes: int | None = None
) -> Model:
    """The JSON body validated by `model`; a 400 naming the first bad field otherwise.

    The size limit is the route's (`max_body_bytes`), or `max_bytes` if given."""
    if max_bytes is None:
        max_bytes = request.environ.get(_BODY_LIMIT_KEY, MAX_BODY_BYTES)
    # The declared length refuses a big body before it is read; the read length covers chunked.
    if (request.content_length or 0) > max_bytes:
        raise _too_large(max_bytes)
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise _too_large(max_bytes) from None
    if len(raw) > max_bytes:
        raise _too_large(max_bytes)
    try:
        data = json.loads(raw or b"null")
    except (ValueError, RecursionError):  # RecursionError: `[[[[...` nested thousands deep
        raise InvalidInput("request body is not valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise InvalidInput("request body must be a JSON object", field="body")
    return validate(model, data)


def _too_large(max_bytes: int) -> PayloadTooLarge:
    if max_bytes % (1024 * 1024) == 0:
        size = f"{max_bytes // (1024 * 1024)} MB"
    elif max_bytes % 1024 == 0:
        size = f"{max_bytes // 1024} KB"
    else:
        size = f"{max_bytes} bytes"
    return PayloadTooLarge(f"request body is larger than {size}", field="body")


def parse_query(request: flask.Request, model: type[Model]) -> Model:
    """The query string validated by `model`; a 400 naming the first bad parameter otherwise.
    Each parameter may be given once; a list field takes comma-separated values
    (`worker_ids=a,b`)."""
    lists = {
        field.alias or name
        for name, field in model.model_fields.items()
        if get_origin(field.annotation) is list
        or any(get_origin(arg) is list for arg in get_args(field.annotation))
    }
    data: dict[str, Any] = {}
    for name, values in request.args.lists():
        if len(values) != 1:
            raise InvalidInput(f"{name}: give it once (lists are comma-separated)", field=name)
        data[name] = values[0].split(",") if name in lists else values[0]
    return validate(model, data)


def validate(model: type[Model], data: Any) -> Model:
    """`data` as `model`, or InvalidInput naming the first bad field (e.g. `customer.name`)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"{field or 'body'}: {first['msg']}", field=field or "body") from None
