"""Calendars and the calendar list: primary per account, secondary calendars, deletion."""

from tests.google.conftest import ADA, all_items, all_pages, api_error, reason_of


def test_each_account_has_a_primary_calendar_named_by_its_email(api):
    (entry,) = all_items(api.calendarList())
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

    entries = {e["id"]: e for e in all_items(api.calendarList())}
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
    listed = [e["id"] for e in all_items(api.calendarList())]
    assert listed == [ADA]
    with_deleted = all_items(api.calendarList(), showDeleted=True)
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
    pages = all_pages(api.calendarList(), maxResults=3)
    assert len(pages) >= 2 and all(len(page["items"]) <= 3 for page in pages)
    seen = [e["id"] for page in pages for e in page["items"]]
    assert len(seen) == len(set(seen)) == 5
    assert len(all_items(api.calendarList(), minAccessRole="owner")) == 5
