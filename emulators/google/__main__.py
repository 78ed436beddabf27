"""`python -m emulators.google [--port P]`: run the Google stand-in until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import logging
import os

from emulators._runtime import wait_for_stop_signal
from emulators.google.app import GoogleStandIn

log = logging.getLogger("emulators.google")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m emulators.google",
        description="Local stand-in for Google Calendar API v3, OAuth and push notifications.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("GOOGLE_PORT", "8090")),
        help="port on 127.0.0.1 (default: $GOOGLE_PORT or 8090; 0 picks a free one)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with GoogleStandIn(port=args.port) as standin:
        log.info("Google stand-in listening on %s", standin.base_url)
        wait_for_stop_signal()
    log.info("Google stand-in stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
