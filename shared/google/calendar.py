"""The Calendar port: the few things the sync engine asks of a Google account's calendars,
in domain words, and its adapter over google-api-python-client.

The engine depends on `Calendar` only; `GoogleCalendar` is the one implementation and
goes through the unmodified client library (pointed at the stand-in locally). Errors
leave as the library raises them; `shared.google.errors.calling_google` reads them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from googleapiclient.discovery import Resource
from googleapiclient.errors import HttpError

from shared.config import Config
from shared.google.clients import calendar_batch, calendar_service

# Calls per batch request. Google takes 1,000, each counted against the quotas; 50 keeps a
# burst inside the per-user rate limit.
MAX_BATCH = 50


@dataclass(frozen=True)
class EventWrite:
    """One write to an event of the company calendar."""

    kind: Literal["insert", "update", "delete"]
    event_id: str
    body: dict | None = None  # insert, update
    etag: str | None = None  # update: If-Match


# What a write came to: the event's new etag (insert, update), None (delete), or the error
# Google answered, for the caller to read (`shared.google.errors`).
WriteOutcome = str | None | Exception


class Calendar(Protocol):
    """One Google account's calendars."""

    def ensure_company_calendar(
        self, calendar_id: str | None, name: str, time_zone: str | None
    ) -> tuple[str, bool]: ...

    def calendar_list(self) -> list[dict]: ...

    def insert_event(self, calendar_id: str, event_id: str, body: dict) -> str: ...

    def update_event(
        self, calendar_id: str, event_id: str, body: dict, etag: str | None
    ) -> str: ...

    def delete_event(self, calendar_id: str, event_id: str) -> None: ...

    def write_events(self, calendar_id: str, writes: Sequence[EventWrite]) -> list[WriteOutcome]:
        """Up to MAX_BATCH writes, in one batch request when there are several."""
        ...

    def our_events(self, calendar_id: str, company_id: str, since: str) -> list[dict]:
        """Every live event of the company in the calendar ending after `since` (RFC 3339):
        id, etag, status and private extended properties."""
        ...

    def event_pages(
        self,
        calendar_id: str,
        *,
        sync_token: str | None = None,
        time_min: str | None = None,
        time_max: str | None = None,
    ) -> Iterator[EventPage]:
        """The calendar's events page by page (recurring ones as their instances): changes
        since `sync_token`, or everything between `time_min` and `time_max`."""
        ...

    def watch_events(self, calendar_id: str, channel_id: str, address: str, token: str) -> dict:
        """Open a push channel on the calendar's events: Google's answer (`resourceId`,
        `expiration` in ms since the epoch, as text)."""
        ...

    def watch_calendar_list(self, channel_id: str, address: str, token: str) -> dict:
        """Open a push channel on the account's calendar list (calendars made, changed or
        deleted): Google's answer, as `watch_events`."""
        ...

    def stop_channel(self, channel_id: str, resource_id: str) -> None:
        """Close a push channel of either kind (one already gone is closed)."""
        ...


class EventGone(Exception):
    """The event is no longer in the calendar (deleted by the account holder, or never there)."""


class CalendarGone(Exception):
    """The calendar is not in the account any more (the user deleted it): the company
    calendar on a write, an imported one on a listing."""


class SyncTokenExpired(Exception):
    """Google no longer honours the stored sync token (410): list everything again."""


@dataclass(frozen=True)
class EventPage:
    """One page of `events.list`; the last one carries the token for the next increment."""

    items: list[dict]
    next_sync_token: str | None = None


