"""An email that can never go is tried once, recorded where the admin looks, and not retried.

The attack: a line break in a stored name made the invitation fail inside the
mail library; the task answered 500 and Cloud Tasks retried it for a day while
the admin saw nothing. The same loop followed any permanent refusal.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.rpc import code_pb2

from shared.queue.tasks import enqueue, tasks_client
from tests.connections.conftest import Company
from tests.helpers import wait_until


@pytest.fixture
def company(stack) -> Company:
    return Company(stack)


@pytest.fixture
def sink(stack) -> Iterator:
    """The test's mailbox; whatever it is told to refuse, and any task left behind, is undone."""
    yield stack.mail.mailbox
    stack.mail.mailbox.refuse(None)
    # A task still retrying would run later against another test's project.
    tasks_client(stack.config).purge_queue(name=stack.config.queue_path(stack.config.mail_queue))


def mail_tasks(stack) -> list:
    path = stack.config.queue_path(stack.config.mail_queue)
    return list(tasks_client(stack.config).list_tasks(parent=path))


def settled(stack, what: str) -> None:
    """Wait until the mail queue is empty: the task answered 2xx (or gave up)."""
    wait_until(lambda: not mail_tasks(stack), timeout=15, what=what)


def test_an_invitation_the_server_refuses_is_sent_once_and_shown(company, sink):
    sink.refuse("^bounce@", 550)
    company.enable()
    company.add_worker("w1", "bounce@example.com", "Ann")
    response = company.call("POST", "/workers/w1/authorization-email")
    assert response.status_code == 202, response.text

    status = wait_until(lambda: company.connection("w1").get("error"), what="the error")
    assert status.startswith("The invitation email could not be delivered")
    assert "550" in status
    listed = company.call("GET", "/connections").json()["workers"]
    assert listed[0]["error"] == status
    # The task left the queue after one attempt: it answered 2xx, so no retry is pending.
    settled(company.stack, "the invitation task to finish")
    assert sink.refused() == ["bounce@example.com"]
    assert sink.messages() == []


def test_a_round_invitation_the_server_refuses_is_shown(company, sink):
    sink.refuse("^bounce@", 550)
    company.add_worker("w1", "bounce@example.com", "Ann")
    company.add_worker("w2", "bob@example.com", "Bob")
    assert company.enable()["authorization_emails_queued"] == 2
    (message,) = sink.wait_for(1)
    assert message.recipients == ["bob@example.com"]
    error = wait_until(lambda: company.connection("w1").get("error"), what="the error")
    assert "could not be delivered" in error
    assert "error" not in company.connection("w2")
    settled(company.stack, "the round's tasks to finish")
    assert sink.refused() == ["bounce@example.com"]


def test_a_later_invitation_that_goes_through_clears_the_error(company, sink):
    sink.refuse("^bounce@", 550)
    company.enable()
    company.add_worker("w1", "bounce@example.com", "Ann")
    company.call("POST", "/workers/w1/authorization-email")
    wait_until(lambda: company.connection("w1").get("error"), what="the error")
    sink.refuse(None)  # say the mailbox was fixed
    company.call("POST", "/workers/w1/authorization-email")
    sink.wait_for(1)
    wait_until(lambda: "error" not in company.connection("w1"), what="the error to clear")


def test_a_temporary_refusal_is_retried_not_recorded(company, sink):
    sink.refuse("^busy@", 450)
    company.enable()
    company.add_worker("w1", "busy@example.com", "Ann")
    company.call("POST", "/workers/w1/authorization-email")
    wait_until(lambda: sink.refused(), what="the first attempt")
    (task,) = wait_until(
        lambda: [t for t in mail_tasks(company.stack) if t.response_count], what="its answer"
    )
    # Answered 503 (not a 500 from a crash), so Cloud Tasks retries it within the queue's bounds.
    assert task.last_attempt.response_status.code == code_pb2.UNAVAILABLE
    assert "error" not in company.connection("w1")


def test_a_stored_line_break_cannot_break_the_invitation(company, sink):
    """Values stored before the API refused them still make a well-formed email."""
    company.enable()
    company.add_worker("w1", "ann@example.com", "Ann")
    company.stack.db.document("companies/c1").update(
        {"company_name": "Acme\r\nBcc: spy@evil.example"}
    )
    company.stack.db.document("companies/c1/workers/w1").update({"name": "Ann\r\nX-Evil: 1"})
    assert company.call("POST", "/workers/w1/authorization-email").status_code == 202
    (message,) = sink.wait_for(1)
    assert message.recipients == ["ann@example.com"]
    assert message.subject == "Acme Bcc: spy@evil.example: connect your Google Calendar"
    assert "Bcc" not in message.headers and "X-Evil" not in message.headers
    settled(company.stack, "the invitation task to finish")


def test_an_undeliverable_reauth_alert_is_shown_in_the_settings(company, sink):
    sink.refuse("^bounce-admin@", 550)
    company.enable(admin_email="bounce-admin@example.com")
    company.add_worker("w1", "ann@example.com", "Ann")
    # As when Google stops accepting the worker's grant: the account and its alert task.
    company.stack.db.document("companies/c1/accounts/sub-1").set(
        {"state": "needs_reauth", "email": "ann@example.com", "worker_ids": ["w1"]}
    )
    alert = {"kind": "reauth_alert", "company_id": "c1", "sub": "sub-1"}
    enqueue(company.stack.config, alert, queue=company.stack.config.mail_queue)

    settings = wait_until(
        lambda: (s := company.call("GET", "/settings").json())["admin_email_error"] and s,
        what="the alert's error",
    )
    assert settings["admin_email_error"].startswith("The alert email to the admin address")
    settled(company.stack, "the alert task to finish")
    assert sink.refused() == ["bounce-admin@example.com"]
    # A new address is a fresh start.
    changed = company.call("PUT", "/settings", json={"admin_email": "boss@example.com"})
    assert changed.json()["admin_email_error"] is None


def test_the_mail_queue_gives_up_within_hours(stack):
    """Even a failure mail.py does not recognise cannot make a mail task retry for ever."""
    path = stack.config.queue_path(stack.config.mail_queue)
    retry = tasks_client(stack.config).get_queue(name=path).retry_config
    assert 0 < retry.max_attempts <= 20
    assert 0 < retry.max_retry_duration.total_seconds() <= 12 * 3600
