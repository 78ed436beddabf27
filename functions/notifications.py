"""The `notifications` function: Google's push notifications (a doorbell, not data).

Always 200, fast, also for unknown, stopped or forged channels (Google would otherwise
redeliver); only a valid notification of a change asks for work: its calendar's import, or
(on an account's calendar-list channel) a fresh read of the account's calendars."""

from __future__ import annotations

import logging

import flask
import functions_framework

from shared.config import get_config
from shared.store.firestore import Store
from shared.sync import channels
from shared.web import Router

router = Router()
log = logging.getLogger(__name__)


@router.route("/notifications", ["POST"], access="public")
def notification(request: flask.Request):
    headers = request.headers
    note = channels.Notification(
        channel_id=headers.get("X-Goog-Channel-ID", ""),
        token=headers.get("X-Goog-Channel-Token", ""),
        resource_id=headers.get("X-Goog-Resource-ID", ""),
        state=headers.get("X-Goog-Resource-State", ""),
    )
    config = get_config()
    outcome = channels.receive(config, Store.for_config(config), note)
    log.info("notification on channel %s: %s", note.channel_id[:64], outcome)
    return {}


@functions_framework.http
def notifications(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
