"""`make run` as a person runs it: the ready line, the access log, and KEEP=1 across a restart.

Each run is `python -m dev.stack` in a process of its own, on free ports, with its state in a
temporary folder, so it can run beside other tests and stacks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import jwt
import pytest
import requests

from dev import connect, tokens
from emulators._runtime import free_port
from emulators.firestore import find_official_jar
from shared.config import load_config
from tests.helpers import wait_until

REPO = Path(__file__).resolve().parents[2]
ADA = "ada@example.com"
# Settings the test process may carry (fixtures set some); the stack derives its own.
_CONFIG_VARIABLES = (
    "GOOGLE_CLOUD_PROJECT",
    "PUBLIC_BASE_URL",
    "PLATFORM_RETURN_URL",
    "CLOUD_TASKS_EMULATOR_HOST",
    "GOOGLE_API_BASE",
    "SMTP_HOST",
    "FIRESTORE_EMULATOR_HOST",
)


class StackProcess:
    """`python -m dev.stack` with its output collected line by line."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.lines: list[str] = []
        self._ended = False  # all output read: the process closed it
        self._changed = threading.Condition()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dev.stack", *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = 120) -> str:
        def found() -> str | None:
            return next((line for line in self.lines if text in line), None)

        with self._changed:
            if not self._changed.wait_for(lambda: found() or self._ended, timeout):
                raise AssertionError(f"no {text!r} after {timeout}s:\n" + "\n".join(self.lines))
            line = found()
            if line is None:
                raise AssertionError(f"stack exited without {text!r}:\n" + "\n".join(self.lines))
            return line

    def stop(self, timeout: float = 60) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        self.wait_for("stopped", timeout=5)
        return code

    def kill(self) -> None:
        """Stop a stack a failed test left running; politely first, so its emulators go too."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture
def stack_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CONFIG_VARIABLES}
    for name in (
        "PORT",
        "GOOGLE_PORT",
        "TASKS_PORT",
        "FIRESTORE_PORT",
        "SMTP_PORT",
        "MAILBOX_PORT",
    ):
        env[name] = str(free_port())
    env["APP_MODE"] = "local"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def run_stack(stack_env, tmp_path):
    started: list[StackProcess] = []

    def run(*args: str) -> StackProcess:
        # Its logs stay out of the repository's .logs/, which a running `make run` uses.
        stack = StackProcess(stack_env, *args, "--log-dir", str(tmp_path / "logs"))
        started.append(stack)
        stack.wait_for("Ready:")
        return stack

    yield run
    for stack in started:
        stack.kill()


def test_keep_carries_firestore_and_the_google_stand_in_across_a_restart(
    run_stack, stack_env, tmp_path
):
    config = load_config(stack_env)
    base = config.public_base_url
    admin = {"Authorization": f"Bearer {tokens.platform_token(config, 'admin', 'c1')}"}
    state_dir = tmp_path / "state"
    official = find_official_jar() is not None

    first = run_stack("--keep", "--state-dir", str(state_dir))
    assert "Ready: the local stack is up" in first.wait_for("Ready:")
    # The console's address, an admin token of c1 in its fragment (never in the query).
    console = first.wait_for("Open the console").split(": ", 1)[1]
    assert console.startswith(f"{base}/console#token=") and "?" not in console
    console_token = console.split("#token=", 1)[1]
    assert jwt.decode(console_token, config.jwt_secret, algorithms=["HS256"])["role"] == "admin"
    assert requests.get(f"{base}/console", timeout=30).status_code == 200
    assert "none yet, starts empty" in first.wait_for("Google stand-in accounts")
    settings = {"company_name": "Acme Plumbing", "enabled": True}
    assert requests.put(f"{base}/settings", json=settings, headers=admin, timeout=30).ok
    worker = {"name": "Ada", "email": ADA, "active": True, "timezone": "Europe/Oslo"}
    assert requests.put(f"{base}/workers/w1", json=worker, headers=admin, timeout=30).ok
    assert connect.connect(config, "w1", ADA).connected
    wait_until(
        lambda: requests.get(f"{base}/workers/w1/connection", headers=admin, timeout=30).json()[
            "first_sync"
        ]["done"],
        timeout=30,
        what="the first sync",
    )
    # The stand-in knows the platform client from the start and a private client once saved.
    assert config.platform_client_id in first.wait_for("OAuth clients")
    acme = {"Authorization": f"Bearer {tokens.platform_token(config, 'admin', 'c2')}"}
    private = {
        "company_name": "Acme Heating",
        "enabled": True,
        "provider": "private",
        "client_id": "acme-private.apps.googleusercontent.com",
        "client_secret": "acme-secret",
        "workspace_domain": "acme.example",
    }
    assert requests.put(f"{base}/settings", json=private, headers=acme, timeout=30).ok
    bob = {"name": "Bob", "email": "bob@acme.example", "active": True, "timezone": "UTC"}
    assert requests.put(f"{base}/workers/w2", json=bob, headers=acme, timeout=30).ok
    assert connect.connect(config, "w2", "bob@acme.example", "c2").connected
    # One access line per request: method, path, status, milliseconds.
    assert first.wait_for("PUT /settings  200  ").endswith(" ms")
    assert first.wait_for("GET /getAuthKey  302  ")
    assert first.stop() == 0
    assert first.wait_for("kept the Google stand-in's state")
    if official:
        assert first.wait_for("kept Firestore")

    second = run_stack("--keep", "--state-dir", str(state_dir))
    assert "loaded" in second.wait_for("Google stand-in accounts")
    google = f"http://127.0.0.1:{stack_env['GOOGLE_PORT']}"
    calendars = requests.get(f"{google}/_test/accounts/{ADA}/calendars", timeout=30).json()
    assert "Acme Plumbing" in [c["summary"] for c in calendars["items"]]
    if official:
        assert "loaded from the last run" in second.wait_for("Firestore documents")
        answer = requests.get(f"{base}/workers/w1/connection", headers=admin, timeout=30)
        assert answer.json()["state"] == "connected"
        assert answer.json()["google_email"] == ADA
    else:
        assert "NOT kept" in second.wait_for("Firestore documents")
    assert second.stop() == 0


def test_without_keep_nothing_is_loaded_or_written(run_stack, tmp_path):
    state_dir = tmp_path / "state"
    stack = run_stack("--state-dir", str(state_dir))
    assert "everything starts empty" in stack.wait_for("State:")
    assert stack.stop() == 0
    assert not state_dir.exists()
