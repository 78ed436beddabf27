"""Cloud Tasks resource names, parsed and validated the way the real API does."""

from __future__ import annotations

import re
from dataclasses import dataclass

from emulators.cloud_tasks.errors import InvalidArgument

# Project ids may be domain-scoped ("example.com:my-project").
_PROJECT = r"[A-Za-z0-9.:-]{1,100}"
_LOCATION = r"[A-Za-z0-9-]{1,100}"
_QUEUE_ID = r"[A-Za-z0-9-]{1,100}"
_TASK_ID = r"[A-Za-z0-9_-]{1,500}"

_LOCATION_RE = re.compile(rf"projects/(?P<project>{_PROJECT})/locations/(?P<location>{_LOCATION})")
_QUEUE_RE = re.compile(rf"{_LOCATION_RE.pattern}/queues/(?P<queue>{_QUEUE_ID})")
_TASK_RE = re.compile(rf"{_QUEUE_RE.pattern}/tasks/(?P<task>{_TASK_ID})")


@dataclass(frozen=True)
class LocationName:
    project: str
    location: str

    @classmethod
    def parse(cls, path: str) -> LocationName:
        match = _LOCATION_RE.fullmatch(path)
        if match is None:
            raise InvalidArgument(f"invalid location name {path!r}: want projects/P/locations/L")
        return cls(match["project"], match["location"])

    def __str__(self) -> str:
        return f"projects/{self.project}/locations/{self.location}"


@dataclass(frozen=True)
class QueueName:
    location: LocationName
    queue_id: str

    @classmethod
    def parse(cls, path: str) -> QueueName:
        match = _QUEUE_RE.fullmatch(path)
        if match is None:
            raise InvalidArgument(
                f"invalid queue name {path!r}: want projects/P/locations/L/queues/Q "
                "with Q of letters, digits and hyphens"
            )
        return cls(LocationName(match["project"], match["location"]), match["queue"])

    def __str__(self) -> str:
        return f"{self.location}/queues/{self.queue_id}"


@dataclass(frozen=True)
class TaskName:
    queue: QueueName
    task_id: str

    @classmethod
    def parse(cls, path: str) -> TaskName:
        match = _TASK_RE.fullmatch(path)
        if match is None:
            raise InvalidArgument(
                f"invalid task name {path!r}: want projects/P/locations/L/queues/Q/tasks/T "
                "with T of letters, digits, hyphens and underscores"
            )
        location = LocationName(match["project"], match["location"])
        return cls(QueueName(location, match["queue"]), match["task"])

    def __str__(self) -> str:
        return f"{self.queue}/tasks/{self.task_id}"
