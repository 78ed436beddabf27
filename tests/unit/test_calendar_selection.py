"""Which of an account's calendars are imported, and the account step of a sync through a fake
`Calendar` port (no emulator, no Google)."""

import pytest

from shared.domain.account import CalendarChoice, GoogleAccount, select_calendars, with_selection
from shared.domain.company import Company
from shared.domain.connection import ConnectionState
from shared.sync.account_setup import AccountSetup, set_up_account

COMPANY_CALENDAR = "company-cal"


def entry(calendar_id: str, role: str | None = "owner", **fields) -> dict:
    listed = {"id": calendar_id, "summary": calendar_id.title(), **fields}
    if role is not None:
        listed["accessRole"] = role
    return listed


def choice(calendar_id: str, role: str = "owner", selected: bool = True, **fields):
    values = {"summary": calendar_id.title(), "primary": False, **fields}
    return CalendarChoice(calendar_id, values["summary"], values["primary"], role, selected)


# -- select_calendars ---------------------------------------------------------------


def test_owned_calendars_are_selected_by_default_and_shared_ones_are_not():
    entries = [
        entry("primary-cal", "owner", primary=True),
        entry("writer-cal", "writer"),
        entry("reader-cal", "reader"),
        entry("free-busy", "freeBusyReader"),
        entry("no-role", None),
    ]
    assert select_calendars(entries, (), COMPANY_CALENDAR) == [
        CalendarChoice("primary-cal", "Primary-Cal", True, "owner", True),
        CalendarChoice("writer-cal", "Writer-Cal", False, "writer", False),
        CalendarChoice("reader-cal", "Reader-Cal", False, "reader", False),
        CalendarChoice("free-busy", "Free-Busy", False, "freeBusyReader", False),
        CalendarChoice("no-role", "No-Role", False, "reader", False),
    ]


def test_the_company_calendar_is_never_offered():
    entries = [entry("mine"), entry(COMPANY_CALENDAR), entry("other", "reader")]
    chosen = select_calendars(entries, (), COMPANY_CALENDAR)
    assert [c.id for c in chosen] == ["mine", "other"]


def test_a_choice_made_earlier_is_kept():
    entries = [entry("owned"), entry("shared", "reader"), entry("new-owned"), entry("new-shared")]
    previous = (
        choice("owned", selected=False),  # the admin unticked it
        choice("shared", "reader", selected=True),  # the admin ticked it
        choice("gone", selected=True),  # no longer in the list
    )
    chosen = select_calendars(entries, previous, COMPANY_CALENDAR)
    assert [(c.id, c.selected) for c in chosen] == [
        ("owned", False),
        ("shared", True),
        ("new-owned", True),
        ("new-shared", True),
    ]


def test_a_calendar_that_becomes_the_company_calendar_disappears_even_if_chosen():
    previous = (choice(COMPANY_CALENDAR, selected=True),)
    assert select_calendars([entry(COMPANY_CALENDAR)], previous, COMPANY_CALENDAR) == []


@pytest.mark.parametrize(
    ("fields", "summary"),
    [
        ({"summary": "Work", "summaryOverride": "My work"}, "My work"),
        ({"summary": "Work", "summaryOverride": ""}, "Work"),
        ({"summary": "Work"}, "Work"),
        ({}, ""),
    ],
)
def test_the_name_the_person_gave_a_calendar_wins(fields, summary):
    listed = {"id": "cal", "accessRole": "owner", **fields}
    assert select_calendars([listed], (), COMPANY_CALENDAR)[0].summary == summary


def test_an_empty_list_offers_nothing():
    assert select_calendars([], (choice("old"),), COMPANY_CALENDAR) == []


# -- with_selection -----------------------------------------------------------------


def test_with_selection_chooses_exactly_the_given_calendars():
    calendars = (
        choice("a", selected=True),
        choice("b", "reader", selected=False),
        choice("c", "writer", selected=True, primary=True),
    )
    assert with_selection(calendars, ["b", "c", "unknown"]) == [
        choice("a", selected=False),
        choice("b", "reader", selected=True),
        choice("c", "writer", selected=True, primary=True),
    ]
    assert [c.selected for c in with_selection(calendars, [])] == [False, False, False]


# -- records ------------------------------------------------------------------------


def test_a_calendar_choice_round_trips_through_its_record():
    original = CalendarChoice("cal", "Work", True, "writer", True)
    assert original.to_record() == {
        "id": "cal",
        "summary": "Work",
        "primary": True,
        "access_role": "writer",
        "selected": True,
    }
    assert CalendarChoice.from_record(original.to_record()) == original


