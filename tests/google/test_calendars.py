"""Calendars and the calendar list: primary per account, secondary calendars, deletion."""

from tests.google.conftest import ADA, api_error, reason_of


def test_each_account_has_a_primary_calendar_named_by_its_email(api):
    (entry,) = api.calendarList().list().execute()["items"]
    assert entry["id"] == ADA
    assert entry["primary"] is True
    assert entry["accessRole"] == "owner"
    assert entry["kind"] == "calendar#calendarListEntry"
    assert api.calendars().get(calendarId="primary").execute()["id"] == ADA


def test_secondary_calendar_lifecycle(api):
    created = (
        api.calendars()
        .insert(body={"summary": "Acme bookings", "timeZone": "Europe/Oslo"})
        .execute()
    )
    assert created["id"].endswith("@group.calendar.google.com")
    assert created["kind"] == "calendar#calendar"
    assert created["dataOwner"] == ADA

    entries = {e["id"]: e for e in api.calendarList().list().execute()["items"]}
    assert entries[created["id"]]["accessRole"] == "owner"
    assert entries[created["id"]]["summary"] == "Acme bookings"
    assert "primary" not in entries[created["id"]]
    assert api.calendarList().get(calendarId=created["id"]).execute()["timeZone"] == "Europe/Oslo"

    patched = api.calendars().patch(calendarId=created["id"], body={"summary": "Acme"}).execute()
    assert (patched["summary"], patched["timeZone"]) == ("Acme", "Europe/Oslo")
    assert patched["etag"] != created["etag"]

    api.calendars().delete(calendarId=created["id"]).execute()
    error = api_error(api.calendars().get(calendarId=created["id"]))
    assert (error.status_code, reason_of(error)) == (404, "notFound")
    assert reason_of(api_error(api.events().list(calendarId=created["id"]))) == "notFound"
    listed = [e["id"] for e in api.calendarList().list().execute()["items"]]
    assert listed == [ADA]
    with_deleted = api.calendarList().list(showDeleted=True).execute()["items"]
    assert [e.get("deleted", False) for e in with_deleted] == [False, True]


def test_primary_calendar_cannot_be_deleted(api):
    error = api_error(api.calendars().delete(calendarId="primary"))
    assert error.status_code == 400
    assert api.calendars().get(calendarId="primary").execute()["id"] == ADA


def test_calendar_needs_a_title(api):
    error = api_error(api.calendars().insert(body={"description": "no summary"}))
    assert (error.status_code, reason_of(error)) == (400, "required")


def test_calendar_list_pages(api):
    for number in range(4):
        api.calendars().insert(body={"summary": f"Calendar {number}"}).execute()
    first = api.calendarList().list(maxResults=3).execute()
    second = api.calendarList().list(maxResults=3, pageToken=first["nextPageToken"]).execute()
    assert len(first["items"]) == 3
    assert len(second["items"]) == 2
    assert "nextPageToken" not in second
    seen = [e["id"] for e in first["items"] + second["items"]]
    assert len(set(seen)) == 5
    assert len(api.calendarList().list(minAccessRole="owner").execute()["items"]) == 5
