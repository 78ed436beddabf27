"""The account step of a sync: the company calendar exists and carries the company's name,
and the list of calendars to import from is fresh. Google is reached only through the
`Calendar` port; which calendars are chosen is the domain's rule."""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.account import CalendarChoice, GoogleAccount, select_calendars
from shared.domain.company import Company
from shared.google.calendar import Calendar


@dataclass(frozen=True)
class AccountSetup:
    company_calendar_id: str
    created: bool  # the company calendar was (re)created
    calendars: list[CalendarChoice]


def set_up_account(
    calendar: Calendar, company: Company, account: GoogleAccount, time_zone: str | None
) -> AccountSetup:
    calendar_id, created = calendar.ensure_company_calendar(
        account.company_calendar_id, company.calendar_name, time_zone
    )
    calendars = select_calendars(calendar.calendar_list(), account.calendars, calendar_id)
    return AccountSetup(calendar_id, created, calendars)
