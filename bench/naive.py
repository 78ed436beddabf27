"""The naive baseline: the sync a first version would write, for the same workloads in the
same run, through the same stand-in and google-api-python-client.

- push: on every booking change, list the worker's calendar and rewrite every one of the
  worker's events (update what is there, insert what is missing, delete the rest): no
  link records, no content hash, no batching;
- import: on every Google change, list the whole calendar again (the import window, all
  pages) instead of going on from a sync token.

It runs in the bench process, with no HTTP function, task queue or Firestore in between
(which flatters its latency); its calls are counted by the stand-in like ours.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

SCOPE = "https://www.googleapis.com/auth/calendar"
PAGE = 2500  # maxResults, as ours


@dataclass
class NaiveRun:
    calls: int = 0
    changed_at: float | None = None  # perf_counter when the changed event was written
    listed: int = 0  # events read


@dataclass
class NaiveCalendar:
    """One account's calendar as the naive sync sees it."""

    service: object
    calendar_id: str
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def open(cls, stack, config, email: str, calendar_id: str | None = None) -> NaiveCalendar:
        """A client acting as `email` (a token minted by the stand-in for the platform's
        client); without `calendar_id`, a new calendar the naive sync owns."""
        token = stack.google.accounts.issue_access_token(
            email, {SCOPE}, config.platform_client_id, ttl=24 * 3600
        )
        service = build(
            "calendar",
            "v3",
            credentials=Credentials(token),
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": stack.google.base_url + "/calendar/v3/"},
        )
        if calendar_id is None:
            created = service.calendars().insert(body={"summary": "Naive Plumbing"}).execute()
            calendar_id = created["id"]
        return cls(service, calendar_id)

    def _list(self, **query) -> tuple[list[dict], int]:
        items, calls, token = [], 0, None
        while True:
            page = (
                self.service.events()
                .list(calendarId=self.calendar_id, maxResults=PAGE, pageToken=token, **query)
                .execute()
            )
            calls += 1
            items.extend(page.get("items", []))
            token = page.get("nextPageToken")
            if not token:
                return items, calls

    def push(self, desired: dict[str, dict], changed: str | None) -> NaiveRun:
        """Make the calendar hold exactly `desired` (event id → body), rewriting each one;
        notes when event `changed` was written."""
        run = NaiveRun()
        since = (datetime.now(UTC) - timedelta(days=30)).isoformat()
        existing, run.calls = self._list(timeMin=since, singleEvents=False)
        run.listed = len(existing)
        there = {event["id"] for event in existing}
        events, calendar = self.service.events(), self.calendar_id
        for event_id, body in desired.items():
            full = {**body, "id": event_id, "status": "confirmed"}
            try:
                if event_id in there:
                    events.update(calendarId=calendar, eventId=event_id, body=full).execute()
                else:
                    events.insert(calendarId=calendar, body=full).execute()
            except HttpError as exc:
                if exc.status_code != 409:  # deleted before: its id stays taken
                    raise
                run.calls += 1
                events.update(calendarId=calendar, eventId=event_id, body=full).execute()
            run.calls += 1
            if event_id == changed:
                run.changed_at = time.perf_counter()
        for event_id in sorted(there - set(desired)):
            events.delete(calendarId=calendar, eventId=event_id).execute()
            run.calls += 1
            if event_id == changed:
                run.changed_at = time.perf_counter()
        if run.changed_at is None:
            run.changed_at = time.perf_counter()
        return run

    def relist(self, since: datetime, until: datetime) -> NaiveRun:
        """The whole import window again, every page: what the naive import does on each
        notification (the blocks it would rewrite are the events it read)."""
        run = NaiveRun()
        items, run.calls = self._list(
            timeMin=since.isoformat(), timeMax=until.isoformat(), singleEvents=True
        )
        run.listed = len(items)
        run.changed_at = time.perf_counter()
        return run
