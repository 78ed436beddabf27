"""The Google stand-in: one werkzeug server for the Calendar API, OAuth and test hooks.

Each part contributes werkzeug `Rule`s whose endpoint is a handler
`handler(standin, request, **url_values) -> Response`:
- `calendar_api.routes()`: Calendar API v3 and its batch endpoint,
- `oauth.routes()`: consent page, token, revoke, userinfo, JWKS, discovery,
- `testhooks.routes()`: `/_test/...` for tests and people driving the stack.
"""

from __future__ import annotations

import json

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from emulators._wsgi import BackgroundWSGIServer
from emulators.google.accounts import Accounts


class GoogleStandIn:
    """All state of the fake Google plus the server that exposes it."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", local_mode: bool = True) -> None:
        self.local_mode = local_mode
        self.accounts = Accounts()
        self._server = BackgroundWSGIServer(self.wsgi_app, port=port, host=host)
        self._url_map = Map(self._collect_rules(), strict_slashes=False)

    @staticmethod
    def _collect_rules() -> list:
        rules: list = []
        for module_name in ("calendar_api", "oauth", "testhooks"):
            try:
                module = __import__(f"emulators.google.{module_name}", fromlist=["routes"])
            except ModuleNotFoundError:
                continue
            rules.extend(module.routes())
        return rules

    # -- server lifecycle -------------------------------------------------
    @property
    def base_url(self) -> str:
        return self._server.url

    def start(self) -> GoogleStandIn:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> GoogleStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- WSGI -------------------------------------------------------------
    def wsgi_app(self, environ, start_response):
        request = Request(environ)
        adapter = self._url_map.bind_to_environ(environ)
        try:
            handler, values = adapter.match()
            response = handler(self, request, **values)
        except HTTPException as exc:
            response = google_error(exc.code or 500, exc.description or exc.name)
        return response(environ, start_response)


def google_error(status: int, message: str, reason: str | None = None, domain: str = "global"):
    """Google's JSON error body; clients decide on errors[0].reason."""
    reason = reason or {
        400: "badRequest",
        401: "authError",
        403: "forbidden",
        404: "notFound",
        405: "methodNotAllowed",
        409: "duplicate",
        410: "deleted",
        412: "conditionNotMet",
        429: "rateLimitExceeded",
    }.get(status, "backendError")
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"domain": domain, "reason": reason, "message": message}],
        }
    }
    return Response(json.dumps(body), status=status, content_type="application/json")
