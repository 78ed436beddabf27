"""JSON's types are the contract's: a string is not a boolean and a number is not a string.

Lax parsing took `"enabled": "yes"` (or `1`, or `"false"`!) as a boolean: enabling the
integration and emailing every worker on a typo. Each is now a 400 naming the field, and
nothing is written or queued.
"""

from __future__ import annotations

import pytest

from tests.api.edge import assert_error
from tests.connections.conftest import Company
from tests.helpers import wait_until

WORKER = {"name": "Ann", "email": "ann@example.com", "active": True, "timezone": "UTC"}
STATUS = {"name": "Done", "color": "#00AA55", "push_to_google": True, "delete_from_google": True}
NOT_BOOLEANS = ["yes", "true", "false", "1", 1, 0, 1.0, [], {}]


@pytest.fixture
def company(stack) -> Company:
    company = Company(stack)
    company.add_worker("w1", "ann@example.com", "Ann")
    return company


@pytest.mark.parametrize("value", NOT_BOOLEANS, ids=repr)
def test_settings_enabled_must_be_a_boolean(company, value):
    before = company.call("GET", "/settings").json()
    response = company.call("PUT", "/settings", json={"company_name": "Acme", "enabled": value})
    assert_error(response, 400, "invalid_input", "enabled")
    after = company.call("GET", "/settings").json()
    assert after == before and after["enabled"] is False
    assert company.connection("w1")["state"] == "not_connected"  # no invitation was queued


def test_settings_enabled_true_is_accepted_and_queues_the_invitation(company):
    """The control: the same request with a real boolean enables and queues one email."""
    response = company.call("PUT", "/settings", json={"company_name": "Acme", "enabled": True})
    assert response.status_code == 200, response.text
    assert response.json()["enabled"] is True
    assert response.json()["authorization_emails_queued"] == 1
    # The round's fan-out task marks the worker invited.
    wait_until(lambda: company.connection("w1")["state"] == "invited", what="the round's fan-out")


@pytest.mark.parametrize(
    "field, value",
    [("company_name", 7), ("client_id", 12345), ("admin_email", 1), ("sync_direction", 1)],
)
def test_settings_text_fields_refuse_numbers(company, field, value):
    before = company.call("GET", "/settings").json()
    assert_error(company.call("PUT", "/settings", json={field: value}), 400, "invalid_input", field)
    assert company.call("GET", "/settings").json() == before


@pytest.mark.parametrize("value", NOT_BOOLEANS, ids=repr)
def test_worker_active_must_be_a_boolean(stack, value):
    response = stack.request("PUT", "/workers/w1", json={**WORKER, "active": value})
    assert_error(response, 400, "invalid_input", "active")
    assert not stack.db.document("companies/c1/workers/w1").get().exists


@pytest.mark.parametrize("field, value", [("name", 42), ("email", 7), ("timezone", 0)])
def test_worker_text_fields_refuse_numbers(stack, field, value):
    response = stack.request("PUT", "/workers/w1", json={**WORKER, field: value})
    assert_error(response, 400, "invalid_input", field)
    assert not stack.db.document("companies/c1/workers/w1").get().exists


def test_an_inactive_worker_saved_with_a_real_boolean_is_inactive(stack):
    response = stack.request("PUT", "/workers/w1", json={**WORKER, "active": False})
    assert response.status_code == 200, response.text
    assert stack.db.document("companies/c1/workers/w1").get().to_dict()["active"] is False


@pytest.mark.parametrize("field", ["push_to_google", "delete_from_google"])
@pytest.mark.parametrize("value", ["yes", "true", 1], ids=repr)
def test_booking_status_flags_must_be_booleans(stack, field, value):
    response = stack.request("PUT", "/booking-statuses/s1", json={**STATUS, field: value})
    assert_error(response, 400, "invalid_input", field)
    assert not stack.db.document("companies/c1/booking_statuses/s1").get().exists


def test_email_subject_must_be_text(company):
    company.enable()
    response = company.call("POST", "/workers/w1/authorization-email", json={"subject": 5})
    assert_error(response, 400, "invalid_input", "subject")
