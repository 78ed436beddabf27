"""Start a Firestore emulator: Google's official one, or a reduced fallback.

The official emulator (Java, Cloud SDK component `cloud-firestore-emulator`)
is found through FIRESTORE_EMULATOR_JAR, then `gcloud info`'s SDK root, then
the usual install paths. Machines without the Cloud SDK get the npm package
`@firestore-emulator/server`, which lacks transaction isolation, atomic
batches, cursors, collection-group queries and preconditions; the mode is
announced so a reduced run is never mistaken for a full one.

    python -m emulators.firestore --port 8081
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from emulators._runtime import free_port, port_in_use, wait_for_stop_signal

_JAR = Path("platform/cloud-firestore-emulator/cloud-firestore-emulator.jar")
_SDK_ROOTS = (
    "/usr/lib/google-cloud-sdk",
    "/usr/share/google-cloud-sdk",
    "/opt/google-cloud-sdk",
    "~/google-cloud-sdk",
)
_FALLBACK_DIR = Path(__file__).with_name("firestore_fallback")

OFFICIAL = "official"
REDUCED = "reduced"


def find_official_jar() -> Path | None:
    explicit = os.environ.get("FIRESTORE_EMULATOR_JAR")
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    roots: list[str] = []
    if shutil.which("gcloud"):
        try:
            out = subprocess.run(
                ["gcloud", "info", "--format=value(installation.sdk_root)"],
                capture_output=True,
                text=True,
                timeout=30,
            )
            if out.stdout.strip():
                roots.append(out.stdout.strip())
        except (OSError, subprocess.TimeoutExpired):
            pass
    roots.extend(_SDK_ROOTS)
    for root in roots:
        jar = Path(root).expanduser() / _JAR
        if jar.is_file():
            return jar
    return None


def install_fallback() -> None:
    """Install the npm fallback beside this file (once)."""
    if (_FALLBACK_DIR / "node_modules" / "@firestore-emulator" / "server").is_dir():
        return
    if not shutil.which("npm"):
        raise RuntimeError("neither the Cloud SDK Firestore emulator nor npm is available")
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=_FALLBACK_DIR,
        check=True,
    )


class FirestoreEmulator:
    """One emulator process on 127.0.0.1; `host` is what FIRESTORE_EMULATOR_HOST takes."""

    def __init__(self, port: int = 0, mode: str | None = None) -> None:
        self.port = port or free_port()
        self._jar = find_official_jar() if mode in (None, OFFICIAL) else None
        if mode == OFFICIAL and self._jar is None:
            raise RuntimeError("the official Firestore emulator is not installed")
        self.mode = OFFICIAL if self._jar else REDUCED
        self._process: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> FirestoreEmulator:
        if port_in_use(self.port):
            raise OSError(f"{self.host} is already in use")
        if self._jar:
            java = os.environ.get("JAVA", "java")
            command = [java, "-Duser.language=en", "-cp", str(self._jar)]
            command += ["com.google.cloud.datastore.emulator.firestore.CloudFirestore", "start"]
            command += ["--host=127.0.0.1", f"--port={self.port}"]
        else:
            install_fallback()
            command = ["node", str(_FALLBACK_DIR / "server.mjs"), str(self.port)]
        self._process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # so stop() ends the JVM and anything it forked
        )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"Firestore emulator exited with {self._process.returncode}")
            if self._ready():
                return
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"Firestore emulator not ready on {self.host} after {timeout}s")

    def _ready(self) -> bool:
        if self.mode == OFFICIAL:
            try:
                return requests.get(f"http://{self.host}/", timeout=1).text.strip() == "Ok"
            except requests.RequestException:
                return False
        return port_in_use(self.port)

    def clear(self, project_id: str) -> None:
        """Delete every document of `project_id` (official emulator only)."""
        if self.mode != OFFICIAL:
            raise RuntimeError("the reduced emulator cannot be cleared; use a new project id")
        url = f"http://{self.host}/emulator/v1/projects/{project_id}/databases/(default)/documents"
        requests.delete(url, timeout=10).raise_for_status()

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        self._process = None

    def __enter__(self) -> FirestoreEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a local Firestore emulator.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("FIRESTORE_PORT", 8081)))
    parser.add_argument("--mode", choices=[OFFICIAL, REDUCED])
    args = parser.parse_args(argv)
    emulator = FirestoreEmulator(args.port, args.mode).start()
    print(f"Firestore emulator ({emulator.mode}) on {emulator.host}", flush=True)
    wait_for_stop_signal()
    emulator.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
