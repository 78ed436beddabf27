"""After consent: company calendar, calendar list, status, sharing, disconnect, token health."""

from datetime import UTC, datetime, timedelta

import google.auth.transport.requests
import pytest
import requests
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials

from shared.google.clients import calendar_service
from shared.google.oauth import REQUIRED_SCOPES
from tests.helpers import wait_until

FULL = "https://www.googleapis.com/auth/calendar"


def as_account_holder(stack, email: str):
    """The person in Google's own UI: full access to their own calendars."""
    token = stack.google.accounts.issue_access_token(email, {FULL}, client_id="google-ui")
    return calendar_service(stack.config, Credentials(token))


def calendars_named(stack, email: str, name: str) -> list[dict]:
    entries = as_account_holder(stack, email).calendarList()
    request, items = entries.list(), []
    while request is not None:  # every page: Google may cut any page short
        page = request.execute()
        items += page["items"]
        request = entries.list_next(request, page)
    return [item for item in items if item["summary"] == name]


def test_first_sync_creates_the_company_calendar_and_selects_owned_calendars(company):
    company.enable()
    company.add_worker("w1", "ann@example.com", timezone="Europe/Oslo")
    holiday = as_account_holder(company.stack, "ann@example.com").calendars()
    holiday.insert(body={"summary": "Ann's football"}).execute()

    assert company.connect("w1")["google_calendar"] == "connected"
    status = company.wait_first_sync("w1")
    assert status["last_synced_at"]
    (calendar,) = calendars_named(company.stack, "ann@example.com", "Acme Plumbing")
    assert status["company_calendar_id"] == calendar["id"]
    assert calendar["accessRole"] == "owner"

    listed = company.call("GET", "/workers/w1/calendars").json()["calendars"]
    by_summary = {c["summary"]: c for c in listed}
    assert set(by_summary) == {"ann@example.com", "Ann's football"}  # never the company one
    assert by_summary["ann@example.com"]["primary"] is True
    assert all(c["selected"] and c["access_role"] == "owner" for c in listed)


