"""`make run`: the whole service on one machine, with no Google account.

Starts Firestore, the Cloud Tasks emulator with the service's queues, the SMTP
sink, the Google stand-in and every function under API.md's paths on one
address; prints what runs where; Ctrl-C stops exactly what it started.
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack

from emulators._runtime import wait_for_stop_signal
from emulators._wsgi import BackgroundWSGIServer
from emulators.firestore import FirestoreEmulator


def _env_port(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def main() -> None:
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

    # Imported after the environment is set: the config is read once.
    from dev import tokens
    from emulators.cloud_tasks import CloudTasksEmulator
    from emulators.google import GoogleStandIn
    from emulators.mailbox import MailSink
    from functions.local import create_app
    from shared.config import get_config
    from shared.queue.tasks import ensure_queues

    config = get_config()

    with ExitStack() as started:
        firestore = started.enter_context(FirestoreEmulator(ports["FIRESTORE_PORT"]))
        tasks = started.enter_context(
            CloudTasksEmulator(port=ports["TASKS_PORT"], oidc_secret=config.local_service_secret)
        )
        ensure_queues(config)
        mail = started.enter_context(MailSink(ports["SMTP_PORT"], ports["MAILBOX_PORT"]))
        google = started.enter_context(GoogleStandIn(port=ports["GOOGLE_PORT"]))
        functions = started.enter_context(BackgroundWSGIServer(create_app(), port=ports["PORT"]))

        admin = tokens.platform_token(config, "admin", "c1", ttl=24 * 3600)
        print(
            f"""
Calendar sync, local stack ({firestore.mode} Firestore emulator)
  functions (API.md paths)   {functions.url}
  Google stand-in            {google.base_url}   (consent page, Calendar API, /_test hooks)
  Cloud Tasks emulator       {tasks.address}   queues: {config.sync_queue}, {config.mail_queue}
  Firestore emulator         {firestore.host}
  SMTP sink / mailbox        127.0.0.1:{mail.smtp_port} / {mail.http_url}

Platform JWTs are HS256 with APP_JWT_SECRET={config.jwt_secret}
Mint one:  make token ROLE=admin COMPANY=c1   (or ROLE=fieldworker WORKER=w1)
An admin token for company c1, valid one day:
  {admin}

Ctrl-C stops everything above.""",
            flush=True,
        )
        wait_for_stop_signal()
        print("stopping…", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
