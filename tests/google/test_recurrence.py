"""Recurring events: time zones, expansion into instances, exceptions, EXDATE, instances()."""

from tests.google.conftest import all_items, api_error, reason_of, sync_token

OSLO = "Europe/Oslo"


def weekly(count: int = 4, **fields) -> dict:
    """09:00 Oslo time every Wednesday from 2030-03-20, across the switch to summer time."""
    return {
        "summary": "Standup",
        "start": {"dateTime": "2030-03-20T09:00:00", "timeZone": OSLO},
        "end": {"dateTime": "2030-03-20T09:30:00", "timeZone": OSLO},
        "recurrence": [f"RRULE:FREQ=WEEKLY;COUNT={count}"],
        **fields,
    }


def expand(api, **params) -> list[dict]:
    return all_items(api.events(), calendarId="primary", singleEvents=True, **params)


def test_recurring_events_need_a_time_zone(api):
    body = weekly()
    body["start"] = {"dateTime": "2030-03-20T09:00:00+01:00"}
    error = api_error(api.events().insert(calendarId="primary", body=body))
    assert (error.status_code, reason_of(error)) == (400, "required")


def test_bad_recurrence_is_invalid(api):
    error = api_error(
        api.events().insert(calendarId="primary", body=weekly(recurrence=["RRULE:FREQ=SOMETIMES"]))
    )
    assert (error.status_code, reason_of(error)) == (400, "invalid")


def test_single_events_expands_instances_in_the_events_zone(api):
    series = api.events().insert(calendarId="primary", body=weekly()).execute()
    assert series["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=4"]
    instances = expand(api, orderBy="startTime")
    assert [i["id"] for i in instances] == [
        f"{series['id']}_20300320T080000Z",
        f"{series['id']}_20300327T080000Z",
        f"{series['id']}_20300403T070000Z",  # summer time: still 09:00 in Oslo
        f"{series['id']}_20300410T070000Z",
    ]
    third = instances[2]
    assert third["recurringEventId"] == series["id"]
    assert third["originalStartTime"] == {"dateTime": "2030-04-03T09:00:00+02:00", "timeZone": OSLO}
    assert third["start"] == third["originalStartTime"]
    assert third["end"] == {"dateTime": "2030-04-03T09:30:00+02:00", "timeZone": OSLO}
    assert "recurrence" not in third
    assert [e["id"] for e in all_items(api.events(), calendarId="primary")] == [series["id"]]


def test_all_day_series_instances_are_dated(api):
    series = (
        api.events()
        .insert(
            calendarId="primary",
            body={
                "start": {"date": "2030-01-30"},
                "end": {"date": "2030-01-31"},
                "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"],
            },
        )
        .execute()
    )
    instances = expand(api)
    assert [i["id"] for i in instances] == [
        f"{series['id']}_20300130",
        f"{series['id']}_20300131",
        f"{series['id']}_20300201",
    ]
    assert instances[2]["originalStartTime"] == {"date": "2030-02-01"}
    assert instances[2]["end"] == {"date": "2030-02-02"}


def test_exdate_and_until_limit_the_series(api):
    api.events().insert(
        calendarId="primary",
        body=weekly(
            recurrence=[
                "RRULE:FREQ=WEEKLY;UNTIL=20300410T070000Z",
                "EXDATE;TZID=Europe/Oslo:20300327T090000",
            ]
        ),
    ).execute()
    starts = [i["start"]["dateTime"] for i in expand(api, orderBy="startTime")]
    assert starts == [
        "2030-03-20T09:00:00+01:00",
        "2030-04-03T09:00:00+02:00",
        "2030-04-10T09:00:00+02:00",
    ]


