"""Run a WSGI app on 127.0.0.1 in a background thread (used by every HTTP stand-in)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

WSGIApp = Callable[..., Any]


class _QuietHandler(WSGIRequestHandler):
    """No per-request access log: the stand-ins keep their own request logs."""

    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


class BackgroundWSGIServer:
    """A threaded werkzeug server that starts on a given (or free, port 0) port and stops cleanly.

    Binding fails loudly when the port is taken: two stacks must never share a port silently.
    """

    def __init__(self, app: WSGIApp, port: int = 0, host: str = "127.0.0.1") -> None:
        self._app = app
        self._host = host
        self._requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Lock()  # stop() may be called from two threads at once

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("server is not running")
        return self._server.server_port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def start(self) -> BackgroundWSGIServer:
        try:
            self._server = make_server(
                self._host,
                self._requested_port,
                self._app,
                threaded=True,
                request_handler=_QuietHandler,
            )
        except SystemExit as exc:  # werkzeug exits the process on a taken port; we raise instead
            raise OSError(f"{self._host}:{self._requested_port} is already in use") from exc
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how soon stop() is noticed
            name=f"wsgi-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._stopping:
            server, self._server = self._server, None
            thread, self._thread = self._thread, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)

    def __enter__(self) -> BackgroundWSGIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
