"""The Cloud Scheduler jobs of `infra/schedules.json`, and a local scheduler that fires them.

`infra/schedules.json` is the one definition of the jobs: production's Scheduler jobs are
made from it and `make run` fires the same jobs on the same schedules (unix-cron in the
job's time zone, next times computed by croniter). The local scheduler is a background
thread; each firing runs in its own thread, so a slow job never delays another, a job still
running when it is due again is skipped (logged), and a failing job is logged, never raised.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter

SCHEDULES = Path(__file__).resolve().parent.parent / "infra" / "schedules.json"
_DEADLINE = re.compile(r"^(\d+(?:\.\d+)?)s$")


class ScheduleError(ValueError):
    """infra/schedules.json does not describe valid jobs; the message says what is wrong."""


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    schedule: str  # unix-cron, as Cloud Scheduler takes it
    time_zone: str  # IANA name the schedule is read in
    path: str  # appended to PUBLIC_BASE_URL
    method: str
    body: dict[str, Any] = field(default_factory=dict)
    attempt_deadline: float = 180.0  # seconds

    def next_after(self, moment: datetime) -> datetime:
        """The first firing strictly after `moment` (an aware datetime), in UTC."""
        local = moment.astimezone(ZoneInfo(self.time_zone))
        return croniter(self.schedule, local).get_next(datetime).astimezone(UTC)


def load_jobs(path: Path = SCHEDULES) -> list[Job]:
    """Read and check the jobs: unique names, valid cron, known time zone, path /cron/{name}."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        entries = document["jobs"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScheduleError(f"{path}: not a schedules file: {exc}") from exc
    jobs: list[Job] = []
    for entry in entries:
        try:
            job = _job(entry)
        except (KeyError, TypeError, ValueError) as exc:
            name = entry.get("name", "?") if isinstance(entry, dict) else entry
            raise ScheduleError(f"{path}: job {name!r}: {exc}") from exc
        if any(other.name == job.name for other in jobs):
            raise ScheduleError(f"{path}: job {job.name!r} is defined twice")
        jobs.append(job)
    return jobs


def _job(entry: dict[str, Any]) -> Job:
    target = entry["httpTarget"]
    deadline = _DEADLINE.match(entry.get("attemptDeadline", "180s"))
    if deadline is None:
        raise ValueError(f"attemptDeadline must look like '180s', not {entry['attemptDeadline']!r}")
    job = Job(
        name=entry["name"],
        description=entry.get("description", ""),
        schedule=entry["schedule"],
        time_zone=entry["timeZone"],
        path=target["path"],
        method=target.get("httpMethod", "POST"),
        body=dict(target.get("body") or {}),
        attempt_deadline=float(deadline.group(1)),
    )
    if not croniter.is_valid(job.schedule) or len(job.schedule.split()) != 5:
        raise ValueError(f"schedule {job.schedule!r} is not a five-field unix-cron expression")
    ZoneInfo(job.time_zone)  # raises for an unknown zone
    if job.path != f"/cron/{job.name}":
        raise ValueError(f"httpTarget.path must be /cron/{job.name}, not {job.path!r}")
    if job.method != "POST":
        raise ValueError("httpTarget.httpMethod must be POST")
    return job


Fire = Callable[[Job], str]  # fires the job; a one-line outcome to log (raises on trouble)


class Scheduler:
    """Fires `jobs` on their schedules from a background thread until `stop()`."""

    def __init__(
        self,
        jobs: list[Job],
        fire: Fire,
        log: Callable[[str], None] = print,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._jobs = {job.name: job for job in jobs}
        self._fire = fire
        self._log = log
        self._clock = clock
        now = clock()
        self._due = {job.name: job.next_after(now) for job in jobs}
        self._running: dict[str, threading.Thread] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def next_firings(self) -> dict[str, datetime]:
        return dict(self._due)

    def run_pending(self) -> list[threading.Thread]:
        """Start every job that is due now; their threads (already started)."""
        now = self._clock()
        started = []
        for name, due in self._due.items():
            if due > now:
                continue
            job = self._jobs[name]
            self._due[name] = job.next_after(now)
            running = self._running.get(name)
            if running is not None and running.is_alive():
                self._log(f"cron {name}: skipped, the previous run is still going")
                continue
            thread = threading.Thread(target=self._run, args=(job,), name=f"cron-{name}")
            thread.daemon = True
            self._running[name] = thread
            thread.start()
            started.append(thread)
        return started

    def _run(self, job: Job) -> None:
        try:
            outcome = self._fire(job)
        except Exception as exc:  # a failing job is logged; the scheduler goes on
            outcome = f"failed: {type(exc).__name__}: {exc}"
        self._log(f"cron {job.name}: {outcome}")

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self.run_pending()
            wait = (min(self._due.values()) - self._clock()).total_seconds()
            # Wake at least every minute: a wall clock that jumps is noticed soon.
            self._stopping.wait(min(max(wait, 0.05), 60))

    def start(self) -> Scheduler:
        self._thread = threading.Thread(target=self._loop, name="cron-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> Scheduler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
