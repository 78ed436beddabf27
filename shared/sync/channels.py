"""Push channels: Google rings our doorbell (`/notifications`) when an imported calendar
changes, and the calendar's import runs; or when a calendar of the account is made or
deleted (the account's calendar-list channel), and the account reads its list again.

A notification is a doorbell, not data: it names a channel and carries the channel's
token, nothing else we trust. Each channel has its own random token, stored only as a
hash; a notification whose channel is unknown or stopped, whose token or resource id does
not match, or that only confirms the channel (`sync`) is answered 200 and does nothing
(no Google call, no task). Google caps a channel's life and does not renew it: the
calendar's import (an events channel) or the account's sync (its calendar-list channel)
renews it within `RENEW_BEFORE` of the expiration Google returned (the new channel first,
then the old one stopped, so no change falls in a gap); `/cron/renew-channels` asks for
those imports and syncs.

    channels/{channel_id}   kind, company, account, calendar, token hash, resource id,
                            expiration
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from google.api_core.exceptions import NotFound
from google.cloud.firestore_v1.base_query import FieldFilter

from shared import logs
from shared.config import Config
from shared.google.calendar import Calendar
from shared.ids import is_valid_id
from shared.queue import messages
from shared.store.firestore import Store
from shared.sync import account_setup

log = logging.getLogger(__name__)

RENEW_BEFORE = timedelta(hours=48)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def webhook(config: Config) -> str:
    return config.public_base_url.rstrip("/") + "/notifications"


class Watched(StrEnum):
    """What a channel watches (its document's `kind`; documents without one are older
    events channels)."""

    EVENTS = "events"  # one imported calendar's events
    CALENDAR_LIST = "calendar_list"  # the account's list of calendars


@dataclass(frozen=True)
class Watch:
    """Whose channel: one imported calendar of an account, or (no `calendar_id`) the
    account's calendar list."""

    company_id: str
    sub: str
    calendar_id: str | None = None

    @property
    def kind(self) -> Watched:
        return Watched.EVENTS if self.calendar_id is not None else Watched.CALENDAR_LIST


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
    if channel.get("kind") == Watched.CALENDAR_LIST:
        # A calendar was made, changed or deleted: the account reads its list again.
        account_setup.request_calendar_list(config, store, channel["company_id"], channel["sub"])
        return "calendar_list"
    company_id, sub, calendar_id = channel["company_id"], channel["sub"], channel["calendar_id"]
    # When Google rang, for the import's lag metric (the import's document is
    # busy_import.import_id's `{sub}|{calendar_id}`).
    # No import record yet: nothing to stamp (and none to leave behind half-made).
    with contextlib.suppress(NotFound):
        store.calendar_imports(company_id).document(f"{sub}|{calendar_id}").update(
            {"notified_at": datetime.now(UTC)}
        )
    messages.request_import(config, company_id, sub, calendar_id)
    return "import"


def due(current: dict | None, now: datetime | None = None) -> bool:
    """Whether a channel must be opened (there is none) or renewed (it ends within
    RENEW_BEFORE)."""
    if not current or not current.get("expiration"):
        return True
    return current["expiration"] - (now or datetime.now(UTC)) <= RENEW_BEFORE


def keep_open(
    config: Config, store: Store, calendar: Calendar, watch: Watch, current: dict | None
) -> dict | None:
    """The watched resource's channel, opened or renewed if it has none or it expires
    within RENEW_BEFORE; returns the channel fields to keep (None: unchanged)."""
    now = datetime.now(UTC)
    if not due(current, now):
        return None
    channel_id = uuid.uuid4().hex
    token = secrets.token_urlsafe(32)
    renewing = bool(current and current.get("id"))
    try:
        if watch.calendar_id is not None:
            answer = calendar.watch_events(watch.calendar_id, channel_id, webhook(config), token)
        else:
            answer = calendar.watch_calendar_list(channel_id, webhook(config), token)
    except Exception:
        _renewal(watch, "failed", renewing)
        raise
    _renewal(watch, "ok", renewing)
    expiration = datetime.fromtimestamp(int(answer["expiration"]) / 1000, UTC)
    opened = {
        "id": channel_id,
        "resource_id": answer["resourceId"],
        "expiration": expiration,
    }
    store.channel(channel_id).set(
        {
            "kind": watch.kind.value,
            "company_id": watch.company_id,
            "sub": watch.sub,
            "calendar_id": watch.calendar_id,
            "token_hash": _hash(token),
            "resource_id": answer["resourceId"],
            "expiration": expiration,
            "opened_at": now,
        }
    )
    if current and current.get("id"):
        close(store, calendar, current)  # after the new one is open: no gap
    return opened


def _renewal(watch: Watch, outcome: str, renewing: bool) -> None:
    """The `channel_renewal` event (a failed one alerts: that calendar hears of changes
    only through the backstop poll until a renewal works)."""
    level = logging.INFO if outcome == "ok" else logging.WARNING
    with logs.labelled(company=watch.company_id, account=watch.sub, calendar=watch.calendar_id):
        logs.event(
            log, "channel_renewal", level, outcome=outcome, kind=watch.kind.value, renewed=renewing
        )


def close(store: Store, calendar: Calendar | None, channel: dict) -> None:
    """Stop a channel at Google (when we can) and forget it: its notifications do nothing."""
    store.channel(channel["id"]).delete()
    if calendar is not None and channel.get("resource_id"):
        calendar.stop_channel(channel["id"], channel["resource_id"])


def close_calendar_list(store: Store, company_id: str, sub: str) -> None:
    """Forget the account's calendar-list channel (Google lets it lapse)."""
    ref = store.accounts(company_id).document(sub)
    snapshot = ref.get()
    channel = (snapshot.to_dict() or {}).get("calendar_list_channel") if snapshot.exists else None
    if channel:
        close(store, None, channel)
        ref.update({"calendar_list_channel": None})


@dataclass(frozen=True)
class Renewals:
    """What `/cron/renew-channels` asked for."""

    calendars: int  # imports, each renewing its calendar's events channel
    accounts: int  # account syncs, each renewing its calendar-list channel


def expiring(config: Config, store: Store) -> Renewals:
    """`/cron/renew-channels`: ask for an import of every calendar, and a sync of every
    account, whose channel expires within RENEW_BEFORE (they renew it)."""
    cutoff = datetime.now(UTC) + RENEW_BEFORE
    query = store.client.collection("channels").where(filter=FieldFilter("expiration", "<", cutoff))
    calendars, accounts = 0, 0
    for snapshot in query.stream():
        channel = snapshot.to_dict() or {}
        if channel.get("kind") == Watched.CALENDAR_LIST:
            messages.request_account_sync(config, channel["company_id"], channel["sub"])
            accounts += 1
        else:
            messages.request_import(
                config, channel["company_id"], channel["sub"], channel["calendar_id"]
            )
            calendars += 1
    return Renewals(calendars, accounts)
