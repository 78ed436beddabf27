"""The Google stand-in: one werkzeug server for the Calendar API, OAuth and test hooks.

Each part contributes werkzeug `Rule`s whose endpoint is a handler
`handler(standin, request, **url_values) -> Response`:
- `channels.routes()`: `calendarList.watch` and `channels.stop` (they must know the account
  as well as the client),
- `calendar_api.routes()`: Calendar API v3 and its batch endpoint,
- `oauth.routes()`: consent page, token, revoke, userinfo, JWKS, discovery,
- `testhooks.routes()`: `/_test/...` for tests and people driving the stack.
A handler may carry a `method_id` attribute (the discovery document's method id, e.g.
`calendar.events.insert`); requests are counted under it.

`dispatch` is the one way into the handlers, for the server and for each part of a batch
alike, so injected faults, latency, the per-user rate limit, the request log and call counts
see both.
"""

from __future__ import annotations

import copy
import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from emulators._routing import shared_map
from emulators._wsgi import BackgroundWSGIServer
from emulators.google import calendar_api, channels, oauth, state, testhooks
from emulators.google.accounts import Accounts, Client
from emulators.google.calendars import CalendarStore
from emulators.google.channels import (
    CALENDAR_LIST_CHANGES,
    DEFAULT_RETRY_ATTEMPTS,
    DEFAULT_RETRY_BACKOFF_SECONDS,
    Channels,
)
from emulators.google.errors import ApiError, google_error
from emulators.google.faults import (
    BATCH,
    DEFAULT_PATH,
    MESSAGES,
    RATE_LIMIT_WINDOW_SECONDS,
    Faults,
    RequestLog,
    UserRateLimit,
    rate_limit_from_env,
)
from emulators.google.queries import Pages

__all__ = ["GoogleStandIn", "google_error", "url_map"]

log = logging.getLogger(__name__)
TEST_HOOK_PREFIX = "/_test/"
SEED_ENV = "GOOGLE_STANDIN_SEED"


def _rules() -> list[Rule]:
    return [*channels.routes(), *calendar_api.routes(), *oauth.routes(), *testhooks.routes()]


def url_map() -> Map:
    """The stand-in's routes: one map per process, shared by every instance (see _routing)."""
    return shared_map("google", _rules, strict_slashes=False)


url_map()  # built on import (tests import it while single-threaded), not by the first instance


