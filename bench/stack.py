"""The local stack for benchmarks: every emulator on free ports and every function in this
process, as the tests run them, plus what the benchmarks measure with.

    with local_stack() as stack:
        config = stack.new_project()
        ...
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import requests

from dev.access_log import AccessLog


class Timed(AccessLog):
    """`make run`'s access log, keeping each request's server-side time (body included)
    instead of printing it."""

    def __init__(self, app) -> None:
        super().__init__(app)
        self.lock = threading.Lock()
        self.times: list[tuple[str, str, float]] = []

    def write(self, environ: dict, status: str, started: float) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.times.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], elapsed))

    def clear(self) -> None:
        with self.lock:
            self.times.clear()

    def last(self, method: str, path: str) -> float | None:
        """The time of the latest such request (None until its answer is complete)."""
        with self.lock:
            return next((ms for m, p, ms in reversed(self.times) if (m, p) == (method, path)), None)

    def of(self, method: str, path_prefix: str) -> list[float]:
        """Server times (ms) of the requests so far whose path starts with `path_prefix`."""
        with self.lock:
            return [ms for m, p, ms in self.times if m == method and p.startswith(path_prefix)]


@dataclass
class LocalStack:
    url: str
    firestore_mode: str
    google: object  # emulators.google.GoogleStandIn
    tasks: object  # emulators.cloud_tasks.CloudTasksEmulator
    mail: object  # emulators.mailbox.MailSink
    timed: Timed
    http: requests.Session

    def new_project(self):
        """A fresh Firestore project (and so fresh queues): the config for it."""
        from functions.local import platform_client
        from shared.config import get_config
        from shared.queue.tasks import ensure_queues

        os.environ["GOOGLE_CLOUD_PROJECT"] = f"bench-{uuid.uuid4().hex[:12]}"
        get_config.cache_clear()
        config = get_config()
        ensure_queues(config)
        self.google.register_client(**platform_client(config))  # as `make run` does
        self.timed.clear()
        self.google.reset_request_log()
        return config


@contextmanager
def local_stack(http_pool: int = 32) -> Iterator[LocalStack]:
    os.environ.update(
        {"APP_MODE": "local", "OAUTHLIB_INSECURE_TRANSPORT": "1", "GRPC_VERBOSITY": "ERROR"}
    )
    from emulators._wsgi import BackgroundWSGIServer
    from emulators.cloud_tasks import CloudTasksEmulator
    from emulators.firestore import FirestoreEmulator
    from emulators.google import GoogleStandIn
    from emulators.mailbox import MailSink
    from functions.local import create_app
    from shared.config import LOCAL_SERVICE_SECRET

    timed = Timed(create_app())
    with ExitStack() as started:
        firestore = started.enter_context(FirestoreEmulator())
        os.environ["FIRESTORE_EMULATOR_HOST"] = firestore.host
        tasks = started.enter_context(CloudTasksEmulator(port=0, oidc_secret=LOCAL_SERVICE_SECRET))
        mail = started.enter_context(MailSink())
        google = started.enter_context(GoogleStandIn(port=0))
        server = started.enter_context(BackgroundWSGIServer(timed))
        os.environ.update(
            {
                "PUBLIC_BASE_URL": server.url,
                "PLATFORM_RETURN_URL": server.url + "/_local/connected",
                "CLOUD_TASKS_EMULATOR_HOST": tasks.address,
                "GOOGLE_API_BASE": google.base_url,
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(mail.smtp_port),
            }
        )
        http = requests.Session()
        http.trust_env = False
        http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=http_pool))
        yield LocalStack(server.url, firestore.mode, google, tasks, mail, timed, http)


def summary(values: list[float]) -> dict:
    """Median, p95, p99 and max of `values` (ms or s), rounded."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "n": len(values),
        "median": round(statistics.median(ordered), 1),
        "p95": round(pick(0.95), 1),
        "p99": round(pick(0.99), 1),
        "max": round(ordered[-1], 1),
    }
