"""The Cloud Tasks emulator, driven only through the real CloudTasksClient over gRPC."""

from __future__ import annotations

import itertools
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2
from google.protobuf import field_mask_pb2
from google.rpc import code_pb2

from emulators.cloud_tasks import CloudTasksEmulator
from emulators.cloud_tasks.retry import RetryPolicy
from tests.emulators.conftest import LOCATION, OIDC_SECRET
from tests.helpers import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNNING = tasks_v2.Queue.State.RUNNING
PAUSED = tasks_v2.Queue.State.PAUSED
FULL = tasks_v2.Task.View.FULL
SERVICE_ACCOUNT = "tasks@test-project.iam.gserviceaccount.com"


def http_task(url: str, name: str = "", **fields) -> tasks_v2.Task:
    return tasks_v2.Task(name=name, http_request=tasks_v2.HttpRequest(url=url), **fields)


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def make_queue(client, queue_id: str, **retry) -> str:
    name = f"{LOCATION}/queues/{queue_id}"
    retry_config = tasks_v2.RetryConfig(**retry) if retry else None
    client.create_queue(parent=LOCATION, queue=tasks_v2.Queue(name=name, retry_config=retry_config))
    return name


def set_retry(client, queue: str, **retry) -> None:
    client.update_queue(
        queue=tasks_v2.Queue(name=queue, retry_config=tasks_v2.RetryConfig(**retry)),
        update_mask=field_mask_pb2.FieldMask(paths=[f"retry_config.{field}" for field in retry]),
    )


def is_gone(client, task_name: str) -> bool:
    try:
        client.get_task(name=task_name)
    except exceptions.NotFound:
        return True
    return False


def gaps(requests) -> list[float]:
    return [later.arrived - earlier.arrived for earlier, later in itertools.pairwise(requests)]


# -- queues -----------------------------------------------------------------


def test_queues_are_created_got_listed_in_pages_and_deleted(client):
    names = [make_queue(client, "b"), make_queue(client, "a")]
    assert client.get_queue(name=names[0]).state == RUNNING

    listed = client.list_queues(request={"parent": LOCATION, "page_size": 1})
    assert [queue.name for queue in listed] == sorted(names)

    client.delete_queue(name=names[0])
    with pytest.raises(exceptions.NotFound):
        client.get_queue(name=names[0])
    assert [queue.name for queue in client.list_queues(parent=LOCATION)] == [names[1]]


def test_queue_retry_defaults_are_cloud_tasks_defaults(client):
    config = client.get_queue(name=make_queue(client, "plain")).retry_config
    assert config.max_attempts == 100
    assert config.min_backoff == timedelta(seconds=0.1)
    assert config.max_backoff == timedelta(hours=1)
    assert config.max_doublings == 16
    assert config.max_retry_duration == timedelta(0)


def test_duplicate_queue_is_already_exists(client, queue):
    with pytest.raises(exceptions.AlreadyExists):
        client.create_queue(parent=LOCATION, queue={"name": queue})


def test_update_queue_changes_masked_fields_and_creates_missing_queues(client, queue):
    set_retry(client, queue, max_attempts=7)
    config = client.get_queue(name=queue).retry_config
    assert config.max_attempts == 7
    assert config.min_backoff == timedelta(seconds=0.05)  # untouched

    with pytest.raises(exceptions.InvalidArgument):
        client.update_queue(
            queue=tasks_v2.Queue(name=queue), update_mask=field_mask_pb2.FieldMask(paths=["name"])
        )

    # Like the real service, updating a missing queue creates it.
    created = client.update_queue(queue=tasks_v2.Queue(name=f"{LOCATION}/queues/new"))
    assert (created.state, created.retry_config.max_attempts) == (RUNNING, 100)


