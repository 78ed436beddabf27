"""Invitation rounds fan out from a task: `PUT /settings` only starts the round, and one
`invitation_round` task marks the workers it invites and queues their emails.

What is checked: who a round emails (and that the settings' answer says so), that each
invited worker holds the round as its current invitation, and that nothing emails anyone
twice: a repeated save, a redelivered round task, a round superseded before its task ran,
or a roster larger than one Firestore transaction could write.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from google.cloud import tasks_v2
from google.cloud.firestore_v1.base_query import FieldFilter

from dev.tokens import service_token
from shared.google.oauth import REQUIRED_SCOPES
from shared.queue.tasks import enqueue, tasks_client
from shared.services.invitations import read_invite
from tests.helpers import wait_until


@pytest.fixture
def tag() -> str:
    """Part of every address a test uses: the SMTP sink is shared by the whole run, and a
    task of an earlier test may still deliver into it."""
    return uuid.uuid4().hex[:8]


def address(name: str, tag: str, domain: str = "example.com") -> str:
    return f"{name}.{tag}@{domain}"


def emails(stack, tag: str) -> list:
    return [m for m in stack.mail.mailbox.messages() if tag in m.recipients[0]]


def queue_tasks(stack, queue: str) -> list:
    parent = stack.config.queue_path(queue)
    request = {"parent": parent, "response_view": tasks_v2.Task.View.FULL}
    return list(tasks_client(stack.config).list_tasks(request=request))


def round_tasks(stack) -> list:
    """Invitation-round tasks not done yet (the emulator drops a task once it answered 2xx)."""
    return [
        task
        for task in queue_tasks(stack, stack.config.sync_queue)
        if json.loads(task.http_request.body).get("kind") == "invitation_round"
    ]


def settled_emails(stack, tag: str, at_least: int, timeout: float = 30) -> list:
    """The test's emails once every round task ran and every mail task was delivered, so no
    email is still on its way."""
    wait_until(lambda: len(emails(stack, tag)) >= at_least, timeout=timeout, what="the emails")
    wait_until(lambda: not round_tasks(stack), timeout=timeout, what="the round tasks")
    wait_until(
        lambda: not queue_tasks(stack, stack.config.mail_queue),
        timeout=timeout,
        what="the mail queue to drain",
    )
    return emails(stack, tag)


def invite_of(stack, message):
    """The invitation the email's link carries."""
    token = message.text.split("/connect?invite=")[1].split()[0]
    return read_invite(stack.config, token)


def current_round(company) -> str:
    return company.stack.db.document(f"companies/{company.id}").get().to_dict()["invitation_round"]


def worker_doc(company, worker_id: str) -> dict:
    return company.stack.db.document(f"companies/{company.id}/workers/{worker_id}").get().to_dict()


def test_a_round_emails_the_unlinked_active_workers_and_says_how_many(company, tag):
    stack = company.stack
    # A worker connected before the round: enabled once, connected, then switched off.
    company.add_worker("eve", address("eve", tag), "Eve")
    company.enable()
    settled_emails(stack, tag, 1)
    assert company.connect("eve", email=address("eve", tag))["google_calendar"] == "connected"
    company.call("PUT", "/settings", json={"enabled": False})
    stack.mail.mailbox.clear()
    for worker_id in ("ann", "bob", "cid"):
        company.add_worker(worker_id, address(worker_id, tag))
    company.add_worker("dan", address("dan", tag), active=False)

    saved = company.enable()  # enabled again: a new round

    sent = settled_emails(stack, tag, 3)
    assert sorted(m.recipients[0] for m in sent) == [address(w, tag) for w in ("ann", "bob", "cid")]
    assert saved["authorization_emails_queued"] == len(sent)
    round_id = current_round(company)
    for message in sent:
        invite = invite_of(stack, message)
        assert message.recipients[0] == address(invite.worker_id, tag)
        assert invite.invitation_id == round_id
        stored = worker_doc(company, invite.worker_id)
        assert stored["connection"]["state"] == "invited"
        assert stored["invitation"]["current"] == round_id
        assert stored["invitation"]["round"] == round_id
        assert company.connection(invite.worker_id)["state"] == "invited"
    assert company.connection("dan")["state"] == "not_connected"
    assert "invitation" not in worker_doc(company, "dan")
    assert company.connection("eve")["state"] == "connected"
    assert worker_doc(company, "eve")["invitation"].get("round") != round_id


def test_workers_that_delegation_connects_get_no_email(company, tag):
    stack = company.stack
    key = company.delegation_key(
        [*REQUIRED_SCOPES, "https://www.googleapis.com/auth/userinfo.email"]
    )
    company.add_worker("ann", address("ann", tag, "acme.example"))
    company.add_worker("bob", address("bob", tag, "elsewhere.example"))
    company.add_worker("cat", address("cat", tag, "ACME.example"))  # the domain, any case

    saved = company.enable_private(service_account_key=key)

    (message,) = settled_emails(stack, tag, 1)
    assert message.recipients == [address("bob", tag, "elsewhere.example")]
    assert saved["authorization_emails_queued"] == 1
    round_id = current_round(company)
    assert worker_doc(company, "bob")["invitation"]["current"] == round_id
    for delegated in ("ann", "cat"):
        assert (worker_doc(company, delegated).get("invitation") or {}).get("round") != round_id


def test_saving_the_same_settings_again_emails_nobody_twice(company, tag):
    stack = company.stack
    company.add_worker("ann", address("ann", tag))
    company.add_worker("bob", address("bob", tag))
    assert company.enable()["authorization_emails_queued"] == 2
    round_id = current_round(company)
    assert company.enable()["authorization_emails_queued"] == 0
    again = company.call("PUT", "/settings", json={"sync_direction": "push_only"})
    assert again.json()["authorization_emails_queued"] == 0
    assert current_round(company) == round_id  # no second round started

    sent = settled_emails(stack, tag, 2)
    assert sorted(m.recipients[0] for m in sent) == [address("ann", tag), address("bob", tag)]


