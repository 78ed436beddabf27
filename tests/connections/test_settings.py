"""GET/PUT /settings and booking statuses (admin)."""

import pytest

from tests.helpers import wait_until


def test_defaults_before_anything_is_saved(company):
    response = company.call("GET", "/settings")
    assert response.status_code == 200
    settings = response.json()
    assert settings["enabled"] is False
    assert settings["provider"] == "platform"
    assert settings["sync_direction"] == "two_way"
    assert settings["has_client_secret"] is False
    assert settings["redirect_uri"] == company.stack.url + "/getAuthKey"


def test_private_client_secret_is_sealed_and_never_returned(company):
    saved = company.enable(
        provider="private",
        client_id="acme-client.apps.googleusercontent.com",
        client_secret="super-secret-value",
        workspace_domain="Acme.example",
        admin_email="boss@acme.example",
    )
    assert saved["has_client_secret"] is True
    assert saved["workspace_domain"] == "acme.example"
    assert "client_secret" not in saved
    fetched = company.call("GET", "/settings").json()
    assert "super-secret-value" not in str(fetched)
    assert "super-secret-value" not in company.raw()
    # A later save without the secret keeps it.
    again = company.call("PUT", "/settings", json={"sync_direction": "push_only"}).json()
    assert again["has_client_secret"] is True and again["sync_direction"] == "push_only"


@pytest.mark.parametrize(
    "body, field",
    [
        (
            {"provider": "private", "client_id": "x", "workspace_domain": "a.example"},
            "client_secret",
        ),
        (
            {"provider": "private", "client_secret": "s", "workspace_domain": "a.example"},
            "client_id",
        ),
        ({"provider": "private", "client_id": "x", "client_secret": "s"}, "workspace_domain"),
        ({"provider": "someone"}, "provider"),
        ({"sync_direction": "sideways"}, "sync_direction"),
        ({"admin_email": "nope"}, "admin_email"),
        ({"workspace_domain": "not a domain"}, "workspace_domain"),
        ({"enabled": True, "company_name": None}, "company_name"),
        ({"enabled": "yes please"}, "enabled"),
        ({"service_account_key": {"type": "user"}}, "service_account_key.type"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
def test_bad_settings_name_the_field_and_change_nothing(company, body, field):
    before = company.call("GET", "/settings").json()
    response = company.call("PUT", "/settings", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field
    assert company.call("GET", "/settings").json() == before


def test_settings_are_admin_only(company):
    response = company.call("GET", "/settings", role="fieldworker", worker="w1")
    assert response.status_code == 403
    response = company.call("PUT", "/settings", role="fieldworker", worker="w1", json={})
    assert response.status_code == 403


def test_enabling_emails_each_unconnected_active_worker_once(company):
    company.add_worker("w1", "ann@example.com", "Ann")
    company.add_worker("w2", "bob@example.com", "Bob")
    company.add_worker("w3", "cid@example.com", "Cid", active=False)
    saved = company.enable()
    assert saved["authorization_emails_queued"] == 2
    messages = company.stack.mail.mailbox.wait_for(2)
    assert sorted(m.recipients[0] for m in messages) == ["ann@example.com", "bob@example.com"]
    for message in messages:
        assert "Acme Plumbing" in message.subject
        assert "/connect?invite=" in message.text
        assert "/connect?invite=" in message.html
    assert company.connection("w1")["state"] == "invited"
    assert company.connection("w3")["state"] == "not_connected"

    # Saving again (still enabled, same provider) emails nobody.
    assert company.enable()["authorization_emails_queued"] == 0
    # Switching provider is a new round.
    switched = company.enable(
        provider="private", client_id="cid", client_secret="sec", workspace_domain="example.com"
    )
    assert switched["authorization_emails_queued"] == 2
    wait_until(lambda: len(company.stack.mail.mailbox.messages()) == 4, what="second round")


def test_booking_statuses_store_their_flags(company):
    body = {
        "name": "Confirmed",
        "color": "#00AA55",
        "push_to_google": True,
        "delete_from_google": True,
    }
    response = company.call("PUT", "/booking-statuses/confirmed", json=body)
    assert response.status_code == 200, response.text
    company.call(
        "PUT",
        "/booking-statuses/quote",
        json={**body, "name": "Quote", "push_to_google": False, "delete_from_google": False},
    )
    statuses = company.call("GET", "/booking-statuses").json()["statuses"]
    assert statuses == [
        {"id": "confirmed", **body},
        {
            "id": "quote",
            **body,
            "name": "Quote",
            "push_to_google": False,
            "delete_from_google": False,
        },
    ]
    bad = company.call("PUT", "/booking-statuses/x", json={**body, "color": "green"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "color"
