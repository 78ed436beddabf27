"""The local stack for tests: emulators once per test process, a fresh tenant per test.

Isolation: every test gets its own Firestore project id (projects never see each
other's data) and so its own Cloud Tasks queues; servers listen on free ports,
so test processes can run side by side.
"""

from __future__ import annotations

import functools
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from google.cloud import firestore

from dev import tokens
from emulators._wsgi import BackgroundWSGIServer
from emulators.cloud_tasks import CloudTasksEmulator
from emulators.firestore import FirestoreEmulator, find_official_jar
from emulators.google import GoogleStandIn
from emulators.mailbox import MailSink
from functions.local import create_app, platform_client
from shared.config import LOCAL_SERVICE_SECRET, Config, get_config
from shared.queue.tasks import ensure_queues, tasks_client


@functools.cache
def _official_firestore() -> bool:
    # Asks the Cloud SDK (a subprocess, ~1 s): only when a test needs the emulators.
    return find_official_jar() is not None


def _only_unit_tests(config: pytest.Config) -> bool:
    return bool(config.args) and all(
        arg.replace("\\", "/").startswith("tests/unit") for arg in config.args
    )


# Cloud Functions' runtime in production (infra): python312.
PRODUCTION_PYTHON = (3, 12)


def pytest_report_header(config: pytest.Config) -> list[str]:
    version = ".".join(str(part) for part in sys.version_info[:3])
    if sys.version_info[:2] == PRODUCTION_PYTHON:
        runtime = f"Python {version}: the production runtime (Cloud Functions python312)"
    else:
        runtime = (
            f"Python {version}: NOT the production runtime (Cloud Functions python312); "
            "install python3.12 and `make clean test` to test on it"
        )
    if _only_unit_tests(config):
        return [runtime, "Firestore: not needed (unit tests only)"]
    if _official_firestore():
        return [runtime, "Firestore: Google's official emulator (full run)"]
    return [
        runtime,
        "Firestore: REDUCED run on the npm fallback emulator (no Cloud SDK found); "
        "tests marked full_firestore are skipped",
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not any("full_firestore" in item.keywords for item in items) or _official_firestore():
        return
    skip = pytest.mark.skip(
        reason="needs the official Firestore emulator (transactions, batches, cursors, "
        "collection-group queries or preconditions), missing on this machine"
    )
    for item in items:
        if "full_firestore" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def firestore_emulator(tmp_path_factory) -> Iterator[FirestoreEmulator]:
    # Its output (lock timeouts, aborted transactions) survives a failed run in pytest's temp.
    log = tmp_path_factory.getbasetemp() / "firestore.log"
    with FirestoreEmulator(log_path=log) as emulator:
        os.environ["FIRESTORE_EMULATOR_HOST"] = emulator.host
        yield emulator


@pytest.fixture(scope="session")
def tasks_emulator() -> Iterator[CloudTasksEmulator]:
    with CloudTasksEmulator(port=0, oidc_secret=LOCAL_SERVICE_SECRET) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def mail_sink() -> Iterator[MailSink]:
    with MailSink() as sink:
        yield sink


@pytest.fixture(scope="session")
def functions_server() -> Iterator[BackgroundWSGIServer]:
    with BackgroundWSGIServer(create_app()) as server:
        yield server


@dataclass
class Stack:
    """One test's view of the running local stack."""

    config: Config
    url: str
    db: firestore.Client
    google: GoogleStandIn
    mail: MailSink
    tasks: CloudTasksEmulator

    def token(self, role: str = "admin", company: str = "c1", worker: str | None = None) -> str:
        return tokens.platform_token(self.config, role, company, worker)

    def request(
        self,
        method: str,
        path: str,
        *,
        role: str = "admin",
        company: str = "c1",
        worker: str | None = None,
        token: str | None = None,
        **kwargs,
    ) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token is None:
            token = self.token(role, company, worker)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kwargs)


@pytest.fixture
def stack(
    firestore_emulator, tasks_emulator, mail_sink, functions_server, monkeypatch
) -> Iterator[Stack]:
    with GoogleStandIn(port=0) as google:
        env = {
            "APP_MODE": "local",
            "GOOGLE_CLOUD_PROJECT": f"test-{uuid.uuid4().hex[:12]}",
            "PUBLIC_BASE_URL": functions_server.url,
            "PLATFORM_RETURN_URL": functions_server.url + "/_local/connected",
            "CLOUD_TASKS_EMULATOR_HOST": tasks_emulator.address,
            "GOOGLE_API_BASE": google.base_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(mail_sink.smtp_port),
            "FIRESTORE_EMULATOR_HOST": firestore_emulator.host,
            # The stand-in speaks plain http; oauthlib must be told, as `make run` tells it.
            "OAUTHLIB_INSECURE_TRANSPORT": "1",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_config.cache_clear()
        config = get_config()
        # As `make run` does: the stand-in knows no client it was not told of (a private one
        # is registered when an admin saves it, by functions/local.py).
        google.register_client(**platform_client(config))
        ensure_queues(config)
        mail_sink.mailbox.clear()
        yield Stack(
            config=config,
            url=functions_server.url,
            db=firestore.Client(project=config.project_id),
            google=google,
            mail=mail_sink,
            tasks=tasks_emulator,
        )
        _land_tasks(config, tasks_emulator)
    get_config.cache_clear()


def _land_tasks(config: Config, emulator: CloudTasksEmulator) -> None:
    """The test's queued work stops, and what is running lands, before the next test's
    settings take over this process: a task of this test finishing later would write into
    the next test's project (the functions server reads the settings per request)."""
    client = tasks_client(config)
    for queue in (config.sync_queue, config.mail_queue):
        client.pause_queue(name=config.queue_path(queue))
        client.purge_queue(name=config.queue_path(queue))
    if not emulator.wait_landed(f"projects/{config.project_id}/", timeout=60):
        raise RuntimeError("a task of the test was still running 60 s after it ended")
