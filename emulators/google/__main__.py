"""`python -m emulators.google [--port P] [--keep FILE]`: run the Google stand-in until
SIGINT/SIGTERM; with --keep, its state is loaded from FILE at start and saved there at stop.

Like Google, it knows no OAuth client until one is registered (`POST /_test/clients`);
`make run` registers the platform client, and a company's private one when it is saved."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

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
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="FILE",
        help="load the state (accounts, tokens, calendars, events, channels) from FILE at "
        "start and save it there at stop",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    standin = GoogleStandIn(port=args.port)
    if args.keep is not None and standin.load_state(args.keep):
        log.info("state loaded from %s", args.keep)
    with standin:
        log.info("Google stand-in listening on %s", standin.base_url)
        wait_for_stop_signal()
        if args.keep is not None:
            standin.save_state(args.keep)
            log.info("state saved to %s", args.keep)
    log.info("Google stand-in stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
