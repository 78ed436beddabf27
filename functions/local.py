"""All functions behind one local address, each path going to the function that owns it.

Production runs each function separately; locally `make run` and the tests serve
them together on PORT with docs/api.md's paths unchanged.
"""

from __future__ import annotations

import html
import importlib

import flask

from functions.main import ENTRY_POINTS
from shared.errors import NotFound
from shared.web import error_response


def create_app() -> flask.Flask:
    app = flask.Flask("calendar-sync-local")
    owners = [
        (importlib.import_module(f"functions.{name}").router, entry)
        for name, entry in ENTRY_POINTS.items()
    ]

    @app.route("/_local/connected")
    def landing() -> str:
        """Stands in for the platform's page that people return to after Google's consent."""
        outcome = flask.request.args.get("google_calendar", "")
        detail = flask.request.args.get("reason") or flask.request.args.get("worker_id", "")
        return (
            "<!doctype html><meta charset=utf-8><title>Google Calendar</title>"
            "<body style='font-family:sans-serif;margin:3rem'>"
            f"<h1>Google Calendar: {html.escape(outcome)}</h1><p>{html.escape(detail)}</p>"
            "<p>(Local stand-in for the platform's return page.)</p></body>"
        )

    @app.errorhandler(404)
    def not_found(error: Exception) -> flask.Response:
        # A path Flask's own catch-all cannot match (e.g. a line break in it): still JSON.
        return error_response(NotFound("no such endpoint"))

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @app.route("/<path:path>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def dispatch(path: str) -> flask.Response:
        for router, entry in owners:
            if router.handles(flask.request.path):
                return entry(flask.request)
        return error_response(NotFound("no such endpoint"))

    return app
