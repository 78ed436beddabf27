"""Single events: ids, the fields Google fills in, deletion, etags, sequence, patch/update."""

import re

import pytest

from tests.google.conftest import ADA, all_items, api_error, reason_of


def timed(start: str, end: str, **fields) -> dict:
    return {"start": {"dateTime": start}, "end": {"dateTime": end}, **fields}


MEETING = timed("2030-05-01T09:00:00Z", "2030-05-01T10:00:00Z", summary="Meeting")


def insert(api, body=MEETING, calendar_id="primary") -> dict:
    return api.events().insert(calendarId=calendar_id, body=body).execute()


def test_insert_fills_in_what_google_fills_in(api):
    event = insert(api)
    assert re.fullmatch(r"[a-v0-9]{5,1024}", event["id"])
    assert event["kind"] == "calendar#event"
    assert event["status"] == "confirmed"
    assert event["eventType"] == "default"
    assert event["sequence"] == 0
    assert event["iCalUID"] == event["id"] + "@google.com"
    assert event["htmlLink"].startswith("https://www.google.com/calendar/event?eid=")
    assert event["organizer"] == {"email": ADA, "self": True}
    assert event["creator"] == {"email": ADA, "self": True}
    assert event["created"].endswith("Z") and event["updated"].endswith("Z")
    assert event["etag"].startswith('"')
    assert event["start"] == {"dateTime": "2030-05-01T09:00:00Z"}
    assert api.events().get(calendarId="primary", eventId=event["id"]).execute() == event


def test_organizer_of_a_secondary_calendar_is_the_calendar(api):
    calendar = api.calendars().insert(body={"summary": "Acme"}).execute()
    event = insert(api, calendar_id=calendar["id"])
    assert event["organizer"] == {"email": calendar["id"], "displayName": "Acme", "self": True}


@pytest.mark.parametrize("event_id", ["abcde", "0123456789abcdefghijklmnopqrstuv", "a" * 1024])
def test_client_chosen_ids_in_base32hex_are_kept(api, event_id):
    assert insert(api, {**MEETING, "id": event_id})["id"] == event_id


@pytest.mark.parametrize("event_id", ["abcd", "a" * 1025, "abcdw", "ABCDE", "abc_de", "abc-de"])
def test_ids_outside_the_rules_are_invalid(api, event_id):
    error = api_error(api.events().insert(calendarId="primary", body={**MEETING, "id": event_id}))
    assert (error.status_code, reason_of(error)) == (400, "invalid")


def test_reused_id_is_a_duplicate_even_after_deletion(api):
    insert(api, {**MEETING, "id": "booking0001"})
    error = api_error(
        api.events().insert(calendarId="primary", body={**MEETING, "id": "booking0001"})
    )
    assert (error.status_code, reason_of(error)) == (409, "duplicate")
    api.events().delete(calendarId="primary", eventId="booking0001").execute()
    error = api_error(
        api.events().insert(calendarId="primary", body={**MEETING, "id": "booking0001"})
    )
    assert (error.status_code, reason_of(error)) == (409, "duplicate")


def test_deleted_events_are_cancelled_not_gone(api):
    event = insert(api)
    api.events().delete(calendarId="primary", eventId=event["id"]).execute()
    fetched = api.events().get(calendarId="primary", eventId=event["id"]).execute()
    assert fetched["status"] == "cancelled"
    assert fetched["etag"] != event["etag"]
    error = api_error(api.events().delete(calendarId="primary", eventId=event["id"]))
    assert (error.status_code, reason_of(error)) == (410, "deleted")
    # Patching the status back undeletes it, as in Google Calendar's trash.
    api.events().patch(
        calendarId="primary", eventId=event["id"], body={"status": "confirmed"}
    ).execute()
    assert len(all_items(api.events(), calendarId="primary")) == 1


@pytest.mark.parametrize("method", ["get", "patch", "update", "delete"])
def test_unknown_event_is_not_found(api, method):
    events = api.events()
    call = {
        "get": lambda: events.get(calendarId="primary", eventId="nosuchevent"),
        "patch": lambda: events.patch(calendarId="primary", eventId="nosuchevent", body={}),
        "update": lambda: events.update(calendarId="primary", eventId="nosuchevent", body=MEETING),
        "delete": lambda: events.delete(calendarId="primary", eventId="nosuchevent"),
    }[method]()
    error = api_error(call)
    assert (error.status_code, reason_of(error)) == (404, "notFound")


def test_etag_changes_on_every_change_and_if_match_guards_writes(api):
    event = insert(api)
    patched = (
        api.events()
        .patch(calendarId="primary", eventId=event["id"], body={"summary": "Moved"})
        .execute()
    )
    again = (
        api.events()
        .patch(calendarId="primary", eventId=event["id"], body={"summary": "Moved"})
        .execute()
    )
    assert len({event["etag"], patched["etag"], again["etag"]}) == 3

    for make in (
        lambda: api.events().patch(
            calendarId="primary", eventId=event["id"], body={"summary": "x"}
        ),
        lambda: api.events().update(calendarId="primary", eventId=event["id"], body=MEETING),
        lambda: api.events().delete(calendarId="primary", eventId=event["id"]),
    ):
        stale = make()
        stale.headers["If-Match"] = event["etag"]
        error = api_error(stale)
        assert (error.status_code, reason_of(error)) == (412, "conditionNotMet")

    fresh = api.events().delete(calendarId="primary", eventId=event["id"])
    fresh.headers["If-Match"] = again["etag"]
    fresh.execute()


