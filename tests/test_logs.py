"""Logs are Cloud Logging's JSON lines, labelled with what they are about, and no secret
reaches them: redaction rules in isolation, then whole flows on the local stack (consent,
a private client's secret, an invitation email, tokens refused, Google calls) with every
line they log searched for the secrets that went by."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
import requests

from dev.tokens import service_token
from shared import logs
from tests.helpers import wait_until
from tests.push.conftest import PushCompany, day, snapshot
from tests.views.conftest import timed, two_way_company

ACME_ANN = "ann@acme.example"  # in the private client's Workspace domain
ANN = "ann@example.com"  # tests.views.conftest's Ann

STAND_INS = ("mail.log", "emulators")
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJjb21wYW55X2lkIjoiYzEifQ.c2lnbmF0dXJlLWhlcmU"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"Authorization: Bearer {JWT}", JWT),
        (f"refused token {JWT}", JWT),
        ("GET /getAuthKey?code=4/0AbCdEf&state=s1gned.state HTTP/1.1", "4/0AbCdEf"),
        ("GET /getAuthKey?code=4/0AbCdEf&state=s1gned.state HTTP/1.1", "s1gned.state"),
        ("GET /connect?invite=inv.tok3n HTTP/1.1", "inv.tok3n"),
        ("access ya29.a0AfH6SMBx-secret_part here", "ya29.a0AfH6SMBx-secret_part"),
        ("refresh 1//0gLq-secret_part here", "1//0gLq-secret_part"),
        ('{"client_secret": "GOCSPX-abc", "x": 1}', "GOCSPX-abc"),
        ("client_secret=GOCSPX-abc&grant_type=refresh_token", "GOCSPX-abc"),
        ("{'refresh_token': 'r-t0ken'}", "r-t0ken"),
        (
            "key -----BEGIN PRIVATE KEY-----\nMIIEv\nQQ==\n-----END PRIVATE KEY----- end",
            "MIIEv",
        ),
    ],
)
def test_secrets_are_redacted_wherever_they_appear(text, secret):
    assert secret not in logs.redact(text)


def test_ordinary_words_are_left_alone():
    line = "worker w1 state=connected; SMTP code 550; 3 events pushed, token hash kept"
    assert logs.redact(line) == line


@pytest.fixture
def captured(stack, request):
    """Every log line of the process, as production writes them (JSON), while the test
    runs; at DEBUG with `@pytest.mark.parametrize("captured", [logging.DEBUG], indirect=True)`
    (libraries say more there: the net must hold for them too)."""
    stream = io.StringIO()
    production = stack.config.model_copy(update={"mode": "production"})
    handler = logs.handler(production, stream)
    # The stand-ins run in this process too; what Google's or the mail provider's servers
    # log is not our log (aiosmtpd, the local mail server, logs whole messages at DEBUG).
    handler.addFilter(lambda record: not record.name.startswith(STAND_INS))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(getattr(request, "param", logging.INFO))
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_line_is_cloud_loggings_json_with_severity_trace_labels_and_event_fields(captured, stack):
    log = logging.getLogger("shared.test")
    with logs.labelled(company="c1", worker="w1"), logs.labelled(calendar="cal", account=None):
        logs.event(log, "google_call", method="calendar.events.insert", outcome="ok")
    with pytest.raises(ValueError), logs.labelled(customer="x"):
        pass
    log.warning("after %s", "the request")

    first, second = [line for line in lines(captured) if line.get("message") != ""][-2:]
    assert first["severity"] == "INFO"
    assert first["event"] == "google_call" and first["method"] == "calendar.events.insert"
    assert first["logging.googleapis.com/labels"] == {
        "python_logger": "shared.test",
        "company": "c1",
        "worker": "w1",
        "calendar": "cal",
    }
    assert first["logging.googleapis.com/sourceLocation"]["function"] == "event"
    assert second["severity"] == "WARNING" and second["message"] == "after the request"
    assert second["logging.googleapis.com/labels"] == {"python_logger": "shared.test"}


def test_a_request_is_traced_and_labelled_with_its_company(captured, stack):
    # A refused token is logged inside the request: it carries the request's trace.
    answer = stack.request(
        "GET",
        "/settings",
        token=JWT,
        headers={"X-Cloud-Trace-Context": "0af7651916cd43dd8448eb211c80319c/1;o=1"},
    )
    assert answer.status_code == 401
    (refused,) = [line for line in lines(captured) if "refused" in line.get("message", "")]
    assert refused["logging.googleapis.com/trace"] == (
        f"projects/{stack.config.project_id}/traces/0af7651916cd43dd8448eb211c80319c"
    )
    assert JWT not in json.dumps(refused)


@pytest.mark.parametrize("captured", [logging.INFO, logging.DEBUG], indirect=True)
def test_no_secret_reaches_a_log_line_through_whole_flows(captured, stack):
    company = PushCompany(stack)
    secret = "GOCSPX-do-not-log-this-secret"
    company.enable_private(client_secret=secret)
    company.add_worker("w1", ACME_ANN, name="Ann Hansen", timezone="Europe/Oslo")
    body = "Private words for Ann only: the gate code is 4711."
    sent = company.call(
        "POST",
        "/workers/w1/authorization-email",
        json={"subject": "Your calendar", "body": body},
    )
    assert sent.status_code == 202, sent.text
    invite_link = company.link("w1")
    company.connect("w1")
    company.wait_first_sync("w1")
    company.put("b1", snapshot(1, "w1"))
    company.settled()
    stack.request("GET", "/settings", token=JWT)  # refused, with the token in hand
    admin_token = stack.token("admin", company.id)
    stack.request("GET", "/settings", company=company.id)

    text = captured.getvalue()
    assert lines(captured), "the flows logged nothing: the test would prove nothing"
    assert any(line.get("event") == "google_call" for line in lines(captured))
    for leaked in (secret, JWT, admin_token, body, "gate code", invite_link.split("=")[-1]):
        assert leaked not in text, leaked
    for marker in ("ya29.", "1//", "eyJ", "-----BEGIN"):
        assert marker not in text, marker
    unredacted = re.search(r"[?&](code|state|invite|client_secret)=(?!\[redacted\])", text)
    assert unredacted is None, text[unredacted.start() - 100 : unredacted.end() + 100]


def pending_work(stream: io.StringIO) -> list[int]:
    return [
        line["oldest_age_seconds"] for line in lines(stream) if line.get("event") == "pending_work"
    ]


def test_every_sweep_logs_how_long_the_oldest_pending_work_has_waited(captured, stack):
    token = service_token(stack.config, "/cron/sweep")
    assert stack.request("POST", "/cron/sweep", token=token).status_code == 200
    assert pending_work(captured) == [0]  # nothing waits

    waited = timedelta(minutes=20)
    stack.db.document("companies/c1/workers/late").set(
        {"name": "Late", "push_pending_since": datetime.now(UTC) - waited}
    )
    stack.db.document("companies/c2/workers/new").set(
        {"name": "New", "sync_pending_since": datetime.now(UTC)}
    )
    assert stack.request("POST", "/cron/sweep", token=token).status_code == 200
    (_, oldest) = pending_work(captured)
    assert waited.total_seconds() <= oldest < waited.total_seconds() + 60


def events(stream: io.StringIO, name: str) -> list[dict]:
    return [line for line in lines(stream) if line.get("event") == name]


def test_pushes_imports_renewals_and_lost_permissions_are_logged_for_the_metrics(captured, stack):
    """The events infra/monitoring.tf counts, from a real push, import and refused grant."""
    company = two_way_company(stack)  # Ann and Ben connected: channels opened
    opened = events(captured, "channel_renewal")
    assert opened and all(e["outcome"] == "ok" for e in opened)
    assert {e["kind"] for e in opened} == {"events", "calendar_list"}

    company.put("b1", snapshot(1, "w1"))
    company.settled()
    (push,) = [e for e in events(captured, "push_done") if e["written"] == 1]
    assert push["logging.googleapis.com/labels"]["worker"] == "w1"
    assert 0 <= push["lag_seconds"] < 20  # from the change to Google

    dentist = stack.google.insert_event(ANN, "primary", timed("Dentist", day(2, 10)))
    company.imported(dentist["id"])
    wait_until(
        lambda: any(
            e["stored"] == 1 and e["lag_seconds"] is not None
            for e in events(captured, "import_done")
        ),
        timeout=20,
        what="the notified import logged",
    )
    (notified,) = [e for e in events(captured, "import_done") if e["lag_seconds"] is not None]
    assert notified["mode"] == "incremental" and 0 <= notified["lag_seconds"] < 20
    assert notified["logging.googleapis.com/labels"]["calendar"] == ANN

    # Ann removes our access in her Google account: she must connect again.
    revoked = requests.post(
        f"{stack.google.base_url}/_test/accounts/{ANN}/revoke-tokens", timeout=10
    )
    assert revoked.status_code == 200
    company.forget_access_token(company.account_sub("w1"))
    company.put("b2", snapshot(1, "w1"))
    wait_until(lambda: events(captured, "needs_reauth"), timeout=20, what="needs_reauth logged")
    (lost,) = events(captured, "needs_reauth")
    assert lost["logging.googleapis.com/labels"]["worker"] == "w1"
    assert lost["severity"] == "WARNING"
