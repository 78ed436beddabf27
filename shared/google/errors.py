"""What Google's answers mean for us: retry later, a refused grant, or a refusal to show.

Google's libraries raise `HttpError` (Calendar API) and `RefreshError` (the token
endpoint, also mid-call when the library refreshes by itself). This module is the one
place that reads them, always by the structured error (`errors[0].reason`, the OAuth
`error` code), never by message text, and turns them into:
- `shared.errors.RetryLater`: rate limits, Google's own failures, a token that died early,
  no answer in time or a dropped connection (the task router answers 503 and Cloud Tasks
  retries; a write whose answer was lost is safe to send again: event ids are ours);
- `GrantRefused`: `invalid_grant`, the account's workers must reconnect;
- `GoogleRefused`: a refusal that retrying cannot change, shown to the admin.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError

from shared.errors import RetryLater

_RATE_LIMITS = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"}
# A call that got no answer at all: it may or may not have been carried out.
NO_ANSWER = (TimeoutError, ConnectionError, httplib2.HttpLib2Error)


class GrantRefused(Exception):
    """Google no longer honours the grant (`invalid_grant`); its users must reconnect."""


class GoogleRefused(Exception):
    """Google refused, and asking again will not change it; `message` is for the admin."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def reason(error: HttpError) -> str | None:
    """Google's `errors[0].reason` of an API error (`rateLimitExceeded`, `notFound`, ...)."""
    try:
        body = json.loads(error.content)
        return body["error"]["errors"][0]["reason"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def maybe_done(error: BaseException) -> bool:
    """Whether a failed write may have been carried out all the same: no answer came, or
    Google failed (5xx) after perhaps doing it. Rate limits and refusals did nothing."""
    if isinstance(error, HttpError):
        return (error.status_code or 0) >= 500
    return isinstance(error, NO_ANSWER)


def is_transient(error: HttpError) -> bool:
    """Worth retrying later (rate limits, Google's own failures, an access token that died
    before its time and is refreshed on the retry), as opposed to a refusal."""
    status = error.status_code or 0
    if status in (401, 429) or status >= 500:
        return True
    return status == 403 and reason(error) in _RATE_LIMITS


def oauth_error(error: RefreshError) -> str | None:
    """The OAuth error code of a refused refresh (`invalid_grant`, `invalid_client`, ...), read
    from Google's structured answer, never from message text."""
    details = error.args[1] if len(error.args) > 1 else None
    return details.get("error") if isinstance(details, dict) else None


@contextmanager
def calling_google(*, on_unauthorized: Callable[[], None] | None = None) -> Iterator[None]:
    """Run Google calls, translating what their libraries raise into what it means for us.
    `on_unauthorized` runs on a 401 (e.g. forget the cached access token before the retry)."""
    try:
        yield
    except (*NO_ANSWER, TransportError) as exc:
        raise RetryLater(f"Google did not answer ({type(exc).__name__})") from exc
    except RefreshError as exc:
        if exc.retryable:
            raise RetryLater("Google's token endpoint failed") from exc
        code = oauth_error(exc)
        if code == "invalid_grant":
            raise GrantRefused(code) from exc
        # e.g. `invalid_client` after an admin saved a wrong private client secret
        raise GoogleRefused(f"Google refused our sign-in ({code or 'refused'}).") from exc
    except HttpError as exc:
        if exc.status_code == 401 and on_unauthorized is not None:
            on_unauthorized()
        if is_transient(exc):
            raise RetryLater(f"Google answered {exc.status_code}") from exc
        raise GoogleRefused(f"Google refused the sync ({reason(exc)}).") from exc
