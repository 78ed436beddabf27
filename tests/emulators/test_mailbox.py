import smtplib
from email.message import EmailMessage

import pytest
import requests

from emulators._runtime import free_port
from emulators.mailbox import MailSink
from shared.config import load_config
from shared.mail import TryLater, Undeliverable, send


def test_sent_mail_is_kept_with_both_parts(mail_sink):
    mail_sink.mailbox.clear()
    config = load_config({"APP_MODE": "local", "SMTP_PORT": str(mail_sink.smtp_port)})
    send(config, "ada@example.com", "Connect your calendar", "plain words", "<p>html words</p>")
    (message,) = mail_sink.mailbox.wait_for(1)
    assert message.recipients == ["ada@example.com"]
    assert message.subject == "Connect your calendar"
    assert message.text.strip() == "plain words"
    assert message.html.strip() == "<p>html words</p>"

    listed = requests.get(mail_sink.http_url + "/messages", timeout=5).json()["messages"]
    assert [m["subject"] for m in listed] == ["Connect your calendar"]
    page = requests.get(mail_sink.http_url + "/", timeout=5)
    assert "Connect your calendar" in page.text

    assert requests.delete(mail_sink.http_url + "/messages", timeout=5).status_code == 204
    assert mail_sink.mailbox.messages() == []


def test_html_in_messages_is_escaped_on_the_page(mail_sink):
    mail_sink.mailbox.clear()
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        "a@x.test",
        "b@y.test",
        "<script>x</script>",
    )
    message.set_content("hi")
    with smtplib.SMTP("127.0.0.1", mail_sink.smtp_port) as smtp:
        smtp.send_message(message)
    mail_sink.mailbox.wait_for(1)
    page = requests.get(mail_sink.http_url + "/", timeout=5).text
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;" in page


def test_a_taken_smtp_port_is_refused(mail_sink):
    with pytest.raises(OSError, match="in use"):
        MailSink(smtp_port=mail_sink.smtp_port).start()


@pytest.fixture
def sink(mail_sink):
    mail_sink.mailbox.clear()
    yield mail_sink
    mail_sink.mailbox.refuse(None)


def _config(port: int):
    return load_config({"APP_MODE": "local", "SMTP_PORT": str(port)})


def test_the_sink_refuses_matching_recipients_as_a_server_would(sink):
    sink.mailbox.refuse(r"^bounce@", 550)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@x.test", "bounce@y.test", "hi"
    message.set_content("hi")
    with (
        smtplib.SMTP("127.0.0.1", sink.smtp_port) as smtp,
        pytest.raises(smtplib.SMTPRecipientsRefused) as refused,
    ):
        smtp.send_message(message)
    assert refused.value.recipients["bounce@y.test"][0] == 550
    assert requests.get(sink.http_url + "/refused", timeout=5).json() == {
        "refused": ["bounce@y.test"]
    }
    assert sink.mailbox.messages() == []
    with pytest.raises(ValueError):
        sink.mailbox.refuse("x", 250)


def test_a_permanent_refusal_is_undeliverable_and_a_temporary_one_is_not(sink):
    config = _config(sink.smtp_port)
    sink.mailbox.refuse(r"^bounce@", 550)
    with pytest.raises(Undeliverable) as undeliverable:
        send(config, "bounce@example.com", "Hi", "text")
    assert undeliverable.value.smtp_code == 550
    sink.mailbox.refuse(r"^bounce@", 451)
    with pytest.raises(TryLater):
        send(config, "bounce@example.com", "Hi", "text")
    assert sink.mailbox.refused() == ["bounce@example.com"] * 2


def test_no_server_is_a_reason_to_try_later():
    with pytest.raises(TryLater):
        send(_config(free_port()), "ann@example.com", "Hi", "text")


@pytest.mark.parametrize(
    "to", ["ann@example.com\r\nBcc: spy@evil.example", "ann@example.com, spy@evil.example", ""]
)
def test_a_recipient_is_one_parsed_address(sink, to):
    with pytest.raises(Undeliverable):
        send(_config(sink.smtp_port), to, "Hi", "text")
    assert sink.mailbox.messages() == []


def test_line_breaks_in_the_subject_cannot_add_headers(sink):
    subject = "Acme\r\nBcc: spy@evil.example\u2028\x00connect"
    send(_config(sink.smtp_port), "ann@example.com", subject, "text")
    (message,) = sink.mailbox.wait_for(1)
    assert message.recipients == ["ann@example.com"]
    assert message.subject == "Acme Bcc: spy@evil.example connect"
    assert "Bcc" not in message.headers
