"""The Calendar port's event calls against the Google stand-in: idempotent inserts under our
own ids, updates guarded by the stored etag, deletes that tolerate a missing event."""

from __future__ import annotations

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from shared.google.calendar import (
    MAX_BATCH,
    CalendarGone,
    EventGone,
    EventWrite,
    GoogleCalendar,
)

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
    events = calendar._service.events()
    request, items = events.list(calendarId=calendar_id, showDeleted=True), []
    while request is not None:  # every page: Google may cut any page short
        page = request.execute()
        items += page["items"]
        request = events.list_next(request, page)
    return {"items": items}


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


# -- write_events: several writes in one batch request ----------------------------------

EVENTS_PATH = "/calendar/v3/calendars/*/events"


def body(summary: str) -> dict:
    return {**BODY, "summary": summary}


def stored(port_fixture) -> dict[str, dict]:
    """The calendar's events as the stand-in holds them, cancelled ones included (read
    without a call, so call counts stay as the port left them)."""
    _, calendar_id, google = port_fixture
    return {e["id"]: e for e in google.events(ANN, calendar_id, deleted=True)}


def parts(google) -> list[tuple[str, int]]:
    """(method id, status) of each batch part served, in order."""
    return [(e["methodId"], e["status"]) for e in google.request_log() if e["batchPart"]]


def plain(google) -> list[tuple[str, int]]:
    """(method id, status) of each plain (non-batch) call served, in order."""
    return [
        (e["methodId"], e["status"])
        for e in google.request_log()
        if not e["batchPart"] and e["methodId"] != "batch"
    ]


def seed(port_fixture, *event_ids: str) -> dict[str, str]:
    """Events already written by us: id -> etag; the request log starts afresh after."""
    calendar, calendar_id, google = port_fixture
    etags = {event_id: calendar.insert_event(calendar_id, event_id, BODY) for event_id in event_ids}
    google.reset_request_log()
    return etags


@pytest.mark.parametrize("kind", ["insert", "update", "delete"])
def test_a_single_write_is_a_plain_call_without_a_batch_request(port, kind):
    calendar, calendar_id, google = port
    etags = seed(port, "seeded001") if kind != "insert" else {}
    write = {
        "insert": EventWrite("insert", "fresh0001", body("new")),
        "update": EventWrite("update", "seeded001", body("v2"), etags.get("seeded001")),
        "delete": EventWrite("delete", "seeded001"),
    }[kind]
    (outcome,) = calendar.write_events(calendar_id, [write])
    assert google.call_counts() == {f"calendar.events.{kind}": 1}
    assert [e["batchPart"] for e in google.request_log()] == [False]
    event = stored(port)[write.event_id]
    if kind == "delete":
        assert outcome is None
        assert event["status"] == "cancelled"
    else:
        assert (outcome, event["status"], event["summary"]) == (
            event["etag"],
            "confirmed",
            write.body["summary"],
        )


def test_no_writes_make_no_call(port):
    calendar, calendar_id, google = port
    assert calendar.write_events(calendar_id, []) == []
    assert google.call_counts() == {}


def test_several_writes_go_in_one_batch_request_and_each_answers_on_its_own(port):
    calendar, calendar_id, google = port
    etags = seed(port, "seeded001", "seeded002")
    outcomes = calendar.write_events(
        calendar_id,
        [
            EventWrite("insert", "fresh0001", body("new")),
            EventWrite("update", "seeded001", body("v2"), etags["seeded001"]),
            EventWrite("delete", "seeded002"),
        ],
    )
    assert google.call_counts() == {
        "batch": 1,
        "calendar.events.insert": 1,
        "calendar.events.update": 1,
        "calendar.events.delete": 1,
    }
    assert parts(google) == [
        ("calendar.events.insert", 200),
        ("calendar.events.update", 200),
        ("calendar.events.delete", 204),
    ]
    assert all("sendUpdates=none" in e["query"] for e in google.request_log() if e["batchPart"])
    events = stored(port)
    assert outcomes == [events["fresh0001"]["etag"], events["seeded001"]["etag"], None]
    assert outcomes[1] != etags["seeded001"]
    assert {i: (e["status"], e["summary"]) for i, e in events.items()} == {
        "fresh0001": ("confirmed", "new"),
        "seeded001": ("confirmed", "v2"),
        "seeded002": ("cancelled", BODY["summary"]),
    }


