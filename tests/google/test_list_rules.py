"""List rules Google keeps and clients must cope with, read through the real client: pages cut
short or empty at random (seeded), page tokens bound to their query, sync tokens on the last
page of events.list and calendarList.list, and events.list's timeZone, showDeleted/syncToken,
updatedMin and If-None-Match rules."""

from datetime import UTC, datetime, timedelta

import pytest
import requests

from emulators.google.queries import (
    DEFAULT_SEED,
    SEED_VARIABLE,
    Pages,
    RandomPaging,
    _Snapshot,
)
from tests.google.conftest import ADA, api_error, reason_of


def hour(day: int, at: int = 9, **fields) -> dict:
    return {
        "start": {"dateTime": f"2030-05-{day:02d}T{at:02d}:00:00Z"},
        "end": {"dateTime": f"2030-05-{day:02d}T{at + 1:02d}:00:00Z"},
        **fields,
    }


def answers(collection, **params) -> list[dict]:
    """Every page of a list, fetched the way clients do (`list_next`), checked: nextPageToken
    on every page but the last, nextSyncToken on none but the last."""
    request, pages = collection.list(**params), []
    while request is not None:
        pages.append(request.execute())
        request = collection.list_next(request, pages[-1])
    *leading, last = pages
    for page in leading:
        assert page["nextPageToken"] and "nextSyncToken" not in page
    assert "nextPageToken" not in last
    return pages


def event_pages(api, **params) -> list[dict]:
    return answers(api.events(), calendarId="primary", **params)


def ids(pages: list[dict]) -> list[str]:
    return [item["id"] for page in pages for item in page["items"]]


def sizes(pages: list[dict]) -> list[int]:
    return [len(page["items"]) for page in pages]


def fill(google, count: int) -> list[str]:
    return [
        google.insert_event(ADA, "primary", hour(1 + n % 28, n % 12))["id"] for n in range(count)
    ]


# -- random short pages -------------------------------------------------------
def test_pages_are_cut_at_random_by_default(google, api, monkeypatch):
    assert isinstance(google.pages.shape, RandomPaging)
    monkeypatch.delenv(SEED_VARIABLE, raising=False)
    assert Pages().seed == DEFAULT_SEED
    inserted = fill(google, 60)

    google.set_paging()  # full pages, for reference
    full = event_pages(api, maxResults=4)
    assert sizes(full) == [4] * 15

    google.pages.randomize(seed=11)
    cut = event_pages(api, maxResults=4)
    assert ids(cut) == ids(full)  # nothing lost, nothing twice, same order
    assert sorted(ids(cut)) == sorted(inserted)
    assert cut[-1]["nextSyncToken"]
    assert any(size < 4 for size in sizes(cut[:-1]))  # some pages before the last are short
    assert all(size <= 4 for size in sizes(cut))


@pytest.mark.parametrize("seed", range(12))
def test_no_seed_loses_or_repeats_an_item(google, api, seed):
    inserted = fill(google, 17)
    google.pages.randomize(seed)
    for max_results in (1, 4, 250):
        pages = event_pages(api, maxResults=max_results)
        assert sorted(ids(pages)) == sorted(inserted)
        assert len(ids(pages)) == len(inserted)
        assert list_increment(api, pages[-1]["nextSyncToken"]) == []


def list_increment(api, sync_token: str) -> list[dict]:
    return [item for page in event_pages(api, syncToken=sync_token) for item in page["items"]]


def test_the_same_seed_cuts_the_same_pages(google, api):
    fill(google, 30)

    def cuts(seed: int) -> list[list[int]]:
        google.pages.randomize(seed)
        return [sizes(event_pages(api, maxResults=3)) for _ in range(4)]

    first = cuts(5)
    assert first == cuts(5)
    assert cuts(6) != first
    assert len(set(map(tuple, first))) > 1  # listings of one seed differ among themselves


def test_seed_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(SEED_VARIABLE, "42")
    assert Pages().seed == 42
    assert Pages(seed=3).seed == 3
    monkeypatch.setenv(SEED_VARIABLE, "not a number")
    with pytest.raises(ValueError):
        Pages()


def test_an_empty_calendar_may_answer_empty_pages_before_its_sync_token(google, api):
    google.pages.randomize(seed=1)
    listings = [event_pages(api) for _ in range(40)]
    assert all(ids(pages) == [] for pages in listings)
    assert all(pages[-1]["nextSyncToken"] for pages in listings)
    assert any(len(pages) > 1 for pages in listings)  # empty pages with a nextPageToken
    assert max(len(pages) for pages in listings) <= 4  # at most 3 empty pages in a row


def test_random_cuts_leave_at_most_three_empty_pages_in_a_row():
    pages = Pages(seed=9)
    runs = []
    for _ in range(500):
        cursor, run, longest = pages.start(_Snapshot("key", [], "token")), 0, 0
        while "nextPageToken" in (page := pages.page(cursor, 250)):
            run, longest = run + 1, max(longest, run + 1)
            cursor = pages.resume(page["nextPageToken"], "key")
        assert page == {"items": [], "nextSyncToken": "token"}
        runs.append(longest)
    assert max(runs) == 3  # reached, never passed