def test_unknown_queues_and_tasks_are_not_found(client, queue, target):
    missing_queue = f"{LOCATION}/queues/missing"
    missing_task = f"{queue}/tasks/missing"
    calls = [
        lambda: client.get_queue(name=missing_queue),
        lambda: client.pause_queue(name=missing_queue),
        lambda: client.delete_queue(name=missing_queue),
        lambda: client.create_task(parent=missing_queue, task=http_task(target.url)),
        lambda: client.get_task(name=missing_task),
        lambda: client.delete_task(name=missing_task),
        lambda: client.run_task(name=missing_task),
    ]
    for call in calls:
        with pytest.raises(exceptions.NotFound):
            call()


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda client, queue, url: client.get_queue(name="queues/q"), id="queue-path"),
        pytest.param(
            lambda client, queue, url: client.create_queue(
                parent=LOCATION, queue={"name": f"{LOCATION}/queues/under_score"}
            ),
            id="queue-id",
        ),
        pytest.param(
            lambda client, queue, url: client.create_queue(
                parent="projects/other/locations/us-central1",
                queue={"name": f"{LOCATION}/queues/q"},
            ),
            id="queue-outside-parent",
        ),
        pytest.param(
            lambda client, queue, url: client.create_task(
                parent=queue, task=http_task(url, name=f"{LOCATION}/queues/other/tasks/t")
            ),
            id="task-outside-parent",
        ),
        pytest.param(
            lambda client, queue, url: client.get_task(name=f"{queue}/tasks/dot.ted"), id="task-id"
        ),
    ],
)
def test_malformed_names_are_invalid_argument(client, queue, target, call):
    with pytest.raises(exceptions.InvalidArgument):
        call(client, queue, target.url)


@pytest.mark.parametrize(
    ("task", "error"),
    [
        pytest.param(tasks_v2.Task(), exceptions.InvalidArgument, id="no-http-request"),
        pytest.param(http_task("ftp://host/x"), exceptions.InvalidArgument, id="url-scheme"),
        pytest.param(
            tasks_v2.Task(
                http_request=tasks_v2.HttpRequest(
                    url="http://127.0.0.1/", http_method=tasks_v2.HttpMethod.GET, body=b"x"
                )
            ),
            exceptions.InvalidArgument,
            id="body-with-get",
        ),
        pytest.param(
            http_task("http://127.0.0.1/", schedule_time=at(time.time() + 31 * 24 * 3600)),
            exceptions.InvalidArgument,
            id="schedule-beyond-30-days",
        ),
        pytest.param(
            tasks_v2.Task(
                http_request=tasks_v2.HttpRequest(
                    url="http://127.0.0.1/", oidc_token=tasks_v2.OidcToken(audience="x")
                )
            ),
            exceptions.InvalidArgument,
            id="oidc-without-account",
        ),
        pytest.param(
            tasks_v2.Task(app_engine_http_request=tasks_v2.AppEngineHttpRequest(relative_uri="/")),
            exceptions.MethodNotImplemented,
            id="app-engine",
        ),
    ],
)
def test_tasks_the_real_service_refuses_are_refused(client, queue, task, error):
    with pytest.raises(error):
        client.create_task(parent=queue, task=task)


# -- pause, resume, purge ---------------------------------------------------------


def test_paused_queue_holds_its_tasks_until_resumed(client, queue, target):
    control = make_queue(client, "control")
    assert client.pause_queue(name=queue).state == PAUSED
    held = client.create_task(parent=queue, task=http_task(f"{target.url}/held"))
    client.create_task(parent=control, task=http_task(f"{target.url}/control"))

    # The later control task went through, so the earlier held one would have been taken first.
    assert [request.path for request in target.wait_for(1)] == ["/control"]
    assert client.get_task(name=held.name).dispatch_count == 0

    assert client.resume_queue(name=queue).state == RUNNING
    assert target.wait_for(2)[1].path == "/held"


def test_purge_drops_the_queues_tasks_and_remembers_their_names(client, queue, target):
    client.pause_queue(name=queue)
    purged = [client.create_task(parent=queue, task=http_task(target.url)) for _ in range(2)]

    assert client.purge_queue(name=queue).purge_time is not None
    assert list(client.list_tasks(parent=queue)) == []
    with pytest.raises(exceptions.AlreadyExists):
        client.create_task(parent=queue, task=http_task(target.url, name=purged[0].name))

    client.resume_queue(name=queue)
    client.create_task(parent=queue, task=http_task(f"{target.url}/after-purge"))
    assert [request.path for request in target.wait_for(1)] == ["/after-purge"]


