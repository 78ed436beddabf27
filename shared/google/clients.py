"""Where Google lives for this deployment, and the Calendar API client built for it.

Production code always talks through the unmodified libraries; only endpoints and
credentials change: GOOGLE_API_BASE replaces Google's hosts for the Calendar API, its
batch endpoint (which ignores `api_endpoint`, a known library issue) and the OAuth
endpoints. (Firestore's client lives in `shared/store/firestore.py`, Cloud Tasks' in
`shared/queue/tasks.py`.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import httplib2
from google.auth.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import Resource, build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest, HttpRequest

from shared import logs
from shared.config import Config

log = logging.getLogger(__name__)


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
    # A call that hangs must not hold the task until the function's own timeout: after
    # GOOGLE_TIMEOUT it fails, and the task is retried (errors.calling_google).
    http = AuthorizedHttp(credentials, http=httplib2.Http(timeout=config.google_timeout))
    return build(
        "calendar",
        "v3",
        http=http,
        static_discovery=True,
        cache_discovery=False,
        client_options=options,
        requestBuilder=_CountedRequest,
    )


def calendar_batch(config: Config, callback: Callable | None = None) -> BatchHttpRequest:
    return _CountedBatch(callback=callback, batch_uri=google_endpoints(config).batch)


# Every call to Google is one `google_call` event (method, outcome): the log-based metric
# of Google usage by method and outcome, against the project's quotas.


def _outcome(exc: HttpError) -> str:
    return str(exc.status_code or "error")


class _CountedRequest(HttpRequest):
    def execute(self, http=None, num_retries=0):
        try:
            answer = super().execute(http=http, num_retries=num_retries)
        except HttpError as exc:
            logs.event(log, "google_call", method=self.methodId, outcome=_outcome(exc))
            raise
        logs.event(log, "google_call", method=self.methodId, outcome="ok")
        return answer


class _CountedBatch(BatchHttpRequest):
    def execute(self, http=None):
        parts = len(self._order)
        try:
            answer = super().execute(http=http)
        except HttpError as exc:
            logs.event(log, "google_call", method="batch", outcome=_outcome(exc), parts=parts)
            raise
        logs.event(log, "google_call", method="batch", outcome="ok", parts=parts)
        return answer
