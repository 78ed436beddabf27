"""The `connections` function: invitations, Google consent and the connection lifecycle."""

from __future__ import annotations

import flask
import functions_framework

from shared.config import get_config
from shared.connections import connection_status
from shared.ids import check_id
from shared.security import Principal
from shared.store import Store
from shared.web import Router

router = Router()


@router.route("/workers/<worker_id>/connection", methods=["GET"])
def get_connection(request: flask.Request, principal: Principal, worker_id: str):
    principal.require_worker_access(worker_id)
    check_id(worker_id, "worker_id")
    return connection_status(Store.for_config(get_config()), principal.company_id, worker_id)


@functions_framework.http
def connections(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
