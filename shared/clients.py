"""Factories for Google's client libraries, pointed at the local stack by configuration.

Production code always talks through the unmodified libraries; only endpoints
and credentials change:
- Firestore: the library itself honours FIRESTORE_EMULATOR_HOST.
- Cloud Tasks: no variable does it, so we hand the client an insecure gRPC
  channel to CLOUD_TASKS_EMULATOR_HOST.
- Google APIs: GOOGLE_API_BASE replaces Google's hosts for the Calendar API,
  its batch endpoint (which ignores `api_endpoint`, a known library issue) and
  the OAuth endpoints.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import grpc
from google.auth.credentials import Credentials
from google.cloud import firestore, tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport
from googleapiclient.discovery import Resource, build
from googleapiclient.http import BatchHttpRequest

from shared.config import Config


@functools.cache
def firestore_client(project_id: str) -> firestore.Client:
    return firestore.Client(project=project_id)


def db(config: Config) -> firestore.Client:
    return firestore_client(config.project_id)


@functools.cache
def _tasks_client(emulator_host: str | None) -> tasks_v2.CloudTasksClient:
    if emulator_host:
        channel = grpc.insecure_channel(emulator_host)
        return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    return tasks_v2.CloudTasksClient()


def tasks_client(config: Config) -> tasks_v2.CloudTasksClient:
    return _tasks_client(config.tasks_emulator_host)


@dataclass(frozen=True)
class GoogleEndpoints:
    """Where Google lives for this deployment (the real hosts, or the local stand-in)."""

    calendar: str | None  # None: the library's default
    batch: str
    auth: str
    token: str
    revoke: str
    userinfo: str
    certs: str


def google_endpoints(config: Config) -> GoogleEndpoints:
    base = config.google_api_base
    if not base:
        return GoogleEndpoints(
            calendar=None,
            batch="https://www.googleapis.com/batch/calendar/v3",
            auth="https://accounts.google.com/o/oauth2/v2/auth",
            token="https://oauth2.googleapis.com/token",
            revoke="https://oauth2.googleapis.com/revoke",
            userinfo="https://openidconnect.googleapis.com/v1/userinfo",
            certs="https://www.googleapis.com/oauth2/v1/certs",
        )
    base = base.rstrip("/")
    return GoogleEndpoints(
        calendar=base + "/calendar/v3/",
        batch=base + "/batch/calendar/v3",
        auth=base + "/o/oauth2/v2/auth",
        token=base + "/token",
        revoke=base + "/revoke",
        userinfo=base + "/v1/userinfo",
        certs=base + "/oauth2/v1/certs",
    )


def calendar_service(config: Config, credentials: Credentials) -> Resource:
    endpoint = google_endpoints(config).calendar
    options = {"api_endpoint": endpoint} if endpoint else None
    return build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        cache_discovery=False,
        client_options=options,
    )


def calendar_batch(config: Config, callback: Callable | None = None) -> BatchHttpRequest:
    return BatchHttpRequest(callback=callback, batch_uri=google_endpoints(config).batch)