def test_wait_landed_waits_for_attempts_in_flight_even_after_a_purge(
    emulator, client, queue, target
):
    target.hang()
    client.create_task(parent=queue, task=http_task(target.url))
    target.wait_for(1)
    client.pause_queue(name=queue)
    client.purge_queue(name=queue)  # the attempt already sent goes on
    project = "/".join(queue.split("/")[:2]) + "/"
    assert emulator.wait_landed(project, timeout=0.2) is False
    assert emulator.wait_landed("projects/another/", timeout=0.2) is True
    target.release()
    assert emulator.wait_landed(project, timeout=5) is True


# -- tasks -----------------------------------------------------------------------


def test_task_is_delivered_with_its_request_and_cloud_tasks_headers(client, queue, target):
    task = client.create_task(
        parent=queue,
        task=tasks_v2.Task(
            name=f"{queue}/tasks/sync-1",
            http_request=tasks_v2.HttpRequest(
                url=f"{target.url}/tasks/sync?attempt=1",
                http_method=tasks_v2.HttpMethod.PUT,
                headers={"X-Custom": "yes", "User-Agent": "mine"},
                body=b'{"a": 1}',
            ),
        ),
    )
    [request] = target.wait_for(1)

    assert (request.method, request.path, request.body) == (
        "PUT",
        "/tasks/sync?attempt=1",
        b'{"a": 1}',
    )
    headers = request.headers
    assert headers["x-custom"] == "yes"
    assert headers["user-agent"] == "Google-Cloud-Tasks"
    assert headers["content-type"] == "application/octet-stream"
    assert headers["x-cloudtasks-queuename"] == "fast"
    assert headers["x-cloudtasks-taskname"] == "sync-1"
    assert headers["x-cloudtasks-taskretrycount"] == "0"
    assert headers["x-cloudtasks-taskexecutioncount"] == "0"
    assert float(headers["x-cloudtasks-tasketa"]) == pytest.approx(
        task.schedule_time.timestamp(), abs=1e-3
    )
    assert "x-cloudtasks-taskpreviousresponse" not in headers
    assert "x-cloudtasks-taskretryreason" not in headers
    assert "authorization" not in headers
    wait_until(lambda: is_gone(client, task.name), what="the delivered task to be dropped")


def test_a_given_content_type_is_kept(client, queue, target):
    request = tasks_v2.HttpRequest(url=target.url, headers={"Content-Type": "application/json"})
    client.create_task(parent=queue, task=tasks_v2.Task(http_request=request))
    assert target.wait_for(1)[0].headers["content-type"] == "application/json"


def test_unnamed_tasks_get_distinct_server_generated_names(client, queue, target):
    first, second = (client.create_task(parent=queue, task=http_task(target.url)) for _ in "12")
    assert first.name != second.name
    assert all(re.fullmatch(rf"{queue}/tasks/[0-9]+", t.name) for t in (first, second))


def test_task_names_are_refused_while_pending_done_or_deleted(client, queue, target):
    pending = client.create_task(
        parent=queue,
        task=http_task(target.url, f"{queue}/tasks/pending", schedule_time=at(time.time() + 3600)),
    )
    done = client.create_task(parent=queue, task=http_task(target.url, f"{queue}/tasks/done"))
    deleted = client.create_task(
        parent=queue,
        task=http_task(target.url, f"{queue}/tasks/deleted", schedule_time=at(time.time() + 3600)),
    )
    client.delete_task(name=deleted.name)
    wait_until(lambda: is_gone(client, done.name), what="the done task to be dropped")

    for name in (pending.name, done.name, deleted.name):
        with pytest.raises(exceptions.AlreadyExists):
            client.create_task(parent=queue, task=http_task(target.url, name))


def test_task_names_become_free_after_the_tombstone_lifetime(make_emulator, connect, target):
    client = connect(make_emulator(tombstone_ttl=0.2).address)
    queue = make_queue(client, "short-memory")
    name = f"{queue}/tasks/again"
    client.create_task(
        parent=queue, task=http_task(target.url, name, schedule_time=at(time.time() + 3600))
    )
    client.delete_task(name=name)
    deleted_at = time.monotonic()

    def reuse() -> bool:
        try:
            client.create_task(parent=queue, task=http_task(target.url, name))
        except exceptions.AlreadyExists:
            return False
        return True

    assert not reuse()
    wait_until(reuse, what="the name to be reusable")
    assert time.monotonic() - deleted_at >= 0.2


