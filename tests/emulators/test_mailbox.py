import smtplib
from email.message import EmailMessage

import pytest
import requests

from emulators.mailbox import MailSink
from shared.config import load_config
from shared.mail import send


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
