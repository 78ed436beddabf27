"""The `bookings` function: the platform backend mirrors its roster, bookings and unavailable
time here (admin or the platform backend)."""

from __future__ import annotations

import flask
import functions_framework

from shared.config import get_config
from shared.errors import InvalidInput
from shared.inputs import MAX_VERSION, BatchBookingIn, BookingIn, UnavailabilityIn, WorkerIn
from shared.security import Principal
from shared.services import bookings as use_cases
from shared.services import workers
from shared.store.firestore import Store
from shared.web import MAX_BATCH_BODY_BYTES, Router, parse_body

router = Router()


def _store() -> Store:
    return Store.for_config(get_config())


def _version(request: flask.Request) -> int:
    """The `version` query parameter of a delete: a whole number, 0 or more."""
    raw = request.args.get("version", "")
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_VERSION:
        raise InvalidInput("version must be a whole number, 0 or more", field="version")
    return int(raw)


@router.route("/workers/<worker_id>", ["PUT"], access="admin")
def put_worker(request: flask.Request, principal: Principal, worker_id: str):
    worker = parse_body(request, WorkerIn)
    return workers.put_worker(get_config(), _store(), principal.company_id, worker_id, worker)


@router.route("/bookings/<booking_id>", ["PUT"], access="admin")
def put_booking(request: flask.Request, principal: Principal, booking_id: str):
    booking = parse_body(request, BookingIn)
    return use_cases.put_booking(get_config(), _store(), principal.company_id, booking_id, booking)


@router.route("/bookings/<booking_id>", ["DELETE"], access="admin")
def delete_booking(request: flask.Request, principal: Principal, booking_id: str):
    version = _version(request)
    return use_cases.delete_booking(
        get_config(), _store(), principal.company_id, booking_id, version
    )


@router.route("/bookings/<booking_id>/sync", ["GET"], access="admin")
def booking_sync(request: flask.Request, principal: Principal, booking_id: str):
    return use_cases.booking_sync(_store(), principal.company_id, booking_id)


@router.route("/bookings:batch", ["POST"], access="admin", max_body_bytes=MAX_BATCH_BODY_BYTES)
def put_batch(request: flask.Request, principal: Principal):
    batch = parse_body(request, BatchBookingIn)
    return use_cases.put_batch(get_config(), _store(), principal.company_id, batch)


@router.route("/unavailability/<block_id>", ["PUT"], access="admin")
def put_unavailability(request: flask.Request, principal: Principal, block_id: str):
    block = parse_body(request, UnavailabilityIn)
    return use_cases.put_unavailability(
        get_config(), _store(), principal.company_id, block_id, block
    )


@router.route("/unavailability/<block_id>", ["DELETE"], access="admin")
def delete_unavailability(request: flask.Request, principal: Principal, block_id: str):
    version = _version(request)
    return use_cases.delete_unavailability(
        get_config(), _store(), principal.company_id, block_id, version
    )


@functions_framework.http
def bookings(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