def test_schedule_time_is_honoured(client, queue, target):
    eta = time.time() + 0.3
    client.create_task(parent=queue, task=http_task(target.url, schedule_time=at(eta)))
    [request] = target.wait_for(1)
    assert request.arrived >= eta
    assert float(request.headers["x-cloudtasks-tasketa"]) == pytest.approx(eta, abs=1e-3)


def test_run_task_dispatches_now_even_if_scheduled_later_on_a_paused_queue(client, queue, target):
    client.pause_queue(name=queue)
    task = client.create_task(
        parent=queue, task=http_task(target.url, schedule_time=at(time.time() + 3600))
    )

    assert client.run_task(name=task.name).dispatch_count == 1
    target.wait_for(1)
    wait_until(lambda: is_gone(client, task.name), what="the run task to be dropped")


def test_deleted_task_is_not_dispatched(client, queue, target):
    soon = time.time() + 0.2
    doomed = client.create_task(
        parent=queue, task=http_task(f"{target.url}/doomed", schedule_time=at(soon))
    )
    client.delete_task(name=doomed.name)
    client.create_task(
        parent=queue, task=http_task(f"{target.url}/control", schedule_time=at(soon + 0.05))
    )
    assert [request.path for request in target.wait_for(1)] == ["/control"]


def test_get_and_list_show_the_body_only_in_the_full_view(client, queue, target):
    later = at(time.time() + 3600)
    for body in (b"one", b"two", b"three"):
        request = tasks_v2.HttpRequest(url=target.url, body=body)
        client.create_task(
            parent=queue, task=tasks_v2.Task(http_request=request, schedule_time=later)
        )

    basic = list(client.list_tasks(request={"parent": queue, "page_size": 1}))
    full = list(client.list_tasks(request={"parent": queue, "page_size": 2, "response_view": FULL}))
    assert len(basic) == len(full) == 3
    assert {task.http_request.body for task in basic} == {b""}
    assert {task.http_request.body for task in full} == {b"one", b"two", b"three"}
    assert client.get_task(request={"name": full[0].name, "response_view": FULL}).http_request.body


def test_attempts_are_counted_on_the_task_and_in_retry_headers(client, queue, target):
    set_retry(client, queue, min_backoff=timedelta(hours=1), max_backoff=timedelta(hours=1))
    target.respond(503)
    task = client.create_task(parent=queue, task=http_task(target.url))

    failed = wait_until(
        lambda: (current := client.get_task(name=task.name)).response_count == 1 and current,
        what="the first attempt to be recorded",
    )
    assert failed.dispatch_count == 1
    assert failed.first_attempt.dispatch_time == failed.last_attempt.dispatch_time
    assert failed.last_attempt.response_status.code == code_pb2.UNAVAILABLE
    retry_at = failed.last_attempt.response_time + timedelta(hours=1)
    assert abs((failed.schedule_time - retry_at).total_seconds()) < 1

    client.run_task(name=task.name)
    retry = target.wait_for(2)[1].headers
    assert retry["x-cloudtasks-taskretrycount"] == "1"
    assert retry["x-cloudtasks-taskexecutioncount"] == "0"  # 5xx answers are not executions
    assert retry["x-cloudtasks-taskpreviousresponse"] == "503"
    assert retry["x-cloudtasks-taskretryreason"] == "UNAVAILABLE"
    wait_until(lambda: is_gone(client, task.name), what="the retried task to be dropped")


# -- dispatch ----------------------------------------------------------------------


def test_dispatch_is_concurrent(client, queue, target):
    target.hold_until(4)  # each request waits until four are in flight
    for _ in range(4):
        client.create_task(parent=queue, task=http_task(target.url))
    assert len(target.wait_for(4, timeout=3)) == 4


@pytest.mark.parametrize("status", [302, 404, 500])
def test_only_2xx_succeeds_and_redirects_are_not_followed(client, queue, target, status):
    target.respond(status)
    client.create_task(parent=queue, task=http_task(f"{target.url}/handler"))

    first, second = target.wait_for(2)
    assert [first.path, second.path] == ["/handler", "/handler"]  # a followed 302 would show /moved
    assert second.headers["x-cloudtasks-taskpreviousresponse"] == str(status)
    assert second.headers["x-cloudtasks-taskexecutioncount"] == ("0" if status >= 500 else "1")


