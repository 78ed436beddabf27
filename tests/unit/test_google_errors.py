"""What Google's answers mean for us, read from the structured error only (no Google)."""

import json

import httplib2
import pytest
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError

from shared.errors import RetryLater
from shared.google.errors import (
    GoogleRefused,
    GrantRefused,
    calling_google,
    is_transient,
    maybe_done,
    oauth_error,
    reason,
)


def http_error(status: int, why: str | None = None, message: str = "Something") -> HttpError:
    """An API error as google-api-python-client raises it from Google's JSON answer."""
    error: dict = {"code": status, "message": message}
    if why is not None:
        error["errors"] = [{"domain": "global", "reason": why, "message": message}]
    return HttpError(httplib2.Response({"status": status}), json.dumps({"error": error}).encode())


def refresh_error(code: str, retryable: bool = False, text: str | None = None) -> RefreshError:
    """A refused refresh as google.oauth2._client raises it from the token endpoint's JSON."""
    answer = {"error": code, "error_description": "Bad Request"}
    message = text if text is not None else f"{code}: Bad Request"
    return RefreshError(message, answer, retryable=retryable)


class Unauthorized:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


def outcome(error: Exception, on_unauthorized=None) -> Exception:
    with pytest.raises(Exception) as raised, calling_google(on_unauthorized=on_unauthorized):
        raise error
    return raised.value


# -- reading an API error -----------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (http_error(403, "rateLimitExceeded"), "rateLimitExceeded"),
        (http_error(404, "notFound"), "notFound"),
        (http_error(403, None), None),
        (HttpError(httplib2.Response({"status": 502}), b"<html>Bad Gateway</html>"), None),
        (HttpError(httplib2.Response({"status": 400}), b'{"error": {"errors": []}}'), None),
        (HttpError(httplib2.Response({"status": 400}), b'{"error": "invalid"}'), None),
        (HttpError(httplib2.Response({"status": 400}), b"[]"), None),
    ],
)
def test_the_reason_is_googles_first_structured_reason(error, expected):
    assert reason(error) == expected


@pytest.mark.parametrize(
    ("status", "why", "transient"),
    [
        (401, None, True),
        (429, None, True),
        (429, "rateLimitExceeded", True),
        (500, "backendError", True),
        (502, None, True),
        (503, None, True),
        (403, "rateLimitExceeded", True),
        (403, "userRateLimitExceeded", True),
        (403, "quotaExceeded", True),
        (403, "forbidden", False),
        (403, None, False),
        (404, "notFound", False),
        (410, "deleted", False),
        (400, "invalid", False),
        (400, "rateLimitExceeded", False),  # only a 403 says "rate limit" by its reason
    ],
)
def test_which_api_errors_are_worth_retrying(status, why, transient):
    assert is_transient(http_error(status, why)) is transient


def test_a_rate_limit_named_only_in_the_message_is_a_refusal():
    assert not is_transient(http_error(403, "forbidden", message="Rate Limit Exceeded"))


# -- calling_google: API errors -----------------------------------------------------


@pytest.mark.parametrize(
    ("status", "why"),
    [
        (429, "rateLimitExceeded"),
        (500, "backendError"),
        (503, None),
        (403, "rateLimitExceeded"),
        (403, "userRateLimitExceeded"),
    ],
)
def test_busy_or_failing_google_means_retry_later(status, why):
    unauthorized = Unauthorized()
    error = http_error(status, why)
    raised = outcome(error, unauthorized)
    assert type(raised) is RetryLater
    assert raised.message == f"Google answered {status}"
    assert raised.code == "retry_later"
    assert raised.__cause__ is error
    assert unauthorized.calls == 0


def test_a_401_forgets_the_token_and_retries_later():
    unauthorized = Unauthorized()
    raised = outcome(http_error(401, "authError"), unauthorized)
    assert type(raised) is RetryLater
    assert raised.message == "Google answered 401"
    assert unauthorized.calls == 1


def test_a_401_without_a_callback_still_retries_later():
    assert type(outcome(http_error(401, "authError"))) is RetryLater


