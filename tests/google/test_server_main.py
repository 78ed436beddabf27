"""`python -m emulators.google`: starts on the asked port, says where, stops on signals."""

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_runs_until_signalled(signum):
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators.google", "--port", "0"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stderr.readline()
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert found, line
        assert requests.get(found.group(1) + "/_test/requests", timeout=5).status_code == 200
        process.send_signal(signum)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.stderr.close()


def _start(*args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators.google", "--port", "0", *args],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in process.stderr:  # "state loaded from …" may come first
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if found:
            return process, found.group(1)
    raise AssertionError(f"the stand-in exited with {process.wait(10)} before listening")


def test_keep_saves_the_state_at_stop_and_loads_it_at_start(tmp_path):
    state = tmp_path / "google.json"
    calendars = "/_test/accounts/ada@example.com/calendars"
    process, url = _start("--keep", str(state))
    try:
        answer = requests.post(url + calendars, json={"summary": "Kept"}, timeout=5)
        assert answer.status_code == 200, answer.text
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.stderr.close()
    assert state.is_file()
    process, url = _start("--keep", str(state))
    try:
        listed = requests.get(url + calendars, timeout=5).json()["items"]
        assert "Kept" in [c["summary"] for c in listed]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        process.stderr.close()
