"""The `connections` function: invitations, Google consent and the connection lifecycle."""

from __future__ import annotations

import flask
import functions_framework
from pydantic import BaseModel, ConfigDict, Field

from shared.config import get_config
from shared.ids import check_id
from shared.models import EmailIn
from shared.security import Principal
from shared.services import connections as use_cases
from shared.services import consent, invitations
from shared.store.firestore import Store
from shared.web import Router, parse_body

router = Router()


class SelectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    selected: list[str] = Field(max_length=500)


def _store() -> Store:
    return Store.for_config(get_config())


@router.route("/workers/<worker_id>/authorization-url", methods=["POST"])
def authorization_url(request: flask.Request, principal: Principal, worker_id: str):
    principal.require_worker_access(worker_id)
    check_id(worker_id, "worker_id")
    url = invitations.authorization_url(get_config(), _store(), principal.company_id, worker_id)
    return {"url": url}


@router.route("/workers/<worker_id>/authorization-email", methods=["GET"])
def preview_email(request: flask.Request, principal: Principal, worker_id: str):
    principal.require_admin()
    check_id(worker_id, "worker_id")
    return invitations.preview(get_config(), _store(), principal.company_id, worker_id)


@router.route("/workers/<worker_id>/authorization-email", methods=["POST"])
def send_email(request: flask.Request, principal: Principal, worker_id: str):
    principal.require_admin()
    check_id(worker_id, "worker_id")
    email = parse_body(request, EmailIn) if request.get_data() else EmailIn()
    sent_to = invitations.request_email(
        get_config(), _store(), principal.company_id, worker_id, email.subject, email.body
    )
    return {"sent_to": sent_to}, 202


@router.route("/connect", methods=["GET"], auth="none")
def connect(request: flask.Request):
    return flask.redirect(consent.start(get_config(), _store(), request.args.get("invite", "")))


@router.route("/getAuthKey", methods=["GET"], auth="none")
def get_auth_key(request: flask.Request):
    return flask.redirect(consent.finish(get_config(), _store(), request.args.to_dict()))


@router.route("/workers/<worker_id>/connection", methods=["GET"])
def get_connection(request: flask.Request, principal: Principal, worker_id: str):
    principal.require_worker_access(worker_id)
    check_id(worker_id, "worker_id")
    return use_cases.connection_status(_store(), principal.company_id, worker_id)


@router.route("/workers/<worker_id>/connection", methods=["DELETE"])
def delete_connection(request: flask.Request, principal: Principal, worker_id: str):
    principal.require_worker_access(worker_id)
    check_id(worker_id, "worker_id")
    return use_cases.disconnect(get_config(), _store(), principal.company_id, worker_id)


@router.route("/workers/<worker_id>/calendars", methods=["GET"])
def get_calendars(request: flask.Request, principal: Principal, worker_id: str):
    principal.require_worker_access(worker_id)
    check_id(worker_id, "worker_id")
    return use_cases.calendars(_store(), principal.company_id, worker_id)


@router.route("/workers/<worker_id>/calendars", methods=["PUT"])
def put_calendars(request: flask.Request, principal: Principal, worker_id: str):
    principal.require_worker_access(worker_id)
    check_id(worker_id, "worker_id")
    selection = parse_body(request, SelectionIn)
    return use_cases.select(
        get_config(), _store(), principal.company_id, worker_id, selection.selected
    )


@router.route("/connections", methods=["GET"])
def list_connections(request: flask.Request, principal: Principal):
    principal.require_admin()
    return use_cases.list_connections(_store(), principal.company_id)


@router.route("/workers/<worker_id>/resync", methods=["POST"])
def resync(request: flask.Request, principal: Principal, worker_id: str):
    principal.require_admin()
    check_id(worker_id, "worker_id")
    use_cases.resync(get_config(), _store(), principal.company_id, worker_id)
    return {"queued": True}, 202


@functions_framework.http
def connections(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
