"""Google's rules for push channels: how long they live, how messages are numbered and sent
again, who may stop them, and channels on the calendar list; with the real client."""

import threading
import time

import pytest
import requests
from werkzeug.wrappers import Request, Response

from emulators._wsgi import BackgroundWSGIServer
from emulators.google import GoogleStandIn
from tests.google.conftest import ADA, SCOPE, api_error, reason_of, service_for, stop_in_background

BOB = "bob@example.com"
WEEK_MS = 7 * 24 * 3600 * 1000
EVENT = {
    "start": {"dateTime": "2030-05-01T09:00:00Z"},
    "end": {"dateTime": "2030-05-01T10:00:00Z"},
}


def now_ms() -> int:
    return int(time.time() * 1000)


def channel_body(address: str, channel_id: str = "channel-1", **fields) -> dict:
    return {"id": channel_id, "type": "web_hook", "address": address, **fields}


def watch_events(api, address: str, channel_id: str = "channel-1", **fields) -> dict:
    body = channel_body(address, channel_id, **fields)
    return api.events().watch(calendarId="primary", body=body).execute()


def watch_list(api, address: str, channel_id: str = "list-1", **fields) -> dict:
    return api.calendarList().watch(body=channel_body(address, channel_id, **fields)).execute()


def stop(api, channel: dict):
    return api.channels().stop(body={"id": channel["id"], "resourceId": channel["resourceId"]})


class ScriptedReceiver:
    """A webhook that answers with `statuses` in turn (then 200), noting when each came."""

    def __init__(self, statuses=()) -> None:
        self.statuses = list(statuses)
        self.received: list[tuple[float, dict]] = []
        self._changed = threading.Condition()
        self.server = BackgroundWSGIServer(self._app, port=0)

    def _app(self, environ, start_response):
        request = Request(environ)
        with self._changed:
            status = self.statuses.pop(0) if self.statuses else 200
            self.received.append((time.monotonic(), dict(request.headers)))
            self._changed.notify_all()
        return Response(status=status)(environ, start_response)

    @property
    def url(self) -> str:
        return self.server.url + "/hook"

    def headers(self) -> list[dict]:
        with self._changed:
            return [headers for _, headers in self.received]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[float, dict]]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"expected {count} requests, got {self.received}")
            return list(self.received)


@pytest.fixture
def scripted():
    started: list[ScriptedReceiver] = []

    def make(*statuses: int) -> ScriptedReceiver:
        target = ScriptedReceiver(statuses)
        target.server.start()
        started.append(target)
        return target

    yield make
    for target in started:
        stop_in_background(target.server)


@pytest.fixture
def standins():
    """`standins(**options)`: more stand-ins for one test, each stopped afterwards."""
    started: list[GoogleStandIn] = []

    def make(**options) -> GoogleStandIn:
        standin = GoogleStandIn(port=0, **options).start()
        started.append(standin)
        return standin

    yield make
    for standin in started:
        stop_in_background(standin)


def service(standin: GoogleStandIn, email: str = ADA, client_id: str = "test-client"):
    token = standin.accounts.issue_access_token(email, {SCOPE + "calendar"}, client_id=client_id)
    return service_for(standin, token)


# -- expiration ----------------------------------------------------------------------------
@pytest.mark.parametrize("watch", [watch_events, watch_list])
def test_expiration_defaults_to_a_week_and_is_capped_there(api, receiver, watch):
    before = now_ms()
    default = watch(api, receiver.url, "default")
    asked_a_month = watch(api, receiver.url, "month", expiration=str(before + 30 * 86_400_000))
    ttl_a_month = watch(api, receiver.url, "ttl", params={"ttl": str(30 * 86_400)})
    after = now_ms()
    for channel in (default, asked_a_month, ttl_a_month):
        assert before + WEEK_MS <= int(channel["expiration"]) <= after + WEEK_MS


@pytest.mark.parametrize("watch", [watch_events, watch_list])
def test_a_shorter_expiration_is_granted_as_asked(api, receiver, watch):
    asked = now_ms() + 3_600_000
    assert watch(api, receiver.url, expiration=str(asked))["expiration"] == str(asked)


@pytest.mark.parametrize(
    "fields",
    [
        {"expiration": "1000"},  # 1970
        {"expiration": str(int(time.time() * 1000) - 60_000)},  # a minute before the test
        {"params": {"ttl": "0"}},
        {"params": {"ttl": "-60"}},
        {"expiration": "tomorrow"},
        {"params": {"ttl": "an hour"}},
    ],
)
@pytest.mark.parametrize("watch", [watch_events, watch_list])
def test_expirations_in_the_past_or_unreadable_are_refused(google, api, receiver, watch, fields):
    error = api_error(
        api.events().watch(calendarId="primary", body=channel_body(receiver.url, **fields))
        if watch is watch_events
        else api.calendarList().watch(body=channel_body(receiver.url, **fields))
    )
    assert (error.status_code, reason_of(error)) == (400, "invalid")
    assert google.wait_for_notifications(timeout=5) == []  # no channel, no sync message


