"""The operator's command line, thin over `shared/services/operations.py`.

    python -m shared.ops worker COMPANY WORKER     connection, pending pushes, imports
    python -m shared.ops booking COMPANY BOOKING   each worker's sync state and conflicts
    python -m shared.ops resync COMPANY WORKER     force a resync (as the admin's button)
    python -m shared.ops pending [--minutes 15]    syncs waiting longer than that
    python -m shared.ops replay [--minutes 2]      ask again for everything waiting that long
    python -m shared.ops channels [--hours 48]     push channels expiring within that
    python -m shared.ops errors COMPANY [--limit 20]   the latest errors, newest first

It reads the same environment as the functions (production: the project's Firestore and
queues with Application Default Credentials; `APP_MODE=local`: the local stack). Answers
are JSON on stdout, for reading or for `jq`; an unknown worker or booking exits 1 with
the API's error on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from typing import Any

from shared.config import Config, get_config
from shared.errors import ApiError
from shared.ids import check_id
from shared.services import operations
from shared.store.firestore import Store


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m shared.ops", description="Look into and nudge the calendar sync."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, about, item in (
        ("worker", "a worker's connection, pending pushes and imports", "worker_id"),
        ("booking", "a booking's sync state per worker", "booking_id"),
        ("resync", "force a worker's resync", "worker_id"),
    ):
        command = commands.add_parser(name, help=about)
        command.add_argument("company_id")
        command.add_argument(item)
    for name, about, default in (
        ("pending", "syncs waiting longer than MINUTES", 15),
        ("replay", "ask again for work waiting longer than MINUTES", 2),
    ):
        command = commands.add_parser(name, help=about)
        command.add_argument("--minutes", type=float, default=default)
    channels = commands.add_parser("channels", help="push channels expiring within HOURS")
    channels.add_argument("--hours", type=float, default=48)
    errors = commands.add_parser("errors", help="a company's latest errors")
    errors.add_argument("company_id")
    errors.add_argument("--limit", type=int, default=20)
    return parser


def run(config: Config, args: argparse.Namespace) -> Any:
    """The answer to one command."""
    store = Store.for_config(config)
    for name in ("company_id", "worker_id", "booking_id"):
        if getattr(args, name, None) is not None:
            check_id(getattr(args, name), name)
    match args.command:
        case "worker":
            return operations.worker(store, args.company_id, args.worker_id)
        case "booking":
            return operations.booking(store, args.company_id, args.booking_id)
        case "resync":
            return operations.resync(config, store, args.company_id, args.worker_id)
        case "pending":
            return operations.pending(store, timedelta(minutes=args.minutes))
        case "replay":
            return operations.replay(config, store, timedelta(minutes=args.minutes))
        case "channels":
            return operations.expiring_channels(store, timedelta(hours=args.hours))
        case "errors":
            return operations.errors(store, args.company_id, args.limit)
    raise AssertionError(args.command)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def main(argv: list[str] | None = None, config: Config | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        answer = run(config or get_config(), args)
    except ApiError as exc:
        print(json.dumps(exc.to_body()), file=sys.stderr)
        return 1
    print(json.dumps(answer, indent=2, default=_json, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
