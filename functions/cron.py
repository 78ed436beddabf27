"""The `cron` function: Cloud Scheduler jobs (`infra/schedules.json` says when each runs)."""

from __future__ import annotations

import flask
import functions_framework

from shared.config import get_config
from shared.errors import NotFound
from shared.services.poll import poll
from shared.services.reconcile import request_reconcile
from shared.services.sweep import sweep
from shared.store.firestore import Store
from shared.sync import channels
from shared.web import Router

router = Router()


@router.route("/cron/<job>", ["POST"], access="service")
def run_job(request: flask.Request, job: str):
    config = get_config()
    if job == "sweep":
        return {"job": job, "requeued": sweep(config, Store.for_config(config))}
    if job == "poll":
        body = request.get_json(silent=True)  # any JSON: only an object's `all` counts
        everything = isinstance(body, dict) and body.get("all") is True
        return {"job": job, "calendars": poll(config, Store.for_config(config), everything)}
    if job == "renew-channels":
        renewals = channels.expiring(config, Store.for_config(config))
        return {"job": job, "calendars": renewals.calendars, "accounts": renewals.accounts}
    if job == "reconcile":
        return {"job": job, "accounts": request_reconcile(config, Store.for_config(config))}
    raise NotFound(f"no cron job {job!r}", field="job")


@functions_framework.http
def cron(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