def test_a_redelivered_round_task_queues_no_email_again(company, tag):
    stack = company.stack
    company.add_worker("ann", address("ann", tag))
    company.add_worker("bob", address("bob", tag))
    assert company.enable()["authorization_emails_queued"] == 2
    assert len(settled_emails(stack, tag, 2)) == 2
    wait_until(
        lambda: not queue_tasks(stack, stack.config.sync_queue), what="the sync queue to drain"
    )
    workers = stack.db.collection(f"companies/{company.id}/workers")
    written = {doc.id: doc.update_time for doc in workers.stream()}
    task = {
        "kind": "invitation_round",
        "company_id": company.id,
        "round_id": current_round(company),
    }

    # Cloud Tasks delivers at least once: the same task again, straight to the handler...
    token = service_token(stack.config, "/tasks/sync")
    for _ in range(2):
        response = stack.request("POST", "/tasks/sync", token=token, json=task)
        assert response.status_code == 200, response.text
        assert response.json()["outcome"].startswith("queued 0")
    # ...and through the queue under another name.
    assert enqueue(stack.config, task, name=f"redelivered-{tag}")

    sent = settled_emails(stack, tag, 2)
    assert sorted(m.recipients[0] for m in sent) == [address("ann", tag), address("bob", tag)]
    # A worker already marked in this round is not written again.
    assert {doc.id: doc.update_time for doc in workers.stream()} == written


@pytest.mark.parametrize("supersede", ["disable and enable", "change provider"])
def test_a_superseded_round_emails_nobody(company, tag, supersede):
    stack = company.stack
    company.add_worker("ann", address("ann", tag))
    company.add_worker("bob", address("bob", tag))
    client = tasks_client(stack.config)
    sync_queue = stack.config.queue_path(stack.config.sync_queue)
    client.pause_queue(name=sync_queue)  # the first round's task waits
    try:
        company.enable()
        first = current_round(company)
        if supersede == "disable and enable":
            company.call("PUT", "/settings", json={"enabled": False})
            company.enable()
        else:
            company.enable_private()
        second = current_round(company)
        assert second != first
    finally:
        client.resume_queue(name=sync_queue)  # both rounds' tasks run now

    sent = settled_emails(stack, tag, 2)
    assert sorted(m.recipients[0] for m in sent) == [address("ann", tag), address("bob", tag)]
    assert {invite_of(stack, message).invitation_id for message in sent} == {second}
    for worker_id in ("ann", "bob"):
        assert worker_doc(company, worker_id)["invitation"]["current"] == second


@pytest.mark.full_firestore  # pages through the roster with cursors
@pytest.mark.timeout(600)
def test_a_roster_larger_than_a_transaction_is_enabled_and_everyone_is_emailed(company, tag):
    stack = company.stack
    count = 520  # Firestore allows 500 writes per transaction
    workers = stack.db.collection(f"companies/{company.id}/workers")
    now = datetime.now(UTC)
    for start in range(0, count, 400):
        batch = stack.db.batch()
        for index in range(start, min(start + 400, count)):
            # What PUT /workers writes for a new worker.
            batch.set(
                workers.document(f"w{index:04d}"),
                {
                    "name": f"Worker {index}",
                    "email": address(f"w{index:04d}", tag),
                    "active": True,
                    "timezone": "Europe/London",
                    "email_domain": "example.com",
                    "connection": {"state": "not_connected"},
                    "created_at": now,
                    "updated_at": now,
                    "sync_pending_since": None,
                },
            )
        batch.commit()

    saved = company.enable()

    assert saved["authorization_emails_queued"] == count
    sent = settled_emails(stack, tag, count, timeout=540)
    assert sorted(m.recipients[0] for m in sent) == [
        address(f"w{index:04d}", tag) for index in range(count)
    ]
    round_id = current_round(company)
    invited = workers.where(filter=FieldFilter("invitation.current", "==", round_id)).count().get()
    assert invited[0][0].value == count


def test_a_round_whose_task_was_lost_is_fanned_out_by_the_sweeper(company, tag):
    """As if the settings committed the round but its task never got queued: the sweeper
    finds the round still pending and queues its fan-out."""
    company.add_worker("w1", address("ann", tag))
    company.enable()
    settled_emails(company.stack, tag, at_least=1)
    company_doc = company.stack.db.document(f"companies/{company.id}")
    assert company_doc.get().to_dict()["invitation_round_pending_since"] is None  # went through

    company.add_worker("w2", address("ben", tag))
    lost_round = uuid.uuid4().hex
    company_doc.update(
        {
            "invitation_round": lost_round,
            "invitation_round_started_at": datetime.now(UTC),
            # Pending for longer than the sweeper lets anything wait.
            "invitation_round_pending_since": datetime.now(UTC) - timedelta(minutes=10),
        }
    )
    token = service_token(company.stack.config, "/cron/sweep")
    answer = company.stack.request("POST", "/cron/sweep", token=token)
    assert answer.status_code == 200, answer.text

    ben = wait_until(
        lambda: [m for m in emails(company.stack, tag) if "ben" in m.recipients[0]],
        timeout=30,
        what="the swept round's email",
    )
    assert invite_of(company.stack, ben[0]).invitation_id == lost_round
    wait_until(
        lambda: company_doc.get().to_dict()["invitation_round_pending_since"] is None,
        what="the round marked done",
    )