class GoogleStandIn:
    """All state of the fake Google plus the server that exposes it.

    Besides the HTTP API, the methods below are the test hooks: they act as the account
    holder in Google's own UI, steer faults, and observe requests and push deliveries.
    """

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        local_mode: bool = True,
        *,
        seed: int | None = None,
        user_rate_limit: int | None | Literal["env"] = "env",
        push_retry_attempts: int = DEFAULT_RETRY_ATTEMPTS,
        push_retry_backoff: float = DEFAULT_RETRY_BACKOFF_SECONDS,
    ) -> None:
        """`local_mode` accepts plain-http loopback addresses where Google wants https: OAuth
        redirect URIs (still only those registered for the client) and push webhooks. OAuth
        clients must be registered (`register_client`) in either mode.
        `seed` (default: $GOOGLE_STANDIN_SEED, else random; kept in `self.seed`) fixes the
        gaps between push message numbers. `user_rate_limit`: Calendar API calls per minute
        per user before 403 rateLimitExceeded; None or 0: no limit; "env":
        $GOOGLE_USER_RATE_LIMIT, else Google's 600. `push_retry_*`: how pushes answered
        500/502/503/504 are redelivered (see `set_push_retries`)."""
        self.local_mode = local_mode
        if seed is None and os.environ.get(SEED_ENV, "").strip():
            seed = int(os.environ[SEED_ENV])
        self.accounts = Accounts()
        self.calendars = CalendarStore()
        self.pages = Pages()
        self.channels = Channels(
            local_mode,
            seed=seed,
            retry_attempts=push_retry_attempts,
            retry_backoff=push_retry_backoff,
        )
        self.seed = self.channels.seed
        self.faults = Faults()
        self._initial_rate_limit = (
            rate_limit_from_env() if user_rate_limit == "env" else user_rate_limit
        )
        self.rate_limit = UserRateLimit(self._initial_rate_limit)
        self._initial_push_retries = (push_retry_attempts, push_retry_backoff)
        self.requests = RequestLog()
        self.calendars.subscribe(self.channels.calendar_changed)
        self.accounts.on_new_account(lambda account: self.calendars.ensure_primary(account.email))
        self._server = BackgroundWSGIServer(self.wsgi_app, port=port, host=host)
        self._url_map = url_map()

    # -- server lifecycle -------------------------------------------------
    @property
    def base_url(self) -> str:
        return self._server.url

    def start(self) -> GoogleStandIn:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        self.channels.close()

    def __enter__(self) -> GoogleStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- keeping state across restarts (see state.py for what is kept) ------
    def save_state(self, path: Path) -> None:
        state.save(self, path)

    def load_state(self, path: Path) -> bool:
        """Load what `save_state` wrote; False when there is nothing at `path` yet."""
        return state.load(self, path)

    # -- WSGI -------------------------------------------------------------
    def wsgi_app(self, environ, start_response):
        response = self.dispatch(Request(environ))
        return response(environ, start_response)

    def dispatch(self, request: Request, *, batch_part: bool = False) -> Response:
        """Route one request (or batch part) through faults, its handler and the request log."""
        observed = not request.path.startswith(TEST_HOOK_PREFIX)
        method_id = None
        try:
            handler, values = self._url_map.bind_to_environ(request.environ).match()
            method_id = getattr(handler, "method_id", None)
            injected = self.faults.apply(request.method, request.path) if observed else None
            user = self._calendar_user(request, method_id) if injected is None else None
            if user is not None and not self.rate_limit.take(user):
                raise ApiError(403, MESSAGES["rateLimitExceeded"], "rateLimitExceeded")
            response = injected or handler(self, request, **values)
            if observed and injected is None:
                response = self.faults.after(request.method, request.path) or response
            if user and method_id in CALENDAR_LIST_CHANGES and response.status_code < 300:
                self.channels.calendar_list_changed(user)  # the store does not say
        except ApiError as exc:
            response = exc.response()
        except HTTPException as exc:
            response = google_error(exc.code or 500, exc.description or exc.name)
        except Exception:
            log.exception("stand-in failed on %s %s", request.method, request.path)
            response = google_error(500, "Backend Error", "backendError")
        if observed:
            self.requests.record(
                {
                    "at": time.time(),
                    "method": request.method,
                    "path": request.path,
                    "query": request.query_string.decode(),
                    "methodId": method_id,
                    "status": response.status_code,
                    "batchPart": batch_part,
                }
            )
        return response

    def _calendar_user(self, request: Request, method_id: str | None) -> str | None:
        """The account a Calendar API call (batch part included) counts against: the one its
        bearer token belongs to; None for other requests and unknown tokens (those get 401)."""
        if method_id is None or method_id == BATCH or not method_id.startswith("calendar."):
            return None
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        grant = self.accounts.resolve_access_token(token.strip())
        return grant.email if grant is not None else None

    # -- test hooks: the account holder in Google's UI ---------------------
    def register_client(
        self,
        client_id: str,
        client_secret: str | None = None,
        redirect_uris: Iterable[str] = (),
        *,
        keep_secret: bool = False,
    ) -> Client:
        """Create or update an OAuth client as in the Cloud Console (`POST /_test/clients`);
        see `Accounts.register_client`. Unregistered clients are refused, as at Google."""
        return self.accounts.register_client(
            client_id, client_secret, redirect_uris, keep_secret=keep_secret
        )

    def create_calendar(self, email: str, summary: str, **fields: Any) -> dict:
        """A secondary calendar the user made by hand (no OAuth client created it)."""
        calendar = self.calendars.create_calendar(email, {"summary": summary, **fields}, None)
        self.channels.calendar_list_changed(calendar.owner)
        return calendar.resource()

    def delete_calendar(self, email: str, calendar_id: str) -> None:
        self.calendars.delete_calendar(self.calendars.calendar(email, calendar_id))

    def calendar_list(self, email: str) -> list[dict]:
        """Every calendar of the account, deleted ones marked `deleted`."""
        with self.calendars.lock:
            return [calendar.list_entry() for calendar in self.calendars.calendars_of(email)]

    def insert_event(self, email: str, calendar_id: str, event: dict) -> dict:
        calendar = self.calendars.calendar(email, calendar_id)
        return self.calendars.insert_event(calendar, event, actor=calendar.owner)

    def patch_event(self, email: str, calendar_id: str, event_id: str, changes: dict) -> dict:
        calendar = self.calendars.calendar(email, calendar_id)
        return self.calendars.change_event(
            calendar, event_id, changes, replace=False, if_match=None
        )

    def delete_event(self, email: str, calendar_id: str, event_id: str) -> None:
        calendar = self.calendars.calendar(email, calendar_id)
        self.calendars.delete_event(calendar, event_id, if_match=None)

    def events(self, email: str, calendar_id: str = "primary", *, deleted: bool = False) -> list:
        """The stored events of a calendar (series unexpanded), cancelled ones only if asked."""
        calendar = self.calendars.calendar(email, calendar_id)
        with self.calendars.lock:
            stored = [s.resource for s in calendar.events.values()]
            return [copy.deepcopy(e) for e in stored if deleted or e["status"] != "cancelled"]

    def invalidate_sync_tokens(self, email: str, calendar_id: str = "primary") -> None:
        """Make the calendar's sync tokens expire: their next use answers 410 fullSyncRequired."""
        self.calendars.invalidate_sync_tokens(self.calendars.calendar(email, calendar_id))

    # -- test hooks: faults and observation ------------------------------
    def inject_fault(
        self,
        status: int,
        reason: str | None = None,
        *,
        method: str = "*",
        path: str = DEFAULT_PATH,
        count: int | None = 1,
        message: str | None = None,
        retry_after: float | None = None,
        done: bool = False,
    ) -> None:
        """Fail the next `count` requests matching method and path (see `faults.py`). A 429
        carries `Retry-After: 1` unless `retry_after` (seconds) says otherwise. `done`: carry
        each request out, then answer with the error (the answer is lost, not the work)."""
        self.faults.inject(
            status,
            reason,
            method=method,
            path=path,
            count=count,
            message=message,
            retry_after=retry_after,
            done=done,
        )

    def add_latency(
        self,
        seconds: float,
        *,
        method: str = "*",
        path: str = DEFAULT_PATH,
        count: int | None = None,
    ) -> None:
        self.faults.add_latency(seconds, method=method, path=path, count=count)

    def clear_faults(self) -> None:
        """Remove injected faults and latency, and notification drops and delays (messages
        held back so far are sent now)."""
        self.faults.clear()
        self.channels.clear_faults()

    def set_user_rate_limit(
        self, limit: int | None, window_seconds: float = RATE_LIMIT_WINDOW_SECONDS
    ) -> None:
        """Allow `limit` Calendar API calls (batch parts each count) per user in any
        `window_seconds` (sliding); past it, 403 rateLimitExceeded. None or 0: no limit. Calls
        already made count against the new limit; `reset` restores the stand-in's default."""
        self.rate_limit.configure(limit, window_seconds)

    def user_rate_limit(self) -> dict:
        """The per-user rate limit now: `{"limit": n or None, "window_seconds": s}`."""
        return {"limit": self.rate_limit.limit, "window_seconds": self.rate_limit.window}

    def set_push_retries(self, attempts: int, backoff_seconds: float) -> None:
        """Deliver a push answered with 500/502/503/504 up to `attempts` times in all (1: no
        redelivery), waiting `backoff_seconds` before the first redelivery and twice as long
        before each next one; `reset` restores the stand-in's default."""
        self.channels.configure_retries(attempts, backoff_seconds)

    def set_paging(self, max_page_size: int | None = None, empty_pages: int = 0) -> None:
        """Cut list pages as Google may: at most `max_page_size` items per page, below any
        `maxResults`, after `empty_pages` empty pages (with `nextPageToken`) at the start of
        each listing; `nextSyncToken` still only on the last page. For `events.list` and
        `events.instances` listings started from now on. No arguments: full pages (random short
        pages off); `reset()` brings back the default random short pages."""
        self.pages.set_shape(max_page_size, empty_pages)

    def drop_notifications(self, count: int, channel_id: str | None = None) -> None:
        """Do not deliver the next `count` push messages (to `channel_id`, or to any channel).
        Each still uses up its `X-Goog-Message-Number`, so the receiver sees a gap, and is
        logged in `notifications()` with `dropped: True`."""
        self.channels.drop(count, channel_id)

    def delay_notifications(
        self, seconds: float, count: int | None = None, channel_id: str | None = None
    ) -> None:
        """Hold the next `count` push messages (None: all until `clear_faults`) to `channel_id`
        (or to any channel) back `seconds` after they arise. Messages stay in order per channel:
        later ones on a channel wait behind a held one. `clear_faults` sends held ones now."""
        self.channels.delay(seconds, count, channel_id)

    def request_log(self) -> list[dict]:
        return self.requests.entries()

    def call_counts(self) -> dict[str, int]:
        """Calls per discovery method id (batch parts each count), batch requests as `batch`."""
        return self.requests.counts()

    def reset_request_log(self) -> None:
        self.requests.reset()

    def wait_for_notifications(self, timeout: float = 5.0) -> list[dict]:
        """Block until every queued push was delivered (or dropped; delayed ones once sent);
        returns the delivery log.

        Raises TimeoutError when deliveries are still under way after `timeout` seconds.
        """
        if not self.channels.wait(timeout):
            raise TimeoutError(f"push deliveries still pending after {timeout}s")
        return self.channels.deliveries()

    def notifications(self) -> list[dict]:
        """Delivery attempts made so far: channel, address, headers, the target's status (None
        when unreachable or dropped), the `dropped` and `delayed` flags, `attempt` (1 for the
        first try, 0 when dropped) and `retried` (whether it is to be sent again)."""
        return self.channels.deliveries()

    def reset(self) -> None:
        """Forget calendars, channels, faults, paging and notification hooks, logs and the calls
        counted by the rate limit; the rate limit and push retries go back to the stand-in's
        defaults. Accounts and tokens (OAuth's) stay; their primary calendars come back empty
        on first use."""
        self.calendars.reset()
        self.pages.reset()
        self.channels.reset()
        self.channels.configure_retries(*self._initial_push_retries)
        self.faults.clear()
        self.rate_limit.configure(self._initial_rate_limit)
        self.rate_limit.reset()
        self.requests.reset()
