"""The texts of the emails we send: what a worker or an admin reads."""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str

    def form(self) -> dict:
        """As the admin's email form shows it."""
        return {"to": self.to, "subject": self.subject, "body": self.body}


def invitation(company_name: str | None, worker_name: str, to: str, link: str) -> Email:
    """The "connect your Google Calendar" invitation; says what the worker allows."""
    name = company_name or "Your company"
    body = (
        f"Hi {worker_name},\n\n"
        f"{name} would like to show your bookings in your Google Calendar and keep "
        "your availability up to date.\n\n"
        "When you connect, you allow us to:\n"
        "- see the list of your calendars,\n"
        f'- create one calendar named "{name}" and fully manage it: your bookings '
        "appear there,\n"
        "- read the events of your calendars, so that times you are busy are not booked.\n\n"
        f"Connect your Google Calendar: {link}\n\n"
        "You can disconnect at any time from the platform.\n"
    )
    return Email(to=to, subject=f"{name}: connect your Google Calendar", body=body)


def invitation_html(text: str, link: str) -> str:
    """The HTML alternative of an invitation: its (edited) text and a button."""
    paragraphs = "".join(
        f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>" for part in text.split("\n\n")
    )
    button = (
        f'<p><a href="{html.escape(link)}" style="background:#1a73e8;color:#fff;'
        'padding:10px 16px;border-radius:4px;text-decoration:none">Connect Google Calendar</a></p>'
    )
    style = "font-family:sans-serif;max-width:40rem"
    return f"<!doctype html><html><body style='{style}'>{paragraphs}{button}</body></html>"


def reauth_alert(to: str, account_email: str | None, who: str) -> Email:
    body = (
        f"Google no longer accepts the calendar permission of {account_email} "
        f"(used by {who}).\n\n"
        "Their bookings are kept and will be sent to Google as soon as they connect again. "
        'Ask them to click "Sync calendar" again, or send them a new invitation from the '
        "calendar settings.\n"
    )
    return Email(to=to, subject=f"Google Calendar: {who} needs to reconnect", body=body)


def switch_alert(to: str, name: str, previous_email: str, new_email: str) -> Email:
    body = (
        f"{name}'s Google Calendar connection moved from {previous_email} to {new_email}.\n\n"
        "Their bookings now go to the new account's calendar. If nobody asked for this, "
        "disconnect the worker from the calendar settings and ask them to connect again.\n"
    )
    return Email(to=to, subject=f"Google Calendar: {name} switched Google account", body=body)


def as_html(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"
