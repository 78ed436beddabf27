"""The `settings` function: integration settings and booking statuses (admin)."""

from __future__ import annotations

import flask
import functions_framework

from shared.config import get_config
from shared.inputs import BookingStatusIn, SettingsIn
from shared.security import Principal
from shared.services import settings as use_cases
from shared.store.firestore import Store
from shared.web import Router, parse_body

router = Router()


@router.route("/settings", ["GET"], access="admin")
def get_settings(request: flask.Request, principal: Principal):
    config = get_config()
    return use_cases.get_settings(config, Store.for_config(config), principal.company_id)


@router.route("/settings", ["PUT"], access="admin")
def put_settings(request: flask.Request, principal: Principal):
    changes = parse_body(request, SettingsIn)
    config = get_config()
    return use_cases.put_settings(config, Store.for_config(config), principal.company_id, changes)


@router.route("/booking-statuses", ["GET"], access="admin")
def list_booking_statuses(request: flask.Request, principal: Principal):
    return use_cases.list_booking_statuses(Store.for_config(get_config()), principal.company_id)


@router.route("/booking-statuses/<status_id>", ["PUT"], access="admin")
def put_booking_status(request: flask.Request, principal: Principal, status_id: str):
    status = parse_body(request, BookingStatusIn)
    config = get_config()
    store = Store.for_config(config)
    return use_cases.put_booking_status(config, store, principal.company_id, status_id, status)


@functions_framework.http
def settings(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
