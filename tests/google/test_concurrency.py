"""Many threads on one calendar: nothing lost or doubled, and sync increments miss nothing."""

import threading

from tests.google.conftest import ADA
from tests.google.conftest import sync_token as full_sync

WRITERS = 6
EVENTS_PER_WRITER = 15


def test_concurrent_writes_and_incremental_sync_agree(google, calendar_api):
    replica: dict[str, dict] = {}  # what a client following sync tokens believes
    sync_token = full_sync(calendar_api().events(), calendarId="primary")
    writers_done = threading.Event()
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        api = calendar_api()  # httplib2 is not thread-safe: one client per thread
        try:
            for number in range(EVENTS_PER_WRITER):
                event_id = f"a{writer}b{number:03d}"  # ids use a-v and 0-9 only
                api.events().insert(
                    calendarId="primary",
                    body={
                        "id": event_id,
                        "start": {"dateTime": "2030-05-01T09:00:00Z"},
                        "end": {"dateTime": "2030-05-01T10:00:00Z"},
                    },
                ).execute()
                api.events().patch(
                    calendarId="primary", eventId=event_id, body={"summary": f"v{number}"}
                ).execute()
                if number % 3 == 0:
                    api.events().delete(calendarId="primary", eventId=event_id).execute()
        except BaseException as exc:  # surfaced in the main thread
            failures.append(exc)

    def follow() -> None:
        nonlocal sync_token
        api = calendar_api()
        while True:
            last_round = writers_done.is_set()
            page_token = None
            while True:
                page = (
                    api.events()
                    .list(
                        calendarId="primary",
                        syncToken=sync_token,
                        pageToken=page_token,
                        maxResults=7,
                    )
                    .execute()
                )
                ids = [item["id"] for item in page["items"]]
                assert len(ids) == len(set(ids)), "an increment reported an event twice"
                replica.update({item["id"]: item for item in page["items"]})
                page_token = page.get("nextPageToken")
                if page_token is None:
                    sync_token = page["nextSyncToken"]
                    break
            if last_round:
                return

    writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    follower = threading.Thread(target=follow)
    follower.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=60)
    writers_done.set()
    follower.join(timeout=60)
    assert not failures

    stored = {event["id"]: event for event in google.events(ADA, deleted=True)}
    assert len(stored) == WRITERS * EVENTS_PER_WRITER
    assert set(replica) == set(stored)
    for event_id, event in stored.items():
        assert replica[event_id]["etag"] == event["etag"], event_id
        assert replica[event_id]["status"] == event["status"]
        deleted = int(event_id[-3:]) % 3 == 0
        assert event["status"] == ("cancelled" if deleted else "confirmed")
    assert len({event["etag"] for event in stored.values()}) == len(stored)
    counts = google.call_counts()
    assert counts["calendar.events.insert"] == WRITERS * EVENTS_PER_WRITER