def test_increments_come_in_random_pages_too(google, api):
    created = [
        api.events().insert(calendarId="primary", body=hour(d)).execute() for d in range(1, 9)
    ]
    google.pages.randomize(seed=2)
    token = event_pages(api, maxResults=2)[-1]["nextSyncToken"]
    for event in created[:5]:
        api.events().delete(calendarId="primary", eventId=event["id"]).execute()
    added = api.events().insert(calendarId="primary", body=hour(20)).execute()
    pages = event_pages(api, syncToken=token, maxResults=2)
    changes = {item["id"]: item["status"] for page in pages for item in page["items"]}
    assert len(ids(pages)) == len(changes) == 6
    assert changes == {e["id"]: "cancelled" for e in created[:5]} | {added["id"]: "confirmed"}
    assert list_increment(api, pages[-1]["nextSyncToken"]) == []


def test_set_paging_still_cuts_pages_exactly_and_reset_goes_back_to_random(google, api):
    fill(google, 7)
    google.set_paging(max_page_size=2, empty_pages=1)
    assert sizes(event_pages(api, maxResults=5)) == [0, 2, 2, 2, 1]
    google.set_paging()
    assert sizes(event_pages(api, maxResults=5)) == [5, 2]
    google.reset()
    assert google.pages.shape == RandomPaging(google.pages.seed)


def test_calendar_list_pages_are_cut_at_random_and_end_with_a_sync_token(google, api):
    for number in range(11):
        google.create_calendar(ADA, f"Calendar {number}")
    google.set_paging()
    full = answers(api.calendarList(), maxResults=2)
    assert sizes(full) == [2] * 6
    google.pages.randomize(seed=4)
    cut = answers(api.calendarList(), maxResults=2)
    assert ids(cut) == ids(full)
    assert any(size < 2 for size in sizes(cut[:-1]))
    assert cut[-1]["nextSyncToken"] and cut[-1]["etag"]


# -- page tokens belong to their query ------------------------------------------
def test_a_page_token_works_only_with_the_query_it_came_from(google, api):
    fill(google, 6)
    google.set_paging(max_page_size=2)
    params = {"calendarId": "primary", "maxResults": 3, "singleEvents": True}
    first = api.events().list(**params).execute()
    token = first["nextPageToken"]
    for changed in (
        {"maxResults": 4},
        {"singleEvents": False},
        {"showDeleted": True},
        {"q": "x"},
        {"timeZone": "Europe/Oslo"},
        {"calendarId": api.calendars().insert(body={"summary": "Other"}).execute()["id"]},
    ):
        error = api_error(api.events().list(**(params | changed), pageToken=token))
        assert (error.status_code, reason_of(error)) == (400, "invalid"), changed
    # The same query goes on, whatever the standard parameters shaping the answer.
    second = api.events().list(**params, pageToken=token, fields="items(id),nextPageToken")
    assert len(second.execute()["items"]) == 2


def test_a_calendar_list_page_token_works_only_with_its_query(google, api):
    for number in range(3):
        google.create_calendar(ADA, f"Calendar {number}")
    google.set_paging(max_page_size=1)
    token = api.calendarList().list(maxResults=2).execute()["nextPageToken"]
    error = api_error(api.calendarList().list(maxResults=2, showDeleted=True, pageToken=token))
    assert (error.status_code, reason_of(error)) == (400, "invalid")
    assert len(api.calendarList().list(maxResults=2, pageToken=token).execute()["items"]) == 1


# -- calendarList sync tokens ---------------------------------------------------------
def test_calendar_list_sync_token_returns_changed_and_deleted_entries(google, api, calendar_api):
    bob_token = answers(calendar_api("bob@example.com").calendarList())[-1]["nextSyncToken"]
    kept = api.calendars().insert(body={"summary": "Kept"}).execute()
    renamed = api.calendars().insert(body={"summary": "Before"}).execute()
    gone = api.calendars().insert(body={"summary": "Gone"}).execute()
    token = answers(api.calendarList())[-1]["nextSyncToken"]

    api.calendars().patch(calendarId=renamed["id"], body={"summary": "After"}).execute()
    api.calendars().delete(calendarId=gone["id"]).execute()
    added = api.calendars().insert(body={"summary": "Added"}).execute()
    pages = answers(api.calendarList(), syncToken=token)
    changes = {entry["id"]: entry for page in pages for entry in page["items"]}
    assert set(changes) == {renamed["id"], gone["id"], added["id"]}
    assert changes[renamed["id"]]["summary"] == "After"
    assert changes[gone["id"]]["deleted"] is True
    assert kept["id"] not in changes
    assert ids(answers(api.calendarList(), syncToken=pages[-1]["nextSyncToken"])) == []

    error = api_error(api.calendarList().list(syncToken=bob_token))  # older, but not Ada's
    assert (error.status_code, reason_of(error)) == (410, "fullSyncRequired")


