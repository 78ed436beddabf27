"""Google's per-user rate limit (403 rateLimitExceeded, on by default at 600 calls a minute) and
`Retry-After` on injected 429s; with the real client, batch parts included."""

import threading

import pytest
import requests
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from emulators.google import GoogleStandIn
from emulators.google.faults import UserRateLimit
from tests.google.conftest import ADA, SCOPE, api_error, service_for, stop_in_background
from tests.helpers import wait_until

BOB = "bob@example.com"


def service(standin: GoogleStandIn, email: str = ADA):
    token = standin.accounts.issue_access_token(email, {SCOPE + "calendar"}, client_id="c")
    return service_for(standin, token)


def refused(error: HttpError) -> bool:
    details = error.error_details[0]
    return (error.status_code, details["reason"], details["domain"]) == (
        403,
        "rateLimitExceeded",
        "usageLimits",
    )


def run_batch(standin: GoogleStandIn, calls: list) -> list:
    """Each call's (response, error), in order."""
    answers: dict[str, tuple] = {}
    batch = BatchHttpRequest(
        callback=lambda request_id, response, error: answers.__setitem__(
            request_id, (response, error)
        ),
        batch_uri=standin.base_url + "/batch/calendar/v3",
    )
    for number, call in enumerate(calls):
        batch.add(call, request_id=str(number))
    batch.execute()
    return [answers[str(number)] for number in range(len(calls))]


# -- on by default ---------------------------------------------------------------------------
def test_default_is_600_a_minute_and_the_601st_call_is_refused(monkeypatch):
    monkeypatch.delenv("GOOGLE_USER_RATE_LIMIT", raising=False)
    google = GoogleStandIn(port=0).start()
    try:
        assert google.user_rate_limit() == {"limit": 600, "window_seconds": 60.0}
        api = service(google)
        answers = run_batch(google, [api.calendarList().list() for _ in range(601)])
        assert all(error is None for _, error in answers[:600])
        assert refused(answers[600][1])
        assert refused(api_error(api.events().list(calendarId="primary")))
        service(google, BOB).events().list(calendarId="primary").execute()  # per account
    finally:
        stop_in_background(google)


@pytest.mark.parametrize(
    ("value", "limit"), [("5", 5), ("0", None), ("off", None), ("", 600), (" 1000 ", 1000)]
)
def test_the_environment_sets_the_default(monkeypatch, value, limit):
    monkeypatch.setenv("GOOGLE_USER_RATE_LIMIT", value)
    assert GoogleStandIn(port=0).user_rate_limit()["limit"] == limit
    assert GoogleStandIn(port=0, user_rate_limit=7).user_rate_limit()["limit"] == 7
    assert GoogleStandIn(port=0, user_rate_limit=None).user_rate_limit()["limit"] is None


@pytest.mark.parametrize("value", ["many", "-3", "1.5"])
def test_a_bad_environment_value_is_an_error(monkeypatch, value):
    monkeypatch.setenv("GOOGLE_USER_RATE_LIMIT", value)
    with pytest.raises(ValueError):
        GoogleStandIn(port=0)


# -- what counts -----------------------------------------------------------------------------
def test_over_the_limit_calls_are_refused_per_user_and_logged(google):
    google.set_user_rate_limit(3)
    ada, bob = service(google, ADA), service(google, BOB)
    for _ in range(3):
        ada.events().list(calendarId="primary").execute()
    error = api_error(ada.events().insert(calendarId="primary", body={}))
    assert refused(error) and error.error_details[0]["message"] == "Rate Limit Exceeded"
    assert google.events(ADA) == []  # the refused call did nothing
    for _ in range(3):
        bob.calendarList().list().execute()
    assert refused(api_error(bob.calendarList().list()))
    last = google.request_log()[-1]
    assert (last["methodId"], last["status"]) == ("calendar.calendarList.list", 403)


def test_refused_calls_do_not_count_and_the_window_slides():
    clock = [1000.0]
    limit = UserRateLimit(2, window=60, clock=lambda: clock[0])
    assert [limit.take(ADA) for _ in range(3)] == [True, True, False]
    clock[0] += 30
    assert limit.take(ADA) is False
    clock[0] += 29.9
    assert limit.take(ADA) is False  # the first two are 59.9 s old
    clock[0] += 0.1
    assert [limit.take(ADA), limit.take(ADA), limit.take(ADA)] == [True, True, False]
    assert limit.take(BOB) is True


def test_calls_go_through_again_once_the_window_has_passed(google):
    google.set_user_rate_limit(2, window_seconds=0.5)
    api = service(google)
    for _ in range(2):
        api.calendarList().list().execute()
    assert refused(api_error(api.calendarList().list()))

    def gets_through() -> bool:
        try:
            api.calendarList().list().execute()
        except HttpError as error:
            assert refused(error)
            return False
        return True

    wait_until(gets_through, timeout=10, interval=0.05, what="the window to slide")


