"""`make cron JOB=<name> [ALL=1]`: fire one Cloud Scheduler job now, against the running stack.

    python -m dev.cron sweep
    python -m dev.cron poll --all      # body {"all": true}: every connected calendar

Sends what Cloud Scheduler sends: `POST /cron/{job}` on PUBLIC_BASE_URL (from PORT, as
`make run`) with a service token for that address. Prints the answer; exits 1 when the job
failed (an answer other than 2xx) and 2 when the stack cannot be reached.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from urllib.parse import quote

import requests

from dev import tokens
from dev.schedules import ScheduleError, load_jobs
from shared.config import Config, get_config

DEFAULT_TIMEOUT = 300.0


def fire(
    config: Config, job: str, body: dict | None = None, timeout: float = DEFAULT_TIMEOUT
) -> requests.Response:
    """POST /cron/{job} as Cloud Scheduler would; the answer, whatever its status."""
    path = "/cron/" + quote(job, safe="")
    return requests.post(
        config.public_base_url.rstrip("/") + path,
        json=body if body is not None else {},
        headers={"Authorization": f"Bearer {tokens.service_token(config, path)}"},
        timeout=timeout,
    )


def describe(response: requests.Response, elapsed_ms: float, limit: int | None = None) -> str:
    """`200 OK (35 ms) {"job": "sweep", ...}`: status, time and the body (cut to `limit`)."""
    text = response.text.strip()
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return f"{response.status_code} {response.reason} ({elapsed_ms:.0f} ms) {text}".rstrip()


def _timeout_for(job: str) -> float:
    try:
        return next((j.attempt_deadline for j in load_jobs() if j.name == job), DEFAULT_TIMEOUT)
    except ScheduleError:
        return DEFAULT_TIMEOUT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("job", help="renew-channels, poll, reconcile or sweep")
    parser.add_argument(
        "--all", action="store_true", help='send {"all": true} (poll: every calendar)'
    )
    args = parser.parse_args(argv)
    config = get_config()
    if not config.local:
        parser.error("cron jobs are fired by hand only against the local stack (APP_MODE=local)")
    body = {"all": True} if args.all else {}
    url = config.public_base_url.rstrip("/") + "/cron/" + quote(args.job, safe="")
    print(f"POST {url} {json.dumps(body)}", flush=True)
    started = time.perf_counter()
    try:
        response = fire(config, args.job, body, timeout=_timeout_for(args.job))
    except requests.RequestException as exc:
        print(f"cannot reach the local stack (is `make run` going?): {exc}", file=sys.stderr)
        return 2
    print(describe(response, (time.perf_counter() - started) * 1000), flush=True)
    if not 200 <= response.status_code < 300:
        print(f"cron job {args.job!r} failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