# -- message numbers -----------------------------------------------------------------------
def numbers_after_changes(standin: GoogleStandIn, address: str, changes: int = 10) -> list[int]:
    """Open channel `same` on ADA's primary calendar, make `changes` changes, and return the
    message numbers the stand-in used (sync first)."""
    api = service(standin)
    watch_events(api, address, "same")
    for _ in range(changes):
        standin.insert_event(ADA, "primary", EVENT)
    deliveries = standin.wait_for_notifications(timeout=10)
    return [int(d["headers"]["X-Goog-Message-Number"]) for d in deliveries]


def test_message_numbers_grow_with_gaps_the_seed_decides(standins, receiver):
    first = numbers_after_changes(standins(seed=1234), receiver.url)
    assert first[0] == 1
    steps = [b - a for a, b in zip(first, first[1:], strict=False)]
    assert len(steps) == 10 and all(step >= 1 for step in steps)
    assert any(step > 1 for step in steps), "numbers must not be consecutive"

    assert numbers_after_changes(standins(seed=1234), receiver.url) == first
    assert numbers_after_changes(standins(seed=4321), receiver.url) != first


def test_the_seed_is_kept_and_can_come_from_the_environment(monkeypatch):
    assert GoogleStandIn(port=0, seed=99).seed == 99
    monkeypatch.setenv("GOOGLE_STANDIN_SEED", "77")
    assert GoogleStandIn(port=0).seed == 77
    monkeypatch.delenv("GOOGLE_STANDIN_SEED")
    assert isinstance(GoogleStandIn(port=0).seed, int)


