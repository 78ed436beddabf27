"""Run the Cloud Tasks emulator until SIGINT or SIGTERM.

python -m emulators.cloud_tasks --port 8123 --queue projects/p/locations/l/queues/q
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from emulators._runtime import wait_for_stop_signal
from emulators.cloud_tasks.emulator import DEFAULT_TOMBSTONE_TTL, CloudTasksEmulator
from emulators.cloud_tasks.errors import ApiError

log = logging.getLogger("emulators.cloud_tasks")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulators.cloud_tasks", description=__doc__)
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("TASKS_PORT", "8123")),
        help="port on 127.0.0.1 (default: $TASKS_PORT or 8123; 0 picks a free one)",
    )
    parser.add_argument(
        "--oidc-secret",
        default=os.environ.get("LOCAL_SERVICE_SECRET"),
        help="HS256 secret for task OIDC tokens (default: $LOCAL_SERVICE_SECRET, else random)",
    )
    parser.add_argument(
        "--queue",
        action="append",
        default=[],
        metavar="projects/P/locations/L/queues/Q",
        help="queue to create at start (repeatable)",
    )
    parser.add_argument(
        "--tombstone-ttl",
        type=float,
        default=DEFAULT_TOMBSTONE_TTL,
        help="seconds a finished or deleted task's name stays refused (default: %(default)s)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        emulator = CloudTasksEmulator(
            port=args.port,
            oidc_secret=args.oidc_secret,
            tombstone_ttl=args.tombstone_ttl,
            queues=args.queue,
        ).start()
    except (OSError, ApiError) as exc:
        log.error("cannot start the Cloud Tasks emulator: %s", exc)
        return 1
    log.info("Cloud Tasks emulator serving on %s", emulator.address)
    for queue in args.queue:
        log.info("queue %s", queue)
    wait_for_stop_signal()
    log.info("stopping")
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
