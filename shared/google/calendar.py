"""The Calendar port: the few things the sync engine asks of a Google account's calendars,
in domain words, and its adapter over google-api-python-client.

The engine depends on `Calendar` only; `GoogleCalendar` is the one implementation and
goes through the unmodified client library (pointed at the stand-in locally). Errors
leave as the library raises them; `shared.google.errors.calling_google` reads them.
"""

from __future__ import annotations

from typing import Protocol

from googleapiclient.discovery import Resource
from googleapiclient.errors import HttpError

from shared.config import Config
from shared.google.clients import calendar_service


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


class EventGone(Exception):
    """The event is no longer in the calendar (deleted by the account holder, or never there)."""


class GoogleCalendar:
    """`Calendar` through Google's Calendar API v3, as the account the credentials act for."""

    def __init__(self, config: Config, credentials) -> None:
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
        events = self._service.events()
        try:
            created = events.insert(
                calendarId=calendar_id, body={**body, "id": event_id}, sendUpdates="none"
            ).execute()
        except HttpError as exc:
            if exc.status_code != 409:
                raise
            existing = events.get(calendarId=calendar_id, eventId=event_id).execute()
            if existing.get("status") != "cancelled" and _holds(existing, body):
                return existing["etag"]
            return self.update_event(calendar_id, event_id, body, existing["etag"])
        return created["etag"]

    def update_event(self, calendar_id: str, event_id: str, body: dict, etag: str | None) -> str:
        """Replace the event's content; returns the new etag. With the stored `etag` as
        If-Match, an event edited in Google meanwhile (412) is read once and replaced then.
        EventGone if it is not there any more."""
        full = {**body, "id": event_id, "status": "confirmed"}
        try:
            return self._replace(calendar_id, event_id, full, etag)
        except HttpError as exc:
            if exc.status_code != 412:
                raise
        current = self._service.events().get(calendarId=calendar_id, eventId=event_id).execute()
        return self._replace(calendar_id, event_id, full, current["etag"])

    def _replace(self, calendar_id: str, event_id: str, body: dict, etag: str | None) -> str:
        request = self._service.events().update(
            calendarId=calendar_id, eventId=event_id, body=body, sendUpdates="none"
        )
        if etag:
            request.headers["If-Match"] = etag
        try:
            return request.execute()["etag"]
        except HttpError as exc:
            if exc.status_code in (404, 410):
                raise EventGone(event_id) from exc
            raise

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        """Delete the event; one already gone (404/410) is deleted."""
        try:
            self._service.events().delete(
                calendarId=calendar_id, eventId=event_id, sendUpdates="none"
            ).execute()
        except HttpError as exc:
            if exc.status_code not in (404, 410):
                raise


def _holds(existing: dict, body: dict) -> bool:
    """Whether the event in Google already carries every field of `body`."""
    return all(existing.get(field) == value for field, value in body.items())
