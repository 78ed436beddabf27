"""The HTTP edge shared by every function: routing, authentication, JSON in and out.

A function module declares its routes on a `Router` and its entry point calls
`router.dispatch(request)`. Authentication is part of the route declaration and
on by default, so a new route cannot forget it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, TypeVar

import flask
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import Map, Rule

from shared import security
from shared.config import get_config
from shared.errors import ApiError, InvalidInput

log = logging.getLogger(__name__)

Auth = Literal["platform", "service", "none"]
Model = TypeVar("Model", bound=BaseModel)


class Router:
    """Routes of one deployed function."""

    def __init__(self) -> None:
        self._map = Map(strict_slashes=False, merge_slashes=False)

    def route(self, path: str, methods: list[str], auth: Auth = "platform") -> Callable:
        """Register a handler. `platform` routes get `principal=`; `service` routes take
        Cloud Tasks / Scheduler tokens; `none` is for Google-facing routes only."""

        def register(handler: Callable) -> Callable:
            self._map.add(Rule(path, methods=methods, endpoint=(handler, auth)))
            return handler

        return register

    def handles(self, path: str) -> bool:
        """Whether any route of this function matches `path` (for the local all-in-one host)."""
        try:
            self._map.bind("localhost").match(path, method="GET")
        except MethodNotAllowed:
            return True
        except RouteNotFound:
            return False
        return True

    def dispatch(self, request: flask.Request) -> flask.Response:
        adapter = self._map.bind("localhost")
        try:
            (handler, auth), values = adapter.match(request.path, method=request.method)
        except RouteNotFound:
            return error_response(ApiError("no such endpoint", code="not_found"), 404)
        except MethodNotAllowed:
            return error_response(ApiError("method not allowed", code="method_not_allowed"), 405)
        try:
            config = get_config()
            if auth == "platform":
                values["principal"] = security.authenticate_platform(request, config)
            elif auth == "service":
                security.authenticate_service(request, config)
            result = handler(request, **values)
        except ApiError as exc:
            return error_response(exc)
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.path)
            return error_response(ApiError("internal error"), 500)
        return to_response(result)


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


# Far above any one record of the contract, far below Firestore's 1 MiB document limit.
# A route taking many records at once (e.g. a batch) may pass a larger `max_bytes`.
MAX_BODY_BYTES = 256 * 1024


def parse_body(
    request: flask.Request, model: type[Model], *, max_bytes: int = MAX_BODY_BYTES
) -> Model:
    """The JSON body validated by `model`; a 400 naming the first bad field otherwise."""
    # The declared length refuses a big body before it is read; the read length covers chunked.
    if (request.content_length or 0) > max_bytes:
        raise _too_large(max_bytes)
    raw = request.get_data(cache=True)
    if len(raw) > max_bytes:
        raise _too_large(max_bytes)
    try:
        data = json.loads(raw or b"null")
    except ValueError:
        raise InvalidInput("request body is not valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise InvalidInput("request body must be a JSON object", field="body")
    return validate(model, data)


def _too_large(max_bytes: int) -> InvalidInput:
    return InvalidInput(
        f"request body is larger than {max_bytes // 1024} KB", field="body", code="body_too_large"
    )


def validate(model: type[Model], data: Any) -> Model:
    """`data` as `model`, or InvalidInput naming the first bad field (e.g. `customer.name`)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"{field or 'body'}: {first['msg']}", field=field or "body") from None
