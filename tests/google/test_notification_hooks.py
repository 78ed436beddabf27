"""The push notification hooks: dropped messages leave a gap in the message numbers, delayed
ones arrive late but in order per channel; channels opened and changes made with the real
client. Message numbers grow but skip some on their own (as Google's do), so the tests compare
what arrived with what the delivery log numbered."""

import time

import pytest
import requests

from tests.google.conftest import ADA

EVENT = {
    "start": {"dateTime": "2030-05-01T09:00:00Z"},
    "end": {"dateTime": "2030-05-01T10:00:00Z"},
}
LONG = 60  # seconds: a delay no test waits out; `clear_faults` or `reset` releases it


def watch(api, address: str, channel_id: str = "channel-1") -> dict:
    body = {"id": channel_id, "type": "web_hook", "address": address}
    return api.events().watch(calendarId="primary", body=body).execute()


def insert(api) -> dict:
    return api.events().insert(calendarId="primary", body=EVENT).execute()


def numbers(received: list[dict], channel_id: str = "channel-1") -> list[str]:
    return [r["X-Goog-Message-Number"] for r in received if r["X-Goog-Channel-Id"] == channel_id]


def logged(deliveries: list[dict], channel_id: str = "channel-1") -> list[str]:
    """The message numbers the stand-in used on a channel, in order, dropped ones included."""
    found = [d["headers"]["X-Goog-Message-Number"] for d in deliveries]
    return [n for n, d in zip(found, deliveries, strict=True) if d["channelId"] == channel_id]


def increasing(found: list[str]) -> bool:
    values = [int(n) for n in found]
    return values[:1] == [1] and all(a < b for a, b in zip(values, values[1:], strict=False))


def test_dropped_notifications_leave_a_gap_and_are_logged(google, api, receiver):
    watch(api, receiver.url)
    receiver.wait_for(1)
    google.drop_notifications(2)
    for _ in range(3):
        insert(api)

    deliveries = google.wait_for_notifications(timeout=5)
    used = logged(deliveries)
    assert increasing(used) and len(used) == 4
    assert numbers(receiver.received) == [used[0], used[3]]
    assert [(d["dropped"], d["status"]) for d in deliveries] == [
        (False, 200),
        (True, None),
        (True, None),
        (False, 200),
    ]


def test_drops_can_target_one_channel(google, api, receiver):
    watch(api, receiver.url, "kept")
    watch(api, receiver.url, "lossy")
    receiver.wait_for(2)
    google.drop_notifications(2, channel_id="lossy")
    for _ in range(3):
        insert(api)

    deliveries = google.wait_for_notifications(timeout=5)
    assert numbers(receiver.received, "kept") == logged(deliveries, "kept")
    assert len(logged(deliveries, "kept")) == 4
    lossy = logged(deliveries, "lossy")
    assert increasing(lossy) and len(lossy) == 4
    assert numbers(receiver.received, "lossy") == [lossy[0], lossy[3]]


def test_delayed_notifications_arrive_late_and_in_order(google, api, receiver):
    watch(api, receiver.url)
    receiver.wait_for(1)
    google.delay_notifications(0.5, count=1)
    started = time.monotonic()
    insert(api)  # held back 0.5 s
    insert(api)  # not delayed itself, but queued behind the held one

    deliveries = google.wait_for_notifications(timeout=5)
    assert time.monotonic() - started >= 0.5
    assert numbers(receiver.received) == logged(deliveries)
    assert increasing(numbers(receiver.received)) and len(receiver.received) == 3
    assert [(d["delayed"], d["status"]) for d in deliveries] == [
        (False, 200),
        (True, 200),
        (False, 200),
    ]


def test_a_delayed_channel_does_not_hold_back_others(google, api, receiver):
    watch(api, receiver.url, "slow")
    watch(api, receiver.url, "fast")
    receiver.wait_for(2)
    google.delay_notifications(LONG, channel_id="slow")
    insert(api)
    insert(api)

    receiver.wait_for(4)  # the fast channel's two
    assert increasing(numbers(receiver.received, "fast"))
    assert len(numbers(receiver.received, "fast")) == 3
    assert numbers(receiver.received, "slow") == ["1"]
    with pytest.raises(TimeoutError):
        google.wait_for_notifications(timeout=0.2)

    google.clear_faults()  # sends what was held back, in order; no more delays
    insert(api)
    deliveries = google.wait_for_notifications(timeout=5)
    assert numbers(receiver.received, "slow") == logged(deliveries, "slow")
    assert increasing(numbers(receiver.received, "slow"))
    assert len(numbers(receiver.received, "slow")) == 4


def test_reset_forgets_drops_and_delays_and_releases_the_wait(google, api, receiver):
    watch(api, receiver.url)
    receiver.wait_for(1)
    google.delay_notifications(LONG)
    insert(api)
    google.drop_notifications(5)
    google.reset()
    assert google.wait_for_notifications(timeout=5) == []

    watch(api, receiver.url, "after-reset")
    google.insert_event(ADA, "primary", EVENT)
    received = receiver.wait_for(3)
    assert increasing(numbers(received, "after-reset"))
    assert len(numbers(received, "after-reset")) == 2
    assert numbers(received) == ["1"]  # the held message went with its channel


def test_notification_hooks_over_http(google, api, receiver):
    base = google.base_url + "/_test"
    watch(api, receiver.url, "one")
    watch(api, receiver.url, "two")
    receiver.wait_for(2)
    drop = {"count": 1, "channel_id": "one"}
    assert requests.post(base + "/notifications/drop", json=drop, timeout=5).status_code == 204
    delay = {"seconds": LONG, "channel_id": "two"}
    assert requests.post(base + "/notifications/delay", json=delay, timeout=5).status_code == 204
    insert(api)
    insert(api)

    receiver.wait_for(3)
    assert len(numbers(receiver.received, "one")) == 2
    assert numbers(receiver.received, "two") == ["1"]
    assert requests.delete(base + "/faults", timeout=5).status_code == 204
    waited = requests.post(base + "/notifications/wait", json={"timeout": 5}, timeout=10).json()
    assert waited["idle"]
    assert numbers(receiver.received, "two") == logged(waited["deliveries"], "two")
    assert len(numbers(receiver.received, "two")) == 3
    one = logged(waited["deliveries"], "one")
    assert increasing(one) and numbers(receiver.received, "one") == [one[0], one[2]]
    dropped = [d["headers"]["X-Goog-Message-Number"] for d in waited["deliveries"] if d["dropped"]]
    assert dropped == [one[1]]


@pytest.mark.parametrize(
    ("hook", "body"),
    [
        ("drop", {}),
        ("drop", {"count": -1}),
        ("drop", {"count": 1, "channel_id": 7}),
        ("delay", {"count": 1}),
        ("delay", {"seconds": -1}),
        ("delay", {"seconds": "soon"}),
        ("delay", {"seconds": 1, "count": 1.5}),
    ],
)
def test_bad_notification_hooks_are_refused(google, hook, body):
    url = f"{google.base_url}/_test/notifications/{hook}"
    assert requests.post(url, json=body, timeout=5).status_code == 400
