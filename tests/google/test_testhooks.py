"""Test hooks, in Python and over HTTP: acting as the user, faults, latency, logs, reset."""

import time

import requests

from tests.google.conftest import ADA, api_error, reason_of, sync_token

EVENT = {
    "summary": "Dentist",
    "start": {"dateTime": "2030-05-01T09:00:00Z"},
    "end": {"dateTime": "2030-05-01T10:00:00Z"},
}


def test_injected_faults_hit_the_next_matching_calls_only(google, api):
    google.inject_fault(
        403,
        "rateLimitExceeded",
        method="POST",
        path="/calendar/v3/calendars/*/events",
        count=2,
    )
    api.events().list(calendarId="primary").execute()  # other method: untouched
    for _ in range(2):
        error = api_error(api.events().insert(calendarId="primary", body=EVENT))
        assert error.status_code == 403
        assert error.error_details[0]["domain"] == "usageLimits"
        assert reason_of(error) == "rateLimitExceeded"
    api.events().insert(calendarId="primary", body=EVENT).execute()
    assert len(google.events(ADA)) == 1


def test_faults_can_be_any_status_and_are_cleared(google, api):
    google.inject_fault(500, "backendError", count=None)
    for _ in range(3):
        assert api_error(api.calendarList().list()).status_code == 500
    google.clear_faults()
    api.calendarList().list().execute()


def test_a_done_fault_carries_the_call_out_and_loses_its_answer(google, api):
    google.inject_fault(
        500, "backendError", method="POST", path="/calendar/v3/calendars/*/events", done=True
    )
    body = {**EVENT, "id": "a0b1c2d3e4f5"}
    assert api_error(api.events().insert(calendarId="primary", body=body)).status_code == 500
    (event,) = google.events(ADA)  # written all the same
    assert event["id"] == "a0b1c2d3e4f5"
    # The fault is used up: the retry meets the event it made.
    assert api_error(api.events().insert(calendarId="primary", body=body)).status_code == 409
    # Over HTTP too; `done` must be a boolean.
    faults = google.base_url + "/_test/faults"
    for done in ("yes", 1):
        refused = requests.post(faults, json={"status": 500, "done": done}, timeout=5)
        assert refused.status_code == 400
    answer = requests.post(faults, json={"status": 503, "done": True}, timeout=5)
    assert answer.status_code == 204
    assert api_error(api.calendars().insert(body={"summary": "Acme"})).status_code == 503
    assert any(c["summary"] == "Acme" for c in google.calendar_list(ADA))


def test_latency_is_added_to_matching_calls(google, api):
    google.add_latency(0.3, method="GET", path="/calendar/v3/calendars/*/events", count=1)
    started = time.monotonic()
    api.events().list(calendarId="primary").execute()
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    api.events().list(calendarId="primary").execute()
    assert time.monotonic() - started < 0.3


def test_request_log_and_call_counts(google, api):
    event = api.events().insert(calendarId="primary", body=EVENT).execute()
    api.events().get(calendarId="primary", eventId=event["id"]).execute()
    api_error(api.events().get(calendarId="primary", eventId="nosuchevent"))
    assert google.call_counts() == {"calendar.events.insert": 1, "calendar.events.get": 2}
    last = google.request_log()[-1]
    assert last["method"] == "GET"
    assert last["path"] == "/calendar/v3/calendars/primary/events/nosuchevent"
    assert (last["methodId"], last["status"], last["batchPart"]) == (
        "calendar.events.get",
        404,
        False,
    )
    google.reset_request_log()
    assert google.call_counts() == {} and google.request_log() == []


def test_acting_as_the_user_in_googles_ui(google, api):
    calendar = google.create_calendar(ADA, "Personal", timeZone="Europe/Oslo")
    event = google.insert_event(ADA, calendar["id"], EVENT)
    assert event["creator"] == {"email": ADA, "self": True}
    google.patch_event(ADA, calendar["id"], event["id"], {"summary": "Doctor"})
    fetched = api.events().get(calendarId=calendar["id"], eventId=event["id"]).execute()
    assert fetched["summary"] == "Doctor"
    google.delete_event(ADA, calendar["id"], event["id"])
    assert google.events(ADA, calendar["id"]) == []
    assert google.events(ADA, calendar["id"], deleted=True)[0]["status"] == "cancelled"
    google.delete_calendar(ADA, calendar["id"])
    assert [c.get("deleted", False) for c in google.calendar_list(ADA)] == [False, True]


