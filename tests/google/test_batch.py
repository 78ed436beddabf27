"""The batch endpoint, driven by google-api-python-client's BatchHttpRequest."""

import requests
from googleapiclient.http import BatchHttpRequest

from tests.google.conftest import ADA, reason_of


def timed(day: int) -> dict:
    return {
        "start": {"dateTime": f"2030-05-{day:02d}T09:00:00Z"},
        "end": {"dateTime": f"2030-05-{day:02d}T10:00:00Z"},
    }


def run_batch(google, requests_by_id: dict) -> dict:
    answers = {}
    batch = BatchHttpRequest(
        callback=lambda request_id, response, error: answers.__setitem__(
            request_id, (response, error)
        ),
        batch_uri=google.base_url + "/batch/calendar/v3",
    )
    for request_id, request in requests_by_id.items():
        batch.add(request, request_id=request_id)
    batch.execute()
    return answers


def test_parts_answer_in_their_own_right(google, api):
    existing = api.events().insert(calendarId="primary", body=timed(1)).execute()
    answers = run_batch(
        google,
        {
            "new": api.events().insert(calendarId="primary", body={**timed(2), "id": "batch00001"}),
            "get": api.events().get(calendarId="primary", eventId=existing["id"]),
            "delete": api.events().delete(calendarId="primary", eventId=existing["id"]),
            "again": api.events().insert(
                calendarId="primary", body={**timed(3), "id": "batch00001"}
            ),
            "missing": api.events().get(calendarId="primary", eventId="nosuchevent"),
        },
    )
    assert answers["new"][0]["id"] == "batch00001"
    assert answers["get"][0]["id"] == existing["id"]
    assert answers["delete"] == ("", None)
    assert answers["again"][1].status_code == 409
    assert reason_of(answers["again"][1]) == "duplicate"
    assert reason_of(answers["missing"][1]) == "notFound"
    counts = google.call_counts()
    assert counts["batch"] == 1
    assert counts["calendar.events.insert"] == 3
    assert counts["calendar.events.get"] == 2
    assert counts["calendar.events.delete"] == 1


def test_faults_apply_inside_batches(google, api):
    google.inject_fault(
        403, "rateLimitExceeded", method="POST", path="/calendar/v3/calendars/*/events"
    )
    answers = run_batch(
        google,
        {
            "1": api.events().insert(calendarId="primary", body=timed(1)),
            "2": api.events().insert(calendarId="primary", body=timed(2)),
        },
    )
    error = answers["1"][1]
    assert error.status_code == 403
    assert error.error_details[0] == {
        "domain": "usageLimits",
        "reason": "rateLimitExceeded",
        "message": "Rate Limit Exceeded",
    }
    assert answers["2"][1] is None
    assert len(google.events(ADA)) == 1


def raw_batch(google, parts: list[str], authorization: str | None) -> requests.Response:
    boundary = "xyz"
    body = "".join(
        f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <part{number}>\r\n\r\n"
        f"{part}\r\n"
        for number, part in enumerate(parts)
    )
    headers = {"Content-Type": f"multipart/mixed; boundary={boundary}"}
    if authorization:
        headers["Authorization"] = authorization
    return requests.post(
        google.base_url + "/batch/calendar/v3", data=body + f"--{boundary}--\r\n", headers=headers
    )


def test_outer_authorization_covers_parts_and_absolute_urls_work(google):
    token = google.accounts.issue_access_token(
        ADA, {"https://www.googleapis.com/auth/calendar"}, "test-client"
    )
    google.set_paging()  # the calendar list in one page, to find ADA in it
    response = raw_batch(
        google,
        [
            f"GET {google.base_url}/calendar/v3/users/me/calendarList HTTP/1.1\r\n",
            "GET /calendar/v3/nowhere HTTP/1.1\r\n",
        ],
        f"Bearer {token}",
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("multipart/mixed; boundary=")
    assert "Content-ID: <response-part0>" in response.text
    assert "Content-ID: <response-part1>" in response.text
    assert "HTTP/1.1 200 OK" in response.text and "HTTP/1.1 404 Not Found" in response.text
    assert ADA in response.text


def test_more_than_1000_parts_are_refused(google):
    parts = ["GET /calendar/v3/users/me/calendarList HTTP/1.1\r\n"] * 1001
    response = raw_batch(google, parts, None)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 400
    assert raw_batch(google, parts[:1000], None).status_code == 200
