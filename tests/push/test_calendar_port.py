"""The Calendar port's event calls against the Google stand-in: idempotent inserts under our
own ids, updates guarded by the stored etag, deletes that tolerate a missing event."""

from __future__ import annotations

import pytest
from google.oauth2.credentials import Credentials

from shared.google.calendar import EventGone, GoogleCalendar

FULL = "https://www.googleapis.com/auth/calendar"
ANN = "ann@example.com"
EVENT_ID = "abcdefghij0123456789"
BODY = {
    "summary": "Confirmed: Ada Lovelace, boiler service",
    "start": {"dateTime": "2026-12-01T09:00:00+01:00", "timeZone": "Europe/Oslo"},
    "end": {"dateTime": "2026-12-01T11:00:00+01:00", "timeZone": "Europe/Oslo"},
}


@pytest.fixture
def port(stack):
    token = stack.google.accounts.issue_access_token(ANN, {FULL}, client_id="google-ui")
    calendar = GoogleCalendar(stack.config, Credentials(token))
    calendar_id, _ = calendar.ensure_company_calendar(None, "Acme", "Europe/Oslo")
    stack.google.reset_request_log()
    return calendar, calendar_id, stack.google


def events_of(port_fixture):
    calendar, calendar_id, _ = port_fixture
    return calendar._service.events().list(calendarId=calendar_id, showDeleted=True).execute()


def calls(google) -> dict[str, int]:
    return {k: v for k, v in google.call_counts().items() if k.startswith("calendar.events")}


def test_an_insert_creates_the_event_under_our_id_and_notifies_nobody(port):
    calendar, calendar_id, google = port
    etag = calendar.insert_event(calendar_id, EVENT_ID, BODY)
    assert calls(google) == {"calendar.events.insert": 1}
    (entry,) = google.request_log()
    assert "sendUpdates=none" in entry["query"]
    (event,) = events_of(port)["items"]
    assert (event["id"], event["summary"], event["etag"]) == (EVENT_ID, BODY["summary"], etag)


def test_an_insert_retried_after_a_lost_answer_is_done_without_writing_again(port):
    calendar, calendar_id, google = port
    first = calendar.insert_event(calendar_id, EVENT_ID, BODY)
    google.reset_request_log()
    assert calendar.insert_event(calendar_id, EVENT_ID, BODY) == first
    assert calls(google) == {"calendar.events.insert": 1, "calendar.events.get": 1}


def test_an_insert_meeting_an_older_version_of_its_event_writes_the_new_one(port):
    calendar, calendar_id, _ = port
    calendar.insert_event(calendar_id, EVENT_ID, BODY)
    calendar.insert_event(calendar_id, EVENT_ID, {**BODY, "summary": "Rescheduled"})
    (event,) = events_of(port)["items"]
    assert event["summary"] == "Rescheduled"


def test_an_update_after_an_edit_in_google_reads_once_and_puts_our_content_back(port):
    calendar, calendar_id, google = port
    etag = calendar.insert_event(calendar_id, EVENT_ID, BODY)
    calendar._service.events().patch(
        calendarId=calendar_id, eventId=EVENT_ID, body={"summary": "edited by Ann"}
    ).execute()
    google.reset_request_log()
    new_etag = calendar.update_event(calendar_id, EVENT_ID, {**BODY, "summary": "v2"}, etag)
    assert calls(google) == {"calendar.events.update": 2, "calendar.events.get": 1}
    (event,) = events_of(port)["items"]
    assert (event["summary"], event["etag"]) == ("v2", new_etag)


def test_an_update_of_an_event_deleted_in_google_puts_it_back(port):
    """Deleting in Google only cancels an event; the booking still wants it, so it returns."""
    calendar, calendar_id, _ = port
    etag = calendar.insert_event(calendar_id, EVENT_ID, BODY)
    calendar._service.events().delete(calendarId=calendar_id, eventId=EVENT_ID).execute()
    calendar.update_event(calendar_id, EVENT_ID, {**BODY, "summary": "v2"}, etag)
    (event,) = events_of(port)["items"]
    assert (event["status"], event["summary"]) == ("confirmed", "v2")


def test_an_update_of_an_event_that_is_not_there_says_it_is_gone(port):
    calendar, calendar_id, _ = port
    with pytest.raises(EventGone):
        calendar.update_event(calendar_id, "neverexisted12345", BODY, None)


def test_a_delete_of_a_missing_event_is_done_and_a_deleted_id_can_be_inserted_again(port):
    calendar, calendar_id, _ = port
    calendar.insert_event(calendar_id, EVENT_ID, BODY)
    calendar.delete_event(calendar_id, EVENT_ID)
    calendar.delete_event(calendar_id, EVENT_ID)  # a redelivered task: nothing to do
    calendar.delete_event(calendar_id, "neverexisted12345")
    calendar.insert_event(calendar_id, EVENT_ID, {**BODY, "summary": "back again"})
    (event,) = events_of(port)["items"]
    assert (event["status"], event["summary"]) == ("confirmed", "back again")