@pytest.mark.parametrize(
    "clash",
    [{"showDeleted": False}, {"showHidden": False}, {"minAccessRole": "reader"}],
)
def test_calendar_list_sync_token_refuses_what_would_hide_changes(api, clash):
    token = answers(api.calendarList())[-1]["nextSyncToken"]
    assert answers(api.calendarList(), syncToken=token, showDeleted=True, showHidden=True)
    error = api_error(api.calendarList().list(syncToken=token, **clash))
    assert (error.status_code, reason_of(error)) == (400, "invalid")


# -- events.list parameters -----------------------------------------------------------
def test_time_zone_parameter_sets_the_zone_of_the_answer(google, api):
    timed = api.events().insert(calendarId="primary", body=hour(1)).execute()
    own = hour(2)
    own["start"] = {"dateTime": "2030-05-02T09:00:00", "timeZone": "America/New_York"}
    own["end"] = {"dateTime": "2030-05-02T10:00:00", "timeZone": "America/New_York"}
    own = api.events().insert(calendarId="primary", body=own).execute()
    day = {"start": {"date": "2030-05-03"}, "end": {"date": "2030-05-04"}}
    day = api.events().insert(calendarId="primary", body=day).execute()
    google.set_paging()

    plain = api.events().list(calendarId="primary").execute()
    assert plain["timeZone"] == "UTC"
    oslo = api.events().list(calendarId="primary", timeZone="Europe/Oslo").execute()
    assert oslo["timeZone"] == "Europe/Oslo"
    shown = {item["id"]: item for item in oslo["items"]}
    assert shown[timed["id"]]["start"] == {"dateTime": "2030-05-01T11:00:00+02:00"}
    assert shown[timed["id"]]["end"] == {"dateTime": "2030-05-01T12:00:00+02:00"}
    assert shown[own["id"]]["start"] == own["start"]  # a zone of its own stays
    assert shown[day["id"]]["start"] == {"date": "2030-05-03"}
    stored = api.events().get(calendarId="primary", eventId=timed["id"]).execute()
    assert stored["start"] == {"dateTime": "2030-05-01T09:00:00Z"}  # only the answer changes

    error = api_error(api.events().list(calendarId="primary", timeZone="Mars/Olympus"))
    assert (error.status_code, reason_of(error)) == (400, "invalid")


def test_show_deleted_false_is_refused_with_a_sync_token(api):
    token = event_pages(api)[-1]["nextSyncToken"]
    error = api_error(api.events().list(calendarId="primary", syncToken=token, showDeleted=False))
    assert (error.status_code, reason_of(error)) == (400, "invalid")
    assert event_pages(api, syncToken=token, showDeleted=True)[-1]["nextSyncToken"]


def test_updated_min_too_long_ago_answers_410(api):
    now = datetime.now(UTC)
    recent = (now - timedelta(days=27)).isoformat().replace("+00:00", "Z")
    assert event_pages(api, updatedMin=recent)[-1]["nextSyncToken"]
    old = (now - timedelta(days=29)).isoformat().replace("+00:00", "Z")
    error = api_error(api.events().list(calendarId="primary", updatedMin=old))
    assert (error.status_code, reason_of(error)) == (410, "updatedMinTooLongAgo")
    detail = error.error_details[0]
    assert (detail["domain"], detail["location"]) == ("calendar", "updatedMin")


def test_if_none_match_with_the_current_etag_answers_304_without_a_body(google, api):
    event = api.events().insert(calendarId="primary", body=hour(1)).execute()
    first = api.events().list(calendarId="primary").execute()
    etag = first["etag"]

    def listed(if_none_match: str):
        request = api.events().list(calendarId="primary")
        request.headers["If-None-Match"] = if_none_match
        return request

    assert api_error(listed(etag)).status_code == 304
    token = google.accounts.issue_access_token(
        ADA, {"https://www.googleapis.com/auth/calendar"}, client_id="test-client"
    )
    raw = requests.get(
        google.base_url + "/calendar/v3/calendars/primary/events",
        headers={"Authorization": f"Bearer {token}", "If-None-Match": f'"other", {etag}'},
        timeout=5,
    )
    assert (raw.status_code, raw.content, raw.headers["ETag"]) == (304, b"", etag)

    assert listed('"stale"').execute()["etag"] == etag  # another etag: the whole answer
    api.events().patch(calendarId="primary", eventId=event["id"], body={"summary": "x"}).execute()
    changed = listed(etag).execute()
    assert changed["etag"] != etag
    api.calendars().patch(calendarId="primary", body={"summary": "Renamed"}).execute()
    assert listed(changed["etag"]).execute()["summary"] == "Renamed"