def test_a_full_batch_is_one_batch_request(port):
    calendar, calendar_id, google = port
    writes = [EventWrite("insert", f"event{n:05d}", body(f"n{n}")) for n in range(MAX_BATCH)]
    outcomes = calendar.write_events(calendar_id, writes)
    assert google.call_counts() == {"batch": 1, "calendar.events.insert": MAX_BATCH}
    events = stored(port)
    assert outcomes == [events[w.event_id]["etag"] for w in writes]
    assert len(events) == MAX_BATCH


def test_more_writes_than_a_batch_takes_are_refused_before_any_call(port):
    calendar, calendar_id, google = port
    assert MAX_BATCH == 50
    writes = [EventWrite("insert", f"event{n:05d}", BODY) for n in range(MAX_BATCH + 1)]
    with pytest.raises(ValueError, match="at most 50"):
        calendar.write_events(calendar_id, writes)
    assert google.call_counts() == {}
    assert stored(port) == {}


def test_a_batched_insert_meeting_its_own_event_reads_it_and_writes_nothing(port):
    """A retry after a lost answer: the part's 409 is our own insert of before."""
    calendar, calendar_id, google = port
    etags = seed(port, "seeded001")
    outcomes = calendar.write_events(
        calendar_id,
        [EventWrite("insert", "seeded001", BODY), EventWrite("insert", "fresh0001", BODY)],
    )
    assert google.call_counts() == {
        "batch": 1,
        "calendar.events.insert": 2,
        "calendar.events.get": 1,
    }
    assert parts(google) == [("calendar.events.insert", 409), ("calendar.events.insert", 200)]
    assert plain(google) == [("calendar.events.get", 200)]
    events = stored(port)
    assert outcomes == [etags["seeded001"], events["fresh0001"]["etag"]]
    assert sorted(events) == ["fresh0001", "seeded001"]
    assert events["seeded001"]["etag"] == etags["seeded001"]  # not written again


@pytest.mark.parametrize("in_google", ["older version", "deleted in Google"])
def test_a_batched_insert_meeting_a_stale_event_writes_ours_over_it(port, in_google):
    calendar, calendar_id, google = port
    seed(port, "seeded001")
    if in_google == "deleted in Google":
        google.delete_event(ANN, calendar_id, "seeded001")
    new = body("v2") if in_google == "older version" else BODY
    outcomes = calendar.write_events(
        calendar_id,
        [EventWrite("insert", "seeded001", new), EventWrite("delete", "missing001")],
    )
    assert google.call_counts() == {
        "batch": 1,
        "calendar.events.insert": 1,
        "calendar.events.delete": 1,
        "calendar.events.get": 1,
        "calendar.events.update": 1,
    }
    assert plain(google) == [("calendar.events.get", 200), ("calendar.events.update", 200)]
    (event,) = stored(port).values()
    assert outcomes == [event["etag"], None]
    assert (event["status"], event["summary"]) == ("confirmed", new["summary"])


def test_a_batched_update_sends_the_stored_etag_as_if_match(port):
    """The request log keeps no headers: If-Match shows in the answers, 412 for a stale etag
    and 200 for the current one (the stand-in takes any update without If-Match)."""
    calendar, calendar_id, google = port
    etags = seed(port, "seeded001", "seeded002")
    google.patch_event(ANN, calendar_id, "seeded002", {"summary": "edited by Ann"})
    calendar.write_events(
        calendar_id,
        [
            EventWrite("update", "seeded001", body("v2"), etags["seeded001"]),
            EventWrite("update", "seeded002", body("v2"), etags["seeded002"]),
        ],
    )
    assert parts(google) == [("calendar.events.update", 200), ("calendar.events.update", 412)]