def test_selection_is_kept_and_validated(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    company.connect("w1")
    company.wait_first_sync("w1")
    response = company.call("PUT", "/workers/w1/calendars", json={"selected": []})
    assert response.status_code == 200, response.text
    assert not any(c["selected"] for c in response.json()["calendars"])
    bad = company.call("PUT", "/workers/w1/calendars", json={"selected": ["nope@x"]})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "selected.0"
    # A fieldworker may choose for itself, not for others.
    other = company.call(
        "PUT", "/workers/w1/calendars", role="fieldworker", worker="w2", json={"selected": []}
    )
    assert other.status_code == 403
    company.call("POST", "/workers/w1/resync")
    wait_until(lambda: company.connection("w1")["last_synced_at"], timeout=10)
    after = company.call("GET", "/workers/w1/calendars").json()["calendars"]
    assert not any(c["selected"] for c in after)  # a resync keeps the worker's choice


def test_company_calendar_is_renamed_reused_and_recreated(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    company.connect("w1")
    first = company.wait_first_sync("w1")["company_calendar_id"]

    company.call("PUT", "/settings", json={"company_name": "Acme Heating"})
    (renamed,) = wait_until(
        lambda: calendars_named(company.stack, "ann@example.com", "Acme Heating"), timeout=10
    )
    assert renamed["id"] == first
    assert calendars_named(company.stack, "ann@example.com", "Acme Plumbing") == []

    as_account_holder(company.stack, "ann@example.com").calendars().delete(
        calendarId=first
    ).execute()
    assert company.call("POST", "/workers/w1/resync").status_code == 202
    recreated = wait_until(
        lambda: (cid := company.connection("w1")["company_calendar_id"]) != first and cid,
        timeout=10,
    )
    (calendar,) = calendars_named(company.stack, "ann@example.com", "Acme Heating")
    assert calendar["id"] == recreated


def test_two_workers_share_one_account_token_and_calendar(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    company.add_worker("w2", "ben@example.com")
    company.connect("w1", email="team@example.com")
    company.connect("w2", email="team@example.com")
    one = company.wait_first_sync("w1")
    two = company.wait_first_sync("w2")
    assert one["google_email"] == two["google_email"] == "team@example.com"
    assert one["company_calendar_id"] == two["company_calendar_id"]
    assert len(calendars_named(company.stack, "team@example.com", "Acme Plumbing")) == 1
    accounts = list(company.stack.db.collection("companies/c1/accounts").stream())
    assert len(accounts) == 1 and accounts[0].to_dict()["worker_ids"] == ["w1", "w2"]

    client_id = company.stack.config.platform_client_id
    granted = company.stack.google.accounts.granted_scopes
    assert company.call("DELETE", "/workers/w1/connection").json()["state"] == "disconnected"
    assert granted("team@example.com", client_id) >= REQUIRED_SCOPES  # w2 still uses it
    company.call("POST", "/workers/w2/resync")
    wait_until(lambda: company.connection("w2")["last_synced_at"] != two["last_synced_at"])
    assert company.connection("w2")["state"] == "connected"

    company.call("DELETE", "/workers/w2/connection")
    wait_until(lambda: granted("team@example.com", client_id) == frozenset(), what="revoke")


def test_disconnect_is_idempotent_removes_busy_blocks_and_leaves_google_alone(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    company.add_worker("w2", "ben@example.com")
    google = company.stack.google
    for email, summary in (("ann@example.com", "Dentist"), ("ben@example.com", "Gym")):
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
        body = {
            "summary": summary,
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
        }
        google.insert_event(email, "primary", body)
    company.connect("w1")
    calendar_id = company.wait_first_sync("w1")["company_calendar_id"]
    company.connect("w2")
    company.wait_first_sync("w2")
    blocks = company.stack.db.collection("companies/c1/busy_blocks")
    wait_until(lambda: len(list(blocks.stream())) == 2, timeout=20, what="both imported")

    for _ in range(2):
        response = company.call("DELETE", "/workers/w1/connection")
        assert response.status_code == 200, response.text
        assert response.json()["state"] == "disconnected"
    assert [doc.to_dict()["summary"] for doc in blocks.stream()] == ["Gym"]
    holder = as_account_holder(company.stack, "ann@example.com")
    assert holder.calendars().get(calendarId=calendar_id).execute()["summary"] == "Acme Plumbing"
    # A fieldworker may disconnect itself, not a colleague.
    denied = company.call("DELETE", "/workers/w2/connection", role="fieldworker", worker="w1")
    assert denied.status_code == 403


def test_reconnecting_to_another_account_releases_the_old_one(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    company.connect("w1", email="ann@example.com")
    company.wait_first_sync("w1")
    company.connect("w1", email="ann.work@example.com")
    status = company.wait_first_sync("w1")
    assert status["google_email"] == "ann.work@example.com"
    client_id = company.stack.config.platform_client_id
    granted = company.stack.google.accounts.granted_scopes
    wait_until(lambda: granted("ann@example.com", client_id) == frozenset(), what="release")
    assert granted("ann.work@example.com", client_id) >= REQUIRED_SCOPES


def test_revoked_grant_needs_reauth_alerts_admin_once_and_recovers(company):
    company.enable(admin_email="boss@example.com")
    company.add_worker("w1", "ann@example.com", "Ann")
    company.add_worker("w2", "ben@example.com", "Ben")
    company.connect("w1", email="team@example.com")
    company.connect("w2", email="team@example.com")
    company.wait_first_sync("w1")
    company.wait_first_sync("w2")
    google = company.stack.google.base_url
    requests.post(f"{google}/_test/accounts/team@example.com/revoke-tokens", timeout=10)
    # Access tokens die with the grant, so the next sync must refresh, and fails.
    company.forget_access_token()
    company.call("POST", "/workers/w1/resync")
    wait_until(lambda: company.connection("w1")["state"] == "needs_reauth", timeout=10)
    assert company.connection("w2")["state"] == "needs_reauth"
    assert "connect again" in company.connection("w1")["error"]
    (alert,) = company.stack.mail.mailbox.wait_for(1)
    assert alert.recipients == ["boss@example.com"] and "Ann, Ben" in alert.subject

    company.call("POST", "/workers/w2/resync")  # a second failure alerts nobody again
    pending = company.stack.db.document("companies/c1/workers/w2")
    wait_until(lambda: pending.get().to_dict().get("sync_pending_since"), timeout=5)
    overview = company.call("GET", "/connections").json()["workers"]
    assert [w["state"] for w in overview] == ["needs_reauth", "needs_reauth"]
    assert len(company.stack.mail.mailbox.messages()) == 1

    company.connect("w1", email="team@example.com")
    assert company.wait_first_sync("w1")["state"] == "connected"
    wait_until(lambda: company.connection("w2")["state"] == "connected", timeout=10)
    # w2's kept work ran once the account was back.
    wait_until(lambda: pending.get().to_dict()["sync_pending_since"] is None, timeout=10)


def _sub(company) -> str:
    (account,) = company.stack.db.collection("companies/c1/accounts").stream()
    return account.id


def test_no_token_or_secret_is_stored_in_plain_text(company):
    company.enable_private(client_secret="acme-secret-value")
    company.add_worker("w1", "ann@acme.example")
    company.connect("w1")
    company.wait_first_sync("w1")
    raw = company.raw()
    for plain in ("acme-secret-value", "1//0local-", "ya29."):
        assert plain not in raw
    assert "wrapped_key" in raw  # the secrets are there, sealed


def test_domain_wide_delegation_connects_workers_without_consent(company):
    key = company.delegation_key(
        [*REQUIRED_SCOPES, "https://www.googleapis.com/auth/userinfo.email"]
    )
    company.add_worker("w1", "ann@acme.example")
    company.add_worker("w2", "bob@elsewhere.example")
    saved = company.enable_private(service_account_key=key)
    assert saved["has_service_account_key"] is True
    assert saved["authorization_emails_queued"] == 1  # only the worker outside the domain
    status = company.wait_first_sync("w1")
    assert status["google_email"] == "ann@acme.example"
    assert len(calendars_named(company.stack, "ann@acme.example", "Acme Plumbing")) == 1
    assert company.connection("w2")["state"] == "invited"
    assert key["private_key"].splitlines()[1] not in company.raw()

    # A worker added later is connected as soon as the roster knows them.
    company.add_worker("w3", "cat@acme.example")
    assert company.wait_first_sync("w3")["google_email"] == "cat@acme.example"


def test_delegation_refused_by_the_workspace_is_reported(company):
    key = company.delegation_key(["https://www.googleapis.com/auth/calendar"])
    company.add_worker("w1", "ann@acme.example")
    company.enable_private(service_account_key=key)
    status = wait_until(lambda: (c := company.connection("w1")).get("error") and c, timeout=10)
    assert status["state"] != "connected"
    assert "delegation" in status["error"]


@pytest.mark.parametrize("path", ["/workers/w9/connection", "/workers/w9/calendars"])
def test_unknown_worker_is_404(company, path):
    assert company.call("GET", path).status_code == 404


def test_refresh_token_in_firestore_really_works(company):
    """The sealed token is the live one: opening it and refreshing succeeds."""
    from shared.google import credentials as google_credentials
    from shared.store import records

    company.enable()
    company.add_worker("w1", "ann@example.com")
    company.connect("w1")
    company.wait_first_sync("w1")
    from shared.store.firestore import Store

    store = Store(company.stack.db)
    credentials = google_credentials.for_account(
        company.stack.config,
        store,
        records.company(store, "c1"),
        records.account(store, "c1", _sub(company)),
    )
    credentials.refresh(google.auth.transport.requests.Request())
    assert company.stack.google.accounts.resolve_access_token(credentials.token).email == (
        "ann@example.com"
    )
    company.call("DELETE", "/workers/w1/connection")
    with pytest.raises(RefreshError):
        wait_until(
            lambda: (
                not company.stack.google.accounts.granted_scopes(
                    "ann@example.com", company.stack.config.platform_client_id
                )
            )
        )
        credentials.refresh(google.auth.transport.requests.Request())


def test_rate_limited_google_is_retried_until_the_calendar_exists(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    google = company.stack.google
    google.inject_fault(403, "rateLimitExceeded", method="POST", path="/calendar/v3/calendars")
    company.connect("w1")
    status = company.wait_first_sync("w1")
    assert google.call_counts()["calendar.calendars.insert"] == 2  # refused once, then made
    (calendar,) = calendars_named(company.stack, "ann@example.com", "Acme Plumbing")
    assert status["company_calendar_id"] == calendar["id"]


def test_a_refusal_is_shown_to_the_admin_and_not_hammered(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    google = company.stack.google
    google.inject_fault(403, "forbidden", method="POST", path="/calendar/v3/calendars", count=None)
    company.connect("w1")
    status = wait_until(lambda: (c := company.connection("w1")).get("error") and c, timeout=10)
    assert "forbidden" in status["error"]
    assert status["state"] == "connected" and not status["first_sync"]["done"]
    assert google.call_counts()["calendar.calendars.insert"] == 1
    overview = company.call("GET", "/connections").json()["workers"]
    assert "forbidden" in overview[0]["error"]


def test_concurrent_syncs_of_one_account_refresh_its_token_once(company):
    from concurrent.futures import ThreadPoolExecutor

    from shared.google import credentials as google_credentials
    from shared.store import records
    from shared.store.firestore import Store

    company.enable()
    company.add_worker("w1", "ann@example.com")
    company.connect("w1")
    company.wait_first_sync("w1")
    sub = _sub(company)
    company.forget_access_token()
    google = company.stack.google
    google.reset_request_log()

    store = Store(company.stack.db)

    def token(_: int) -> str:
        acting = google_credentials.for_account(
            company.stack.config,
            store,
            records.company(store, "c1"),
            records.account(store, "c1", sub),
        )
        return acting.token

    with ThreadPoolExecutor(6) as pool:
        tokens = set(pool.map(token, range(6)))
    assert len(tokens) == 1
    # (a late sync task may call the Calendar API meanwhile; only refreshes count here)
    assert [entry["path"] for entry in google.request_log()].count("/token") == 1


def test_accounts_keep_refreshing_with_the_client_that_granted_them(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    company.connect("w1")
    company.wait_first_sync("w1")
    # The admin moves the company to its own Workspace client; Ann's grant is the platform's.
    company.call(
        "PUT",
        "/settings",
        json={
            "provider": "private",
            "client_id": "acme-private",
            "client_secret": "s",
            "workspace_domain": "acme.example",
        },
    )
    company.forget_access_token()
    synced_at = company.connection("w1")["last_synced_at"]
    company.call("POST", "/workers/w1/resync")
    wait_until(lambda: company.connection("w1")["last_synced_at"] != synced_at, timeout=10)
    assert company.connection("w1")["state"] == "connected"


def test_a_client_google_refuses_is_shown_not_retried_forever(company):
    company.enable_private()
    company.add_worker("w1", "ann@acme.example")
    company.connect("w1")
    company.wait_first_sync("w1")
    company.call("PUT", "/settings", json={"client_secret": "a-mistyped-secret"})
    company.forget_access_token()
    company.call("POST", "/workers/w1/resync")
    status = wait_until(lambda: (c := company.connection("w1")).get("error") and c, timeout=10)
    assert "invalid_client" in status["error"]
    assert "a-mistyped-secret" not in status["error"]
