"""The console in a real browser against the live local stack, as an admin and a fieldworker
use it: turn the integration on, invite a worker with an edited email, the worker consents on
Google's (stand-in) page, bookings reach Google and the calendar view, Google busy time arrives
in the open page without a reload, the calendar filter, the booking's sync detail, and a
fieldworker who sees only itself.

Saves the README's screenshots in docs/screenshots/ as it goes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from dev.console import console_address
from tests.console.conftest import SCREENSHOTS, new_page
from tests.helpers import wait_until
from tests.push.conftest import ANN, BEN, STATUSES, day, snapshot
from tests.views.conftest import ViewingCompany, timed

CLEO = "cleo@example.com"
SUBJECT = "Please connect your calendar today, Ann"
GREETING = "Hi Ann, Grace from the office here: two clicks and your jobs are in your calendar."
SYNC = 20_000  # ms to wait for something the sync does (push, import, first sync)


def week_of(moment: datetime) -> datetime:
    """Monday of `moment`'s week (Oslo), as the console's week view starts it."""
    return (moment - timedelta(days=moment.weekday())).replace(hour=0)


def shown_week_days() -> list[int]:
    """Day offsets from tomorrow to the end of tomorrow's week: bookings there are in the future
    and on the one week the test looks at."""
    first = week_of(day(1))
    return [offset for offset in range(1, 8) if week_of(day(offset)) == first]


def to_tomorrows_week(page: Page) -> None:
    """The console opens on this week; tomorrow may be in the next one (today is Sunday)."""
    if week_of(day(1)) != week_of(day(0)):
        page.get_by_role("button", name="Next week").click()


def api_requests(urls: list[str]) -> list[tuple[str, dict]]:
    """(path, query) of every request the page made to the API (not to /console itself)."""
    found = []
    for url in urls:
        parts = urlsplit(url)
        if not parts.path.startswith("/console"):
            found.append((parts.path, parse_qs(parts.query)))
    return found


def test_an_admin_sets_up_invites_and_watches_the_sync_and_a_worker_sees_only_itself(
    stack, browser
):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    company = ViewingCompany(stack)
    for status_id, fields in STATUSES.items():
        company.put_status(status_id, *fields)
    company.add_worker("w1", ANN, name="Ann Hansen", timezone="Europe/Oslo")
    company.add_worker("w2", BEN, name="Ben Berg", timezone="Europe/Oslo")
    company.add_worker("w3", CLEO, name="Cleo Diaz", timezone="Europe/Oslo")
    family = stack.google.create_calendar(ANN, "Family")  # imported with her own calendar
    # What the company has before anyone connects: bookings, unavailable time, a Google event.
    days = shown_week_days()
    first, second, last = days[0], days[min(1, len(days) - 1)], days[-1]
    charles = {"customer": {"name": "Charles Babbage"}, "service": {"name": "Leak repair"}}
    company.put("b2", snapshot(1, "w1", "w2", start=day(second, 13), **charles))
    hedy = {"customer": {"name": "Hedy Lamarr"}, "service": {"name": "Radiator fitting"}}
    company.put("b3", snapshot(1, "w2", status="tentative", start=day(last, 8), **hedy))
    unavailable = {"version": 1, "worker_id": "w2", "title": "Training"}
    unavailable |= {"start": day(last, 12).isoformat(), "end": day(last, 16).isoformat()}
    assert company.call("PUT", "/unavailability/u1", json=unavailable).status_code == 200
    stack.google.insert_event(BEN, "primary", timed("Gym", day(second, 7)))

    # -- the admin opens the address `make run` prints: the token leaves the address bar ----
    page = new_page(browser)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    address = console_address(stack.url, "c1")
    token = address.split("#token=", 1)[1]
    page.goto(address)
    expect(page.get_by_role("heading", name="Integration", level=1)).to_be_visible()
    expect(page).to_have_url(stack.url + "/console#integration")
    assert page.evaluate("sessionStorage.getItem('calendar-sync.token')") == token

    # -- Integration: a private client needs its secret (named next to the field) ------------
    page.get_by_label("Sync with Google Calendar").check()
    page.get_by_label("Company name").fill("Acme Plumbing")
    page.get_by_label("Admin email").fill("ops@acme.example")
    page.get_by_label("Use our own Google Cloud client").check()
    page.get_by_label("Client ID").fill("acme-private.apps.googleusercontent.com")
    page.get_by_label("Workspace domain").fill("acme.example")
    expect(page.get_by_label("Authorized redirect URI")).to_have_value(stack.url + "/getAuthKey")
    page.get_by_label("Workspace domain").blur()
    page.screenshot(path=SCREENSHOTS / "console-integration.png", full_page=True)
    page.get_by_role("button", name="Save settings").click()
    secret = page.get_by_label("Client secret")
    expect(secret).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#client_secret-error")).to_contain_text("client_secret is required")
    expect(secret).to_be_focused()
    page.get_by_label("Use the platform's Google client").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Settings saved. Sync is on.")
    # Turning it on invites the three workers; their emails go out before the admin's own.
    stack.mail.mailbox.wait_for(3, timeout=20)

    # -- Workers: the invitation, previewed, edited and sent from the dialog ----------------
    page.get_by_role("link", name="Workers").click()
    invite = page.get_by_role("button", name=re.compile(r"^Invite.* Ann Hansen$"))
    invite.click()
    dialog = page.get_by_role("dialog", name="Invite Ann Hansen to connect")
    subject = dialog.get_by_label("Subject")
    expect(subject).not_to_have_value("")
    subject.fill(SUBJECT)
    message = dialog.get_by_label("Message")
    message.fill(f"{GREETING}\n\n{message.input_value()}")
    message.evaluate("field => { field.setSelectionRange(0, 0); field.scrollTop = 0; }")
    page.screenshot(path=SCREENSHOTS / "console-invitation.png")
    dialog.get_by_role("button", name="Send invitation").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status")).to_contain_text(f"Invitation sent to {ANN}")
    expect(invite).to_be_focused()  # back where the admin was

    (sent,) = wait_until(
        lambda: [m for m in stack.mail.mailbox.messages() if m.subject == SUBJECT],
        timeout=20,
        what="the edited invitation in the mailbox",
    )
    assert sent.recipients == [ANN]
    assert sent.text.startswith(GREETING)
    link = re.search(r"http://\S+/connect\?invite=\S+", sent.text).group(0)

    # -- Ann follows the emailed link in her own browser and allows on Google's page ---------
    ann = new_page(browser)
    ann.goto(link)
    expect(ann.get_by_role("heading", name=re.compile("Sign in with Google"))).to_be_visible()
    ann.get_by_role("textbox", name="Email").fill(ANN)
    ann.get_by_role("button", name="Allow").click()
    expect(ann.get_by_role("heading", name="Google Calendar: connected")).to_be_visible()
    ann.context.close()

    # The open page shows her connected, first sync and all, without a reload.
    ann_row = page.get_by_role("row", name=re.compile("Ann Hansen"))
    expect(ann_row.get_by_text("Connected", exact=True)).to_be_visible(timeout=SYNC)
    expect(ann_row).to_contain_text(ANN)
    expect(ann_row).to_contain_text("Done 1 pushed, 0 imported", timeout=SYNC)  # b2, from before
    company.connect("w2")  # Ben through his link, as tests/connections do
    ben_row = page.get_by_role("row", name=re.compile("Ben Berg"))
    expect(ben_row).to_contain_text("Done 3 pushed, 1 imported", timeout=SYNC)
    page.screenshot(path=SCREENSHOTS / "console-workers.png", full_page=True)
    # By keyboard: a confirm dialog opens on Cancel, Escape closes it, focus comes back.
    disconnect = page.get_by_role("button", name="Disconnect Ben Berg")
    disconnect.focus()
    page.keyboard.press("Enter")
    confirm = page.get_by_role("dialog", name="Disconnect Ben Berg?")
    expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(confirm).to_be_hidden()
    expect(disconnect).to_be_focused()
    expect(ben_row.get_by_text("Connected", exact=True)).to_be_visible()

    # -- Calendar: a booking made now through the API, in Google and in the week view -------
    company.put("b1", snapshot(1, "w1", start=day(first, 9)))
    wait_until(lambda: company.events_of(ANN, "w1", "b1"), timeout=20, what="b1 in Google")

    page.get_by_role("link", name="Calendar").click()
    to_tomorrows_week(page)
    ann_week = page.get_by_role("region", name="Ann Hansen")
    booking = ann_week.get_by_role("link", name=re.compile("Ada Lovelace"))
    expect(booking).to_be_visible(timeout=SYNC)
    expect(ann_week.get_by_role("link", name=re.compile("Charles Babbage"))).to_be_visible()
    expect(page.get_by_role("region", name="Ben Berg").get_by_text("Gym")).to_be_visible()

    # Google-side events arrive in the open page: no reload (the marker would not survive one).
    page.evaluate("window.sameDocument = true")
    stack.google.insert_event(ANN, "primary", timed("Dentist", day(first, 10)))
    stack.google.insert_event(ANN, family["id"], timed("School play", day(last, 15), hours=2))
    expect(ann_week.get_by_text("Dentist")).to_be_visible(timeout=SYNC)
    expect(ann_week.get_by_text("School play")).to_be_visible(timeout=SYNC)
    assert page.evaluate("window.sameDocument") is True
    # The booking the dentist overlaps is marked, in words as well as colour.
    expect(booking).to_have_accessible_name(re.compile("conflict"))
    expect(booking.get_by_text("Conflict")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "console-calendar.png", full_page=True)

    # "Display calendars": Family off, so only her own calendar's busy time shows.
    page.get_by_text("Display calendars").click()
    page.get_by_role("checkbox", name="Family").uncheck()
    expect(ann_week.get_by_text("School play")).to_be_hidden()
    expect(ann_week.get_by_text("Dentist")).to_be_visible()
    filtered = [
        query["calendar_ids"][0].split(",")
        for path, query in api_requests(asked)
        if path == "/calendar" and "calendar_ids" in query
    ]
    assert filtered and all(ANN in ids and family["id"] not in ids for ids in filtered)

    # -- Booking sync: the booking's state for each worker, with its conflict ---------------
    booking.click()
    expect(page.get_by_role("heading", name="Booking sync", level=1)).to_be_visible()
    sync_row = page.get_by_role("row", name=re.compile("Ann Hansen"))
    expect(sync_row).to_contain_text("In Google")
    expect(sync_row).to_contain_text("Dentist")

    # The token went in the Authorization header only, never in an address.
    assert asked and not any(token in url.split("#", 1)[0] for url in asked)
    assert page.problems == []
    page.context.close()

    # -- Ann's own token, on a phone: her connection and her calendar, nobody else's --------
    phone = new_page(browser, phone=True)
    hers: list[str] = []
    phone.on("request", lambda request: hers.append(request.url))
    phone.goto(console_address(stack.url, "c1", "fieldworker", "w1"))
    expect(phone.get_by_role("heading", name="My connection", level=1)).to_be_visible()
    expect(phone.get_by_text(ANN)).to_be_visible()
    tabs = phone.get_by_role("navigation", name="Console pages").get_by_role("link")
    expect(tabs).to_have_text(["My connection", "My calendar"])
    phone.evaluate("location.hash = 'workers'")  # an admin page's address shows her own
    expect(phone).to_have_url(re.compile("#connection$"))
    expect(phone.get_by_role("heading", name="My connection", level=1)).to_be_visible()
    phone.get_by_role("link", name="My calendar").click()
    to_tomorrows_week(phone)
    expect(phone.get_by_text("Ada Lovelace")).to_be_visible(timeout=SYNC)
    expect(phone.get_by_text("Dentist")).to_be_visible()
    body = phone.locator("body")
    for someone_else in ("Ben Berg", "Cleo Diaz", BEN, CLEO, "Gym", "Hedy Lamarr", "Training"):
        expect(body).not_to_contain_text(someone_else)
    phone.screenshot(path=SCREENSHOTS / "console-phone.png", full_page=True)
    requests = api_requests(hers)
    assert requests
    for path, query in requests:
        assert path in ("/calendar", "/conflicts") or path.startswith("/workers/w1/"), path
        assert query.get("worker_ids") in (None, ["w1"]), (path, query)
    assert phone.problems == []
    phone.context.close()
