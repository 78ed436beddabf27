"""Outgoing email over SMTP (the local sink in local mode, the provider in production)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from shared.config import Config


def send(config: Config, to: str, subject: str, text: str, html: str | None = None) -> str:
    """Send one message with a plain-text part (and an HTML alternative); returns its Message-ID."""
    message = EmailMessage()
    message["From"] = config.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="calendar-sync")
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=30) as smtp:
        if config.smtp_starttls:
            smtp.starttls()
        if config.smtp_username:
            smtp.login(config.smtp_username, config.smtp_password or "")
        smtp.send_message(message)
    return message["Message-ID"]
