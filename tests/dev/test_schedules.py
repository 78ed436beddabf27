"""infra/schedules.json: the one definition of the Scheduler jobs, and the local scheduler."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from dev.schedules import SCHEDULES, Job, ScheduleError, Scheduler, load_jobs

API_JOBS = {"renew-channels", "poll", "reconcile", "sweep"}  # API.md: POST /cron/{job}


def test_the_schedule_file_names_exactly_the_jobs_of_the_api():
    jobs = load_jobs()
    assert {job.name for job in jobs} == API_JOBS
    assert len(jobs) == len(API_JOBS)
    for job in jobs:
        assert job.path == f"/cron/{job.name}" and job.method == "POST"
        assert job.body == {}  # the scheduled poll polls only what is due


@pytest.mark.parametrize(
    ("name", "period"),
    [
        ("sweep", timedelta(minutes=1)),
        ("poll", timedelta(minutes=15)),
        ("renew-channels", timedelta(hours=1)),
        ("reconcile", timedelta(days=1)),
    ],
)
def test_each_job_fires_on_its_production_period(name, period):
    (job,) = [job for job in load_jobs() if job.name == name]
    first = job.next_after(datetime(2030, 1, 7, 10, 7, 30, tzinfo=UTC))
    second = job.next_after(first)
    third = job.next_after(second)
    assert second - first == period and third - second == period
    assert first.tzinfo is not None


def test_the_file_is_in_cloud_schedulers_shape():
    document = json.loads(SCHEDULES.read_text())
    for entry in document["jobs"]:
        assert {"name", "schedule", "timeZone", "httpTarget"} <= entry.keys()
        assert entry["attemptDeadline"].endswith("s")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schedule": "every minute"}, "unix-cron"),
        ({"timeZone": "Mars/Olympus"}, "Mars"),
        ({"httpTarget": {"httpMethod": "POST", "path": "/cron/other"}}, "/cron/sweep"),
        ({"attemptDeadline": "1 minute"}, "attemptDeadline"),
    ],
)
def test_a_broken_job_is_refused_with_its_reason(tmp_path, change, message):
    job = {
        "name": "sweep",
        "schedule": "* * * * *",
        "timeZone": "Etc/UTC",
        "httpTarget": {"httpMethod": "POST", "path": "/cron/sweep", "body": {}},
    }
    path = tmp_path / "schedules.json"
    path.write_text(json.dumps({"jobs": [job | change]}))
    with pytest.raises(ScheduleError, match=message):
        load_jobs(path)


def test_a_job_defined_twice_is_refused(tmp_path):
    job = {
        "name": "sweep",
        "schedule": "* * * * *",
        "timeZone": "Etc/UTC",
        "httpTarget": {"path": "/cron/sweep"},
    }
    path = tmp_path / "schedules.json"
    path.write_text(json.dumps({"jobs": [job, job]}))
    with pytest.raises(ScheduleError, match="twice"):
        load_jobs(path)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _job(name: str, schedule: str) -> Job:
    return Job(name, "", schedule, "Etc/UTC", f"/cron/{name}", "POST")


def test_due_jobs_fire_once_and_a_failing_job_is_logged_not_raised():
    clock = FakeClock(datetime(2030, 1, 7, 10, 0, 30, tzinfo=UTC))
    fired: list[str] = []
    logged: list[str] = []

    def fire(job: Job) -> str:
        fired.append(job.name)
        if job.name == "poll":
            raise ConnectionError("stack is down")
        return "200 OK"

    scheduler = Scheduler(
        [_job("sweep", "* * * * *"), _job("poll", "*/15 * * * *")],
        fire,
        log=logged.append,
        clock=clock,
    )
    assert scheduler.run_pending() == []  # nothing is due at start
    clock.now = datetime(2030, 1, 7, 10, 15, 0, tzinfo=UTC)
    for thread in scheduler.run_pending():
        thread.join(5)
    assert sorted(fired) == ["poll", "sweep"]
    assert sorted(logged) == [
        "cron poll: failed: ConnectionError: stack is down",
        "cron sweep: 200 OK",
    ]
    assert scheduler.run_pending() == []  # each fires once per due time
    assert scheduler.next_firings()["sweep"] == datetime(2030, 1, 7, 10, 16, tzinfo=UTC)


def test_a_job_still_running_when_due_again_is_skipped():
    clock = FakeClock(datetime(2030, 1, 7, 10, 0, 30, tzinfo=UTC))
    release = threading.Event()
    logged: list[str] = []

    def fire(job: Job) -> str:
        release.wait(5)
        return "200 OK"

    scheduler = Scheduler([_job("sweep", "* * * * *")], fire, log=logged.append, clock=clock)
    clock.now += timedelta(minutes=1)
    (running,) = scheduler.run_pending()
    clock.now += timedelta(minutes=1)
    assert scheduler.run_pending() == []
    release.set()
    running.join(5)
    assert logged == ["cron sweep: skipped, the previous run is still going", "cron sweep: 200 OK"]


def test_the_background_thread_fires_due_jobs_and_stops():
    fired = threading.Event()
    start = datetime(2030, 1, 7, 10, 0, 59, 990000, tzinfo=UTC)
    clock = FakeClock(start)
    scheduler = Scheduler(
        [_job("sweep", "* * * * *")],
        lambda job: fired.set() or "ok",
        log=lambda _: None,
        clock=clock,
    )
    with scheduler:
        clock.now = start + timedelta(seconds=1)
        assert fired.wait(70)  # the loop wakes at least once a minute; here within 0.05 s
