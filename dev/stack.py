"""`make run`: the whole service on one machine, with no Google account.

Starts Firestore, the Cloud Tasks emulator with the service's queues, the SMTP
sink, the Google stand-in and every function under docs/api.md's paths on one
address; fires the Cloud Scheduler jobs of `infra/schedules.json` on their
schedules; prints what runs where, one access line per request to the
functions, and one `Ready:` line once everything is up. Ctrl-C stops exactly
what it started.

Everything starts empty unless `--keep` (`make run KEEP=1`): then Firestore's
documents and the Google stand-in's accounts, tokens, calendars, events and
channels are loaded from `.local-state/` at start and written back at Ctrl-C.

The Firestore emulator's own output (lock timeouts, aborted transactions) goes to
`.logs/firestore.log`, named in the banner; each run starts it afresh and keeps the previous
run's as `firestore.log.1`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from emulators._runtime import stop_signal
from emulators._wsgi import BackgroundWSGIServer
from emulators.firestore import FirestoreEmulator, find_official_jar

REPO = Path(__file__).resolve().parent.parent
STATE_DIR = REPO / ".local-state"
LOG_DIR = REPO / ".logs"


def _env_port(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _say(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')}  {line}", flush=True)


def _shown(path: Path, folder: bool = False) -> str:
    """`path` relative to the working directory when it lies below it (folders end in /)."""
    try:
        shown = str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        shown = str(path)
    return shown + os.sep if folder else shown


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the whole service locally.")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="load the local state at start and save it at Ctrl-C (make run KEEP=1)",
    )
    parser.add_argument(
        "--state-dir", type=Path, default=STATE_DIR, help="where --keep keeps it (.local-state/)"
    )
    parser.add_argument(
        "--log-dir",
        type=Path,
        default=LOG_DIR,
        help="where the Firestore emulator's output goes, as firestore.log (.logs/)",
    )
    args = parser.parse_args(argv)

    ports = {
        "PORT": _env_port("PORT", 8080),
        "GOOGLE_PORT": _env_port("GOOGLE_PORT", 8090),
        "TASKS_PORT": _env_port("TASKS_PORT", 8123),
        "FIRESTORE_PORT": _env_port("FIRESTORE_PORT", 8081),
        "SMTP_PORT": _env_port("SMTP_PORT", 2525),
        "MAILBOX_PORT": _env_port("MAILBOX_PORT", 8025),
    }
    os.environ["APP_MODE"] = "local"
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")  # no gRPC chatter on Ctrl-C
    for name, port in ports.items():
        os.environ[name] = str(port)
    os.environ["FIRESTORE_EMULATOR_HOST"] = f"127.0.0.1:{ports['FIRESTORE_PORT']}"
    # Local mode only: google-auth-oauthlib refuses plain-http token endpoints otherwise.
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    jar = find_official_jar()  # looked up once (it may ask gcloud, which takes a second)
    if jar is not None:
        os.environ["FIRESTORE_EMULATOR_JAR"] = str(jar)

    # Imported after the environment is set: the config is read once.
    from dev import cron, tokens
    from dev.access_log import AccessLog
    from dev.console import console_address
    from dev.schedules import Scheduler, load_jobs
    from emulators.cloud_tasks import CloudTasksEmulator
    from emulators.google import GoogleStandIn
    from emulators.google.state import StateError
    from emulators.mailbox import MailSink
    from functions.local import create_app, platform_client
    from shared.config import get_config
    from shared.queue.tasks import ensure_queues

    config = get_config()
    jobs = load_jobs()
    state_dir: Path = args.state_dir
    firestore_dir = state_dir / "firestore"
    google_file = state_dir / "google.json"
    firestore_log = args.log_dir / "firestore.log"
    kept: list[str] = []  # what --keep loaded or starts, for the banner

    def fire(job) -> str:
        started_at = time.perf_counter()
        response = cron.fire(config, job.name, job.body, timeout=job.attempt_deadline)
        return cron.describe(response, (time.perf_counter() - started_at) * 1000, limit=300)

    with ExitStack() as started:
        keep_firestore = args.keep and jar is not None
        firestore = started.enter_context(
            FirestoreEmulator(
                ports["FIRESTORE_PORT"],
                import_from=firestore_dir if keep_firestore else None,
                log_path=firestore_log,
            )
        )
        if keep_firestore:
            kept.append(
                f"Firestore documents of {config.project_id}: "
                + ("loaded from the last run" if firestore.imported else "none yet, starts empty")
            )

            def export_firestore() -> None:  # runs after everything else stopped
                try:
                    firestore.export(config.project_id, firestore_dir)
                    where = _shown(firestore_dir, folder=True)
                    _say(f"kept Firestore ({config.project_id}) in {where}")
                except Exception as exc:
                    _say(f"could NOT keep Firestore: {exc}")

            started.callback(export_firestore)
        elif args.keep:
            kept.append(
                "Firestore documents: NOT kept: the reduced npm emulator can neither import nor "
                "export (install the Cloud SDK component cloud-firestore-emulator)"
            )

        tasks = started.enter_context(
            CloudTasksEmulator(port=ports["TASKS_PORT"], oidc_secret=config.local_service_secret)
        )
        ensure_queues(config)
        mail = started.enter_context(MailSink(ports["SMTP_PORT"], ports["MAILBOX_PORT"]))

        google = GoogleStandIn(port=ports["GOOGLE_PORT"])
        if args.keep:
            what = "Google stand-in accounts, grants and tokens, calendars, events, channels"
            try:
                loaded = google.load_state(google_file)
                kept.append(f"{what}: " + ("loaded" if loaded else "none yet, starts empty"))
            except StateError as exc:
                unreadable = google_file.with_name(google_file.name + ".unreadable")
                shutil.move(google_file, unreadable)
                google = GoogleStandIn(port=ports["GOOGLE_PORT"])
                kept.append(f"{what}: starts EMPTY, {exc} (moved aside to {unreadable.name})")
        started.enter_context(google)
        # The stand-in knows no OAuth client it was not told of, as Google: the platform's now,
        # a company's private one when an admin saves it (functions/local.py).
        google.register_client(**platform_client(config))
        if args.keep:

            def save_google() -> None:  # runs before the stand-in stops, after the functions
                try:
                    google.save_state(google_file)
                    _say(f"kept the Google stand-in's state in {_shown(google_file)}")
                except Exception as exc:
                    _say(f"could NOT keep the Google stand-in's state: {exc}")

            started.callback(save_google)

        functions = started.enter_context(
            BackgroundWSGIServer(AccessLog(create_app()), port=ports["PORT"])
        )
        started.enter_context(Scheduler(jobs, fire, log=_say))

        admin = tokens.platform_token(config, "admin", "c1", ttl=24 * 3600)
        console = console_address(functions.url, "c1")
        schedule = ", ".join(f"{job.name} ({job.schedule} {job.time_zone})" for job in jobs)
        if args.keep:
            state = (
                f"KEEP=1: local state in {_shown(state_dir, folder=True)}, saved at Ctrl-C\n"
                + "".join(f"  {line}\n" for line in kept)
            )
            state += (
                "  Not kept: Cloud Tasks queues (the sweep job re-enqueues pending syncs within "
                "a minute), the mailbox,\n  the stand-in's faults, latency and request log."
            )
        else:
            state = (
                "State: everything starts empty and is forgotten at Ctrl-C "
                f"(make run KEEP=1 keeps it in {_shown(state_dir, folder=True)})."
            )
        print(
            f"""
