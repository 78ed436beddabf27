"""Who may call what: bearer tokens, scopes as the discovery document lists them, accounts."""

import google_auth_httplib2
import httplib2
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

from tests.google.conftest import ADA, SCOPE, all_items, api_error, reason_of, service_for

EVENT = {
    "summary": "Dentist",
    "start": {"dateTime": "2030-05-01T09:00:00Z"},
    "end": {"dateTime": "2030-05-01T10:00:00Z"},
}


def no_refresh_service(standin, token: str | None):
    """A client that shows the 401 itself instead of trying to refresh the token."""
    http = httplib2.Http()
    if token is not None:
        http = google_auth_httplib2.AuthorizedHttp(
            Credentials(token), http=http, refresh_status_codes=()
        )
    return build(
        "calendar",
        "v3",
        http=http,
        static_discovery=True,
        client_options={"api_endpoint": standin.base_url + "/calendar/v3/"},
    )


@pytest.mark.parametrize("token", [None, "ya29.unknown"])
def test_missing_or_unknown_token_is_401_auth_error(google, token):
    error = api_error(no_refresh_service(google, token).calendarList().list())
    assert error.status_code == 401
    assert reason_of(error) == "authError"
    assert error.resp["www-authenticate"].startswith("Bearer")


def test_expired_token_is_401_and_the_client_tries_to_refresh(google):
    token = google.accounts.issue_access_token(ADA, {SCOPE + "calendar"}, "test-client", ttl=0)
    assert api_error(no_refresh_service(google, token).calendarList().list()).status_code == 401
    with pytest.raises(RefreshError):  # a token without refresh token cannot recover
        service_for(google, token).calendarList().list().execute()


def test_read_only_scopes_can_read_but_not_write(google, api, calendar_api):
    api.events().insert(calendarId="primary", body=EVENT).execute()
    for scope in ("calendar.readonly", "calendar.events.readonly"):
        reader = calendar_api(scopes=(scope,))
        assert len(all_items(reader.events(), calendarId="primary")) == 1
        error = api_error(reader.events().insert(calendarId="primary", body=EVENT))
        assert (error.status_code, reason_of(error)) == (403, "insufficientPermissions")
        assert str(error.reason) == "Request had insufficient authentication scopes."


def test_calendarlist_readonly_lists_calendars_but_reads_no_events(calendar_api):
    lister = calendar_api(scopes=("calendar.calendarlist.readonly",))
    assert [c["id"] for c in all_items(lister.calendarList())] == [ADA]
    error = api_error(lister.events().list(calendarId="primary"))
    assert (error.status_code, reason_of(error)) == (403, "insufficientPermissions")


def test_events_scope_writes_events_but_creates_no_calendars(calendar_api):
    writer = calendar_api(scopes=("calendar.events",))
    writer.events().insert(calendarId="primary", body=EVENT).execute()
    error = api_error(writer.calendars().insert(body={"summary": "Work"}))
    assert reason_of(error) == "insufficientPermissions"


def test_app_created_manages_only_calendars_its_client_created(calendar_api):
    app = calendar_api(scopes=("calendar.app.created",), client_id="our-app")
    own = app.calendars().insert(body={"summary": "Acme bookings"}).execute()
    event = app.events().insert(calendarId=own["id"], body=EVENT).execute()
    app.events().patch(calendarId=own["id"], eventId=event["id"], body={"summary": "x"}).execute()
    assert len(all_items(app.events(), calendarId=own["id"])) == 1

    for call in (
        app.events().list(calendarId="primary"),
        app.events().insert(calendarId="primary", body=EVENT),
    ):
        assert reason_of(api_error(call)) == "insufficientPermissions"
    other_app = calendar_api(scopes=("calendar.app.created",), client_id="other-app")
    assert reason_of(api_error(other_app.events().list(calendarId=own["id"]))) == (
        "insufficientPermissions"
    )
    hand_made = calendar_api().calendars().insert(body={"summary": "Mine"}).execute()
    assert reason_of(api_error(app.calendars().delete(calendarId=hand_made["id"]))) == (
        "insufficientPermissions"
    )
    app.calendars().delete(calendarId=own["id"]).execute()


def test_the_products_minimal_scopes_cover_what_it_does(calendar_api):
    """calendarlist.readonly + app.created + events.readonly: list calendars, manage the company
    calendar, read events everywhere."""
    product = calendar_api(
        scopes=(
            "calendar.calendarlist.readonly",
            "calendar.app.created",
            "calendar.events.readonly",
        )
    )
    company = product.calendars().insert(body={"summary": "Acme"}).execute()
    product.events().insert(calendarId=company["id"], body=EVENT).execute()
    ids = {c["id"] for c in all_items(product.calendarList())}
    assert ids == {ADA, company["id"]}
    product.events().list(calendarId="primary").execute()
    assert reason_of(api_error(product.events().insert(calendarId="primary", body=EVENT))) == (
        "insufficientPermissions"
    )


def test_accounts_see_only_their_own_calendars(google, api, calendar_api):
    secondary = api.calendars().insert(body={"summary": "Ada's work"}).execute()
    api.events().insert(calendarId="primary", body=EVENT).execute()
    bob = calendar_api("bob@example.com")
    for calendar_id in (secondary["id"], ADA):
        error = api_error(bob.events().list(calendarId=calendar_id))
        assert (error.status_code, reason_of(error)) == (404, "notFound")
    assert all_items(bob.events(), calendarId="primary") == []
    assert bob.calendars().get(calendarId="primary").execute()["id"] == "bob@example.com"