def test_changed_instance_becomes_an_exception(api):
    series = api.events().insert(calendarId="primary", body=weekly()).execute()
    second_id = f"{series['id']}_20300327T080000Z"
    fetched = api.events().get(calendarId="primary", eventId=second_id).execute()
    assert fetched["recurringEventId"] == series["id"]
    moved = (
        api.events()
        .patch(
            calendarId="primary",
            eventId=second_id,
            body={
                "summary": "Late standup",
                "start": {"dateTime": "2030-03-27T15:00:00", "timeZone": OSLO},
                "end": {"dateTime": "2030-03-27T15:30:00", "timeZone": OSLO},
            },
        )
        .execute()
    )
    assert moved["originalStartTime"]["dateTime"] == "2030-03-27T09:00:00+01:00"
    assert moved["sequence"] == 1

    instances = {i["id"]: i for i in expand(api)}
    assert len(instances) == 4
    assert instances[second_id]["summary"] == "Late standup"
    assert instances[second_id]["start"]["dateTime"] == "2030-03-27T15:00:00+01:00"
    unexpanded = all_items(api.events(), calendarId="primary")
    assert sorted(e["id"] for e in unexpanded) == sorted([series["id"], second_id])


def test_deleted_instance_is_a_cancelled_exception(api):
    series = api.events().insert(calendarId="primary", body=weekly()).execute()
    token = sync_token(api.events(), calendarId="primary", singleEvents=True)
    gone_id = f"{series['id']}_20300327T080000Z"
    api.events().delete(calendarId="primary", eventId=gone_id).execute()

    assert gone_id not in [i["id"] for i in expand(api)]
    # Unexpanded lists still show cancelled exceptions, so clients can hide the instance.
    unexpanded = {e["id"]: e for e in all_items(api.events(), calendarId="primary")}
    assert unexpanded[gone_id]["status"] == "cancelled"
    changes = expand(api, syncToken=token)
    assert changes == [
        {
            "kind": "calendar#event",
            "etag": changes[0]["etag"],
            "id": gone_id,
            "status": "cancelled",
            "recurringEventId": series["id"],
            "originalStartTime": {"dateTime": "2030-03-27T09:00:00+01:00", "timeZone": OSLO},
        }
    ]
    error = api_error(api.events().delete(calendarId="primary", eventId=gone_id))
    assert reason_of(error) == "deleted"


def test_deleting_the_series_cancels_every_instance(api):
    series = api.events().insert(calendarId="primary", body=weekly()).execute()
    token = sync_token(api.events(), calendarId="primary", singleEvents=True)
    api.events().delete(calendarId="primary", eventId=series["id"]).execute()
    assert expand(api) == []
    changes = expand(api, syncToken=token)
    assert len(changes) == 4
    assert {c["status"] for c in changes} == {"cancelled"}
    assert {c["recurringEventId"] for c in changes} == {series["id"]}


def test_time_window_applies_to_instances_and_series(api):
    series = api.events().insert(calendarId="primary", body=weekly()).execute()
    window = {"timeMin": "2030-03-26T00:00:00Z", "timeMax": "2030-04-04T00:00:00Z"}
    assert [i["id"][-16:] for i in expand(api, **window)] == [
        "20300327T080000Z",
        "20300403T070000Z",
    ]
    listed = all_items(api.events(), calendarId="primary", **window)
    assert [e["id"] for e in listed] == [series["id"]]
    assert all_items(api.events(), calendarId="primary", timeMin="2030-05-01T00:00:00Z") == []


def test_instances_method_and_unknown_instances(api):
    series = api.events().insert(calendarId="primary", body=weekly(count=3)).execute()
    api.events().delete(calendarId="primary", eventId=f"{series['id']}_20300320T080000Z").execute()
    instances = all_items(api.events(), "instances", calendarId="primary", eventId=series["id"])
    assert [i["id"][-16:] for i in instances] == ["20300327T080000Z", "20300403T070000Z"]
    with_deleted = all_items(
        api.events(), "instances", calendarId="primary", eventId=series["id"], showDeleted=True
    )
    assert len(with_deleted) == 3
    error = api_error(
        api.events().get(calendarId="primary", eventId=f"{series['id']}_20300321T080000Z")
    )
    assert reason_of(error) == "notFound"


def test_infinite_series_expands_within_the_window(api):
    api.events().insert(
        calendarId="primary", body=weekly(recurrence=["RRULE:FREQ=DAILY"])
    ).execute()
    window = {"timeMin": "2031-01-01T00:00:00Z", "timeMax": "2031-01-08T00:00:00Z"}
    assert len(expand(api, **window)) == 7
