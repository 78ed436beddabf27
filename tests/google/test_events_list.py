"""events.list: visibility of deleted events, paging, sync tokens, filters and ordering."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.google.conftest import ADA, api_error, reason_of, sync_token


def timed(start: str, end: str, **fields) -> dict:
    return {"start": {"dateTime": start}, "end": {"dateTime": end}, **fields}


def hour(day: int, at: int, **fields) -> dict:
    return timed(
        f"2030-05-{day:02d}T{at:02d}:00:00Z", f"2030-05-{day:02d}T{at + 1:02d}:00:00Z", **fields
    )


def list_all(api, **params) -> tuple[list[dict], str]:
    """Every page of a list; the items and the final nextSyncToken."""
    items, token = [], None
    while True:
        page = api.events().list(calendarId="primary", pageToken=token, **params).execute()
        items += page["items"]
        token = page.get("nextPageToken")
        if token is None:
            return items, page["nextSyncToken"]
        assert "nextSyncToken" not in page  # only the last page carries it


def test_cancelled_events_show_only_when_asked(api):
    kept = api.events().insert(calendarId="primary", body=hour(1, 9)).execute()
    gone = api.events().insert(calendarId="primary", body=hour(1, 11, summary="Gone")).execute()
    api.events().delete(calendarId="primary", eventId=gone["id"]).execute()
    assert [e["id"] for e in list_all(api)[0]] == [kept["id"]]
    with_deleted = {e["id"]: e for e in list_all(api, showDeleted=True)[0]}
    assert with_deleted[gone["id"]]["status"] == "cancelled"
    assert with_deleted[gone["id"]]["summary"] == "Gone"  # showDeleted keeps the details


def test_pages_cover_everything_once_and_the_sync_token_comes_last(google, api):
    for day in range(1, 8):
        google.insert_event(ADA, "primary", hour(day, 9))
    page = api.events().list(calendarId="primary", maxResults=3).execute()
    assert len(page["items"]) <= 3 and "nextPageToken" in page  # maybe short, never the last
    items, sync_token = list_all(api, maxResults=3)
    assert len(items) == len({e["id"] for e in items}) == 7
    assert sync_token


def test_page_size_is_clamped_to_2500(google, api):
    for number in range(2501):
        google.insert_event(ADA, "primary", hour(1 + number % 28, 9))
    google.set_paging()  # full pages (Google never promises them), to see the clamp
    page = api.events().list(calendarId="primary", maxResults=5000).execute()
    assert len(page["items"]) == 2500
    assert "nextPageToken" in page
    assert len(api.events().list(calendarId="primary").execute()["items"]) == 250


def test_sync_token_returns_each_change_since_including_deletions(api):
    first = api.events().insert(calendarId="primary", body=hour(1, 9)).execute()
    second = api.events().insert(calendarId="primary", body=hour(2, 9)).execute()
    _, token = list_all(api)

    added = api.events().insert(calendarId="primary", body=hour(3, 9)).execute()
    api.events().patch(calendarId="primary", eventId=first["id"], body={"summary": "x"}).execute()
    api.events().delete(calendarId="primary", eventId=second["id"]).execute()

    changes, token = list_all(api, syncToken=token)
    by_id = {e["id"]: e for e in changes}
    assert set(by_id) == {first["id"], second["id"], added["id"]}
    assert by_id[first["id"]]["summary"] == "x"
    assert by_id[second["id"]]["status"] == "cancelled"
    assert "summary" not in by_id[second["id"]]  # deletions come as bare stubs
    assert list_all(api, syncToken=token)[0] == []


def test_changes_made_while_paging_arrive_with_the_next_increment(api):
    for day in range(1, 5):
        api.events().insert(calendarId="primary", body=hour(day, 9)).execute()
    page = api.events().list(calendarId="primary", maxResults=2).execute()
    late = api.events().insert(calendarId="primary", body=hour(9, 9)).execute()
    items, token = list(page["items"]), page["nextPageToken"]
    while token:
        rest = api.events().list(calendarId="primary", maxResults=2, pageToken=token).execute()
        items, token = items + rest["items"], rest.get("nextPageToken")
    assert late["id"] not in [e["id"] for e in items]
    changes, _ = list_all(api, syncToken=rest["nextSyncToken"])
    assert [e["id"] for e in changes] == [late["id"]]


@pytest.mark.parametrize(
    "clash",
    [
        {"timeMin": "2030-01-01T00:00:00Z"},
        {"timeMax": "2030-01-01T00:00:00Z"},
        {"q": "x"},
        {"updatedMin": "2030-01-01T00:00:00Z"},
        {"orderBy": "updated"},
        {"iCalUID": "x@google.com"},
        {"privateExtendedProperty": "a=b"},
        {"sharedExtendedProperty": "a=b"},
    ],
)
def test_sync_token_refuses_filters(api, clash):
    _, token = list_all(api)
    error = api_error(api.events().list(calendarId="primary", syncToken=token, **clash))
    assert error.status_code == 400


def test_invalidated_sync_token_needs_a_full_sync(google, api):
    _, token = list_all(api)
    google.invalidate_sync_tokens(ADA, "primary")
    error = api_error(api.events().list(calendarId="primary", syncToken=token))
    assert (error.status_code, reason_of(error)) == (410, "fullSyncRequired")
    _, fresh = list_all(api)
    assert list_all(api, syncToken=fresh)[0] == []


def test_sync_token_of_another_calendar_needs_a_full_sync(api):
    other = api.calendars().insert(body={"summary": "Other"}).execute()
    token = sync_token(api.events(), calendarId=other["id"])
    error = api_error(api.events().list(calendarId="primary", syncToken=token))
    assert reason_of(error) == "fullSyncRequired"


def test_time_window_keeps_overlapping_events(api):
    ids = {}
    for name, body in {
        "before": timed("2030-05-01T07:00:00Z", "2030-05-01T08:00:00Z"),
        "ends_at_min": timed("2030-05-01T08:00:00Z", "2030-05-01T09:00:00Z"),
        "overlaps_start": timed("2030-05-01T08:30:00Z", "2030-05-01T09:30:00Z"),
        "inside": timed("2030-05-01T10:00:00Z", "2030-05-01T11:00:00Z"),
        "overlaps_end": timed("2030-05-01T11:30:00Z", "2030-05-01T12:30:00Z"),
        "starts_at_max": timed("2030-05-01T12:00:00Z", "2030-05-01T13:00:00Z"),
        "offset": timed("2030-05-01T11:00:00+02:00", "2030-05-01T12:00:00+02:00"),
        "all_day": {"start": {"date": "2030-05-01"}, "end": {"date": "2030-05-02"}},
        "all_day_before": {"start": {"date": "2030-04-30"}, "end": {"date": "2030-05-01"}},
    }.items():
        ids[api.events().insert(calendarId="primary", body=body).execute()["id"]] = name
    items, _ = list_all(api, timeMin="2030-05-01T09:00:00Z", timeMax="2030-05-01T12:00:00Z")
    assert sorted(ids[e["id"]] for e in items) == [
        "all_day",
        "inside",
        "offset",
        "overlaps_end",
        "overlaps_start",
    ]


def test_order_by_start_time_needs_single_events(api):
    error = api_error(api.events().list(calendarId="primary", orderBy="startTime"))
    assert error.status_code == 400
    for day in (3, 1, 2):
        api.events().insert(calendarId="primary", body=hour(day, 9, summary=str(day))).execute()
    items, _ = list_all(api, orderBy="startTime", singleEvents=True)
    assert [e["summary"] for e in items] == ["1", "2", "3"]


def test_order_by_updated(api):
    created = [
        api.events().insert(calendarId="primary", body=hour(day, 9)).execute() for day in (1, 2, 3)
    ]
    api.events().patch(
        calendarId="primary", eventId=created[0]["id"], body={"summary": "x"}
    ).execute()
    items, _ = list_all(api, orderBy="updated")
    assert [e["id"] for e in items] == [created[1]["id"], created[2]["id"], created[0]["id"]]


def test_free_text_search(api):
    matching = [
        hour(1, 9, summary="Dentist appointment"),
        hour(2, 9, description="see the DENTIST"),
        hour(3, 9, location="Dentist street 1"),
        hour(4, 9, attendees=[{"email": "dentist@example.com"}]),
    ]
    for body in matching + [hour(5, 9, summary="Gym")]:
        api.events().insert(calendarId="primary", body=body).execute()
    assert len(list_all(api, q="dentist")[0]) == 4


def test_extended_property_filters_are_anded(api):
    def with_props(private, shared=None):
        properties = {"private": private} | ({"shared": shared} if shared else {})
        return hour(1, 9, extendedProperties=properties)

    both = (
        api.events().insert(calendarId="primary", body=with_props({"a": "1", "b": "2"})).execute()
    )
    api.events().insert(calendarId="primary", body=with_props({"a": "1", "b": "3"})).execute()
    shared = api.events().insert(calendarId="primary", body=with_props({}, {"a": "1"})).execute()
    items, _ = list_all(api, privateExtendedProperty=["a=1", "b=2"])
    assert [e["id"] for e in items] == [both["id"]]
    assert [e["id"] for e in list_all(api, sharedExtendedProperty="a=1")[0]] == [shared["id"]]
    assert len(list_all(api, privateExtendedProperty="a=1")[0]) == 2


def test_updated_min_filters_on_updated_and_includes_deleted_events(api):
    kept = api.events().insert(calendarId="primary", body=hour(1, 9)).execute()
    gone = api.events().insert(calendarId="primary", body=hour(2, 9)).execute()
    api.events().delete(calendarId="primary", eventId=gone["id"]).execute()
    a_day_ago = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    items, _ = list_all(api, updatedMin=a_day_ago)
    assert {(e["id"], e["status"]) for e in items} == {
        (kept["id"], "confirmed"),
        (gone["id"], "cancelled"),
    }
    assert list_all(api, updatedMin="2999-01-01T00:00:00Z")[0] == []


def test_ical_uid_and_event_type_filters(api):
    wanted = api.events().insert(calendarId="primary", body=hour(1, 9)).execute()
    focus = (
        api.events().insert(calendarId="primary", body=hour(2, 9, eventType="focusTime")).execute()
    )
    assert [e["id"] for e in list_all(api, iCalUID=wanted["iCalUID"])[0]] == [wanted["id"]]
    assert [e["id"] for e in list_all(api, eventTypes="focusTime")[0]] == [focus["id"]]