def test_a_sparse_calendar_record_reads_with_defaults():
    assert CalendarChoice.from_record({"id": "cal"}) == CalendarChoice(
        "cal", "", False, "reader", False
    )


def test_an_account_record_reads_back():
    account = GoogleAccount.from_record(
        "sub-1",
        {
            "email": "ana@example.com",
            "auth": "oauth",
            "grant_id": "g1",
            "client_kind": "platform",
            "worker_ids": ["w1", "w2"],
            "company_calendar_id": COMPANY_CALENDAR,
            "calendars": [choice("a").to_record()],
        },
    )
    assert account == GoogleAccount(
        sub="sub-1",
        email="ana@example.com",
        auth="oauth",
        grant_id="g1",
        client_kind="platform",
        state=ConnectionState.NOT_CONNECTED,  # no state stored
        worker_ids=("w1", "w2"),
        company_calendar_id=COMPANY_CALENDAR,
        calendars=(choice("a"),),
    )


@pytest.mark.parametrize(
    ("auth", "grant", "state", "usable"),
    [
        ("oauth", "g1", "connected", True),
        ("oauth", None, "connected", False),  # no grant: nothing to make credentials from
        ("oauth", "g1", "needs_reauth", False),
        ("delegated", None, "connected", True),
        ("delegated", None, "needs_reauth", False),
        (None, None, "connected", False),
    ],
)
def test_which_accounts_can_make_credentials(auth, grant, state, usable):
    account = GoogleAccount.from_record("sub", {"auth": auth, "grant_id": grant, "state": state})
    assert account.usable is usable


# -- the account step of a sync -----------------------------------------------------


class FakeCalendar:
    """The `Calendar` port, recording what the sync asks of it."""

    def __init__(self, entries: list[dict], calendar_id: str = "new-cal", created: bool = True):
        self.entries = entries
        self.answer = (calendar_id, created)
        self.calls: list[tuple] = []

    def ensure_company_calendar(self, calendar_id, name, time_zone):
        self.calls.append(("ensure_company_calendar", calendar_id, name, time_zone))
        return self.answer

    def calendar_list(self):
        self.calls.append(("calendar_list",))
        return self.entries


def test_a_first_setup_creates_the_company_calendar_and_offers_the_others():
    google = FakeCalendar(
        [entry("primary-cal", primary=True), entry("new-cal"), entry("shared", "reader")],
        calendar_id="new-cal",
        created=True,
    )
    account = GoogleAccount(sub="sub-1", auth="oauth", grant_id="g1")
    setup = set_up_account(google, Company("c1", company_name="Acme"), account, "Europe/Paris")
    assert google.calls == [
        ("ensure_company_calendar", None, "Acme", "Europe/Paris"),
        ("calendar_list",),
    ]
    assert setup == AccountSetup(
        company_calendar_id="new-cal",
        created=True,
        calendars=[
            CalendarChoice("primary-cal", "Primary-Cal", True, "owner", True),
            CalendarChoice("shared", "Shared", False, "reader", False),
        ],
    )


def test_a_later_setup_reuses_the_company_calendar_and_keeps_the_choices():
    google = FakeCalendar(
        [entry(COMPANY_CALENDAR), entry("owned"), entry("shared", "reader")],
        calendar_id=COMPANY_CALENDAR,
        created=False,
    )
    account = GoogleAccount(
        sub="sub-1",
        auth="oauth",
        grant_id="g1",
        company_calendar_id=COMPANY_CALENDAR,
        calendars=(choice("owned", selected=False), choice("shared", "reader", selected=True)),
    )
    setup = set_up_account(google, Company("c1"), account, None)
    assert google.calls == [
        ("ensure_company_calendar", COMPANY_CALENDAR, "Bookings", None),
        ("calendar_list",),
    ]
    assert setup == AccountSetup(
        company_calendar_id=COMPANY_CALENDAR,
        created=False,
        calendars=[choice("owned", selected=False), choice("shared", "reader", selected=True)],
    )


def test_the_calendar_google_answers_with_is_the_one_left_out():
    # The stored company calendar was deleted: Google made a new one, which is not offered,
    # while the old id (now an ordinary calendar, if it still exists) would be.
    google = FakeCalendar([entry("old-cal"), entry("fresh-cal")], "fresh-cal", created=True)
    account = GoogleAccount(sub="sub-1", company_calendar_id="old-cal")
    setup = set_up_account(google, Company("c1"), account, "UTC")
    assert setup.company_calendar_id == "fresh-cal"
    assert [c.id for c in setup.calendars] == ["old-cal"]
    assert google.calls[0] == ("ensure_company_calendar", "old-cal", "Bookings", "UTC")
