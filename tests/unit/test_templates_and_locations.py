"""The emails' texts, and where each sealed secret lives (no SMTP, no Firestore)."""

import pytest

from shared.config import load_config
from shared.mail import templates
from shared.secrets import locations
from shared.secrets.crypto import DecryptionError, secret_box

LINK = "https://sync.example.com/connect?invite=abc.def.ghi"


# -- the invitation email -----------------------------------------------------------


def test_the_invitation_names_the_company_the_worker_and_the_link():
    email = templates.invitation("Acme Plumbing", "Ana", "ana@example.com", LINK)
    assert email.to == "ana@example.com"
    assert email.subject == "Acme Plumbing: connect your Google Calendar"
    assert email.body.startswith("Hi Ana,\n\nAcme Plumbing would like to show your bookings")
    assert 'create one calendar named "Acme Plumbing" and fully manage it' in email.body
    assert f"Connect your Google Calendar: {LINK}\n" in email.body
    assert email.body.endswith("You can disconnect at any time from the platform.\n")
    assert email.form() == {"to": email.to, "subject": email.subject, "body": email.body}


@pytest.mark.parametrize("name", [None, ""])
def test_a_company_without_a_name_is_your_company(name):
    email = templates.invitation(name, "Ana", "ana@example.com", LINK)
    assert email.subject == "Your company: connect your Google Calendar"
    assert "\n\nYour company would like to show" in email.body
    assert 'create one calendar named "Your company"' in email.body
    assert "None" not in email.body


def test_the_html_invitation_escapes_the_text_and_the_link():
    text = "Hi <b>Ana</b> & co,\nline two\n\nSecond <script>alert(1)</script>"
    link = 'https://sync.example.com/connect?invite=a&b="><script>'
    page = templates.invitation_html(text, link)
    assert "<p>Hi &lt;b&gt;Ana&lt;/b&gt; &amp; co,<br>line two</p>" in page
    assert "<p>Second &lt;script&gt;alert(1)&lt;/script&gt;</p>" in page
    assert 'href="https://sync.example.com/connect?invite=a&amp;b=&quot;&gt;&lt;script&gt;"' in page
    assert "<script>" not in page
    assert "<b>" not in page
    assert page.startswith("<!doctype html><html><body")
    assert page.endswith("Connect Google Calendar</a></p></body></html>")


def test_the_html_invitation_keeps_the_paragraphs():
    page = templates.invitation_html("one\n\ntwo\n\nthree", LINK)
    assert page.count("<p>") == 4  # three paragraphs and the button
    assert "<p>one</p><p>two</p><p>three</p><p><a " in page


def test_the_reauth_alert_names_the_account_and_who_uses_it():
    email = templates.reauth_alert("admin@acme.com", "team@acme.com", "Ana and Bo")
    assert email.to == "admin@acme.com"
    assert email.subject == "Google Calendar: Ana and Bo needs to reconnect"
    assert email.body.startswith(
        "Google no longer accepts the calendar permission of team@acme.com (used by Ana and Bo)."
    )


def test_the_switch_alert_names_both_addresses():
    email = templates.switch_alert("admin@acme.com", "Ana", "old@acme.com", "new@gmail.com")
    assert email.subject == "Google Calendar: Ana switched Google account"
    assert email.body.startswith(
        "Ana's Google Calendar connection moved from old@acme.com to new@gmail.com."
    )


def test_plain_text_as_html_is_escaped():
    assert templates.as_html("a < b & c") == "<p>a &lt; b &amp; c</p>"


# -- secret locations ---------------------------------------------------------------
# They are the AES-GCM associated data of the stored secrets: renaming one orphans every
# secret sealed under the old spelling, so the exact values are pinned.


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (locations.client_secret("c1"), "companies/c1/client_secret"),
        (locations.service_account_key("c1"), "companies/c1/service_account_key"),
        (locations.refresh_token("g1"), "grants/g1/refresh_token"),
        (locations.access_token("g1"), "grants/g1/access_token"),
    ],
)
def test_secret_locations_are_pinned(location, expected):
    assert location == expected


def test_every_secret_has_its_own_location():
    spelled = [
        where(owner)
        for where in (
            locations.client_secret,
            locations.service_account_key,
            locations.refresh_token,
            locations.access_token,
        )
        for owner in ("a1", "a2")
    ]
    assert len(set(spelled)) == len(spelled) == 8


def test_a_secret_opens_only_at_its_location():
    box = secret_box(load_config({"APP_MODE": "local"}))
    sealed = box.seal("1//refresh", locations.refresh_token("g1"))
    assert box.open(sealed, locations.refresh_token("g1")) == "1//refresh"
    for elsewhere in (locations.refresh_token("g2"), locations.access_token("g1")):
        with pytest.raises(DecryptionError, match=elsewhere):
            box.open(sealed, elsewhere)
