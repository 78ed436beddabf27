"""What tests steer and observe on the wire: injected errors, added latency, the request log
and per-method call counts.

Rules match an HTTP method (`*` for any) and a path pattern where `*` stands for one path
segment and `**` for anything, e.g. `/calendar/v3/calendars/*/events` (default: the whole
Calendar API). They apply to every
request outside `/_test/`, batch parts included, so a test can fail the third insert of a batch.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, deque
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
    ) -> None:
        """Answer the next `count` matching requests (None: all until cleared) with an error."""
        rule = _Fault(method.upper(), _pattern(path), count, status, reason, message)
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
            fault = next((rule for rule in self._faults if rule.take(method, path)), None)
        if delay:
            time.sleep(delay)
        if fault is None:
            return None
        reason = fault.reason
        message = fault.message or MESSAGES.get(reason or "", "Injected fault")
        return google_error(fault.status, message, reason)


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
