"""The paging test hook: short and empty pages with nextPageToken, as Google may answer, read
through the real client; the union of the pages is still exactly the listing."""

import pytest
import requests
from googleapiclient.errors import HttpError

from tests.google.conftest import ADA


def hour(day: int, at: int = 9, **fields) -> dict:
    return {
        "start": {"dateTime": f"2030-05-{day:02d}T{at:02d}:00:00Z"},
        "end": {"dateTime": f"2030-05-{day:02d}T{at + 1:02d}:00:00Z"},
        **fields,
    }


def pages(api, **params) -> list[dict]:
    """Every page of an events.list, fetched the way clients do (`list_next`)."""
    collection = api.events()
    request = collection.list(calendarId="primary", **params)
    answers = []
    while request is not None:
        answer = request.execute()
        answers.append(answer)
        request = collection.list_next(request, answer)
    return answers


def check_shape(answers: list[dict], *, max_size: int, empty_first: int) -> list[dict]:
    """Assert the cut of the pages; the items of all pages, in order."""
    *leading, last = answers
    for answer in leading:
        assert "nextPageToken" in answer and "nextSyncToken" not in answer
    assert "nextPageToken" not in last and last["nextSyncToken"]
    assert [a["items"] for a in answers[:empty_first]] == [[]] * empty_first
    assert all(len(a["items"]) <= max_size for a in answers)
    return [item for answer in answers for item in answer["items"]]


def test_full_listing_comes_in_short_pages_after_empty_ones(google, api):
    inserted = [google.insert_event(ADA, "primary", hour(day))["id"] for day in range(1, 8)]
    google.set_paging()  # full pages
    normal = pages(api, maxResults=5)
    assert [len(a["items"]) for a in normal] == [5, 2]

    google.set_paging(max_page_size=2, empty_pages=2)
    answers = pages(api, maxResults=5)
    assert [len(a["items"]) for a in answers] == [0, 0, 2, 2, 2, 1]
    items = check_shape(answers, max_size=2, empty_first=2)
    assert [e["id"] for e in items] == [e["id"] for a in normal for e in a["items"]]
    assert sorted(e["id"] for e in items) == sorted(inserted)

    # The sync token of the last page is good: nothing changed since.
    increment = pages(api, syncToken=answers[-1]["nextSyncToken"])
    assert check_shape(increment, max_size=2, empty_first=2) == []


def test_an_empty_calendar_still_ends_with_a_sync_token(google, api):
    google.set_paging(empty_pages=3)
    answers = pages(api)
    assert [a["items"] for a in answers] == [[]] * 4
    check_shape(answers, max_size=0, empty_first=3)


def test_sync_token_increments_come_in_short_pages(google, api):
    first, second, third = (
        api.events().insert(calendarId="primary", body=hour(day)).execute() for day in (1, 2, 3)
    )
    token = pages(api)[-1]["nextSyncToken"]
    added = api.events().insert(calendarId="primary", body=hour(4)).execute()
    api.events().patch(calendarId="primary", eventId=first["id"], body={"summary": "x"}).execute()
    api.events().delete(calendarId="primary", eventId=second["id"]).execute()

    google.set_paging(max_page_size=1, empty_pages=1)
    answers = pages(api, syncToken=token)
    assert [len(a["items"]) for a in answers] == [0, 1, 1, 1]
    changes = {e["id"]: e for e in check_shape(answers, max_size=1, empty_first=1)}
    assert set(changes) == {first["id"], second["id"], added["id"]}
    assert changes[second["id"]]["status"] == "cancelled"
    assert third["id"] not in changes

    api.events().delete(calendarId="primary", eventId=third["id"]).execute()
    answers = pages(api, syncToken=answers[-1]["nextSyncToken"])
    assert [e["id"] for e in check_shape(answers, max_size=1, empty_first=1)] == [third["id"]]


def test_expanded_instances_come_in_short_pages_in_order(google, api):
    series = hour(1, summary="Standup", recurrence=["RRULE:FREQ=DAILY;COUNT=5"])
    series["start"]["timeZone"] = series["end"]["timeZone"] = "UTC"
    api.events().insert(calendarId="primary", body=series).execute()
    api.events().insert(calendarId="primary", body=hour(3, 12, summary="Lunch")).execute()
    params = {"singleEvents": True, "orderBy": "startTime", "maxResults": 4}
    normal = [e for a in pages(api, **params) for e in a["items"]]
    assert len(normal) == 6

    google.set_paging(max_page_size=3, empty_pages=1)
    answers = pages(api, **params)
    assert [len(a["items"]) for a in answers] == [0, 3, 3]
    items = check_shape(answers, max_size=3, empty_first=1)
    assert [(e["id"], e["start"]) for e in items] == [(e["id"], e["start"]) for e in normal]


def test_paging_over_http_and_back_to_normal(google, api):
    for day in range(1, 6):
        google.insert_event(ADA, "primary", hour(day))
    hook = google.base_url + "/_test/paging"

    response = requests.post(hook, json={"max_page_size": 2, "empty_pages": 1}, timeout=5)
    assert response.status_code == 204
    assert [len(a["items"]) for a in pages(api)] == [0, 2, 2, 1]

    assert requests.post(hook, json={"max_page_size": 4}, timeout=5).status_code == 204
    assert [len(a["items"]) for a in pages(api)] == [4, 1]

    assert requests.delete(hook, timeout=5).status_code == 204
    assert [len(a["items"]) for a in pages(api)] == [5]

    google.set_paging(empty_pages=1)
    google.reset()  # random cuts again: maybe empty pages, never an item
    assert [e for a in pages(api) for e in a["items"]] == []


@pytest.mark.parametrize(
    "body", [{"max_page_size": 0}, {"max_page_size": "2"}, {"empty_pages": -1}]
)
def test_bad_paging_is_refused(google, body):
    response = requests.post(google.base_url + "/_test/paging", json=body, timeout=5)
    assert response.status_code == 400
    with pytest.raises(ValueError):
        google.set_paging(**body)


def test_calendar_list_comes_in_short_pages_too(google, api):
    for summary in ("Football", "Choir", "Night shifts"):
        google.create_calendar(ADA, summary)

    def calendar_pages() -> list[dict]:
        collection = api.calendarList()
        request, answers = collection.list(maxResults=10), []
        while request is not None:
            answers.append(request.execute())
            request = collection.list_next(request, answers[-1])
        return answers

    google.set_paging()  # full pages
    normal = calendar_pages()
    assert [len(a["items"]) for a in normal] == [4]
    google.set_paging(max_page_size=1, empty_pages=1)
    answers = calendar_pages()
    assert [len(a["items"]) for a in answers] == [0, 1, 1, 1, 1]
    assert [c["id"] for a in answers for c in a["items"]] == [c["id"] for c in normal[0]["items"]]
    with pytest.raises(HttpError) as refused:
        api.calendarList().list(pageToken="not-a-token").execute()
    assert refused.value.status_code == 400
