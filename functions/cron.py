"""The `cron` function: Cloud Scheduler jobs."""

from __future__ import annotations

import flask
import functions_framework

from shared.web import Router

router = Router()


@functions_framework.http
def cron(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
