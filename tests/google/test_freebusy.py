"""freebusy.query: merged busy periods from events that block time; errors per calendar."""

import pytest

from tests.google.conftest import ADA, api_error, reason_of

WINDOW = {"timeMin": "2030-05-01T00:00:00Z", "timeMax": "2030-05-02T00:00:00Z"}


def timed(start: str, end: str, **fields) -> dict:
    return {"start": {"dateTime": start}, "end": {"dateTime": end}, **fields}


def test_busy_periods_merge_and_skip_free_time(google, api):
    for body in [
        timed("2030-05-01T09:00:00Z", "2030-05-01T10:00:00Z"),
        timed("2030-05-01T09:30:00Z", "2030-05-01T11:00:00Z"),  # overlaps: merged
        timed("2030-05-01T13:00:00Z", "2030-05-01T14:00:00Z", transparency="transparent"),
        timed("2030-05-01T15:00:00Z", "2030-05-01T16:00:00Z", eventType="workingLocation"),
        timed(
            "2030-05-01T17:00:00Z",
            "2030-05-01T18:00:00Z",
            attendees=[{"email": ADA, "responseStatus": "declined"}],
        ),
        timed("2030-04-30T23:00:00Z", "2030-05-01T01:00:00Z"),  # clipped to the window
    ]:
        api.events().insert(calendarId="primary", body=body).execute()
    cancelled = (
        api.events()
        .insert(calendarId="primary", body=timed("2030-05-01T19:00:00Z", "2030-05-01T20:00:00Z"))
        .execute()
    )
    api.events().delete(calendarId="primary", eventId=cancelled["id"]).execute()
    api.events().insert(
        calendarId="primary",
        body={
            "start": {"dateTime": "2030-04-28T21:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2030-04-28T22:00:00", "timeZone": "UTC"},
            "recurrence": ["RRULE:FREQ=DAILY"],
        },
    ).execute()

    answer = api.freebusy().query(body={**WINDOW, "items": [{"id": "primary"}]}).execute()
    assert answer["kind"] == "calendar#freeBusy"
    assert answer["calendars"]["primary"]["busy"] == [
        {"start": "2030-05-01T00:00:00Z", "end": "2030-05-01T01:00:00Z"},
        {"start": "2030-05-01T09:00:00Z", "end": "2030-05-01T11:00:00Z"},
        {"start": "2030-05-01T21:00:00Z", "end": "2030-05-01T22:00:00Z"},
    ]


def test_unknown_calendars_get_an_error_of_their_own(api, calendar_api):
    other = calendar_api("bob@example.com").calendars().insert(body={"summary": "Bob"}).execute()
    answer = (
        api.freebusy()
        .query(
            body={
                **WINDOW,
                "items": [{"id": ADA}, {"id": other["id"]}, {"id": "nobody@example.com"}],
            }
        )
        .execute()
    )
    assert answer["calendars"][ADA] == {"busy": []}
    for calendar_id in (other["id"], "nobody@example.com"):
        assert answer["calendars"][calendar_id]["errors"][0]["reason"] == "notFound"


def test_at_most_50_calendars(api):
    items = [{"id": f"c{number}@example.com"} for number in range(51)]
    error = api_error(api.freebusy().query(body={**WINDOW, "items": items}))
    assert error.status_code == 400
    api.freebusy().query(body={**WINDOW, "items": items[:50]}).execute()


@pytest.mark.parametrize("scope", ["calendar.freebusy", "calendar.readonly"])
def test_freebusy_scopes(calendar_api, scope):
    reader = calendar_api(scopes=(scope,))
    reader.freebusy().query(body={**WINDOW, "items": [{"id": "primary"}]}).execute()


def test_events_readonly_does_not_cover_freebusy(calendar_api):
    """As the discovery document lists: freebusy.query needs a calendar or freebusy scope."""
    reader = calendar_api(scopes=("calendar.events.readonly",))
    error = api_error(reader.freebusy().query(body={**WINDOW, "items": [{"id": "primary"}]}))
    assert reason_of(error) == "insufficientPermissions"
