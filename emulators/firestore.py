"""Start a Firestore emulator: Google's official one, or a reduced fallback.

The official emulator (Java, Cloud SDK component `cloud-firestore-emulator`)
is found through FIRESTORE_EMULATOR_JAR, then `gcloud info`'s SDK root, then
the usual install paths. Machines without the Cloud SDK get the npm package
`@firestore-emulator/server`, which lacks transaction isolation, atomic
batches, cursors, collection-group queries and preconditions; the mode is
announced so a reduced run is never mistaken for a full one.

Keeping data across restarts (official emulator only): `export(project, directory)` writes
a project's documents through the emulator's HTTP export endpoint, and
`FirestoreEmulator(import_from=directory)` starts with them (`--import-data`). The jar's own
`--export-on-exit` flag is not used: it runs only when the emulator is stopped through its
`/shutdown` endpoint, not on SIGTERM, and emulator 1.19.9 fails in it ("Database name
projects/<p>/databases/ has invalid trailing /"). The npm fallback can neither import nor
export; `can_keep` says which one runs.

The emulator's own output (start-up lines, and on the official one a warning with a stack
trace for every "Transaction lock timeout." that aborts a transaction) is thrown away unless
`log_path` names a file: then it goes there. Each start begins that file afresh and keeps the
previous start's as `<name>.1`, so it never grows across runs.

    python -m emulators.firestore --port 8081 --log firestore.log
    python -m emulators.firestore --keep .local-state/firestore --project local-calendar-sync
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
EXPORT_NAME = "firestore"  # an export in `directory` lives in directory/firestore/

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


def find_export(directory: Path) -> Path | None:
    """The metadata file of the export kept in `directory` (what `--import-data` takes)."""
    found = sorted(Path(directory).glob("*/*.overall_export_metadata"))
    return found[0] if found else None


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


def open_log(path: Path) -> int:
    """A fresh `path` for an emulator's output, as a file descriptor; an earlier file there
    becomes `<name>.1` (replacing the one before), so two runs' worth are kept at most.

    Renaming rather than truncating also spares an emulator still writing to the old file (a
    second stack started by mistake, or a test's): it goes on writing into `<name>.1`. The file
    is opened for appending, so a writer never leaves holes in it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        os.replace(path, path.with_name(path.name + ".1"))
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)


class FirestoreEmulator:
    """One emulator process on 127.0.0.1; `host` is what FIRESTORE_EMULATOR_HOST takes."""

    def __init__(
        self,
        port: int = 0,
        mode: str | None = None,
        import_from: Path | None = None,
        log_path: Path | None = None,
    ) -> None:
        """`import_from`: a directory `export` wrote; its documents are loaded at start (none
        when it holds no export yet). Official emulator only. `log_path`: the file the
        emulator's output goes to (rotated at each start; see `open_log`); None discards it."""
        self.port = port or free_port()
        self._jar = find_official_jar() if mode in (None, OFFICIAL) else None
        if mode == OFFICIAL and self._jar is None:
            raise RuntimeError("the official Firestore emulator is not installed")
        self.mode = OFFICIAL if self._jar else REDUCED
        if import_from is not None and not self.can_keep:
            raise RuntimeError("the reduced Firestore emulator cannot import data")
        self._import = find_export(import_from) if import_from is not None else None
        self.log_path = Path(log_path) if log_path is not None else None
        self._process: subprocess.Popen | None = None

    @property
    def can_keep(self) -> bool:
        """Whether this emulator can export its data and import it at the next start."""
        return self.mode == OFFICIAL

    @property
    def imported(self) -> bool:
        """Whether this start loaded an earlier export."""
        return self._import is not None

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
            if self._import is not None:
                command.append(f"--import-data={self._import.resolve()}")
        else:
            install_fallback()
            command = ["node", str(_FALLBACK_DIR / "server.mjs"), str(self.port)]
        log = open_log(self.log_path) if self.log_path is not None else subprocess.DEVNULL
        try:
            self._process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # so stop() ends the JVM and anything it forked
            )
        finally:
            if log != subprocess.DEVNULL:
                os.close(log)  # the emulator holds its own copy
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                seen = f" (its output: {self.log_path})" if self.log_path is not None else ""
                raise RuntimeError(
                    f"Firestore emulator exited with {self._process.returncode}{seen}"
                )
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

    def export(self, project_id: str, directory: Path, timeout: float = 120) -> None:
        """Write every document of `project_id` to `directory` for a later `import_from`.

        The export is written beside `directory` first and swapped in when complete, so an
        interrupted export leaves the previous one intact. Official emulator only.
        """
        if not self.can_keep:
            raise RuntimeError("the reduced Firestore emulator cannot export data")
        directory = Path(directory).resolve()
        partial = directory.with_name(directory.name + ".partial")
        previous = directory.with_name(directory.name + ".previous")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        response = requests.post(
            f"http://{self.host}/emulator/v1/projects/{project_id}:export",
            json={
                "database": f"projects/{project_id}/databases/(default)",
                "export_directory": str(partial),
                "export_name": EXPORT_NAME,
            },
            timeout=timeout,
        )
        if response.status_code != 200:
            shutil.rmtree(partial, ignore_errors=True)
            raise RuntimeError(f"Firestore export failed ({response.status_code}): {response.text}")
        shutil.rmtree(previous, ignore_errors=True)
        if directory.exists():
            directory.rename(previous)
        partial.rename(directory)
        shutil.rmtree(previous, ignore_errors=True)

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
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="load DIR's export at start and export --project into DIR at stop (official only)",
    )
    parser.add_argument("--project", help="the project id --keep exports")
    parser.add_argument(
        "--log", type=Path, metavar="FILE", help="write the emulator's output to FILE"
    )
    args = parser.parse_args(argv)
    if args.keep and not args.project:
        parser.error("--keep needs --project")
    emulator = FirestoreEmulator(
        args.port, args.mode, import_from=args.keep, log_path=args.log
    ).start()
    logged = f", its output in {args.log}" if args.log else ""
    print(f"Firestore emulator ({emulator.mode}) on {emulator.host}{logged}", flush=True)
    wait_for_stop_signal()
    if args.keep:
        emulator.export(args.project, args.keep)
        print(f"exported project {args.project} to {args.keep}", flush=True)
    emulator.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
