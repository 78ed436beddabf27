"""Outgoing email over SMTP (the local sink in local mode, the provider in production).

Failures come out in two kinds, so a mail task knows whether retrying can help:
- `Undeliverable`: this message can never go (a 5xx reply to it, a refused
  recipient, an address or header that cannot be encoded). Retrying is useless.
- `TryLater`: the mail server could not be reached or asked us to come back
  (connection refused, timeouts, 4xx, a session that fails before the message).
"""

from __future__ import annotations

import contextlib
import email.errors
import email.utils
import smtplib
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from itertools import groupby

from shared.config import Config
from shared.errors import RetryLater
from shared.inputs import is_control


class Undeliverable(Exception):
    """This message can never be delivered; `reason` is short and fit to show an admin."""

    def __init__(self, reason: str, smtp_code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.smtp_code = smtp_code


class TryLater(RetryLater):
    """The mail server is unavailable for now; the same message may go through later."""


def send(config: Config, to: str, subject: str, text: str, html: str | None = None) -> str:
    """Send one message with a plain-text part (and an HTML alternative); returns its Message-ID."""
    message = _message(config, to, subject, text, html)
    try:
        smtp = _session(config)
    except (smtplib.SMTPException, OSError) as exc:
        # Before any message: our server or its settings, not this email; a retry may work.
        raise TryLater(f"mail server unavailable: {type(exc).__name__}") from exc
    try:
        _deliver(smtp, message)
    finally:
        _close(smtp)
    return message["Message-ID"]


def one_line(text: str) -> str:
    """`text` fit for a header: each run of line breaks and control characters becomes a space."""
    runs = groupby(text, key=is_control)
    return "".join(" " if control else "".join(chars) for control, chars in runs).strip()


def _message(config: Config, to: str, subject: str, text: str, html: str | None) -> EmailMessage:
    # Headers are built from parsed parts, so no stored value can add a header or a recipient.
    try:
        message = EmailMessage()
        message["From"] = _sender(config.mail_from)
        message["To"] = Address(addr_spec=to)
        message["Subject"] = one_line(subject)
        message["Message-ID"] = make_msgid(domain="calendar-sync")
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    except (ValueError, IndexError, TypeError, email.errors.MessageError) as exc:
        raise Undeliverable("the address or subject cannot be written in an email") from exc
    return message


def _sender(mail_from: str) -> Address:
    name, address = email.utils.parseaddr(mail_from)
    return Address(display_name=one_line(name), addr_spec=address)


def _session(config: Config) -> smtplib.SMTP:
    smtp = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=30)
    try:
        if config.smtp_starttls:
            smtp.starttls()
        if config.smtp_username:
            smtp.login(config.smtp_username, config.smtp_password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _close(smtp: smtplib.SMTP) -> None:
    # Once the message is accepted, a failed goodbye must not make the task send it again.
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.quit()
    smtp.close()


def _deliver(smtp: smtplib.SMTP, message: EmailMessage) -> None:
    try:
        smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(code >= 500 for code in codes):
            raise Undeliverable(f"the recipient was refused: {min(codes)}", min(codes)) from exc
        raise TryLater(f"the recipient was deferred: {min(codes)}") from exc
    except smtplib.SMTPResponseException as exc:
        # A reply to this message (sender, data): 5xx is final, 4xx asks us to come back.
        if exc.smtp_code >= 500:
            reason = f"the mail server refused the message: {exc.smtp_code}"
            raise Undeliverable(reason, exc.smtp_code) from exc
        raise TryLater(f"the mail server deferred the message: {exc.smtp_code}") from exc
    except smtplib.SMTPNotSupportedError as exc:
        # An international address the server cannot carry (no SMTPUTF8).
        raise Undeliverable("the mail server cannot carry this address") from exc
    except (UnicodeError, ValueError) as exc:
        raise Undeliverable("the message cannot be encoded for the mail server") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TryLater(f"the mail server connection failed: {type(exc).__name__}") from exc