def test_a_batched_update_after_an_edit_in_google_reads_once_and_our_content_wins(port):
    calendar, calendar_id, google = port
    etags = seed(port, "seeded001")
    google.patch_event(ANN, calendar_id, "seeded001", {"summary": "edited by Ann"})
    outcomes = calendar.write_events(
        calendar_id,
        [
            EventWrite("update", "seeded001", body("v2"), etags["seeded001"]),
            EventWrite("insert", "fresh0001", body("new")),
        ],
    )
    assert google.call_counts() == {
        "batch": 1,
        "calendar.events.update": 2,
        "calendar.events.get": 1,
        "calendar.events.insert": 1,
    }
    assert parts(google) == [("calendar.events.update", 412), ("calendar.events.insert", 200)]
    assert plain(google) == [("calendar.events.get", 200), ("calendar.events.update", 200)]
    events = stored(port)
    assert outcomes == [events["seeded001"]["etag"], events["fresh0001"]["etag"]]
    assert events["seeded001"]["summary"] == "v2"


@pytest.mark.parametrize("with_etag", [True, False])
def test_a_batched_update_of_an_event_deleted_in_google_restores_it(port, with_etag):
    """Deleting in Google only cancels the event (its etag changes); the booking still wants
    it, so it comes back confirmed."""
    calendar, calendar_id, google = port
    etags = seed(port, "seeded001")
    google.delete_event(ANN, calendar_id, "seeded001")
    etag = etags["seeded001"] if with_etag else None
    outcomes = calendar.write_events(
        calendar_id,
        [
            EventWrite("update", "seeded001", body("v2"), etag),
            EventWrite("insert", "fresh0001", body("new")),
        ],
    )
    expected = {"batch": 1, "calendar.events.update": 1, "calendar.events.insert": 1}
    if with_etag:  # 412, read once, written again
        expected |= {"calendar.events.update": 2, "calendar.events.get": 1}
    assert google.call_counts() == expected
    events = stored(port)
    assert outcomes == [events["seeded001"]["etag"], events["fresh0001"]["etag"]]
    assert (events["seeded001"]["status"], events["seeded001"]["summary"]) == ("confirmed", "v2")


def test_a_batched_update_of_an_event_never_there_inserts_it(port):
    calendar, calendar_id, google = port
    outcomes = calendar.write_events(
        calendar_id,
        [
            EventWrite("update", "missing001", body("v2"), None),
            EventWrite("insert", "fresh0001", body("new")),
        ],
    )
    assert google.call_counts() == {
        "batch": 1,
        "calendar.events.update": 1,
        "calendar.events.insert": 2,
    }
    assert parts(google) == [("calendar.events.update", 404), ("calendar.events.insert", 200)]
    assert plain(google) == [("calendar.events.insert", 200)]
    events = stored(port)
    assert outcomes == [events["missing001"]["etag"], events["fresh0001"]["etag"]]
    assert (events["missing001"]["status"], events["missing001"]["summary"]) == (
        "confirmed",
        "v2",
    )


def test_a_batched_delete_of_an_event_already_gone_is_done(port):
    calendar, calendar_id, google = port
    seed(port, "seeded001")
    google.delete_event(ANN, calendar_id, "seeded001")
    outcomes = calendar.write_events(
        calendar_id,
        [EventWrite("delete", "seeded001"), EventWrite("delete", "missing001")],
    )
    assert outcomes == [None, None]
    assert google.call_counts() == {"batch": 1, "calendar.events.delete": 2}
    assert parts(google) == [("calendar.events.delete", 410), ("calendar.events.delete", 404)]
    assert {i: e["status"] for i, e in stored(port).items()} == {"seeded001": "cancelled"}