# -- redelivery ------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_redelivered_with_growing_backoff(google, api, scripted, status):
    google.set_push_retries(attempts=4, backoff_seconds=0.05)
    target = scripted(status, status, status)  # then 200
    watch_events(api, target.url)
    arrivals = target.wait_for(4)
    deliveries = google.wait_for_notifications(timeout=10)

    assert [(d["status"], d["attempt"], d["retried"]) for d in deliveries] == [
        (status, 1, True),
        (status, 2, True),
        (status, 3, True),
        (200, 4, False),
    ]
    assert {headers["X-Goog-Message-Number"] for _, headers in arrivals} == {"1"}  # same one
    gaps = [b - a for (a, _), (b, _) in zip(arrivals, arrivals[1:], strict=False)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1 and gaps[2] >= 0.2  # doubling


@pytest.mark.parametrize("status", [400, 404, 410, 429, 501])
def test_other_failures_are_not_redelivered(google, api, scripted, status):
    google.set_push_retries(attempts=4, backoff_seconds=0.01)
    target = scripted(status)
    watch_events(api, target.url)
    (delivery,) = google.wait_for_notifications(timeout=10)
    assert (delivery["status"], delivery["attempt"], delivery["retried"]) == (status, 1, False)
    assert len(target.received) == 1


def test_redelivery_gives_up_after_the_last_attempt(google, api, scripted):
    google.set_push_retries(attempts=3, backoff_seconds=0.01)
    target = scripted(*[503] * 10)
    watch_events(api, target.url)
    deliveries = google.wait_for_notifications(timeout=10)
    assert [(d["status"], d["attempt"], d["retried"]) for d in deliveries] == [
        (503, 1, True),
        (503, 2, True),
        (503, 3, False),
    ]
    assert len(target.received) == 3


def test_later_messages_wait_behind_a_redelivery(google, api, scripted):
    google.set_push_retries(attempts=3, backoff_seconds=0.2)
    target = scripted(503)
    watch_events(api, target.url)
    target.wait_for(1)  # the sync, failed
    api.events().insert(calendarId="primary", body=EVENT).execute()
    arrivals = target.wait_for(3)
    assert [headers["X-Goog-Resource-State"] for _, headers in arrivals] == [
        "sync",
        "sync",
        "exists",
    ]


def test_redelivery_is_on_by_default_and_short(api, receiver, google):
    receiver.status = 500
    watch_events(api, receiver.url)
    deliveries = google.wait_for_notifications(timeout=10)
    assert len(deliveries) > 1 and not deliveries[-1]["retried"]
    assert all(d["status"] == 500 for d in deliveries)


def test_push_retries_hook_over_http(google, api, scripted):
    url = google.base_url + "/_test/notifications/retries"
    for bad in ({}, {"attempts": 0, "backoff_seconds": 1}, {"attempts": 2, "backoff_seconds": -1}):
        assert requests.post(url, json=bad, timeout=5).status_code == 400
    body = {"attempts": 1, "backoff_seconds": 0}
    assert requests.post(url, json=body, timeout=5).status_code == 204
    target = scripted(503)
    watch_events(api, target.url)
    (delivery,) = google.wait_for_notifications(timeout=10)
    assert (delivery["status"], delivery["retried"]) == (503, False)

    google.reset()  # back to the default: redelivered
    target.statuses.append(503)  # for the new channel's sync message
    watch_events(api, target.url, "after-reset")
    assert [d["attempt"] for d in google.wait_for_notifications(timeout=10)] == [1, 2]


# -- who may stop a channel ------------------------------------------------------------------
@pytest.mark.parametrize("watch", [watch_events, watch_list])
def test_only_the_creator_through_the_same_client_can_stop_a_channel(google, receiver, watch):
    ada = service(google, ADA, "test-client")
    channel = watch(ada, receiver.url)
    for other in (service(google, BOB, "test-client"), service(google, ADA, "other-client")):
        error = api_error(stop(other, channel))
        assert (error.status_code, reason_of(error)) == (404, "notFound")

    google.create_calendar(ADA, "Still watched")  # a change both kinds of channel hear of
    google.insert_event(ADA, "primary", EVENT)
    google.wait_for_notifications(timeout=10)
    assert [r["X-Goog-Resource-State"] for r in receiver.received] == ["sync", "exists"]

    stop(ada, channel).execute()
    assert reason_of(api_error(stop(ada, channel))) == "notFound"  # gone now


def test_stop_needs_the_right_resource_id(google, api, receiver):
    channel = watch_events(api, receiver.url)
    wrong = {"id": channel["id"], "resourceId": "not-" + channel["resourceId"]}
    assert api_error(api.channels().stop(body=wrong)).status_code == 404
    stop(api, channel).execute()


# -- calendar-list channels ------------------------------------------------------------------
def test_calendar_list_channel_hears_of_calendars_not_of_events(google, api, receiver):
    channel = watch_list(api, receiver.url, token="list-token")
    assert channel["kind"] == "api#channel" and channel["id"] == "list-1"
    assert channel["resourceUri"].endswith("/calendar/v3/users/me/calendarList?alt=json")
    events_channel = watch_events(api, receiver.url, "events-1")
    assert channel["resourceId"] != events_channel["resourceId"]
    google.wait_for_notifications(timeout=10)

    api.events().insert(calendarId="primary", body=EVENT).execute()  # events only
    made = api.calendars().insert(body={"summary": "Jobs"}).execute()
    api.calendars().patch(calendarId=made["id"], body={"summary": "Work"}).execute()
    api.calendars().update(calendarId=made["id"], body={"summary": "Work 2"}).execute()
    api.calendars().delete(calendarId=made["id"]).execute()
    google.create_calendar(ADA, "By hand")
    api_error(api.calendars().insert(body={}))  # refused: no change, no message
    deliveries = google.wait_for_notifications(timeout=10)

    on_list = [d["headers"] for d in deliveries if d["channelId"] == "list-1"]
    assert [h["X-Goog-Resource-State"] for h in on_list] == ["sync"] + ["exists"] * 5
    assert {h["X-Goog-Channel-Token"] for h in on_list} == {"list-token"}
    assert {h["X-Goog-Resource-ID"] for h in on_list} == {channel["resourceId"]}
    numbers = [int(h["X-Goog-Message-Number"]) for h in on_list]
    assert numbers[0] == 1 and numbers == sorted(set(numbers))


def test_calendar_list_channels_are_per_account(google, receiver):
    ada, bob = service(google, ADA), service(google, BOB)
    ada_channel = watch_list(ada, receiver.url, "ada-list")
    bob_channel = watch_list(bob, receiver.url, "bob-list")
    assert ada_channel["resourceId"] != bob_channel["resourceId"]
    bob.calendars().insert(body={"summary": "Bob's"}).execute()
    deliveries = google.wait_for_notifications(timeout=10)
    states = [(d["channelId"], d["headers"]["X-Goog-Resource-State"]) for d in deliveries]
    assert sorted(states) == [
        ("ada-list", "sync"),
        ("bob-list", "exists"),
        ("bob-list", "sync"),
    ]


def test_calendar_list_watch_needs_a_calendar_list_scope(calendar_api, receiver):
    events_only = calendar_api(scopes=("calendar.events.readonly",))
    error = api_error(events_only.calendarList().watch(body=channel_body(receiver.url)))
    assert (error.status_code, reason_of(error)) == (403, "insufficientPermissions")
    listing = calendar_api(scopes=("calendar.calendarlist.readonly",))
    assert watch_list(listing, receiver.url)["kind"] == "api#channel"


def test_calendar_list_channels_survive_a_restart(google, receiver, tmp_path):
    api = service(google)
    channel = watch_list(api, receiver.url)
    google.wait_for_notifications(timeout=10)
    google.save_state(tmp_path / "google.json")
    new = GoogleStandIn(port=0)
    new.load_state(tmp_path / "google.json")
    new.start()
    try:
        new.create_calendar(ADA, "After")
        (delivery,) = new.wait_for_notifications(timeout=10)
        assert delivery["headers"]["X-Goog-Resource-State"] == "exists"
        assert int(delivery["headers"]["X-Goog-Message-Number"]) > 1
        stop(service(new), channel).execute()
    finally:
        stop_in_background(new)
