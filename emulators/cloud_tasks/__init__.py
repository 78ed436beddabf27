"""A local Cloud Tasks: the real `google.cloud.tasks.v2.CloudTasks` gRPC API plus HTTP dispatch.

Production code talks to it with the unmodified client:
`CloudTasksClient(transport=CloudTasksGrpcTransport(channel=grpc.insecure_channel(ADDRESS)))`.
It copies what the service's callers rely on: name de-duplication (tombstones), schedule times,
pause/resume/purge, run_task, concurrent dispatch where only 2xx succeeds, the queue's retry
schedule, the X-CloudTasks-* headers and OIDC tokens (HS256 with a local shared secret).
"""

from emulators.cloud_tasks.emulator import CloudTasksEmulator

__all__ = ["CloudTasksEmulator"]