def test_reset_forgets_calendar_data(google, api):
    api.events().insert(calendarId="primary", body=EVENT).execute()
    other = api.calendars().insert(body={"summary": "Other"}).execute()
    google.reset()
    assert api.events().list(calendarId="primary").execute()["items"] == []
    assert reason_of(api_error(api.calendars().get(calendarId=other["id"]))) == "notFound"
    assert google.call_counts() == {"calendar.events.list": 1, "calendar.calendars.get": 1}


def test_http_hooks(google, api):
    base = google.base_url + "/_test"
    account = f"{base}/accounts/{ADA}/calendars"

    calendar = requests.post(account, json={"summary": "Personal"}).json()
    assert calendar["id"].endswith("@group.calendar.google.com")
    assert [c["id"] for c in requests.get(account).json()["items"]] == [ADA, calendar["id"]]
    events_url = f"{account}/{calendar['id']}/events"
    event = requests.post(events_url, json=EVENT).json()
    patched = requests.patch(f"{events_url}/{event['id']}", json={"summary": "Doctor"}).json()
    assert patched["summary"] == "Doctor"
    assert [e["summary"] for e in requests.get(events_url).json()["items"]] == ["Doctor"]
    assert requests.delete(f"{events_url}/{event['id']}").status_code == 204
    assert requests.get(events_url).json()["items"] == []
    assert len(requests.get(events_url, params={"deleted": "true"}).json()["items"]) == 1
    missing = requests.delete(f"{events_url}/{event['id']}")
    assert (missing.status_code, missing.json()["error"]["errors"][0]["reason"]) == (410, "deleted")

    token = sync_token(api.events(), calendarId=calendar["id"])
    invalidate = requests.post(f"{account}/{calendar['id']}/invalidate-sync-tokens")
    assert invalidate.status_code == 204
    error = api_error(api.events().list(calendarId=calendar["id"], syncToken=token))
    assert reason_of(error) == "fullSyncRequired"

    fault = {"method": "GET", "path": "/calendar/v3/users/me/calendarList", "status": 429}
    assert requests.post(f"{base}/faults", json=fault).status_code == 204
    assert api_error(api.calendarList().list()).status_code == 429
    assert requests.post(f"{base}/latency", json={"seconds": 0.01}).status_code == 204
    assert requests.delete(f"{base}/faults").status_code == 204
    assert requests.post(f"{base}/faults", json={"reason": "no status"}).status_code == 400

    log = requests.get(f"{base}/requests").json()
    assert log["counts"]["calendar.calendarList.list"] == 1
    assert log["requests"][-1]["methodId"] == "calendar.calendarList.list"
    assert all(not entry["path"].startswith("/_test/") for entry in log["requests"])
    assert requests.delete(f"{base}/requests").status_code == 204
    assert requests.get(f"{base}/requests").json() == {"requests": [], "counts": {}}

    requests.delete(f"{account}/{calendar['id']}").raise_for_status()
    assert requests.post(f"{base}/reset").status_code == 204
    assert requests.get(account).json()["items"][0]["id"] == ADA


def test_http_notification_hooks(google, api, receiver):
    api.events().watch(
        calendarId="primary", body={"id": "c1", "type": "web_hook", "address": receiver.url}
    ).execute()
    waited = requests.post(f"{google.base_url}/_test/notifications/wait", json={"timeout": 5})
    body = waited.json()
    assert body["idle"] is True
    assert body["deliveries"][0]["headers"]["X-Goog-Resource-State"] == "sync"
    listed = requests.get(f"{google.base_url}/_test/notifications").json()
    assert listed["deliveries"] == body["deliveries"]
