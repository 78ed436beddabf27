"""Push notification channels (`events.watch`, `channels.stop`) and their delivery.

Each channel has its own queue, drained by a shared pool of worker threads, so deliveries are
in order per channel, concurrent across channels and never block the API request that caused
them. Like Google: a `sync` message right after creation, then `exists` on every change, then
`not_exists` when the watched calendar is deleted; expired channels go quiet.

Also like Google, when tests ask for it (`drop`, `delay`): some messages never arrive though
they use up their `X-Goog-Message-Number`, and some arrive late. Both are decided when a
message is queued; a held message also holds back the ones queued after it on its channel.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import formatdate
from urllib.parse import quote, urlsplit

import requests

from emulators.google.calendars import Calendar
from emulators.google.errors import ApiError

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 7 * 24 * 3600
CHANNEL_ID = re.compile(r"[A-Za-z0-9\-_+/=]{1,64}")
MAX_TOKEN_LENGTH = 256
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
DELIVERY_TIMEOUT_SECONDS = 10


@dataclass
class _Message:
    headers: dict
    dropped: bool = False
    delayed: bool = False
    due: float = 0.0  # time.monotonic() before which it is held back


@dataclass
class _Rule:
    """Drop or delay the next `remaining` messages (None: all until cleared) to a channel
    (None: to any)."""

    channel_id: str | None
    remaining: int | None
    seconds: float = 0.0

    def take(self, channel_id: str) -> bool:
        """Whether this rule hits a message to `channel_id`; counts the hit down."""
        if self.remaining == 0 or self.channel_id not in (None, channel_id):
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


@dataclass(eq=False)  # compared and hashed by identity
class Channel:
    id: str
    resource_id: str
    resource_uri: str
    calendar: Calendar
    client_id: str
    address: str
    token: str | None
    expiration_ms: int
    messages_sent: int = 0
    stopped: bool = False
    queue: deque[_Message] = field(default_factory=deque)
    draining: bool = False  # a drain is submitted, running, or waiting on `timer`
    timer: threading.Timer | None = None  # wakes the drain when the held head message is due

    def expired(self) -> bool:
        return time.time() * 1000 >= self.expiration_ms


class Channels:
    """All live channels, the delivery queues and a log of what was delivered."""

    def __init__(self, local_mode: bool, workers: int = 8) -> None:
        self._local_mode = local_mode
        self._lock = threading.Condition()
        self._channels: dict[str, Channel] = {}
        self._pending = 0  # messages queued or being delivered
        self._deliveries: list[dict] = []
        self._busy: set[Channel] = set()  # channels with a drain under way
        self._drops: list[_Rule] = []
        self._delays: list[_Rule] = []
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="push")
        self._http = threading.local()

    # -- API --------------------------------------------------------------
    def watch(
        self, calendar: Calendar, requested_id: str, body: dict, client_id: str, base_url: str
    ) -> dict:
        """Open a channel on a calendar's events; answers as `events.watch` does."""
        channel_id = str(body.get("id") or "")
        if not CHANNEL_ID.fullmatch(channel_id):
            raise ApiError(
                400,
                "Channel id must match [A-Za-z0-9\\-_\\+/=]+ and be at most 64 characters long.",
                "push.channelIdInvalid",
            )
        if str(body.get("type", "")).lower() not in ("web_hook", "webhook"):
            raise ApiError(400, f"Unsupported channel type: {body.get('type')!r}", "invalid")
        address = str(body.get("address") or "")
        self._check_address(address)
        token = body.get("token")
        if token is not None and (not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH):
            raise ApiError(400, "Channel token must be at most 256 characters long.", "invalid")
        channel = Channel(
            id=channel_id,
            resource_id=calendar.resource_id,
            resource_uri=(
                f"{base_url}/calendar/v3/calendars/{quote(requested_id, safe='@')}/events?alt=json"
            ),
            calendar=calendar,
            client_id=client_id,
            address=address,
            token=token,
            expiration_ms=_expiration_ms(body),
        )
        with self._lock:
            if channel_id in self._channels:
                raise ApiError(400, f"Channel id {channel_id} not unique", "channelIdNotUnique")
            self._channels[channel_id] = channel
            self._enqueue(channel, "sync")
        return {
            "kind": "api#channel",
            "id": channel.id,
            "resourceId": channel.resource_id,
            "resourceUri": channel.resource_uri,
            "expiration": str(channel.expiration_ms),
        } | ({"token": token} if token is not None else {})

    def _check_address(self, address: str) -> None:
        parts = urlsplit(address)
        local_http = self._local_mode and parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
        if not parts.hostname or (parts.scheme != "https" and not local_http):
            raise ApiError(
                400, f"WebHook callback must be HTTPS: {address}", "push.webhookUrlNotHttps"
            )

    def stop(self, body: dict, client_id: str) -> None:
        """`channels.stop`: only the project that opened a channel can stop it."""
        with self._lock:
            channel = self._channels.get(str(body.get("id", "")))
            if (
                channel is None
                or channel.client_id != client_id
                or channel.resource_id != body.get("resourceId")
            ):
                raise ApiError(404, f"Channel '{body.get('id')}' not found for project", "notFound")
            channel.stopped = True
            del self._channels[channel.id]

    def calendar_changed(self, calendar: Calendar, state: str) -> None:
        """Store listener: tell every channel on `calendar` about a change."""
        with self._lock:
            for channel in list(self._channels.values()):
                if channel.calendar is not calendar:
                    continue
                if channel.expired():
                    del self._channels[channel.id]
                    continue
                self._enqueue(channel, state)
                if state == "not_exists":  # the resource is gone; nothing more will come
                    del self._channels[channel.id]

    # -- keeping state across restarts -------------------------------------
    def export_state(self) -> list[dict]:
        """Live channels, JSON-ready (undelivered messages and delivery logs are not kept)."""
        with self._lock:
            return [
                {
                    "id": channel.id,
                    "resource_id": channel.resource_id,
                    "resource_uri": channel.resource_uri,
                    "calendar_id": channel.calendar.id,
                    "client_id": channel.client_id,
                    "address": channel.address,
                    "token": channel.token,
                    "expiration_ms": channel.expiration_ms,
                    "messages_sent": channel.messages_sent,
                }
                for channel in self._channels.values()
                if not channel.stopped and not channel.expired()
            ]

    def import_state(self, state: list[dict], calendar: Callable[[str], Calendar | None]) -> None:
        """Replace the channels with `export_state`'s; `calendar(id)` finds what each watches.
        Channels on calendars that are gone, or that expired meanwhile, are dropped."""
        channels: dict[str, Channel] = {}
        for fields in state:
            watched = calendar(fields["calendar_id"])
            if watched is None or watched.deleted:
                continue
            channel = Channel(
                **{k: v for k, v in fields.items() if k != "calendar_id"}, calendar=watched
            )
            if not channel.expired():
                channels[channel.id] = channel
        with self._lock:
            for old in self._channels.values():
                old.stopped = True
            self._channels = channels

    # -- delivery ---------------------------------------------------------
    def _enqueue(self, channel: Channel, state: str) -> None:
        channel.messages_sent += 1
        headers = {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Channel-Expiration": formatdate(channel.expiration_ms / 1000, usegmt=True),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-URI": channel.resource_uri,
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": str(channel.messages_sent),
        }
        if channel.token is not None:
            headers["X-Goog-Channel-Token"] = channel.token
        message = _Message(headers)
        message.dropped = any(rule.take(channel.id) for rule in self._drops)
        if not message.dropped:
            delay = sum(rule.seconds for rule in self._delays if rule.take(channel.id))
            if delay > 0:
                message.delayed = True
                message.due = time.monotonic() + delay
        channel.queue.append(message)
        self._pending += 1
        if not channel.draining:
            channel.draining = True
            self._busy.add(channel)
            self._pool.submit(self._drain, channel)

    def _drain(self, channel: Channel) -> None:
        while True:
            with self._lock:
                if not channel.queue:
                    channel.draining = False
                    self._busy.discard(channel)
                    return
                message = channel.queue[0]
                wait = message.due - time.monotonic()
                if wait > 0 and not channel.stopped:
                    self._hold(channel, wait)
                    return
                channel.queue.popleft()
            try:
                if channel.stopped or channel.expired():
                    continue  # stopped or expired: nothing is sent or logged
                if message.dropped:
                    self._record(channel, message, status=None, dropped=True)
                else:
                    self._deliver(channel, message)
            finally:
                with self._lock:
                    self._pending -= 1
                    self._lock.notify_all()

    def _hold(self, channel: Channel, seconds: float) -> None:
        """Resume draining `channel` in `seconds` without taking a worker meanwhile (locked)."""

        def resume() -> None:
            with self._lock:
                if channel.timer is not timer:  # released early, or reset
                    return
                channel.timer = None
                self._pool.submit(self._drain, channel)

        timer = threading.Timer(seconds, resume)
        timer.daemon = True
        channel.timer = timer
        timer.start()

    def _release_held(self) -> None:
        """Make every held message due now (locked)."""
        for channel in self._busy:
            for message in channel.queue:
                message.due = 0.0
            if channel.timer is not None:
                channel.timer.cancel()
                channel.timer = None
                self._pool.submit(self._drain, channel)

    def _record(self, channel: Channel, message: _Message, **outcome: object) -> None:
        record = {
            "channelId": channel.id,
            "address": channel.address,
            "headers": message.headers,
            "delayed": message.delayed,
            **outcome,
        }
        with self._lock:
            self._deliveries.append(record)

    def _deliver(self, channel: Channel, message: _Message) -> None:
        headers = message.headers
        outcome: dict = {"dropped": False}
        try:
            response = self._session().post(
                channel.address,
                data=b"",
                headers=headers,
                timeout=DELIVERY_TIMEOUT_SECONDS,
                allow_redirects=False,
            )
            outcome["status"] = response.status_code
        except requests.RequestException as exc:
            outcome["status"] = None
            outcome["error"] = str(exc)
            log.info("push to %s failed: %s", channel.address, exc)
        self._record(channel, message, **outcome)

    def _session(self) -> requests.Session:
        """One session per worker thread, blind to proxy settings: the address is the target."""
        session = getattr(self._http, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False
            self._http.session = session
        return session

    # -- test hooks -------------------------------------------------------
    def drop(self, count: int, channel_id: str | None = None) -> None:
        """The next `count` messages (to `channel_id`, or to any channel) are not delivered; they
        still use up their message number and are logged with `dropped: True`."""
        _check_count(count)
        _check_channel_id(channel_id)
        with self._lock:
            self._drops.append(_Rule(channel_id, count))

    def delay(
        self, seconds: float, count: int | None = None, channel_id: str | None = None
    ) -> None:
        """Hold back the next `count` messages (None: all until cleared) to `channel_id` (or to
        any channel) for `seconds` after they were queued; later ones on the channel wait too."""
        seconds = float(seconds)
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"seconds must be a non-negative number, not {seconds!r}")
        if count is not None:
            _check_count(count)
        _check_channel_id(channel_id)
        with self._lock:
            self._delays.append(_Rule(channel_id, count, seconds))

    def clear_faults(self) -> None:
        """No more drops or delays; messages held back so far go out now, in order."""
        with self._lock:
            self._drops.clear()
            self._delays.clear()
            self._release_held()

    def wait(self, timeout: float) -> bool:
        """True once every queued message was delivered (or given up), False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: self._pending == 0, timeout)

    def deliveries(self) -> list[dict]:
        with self._lock:
            return [dict(record) for record in self._deliveries]

    def reset(self) -> None:
        with self._lock:
            for channel in [*self._channels.values(), *self._busy]:
                channel.stopped = True
            self._channels.clear()
            self._drops.clear()
            self._delays.clear()
            self._release_held()  # stopped: their queues empty without deliveries
            self._deliveries.clear()

    def close(self) -> None:
        self.reset()
        self._pool.shutdown(wait=True, cancel_futures=False)


def _expiration_ms(body: dict) -> int:
    """Milliseconds since the epoch: the requested `expiration`, else now + `params.ttl`
    seconds, else now + 7 days."""
    now_ms = int(time.time() * 1000)
    try:
        if body.get("expiration"):
            return int(body["expiration"])
        ttl = int((body.get("params") or {}).get("ttl", DEFAULT_TTL_SECONDS))
    except (TypeError, ValueError):
        raise ApiError(400, "Invalid channel expiration.", "invalid") from None
    return now_ms + ttl * 1000


def _check_count(count: object) -> None:
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValueError(f"count must be a non-negative integer, not {count!r}")


def _check_channel_id(channel_id: object) -> None:
    if channel_id is not None and not isinstance(channel_id, str):
        raise ValueError(f"channel_id must be a string or None, not {channel_id!r}")
