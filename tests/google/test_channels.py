"""Push notifications: events.watch, deliveries to a webhook, channels.stop."""

import time
from email.utils import parsedate_to_datetime

import pytest

from emulators.google import GoogleStandIn
from tests.google.conftest import ADA, api_error, reason_of, service_for, stop_in_background

EVENT = {
    "start": {"dateTime": "2030-05-01T09:00:00Z"},
    "end": {"dateTime": "2030-05-01T10:00:00Z"},
}


def watch(api, address: str, channel_id: str = "channel-1", calendar_id="primary", **fields):
    body = {"id": channel_id, "type": "web_hook", "address": address, **fields}
    return api.events().watch(calendarId=calendar_id, body=body).execute()


def test_watch_answers_like_google_and_sends_sync_then_exists(google, api, receiver):
    before_ms = time.time() * 1000
    channel = watch(api, receiver.url, token="secret-token")
    assert channel["kind"] == "api#channel"
    assert channel["id"] == "channel-1"
    assert channel["resourceId"]
    assert channel["resourceUri"].endswith("/calendar/v3/calendars/primary/events?alt=json")
    week_ms = 7 * 24 * 3600 * 1000
    assert before_ms + week_ms <= int(channel["expiration"]) <= time.time() * 1000 + week_ms

    api.events().insert(calendarId="primary", body=EVENT).execute()
    sync, exists = receiver.wait_for(2)
    assert sync["body"] == b"" and sync["X-Goog-Resource-State"] == "sync"
    assert sync["X-Goog-Message-Number"] == "1"
    assert exists["X-Goog-Resource-State"] == "exists"
    assert int(exists["X-Goog-Message-Number"]) > 1  # grows, not necessarily by one
    for header, value in {
        "X-Goog-Channel-Id": "channel-1",
        "X-Goog-Channel-Token": "secret-token",
        "X-Goog-Resource-Id": channel["resourceId"],
        "X-Goog-Resource-Uri": channel["resourceUri"],
    }.items():
        assert exists[header] == value
    expiration = parsedate_to_datetime(exists["X-Goog-Channel-Expiration"])
    assert int(expiration.timestamp()) == int(channel["expiration"]) // 1000

    deliveries = google.wait_for_notifications(timeout=5)
    assert [(d["headers"]["X-Goog-Resource-State"], d["status"]) for d in deliveries] == [
        ("sync", 200),
        ("exists", 200),
    ]


def test_every_kind_of_change_notifies_in_order(google, api, receiver):
    watch(api, receiver.url)
    event = api.events().insert(calendarId="primary", body=EVENT).execute()
    api.events().patch(calendarId="primary", eventId=event["id"], body={"summary": "x"}).execute()
    api.events().update(calendarId="primary", eventId=event["id"], body=EVENT).execute()
    api.events().delete(calendarId="primary", eventId=event["id"]).execute()
    google.insert_event(ADA, "primary", EVENT)  # by hand, in Google's UI
    received = receiver.wait_for(6)
    numbers = [int(r["X-Goog-Message-Number"]) for r in received]
    assert numbers[0] == 1 and numbers == sorted(set(numbers))
    assert [r["X-Goog-Resource-State"] for r in received] == ["sync"] + ["exists"] * 5
    assert "X-Goog-Channel-Token" not in received[0]


def test_other_calendars_do_not_notify(google, api, receiver):
    other = api.calendars().insert(body={"summary": "Other"}).execute()
    watch(api, receiver.url)
    api.events().insert(calendarId=other["id"], body=EVENT).execute()
    google.wait_for_notifications(timeout=5)
    assert [r["X-Goog-Resource-State"] for r in receiver.received] == ["sync"]


def test_several_channels_on_one_calendar_each_get_notified(google, api, receiver):
    watch(api, receiver.url, "first")
    watch(api, receiver.url, "second")
    api.events().insert(calendarId="primary", body=EVENT).execute()
    received = receiver.wait_for(4)
    exists = sorted(
        r["X-Goog-Channel-Id"] for r in received if r["X-Goog-Resource-State"] == "exists"
    )
    assert exists == ["first", "second"]


