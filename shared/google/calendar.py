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
