"""The `notifications` function: Google's push notifications (a doorbell, not data)."""

from __future__ import annotations

import flask
import functions_framework

from shared.web import Router

router = Router()


@functions_framework.http
def notifications(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
