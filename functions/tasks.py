"""The `tasks` function: Cloud Tasks delivers queued work here."""

from __future__ import annotations

import logging
from typing import Literal

import flask
import functions_framework
from pydantic import BaseModel

from shared.config import get_config
from shared.store import Store
from shared.sync import look_at_worker
from shared.web import Router, parse_body

log = logging.getLogger(__name__)
router = Router()


class SyncTask(BaseModel):
    kind: Literal["worker"]
    company_id: str
    worker_id: str


@router.route("/tasks/sync", methods=["POST"], auth="service")
def run_sync_task(request: flask.Request):
    task = parse_body(request, SyncTask)
    found = look_at_worker(Store.for_config(get_config()), task.company_id, task.worker_id)
    if not found:
        # Not an error: the worker may be gone; a non-2xx would only make Cloud Tasks retry.
        log.info("sync task for unknown worker %s/%s dropped", task.company_id, task.worker_id)
    return {"done": True}


@functions_framework.http
def tasks(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
