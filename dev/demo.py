"""`make demo`: the whole product in one command, on the local stack.

Starts the local stack exactly as `make run` does (`python -m dev.stack`, in a process of its
own, its output kept in `.logs/demo-stack.log`), plays one company's week against it through
the public HTTP API and the Google stand-in (`dev/demo_scenario.py`: five workers connect,
a week of bookings goes out, the account holders change things in Google), printing what
happened and how long it took, and ends with the admin console's address. The stack then
stays up for exploring until Ctrl-C, which stops everything the demo started.

Ports come from PORT, GOOGLE_PORT, TASKS_PORT, FIRESTORE_PORT, SMTP_PORT and MAILBOX_PORT,
as for `make run` (which must not be running on the same ones). `--no-explore` stops the
stack once the scripted part is done.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from dev.demo_scenario import COMPANY_NAME, CREW, DemoFailed, run
from shared.config import Config, get_config

REPO = Path(__file__).resolve().parent.parent
LOG_DIR = REPO / ".logs"
STACK_LOG = "demo-stack.log"
READY = "Ready: the local stack is up"  # dev.stack's line once everything is up
REDUCED = "(reduced Firestore emulator)"  # in its banner when no Cloud SDK emulator was found
START_TIMEOUT = 120  # seconds for the stack's first start (the Firestore emulator is Java)
STOP_TIMEOUT = 60


class StackFailed(RuntimeError):
    """The local stack did not start, or stopped by itself."""


class StackProcess:
    """`python -m dev.stack` in a session of its own (so Ctrl-C reaches the demo, which
    stops the stack in order), its output written to `log_path` as it comes."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.reduced = False  # on the npm fallback Firestore emulator (no Cloud SDK found)
        self._ready = threading.Event()
        self._ended = threading.Event()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dev.stack", "--log-dir", str(log_path.parent)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._copy, daemon=True).start()

    def _copy(self) -> None:
        assert self.process.stdout is not None
        with self.log_path.open("w") as log:
            for line in self.process.stdout:
                log.write(line)
                log.flush()
                if REDUCED in line:
                    self.reduced = True
                if READY in line:
                    self._ready.set()
        self._ended.set()

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.1):
            if self._ended.is_set() or self.process.poll() is not None:
                raise StackFailed(
                    "the local stack stopped while starting (a port taken by `make run`? "
                    "PORT, GOOGLE_PORT, ... choose others):\n" + self.tail()
                )
            if time.monotonic() > deadline:
                raise StackFailed(f"the local stack was not up after {timeout} s:\n" + self.tail())

    def tail(self, lines: int = 15) -> str:
        self._ended.wait(2)  # let the copy catch up with what the process printed last
        try:
            text = self.log_path.read_text().splitlines()
        except OSError:
            return ""
        return "\n".join("    " + line for line in text[-lines:])

    def stop(self) -> int | None:
        """Ctrl-C for the stack (its own clean stop), harder only if it does not stop."""
        for signum in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not orphan it
            signal.signal(signum, signal.SIG_IGN)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                print(f"the stack did not stop within {STOP_TIMEOUT} s: killing it", flush=True)
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._ended.wait(5)
        return self.process.returncode


def _local_config() -> Config:
    """The settings of the stack `dev.stack` starts, from the same environment."""
    os.environ["APP_MODE"] = "local"
    # Local mode only: google-auth-oauthlib refuses plain-http token endpoints otherwise.
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    get_config.cache_clear()
    return get_config()


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the demo as Ctrl-C does


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _explore(config: Config, company_id: str, log: str) -> None:
    from dev.console import console_address

    base = config.public_base_url.rstrip("/")
    google = (config.google_api_base or "").rstrip("/")
    print(
        f"""
Explore {COMPANY_NAME} (company {company_id}):
  admin console      {console_address(base, company_id)}
  Eve's own view     {console_address(base, company_id, role="fieldworker", worker_id="eve")}
  the HTTP API       {base}   (an admin token: make token COMPANY={company_id})
  the Google side    {google}/_test/accounts/{CREW}/calendars   (and its /<calendar id>/events)
  the stack's log    {log}   (one access line per request)
Ctrl-C stops everything the demo started.""",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-explore",
        action="store_true",
        help="stop the stack once the scripted part is done, instead of waiting for Ctrl-C",
    )
    args = parser.parse_args(argv)
    config = _local_config()
    company_id = "c1"
    # Ctrl-C and SIGTERM stop the demo, even when started with SIGINT ignored (in background).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupted)
    log_path = LOG_DIR / STACK_LOG
    started = time.monotonic()
    print(f"Starting the local stack (as `make run`; its output: {_shown(log_path)})", flush=True)
    stack = StackProcess(log_path)
    code = 0
    try:
        stack.wait_ready()
        print(
            f"  up in {time.monotonic() - started:.1f} s: functions at "
            f"{config.public_base_url}, Google stand-in at {config.google_api_base}",
            flush=True,
        )
        if stack.reduced:
            print(
                "  NOTE: no Cloud SDK Firestore emulator found, so the stack runs the reduced npm "
                "one, which lacks queries the service makes (install the Cloud SDK component "
                "cloud-firestore-emulator)",
                flush=True,
            )
        outcome = run(config, company_id)
        print(
            f"Whole demo, stack start included: {time.monotonic() - started:.1f} s "
            f"(the script itself {outcome.seconds:.1f} s).",
            flush=True,
        )
        if not args.no_explore:
            _explore(config, company_id, _shown(log_path))
            stack.process.wait()  # until Ctrl-C, or the stack stops by itself
            raise StackFailed("the local stack stopped by itself:\n" + stack.tail())
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
    except (DemoFailed, StackFailed) as exc:
        print(f"\nDEMO FAILED: {exc}\n(the stack's output: {_shown(log_path)})", flush=True)
        code = 1
    finally:
        stack.stop()
    print("stopped", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
