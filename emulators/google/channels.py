"""Push notification channels (`events.watch`, `calendarList.watch`, `channels.stop`) and their
delivery.

Each channel has its own queue, drained by a shared pool of worker threads, so deliveries are
in order per channel, concurrent across channels and never block the API request that caused
them. Like Google: a `sync` message right after creation, then `exists` on every change, then
`not_exists` when the watched calendar is deleted; expired channels go quiet. A calendar-list
channel hears of calendars of its account being created, changed or deleted.

Also like Google:
- the granted `expiration` is at most 7 days away (also the default); one in the past is
  refused with 400;
- `X-Goog-Message-Number` starts at 1 and grows, but not one by one: each channel's steps come
  from a random generator seeded by the stand-in's seed and the channel id, so a given seed
  gives the same numbers every run;
- a message the receiver answers with 500, 502, 503 or 504 is sent again with exponential
  backoff (`retry_backoff`, doubling) up to `retry_attempts` tries in all; later messages on
  the channel wait behind it; any other answer, or none, is final;
- only the account that opened a channel, through the same OAuth client, can stop it; anyone
  else is told it does not exist (404 notFound).

When tests ask for it (`drop`, `delay`): some messages never arrive though they use up their
`X-Goog-Message-Number`, and some arrive late. Both are decided when a message is queued; a held
message also holds back the ones queued after it on its channel.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

import requests
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from emulators.google.calendar_api import (
    API_ROOT,
    authenticate,
    json_body,
    json_response,
    no_content,
)
from emulators.google.calendars import Calendar
from emulators.google.discovery import METHODS
from emulators.google.errors import ApiError

if TYPE_CHECKING:
    from emulators.google.app import GoogleStandIn

log = logging.getLogger(__name__)

EVENTS = "events"
CALENDAR_LIST = "calendarList"
# Google's default lifetime for events and calendar-list channels, and the most it grants.
DEFAULT_TTL_SECONDS = 7 * 24 * 3600
MAX_TTL_SECONDS = {EVENTS: DEFAULT_TTL_SECONDS, CALENDAR_LIST: DEFAULT_TTL_SECONDS}
CHANNEL_ID = re.compile(r"[A-Za-z0-9\-_+/=]{1,64}")
MAX_TOKEN_LENGTH = 256
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
DELIVERY_TIMEOUT_SECONDS = 10
MAX_MESSAGE_STEP = 4  # message numbers grow by 1 to 4
RETRIED_STATUSES = frozenset({500, 502, 503, 504})
DEFAULT_RETRY_ATTEMPTS = 5  # tries in all, the first included
DEFAULT_RETRY_BACKOFF_SECONDS = 0.1  # before the first redelivery; doubles each time
# API calls that change an account's calendar list without the store telling the channels.
CALENDAR_LIST_CHANGES = frozenset(
    {"calendar.calendars.insert", "calendar.calendars.patch", "calendar.calendars.update"}
)


@dataclass
class _Message:
    headers: dict
    dropped: bool = False
    delayed: bool = False
    due: float = 0.0  # time.monotonic() before which it is held back
    attempts: int = 0  # deliveries tried so far


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
    calendar: Calendar | None  # the watched calendar; None for a calendar-list channel
    client_id: str  # the OAuth client that opened it
    address: str
    token: str | None
    expiration_ms: int
    owner: str  # the account that opened it
    kind: str = EVENTS  # EVENTS or CALENDAR_LIST
    message_number: int = 0  # the last X-Goog-Message-Number used
    rng: random.Random = field(default_factory=random.Random, repr=False)
    stopped: bool = False
    queue: deque[_Message] = field(default_factory=deque)
    draining: bool = False  # a drain is submitted, running, or waiting on `timer`
    timer: threading.Timer | None = None  # wakes the drain when the held head message is due

    def expired(self) -> bool:
        return time.time() * 1000 >= self.expiration_ms


class Channels:
    """All live channels, the delivery queues and a log of what was delivered."""

    def __init__(
        self,
        local_mode: bool,
        workers: int = 8,
        *,
        seed: int | None = None,
        retry_attempts: int = DEFAULT_RETRY_ATTEMPTS,
        retry_backoff: float = DEFAULT_RETRY_BACKOFF_SECONDS,
    ) -> None:
        self._local_mode = local_mode
        self.seed = random.SystemRandom().randrange(2**32) if seed is None else int(seed)
        self._lock = threading.Condition()
        self._channels: dict[str, Channel] = {}
        self._pending = 0  # messages queued or being delivered
        self._deliveries: list[dict] = []
        self._busy: set[Channel] = set()  # channels with a drain under way
        self._drops: list[_Rule] = []
        self._delays: list[_Rule] = []
        self._retry_attempts = DEFAULT_RETRY_ATTEMPTS
        self._retry_backoff = DEFAULT_RETRY_BACKOFF_SECONDS
        self.configure_retries(retry_attempts, retry_backoff)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="push")
        self._http = threading.local()

    # -- API --------------------------------------------------------------
    def watch(
        self, calendar: Calendar, requested_id: str, body: dict, client_id: str, base_url: str
    ) -> dict:
        """Open a channel on a calendar's events; answers as `events.watch` does. Only the
        calendar's owner can reach it here, so the owner is the one who opened it."""
        uri = f"{base_url}/calendar/v3/calendars/{quote(requested_id, safe='@')}/events?alt=json"
        return self._open(
            body,
            kind=EVENTS,
            calendar=calendar,
            resource_id=calendar.resource_id,
            resource_uri=uri,
            owner=calendar.owner,
            client_id=client_id,
        )

    def watch_calendar_list(self, email: str, body: dict, client_id: str, base_url: str) -> dict:
        """Open a channel on the account's calendar list; answers as `calendarList.watch` does."""
        return self._open(
            body,
            kind=CALENDAR_LIST,
            calendar=None,
            resource_id=_calendar_list_resource_id(email),
            resource_uri=f"{base_url}/calendar/v3/users/me/calendarList?alt=json",
            owner=email.strip().lower(),
            client_id=client_id,
        )

    def _open(self, body: dict, **fields) -> dict:
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
            address=address,
            token=token,
            expiration_ms=_expiration_ms(body, MAX_TTL_SECONDS[fields["kind"]]),
            rng=self._rng(channel_id),
            **fields,
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

    def _rng(self, channel_id: str) -> random.Random:
        """The channel's message-number steps: the same for the same seed and channel id."""
        return random.Random(f"{self.seed}/{channel_id}")

    def _check_address(self, address: str) -> None:
        parts = urlsplit(address)
        local_http = self._local_mode and parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
        if not parts.hostname or (parts.scheme != "https" and not local_http):
            raise ApiError(
                400, f"WebHook callback must be HTTPS: {address}", "push.webhookUrlNotHttps"
            )

    def stop(self, body: dict, client_id: str, email: str | None = None) -> None:
        """`channels.stop`: only the account (`email`) that opened a channel, through the same
        OAuth client, can stop it; to anyone else it does not exist. `email` None checks the
        client only (for callers that do not know the account)."""
        with self._lock:
            channel = self._channels.get(str(body.get("id", "")))
            if (
                channel is None
                or channel.client_id != client_id
                or (email is not None and channel.owner != email.strip().lower())
                or channel.resource_id != body.get("resourceId")
                or channel.expired()
            ):
                raise ApiError(404, f"Channel '{body.get('id')}' not found for project", "notFound")
            channel.stopped = True
            del self._channels[channel.id]

    def calendar_changed(self, calendar: Calendar, state: str) -> None:
        """Store listener: tell every channel on `calendar` about a change, and the owner's
        calendar-list channels about the calendar's deletion."""
        with self._lock:
            for channel in list(self._channels.values()):
                if channel.expired():
                    del self._channels[channel.id]
                elif channel.kind == EVENTS and channel.calendar is calendar:
                    self._enqueue(channel, state)
                    if state == "not_exists":  # the resource is gone; nothing more will come
                        del self._channels[channel.id]
                elif (
                    channel.kind == CALENDAR_LIST
                    and channel.owner == calendar.owner
                    and state == "not_exists"
                ):
                    self._enqueue(channel, "exists")

    def calendar_list_changed(self, email: str) -> None:
        """A calendar of `email` was created or changed: tell the account's calendar-list
        channels."""
        email = email.strip().lower()
        with self._lock:
            for channel in list(self._channels.values()):
                if channel.kind != CALENDAR_LIST or channel.owner != email:
                    continue
                if channel.expired():
                    del self._channels[channel.id]
                else:
                    self._enqueue(channel, "exists")

    # -- keeping state across restarts -------------------------------------
    def export_state(self) -> list[dict]:
        """Live channels, JSON-ready (undelivered messages and delivery logs are not kept)."""
        with self._lock:
            return [
                {
                    "id": channel.id,
                    "kind": channel.kind,
                    "resource_id": channel.resource_id,
                    "resource_uri": channel.resource_uri,
                    "calendar_id": channel.calendar.id if channel.calendar else None,
                    "owner": channel.owner,
                    "client_id": channel.client_id,
                    "address": channel.address,
                    "token": channel.token,
                    "expiration_ms": channel.expiration_ms,
                    "message_number": channel.message_number,
                }
                for channel in self._channels.values()
                if not channel.stopped and not channel.expired()
            ]

    def import_state(self, state: list[dict], calendar: Callable[[str], Calendar | None]) -> None:
        """Replace the channels with `export_state`'s; `calendar(id)` finds what each watches.
        Channels on calendars that are gone, or that expired meanwhile, are dropped. Reads
        files written before calendar-list channels too (events channels, `messages_sent`)."""
        channels: dict[str, Channel] = {}
        for fields in state:
            kind = fields.get("kind", EVENTS)
            watched = None
            if kind == EVENTS:
                watched = calendar(fields["calendar_id"])
                if watched is None or watched.deleted:
                    continue
            elif kind != CALENDAR_LIST:
                raise ValueError(f"unknown channel kind {kind!r}")
            channel = Channel(
                id=fields["id"],
                kind=kind,
                resource_id=fields["resource_id"],
                resource_uri=fields["resource_uri"],
                calendar=watched,
                owner=fields.get("owner") or (watched.owner if watched else ""),
                client_id=fields["client_id"],
                address=fields["address"],
                token=fields["token"],
                expiration_ms=int(fields["expiration_ms"]),
                message_number=int(fields.get("message_number", fields.get("messages_sent", 0))),
                rng=self._rng(fields["id"]),
            )
            if not channel.expired():
                channels[channel.id] = channel
        with self._lock:
            for old in self._channels.values():
                old.stopped = True
            self._channels = channels

    # -- delivery ---------------------------------------------------------
    def _enqueue(self, channel: Channel, state: str) -> None:
        step = 1 if channel.message_number == 0 else channel.rng.randint(1, MAX_MESSAGE_STEP)
        channel.message_number += step
        headers = {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Channel-Expiration": formatdate(channel.expiration_ms / 1000, usegmt=True),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-URI": channel.resource_uri,
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": str(channel.message_number),
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
            again = False
            try:
                if channel.stopped or channel.expired():
                    continue  # stopped or expired: nothing is sent or logged
                if message.dropped:
                    self._record(channel, message, status=None, dropped=True)
                else:
                    again = self._deliver(channel, message)
            finally:
                with self._lock:
                    if again and not channel.stopped:
                        channel.queue.appendleft(message)  # due after its backoff
                    else:
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
        """Make every held message due now, except ones waiting to be redelivered (locked)."""
        for channel in self._busy:
            for message in channel.queue:
                if message.attempts == 0:
                    message.due = 0.0
            if channel.timer is not None:
                channel.timer.cancel()
                channel.timer = None
                self._pool.submit(self._drain, channel)  # holds again if the head still waits

    def _record(self, channel: Channel, message: _Message, **outcome: object) -> None:
        record = {
            "channelId": channel.id,
            "address": channel.address,
            "headers": message.headers,
            "delayed": message.delayed,
            "attempt": message.attempts,
            **outcome,
        }
        with self._lock:
            self._deliveries.append(record)

    def _deliver(self, channel: Channel, message: _Message) -> bool:
        """Send `message` once and log it; True when it is to be sent again (due set)."""
        headers = message.headers
        message.attempts += 1
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
        with self._lock:
            attempts, backoff = self._retry_attempts, self._retry_backoff
        again = outcome["status"] in RETRIED_STATUSES and message.attempts < attempts
        if again:
            message.due = time.monotonic() + backoff * 2 ** (message.attempts - 1)
        self._record(channel, message, **outcome, retried=again)
        return again

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

    def configure_retries(self, attempts: int, backoff: float) -> None:
        """Send a message answered with 500/502/503/504 up to `attempts` times in all (1: never
        again), waiting `backoff` seconds before the first redelivery, doubling each time."""
        if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
            raise ValueError(f"attempts must be a positive integer, not {attempts!r}")
        backoff = float(backoff)
        if not (math.isfinite(backoff) and backoff >= 0):
            raise ValueError(f"backoff must be a non-negative number, not {backoff!r}")
        with self._lock:
            self._retry_attempts, self._retry_backoff = attempts, backoff

    def retries(self) -> dict:
        with self._lock:
            return {"attempts": self._retry_attempts, "backoff_seconds": self._retry_backoff}

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


def _expiration_ms(body: dict, max_ttl_seconds: int) -> int:
    """Milliseconds since the epoch: the requested `expiration`, else now + `params.ttl`
    seconds, else the longest Google grants (`max_ttl_seconds`), which also caps the others.
    One in the past (or a ttl that is not positive) is refused."""
    now_ms = int(time.time() * 1000)
    longest_ms = now_ms + max_ttl_seconds * 1000
    params = body.get("params")
    ttl = params.get("ttl") if isinstance(params, dict) else None
    try:
        if body.get("expiration") not in (None, ""):
            requested = int(body["expiration"])
        elif ttl not in (None, ""):
            seconds = int(ttl)
            if seconds <= 0:
                raise ApiError(400, f"Invalid ttl value: {ttl}", "invalid")
            requested = now_ms + seconds * 1000
        else:
            return longest_ms
    except (TypeError, ValueError):
        raise ApiError(400, "Invalid channel expiration.", "invalid") from None
    if requested <= now_ms:
        raise ApiError(400, "Channel expiration must be in the future.", "invalid")
    return min(requested, longest_ms)


def _calendar_list_resource_id(email: str) -> str:
    """The opaque, stable `resourceId` of an account's calendar list."""
    digest = hashlib.sha256(b"calendarList/" + email.strip().lower().encode()).digest()
    return base64.urlsafe_b64encode(digest[:20]).decode().rstrip("=")


def _check_count(count: object) -> None:
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValueError(f"count must be a non-negative integer, not {count!r}")


def _check_channel_id(channel_id: object) -> None:
    if channel_id is not None and not isinstance(channel_id, str):
        raise ValueError(f"channel_id must be a string or None, not {channel_id!r}")


# -- HTTP: the channel methods that need to know who is calling ------------------------------
def _api(method_id: str, handler: Callable[..., Response]) -> Rule:
    """A route for one discovery method, authenticated as every Calendar API method is."""
    method = METHODS[method_id]

    def endpoint(standin: GoogleStandIn, request: Request) -> Response:
        return handler(standin, authenticate(standin, request, method_id), request)

    endpoint.method_id = method_id  # type: ignore[attr-defined]
    return Rule(API_ROOT + method["path"], methods=[method["httpMethod"]], endpoint=endpoint)


def calendar_list_watch(standin: GoogleStandIn, caller, request: Request) -> Response:
    channel = standin.channels.watch_calendar_list(
        caller.email, json_body(request), caller.client_id, standin.base_url
    )
    return json_response(channel)


def channels_stop(standin: GoogleStandIn, caller, request: Request) -> Response:
    standin.channels.stop(json_body(request), caller.client_id, email=caller.email)
    return no_content()


def routes() -> list[Rule]:
    """`calendarList.watch` and `channels.stop`, which must know the account as well as the
    client (`calendar_api.routes()` serves the other Calendar methods)."""
    return [
        _api("calendar.calendarList.watch", calendar_list_watch),
        _api("calendar.channels.stop", channels_stop),
    ]