Calendar sync, local stack ({firestore.mode} Firestore emulator)
  console (admin of c1)      {console}
  functions (docs/api.md)   {functions.url}   (one access line per request below)
  Google stand-in            {google.base_url}   (consent page, Calendar API, /_test hooks)
    OAuth clients            the platform's ({config.platform_client_id}); a private one once saved
  Cloud Tasks emulator       {tasks.address}   queues: {config.sync_queue}, {config.mail_queue}
  Firestore emulator         {firestore.host}   (its output: {_shown(firestore_log)})
  SMTP sink / mailbox        127.0.0.1:{mail.smtp_port} / {mail.http_url}
  Scheduler jobs             {schedule}

{state}

Platform JWTs are HS256 with APP_JWT_SECRET={config.jwt_secret}
Mint one:  make token ROLE=admin COMPANY=c1   (or ROLE=fieldworker WORKER=w1)
Connect a worker without a browser:  make connect WORKER=w1 EMAIL=ada@example.com
Fire a Scheduler job now:  make cron JOB=sweep   (JOB=poll ALL=1: every calendar)
An admin token for company c1, valid one day:
  {admin}
""",
            flush=True,
        )
        stopping = stop_signal()
        _say(f"Ready: the local stack is up, functions at {functions.url} (Ctrl-C stops it)")
        _say(f"Open the console (admin of c1): {console}")
        stopping.wait()
        _say("stopping…")
    _say("stopped")
    sys.exit(0)


if __name__ == "__main__":
    main()
