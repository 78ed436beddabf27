"""Fixtures for the Cloud Tasks emulator tests: emulators on free ports, the real client, and
an HTTP target that records what Cloud Tasks would send to our functions."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import grpc
import pytest
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport
from werkzeug.wrappers import Request, Response

from emulators._wsgi import BackgroundWSGIServer
from emulators.cloud_tasks import CloudTasksEmulator

OIDC_SECRET = "test-oidc-secret-0123456789-0123456789"
LOCATION = "projects/test-project/locations/us-central1"
REDIRECT_TARGET = "/moved"  # where the target's 3xx answers point (it answers 200 there)

T = TypeVar("T")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    arrived: float  # time.time()


class RecordingTarget:
    """A task handler for one test: records each request, answers with statuses the test chooses.

    `respond(*statuses)` queues answers (then 200s); `hold_until(n)` makes each request wait
    until n have arrived (proves concurrency); `hang()` blocks requests until the test ends.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.requests: list[RecordedRequest] = []
        self._answers: list[int] = []
        self._arrived = threading.Condition()
        self._hold_until = 0
        self._released = False

    def respond(self, *statuses: int) -> None:
        self._answers.extend(statuses)

    def hold_until(self, count: int) -> None:
        self._hold_until = count

    def hang(self) -> None:
        self._hold_until = 10**9

    def wait_for(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"{len(self.requests)} requests arrived, wanted {count}")
            return list(self.requests)

    def release(self) -> None:
        """Let every held or hung request answer (at the end of the test)."""
        with self._arrived:
            self._released = True
            self._arrived.notify_all()

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self._arrived:
            self.requests.append(
                RecordedRequest(
                    request.method,
                    request.full_path.rstrip("?"),
                    {key.lower(): value for key, value in request.headers.items()},
                    request.get_data(),
                    time.time(),
                )
            )
            self._arrived.notify_all()
            if request.path == REDIRECT_TARGET:
                return Response("redirected", status=200)(environ, start_response)
            self._arrived.wait_for(
                lambda: len(self.requests) >= self._hold_until or self._released, timeout=10
            )
            status = self._answers.pop(0) if self._answers else 200
        headers = {"Location": REDIRECT_TARGET} if 300 <= status < 400 else {}
        return Response(f"status {status}", status=status, headers=headers)(environ, start_response)


class _TargetServer:
    """One HTTP server per module (stopping one takes half a second), routing to the current
    test's RecordingTarget; requests still running from an earlier test keep their own."""

    def __init__(self) -> None:
        self.current: RecordingTarget | None = None
        self.server = BackgroundWSGIServer(self._route)

    def _route(self, environ, start_response):
        assert self.current is not None
        return self.current(environ, start_response)


@pytest.fixture(scope="module")
def _target_server() -> Iterator[_TargetServer]:
    target_server = _TargetServer()
    target_server.server.start()
    yield target_server
    target_server.server.stop()


@pytest.fixture
def target(_target_server) -> Iterator[RecordingTarget]:
    recording = RecordingTarget(_target_server.server.url)
    _target_server.current = recording
    yield recording
    recording.release()


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., CloudTasksEmulator]]:
    """Start emulators with given options; all are stopped at the end of the test."""
    started: list[CloudTasksEmulator] = []

    def make(**options) -> CloudTasksEmulator:
        options.setdefault("oidc_secret", OIDC_SECRET)
        emulator = CloudTasksEmulator(port=0, **options).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(make_emulator) -> CloudTasksEmulator:
    """Short dispatch deadlines allowed, so timeouts are testable in well under a second."""
    return make_emulator(min_dispatch_deadline=0)


@pytest.fixture
def connect() -> Iterator[Callable[[str], tasks_v2.CloudTasksClient]]:
    """Build clients exactly as production code does; their channels close after the test."""
    clients: list[tasks_v2.CloudTasksClient] = []

    def make(address: str) -> tasks_v2.CloudTasksClient:
        channel = grpc.insecure_channel(address)
        clients.append(
            tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
        )
        return clients[-1]

    yield make
    for tasks_client in clients:
        tasks_client.transport.close()


@pytest.fixture
def client(emulator, connect) -> tasks_v2.CloudTasksClient:
    return connect(emulator.address)


@pytest.fixture
def queue(client) -> str:
    """A queue that retries fast: 50 ms, doubling, at most 5 attempts."""
    name = f"{LOCATION}/queues/fast"
    client.create_queue(
        parent=LOCATION,
        queue=tasks_v2.Queue(
            name=name,
            retry_config=tasks_v2.RetryConfig(
                max_attempts=5,
                min_backoff=timedelta(seconds=0.05),
                max_backoff=timedelta(seconds=1),
            ),
        ),
    )
    return name
