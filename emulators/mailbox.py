"""A local SMTP server that keeps what it receives, with the mailbox readable over HTTP.

    python -m emulators.mailbox --smtp-port 2525 --http-port 8025

`GET /messages` lists the messages as JSON (newest last), `DELETE /messages`
empties the mailbox, `/` shows them as a page for a person.

To try failing deliveries, recipients matching a pattern can be refused as a
real server would: `--refuse '^bounce'` answers RCPT TO with 550 (permanent);
`--refuse-code 450` makes it a temporary refusal instead. Tests set the same
with `Mailbox.refuse(pattern, code)`; `GET /refused` lists refused recipients.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import html
import json
import os
import re
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from aiosmtpd.controller import Controller
from werkzeug.wrappers import Request, Response

from emulators._runtime import free_port, port_in_use, wait_for_stop_signal
from emulators._wsgi import BackgroundWSGIServer


@dataclass
class Message:
    sender: str
    recipients: list[str]
    subject: str
    text: str | None
    html: str | None
    headers: dict[str, str]
    received_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


def parse(sender: str, recipients: list[str], raw: bytes) -> Message:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    return Message(
        sender=sender,
        recipients=list(recipients),
        subject=str(parsed.get("Subject", "")),
        text=_lines(text_part.get_content()) if text_part else None,
        html=_lines(html_part.get_content()) if html_part else None,
        headers={key: str(value) for key, value in parsed.items()},
    )


def _lines(content: str) -> str:
    """SMTP carries CRLF; readers of the mailbox get the text as it was written."""
    return content.replace("\r\n", "\n")


class Mailbox:
    """Messages received so far; thread-safe, with a wait for tests."""

    def __init__(self) -> None:
        self._messages: list[Message] = []
        self._refused: list[str] = []
        self._refuse: tuple[re.Pattern[str], int] | None = None
        self._changed = threading.Condition()

    def refuse(self, pattern: str | None, code: int = 550) -> None:
        """Refuse recipients matching `pattern` (a regex) with `code` at RCPT TO; None stops."""
        if pattern is not None and not (400 <= code < 600):
            raise ValueError("a refusal is a 4xx or 5xx reply")
        with self._changed:
            self._refuse = None if pattern is None else (re.compile(pattern), code)

    def refused(self) -> list[str]:
        """Every recipient refused so far (one entry per attempt), oldest first."""
        with self._changed:
            return list(self._refused)

    def add(self, message: Message) -> None:
        with self._changed:
            self._messages.append(message)
            self._changed.notify_all()

    def messages(self) -> list[Message]:
        with self._changed:
            return list(self._messages)

    def clear(self) -> None:
        with self._changed:
            self._messages.clear()
            self._refused.clear()

    def wait_for(self, count: int, timeout: float = 10) -> list[Message]:
        """Block until at least `count` messages arrived, or raise TimeoutError."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._messages) >= count, timeout):
                raise TimeoutError(f"{len(self._messages)} of {count} messages after {timeout}s")
            return list(self._messages)

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        with self._changed:
            refuse = self._refuse
            if refuse and refuse[0].search(address):
                self._refused.append(address)
                self._changed.notify_all()
                status = "5.1.1" if refuse[1] >= 500 else "4.2.1"
                return f"{refuse[1]} {status} <{address}>: recipient refused by the local sink"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        self.add(parse(envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 Message accepted for delivery"


def _page(messages: list[Message]) -> str:
    rows = "".join(
        f"<article><h2>{html.escape(m.subject)}</h2>"
        f"<p><b>From</b> {html.escape(m.sender)} <b>To</b> {html.escape(', '.join(m.recipients))}"
        f" <small>{html.escape(m.received_at)}</small></p>"
        f"<pre>{html.escape(m.text or '')}</pre></article>"
        for m in reversed(messages)
    )
    return (
        "<!doctype html><meta charset=utf-8><title>Local mailbox</title>"
        "<style>body{font-family:sans-serif;max-width:50rem;margin:2rem auto}"
        "article{border-bottom:1px solid #ddd;padding:.5rem 0}pre{white-space:pre-wrap}</style>"
        f"<h1>Local mailbox ({len(messages)})</h1>{rows or '<p>No messages yet.</p>'}"
    )


class MailSink:
    """The SMTP server plus the HTTP view of its mailbox."""

    def __init__(
        self,
        smtp_port: int = 0,
        http_port: int = 0,
        refuse: str | None = None,
        refuse_code: int = 550,
    ) -> None:
        self.mailbox = Mailbox()
        self.mailbox.refuse(refuse, refuse_code)
        self.smtp_port = smtp_port or free_port()
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.smtp_port)
        self._http = BackgroundWSGIServer(self._wsgi, port=http_port)

    @property
    def http_url(self) -> str:
        return self._http.url

    def start(self) -> MailSink:
        if port_in_use(self.smtp_port):
            raise OSError(f"127.0.0.1:{self.smtp_port} is already in use")
        self._controller.start()
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()
        self._controller.stop()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        if request.path == "/messages" and request.method == "GET":
            body = json.dumps({"messages": [asdict(m) for m in self.mailbox.messages()]})
            response = Response(body, content_type="application/json")
        elif request.path == "/refused" and request.method == "GET":
            body = json.dumps({"refused": self.mailbox.refused()})
            response = Response(body, content_type="application/json")
        elif request.path == "/messages" and request.method == "DELETE":
            self.mailbox.clear()
            response = Response(status=204)
        elif request.path == "/" and request.method == "GET":
            response = Response(_page(self.mailbox.messages()), content_type="text/html")
        else:
            response = Response('{"error": "not found"}', 404, content_type="application/json")
        return response(environ, start_response)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the local SMTP sink and its mailbox page.")
    parser.add_argument("--smtp-port", type=int, default=int(os.environ.get("SMTP_PORT", 2525)))
    parser.add_argument("--http-port", type=int, default=int(os.environ.get("MAILBOX_PORT", 8025)))
    parser.add_argument("--refuse", help="refuse recipients matching this regex")
    parser.add_argument("--refuse-code", type=int, default=550, help="reply code (4xx or 5xx)")
    args = parser.parse_args(argv)
    sink = MailSink(args.smtp_port, args.http_port, args.refuse, args.refuse_code).start()
    print(f"SMTP sink on 127.0.0.1:{sink.smtp_port}, mailbox at {sink.http_url}", flush=True)
    wait_for_stop_signal()
    sink.stop()


if __name__ == "__main__":
    main()
