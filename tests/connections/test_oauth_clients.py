"""The local stack tells the Google stand-in about OAuth clients as their owners tell Google:
the platform client at start, a private client when an admin saves it. Any other client id
is unknown, so a mistyped one fails locally as it would at Google."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import requests

from tests.browser import consent, follow, query_of
from tests.connections.conftest import PRIVATE_CLIENT_ID

MISTYPED = PRIVATE_CLIENT_ID.replace("acme", "acne")


def with_client_id(google_url: str, client_id: str) -> str:
    """The consent URL as if it had been built with `client_id`."""
    parts = urlsplit(google_url)
    query = {**query_of(google_url), "client_id": client_id}
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_the_platform_client_is_registered_when_the_stack_starts(stack):
    client = stack.google.accounts.client(stack.config.platform_client_id)

    assert client.secret == stack.config.platform_client_secret
    assert client.redirect_uris == {stack.config.public_base_url + "/getAuthKey"}


def test_saving_a_private_client_registers_it_so_its_consent_link_works(company):
    google = company.stack.google
    assert google.accounts.client(PRIVATE_CLIENT_ID) is None

    saved = company.enable_private()

    client = google.accounts.client(PRIVATE_CLIENT_ID)
    assert client.secret == "acme-secret"  # from the request: secrets are never answered
    assert client.redirect_uris == {saved["redirect_uri"]}
    company.add_worker("w1", "ann@acme.example")
    assert company.connect("w1")["google_calendar"] == "connected"
    assert company.wait_first_sync("w1")["state"] == "connected"


def test_a_consent_link_with_a_client_id_never_saved_fails_with_invalid_client(company):
    company.enable_private()
    company.add_worker("w1", "ann@acme.example")
    google_url = follow(company.link("w1"))
    assert query_of(google_url)["client_id"] == PRIVATE_CLIENT_ID

    page = requests.get(with_client_id(google_url, MISTYPED), allow_redirects=False, timeout=30)

    assert page.status_code == 401
    assert "Location" not in page.headers
    assert "Error 401: invalid_client" in page.text
    assert "The OAuth client was not found." in page.text
    assert company.stack.google.accounts.client(MISTYPED) is None


def test_a_mistyped_client_id_in_the_store_fails_at_googles_consent_page(company):
    """A client id that never went through `PUT /settings` (here written straight into
    Firestore) is one the stand-in was never told of: Google's error page, no redirect."""
    company.enable_private()
    company.add_worker("w1", "ann@acme.example")
    company.stack.db.document("companies/c1").update({"client_id": MISTYPED})

    google_url = follow(company.link("w1"))
    page = requests.get(google_url, allow_redirects=False, timeout=30)

    assert query_of(google_url)["client_id"] == MISTYPED
    assert page.status_code == 401 and "invalid_client" in page.text


def test_a_client_id_changed_without_its_secret_cannot_exchange_codes(company):
    """The new id is registered with a secret nobody knows: the stored secret is the old
    client's, which Google refuses for another client. Saving the right secret then works."""
    other = "acme-other.apps.googleusercontent.com"
    company.enable_private()
    company.add_worker("w1", "ann@acme.example")

    saved = company.call("PUT", "/settings", json={"client_id": other})
    assert saved.status_code == 200, saved.text
    google_url = follow(company.link("w1"))
    assert query_of(google_url)["client_id"] == other
    landing = query_of(follow(consent(google_url)))  # the consent page knows the client
    assert landing == {"google_calendar": "error", "reason": "exchange_failed"}
    assert company.stack.google.accounts.client(other).secret != "acme-secret"

    fixed = company.call("PUT", "/settings", json={"client_secret": "other-secret"})
    assert fixed.status_code == 200, fixed.text
    assert company.stack.google.accounts.client(other).secret == "other-secret"
    assert company.connect("w1")["google_calendar"] == "connected"


def test_a_secret_saved_later_does_not_change_the_clients_secret_at_google(company):
    company.enable_private()

    company.call("PUT", "/settings", json={"client_secret": "a-mistyped-secret"})
    company.call("PUT", "/settings", json={"company_name": "Acme Heating"})

    assert company.stack.google.accounts.client(PRIVATE_CLIENT_ID).secret == "acme-secret"


def test_only_a_successful_private_save_registers_a_client(company):
    google = company.stack.google
    refused = company.call(
        "PUT",
        "/settings",
        json={"provider": "private", "client_id": "x", "workspace_domain": "a.example"},
    )
    company.enable(client_id="platform-side-id", client_secret="s")

    assert refused.status_code == 400
    assert google.accounts.client("x") is None
    assert google.accounts.client("platform-side-id") is None
