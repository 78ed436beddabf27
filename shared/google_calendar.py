"""The Google Calendar adapter: the few calls the sync core makes, in domain words.

Everything here goes through google-api-python-client; errors are read by
Google's `errors[0].reason`, never by message text.
"""

from __future__ import annotations

import json

from googleapiclient.discovery import Resource
from googleapiclient.errors import HttpError

from shared.clients import calendar_service
from shared.config import Config


def reason(error: HttpError) -> str | None:
    try:
        body = json.loads(error.content)
        return body["error"]["errors"][0]["reason"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None


_RATE_LIMITS = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"}


def is_transient(error: HttpError) -> bool:
    """Worth retrying later (rate limits, Google's own failures, an access token that died
    before its time and is refreshed on the retry), as opposed to a refusal."""
    status = error.status_code or 0
    if status in (401, 429) or status >= 500:
        return True
    return status == 403 and reason(error) in _RATE_LIMITS


class GoogleCalendar:
    """One Google account's calendars, as seen through its credentials."""

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
        """Every calendar in the account's list (all pages)."""
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
