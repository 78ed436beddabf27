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

# What the functions server is doing on this thread (set by `Timed` for the length of each
# request): `bench.counting` files the Firestore operations it sees under it.
serving = threading.local()


class Timed(AccessLog):
    """`make run`'s access log, keeping each request's server-side time (body included)
    instead of printing it, and when it started (`perf_counter`, in `starts`)."""

    def __init__(self, app) -> None:
        super().__init__(app)
        self.lock = threading.Lock()
        self.times: list[tuple[str, str, float]] = []
        self.starts: list[tuple[str, str, float]] = []

    def __call__(self, environ: dict, start_response):
        serving.request = (environ.get("REQUEST_METHOD", "?"), environ.get("PATH_INFO", ""))
        try:
            return super().__call__(environ, start_response)
        finally:
            serving.request = None

    def write(self, environ: dict, status: str, started: float) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        with self.lock:
            self.times.append((method, path, elapsed))
            self.starts.append((method, path, started))

    def clear(self) -> None:
        with self.lock:
            self.times.clear()
            self.starts.clear()

    def started(self, method: str, path_prefix: str) -> list[float]:
        """When (`perf_counter`) each finished request whose path starts with `path_prefix`
        started, in order."""
        with self.lock:
            return sorted(
                at for m, p, at in self.starts if m == method and p.startswith(path_prefix)
            )

    def last(self, method: str, path: str) -> float | None:
        """The time of the latest such request (None until its answer is complete)."""
        with self.lock:
            return next((ms for m, p, ms in reversed(self.times) if (m, p) == (method, path)), None)

    def of(self, method: str, path_prefix: str, exact: bool = False) -> list[float]:
        """Server times (ms) of the requests so far whose path starts with `path_prefix` (is
        it, if `exact`)."""
        with self.lock:
            return [
                ms
                for m, p, ms in self.times
                if m == method and (p == path_prefix if exact else p.startswith(path_prefix))
            ]


@dataclass
class LocalStack:
    url: str
    firestore_mode: str
    google: object  # emulators.google.GoogleStandIn
    tasks: object  # emulators.cloud_tasks.CloudTasksEmulator
    mail: object  # emulators.mailbox.MailSink
    timed: Timed
    http: requests.Session
    firestore: object = None  # emulators.firestore.FirestoreEmulator

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

    def cpu_seconds(self) -> dict[str, float | None]:
        """CPU time used so far by this process (every function, the stand-ins but
        Firestore, the bench itself) and by the Firestore emulator's JVM (None where /proc
        cannot tell)."""
        process = getattr(self.firestore, "_process", None)
        return {
            "bench_process": time.process_time(),
            "firestore_emulator": _process_cpu(process.pid) if process else None,
        }

    def set_latency(self, ms: float) -> None:
        """Every Calendar API call from now on (each part of a batch included, one after
        another, as the stand-in serves them) takes `ms` longer; 0: none added."""
        self.google.clear_faults()
        if ms:
            self.google.add_latency(ms / 1000)

    def settle(self, config, timeout: float = 120) -> None:
        """Wait until the project's work is done: no task queued, scheduled or running, and
        no push notification on its way (twice in a row: a finishing task may queue more)."""
        from shared.queue.tasks import tasks_client

        client = tasks_client(config)
        queues = [config.queue_path(q) for q in (config.sync_queue, config.mail_queue)]
        prefix = f"projects/{config.project_id}/"
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 2:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the stack did not settle within {timeout:.0f}s")
            self.google.wait_for_notifications(max(1.0, deadline - time.monotonic()))
            self.tasks.wait_landed(prefix, max(1.0, deadline - time.monotonic()))
            waiting = any(list(client.list_tasks(parent=queue)) for queue in queues)
            quiet = 0 if waiting else quiet + 1
            time.sleep(0.05 if waiting else 0.1)


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
        yield LocalStack(server.url, firestore.mode, google, tasks, mail, timed, http, firestore)


def _process_cpu(pid: int) -> float | None:
    """User and system CPU seconds of process `pid`, from /proc (Linux)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


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
