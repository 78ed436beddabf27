"""The `tasks` function: Cloud Tasks delivers queued work here. `shared/queue/messages.py`
names every kind (sync looks and emails alike); `shared/services/tasks.py` says what each
does. A `RetryLater` becomes a 503 in the router, so Cloud Tasks retries with backoff."""

from __future__ import annotations

import flask
import functions_framework

from shared import logs
from shared.config import get_config
from shared.queue.messages import Task
from shared.services import tasks as use_cases
from shared.store.firestore import Store
from shared.web import Router, parse_body

router = Router()


@router.route("/tasks/sync", ["POST"], access="service")
def run_task(request: flask.Request):
    task = parse_body(request, Task).root
    config = get_config()
    # Cloud Tasks names the task in a header: its retries share the label.
    with logs.labelled(task=request.headers.get("X-CloudTasks-TaskName")):
        outcome = use_cases.run(config, Store.for_config(config), task)
    return {"kind": task.kind, "outcome": outcome}


@functions_framework.http
def tasks(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
