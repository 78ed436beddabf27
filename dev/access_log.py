"""One line per request to the local functions server: time, method, path, status, milliseconds.

    19:04:31  POST /workers/w1/authorization-url  200  14 ms

The query string is left out on purpose: `/getAuthKey?code=…&state=…` and `/connect?invite=…`
carry secrets, and a terminal is no place for them.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from werkzeug.wsgi import ClosingIterator

WSGIApp = Callable[..., Iterable[bytes]]


class AccessLog:
    """WSGI middleware around `app`. The time runs until the body is sent (the server closes it)."""

    def __init__(self, app: WSGIApp, stream: TextIO | None = None) -> None:
        self.app = app
        self._stream = stream
        self._lock = threading.Lock()  # whole lines, even from concurrent requests

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        status: list[str] = []

        def recording_start_response(line: str, headers: list, exc_info: Any = None):
            status[:] = [line.split(" ", 1)[0]]
            return start_response(line, headers, exc_info)

        def done() -> None:
            self.write(environ, status[0] if status else "-", started)

        try:
            body = self.app(environ, recording_start_response)
        except BaseException:
            self.write(environ, "500", started)
            raise
        return ClosingIterator(body, done)

    def write(self, environ: dict[str, Any], status: str, started: float) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        path = _printable(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
        line = (
            f"{time.strftime('%H:%M:%S')}  {environ.get('REQUEST_METHOD', '?')} {path}"
            f"  {status}  {elapsed_ms:.0f} ms\n"
        )
        stream = self._stream or sys.stdout
        with self._lock:
            stream.write(line)
            stream.flush()


def _printable(wsgi_path: str) -> str:
    """The path as text (WSGI hands it over as latin-1), control characters escaped so a
    request cannot forge log lines."""
    try:
        text = wsgi_path.encode("latin-1").decode("utf-8")
    except UnicodeError:
        text = wsgi_path
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
