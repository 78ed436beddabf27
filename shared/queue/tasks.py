"""The task queue adapter: asks for work to happen later, through Cloud Tasks.

Every task is an HTTP POST of a small JSON payload to /tasks/sync, authenticated
with an OIDC token for our tasks service account. Delivery is at least once and
unordered, so handlers re-read state and are idempotent; a lost enqueue is
recovered by the sweeper because the pending marker was committed first.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from datetime import UTC, datetime, timedelta

import grpc
from google.api_core.exceptions import AlreadyExists, NotFound
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport
from google.protobuf import duration_pb2, timestamp_pb2

from shared.config import Config

log = logging.getLogger(__name__)


@functools.cache
def _client(emulator_host: str | None) -> tasks_v2.CloudTasksClient:
    # No environment variable points this library at an emulator: we hand it the channel.
    if emulator_host:
        channel = grpc.insecure_channel(emulator_host)
        return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    return tasks_v2.CloudTasksClient()


def tasks_client(config: Config) -> tasks_v2.CloudTasksClient:
    """The Cloud Tasks client: the emulator's (CLOUD_TASKS_EMULATOR_HOST) or Google's."""
    return _client(config.tasks_emulator_host)


def enqueue(
    config: Config,
    payload: dict,
    *,
    queue: str | None = None,
    name: str | None = None,
    delay: timedelta | None = None,
) -> bool:
    """Queue `payload` for /tasks/sync. A `name` de-duplicates: False if it already exists."""
    queue_path = config.queue_path(queue or config.sync_queue)
    task = tasks_v2.Task(
        http_request=tasks_v2.HttpRequest(
            http_method=tasks_v2.HttpMethod.POST,
            url=config.task_handler_url,
            headers={"Content-Type": "application/json"},
            body=json.dumps(payload).encode(),
            oidc_token=tasks_v2.OidcToken(
                service_account_email=config.tasks_service_account,
                audience=config.task_handler_url,
            ),
        )
    )
    if name:
        task.name = f"{queue_path}/tasks/{name}"
    if delay:
        when = timestamp_pb2.Timestamp()
        when.FromDatetime(datetime.now(UTC) + delay)
        task.schedule_time = when
    try:
        tasks_client(config).create_task(parent=queue_path, task=task)
    except AlreadyExists:
        return False
    return True


# Sync work retries with backoff (Google rate limits, 5xx); give up only after a day.
_RETRY = tasks_v2.RetryConfig(
    max_attempts=-1,
    max_retry_duration=duration_pb2.Duration(seconds=24 * 3600),
    min_backoff=duration_pb2.Duration(seconds=1),
    max_backoff=duration_pb2.Duration(seconds=300),
    max_doublings=8,
)


# Mail retries a bounded number of times over a few hours (outages, greylisting); an email
# that fails for another reason than the ones mail.py recognises must not retry for ever.
_MAIL_RETRY = tasks_v2.RetryConfig(
    max_attempts=10,
    max_retry_duration=duration_pb2.Duration(seconds=4 * 3600),
    min_backoff=duration_pb2.Duration(seconds=30),
    max_backoff=duration_pb2.Duration(seconds=3600),
    max_doublings=7,
)


def ensure_queues(config: Config) -> None:
    """Create the service's queues if missing (local stack; production uses infra/)."""
    client = tasks_client(config)
    parent = f"projects/{config.project_id}/locations/{config.location}"
    for queue, retry in ((config.sync_queue, _RETRY), (config.mail_queue, _MAIL_RETRY)):
        path = config.queue_path(queue)
        try:
            client.get_queue(name=path)
        except NotFound:
            with contextlib.suppress(AlreadyExists):
                client.create_queue(
                    parent=parent, queue=tasks_v2.Queue(name=path, retry_config=retry)
                )
