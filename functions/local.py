"""All functions behind one local address, each path going to the function that owns it.

Production runs each function separately; locally `make run` and the tests serve
them together on PORT with API.md's paths unchanged.
"""

from __future__ import annotations

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

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @app.route("/<path:path>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def dispatch(path: str) -> flask.Response:
        for router, entry in owners:
            if router.handles(flask.request.path):
                return entry(flask.request)
        return error_response(NotFound("no such endpoint"))

    return app
