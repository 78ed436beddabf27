"""One dispatch attempt: what is sent (`Delivery`) and how it ended (`Outcome`)."""

from __future__ import annotations

from dataclasses import dataclass

from google.cloud import tasks_v2
from google.rpc import code_pb2

from emulators.cloud_tasks.names import TaskName

# How Google maps an HTTP status to the canonical code it records in Attempt.response_status.
_CODE_FOR_HTTP = {
    400: code_pb2.INVALID_ARGUMENT,
    401: code_pb2.UNAUTHENTICATED,
    403: code_pb2.PERMISSION_DENIED,
    404: code_pb2.NOT_FOUND,
    409: code_pb2.ABORTED,
    412: code_pb2.FAILED_PRECONDITION,
    416: code_pb2.OUT_OF_RANGE,
    429: code_pb2.RESOURCE_EXHAUSTED,
    499: code_pb2.CANCELLED,
    501: code_pb2.UNIMPLEMENTED,
    503: code_pb2.UNAVAILABLE,
    504: code_pb2.DEADLINE_EXCEEDED,
}


def _code_for_http(status: int) -> int:
    if status in _CODE_FOR_HTTP:
        return _CODE_FOR_HTTP[status]
    if 200 <= status < 300:
        return code_pb2.OK
    if 400 <= status < 500:
        return code_pb2.FAILED_PRECONDITION
    if 500 <= status < 600:
        return code_pb2.INTERNAL
    return code_pb2.UNKNOWN  # 1xx and 3xx: redirects are failures, never followed


@dataclass(frozen=True)
class Delivery:
    """Everything needed to send one attempt, copied so the task may change meanwhile."""

    task_name: TaskName
    request: tasks_v2.HttpRequest
    deadline: float  # seconds
    eta: float  # the attempt's schedule time, seconds since the epoch
    retry_count: int
    execution_count: int
    previous_response: int | None
    retry_reason: str | None


@dataclass(frozen=True)
class Outcome:
    http_status: int | None  # None when no response arrived (timeout, connection refused)
    code: int  # google.rpc.Code recorded in Attempt.response_status
    message: str

    @classmethod
    def from_http(cls, status: int) -> Outcome:
        return cls(status, _code_for_http(status), f"HTTP status {status}")

    @property
    def succeeded(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300

    @property
    def reason(self) -> str:
        """Why a retry follows, as sent in X-CloudTasks-TaskRetryReason."""
        return code_pb2.Code.Name(self.code)