def test_a_single_insert_into_a_deleted_calendar_comes_to_calendar_gone(port):
    calendar, calendar_id, google = port
    google.delete_calendar(ANN, calendar_id)
    (outcome,) = calendar.write_events(calendar_id, [EventWrite("insert", "fresh0001", BODY)])
    assert isinstance(outcome, CalendarGone)
    assert google.call_counts() == {"calendar.events.insert": 1}


def test_batched_writes_into_a_deleted_calendar_come_to_calendar_gone(port):
    calendar, calendar_id, google = port
    google.delete_calendar(ANN, calendar_id)
    outcomes = calendar.write_events(
        calendar_id,
        [
            EventWrite("insert", "fresh0001", BODY),
            EventWrite("insert", "fresh0002", BODY),
            EventWrite("update", "seeded001", BODY, '"1"'),
        ],
    )
    assert [type(outcome) for outcome in outcomes] == [CalendarGone] * 3
    # The update's 404 reads as the event gone, so it is inserted again: that 404 tells.
    assert google.call_counts() == {
        "batch": 1,
        "calendar.events.insert": 3,
        "calendar.events.update": 1,
    }
    assert {e["status"] for e in google.request_log() if e["methodId"] != "batch"} == {404}


@pytest.mark.parametrize(
    ("failing", "method", "status", "reason"),
    [
        (0, "POST", 500, "backendError"),
        (0, "POST", 429, "rateLimitExceeded"),
        (1, "PUT", 429, "rateLimitExceeded"),
        (1, "PUT", 403, "rateLimitExceeded"),
        (2, "DELETE", 400, "badRequest"),
        (2, "DELETE", 503, "backendError"),
    ],
)
def test_a_fault_on_one_part_fails_that_write_only(port, failing, method, status, reason):
    calendar, calendar_id, google = port
    etags = seed(port, "seeded001", "seeded002")
    writes = [
        EventWrite("insert", "fresh0001", body("new")),
        EventWrite("update", "seeded001", body("v2"), etags["seeded001"]),
        EventWrite("delete", "seeded002"),
    ]
    path = EVENTS_PATH if method == "POST" else f"{EVENTS_PATH}/{writes[failing].event_id}"
    google.inject_fault(status, reason, method=method, path=path, count=1)
    outcomes = calendar.write_events(calendar_id, writes)
    error = outcomes[failing]
    assert isinstance(error, HttpError)
    assert error.status_code == status
    expected = {
        "batch": 1,
        "calendar.events.insert": 1,
        "calendar.events.update": 1,
        "calendar.events.delete": 1,
    }
    assert google.call_counts() == expected  # no retries, nothing beyond the batch
    events = stored(port)
    applied = [
        events.get("fresh0001", {}).get("summary") == "new",
        events["seeded001"]["summary"] == "v2",
        events["seeded002"]["status"] == "cancelled",
    ]
    assert applied == [index != failing for index in range(3)]
    for index, outcome in enumerate(outcomes):
        if index != failing:
            expected_outcome = None if index == 2 else events[writes[index].event_id]["etag"]
            assert outcome == expected_outcome


def test_a_failed_batch_request_is_raised_and_no_write_is_made(port):
    calendar, calendar_id, google = port
    seed(port, "seeded001")
    google.inject_fault(503, "backendError", method="POST", path="/batch/calendar/v3", count=1)
    with pytest.raises(HttpError) as raised:
        calendar.write_events(
            calendar_id,
            [EventWrite("insert", "fresh0001", BODY), EventWrite("delete", "seeded001")],
        )
    assert raised.value.status_code == 503
    assert google.call_counts() == {"batch": 1}
    assert {i: e["status"] for i, e in stored(port).items()} == {"seeded001": "confirmed"}
