"""Google's error shape, raised anywhere in the stand-in and rendered once by the dispatcher.

Clients decide on `errors[0].reason`, so every failure carries the reason Google would send.
"""

from __future__ import annotations

import json

from werkzeug.wrappers import Response

DEFAULT_REASONS = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    405: "methodNotAllowed",
    409: "duplicate",
    410: "deleted",
    412: "conditionNotMet",
    429: "rateLimitExceeded",
}

# Reasons Google files under the `usageLimits` domain instead of `global`.
USAGE_LIMIT_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded"}
)


class ApiError(Exception):
    """A Google API error: HTTP status, reason and message (domain follows from the reason)."""

    def __init__(self, status: int, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason or DEFAULT_REASONS.get(status, "backendError")

    def response(self) -> Response:
        response = google_error(self.status, self.message, self.reason)
        if self.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"'
        return response


def google_error(status: int, message: str, reason: str | None = None, domain: str | None = None):
    """Google's JSON error body; clients decide on errors[0].reason."""
    reason = reason or DEFAULT_REASONS.get(status, "backendError")
    domain = domain or ("usageLimits" if reason in USAGE_LIMIT_REASONS else "global")
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"domain": domain, "reason": reason, "message": message}],
        }
    }
    return Response(json.dumps(body), status=status, content_type="application/json")
