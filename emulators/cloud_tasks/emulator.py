"""The emulator's lifecycle: state, dispatcher and gRPC server, started and stopped together."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import grpc
from google.cloud import tasks_v2

from emulators.cloud_tasks.dispatcher import Dispatcher
from emulators.cloud_tasks.names import QueueName
from emulators.cloud_tasks.oidc import OidcSigner
from emulators.cloud_tasks.server import handler
from emulators.cloud_tasks.store import MIN_DISPATCH_DEADLINE, FinishedTask, TaskStore

log = logging.getLogger("emulators.cloud_tasks")

HOST = "127.0.0.1"
DEFAULT_TOMBSTONE_TTL = 3600.0  # Cloud Tasks refuses a used task name for about an hour


class CloudTasksEmulator:
    """A local Cloud Tasks on 127.0.0.1; `port=0` picks a free port (read `.port` after start).

    `oidc_secret` signs the OIDC tokens of task requests (HS256); without one a random secret is
    made up, so only code that reads `.oidc_secret` can verify them. `queues` are created at
    start. `max_concurrent_dispatches` bounds the attempts in flight (run_task may exceed it).
    `min_dispatch_deadline` defaults to the production minimum (15 s); tests lower it to
    exercise timeouts quickly.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        oidc_secret: str | None = None,
        tombstone_ttl: float = DEFAULT_TOMBSTONE_TTL,
        queues: Iterable[str] = (),
        max_concurrent_dispatches: int = 32,
        min_dispatch_deadline: float = MIN_DISPATCH_DEADLINE,
    ) -> None:
        self._requested_port = port
        self._random_secret = not oidc_secret
        self.oidc_secret = oidc_secret or secrets.token_urlsafe(32)
        self._initial_queues = [QueueName.parse(name) for name in dict.fromkeys(queues)]
        self._store = TaskStore(tombstone_ttl, min_dispatch_deadline, max_concurrent_dispatches)
        self._dispatcher = Dispatcher(
            self._store, OidcSigner(self.oidc_secret), max_concurrent_dispatches
        )
        self._grpc_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="cloud-tasks-grpc")
        self._server: grpc.Server | None = None
        self.port = 0

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def start(self) -> CloudTasksEmulator:
        # grpc lets several servers share a port by default (SO_REUSEPORT): refuse that instead.
        server = grpc.server(self._grpc_pool, options=[("grpc.so_reuseport", 0)])
        server.add_generic_rpc_handlers([handler(self._store, self._dispatcher)])
        try:
            port = server.add_insecure_port(f"{HOST}:{self._requested_port}")
        except RuntimeError:
            port = 0
        if port == 0:
            self._grpc_pool.shutdown()
            raise OSError(f"{HOST}:{self._requested_port} is already in use (or cannot be bound)")
        self.port = port
        for name in self._initial_queues:
            self._store.create_queue(str(name.location), tasks_v2.Queue(name=str(name)))
        self._dispatcher.start()
        server.start()
        self._server = server
        if self._random_secret:
            log.warning(
                "no OIDC secret configured: task tokens are signed with a random per-process "
                "secret that targets cannot know; pass --oidc-secret or LOCAL_SERVICE_SECRET"
            )
        return self

    def finished_tasks(self, prefix: str = "") -> list[FinishedTask]:
        """Test hook: how each finished task ended (its attempts), e.g. for one project with
        `prefix="projects/<id>/"`."""
        return self._store.finished(prefix)

    def wait_landed(self, prefix: str, timeout: float = 30.0) -> bool:
        """Test hook: wait until no attempt of the queues under `prefix` (one project:
        `projects/<id>/`) is in flight; False when some still are after `timeout`."""
        return self._store.wait_landed(prefix, timeout)

    def stop(self) -> None:
        """Stop serving and dispatching; attempts in flight are abandoned. Safe to call twice."""
        if self._server is not None:
            self._server.stop(grace=None).wait()
            self._server = None
            self._dispatcher.stop()
            self._grpc_pool.shutdown(wait=True)

    def __enter__(self) -> CloudTasksEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
