"""The gRPC face: google.cloud.tasks.v2.CloudTasks, so the unmodified CloudTasksClient works.

Messages are (de)serialized with the proto-plus types of google-cloud-tasks. Methods not listed
here (IAM, batch, CMEK, locations) answer UNIMPLEMENTED, as grpc does for unknown methods.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from google.cloud import tasks_v2
from google.protobuf import empty_pb2

from emulators.cloud_tasks.dispatcher import Dispatcher
from emulators.cloud_tasks.errors import ApiError, Unimplemented
from emulators.cloud_tasks.store import TaskStore

SERVICE = "google.cloud.tasks.v2.CloudTasks"

_EMPTY = empty_pb2.Empty()


def _serialize_empty(message: empty_pb2.Empty) -> bytes:
    return message.SerializeToString()


def handler(store: TaskStore, dispatcher: Dispatcher) -> grpc.GenericRpcHandler:
    def list_queues(request: tasks_v2.ListQueuesRequest) -> tasks_v2.ListQueuesResponse:
        if request.filter:
            raise Unimplemented("ListQueues filter is not emulated")
        queues, token = store.list_queues(request.parent, request.page_size, request.page_token)
        return tasks_v2.ListQueuesResponse(queues=queues, next_page_token=token)

    def list_tasks(request: tasks_v2.ListTasksRequest) -> tasks_v2.ListTasksResponse:
        tasks, token = store.list_tasks(
            request.parent, request.response_view, request.page_size, request.page_token
        )
        return tasks_v2.ListTasksResponse(tasks=tasks, next_page_token=token)

    def delete_queue(request: tasks_v2.DeleteQueueRequest) -> empty_pb2.Empty:
        store.delete_queue(request.name)
        return _EMPTY

    def delete_task(request: tasks_v2.DeleteTaskRequest) -> empty_pb2.Empty:
        store.delete_task(request.name)
        return _EMPTY

    queue_out, task_out = tasks_v2.Queue.serialize, tasks_v2.Task.serialize
    methods: dict[str, tuple[type[Any], Callable[[Any], bytes], Callable[[Any], Any]]] = {
        "ListQueues": (
            tasks_v2.ListQueuesRequest,
            tasks_v2.ListQueuesResponse.serialize,
            list_queues,
        ),
        "GetQueue": (tasks_v2.GetQueueRequest, queue_out, lambda r: store.get_queue(r.name)),
        "CreateQueue": (
            tasks_v2.CreateQueueRequest,
            queue_out,
            lambda r: store.create_queue(r.parent, r.queue),
        ),
        "UpdateQueue": (
            tasks_v2.UpdateQueueRequest,
            queue_out,
            lambda r: store.update_queue(r.queue, list(r.update_mask.paths)),
        ),
        "DeleteQueue": (tasks_v2.DeleteQueueRequest, _serialize_empty, delete_queue),
        "PurgeQueue": (tasks_v2.PurgeQueueRequest, queue_out, lambda r: store.purge_queue(r.name)),
        "PauseQueue": (tasks_v2.PauseQueueRequest, queue_out, lambda r: store.pause_queue(r.name)),
        "ResumeQueue": (
            tasks_v2.ResumeQueueRequest,
            queue_out,
            lambda r: store.resume_queue(r.name),
        ),
        "ListTasks": (tasks_v2.ListTasksRequest, tasks_v2.ListTasksResponse.serialize, list_tasks),
        "GetTask": (
            tasks_v2.GetTaskRequest,
            task_out,
            lambda r: store.get_task(r.name, r.response_view),
        ),
        "CreateTask": (
            tasks_v2.CreateTaskRequest,
            task_out,
            lambda r: store.create_task(r.parent, r.task, r.response_view),
        ),
        "DeleteTask": (tasks_v2.DeleteTaskRequest, _serialize_empty, delete_task),
        "RunTask": (
            tasks_v2.RunTaskRequest,
            task_out,
            lambda r: dispatcher.run_now(r.name, r.response_view),
        ),
    }
    return grpc.method_handlers_generic_handler(
        SERVICE,
        {
            name: grpc.unary_unary_rpc_method_handler(
                _answering_errors(call),
                request_deserializer=request_type.deserialize,
                response_serializer=serialize,
            )
            for name, (request_type, serialize, call) in methods.items()
        },
    )


def _answering_errors(call: Callable[[Any], Any]) -> Callable[[Any, grpc.ServicerContext], Any]:
    """Turn an ApiError into the gRPC status the real service would answer with."""

    def answer(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return call(request)
        except ApiError as error:
            context.abort(error.code, str(error))

    return answer
