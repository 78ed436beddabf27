"""Errors the API answers with, in docs/api.md's shape: {"error": {"code", "message", "field"?}}.

Use cases raise these; the HTTP layer turns them into responses. Nothing else
decides a status code.
"""

from __future__ import annotations


class ApiError(Exception):
    status = 500
    code = "internal"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def to_body(self) -> dict:
        error: dict = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        return {"error": error}


class InvalidInput(ApiError):
    status = 400
    code = "invalid_input"


class Unauthenticated(ApiError):
    status = 401
    code = "unauthenticated"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class Unprocessable(ApiError):
    status = 422
    code = "unprocessable"


class PayloadTooLarge(ApiError):
    """The request body is over the route's size limit: refused before it is parsed (and, when
    Content-Length says so, before it is read)."""

    status = 413
    code = "body_too_large"


class RetryLater(Exception):
    """Not a refusal: a dependency (Google, the mail server, a lease held by another run) is
    busy or failing for now. The task router answers 503, so Cloud Tasks retries the task."""

    code = "retry_later"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