@pytest.mark.parametrize(
    ("status", "why", "message"),
    [
        (403, "forbidden", "Google refused the sync (forbidden)."),
        (404, "notFound", "Google refused the sync (notFound)."),
        (400, "invalid", "Google refused the sync (invalid)."),
        (403, None, "Google refused the sync (None)."),
    ],
)
def test_a_refusal_is_shown_with_its_reason(status, why, message):
    unauthorized = Unauthorized()
    raised = outcome(http_error(status, why), unauthorized)
    assert type(raised) is GoogleRefused
    assert raised.message == message
    assert str(raised) == message
    assert unauthorized.calls == 0


@pytest.mark.parametrize(
    "failure, done",
    [
        (http_error(500, "backendError"), True),
        (http_error(503), True),
        (TimeoutError("timed out"), True),
        (ConnectionResetError(104, "reset"), True),
        (httplib2.ServerNotFoundError("no server"), True),
        (http_error(429), False),
        (http_error(403, "rateLimitExceeded"), False),
        (http_error(401), False),
        (http_error(400, "invalid"), False),
        (ValueError("ours"), False),
    ],
)
def test_which_failed_writes_may_have_been_carried_out(failure, done):
    assert maybe_done(failure) is done


# -- calling_google: no answer ------------------------------------------------------


@pytest.mark.parametrize(
    "lost",
    [
        TimeoutError("timed out"),
        ConnectionResetError(104, "Connection reset by peer"),
        httplib2.ServerNotFoundError("Unable to find the server"),
        TransportError("the token endpoint did not answer"),
    ],
)
def test_no_answer_from_google_means_retry_later(lost):
    unauthorized = Unauthorized()
    raised = outcome(lost, unauthorized)
    assert type(raised) is RetryLater
    assert raised.message == f"Google did not answer ({type(lost).__name__})"
    assert raised.__cause__ is lost and unauthorized.calls == 0


# -- calling_google: refreshes ------------------------------------------------------


def test_a_failing_token_endpoint_means_retry_later():
    unauthorized = Unauthorized()
    raised = outcome(refresh_error("server_error", retryable=True), unauthorized)
    assert type(raised) is RetryLater
    assert raised.message == "Google's token endpoint failed"
    assert unauthorized.calls == 0


def test_a_retryable_refresh_is_retried_even_if_it_says_invalid_grant():
    assert type(outcome(refresh_error("invalid_grant", retryable=True))) is RetryLater


def test_invalid_grant_means_the_grant_is_refused():
    error = refresh_error("invalid_grant", text="invalid_grant: Token has been expired or revoked.")
    raised = outcome(error)
    assert type(raised) is GrantRefused
    assert str(raised) == "invalid_grant"
    assert raised.__cause__ is error


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("invalid_client", "Google refused our sign-in (invalid_client)."),
        ("unauthorized_client", "Google refused our sign-in (unauthorized_client)."),
        ("access_denied", "Google refused our sign-in (access_denied)."),
    ],
)
def test_another_oauth_refusal_is_shown(code, message):
    raised = outcome(refresh_error(code))
    assert type(raised) is GoogleRefused
    assert raised.message == message


def test_a_refresh_without_a_structured_answer_is_a_plain_refusal():
    # google-auth raises this from a non-JSON token endpoint answer.
    raised = outcome(RefreshError("invalid_grant: Bad Request", retryable=False))
    assert type(raised) is GoogleRefused
    assert raised.message == "Google refused our sign-in (refused)."


def test_the_message_text_never_decides_the_outcome():
    raised = outcome(refresh_error("invalid_client", text="invalid_grant: looks like one"))
    assert type(raised) is GoogleRefused
    assert raised.message == "Google refused our sign-in (invalid_client)."


def test_oauth_errors_come_from_the_structured_answer():
    assert oauth_error(refresh_error("invalid_grant")) == "invalid_grant"
    assert oauth_error(RefreshError("invalid_grant: text only")) is None
    assert oauth_error(RefreshError("x", "not a dict")) is None
    assert oauth_error(RefreshError("x", {"error_description": "no code"})) is None


# -- calling_google: everything else ------------------------------------------------


def test_other_errors_pass_through_untouched():
    error = KeyError("calendar")
    assert outcome(error) is error


def test_a_call_that_succeeds_is_left_alone():
    unauthorized = Unauthorized()
    with calling_google(on_unauthorized=unauthorized):
        value = 42
    assert value == 42
    assert unauthorized.calls == 0
