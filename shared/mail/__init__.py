"""Outgoing email: the SMTP transport (`smtp.py`) and the texts we send (`templates.py`)."""

from shared.mail.smtp import TryLater, Undeliverable, one_line, send

__all__ = ["TryLater", "Undeliverable", "one_line", "send"]
