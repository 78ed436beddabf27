"""The Google stand-in: one werkzeug server for the Calendar API, OAuth and test hooks.

Each part contributes werkzeug `Rule`s whose endpoint is a handler
`handler(standin, request, **url_values) -> Response`:
- `calendar_api.routes()`: Calendar API v3 and its batch endpoint,
- `oauth.routes()`: consent page, token, revoke, userinfo, JWKS, discovery,
- `testhooks.routes()`: `/_test/...` for tests and people driving the stack.
A handler may carry a `method_id` attribute (the discovery document's method id, e.g.
`calendar.events.insert`); requests are counted under it.

`dispatch` is the one way into the handlers, for the server and for each part of a batch
alike, so injected faults, latency, the request log and call counts see both.
"""

from __future__ import annotations

import copy
import logging
import time
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from emulators._routing import shared_map
from emulators._wsgi import BackgroundWSGIServer
from emulators.google import calendar_api, oauth, state, testhooks
from emulators.google.accounts import Accounts
from emulators.google.calendars import CalendarStore
from emulators.google.channels import Channels
from emulators.google.errors import ApiError, google_error
from emulators.google.faults import DEFAULT_PATH, Faults, RequestLog
from emulators.google.queries import Pages

__all__ = ["GoogleStandIn", "google_error", "url_map"]

log = logging.getLogger(__name__)
TEST_HOOK_PREFIX = "/_test/"


def _rules() -> list[Rule]:
    return [*calendar_api.routes(), *oauth.routes(), *testhooks.routes()]


def url_map() -> Map:
    """The stand-in's routes: one map per process, shared by every instance (see _routing)."""
    return shared_map("google", _rules, strict_slashes=False)


url_map()  # built on import (tests import it while single-threaded), not by the first instance


class GoogleStandIn:
    """All state of the fake Google plus the server that exposes it.

    Besides the HTTP API, the methods below are the test hooks: they act as the account
    holder in Google's own UI, steer faults, and observe requests and push deliveries.
    """

    def __init__(self, port: int = 0, host: str = "127.0.0.1", local_mode: bool = True) -> None:
        self.local_mode = local_mode
        self.accounts = Accounts()
        self.calendars = CalendarStore()
        self.pages = Pages()
        self.channels = Channels(local_mode)
        self.faults = Faults()
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
            response = injected or handler(self, request, **values)
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

    # -- test hooks: the account holder in Google's UI ---------------------
    def create_calendar(self, email: str, summary: str, **fields: Any) -> dict:
        """A secondary calendar the user made by hand (no OAuth client created it)."""
        calendar = self.calendars.create_calendar(email, {"summary": summary, **fields}, None)
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
    ) -> None:
        """Fail the next `count` requests matching method and path (see `faults.py`)."""
        self.faults.inject(status, reason, method=method, path=path, count=count, message=message)

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

    def set_paging(self, max_page_size: int | None = None, empty_pages: int = 0) -> None:
        """Cut list pages as Google may: at most `max_page_size` items per page, below any
        `maxResults`, after `empty_pages` empty pages (with `nextPageToken`) at the start of
        each listing; `nextSyncToken` still only on the last page. For `events.list` and
        `events.instances` listings started from now on; no arguments (or `reset`): normal."""
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
        """Deliveries made so far: channel, address, headers, the target's status (None when
        unreachable or dropped), and the `dropped` and `delayed` flags."""
        return self.channels.deliveries()

    def reset(self) -> None:
        """Forget calendars, channels, faults, paging and notification hooks, and logs. Accounts
        and tokens (OAuth's) stay; their primary calendars come back empty on first use."""
        self.calendars.reset()
        self.pages.reset()
        self.channels.reset()
        self.faults.clear()
        self.requests.reset()
