"""Push channels: Google rings our doorbell (`/notifications`) when an imported calendar
changes, and the calendar's import runs.

A notification is a doorbell, not data: it names a channel and carries the channel's
token, nothing else we trust. Each channel has its own random token, stored only as a
hash; a notification whose channel is unknown or stopped, whose token or resource id does
not match, or that only confirms the channel (`sync`) is answered 200 and does nothing
(no Google call, no task). Google caps a channel's life and does not renew it: an import
renews its calendar's channel within `RENEW_BEFORE` of the expiration Google returned
(the new channel first, then the old one stopped, so no change falls in a gap);
`/cron/renew-channels` asks for those imports.

    channels/{channel_id}   company, account, calendar, token hash, resource id, expiration
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from google.cloud.firestore_v1.base_query import FieldFilter

from shared.config import Config
from shared.google.calendar import Calendar
from shared.ids import is_valid_id
from shared.queue import messages
from shared.store.firestore import Store

log = logging.getLogger(__name__)

RENEW_BEFORE = timedelta(hours=48)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def webhook(config: Config) -> str:
    return config.public_base_url.rstrip("/") + "/notifications"


@dataclass(frozen=True)
class Notification:
    """What Google's headers say (X-Goog-Channel-ID, -Token, -Resource-ID, -Resource-State)."""

    channel_id: str
    token: str
    resource_id: str
    state: str


def receive(config: Config, store: Store, note: Notification) -> str:
    """Ring the doorbell: returns what happened, for the log (the answer is always 200)."""
    if not is_valid_id(note.channel_id):
        return "unknown"
    snapshot = store.channel(note.channel_id).get()
    if not snapshot.exists:
        return "unknown"  # never ours, or stopped
    channel = snapshot.to_dict() or {}
    if not hmac.compare_digest(channel.get("token_hash", ""), _hash(note.token)):
        log.warning("notification for channel %s with a wrong token", note.channel_id)
        return "forged"
    if channel.get("resource_id") != note.resource_id:
        log.warning("notification for channel %s about another resource", note.channel_id)
        return "forged"
    if note.state == "sync":
        return "sync"  # the channel's first message: nothing changed
    messages.request_import(config, channel["company_id"], channel["sub"], channel["calendar_id"])
    return "import"


def keep_open(
    config: Config,
    store: Store,
    calendar: Calendar,
    company_id: str,
    sub: str,
    calendar_id: str,
    current: dict | None,
) -> dict | None:
    """The calendar's channel, opened or renewed if it has none or it expires within
    RENEW_BEFORE; returns the channel fields to keep on the import (None: unchanged)."""
    now = datetime.now(UTC)
    if current and current.get("expiration") and current["expiration"] - now > RENEW_BEFORE:
        return None
    channel_id = uuid.uuid4().hex
    token = secrets.token_urlsafe(32)
    answer = calendar.watch_events(calendar_id, channel_id, webhook(config), token)
    expiration = datetime.fromtimestamp(int(answer["expiration"]) / 1000, UTC)
    opened = {
        "id": channel_id,
        "resource_id": answer["resourceId"],
        "expiration": expiration,
    }
    store.channel(channel_id).set(
        {
            "company_id": company_id,
            "sub": sub,
            "calendar_id": calendar_id,
            "token_hash": _hash(token),
            "resource_id": answer["resourceId"],
            "expiration": expiration,
            "opened_at": now,
        }
    )
    if current and current.get("id"):
        close(store, calendar, current)  # after the new one is open: no gap
    return opened


def close(store: Store, calendar: Calendar | None, channel: dict) -> None:
    """Stop a channel at Google (when we can) and forget it: its notifications do nothing."""
    store.channel(channel["id"]).delete()
    if calendar is not None and channel.get("resource_id"):
        calendar.stop_channel(channel["id"], channel["resource_id"])


def expiring(config: Config, store: Store) -> int:
    """`/cron/renew-channels`: ask for an import of every calendar whose channel expires
    within RENEW_BEFORE (the import renews it); returns how many."""
    cutoff = datetime.now(UTC) + RENEW_BEFORE
    query = store.client.collection("channels").where(filter=FieldFilter("expiration", "<", cutoff))
    asked = 0
    for snapshot in query.stream():
        channel = snapshot.to_dict() or {}
        messages.request_import(
            config, channel["company_id"], channel["sub"], channel["calendar_id"]
        )
        asked += 1
    return asked
