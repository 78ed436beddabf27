"""The `connections` function: invitations, Google consent and the connection lifecycle."""

from __future__ import annotations

import flask
import functions_framework

from shared.config import get_config
from shared.inputs import EmailIn, SelectionIn
from shared.security import Principal
from shared.services import connections as use_cases
from shared.services import consent, invitations
from shared.store.firestore import Store
from shared.web import Router, parse_body

router = Router()


def _store() -> Store:
    return Store.for_config(get_config())


@router.route("/workers/<worker_id>/authorization-url", ["POST"], access="worker")
def authorization_url(request: flask.Request, principal: Principal, worker_id: str):
    url = invitations.authorization_url(get_config(), _store(), principal.company_id, worker_id)
    return {"url": url}


@router.route("/workers/<worker_id>/authorization-email", ["GET"], access="admin")
def preview_email(request: flask.Request, principal: Principal, worker_id: str):
    return invitations.preview(get_config(), _store(), principal.company_id, worker_id)


@router.route("/workers/<worker_id>/authorization-email", ["POST"], access="admin")
def send_email(request: flask.Request, principal: Principal, worker_id: str):
    email = parse_body(request, EmailIn) if request.get_data() else EmailIn()
    sent_to = invitations.request_email(
        get_config(), _store(), principal.company_id, worker_id, email.subject, email.body
    )
    return {"sent_to": sent_to}, 202


@router.route("/connect", ["GET"], access="public")
def connect(request: flask.Request):
    return flask.redirect(consent.start(get_config(), _store(), request.args.get("invite", "")))


@router.route("/getAuthKey", ["GET"], access="public")
def get_auth_key(request: flask.Request):
    return flask.redirect(consent.finish(get_config(), _store(), request.args.to_dict()))


@router.route("/workers/<worker_id>/connection", ["GET"], access="worker")
def get_connection(request: flask.Request, principal: Principal, worker_id: str):
    return use_cases.connection_status(_store(), principal.company_id, worker_id)


@router.route("/workers/<worker_id>/connection", ["DELETE"], access="worker")
def delete_connection(request: flask.Request, principal: Principal, worker_id: str):
    return use_cases.disconnect(get_config(), _store(), principal.company_id, worker_id)


@router.route("/workers/<worker_id>/calendars", ["GET"], access="worker")
def get_calendars(request: flask.Request, principal: Principal, worker_id: str):
    return use_cases.calendars(_store(), principal.company_id, worker_id)


@router.route("/workers/<worker_id>/calendars", ["PUT"], access="worker")
def put_calendars(request: flask.Request, principal: Principal, worker_id: str):
    selection = parse_body(request, SelectionIn)
    return use_cases.select(
        get_config(), _store(), principal.company_id, worker_id, selection.selected
    )


@router.route("/connections", ["GET"], access="admin")
def list_connections(request: flask.Request, principal: Principal):
    return use_cases.list_connections(_store(), principal.company_id)


@router.route("/workers/<worker_id>/resync", ["POST"], access="admin")
def resync(request: flask.Request, principal: Principal, worker_id: str):
    use_cases.resync(get_config(), _store(), principal.company_id, worker_id)
    return {"queued": True}, 202


@functions_framework.http
def connections(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
