"""Single-line text (names, subjects, ids) is refused at the API if it holds control characters.

The attack: a line break in a worker name, company name or email subject was
stored, then broke the invitation email's headers (and looped the mail task).
"""

from __future__ import annotations

import pytest

from tests.connections.conftest import Company

WORKER = {"name": "Ann", "email": "ann@example.com", "active": True, "timezone": "UTC"}
STATUS = {
    "name": "Confirmed",
    "color": "#00AA55",
    "push_to_google": True,
    "delete_from_google": True,
}

BAD_TEXT = [
    "Ann\r\nBcc: spy@evil.example",
    "Ann\nSmith",
    "Ann\rSmith",
    "Ann\tSmith",
    "Ann\x00",
    "Ann\x1b[31m",
    "Ann\x85Smith",  # NEL, a C1 control
    "Ann\u2028Smith",  # Unicode line separator
]


@pytest.fixture
def company(stack) -> Company:
    return Company(stack)


def assert_refused(response, field: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_input", field), error


@pytest.mark.parametrize("text", BAD_TEXT)
def test_worker_name_must_be_one_line(stack, text):
    assert_refused(stack.request("PUT", "/workers/w1", json={**WORKER, "name": text}), "name")
    assert not stack.db.document("companies/c1/workers/w1").get().exists


@pytest.mark.parametrize("field", ["company_name", "client_id", "client_secret"])
@pytest.mark.parametrize("text", BAD_TEXT[:3])
def test_settings_text_must_be_one_line(company, field, text):
    before = company.call("GET", "/settings").json()
    assert_refused(company.call("PUT", "/settings", json={field: text}), field)
    assert company.call("GET", "/settings").json() == before


@pytest.mark.parametrize("text", BAD_TEXT[:3])
def test_booking_status_name_must_be_one_line(stack, text):
    response = stack.request("PUT", "/booking-statuses/s1", json={**STATUS, "name": text})
    assert_refused(response, "name")


@pytest.mark.parametrize("text", BAD_TEXT)
def test_email_subject_must_be_one_line(company, text):
    company.enable()
    company.add_worker("w1", "ann@example.com", "Ann")
    response = company.call("POST", "/workers/w1/authorization-email", json={"subject": text})
    assert_refused(response, "subject")
    assert company.connection("w1")["state"] == "not_connected"  # nothing was queued


@pytest.mark.parametrize("text", ["Hi\x00there", "Hi\x1bthere", "Hi\x7fthere"])
def test_email_body_refuses_other_control_characters(company, text):
    company.enable()
    company.add_worker("w1", "ann@example.com", "Ann")
    response = company.call("POST", "/workers/w1/authorization-email", json={"body": text})
    assert_refused(response, "body")


def test_email_body_keeps_its_lines_and_tabs(company):
    company.enable()
    company.add_worker("w1", "ann@example.com", "Ann")
    body = "Hi Ann,\r\n\r\nPlease connect:\n\t- today\n"
    response = company.call("POST", "/workers/w1/authorization-email", json={"body": body})
    assert response.status_code == 202, response.text
    (message,) = company.stack.mail.mailbox.wait_for(1)
    assert message.text.startswith("Hi Ann,\n\nPlease connect:\n\t- today")


def test_ordinary_names_are_kept(stack):
    name = "Zoë O'Brien-Åsgård 李"
    response = stack.request("PUT", "/workers/w1", json={**WORKER, "name": name})
    assert response.status_code == 200, response.text
    assert stack.db.document("companies/c1/workers/w1").get().to_dict()["name"] == name
