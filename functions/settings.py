"""The `settings` function: integration settings and booking statuses (admin)."""

from __future__ import annotations

import flask
import functions_framework

from shared.web import Router

router = Router()


@functions_framework.http
def settings(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
