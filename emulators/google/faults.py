"""What tests steer and observe on the wire: injected errors, added latency, the per-user rate
limit, the request log and per-method call counts.

Rules match an HTTP method (`*` for any) and a path pattern where `*` stands for one path
segment and `**` for anything, e.g. `/calendar/v3/calendars/*/events` (default: the whole
Calendar API). They apply to every
request outside `/_test/`, batch parts included, so a test can fail the third insert of a batch.
An injected 429 carries `Retry-After` (seconds, default 1), as Google's may.

`UserRateLimit` is Google's per-user quota (about 600 requests per minute per user): a sliding
window over each account's Calendar API calls, batch parts each counting; past it, 403
`rateLimitExceeded` (domain `usageLimits`). On by default; `GOOGLE_USER_RATE_LIMIT` (requests
per minute, 0 or `off` to disable) sets the default of every new stand-in.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.wrappers import Response

from emulators.google.errors import google_error

MESSAGES = {
    "rateLimitExceeded": "Rate Limit Exceeded",
    "userRateLimitExceeded": "User Rate Limit Exceeded",
    "quotaExceeded": "Calendar usage limits exceeded.",
    "backendError": "Backend Error",
    "authError": "Invalid Credentials",
}
LOG_SIZE = 10_000
DEFAULT_PATH = "/calendar/v3/**"  # the Calendar API (batch parts included), not OAuth
BATCH = "batch"  # the call-count key of batch HTTP requests (their parts count by method)
DEFAULT_RETRY_AFTER_SECONDS = 1  # on injected 429s unless the fault says otherwise
DEFAULT_USER_RATE_LIMIT = 600  # Calendar API requests per minute per user (Google's default)
RATE_LIMIT_WINDOW_SECONDS = 60.0
RATE_LIMIT_ENV = "GOOGLE_USER_RATE_LIMIT"


def _pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*|\*)", path)
    regex = "".join({"**": ".*", "*": "[^/]*"}.get(part, re.escape(part)) for part in parts)
    return re.compile(regex)


@dataclass
class _Rule:
    method: str
    path: re.Pattern[str]
    remaining: int | None  # None: until cleared

    def take(self, method: str, path: str) -> bool:
        """Whether this rule hits the request; counts the hit down."""
        if self.remaining == 0 or self.method not in ("*", method.upper()):
            return False
        if not self.path.fullmatch(path):
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


@dataclass
class _Fault(_Rule):
    status: int = 503
    reason: str | None = None
    message: str | None = None
    retry_after: float | None = None  # seconds for `Retry-After` (429s get a default)
    # Carried out first, then answered with the error: an answer lost on its way back, as
    # when Google did the work and failed (or the connection dropped) before answering.
    done: bool = False


@dataclass
class _Latency(_Rule):
    seconds: float = 0.0


class Faults:
    """Errors and delays to inject into the next matching requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._latencies: list[_Latency] = []

    def inject(
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
        """Answer the next `count` matching requests (None: all until cleared) with an error.
        `retry_after` (seconds) adds `Retry-After`; a 429 has it anyway (default 1 s). With
        `done`, each request is carried out first (its answer is lost, not its work)."""
        if retry_after is not None:
            retry_after = float(retry_after)
            if not (math.isfinite(retry_after) and retry_after >= 0):
                raise ValueError(f"retry_after must be a non-negative number, not {retry_after!r}")
        rule = _Fault(
            method.upper(), _pattern(path), count, status, reason, message, retry_after, done
        )
        with self._lock:
            self._faults.append(rule)

    def add_latency(
        self,
        seconds: float,
        *,
        method: str = "*",
        path: str = DEFAULT_PATH,
        count: int | None = None,
    ) -> None:
        rule = _Latency(method.upper(), _pattern(path), count, seconds)
        with self._lock:
            self._latencies.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._latencies.clear()

    def apply(self, method: str, path: str) -> Response | None:
        """Sleep for matching latency rules, then return the injected error, if any."""
        with self._lock:
            delay = sum(rule.seconds for rule in self._latencies if rule.take(method, path))
            fault = self._next(method, path, done=False)
        if delay:
            time.sleep(delay)
        return _answer(fault) if fault is not None else None

    def after(self, method: str, path: str) -> Response | None:
        """For a request just carried out: the error that replaces its answer, if any."""
        with self._lock:
            fault = self._next(method, path, done=True)
        return _answer(fault) if fault is not None else None

    def _next(self, method: str, path: str, *, done: bool) -> _Fault | None:
        return next(
            (rule for rule in self._faults if rule.done == done and rule.take(method, path)), None
        )


def _answer(fault: _Fault) -> Response:
    reason = fault.reason
    message = fault.message or MESSAGES.get(reason or "", "Injected fault")
    response = google_error(fault.status, message, reason)
    retry_after = fault.retry_after
    if retry_after is None and fault.status == 429:
        retry_after = DEFAULT_RETRY_AFTER_SECONDS
    if retry_after is not None:
        response.headers["Retry-After"] = str(math.ceil(retry_after))
    return response


def rate_limit_from_env(default: int | None = DEFAULT_USER_RATE_LIMIT) -> int | None:
    """`GOOGLE_USER_RATE_LIMIT`: requests per minute per user; `0`/`off`/`none`: no limit;
    unset or empty: `default`."""
    raw = os.environ.get(RATE_LIMIT_ENV, "").strip().lower()
    if not raw:
        return default
    if raw in ("0", "off", "none", "false", "no"):
        return None
    try:
        limit = int(raw)
    except ValueError:
        raise ValueError(f"{RATE_LIMIT_ENV} must be a whole number or 'off', not {raw!r}") from None
    return _checked_limit(limit)


def _checked_limit(limit: object) -> int | None:
    """A usable limit: a positive int, or None for none (0 also means none)."""
    if limit is None or limit == 0:
        return None
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise ValueError(f"rate limit must be a non-negative integer or None, not {limit!r}")
    return limit


class UserRateLimit:
    """At most `limit` Calendar API calls per `window` seconds per user, in a sliding window.

    Refused calls do not count, so a client that backs off gets through again once its oldest
    counted calls leave the window. Thread-safe.
    """

    def __init__(
        self,
        limit: int | None = DEFAULT_USER_RATE_LIMIT,
        window: float = RATE_LIMIT_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._calls: dict[str, deque[float]] = {}
        self._limit: int | None = None
        self._window = RATE_LIMIT_WINDOW_SECONDS
        self.configure(limit, window)

    @property
    def limit(self) -> int | None:
        return self._limit

    @property
    def window(self) -> float:
        return self._window

    def configure(self, limit: int | None, window: float = RATE_LIMIT_WINDOW_SECONDS) -> None:
        """Allow `limit` calls per `window` seconds per user (None or 0: no limit); calls made
        so far still count against the new limit while they are in the window."""
        limit = _checked_limit(limit)
        window = float(window)
        if not (math.isfinite(window) and window > 0):
            raise ValueError(f"window must be a positive number of seconds, not {window!r}")
        with self._lock:
            self._limit, self._window = limit, window

    def take(self, user: str) -> bool:
        """Count one call by `user`; False (and not counted) when it is over the limit."""
        with self._lock:
            if self._limit is None:
                return True
            now = self._clock()
            calls = self._calls.setdefault(user, deque())
            while calls and calls[0] <= now - self._window:
                calls.popleft()
            if len(calls) >= self._limit:
                return False
            calls.append(now)
            return True

    def reset(self) -> None:
        """Forget every call counted so far (the limit stays)."""
        with self._lock:
            self._calls.clear()


class RequestLog:
    """The last requests served (newest last) and how often each API method was called."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict] = deque(maxlen=LOG_SIZE)
        self._counts: Counter[str] = Counter()

    def record(self, entry: dict) -> None:
        with self._lock:
            self._entries.append(entry)
            if entry.get("methodId"):
                self._counts[entry["methodId"]] += 1

    def entries(self) -> list[dict]:
        with self._lock:
            return list(self._entries)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()
            self._counts.clear()