def test_sequence_bumps_on_time_changes_and_never_decreases(api):
    event = insert(api)
    renamed = (
        api.events()
        .patch(calendarId="primary", eventId=event["id"], body={"summary": "Renamed"})
        .execute()
    )
    assert renamed["sequence"] == 0
    moved = (
        api.events()
        .patch(
            calendarId="primary",
            eventId=event["id"],
            body={"end": {"dateTime": "2030-05-01T11:00:00Z"}},
        )
        .execute()
    )
    assert moved["sequence"] == 1
    error = api_error(
        api.events().patch(calendarId="primary", eventId=event["id"], body={"sequence": 0})
    )
    assert (error.status_code, reason_of(error)) == (400, "invalid")
    chosen = (
        api.events()
        .patch(calendarId="primary", eventId=event["id"], body={"sequence": 5})
        .execute()
    )
    assert chosen["sequence"] == 5


def test_patch_merges_objects_replaces_arrays_and_null_clears(api):
    event = insert(
        api,
        {
            **MEETING,
            "description": "bring notes",
            "extendedProperties": {"private": {"booking": "b1", "worker": "w1"}},
            "attendees": [{"email": "x@example.com"}, {"email": "y@example.com"}],
        },
    )
    patched = (
        api.events()
        .patch(
            calendarId="primary",
            eventId=event["id"],
            body={
                "extendedProperties": {"private": {"worker": "w2"}, "shared": {"k": "v"}},
                "attendees": [{"email": "z@example.com"}],
                "description": None,
            },
        )
        .execute()
    )
    assert patched["extendedProperties"] == {
        "private": {"booking": "b1", "worker": "w2"},
        "shared": {"k": "v"},
    }
    assert [a["email"] for a in patched["attendees"]] == ["z@example.com"]
    assert "description" not in patched
    assert patched["summary"] == "Meeting"


def test_update_replaces_the_resource(api):
    event = insert(api, {**MEETING, "description": "bring notes", "location": "Oslo"})
    updated = (
        api.events()
        .update(
            calendarId="primary",
            eventId=event["id"],
            body=timed("2030-05-01T09:00:00Z", "2030-05-01T10:00:00Z", summary="Only this"),
        )
        .execute()
    )
    assert updated["summary"] == "Only this"
    assert "description" not in updated and "location" not in updated
    assert (updated["id"], updated["created"], updated["iCalUID"]) == (
        event["id"],
        event["created"],
        event["iCalUID"],
    )


@pytest.mark.parametrize(
    "event_type", ["default", "workingLocation", "birthday", "outOfOffice", "focusTime"]
)
def test_event_types_are_kept(api, event_type):
    event = insert(api, {**MEETING, "eventType": event_type})
    fetched = api.events().get(calendarId="primary", eventId=event["id"]).execute()
    assert fetched["eventType"] == event_type


def test_event_type_cannot_be_from_gmail_or_change(api):
    error = api_error(
        api.events().insert(calendarId="primary", body={**MEETING, "eventType": "fromGmail"})
    )
    assert error.status_code == 400
    event = insert(api)
    error = api_error(
        api.events().patch(
            calendarId="primary", eventId=event["id"], body={"eventType": "focusTime"}
        )
    )
    assert error.status_code == 400


def test_transparency_and_attendee_responses_are_kept(api):
    event = insert(
        api,
        {
            **MEETING,
            "transparency": "transparent",
            "attendees": [
                {"email": ADA, "responseStatus": "declined"},
                {"email": "guest@example.com"},
            ],
        },
    )
    assert event["transparency"] == "transparent"
    ada, guest = event["attendees"]
    assert ada == {"email": ADA, "responseStatus": "declined", "self": True, "organizer": True}
    assert guest == {"email": "guest@example.com", "responseStatus": "needsAction"}


def test_all_day_events_use_dates_with_exclusive_end(api):
    event = insert(
        api, {"summary": "Holiday", "start": {"date": "2030-05-01"}, "end": {"date": "2030-05-02"}}
    )
    assert (event["start"], event["end"]) == ({"date": "2030-05-01"}, {"date": "2030-05-02"})
    for end in ("2030-05-01", "2030-04-30"):
        error = api_error(
            api.events().insert(
                calendarId="primary",
                body={"start": {"date": "2030-05-01"}, "end": {"date": end}},
            )
        )
        assert (error.status_code, reason_of(error)) == (400, "timeRangeEmpty")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (timed("2030-05-01T10:00:00Z", "2030-05-01T09:00:00Z"), "timeRangeEmpty"),
        ({"start": {"dateTime": "2030-05-01T10:00:00Z"}}, "required"),
        (timed("2030-05-01T10:00:00", "2030-05-01T11:00:00"), "required"),
        (
            {"start": {"date": "2030-05-01"}, "end": {"dateTime": "2030-05-01T11:00:00Z"}},
            "badRequest",
        ),
        (
            {
                "start": {"date": "2030-05-01", "dateTime": "2030-05-01T10:00:00Z"},
                "end": {"date": "2030-05-02"},
            },
            "invalid",
        ),
        (
            {
                "start": {"dateTime": "2030-05-01T10:00:00", "timeZone": "Mars/Olympus"},
                "end": {"dateTime": "2030-05-01T11:00:00Z"},
            },
            "invalid",
        ),
    ],
)
def test_bad_times_are_rejected(api, body, reason):
    error = api_error(api.events().insert(calendarId="primary", body=body))
    assert (error.status_code, reason_of(error)) == (400, reason)


def test_local_time_with_time_zone_gets_its_offset(api):
    event = insert(
        api,
        {
            "start": {"dateTime": "2030-07-01T09:00:00", "timeZone": "Europe/Oslo"},
            "end": {"dateTime": "2030-07-01T10:00:00", "timeZone": "Europe/Oslo"},
        },
    )
    assert event["start"] == {"dateTime": "2030-07-01T09:00:00+02:00", "timeZone": "Europe/Oslo"}