class GoogleCalendar:
    """`Calendar` through Google's Calendar API v3, as the account the credentials act for."""

    def __init__(self, config: Config, credentials) -> None:
        self._config = config
        self._service: Resource = calendar_service(config, credentials)

    def ensure_company_calendar(
        self, calendar_id: str | None, name: str, time_zone: str | None
    ) -> tuple[str, bool]:
        """The company calendar's id: reused if it still exists (renamed if the company
        was), created otherwise. Returns (id, created)."""
        if calendar_id:
            try:
                existing = self._service.calendars().get(calendarId=calendar_id).execute()
            except HttpError as exc:
                if exc.status_code not in (404, 410):
                    raise
            else:
                if existing.get("summary") != name:
                    self._service.calendars().patch(
                        calendarId=calendar_id, body={"summary": name}
                    ).execute()
                return calendar_id, False
        body = {"summary": name}
        if time_zone:
            body["timeZone"] = time_zone
        created = self._service.calendars().insert(body=body).execute()
        return created["id"], True

    def calendar_list(self) -> list[dict]:
        """Every calendar in the account's list (all pages; a page may be short)."""
        entries: list[dict] = []
        page_token = None
        while True:
            page = (
                self._service.calendarList()
                .list(pageToken=page_token, maxResults=250, showHidden=True)
                .execute()
            )
            entries.extend(page.get("items", []))
            page_token = page.get("nextPageToken")
            if not page_token:
                return entries

    # -- events -------------------------------------------------------------------------
    # Our events notify nobody (`sendUpdates=none`) and have no attendees.

    def insert_event(self, calendar_id: str, event_id: str, body: dict) -> str:
        """Create the event under our deterministic id; returns its etag. An insert retried
        after a lost answer meets its own event (409): that counts as done, with the body
        written again only if it differs (or the event was cancelled meanwhile)."""
        try:
            created = self._insert(calendar_id, event_id, body).execute()
        except HttpError as exc:
            return self._inserted_before(calendar_id, event_id, body, exc)
        return created["etag"]

    def _insert(self, calendar_id: str, event_id: str, body: dict):
        return self._service.events().insert(
            calendarId=calendar_id, body={**body, "id": event_id}, sendUpdates="none"
        )

    def _inserted_before(self, calendar_id: str, event_id: str, body: dict, error: HttpError):
        """After an insert failed: 409 is our own event, written before (a retry after a
        lost answer, or an event deleted in Google, whose id stays taken); 404 is the
        calendar gone."""
        if error.status_code == 404:
            raise CalendarGone(calendar_id) from error
        if error.status_code != 409:
            raise error
        existing = self._service.events().get(calendarId=calendar_id, eventId=event_id).execute()
        if existing.get("status") != "cancelled" and _holds(existing, body):
            return existing["etag"]
        return self.update_event(calendar_id, event_id, body, existing["etag"])

    def update_event(self, calendar_id: str, event_id: str, body: dict, etag: str | None) -> str:
        """Replace the event's content; returns the new etag. With the stored `etag` as
        If-Match, an event edited in Google meanwhile (412) is read once and replaced then.
        EventGone if it is not there any more."""
        try:
            return self._replace(calendar_id, event_id, body, etag).execute()["etag"]
        except HttpError as exc:
            return self._replaced_after(calendar_id, event_id, body, exc)

    def _replace(self, calendar_id: str, event_id: str, body: dict, etag: str | None):
        # `status: confirmed` also restores an event the account holder deleted.
        full = {**body, "id": event_id, "status": "confirmed"}
        request = self._service.events().update(
            calendarId=calendar_id, eventId=event_id, body=full, sendUpdates="none"
        )
        if etag:
            request.headers["If-Match"] = etag
        return request

    def _replaced_after(self, calendar_id: str, event_id: str, body: dict, error: HttpError):
        """After an update failed: 412 is an edit in Google since our write, read once and
        replaced; 404/410 is the event gone."""
        if error.status_code in (404, 410):
            raise EventGone(event_id) from error
        if error.status_code != 412:
            raise error
        current = self._service.events().get(calendarId=calendar_id, eventId=event_id).execute()
        try:
            return self._replace(calendar_id, event_id, body, current["etag"]).execute()["etag"]
        except HttpError as exc:
            if exc.status_code in (404, 410):
                raise EventGone(event_id) from exc
            raise

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        """Delete the event; one already gone (404/410) is deleted."""
        try:
            self._delete(calendar_id, event_id).execute()
        except HttpError as exc:
            if exc.status_code not in (404, 410):
                raise

    def _delete(self, calendar_id: str, event_id: str):
        return self._service.events().delete(
            calendarId=calendar_id, eventId=event_id, sendUpdates="none"
        )

    def our_events(self, calendar_id: str, company_id: str, since: str) -> list[dict]:
        """Every live event of the company in the calendar ending after `since` (all pages;
        a page may be short), with only what drift repair reads."""
        found: list[dict] = []
        page_token = None
        while True:
            page = (
                self._service.events()
                .list(
                    calendarId=calendar_id,
                    timeMin=since,
                    singleEvents=False,
                    maxResults=2500,
                    privateExtendedProperty=f"company_id={company_id}",
                    fields="items(id,etag,status,extendedProperties),nextPageToken",
                    pageToken=page_token,
                )
                .execute()
            )
            found.extend(page.get("items", []))
            page_token = page.get("nextPageToken")
            if not page_token:
                return found

    def event_pages(
        self,
        calendar_id: str,
        *,
        sync_token: str | None = None,
        time_min: str | None = None,
        time_max: str | None = None,
    ) -> Iterator[EventPage]:
        """Pages as Google gives them: one may be short or empty while more follow; only
        the last carries `nextSyncToken`. SyncTokenExpired on 410 (fullSyncRequired),
        CalendarGone on 404 (the calendar was deleted)."""
        query: dict = {"calendarId": calendar_id, "singleEvents": True, "maxResults": 2500}
        if sync_token:
            query["syncToken"] = sync_token  # with the same other parameters as the full list
        else:
            query.update(timeMin=time_min, timeMax=time_max)
        page_token = None
        while True:
            try:
                page = self._service.events().list(**query, pageToken=page_token).execute()
            except HttpError as exc:
                if exc.status_code == 410:
                    raise SyncTokenExpired(calendar_id) from exc
                if exc.status_code == 404:
                    raise CalendarGone(calendar_id) from exc
                raise
            page_token = page.get("nextPageToken")
            yield EventPage(
                page.get("items", []), None if page_token else page.get("nextSyncToken")
            )
            if not page_token:
                return

    def watch_events(self, calendar_id: str, channel_id: str, address: str, token: str) -> dict:
        body = {"id": channel_id, "type": "web_hook", "address": address, "token": token}
        return self._service.events().watch(calendarId=calendar_id, body=body).execute()

    def watch_calendar_list(self, channel_id: str, address: str, token: str) -> dict:
        body = {"id": channel_id, "type": "web_hook", "address": address, "token": token}
        return self._service.calendarList().watch(body=body).execute()

    def stop_channel(self, channel_id: str, resource_id: str) -> None:
        try:
            self._service.channels().stop(
                body={"id": channel_id, "resourceId": resource_id}
            ).execute()
        except HttpError as exc:
            if exc.status_code != 404:
                raise

    # -- several writes at once ----------------------------------------------------------

    def write_events(self, calendar_id: str, writes: Sequence[EventWrite]) -> list[WriteOutcome]:
        """Apply up to MAX_BATCH writes: one plain call for a single write, else one batch
        request. Each write answers on its own; a part that needs a follow-up (a 409 on
        insert, a 412 on update) gets it as a plain call. An error of the batch request
        itself is raised."""
        if len(writes) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} writes per batch, not {len(writes)}")
        if len(writes) == 1:
            return [self._write(calendar_id, writes[0])]
        answers: dict[str, tuple[object, HttpError | None]] = {}
        batch = calendar_batch(
            self._config, callback=lambda rid, answer, error: answers.update({rid: (answer, error)})
        )
        for index, write in enumerate(writes):
            batch.add(self._request(calendar_id, write), request_id=str(index))
        batch.execute()
        outcomes: list[WriteOutcome] = []
        for index, write in enumerate(writes):
            answer, error = answers.get(str(index), (None, None))
            if error is None:
                outcomes.append(answer["etag"] if write.kind != "delete" else None)  # type: ignore[index]
            else:
                outcomes.append(self._follow_up(calendar_id, write, error))
        return outcomes

    def _request(self, calendar_id: str, write: EventWrite):
        if write.kind == "insert":
            return self._insert(calendar_id, write.event_id, write.body or {})
        if write.kind == "update":
            return self._replace(calendar_id, write.event_id, write.body or {}, write.etag)
        return self._delete(calendar_id, write.event_id)

    def _write(self, calendar_id: str, write: EventWrite) -> WriteOutcome:
        try:
            if write.kind == "insert":
                return self.insert_event(calendar_id, write.event_id, write.body or {})
            if write.kind == "update":
                return self._update_or_restore(calendar_id, write)
            self.delete_event(calendar_id, write.event_id)
            return None
        except (HttpError, CalendarGone, EventGone) as exc:
            return exc

    def _follow_up(self, calendar_id: str, write: EventWrite, error: HttpError) -> WriteOutcome:
        """What a failed part of a batch comes to, with the follow-up plain calls it needs."""
        body = write.body or {}
        try:
            if write.kind == "insert":
                return self._inserted_before(calendar_id, write.event_id, body, error)
            if write.kind == "update":
                try:
                    return self._replaced_after(calendar_id, write.event_id, body, error)
                except EventGone:
                    return self.insert_event(calendar_id, write.event_id, body)
            if error.status_code in (404, 410):
                return None  # already gone
            return error
        except (HttpError, CalendarGone, EventGone) as exc:
            return exc

    def _update_or_restore(self, calendar_id: str, write: EventWrite) -> str:
        """Update; an event that is not there at all is inserted under its id again."""
        try:
            return self.update_event(calendar_id, write.event_id, write.body or {}, write.etag)
        except EventGone:
            return self.insert_event(calendar_id, write.event_id, write.body or {})


def _holds(existing: dict, body: dict) -> bool:
    """Whether the event in Google already carries every field of `body`."""
    return all(existing.get(field) == value for field, value in body.items())
