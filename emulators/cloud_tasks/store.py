"""All emulator state: queues, tasks, remembered task names and the schedule of due attempts.

One lock guards everything. Its condition wakes the dispatcher whenever a task may have become
due or a dispatch slot was freed.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import proto
from google.cloud import tasks_v2
from google.rpc import status_pb2

from emulators.cloud_tasks.attempts import Delivery, Outcome
from emulators.cloud_tasks.errors import AlreadyExists, InvalidArgument, NotFound, Unimplemented
from emulators.cloud_tasks.names import LocationName, QueueName, TaskName
from emulators.cloud_tasks.retry import RetryPolicy, with_defaults

log = logging.getLogger("emulators.cloud_tasks")

# Production limits, so code that breaks them fails here as it would in Google Cloud.
MAX_SCHEDULE_AHEAD = 30 * 24 * 3600.0
MAX_TASK_BYTES = 1024 * 1024
MAX_URL_LENGTH = 2083
DEFAULT_DISPATCH_DEADLINE = 600.0
MIN_DISPATCH_DEADLINE = 15.0
MAX_DISPATCH_DEADLINE = 1800.0
MAX_QUEUES_PAGE = 9800
MAX_TASKS_PAGE = 1000

_BODY_METHODS = {tasks_v2.HttpMethod.POST, tasks_v2.HttpMethod.PUT, tasks_v2.HttpMethod.PATCH}
_UPDATABLE_QUEUE_FIELDS = ("retry_config", "rate_limits")

RUNNING = tasks_v2.Queue.State.RUNNING
PAUSED = tasks_v2.Queue.State.PAUSED

_M = TypeVar("_M", bound=proto.Message)
_T = TypeVar("_T")


def _timestamp(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _copy(message: _M) -> _M:
    return type(message).deserialize(type(message).serialize(message))


@dataclass
class _TaskRecord:
    name: TaskName
    task: tasks_v2.Task  # the FULL view the API returns, kept current
    eta: float  # task.schedule_time as seconds since the epoch
    in_flight: int = 0
    execution_count: int = 0  # responses other than 5xx, as X-CloudTasks-TaskExecutionCount
    previous_response: int | None = None
    retry_reason: str | None = None
    first_dispatch: float | None = None


@dataclass
class _QueueRecord:
    queue: tasks_v2.Queue
    tasks: dict[str, _TaskRecord] = field(default_factory=dict)


def _paginate(
    items: list[_T], page_size: int, page_token: str, max_size: int
) -> tuple[list[_T], str]:
    """A page and the token of the next one ("" on the last page); tokens are plain offsets."""
    if page_size < 0:
        raise InvalidArgument("page_size must not be negative")
    try:
        start = int(page_token or 0)
    except ValueError:
        raise InvalidArgument(f"invalid page_token {page_token!r}") from None
    end = start + min(page_size or max_size, max_size)
    return items[start:end], str(end) if end < len(items) else ""


def _refuse_unemulated_queue_features(queue: tasks_v2.Queue) -> None:
    for feature in ("http_target", "app_engine_routing_override"):
        if feature in queue:
            raise Unimplemented(f"queue {feature} is not emulated")


@dataclass(frozen=True)
class FinishedTask:
    """A task that left its queue: succeeded, or given up after its retries."""

    name: str
    attempts: int
    succeeded: bool


class TaskStore:
    def __init__(
        self, tombstone_ttl: float, min_dispatch_deadline: float, max_concurrent_dispatches: int
    ) -> None:
        self._tombstone_ttl = tombstone_ttl
        self._min_dispatch_deadline = min_dispatch_deadline
        self._max_concurrent = max_concurrent_dispatches
        self._changed = threading.Condition()
        self._queues: dict[QueueName, _QueueRecord] = {}
        # Names of finished or deleted tasks, in expiry order, mapped to when they may be reused.
        self._tombstones: dict[TaskName, float] = {}
        # How each finished task ended (a test hook, like the stand-in's request log).
        self._finished: collections.deque[FinishedTask] = collections.deque(maxlen=100_000)
        # Heap of (eta, sequence, task name); stale entries are skipped when popped.
        self._due: list[tuple[float, int, TaskName]] = []
        self._sequence = itertools.count()
        self._in_flight = 0
        # Attempts in flight per queue (a test hook: a test's tasks must land before the next
        # test starts, even those whose queue was purged meanwhile).
        self._flying: collections.Counter[str] = collections.Counter()
        self._closed = False

    # -- queues -----------------------------------------------------------
    def create_queue(self, parent: str, queue: tasks_v2.Queue) -> tasks_v2.Queue:
        location = LocationName.parse(parent)
        name = QueueName.parse(queue.name)
        if name.location != location:
            raise InvalidArgument(f"queue {queue.name} is not in {parent}")
        _refuse_unemulated_queue_features(queue)
        stored = tasks_v2.Queue(
            name=str(name), retry_config=with_defaults(queue.retry_config), state=RUNNING
        )
        if "rate_limits" in queue:  # kept for show: the emulator does not throttle
            stored.rate_limits = queue.rate_limits
        with self._changed:
            if name in self._queues:
                raise AlreadyExists(f"queue {name} already exists")
            self._queues[name] = _QueueRecord(stored)
            return _copy(stored)

    def get_queue(self, name: str) -> tasks_v2.Queue:
        with self._changed:
            return _copy(self._queue(QueueName.parse(name)).queue)

    def list_queues(
        self, parent: str, page_size: int, page_token: str
    ) -> tuple[list[tasks_v2.Queue], str]:
        location = LocationName.parse(parent)
        with self._changed:
            queues = sorted(
                (
                    _copy(record.queue)
                    for name, record in self._queues.items()
                    if name.location == location
                ),
                key=lambda queue: queue.name,
            )
        return _paginate(queues, page_size, page_token, MAX_QUEUES_PAGE)

    def update_queue(self, queue: tasks_v2.Queue, mask_paths: list[str]) -> tasks_v2.Queue:
        """Update the masked fields (all updatable ones without a mask); create a missing queue."""
        name = QueueName.parse(queue.name)
        _refuse_unemulated_queue_features(queue)
        with self._changed:
            record = self._queues.get(name)
            current = (
                _copy(record.queue) if record else tasks_v2.Queue(name=str(name), state=RUNNING)
            )
            for path in mask_paths or _UPDATABLE_QUEUE_FIELDS:
                top, _, sub = path.partition(".")
                if top not in _UPDATABLE_QUEUE_FIELDS:
                    raise InvalidArgument(f"update_mask path {path!r} cannot be updated")
                source, target = getattr(queue, top), getattr(current, top)
                if not sub:
                    setattr(current, top, source)
                elif sub not in type(source).meta.fields:
                    raise InvalidArgument(f"update_mask path {path!r} names no field")
                elif sub in source:
                    setattr(target, sub, getattr(source, sub))
                else:  # masked but not given: clear it, so the default applies again
                    delattr(target, sub)
            current.retry_config = with_defaults(current.retry_config)
            if record is None:
                self._queues[name] = _QueueRecord(current)
            else:
                record.queue = current
            return _copy(current)

    def delete_queue(self, name: str) -> None:
        queue_name = QueueName.parse(name)
        with self._changed:
            record = self._queue(queue_name)
            self._forget_tasks(record)
            del self._queues[queue_name]

    def pause_queue(self, name: str) -> tasks_v2.Queue:
        with self._changed:
            record = self._queue(QueueName.parse(name))
            record.queue.state = PAUSED
            return _copy(record.queue)

    def resume_queue(self, name: str) -> tasks_v2.Queue:
        with self._changed:
            record = self._queue(QueueName.parse(name))
            record.queue.state = RUNNING
            # Entries of a paused queue were dropped when they came due: schedule them again.
            for task in record.tasks.values():
                self._schedule(task, task.eta)
            return _copy(record.queue)

    def purge_queue(self, name: str) -> tasks_v2.Queue:
        with self._changed:
            record = self._queue(QueueName.parse(name))
            self._forget_tasks(record)
            record.queue.purge_time = _timestamp(time.time())
            return _copy(record.queue)

    # -- tasks ------------------------------------------------------------
    def create_task(
        self, parent: str, task: tasks_v2.Task, view: tasks_v2.Task.View
    ) -> tasks_v2.Task:
        queue_name = QueueName.parse(parent)
        name = TaskName.parse(task.name) if task.name else None
        if name is not None and name.queue != queue_name:
            raise InvalidArgument(f"task {task.name} is not in queue {parent}")
        now = time.time()
        stored = self._validated(task, now)
        with self._changed:
            queue = self._queue(queue_name)
            if name is None:
                name = self._generated_name(queue, queue_name)
            elif name.task_id in queue.tasks or self._remembered(name, now):
                raise AlreadyExists(f"task {name} already exists or existed recently")
            stored.name = str(name)
            record = _TaskRecord(name, stored, eta=stored.schedule_time.timestamp())
            queue.tasks[name.task_id] = record
            self._schedule(record, record.eta)
            return self._view(record, view)

    def get_task(self, name: str, view: tasks_v2.Task.View) -> tasks_v2.Task:
        with self._changed:
            return self._view(self._task(TaskName.parse(name))[1], view)

    def list_tasks(
        self, parent: str, view: tasks_v2.Task.View, page_size: int, page_token: str
    ) -> tuple[list[tasks_v2.Task], str]:
        with self._changed:
            records = sorted(
                self._queue(QueueName.parse(parent)).tasks.values(),
                key=lambda record: (record.eta, record.name.task_id),
            )
            tasks = [self._view(record, view) for record in records]
        return _paginate(tasks, page_size, page_token, MAX_TASKS_PAGE)

    def delete_task(self, name: str) -> None:
        with self._changed:
            queue, record = self._task(TaskName.parse(name))
            self._forget(queue, record, time.time())

    def start_forced_attempt(
        self, name: str, view: tasks_v2.Task.View
    ) -> tuple[tasks_v2.Task, Delivery]:
        """run_task: an attempt now, even if the queue is paused or the task already running."""
        with self._changed:
            _, record = self._task(TaskName.parse(name))
            delivery = self._begin_attempt(record, time.time())
            return self._view(record, view), delivery

    # -- dispatch ---------------------------------------------------------
    def next_delivery(self) -> Delivery | None:
        """Block until a task of a running queue is due and a dispatch slot is free.

        Returns None once the store is closed.
        """
        with self._changed:
            while not self._closed:
                now = time.time()
                timeout = None
                if self._in_flight < self._max_concurrent:
                    while self._due and self._due[0][0] <= now:
                        eta, _, name = heapq.heappop(self._due)
                        record = self._dispatchable(name, eta)
                        if record is not None:
                            return self._begin_attempt(record, now)
                    if self._due:
                        timeout = self._due[0][0] - now
                self._changed.wait(timeout)
            return None

    def finish(self, delivery: Delivery, outcome: Outcome) -> None:
        """Record how an attempt ended; drop the task on success or when retries are exhausted."""
        with self._changed:
            self._in_flight -= 1
            self._flying[str(delivery.task_name.queue)] -= 1
            self._changed.notify_all()
            name = delivery.task_name
            queue = self._queues.get(name.queue)
            record = queue.tasks.get(name.task_id) if queue else None
            if queue is None or record is None:  # deleted or purged meanwhile
                return
            now = time.time()
            record.in_flight -= 1
            task = record.task
            task.last_attempt.response_time = _timestamp(now)
            task.last_attempt.response_status = status_pb2.Status(
                code=outcome.code, message=outcome.message
            )
            record.previous_response = outcome.http_status
            if outcome.http_status is not None:
                task.response_count += 1
                if outcome.http_status < 500:
                    record.execution_count += 1
            if outcome.succeeded:
                self._finished.append(FinishedTask(str(name), task.dispatch_count, True))
                self._forget(queue, record, now)
                return
            record.retry_reason = outcome.reason
            policy = RetryPolicy.from_config(
                task.retry_config if "retry_config" in task else queue.queue.retry_config
            )
            since_first_attempt = now - (record.first_dispatch or now)
            if policy.gives_up(task.dispatch_count, since_first_attempt):
                log.info("giving up on %s after %d attempts", name, task.dispatch_count)
                self._finished.append(FinishedTask(str(name), task.dispatch_count, False))
                self._forget(queue, record, now)
            elif record.in_flight == 0:  # else the attempt still running reschedules it
                self._schedule(record, now + policy.backoff(task.dispatch_count))

    def finished(self, prefix: str = "") -> list[FinishedTask]:
        """The tasks that left their queues, oldest first; `prefix` narrows to a project."""
        with self._changed:
            return [task for task in self._finished if task.name.startswith(prefix)]

    def wait_landed(self, prefix: str, timeout: float) -> bool:
        """Wait until no attempt of a queue under `prefix` (e.g. `projects/<id>/`) is in
        flight; False if some still are after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while any(n > 0 for q, n in self._flying.items() if q.startswith(prefix)):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    def close(self) -> None:
        """Wake and release the dispatcher for good."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    # -- internals (call with the lock held) -------------------------------
    def _queue(self, name: QueueName) -> _QueueRecord:
        record = self._queues.get(name)
        if record is None:
            raise NotFound(f"queue {name} not found")
        return record

    def _task(self, name: TaskName) -> tuple[_QueueRecord, _TaskRecord]:
        queue = self._queue(name.queue)
        record = queue.tasks.get(name.task_id)
        if record is None:
            raise NotFound(f"task {name} not found")
        return queue, record

    def _validated(self, task: tasks_v2.Task, now: float) -> tasks_v2.Task:
        """The task as stored: checked against production limits, output fields set."""
        if "app_engine_http_request" in task:
            raise Unimplemented("App Engine tasks are not emulated; use http_request")
        if "http_request" not in task:
            raise InvalidArgument("task.http_request is required")
        request = _copy(task.http_request)
        if not request.url.startswith(("http://", "https://")):
            raise InvalidArgument("http_request.url must start with http:// or https://")
        if len(request.url) > MAX_URL_LENGTH:
            raise InvalidArgument(f"http_request.url is longer than {MAX_URL_LENGTH} characters")
        request.http_method = request.http_method or tasks_v2.HttpMethod.POST
        if request.body and request.http_method not in _BODY_METHODS:
            raise InvalidArgument("a body is allowed only with POST, PUT or PATCH")
        if "oauth_token" in request:
            raise Unimplemented("oauth_token is not emulated; use oidc_token")
        if "oidc_token" in request and not request.oidc_token.service_account_email:
            raise InvalidArgument("oidc_token.service_account_email is required")
        deadline = (
            task.dispatch_deadline.total_seconds()
            if "dispatch_deadline" in task
            else DEFAULT_DISPATCH_DEADLINE
        )
        if not self._min_dispatch_deadline <= deadline <= MAX_DISPATCH_DEADLINE:
            raise InvalidArgument(
                f"dispatch_deadline must be between {self._min_dispatch_deadline:g}s "
                f"and {MAX_DISPATCH_DEADLINE:g}s"
            )
        eta = task.schedule_time.timestamp() if "schedule_time" in task else now
        if eta > now + MAX_SCHEDULE_AHEAD:
            raise InvalidArgument("schedule_time is more than 30 days ahead")
        if len(tasks_v2.Task.serialize(task)) > MAX_TASK_BYTES:
            raise InvalidArgument(f"task is larger than {MAX_TASK_BYTES} bytes")
        stored = tasks_v2.Task(
            http_request=request,
            schedule_time=_timestamp(eta),
            create_time=_timestamp(now),
            dispatch_deadline=timedelta(seconds=deadline),
        )
        if "retry_config" in task:
            stored.retry_config = with_defaults(task.retry_config)
        return stored

    def _generated_name(self, queue: _QueueRecord, queue_name: QueueName) -> TaskName:
        while True:
            name = TaskName(queue_name, str(secrets.randbits(63)))
            if name.task_id not in queue.tasks and name not in self._tombstones:
                return name

    def _remembered(self, name: TaskName, now: float) -> bool:
        """Whether the name was used within the tombstone lifetime; forgets expired names."""
        while self._tombstones:
            oldest = next(iter(self._tombstones))
            if self._tombstones[oldest] > now:
                break
            del self._tombstones[oldest]
        return name in self._tombstones

    def _forget(self, queue: _QueueRecord, record: _TaskRecord, now: float) -> None:
        del queue.tasks[record.name.task_id]
        self._tombstones[record.name] = now + self._tombstone_ttl

    def _forget_tasks(self, queue: _QueueRecord) -> None:
        now = time.time()
        for record in list(queue.tasks.values()):
            self._forget(queue, record, now)

    def _schedule(self, record: _TaskRecord, eta: float) -> None:
        record.eta = eta
        record.task.schedule_time = _timestamp(eta)
        heapq.heappush(self._due, (eta, next(self._sequence), record.name))
        self._changed.notify_all()

    def _dispatchable(self, name: TaskName, eta: float) -> _TaskRecord | None:
        """The task a popped heap entry stands for, unless the entry is stale or must wait.

        Entries of a paused queue are dropped; resume_queue schedules its tasks again.
        """
        queue = self._queues.get(name.queue)
        if queue is None or queue.queue.state != RUNNING:
            return None
        record = queue.tasks.get(name.task_id)
        if record is None or record.in_flight or record.eta != eta:
            return None
        return record

    def _begin_attempt(self, record: _TaskRecord, now: float) -> Delivery:
        task = record.task
        delivery = Delivery(
            task_name=record.name,
            request=_copy(task.http_request),
            deadline=task.dispatch_deadline.total_seconds(),
            eta=record.eta,
            retry_count=task.dispatch_count,
            execution_count=record.execution_count,
            previous_response=record.previous_response,
            retry_reason=record.retry_reason,
        )
        task.dispatch_count += 1
        task.last_attempt = tasks_v2.Attempt(
            schedule_time=_timestamp(record.eta), dispatch_time=_timestamp(now)
        )
        if record.first_dispatch is None:
            record.first_dispatch = now
            # Cloud Tasks keeps only the dispatch time of the first attempt.
            task.first_attempt = tasks_v2.Attempt(dispatch_time=_timestamp(now))
        record.in_flight += 1
        self._in_flight += 1
        self._flying[str(record.name.queue)] += 1
        return delivery

    @staticmethod
    def _view(record: _TaskRecord, view: tasks_v2.Task.View) -> tasks_v2.Task:
        """BASIC (the default) leaves out the body, which may be large or sensitive."""
        task = _copy(record.task)
        if view == tasks_v2.Task.View.FULL:
            task.view = tasks_v2.Task.View.FULL
        else:
            task.view = tasks_v2.Task.View.BASIC
            task.http_request.body = b""
        return task
