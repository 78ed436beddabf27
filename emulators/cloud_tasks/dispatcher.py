"""Delivers due tasks over HTTP, concurrently, with the headers and token Cloud Tasks sends.

Only a 2xx answer is a success; redirects are not followed. Each attempt gets the task's
dispatch_deadline as its socket timeout. Stopping aborts attempts in flight (their sockets are
shut down), so no thread outlives the emulator even when a target hangs.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from urllib.parse import urlsplit

from google.cloud import tasks_v2
from google.rpc import code_pb2

from emulators.cloud_tasks.attempts import Delivery, Outcome
from emulators.cloud_tasks.oidc import OidcSigner
from emulators.cloud_tasks.store import TaskStore

log = logging.getLogger("emulators.cloud_tasks")

USER_AGENT = "Google-Cloud-Tasks"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
# Task headers Cloud Tasks ignores or replaces with its own.
_REPLACED_HEADERS = {"host", "content-length", "user-agent"}
_RESERVED_PREFIXES = ("x-google-", "x-appengine-", "x-cloudtasks-")


class _Stopped(Exception):
    """The emulator stopped while the attempt was in flight; the attempt is abandoned."""


class Dispatcher:
    def __init__(
        self, store: TaskStore, signer: OidcSigner, max_concurrent_dispatches: int
    ) -> None:
        self._store = store
        self._signer = signer
        # The store never hands out more than this many attempts; run_task extras wait their turn.
        self._pool = ThreadPoolExecutor(
            max_workers=max_concurrent_dispatches, thread_name_prefix="cloud-tasks-dispatch"
        )
        self._scheduler = threading.Thread(
            target=self._schedule_forever, name="cloud-tasks-scheduler", daemon=True
        )
        self._lock = threading.Lock()
        self._connections: set[HTTPConnection] = set()
        self._stopping = False

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        self._store.close()
        with self._lock:
            self._stopping = True
            for connection in self._connections:
                if connection.sock is not None:
                    with contextlib.suppress(OSError):  # already closed by the other side
                        connection.sock.shutdown(socket.SHUT_RDWR)
        if self._scheduler.is_alive():
            self._scheduler.join()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def run_now(self, name: str, view: tasks_v2.Task.View) -> tasks_v2.Task:
        task, delivery = self._store.start_forced_attempt(name, view)
        self._pool.submit(self._deliver, delivery)
        return task

    def _schedule_forever(self) -> None:
        while (delivery := self._store.next_delivery()) is not None:
            self._pool.submit(self._deliver, delivery)

    def _deliver(self, delivery: Delivery) -> None:
        try:
            outcome = self._send(delivery)
        except _Stopped:
            return
        except Exception as exc:  # a bug here must not leave the task in flight for ever
            log.exception("dispatching %s failed", delivery.task_name)
            outcome = Outcome(None, code_pb2.INTERNAL, f"emulator error: {exc}")
        request = delivery.request
        log.info(
            "%s %s (task %s) -> %s",
            request.http_method.name,
            request.url,
            delivery.task_name.task_id,
            outcome.message,
        )
        self._store.finish(delivery, outcome)

    def _send(self, delivery: Delivery) -> Outcome:
        request = delivery.request
        url = urlsplit(request.url)
        connection_class = HTTPSConnection if url.scheme == "https" else HTTPConnection
        connection = connection_class(url.hostname or "", url.port, timeout=delivery.deadline)
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        try:
            self._track(connection)
            connection.connect()
            self._raise_if_stopping()
            connection.request(
                request.http_method.name,
                path,
                body=request.body or None,
                headers=self._headers(delivery),
            )
            response = connection.getresponse()
            response.read()
            return Outcome.from_http(response.status)
        except TimeoutError:
            self._raise_if_stopping()
            message = f"no response within the dispatch deadline of {delivery.deadline:g}s"
            return Outcome(None, code_pb2.DEADLINE_EXCEEDED, message)
        except (OSError, HTTPException) as exc:
            self._raise_if_stopping()
            return Outcome(None, code_pb2.UNAVAILABLE, f"request failed: {exc!r}")
        finally:
            with self._lock:
                self._connections.discard(connection)
            connection.close()

    def _track(self, connection: HTTPConnection) -> None:
        with self._lock:
            if self._stopping:
                raise _Stopped
            self._connections.add(connection)

    def _raise_if_stopping(self) -> None:
        # stop() shuts down only sockets that existed when it ran; later ones see the flag here.
        with self._lock:
            if self._stopping:
                raise _Stopped

    def _headers(self, delivery: Delivery) -> dict[str, str]:
        request = delivery.request
        headers = {
            key: value
            for key, value in request.headers.items()
            if key.lower() not in _REPLACED_HEADERS
            and not key.lower().startswith(_RESERVED_PREFIXES)
        }
        if not any(key.lower() == "content-type" for key in headers):
            headers["Content-Type"] = DEFAULT_CONTENT_TYPE
        headers["User-Agent"] = USER_AGENT
        headers["X-CloudTasks-QueueName"] = delivery.task_name.queue.queue_id
        headers["X-CloudTasks-TaskName"] = delivery.task_name.task_id
        headers["X-CloudTasks-TaskRetryCount"] = str(delivery.retry_count)
        headers["X-CloudTasks-TaskExecutionCount"] = str(delivery.execution_count)
        headers["X-CloudTasks-TaskETA"] = f"{delivery.eta:.6f}"
        if delivery.previous_response is not None:
            headers["X-CloudTasks-TaskPreviousResponse"] = str(delivery.previous_response)
        if delivery.retry_reason is not None:
            headers["X-CloudTasks-TaskRetryReason"] = delivery.retry_reason
        if "oidc_token" in request:
            oidc = request.oidc_token
            token = self._signer.token(oidc.service_account_email, oidc.audience or request.url)
            headers = {
                key: value for key, value in headers.items() if key.lower() != "authorization"
            }
            headers["Authorization"] = f"Bearer {token}"
        return headers