def test_retries_follow_the_backoff_schedule_then_the_task_is_dropped(client, target):
    queue = make_queue(
        client,
        "backoff",
        max_attempts=6,
        min_backoff=timedelta(seconds=0.05),
        max_backoff=timedelta(seconds=0.3),
        max_doublings=2,
    )
    target.respond(*[500] * 6)
    task = client.create_task(parent=queue, task=http_task(target.url))

    requests = target.wait_for(6)
    for gap, expected in zip(gaps(requests), [0.05, 0.1, 0.2, 0.3, 0.3], strict=True):
        assert expected - 0.005 <= gap <= expected + 0.15
    wait_until(lambda: is_gone(client, task.name), what="the exhausted task to be dropped")
    assert len(target.requests) == 6
    with pytest.raises(exceptions.AlreadyExists):
        client.create_task(parent=queue, task=http_task(target.url, task.name))


def test_backoff_doubles_then_grows_linearly_up_to_the_cap():
    # The example of Cloud Tasks' RetryConfig documentation.
    policy = RetryPolicy(
        max_attempts=100, max_retry_duration=0, min_backoff=10, max_backoff=300, max_doublings=3
    )
    assert [policy.backoff(failures) for failures in range(1, 9)] == [
        10,
        20,
        40,
        80,
        160,
        240,
        300,
        300,
    ]


@pytest.mark.parametrize(
    ("max_attempts", "max_retry_duration", "attempts", "elapsed", "gives_up"),
    [
        (3, 0, 2, 1e6, False),
        (3, 0, 3, 0, True),
        (3, 10, 3, 9, False),  # both limits must be reached
        (3, 10, 2, 11, False),
        (3, 10, 3, 10, True),
        (-1, 10, 10**6, 9, False),
        (-1, 10, 1, 10, True),
        (-1, 0, 10**6, 1e9, False),  # both unlimited: retried for ever
    ],
)
def test_retries_stop_once_every_configured_limit_is_reached(
    max_attempts, max_retry_duration, attempts, elapsed, gives_up
):
    policy = RetryPolicy(max_attempts, max_retry_duration, 0.1, 3600, 16)
    assert policy.gives_up(attempts, elapsed) is gives_up


def test_max_attempts_counts_the_first_try(client, queue, target):
    set_retry(client, queue, max_attempts=2)
    target.respond(500, 500, 500)
    task = client.create_task(parent=queue, task=http_task(target.url))
    wait_until(lambda: is_gone(client, task.name), what="the task to be dropped")
    assert len(target.requests) == 2


@pytest.mark.parametrize("max_attempts", [-1, 2])
def test_max_retry_duration_bounds_retries_measured_from_the_first_attempt(
    client, target, max_attempts
):
    queue = make_queue(
        client,
        "duration",
        max_attempts=max_attempts,
        min_backoff=timedelta(seconds=0.05),
        max_backoff=timedelta(seconds=0.05),
        max_retry_duration=timedelta(seconds=0.3),
    )
    target.respond(*[500] * 100)
    task = client.create_task(parent=queue, task=http_task(target.url))
    wait_until(lambda: is_gone(client, task.name), what="the task to be dropped")

    span = target.requests[-1].arrived - target.requests[0].arrived
    assert 0.3 - 0.01 <= span <= 0.3 + 0.05 + 0.15
    assert len(target.requests) > 2


def test_dispatch_deadline_is_the_request_timeout(client, queue, target):
    target.hang()
    task = client.create_task(
        parent=queue, task=http_task(target.url, dispatch_deadline=timedelta(seconds=0.3))
    )

    def timed_out() -> tasks_v2.Task | None:
        current = client.get_task(name=task.name)
        return current if current.last_attempt.response_status.code else None

    attempt = wait_until(timed_out, what="the first attempt to time out").last_attempt
    assert attempt.response_status.code == code_pb2.DEADLINE_EXCEEDED
    assert 0.3 <= (attempt.response_time - attempt.dispatch_time).total_seconds() < 1.5
    retry = target.wait_for(2)[1].headers
    assert retry["x-cloudtasks-taskretryreason"] == "DEADLINE_EXCEEDED"
    assert "x-cloudtasks-taskpreviousresponse" not in retry


