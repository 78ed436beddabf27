"""An invitation round emails each worker once: a redelivered mail task and a repeated
settings save both leave a single email in the worker's inbox."""

from dev.tokens import service_token
from shared.queue.tasks import tasks_client
from tests.helpers import wait_until


def mail_queue_drained(stack) -> bool:
    """Every mail task queued so far was delivered (the emulator drops a task once it succeeded
    and keeps a failing one for retries), so no email is still on its way."""
    queue = stack.config.queue_path(stack.config.mail_queue)
    return not list(tasks_client(stack.config).list_tasks(parent=queue))


def emails_to(stack, address: str) -> list:
    return [m for m in stack.mail.mailbox.messages() if address in m.recipients]


def settled_emails_to(stack, address: str, at_least: int) -> list:
    wait_until(lambda: len(emails_to(stack, address)) >= at_least, what=f"email to {address}")
    wait_until(lambda: mail_queue_drained(stack), what="mail queue drained")
    return emails_to(stack, address)


def test_a_redelivered_round_email_is_not_sent_again(company):
    stack = company.stack
    company.add_worker("w1", "ann@example.com", "Ann")
    assert company.enable()["authorization_emails_queued"] == 1
    round_id = stack.db.document(f"companies/{company.id}").get().to_dict()["invitation_round"]
    assert len(settled_emails_to(stack, "ann@example.com", 1)) == 1  # the round's own delivery

    # Cloud Tasks delivers at least once: the same round's task comes again, twice.
    task = {
        "kind": "invitation_email",
        "company_id": company.id,
        "worker_id": "w1",
        "round": round_id,
        "invitation_id": round_id,  # the round is the worker's invitation
    }
    token = service_token(stack.config, "/tasks/sync")
    for _ in range(2):
        response = stack.request("POST", "/tasks/sync", token=token, json=task)
        assert response.status_code == 200, response.text
        assert response.json()["outcome"] == "moot"
    assert len(emails_to(stack, "ann@example.com")) == 1
    assert company.connection("w1")["state"] == "invited"


def test_saving_the_enabling_settings_twice_emails_once(company):
    stack = company.stack
    company.add_worker("w1", "ann@example.com", "Ann")
    assert company.enable()["authorization_emails_queued"] == 1
    assert company.enable()["authorization_emails_queued"] == 0  # same settings, saved again
    assert len(settled_emails_to(stack, "ann@example.com", 1)) == 1
