"""The `settings` function: integration settings and booking statuses (admin)."""

from __future__ import annotations

import flask
import functions_framework

from shared.config import get_config
from shared.ids import check_id
from shared.models import BookingStatusIn, SettingsIn
from shared.security import Principal
from shared.services import settings as use_cases
from shared.store.firestore import Store
from shared.web import Router, parse_body

router = Router()


@router.route("/settings", methods=["GET"])
def get_settings(request: flask.Request, principal: Principal):
    principal.require_admin()
    config = get_config()
    return use_cases.get_settings(config, Store.for_config(config), principal.company_id)


@router.route("/settings", methods=["PUT"])
def put_settings(request: flask.Request, principal: Principal):
    principal.require_admin()
    changes = parse_body(request, SettingsIn)
    config = get_config()
    return use_cases.put_settings(config, Store.for_config(config), principal.company_id, changes)


@router.route("/booking-statuses", methods=["GET"])
def list_booking_statuses(request: flask.Request, principal: Principal):
    principal.require_admin()
    return use_cases.list_booking_statuses(Store.for_config(get_config()), principal.company_id)


@router.route("/booking-statuses/<status_id>", methods=["PUT"])
def put_booking_status(request: flask.Request, principal: Principal, status_id: str):
    principal.require_admin()
    check_id(status_id, "status_id")
    status = parse_body(request, BookingStatusIn)
    store = Store.for_config(get_config())
    return use_cases.put_booking_status(store, principal.company_id, status_id, status)


@functions_framework.http
def settings(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