def test_stop_ends_deliveries_and_unknown_channels_are_not_found(google, api, receiver):
    channel = watch(api, receiver.url)
    receiver.wait_for(1)
    api.channels().stop(body={"id": channel["id"], "resourceId": channel["resourceId"]}).execute()
    api.events().insert(calendarId="primary", body=EVENT).execute()
    google.wait_for_notifications(timeout=5)
    assert len(receiver.received) == 1
    error = api_error(
        api.channels().stop(body={"id": channel["id"], "resourceId": channel["resourceId"]})
    )
    assert (error.status_code, reason_of(error)) == (404, "notFound")


def test_duplicate_channel_id_is_refused(api, receiver):
    watch(api, receiver.url, "same")
    error = api_error(
        api.events().watch(
            calendarId="primary", body={"id": "same", "type": "web_hook", "address": receiver.url}
        )
    )
    assert (error.status_code, reason_of(error)) == (400, "channelIdNotUnique")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"address": "http://example.com/hook"}, "push.webhookUrlNotHttps"),
        ({"id": "x" * 65}, "push.channelIdInvalid"),
        ({"token": "t" * 257}, "invalid"),
        ({"type": "carrier_pigeon"}, "invalid"),
    ],
)
def test_bad_channels_are_refused(api, receiver, fields, reason):
    body = {"id": "channel-1", "type": "web_hook", "address": receiver.url, **fields}
    error = api_error(api.events().watch(calendarId="primary", body=body))
    assert (error.status_code, reason_of(error)) == (400, reason)


def test_plain_http_to_localhost_only_in_local_mode(receiver):
    standin = GoogleStandIn(port=0, local_mode=False).start()
    try:
        token = standin.accounts.issue_access_token(
            ADA, {"https://www.googleapis.com/auth/calendar"}, "test-client"
        )
        api = service_for(standin, token)
        error = api_error(
            api.events().watch(
                calendarId="primary",
                body={"id": "c", "type": "web_hook", "address": receiver.url},
            )
        )
        assert reason_of(error) == "push.webhookUrlNotHttps"
        watch(api, "https://127.0.0.1:1/hook")  # https is fine; delivery then fails, logged
        (delivery,) = standin.wait_for_notifications(timeout=15)
        assert delivery["status"] is None and delivery["error"]
    finally:
        stop_in_background(standin)


def test_ttl_sets_the_expiration(api, receiver):
    before_ms = time.time() * 1000
    channel = watch(api, receiver.url, params={"ttl": "3600"})
    assert before_ms + 3_600_000 <= int(channel["expiration"]) <= time.time() * 1000 + 3_600_000


def test_expired_channels_go_quiet(google, api, receiver):
    requested_ms = int(time.time() * 1000) + 1500  # ahead even if the request is slow
    channel = watch(api, receiver.url, expiration=str(requested_ms))
    assert channel["expiration"] == str(requested_ms)
    receiver.wait_for(1)
    time.sleep(max(0.0, requested_ms / 1000 - time.time()) + 0.01)  # until it has expired
    api.events().insert(calendarId="primary", body=EVENT).execute()
    google.wait_for_notifications(timeout=5)
    assert len(receiver.received) == 1
    error = api_error(
        api.channels().stop(body={"id": channel["id"], "resourceId": channel["resourceId"]})
    )
    assert error.status_code == 404


def test_deleting_the_calendar_says_not_exists(api, receiver):
    calendar = api.calendars().insert(body={"summary": "Acme"}).execute()
    watch(api, receiver.url, calendar_id=calendar["id"])
    api.calendars().delete(calendarId=calendar["id"]).execute()
    assert [r["X-Goog-Resource-State"] for r in receiver.wait_for(2)] == ["sync", "not_exists"]


def test_slow_webhooks_do_not_block_the_api(api, receiver):
    receiver.open.clear()
    try:
        watch(api, receiver.url)
        started = time.monotonic()
        for _ in range(3):
            api.events().insert(calendarId="primary", body=EVENT).execute()
        assert time.monotonic() - started < 2
        assert receiver.received == []
    finally:
        receiver.open.set()
    assert len(receiver.wait_for(4)) == 4


def test_failing_webhook_status_is_logged(google, api, receiver):
    receiver.status = 404  # not one Google sends again (see test_channel_rules.py for those)
    watch(api, receiver.url)
    (delivery,) = google.wait_for_notifications(timeout=5)
    assert (delivery["status"], delivery["attempt"], delivery["retried"]) == (404, 1, False)