def test_batch_parts_each_count_and_the_envelope_does_not(google):
    google.set_user_rate_limit(3)
    api = service(google)
    answers = run_batch(google, [api.calendarList().list() for _ in range(5)])
    assert [error is None for _, error in answers] == [True, True, True, False, False]
    assert all(refused(error) for _, error in answers[3:])


def test_unauthenticated_calls_test_hooks_and_oauth_do_not_count(google):
    google.set_user_rate_limit(1)
    for _ in range(3):
        answer = requests.get(google.base_url + "/calendar/v3/users/me/calendarList", timeout=5)
        assert answer.status_code == 401
        assert requests.get(google.base_url + "/_test/requests", timeout=5).status_code == 200
        assert requests.get(google.base_url + "/oauth2/v3/certs", timeout=5).status_code == 200
    service(google).calendarList().list().execute()


def test_limit_is_exact_under_concurrent_calls(google):
    google.set_user_rate_limit(25)
    outcomes: list[str] = []
    lock = threading.Lock()

    def call_many() -> None:
        api = service(google)  # httplib2 is not thread-safe: one client per thread
        for _ in range(10):
            try:
                api.calendarList().list().execute()
                outcome = "ok"
            except HttpError as error:
                outcome = "refused" if refused(error) else repr(error)
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=call_many) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(set(outcomes)) == ["ok", "refused"]
    assert (outcomes.count("ok"), outcomes.count("refused")) == (25, 35)


def test_limit_is_exact_across_threads_without_http():
    limit = UserRateLimit(1000)
    taken: list[bool] = []
    lock = threading.Lock()

    def take() -> None:
        mine = [limit.take(ADA) for _ in range(500)]
        with lock:
            taken.extend(mine)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert (len(taken), taken.count(True)) == (4000, 1000)


# -- turning it off, up and down -------------------------------------------------------------
@pytest.mark.parametrize("off", [None, 0])
def test_no_limit(google, off):
    google.set_user_rate_limit(2)
    google.set_user_rate_limit(off)
    assert google.user_rate_limit()["limit"] is None
    api = service(google)
    answers = run_batch(google, [api.calendarList().list() for _ in range(20)])
    assert all(error is None for _, error in answers)


def test_rate_limit_hooks_over_http_and_reset(google):
    url = google.base_url + "/_test/rate-limit"
    default = google.user_rate_limit()
    assert requests.get(url, timeout=5).json() == default
    assert requests.post(url, json={"limit": 1, "window_seconds": 30}, timeout=5).status_code == 204
    assert requests.get(url, timeout=5).json() == {"limit": 1, "window_seconds": 30.0}
    api = service(google)
    api.calendarList().list().execute()
    assert refused(api_error(api.calendarList().list()))

    google.reset()  # the default again, and nothing counted
    assert google.user_rate_limit() == default
    api.calendarList().list().execute()

    assert requests.post(url, json={"limit": None}, timeout=5).status_code == 204
    assert requests.get(url, timeout=5).json()["limit"] is None
    for bad in ({}, {"limit": -1}, {"limit": 1.5}, {"limit": 5, "window_seconds": 0}):
        assert requests.post(url, json=bad, timeout=5).status_code == 400


# -- Retry-After on 429 ------------------------------------------------------------------------
def test_injected_429_carries_retry_after(google, api):
    google.inject_fault(429, "rateLimitExceeded")
    error = api_error(api.calendarList().list())
    assert (error.status_code, error.resp.get("retry-after")) == (429, "1")

    google.inject_fault(429, "rateLimitExceeded", retry_after=30)
    assert api_error(api.calendarList().list()).resp.get("retry-after") == "30"

    google.inject_fault(503, "backendError")
    assert api_error(api.calendarList().list()).resp.get("retry-after") is None
    google.inject_fault(503, "backendError", retry_after=2.5)
    assert api_error(api.calendarList().list()).resp.get("retry-after") == "3"  # whole seconds


def test_retry_after_over_http(google, api):
    faults = google.base_url + "/_test/faults"
    fault = {"status": 429, "retry_after": 7}
    assert requests.post(faults, json=fault, timeout=5).status_code == 204
    error = api_error(api.calendarList().list())
    assert (error.status_code, error.resp.get("retry-after")) == (429, "7")
    for bad in ({"status": 429, "retry_after": -1}, {"status": 429, "retry_after": "soon"}):
        assert requests.post(faults, json=bad, timeout=5).status_code == 400
    api.calendarList().list().execute()  # the refused hooks injected nothing
