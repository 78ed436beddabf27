"""The `calendar` function: the read side: calendar view and availability."""

from __future__ import annotations

import flask
import functions_framework

from shared.web import Router

router = Router()


@functions_framework.http
def calendar(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
