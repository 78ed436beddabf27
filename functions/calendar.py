"""The `calendar` function: the read side: calendar view, availability and conflicts.

Any platform caller may ask; the view itself narrows a fieldworker to itself."""

from __future__ import annotations

import flask
import functions_framework

from shared.config import get_config
from shared.inputs import CalendarQuery, RangeQuery
from shared.security import Principal
from shared.store.firestore import Store
from shared.views import calendar as views
from shared.web import Router, parse_query

router = Router()


def _store() -> Store:
    return Store.for_config(get_config())


@router.route("/calendar", ["GET"], access="platform")
def calendar_view(request: flask.Request, principal: Principal):
    query = parse_query(request, CalendarQuery)
    return views.calendar(_store(), principal.company_id, principal, query)


@router.route("/availability", ["GET"], access="platform")
def availability(request: flask.Request, principal: Principal):
    query = parse_query(request, RangeQuery)
    return views.availability_view(_store(), principal.company_id, principal, query)


@router.route("/conflicts", ["GET"], access="platform")
def conflicts(request: flask.Request, principal: Principal):
    query = parse_query(request, RangeQuery)
    return views.conflicts(_store(), principal.company_id, principal, query)


@functions_framework.http
def calendar(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
