"""The `bookings` function: the platform backend mirrors its roster and bookings here."""

from __future__ import annotations

import flask
import functions_framework

from shared.config import get_config
from shared.inputs import WorkerIn
from shared.security import Principal
from shared.services import workers
from shared.store.firestore import Store
from shared.web import Router, parse_body

router = Router()


@router.route("/workers/<worker_id>", ["PUT"], access="admin")
def put_worker(request: flask.Request, principal: Principal, worker_id: str):
    worker = parse_body(request, WorkerIn)
    config = get_config()
    return workers.put_worker(
        config, Store.for_config(config), principal.company_id, worker_id, worker
    )


@functions_framework.http
def bookings(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