def test_dispatch_deadline_defaults_to_ten_minutes_within_production_limits(
    make_emulator, connect, target
):
    client = connect(make_emulator().address)
    queue = make_queue(client, "deadlines")
    later = at(time.time() + 3600)
    task = client.create_task(parent=queue, task=http_task(target.url, schedule_time=later))
    assert task.dispatch_deadline == timedelta(minutes=10)
    for deadline in (timedelta(seconds=5), timedelta(minutes=31)):
        with pytest.raises(exceptions.InvalidArgument):
            client.create_task(parent=queue, task=http_task(target.url, dispatch_deadline=deadline))


# -- OIDC -------------------------------------------------------------------------


def test_oidc_token_is_a_jwt_signed_with_the_shared_secret(client, queue, target):
    url = f"{target.url}/tasks/sync"
    for path, audience in (("/tasks/sync", ""), ("/custom", "https://example.test/custom")):
        request = tasks_v2.HttpRequest(
            url=f"{target.url}{path}",
            headers={"Authorization": "Bearer forged"},
            oidc_token=tasks_v2.OidcToken(service_account_email=SERVICE_ACCOUNT, audience=audience),
        )
        client.create_task(parent=queue, task=tasks_v2.Task(http_request=request))
    tokens = {
        request.path: request.headers["authorization"].removeprefix("Bearer ")
        for request in target.wait_for(2)
    }

    claims = jwt.decode(tokens["/tasks/sync"], OIDC_SECRET, algorithms=["HS256"], audience=url)
    assert claims["iss"] == "https://accounts.google.com"
    assert claims["email"] == claims["sub"] == SERVICE_ACCOUNT
    assert claims["email_verified"] is True
    assert claims["exp"] - claims["iat"] == 3600
    assert abs(claims["iat"] - time.time()) < 5
    custom = jwt.decode(
        tokens["/custom"], OIDC_SECRET, algorithms=["HS256"], audience="https://example.test/custom"
    )
    assert custom["email"] == SERVICE_ACCOUNT


def test_without_a_secret_tokens_are_signed_with_a_random_one(make_emulator, caplog):
    with caplog.at_level(logging.WARNING, logger="emulators.cloud_tasks"):
        first, second = make_emulator(oidc_secret=None), make_emulator(oidc_secret=None)
    assert first.oidc_secret and second.oidc_secret and first.oidc_secret != second.oidc_secret
    assert "random" in caplog.text


# -- lifecycle and CLI --------------------------------------------------------------------


def test_second_emulator_on_the_same_port_fails(emulator):
    with pytest.raises(OSError, match="in use"):
        CloudTasksEmulator(port=emulator.port).start()


def test_stop_abandons_hung_requests_and_leaves_no_threads(make_emulator, connect, target):
    already_running = set(threading.enumerate())  # e.g. the session's emulator for the stack
    target.hang()
    emulator = make_emulator()
    client = connect(emulator.address)
    client.create_task(parent=make_queue(client, "hung"), task=http_task(target.url))
    target.wait_for(1)  # in flight, with the default ten-minute deadline

    started = time.monotonic()
    emulator.stop()
    assert time.monotonic() - started < 2
    assert not [
        thread.name
        for thread in set(threading.enumerate()) - already_running
        if thread.name.startswith("cloud-tasks")
    ]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "emulators.cloud_tasks", *args]


def test_cli_serves_its_queues_and_stops_on_sigterm(connect):
    queue = f"{LOCATION}/queues/from-cli"
    env = {**os.environ, "LOCAL_SERVICE_SECRET": OIDC_SECRET}
    process = subprocess.Popen(
        _cli("--port", "0", "--queue", queue),
        cwd=REPO_ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        log = ""
        while not (served := re.search(r"serving on (127\.0\.0\.1:\d+)", log)):
            line = process.stderr.readline()
            assert line, f"the emulator exited early:\n{log}"
            log += line
        assert connect(served[1]).get_queue(name=queue).state == RUNNING
    finally:
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "random" not in log + rest  # the secret came from LOCAL_SERVICE_SECRET


def test_cli_refuses_a_port_in_use(emulator):
    result = subprocess.run(
        _cli("--port", str(emulator.port)),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "in use" in result.stderr
