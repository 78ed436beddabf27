"""The account step of a sync: the company calendar exists and carries the company's name,
and the list of calendars to import from is fresh. Google is reached only through the
`Calendar` port; which calendars are chosen is the domain's rule.

The step runs when the account needs it (`GoogleAccount.needs_set_up`): first link, a
rename, an admin's resync, or a change of the calendar list (`request_calendar_list`: its
channel rang, or an imported calendar was found gone), so a calendar made in Google is
offered (and imported if the rule selects it) and a deleted one leaves with its blocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from google.api_core.exceptions import NotFound

from shared.config import Config
from shared.domain.account import CalendarChoice, GoogleAccount, select_calendars
from shared.domain.company import Company
from shared.google.calendar import Calendar
from shared.queue import messages
from shared.store.firestore import Store


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


def request_calendar_list(config: Config, store: Store, company_id: str, sub: str) -> None:
    """Ask the account's next sync to read its calendar list again, and ask for that sync
    (coalesced per account: a burst of notifications is one read)."""
    try:
        store.accounts(company_id).document(sub).update(
            {"calendars_requested_at": datetime.now(UTC)}
        )
    except NotFound:
        return  # the account is gone: nothing to read
    messages.request_account_sync(config, company_id, sub)
