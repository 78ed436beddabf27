"""The `tasks` function: Cloud Tasks delivers queued work here (`shared/queue/messages.py`
names every kind; `shared/services/tasks.py` says what each does)."""

from __future__ import annotations

import logging

import flask
import functions_framework

from shared.config import get_config
from shared.errors import RetryLater
from shared.queue.messages import Task
from shared.services import tasks as use_cases
from shared.store.firestore import Store
from shared.web import Router, parse_body

log = logging.getLogger(__name__)
router = Router()


@router.route("/tasks/sync", methods=["POST"], auth="service")
def run_task(request: flask.Request):
    task = parse_body(request, Task).root
    config = get_config()
    try:
        outcome = use_cases.run(config, Store.for_config(config), task)
    except RetryLater as exc:
        # A non-2xx makes Cloud Tasks retry with backoff: what busy and failing dependencies want.
        log.warning("%s task: %s; Cloud Tasks will retry", task.kind, exc.message)
        return {"error": {"code": exc.code, "message": exc.message}}, 503
    return {"kind": task.kind, "outcome": outcome}


@functions_framework.http
def tasks(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
