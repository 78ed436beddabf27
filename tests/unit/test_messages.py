"""The task messages: each kind parses back to itself and goes to its queue (no Cloud Tasks)."""

import pytest
from pydantic import ValidationError

from shared.config import load_config
from shared.queue import messages
from shared.queue.messages import (
    AccountSwitched,
    InvitationEmail,
    ReauthAlert,
    ReleaseGrant,
    Task,
    WorkerLook,
)

CONFIG = load_config({"APP_MODE": "local", "SYNC_QUEUE": "sync-q", "MAIL_QUEUE": "mail-q"})

EXAMPLES = [
    WorkerLook(company_id="c1", worker_id="w1"),
    InvitationEmail(company_id="c1", worker_id="w1", invitation_id="inv-1"),
    InvitationEmail(
        company_id="c1",
        worker_id="w1",
        invitation_id="r1",
        round="r1",
        subject="Hello",
        body="Text",
    ),
    ReauthAlert(company_id="c1", sub="sub-1"),
    AccountSwitched(
        company_id="c1", worker_id="w1", previous_email="old@x.com", new_email="new@x.com"
    ),
    ReleaseGrant(grant_id="g1"),
]


@pytest.mark.parametrize("message", EXAMPLES, ids=lambda m: m.kind)
def test_every_message_parses_back_to_itself(message):
    parsed = Task.model_validate(message.model_dump(exclude_none=True)).root
    assert type(parsed) is type(message)
    assert parsed == message


@pytest.mark.parametrize(
    ("message", "payload"),
    [
        (EXAMPLES[0], {"kind": "worker", "company_id": "c1", "worker_id": "w1"}),
        (
            EXAMPLES[1],
            {
                "kind": "invitation_email",
                "company_id": "c1",
                "worker_id": "w1",
                "invitation_id": "inv-1",
            },
        ),
        (EXAMPLES[3], {"kind": "reauth_alert", "company_id": "c1", "sub": "sub-1"}),
        (
            EXAMPLES[4],
            {
                "kind": "account_switched",
                "company_id": "c1",
                "worker_id": "w1",
                "previous_email": "old@x.com",
                "new_email": "new@x.com",
            },
        ),
        (EXAMPLES[5], {"kind": "release_grant", "grant_id": "g1"}),
    ],
)
def test_the_wire_format_of_each_kind(message, payload):
    # Tasks already queued by the previous release must keep parsing: the names are pinned.
    assert message.model_dump(exclude_none=True) == payload
    assert Task.model_validate(payload).root == message


@pytest.mark.parametrize(
    ("kind", "mail"),
    [
        (WorkerLook, False),
        (InvitationEmail, True),
        (ReauthAlert, True),
        (AccountSwitched, True),
        (ReleaseGrant, False),
    ],
)
def test_only_emails_are_mail(kind, mail):
    assert kind.mail is mail


def test_mail_is_not_part_of_the_payload():
    assert "mail" not in EXAMPLES[1].model_dump()


@pytest.mark.parametrize(
    "payload",
    [
        {"kind": "delete_everything", "company_id": "c1"},
        {"company_id": "c1", "worker_id": "w1"},  # no kind
        {"kind": "worker", "company_id": "c1"},  # a required field is missing
        {"kind": "release_grant", "grant_id": None},
    ],
)
def test_a_payload_that_is_no_known_message_is_refused(payload):
    with pytest.raises(ValidationError):
        Task.model_validate(payload)


def test_unknown_fields_are_ignored():
    payload = {"kind": "worker", "company_id": "c1", "worker_id": "w1", "added_later": 1}
    parsed = Task.model_validate(payload).root
    assert parsed == WorkerLook(company_id="c1", worker_id="w1")
    assert "added_later" not in parsed.model_dump()


def test_messages_are_frozen():
    with pytest.raises(ValidationError):
        EXAMPLES[0].worker_id = "w2"


@pytest.fixture
def queued(monkeypatch):
    sent: list[tuple] = []

    def enqueue(config, payload, *, queue, name=None, delay=None):
        sent.append((payload, queue, name))
        return True

    monkeypatch.setattr(messages.tasks, "enqueue", enqueue)
    return sent


@pytest.mark.parametrize(
    ("message", "queue"),
    [
        (EXAMPLES[0], "sync-q"),
        (EXAMPLES[1], "mail-q"),
        (EXAMPLES[3], "mail-q"),
        (EXAMPLES[4], "mail-q"),
        (EXAMPLES[5], "sync-q"),
    ],
    ids=lambda value: getattr(value, "kind", value),
)
def test_emails_go_to_the_mail_queue_and_the_rest_to_the_sync_queue(queued, message, queue):
    assert messages.send(CONFIG, message, name="task-1") is True
    assert queued == [(message.model_dump(exclude_none=True), queue, "task-1")]


def test_request_sync_queues_a_look(queued):
    messages.request_sync(CONFIG, "c1", "w1")
    assert queued == [({"kind": "worker", "company_id": "c1", "worker_id": "w1"}, "sync-q", None)]
