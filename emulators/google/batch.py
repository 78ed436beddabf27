"""The batch endpoint `POST /batch/calendar/v3`: many API calls in one multipart/mixed request.

Each part is an `application/http` request. It runs through the stand-in's ordinary dispatch
(so faults, latency and call counts see every part) and is answered, in order, by a part with
`Content-ID: <response-ID>`, its own status line, headers and JSON body, as Google does.
Parts without an Authorization header use the outer request's.
"""

from __future__ import annotations

import re
import secrets
from email.message import Message
from email.parser import BytesParser
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from werkzeug.routing import Rule
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from emulators.google.errors import ApiError
from emulators.google.faults import BATCH

if TYPE_CHECKING:
    from emulators.google.app import GoogleStandIn

BATCH_PATH = "/batch/calendar/v3"
MAX_PARTS = 1000
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_LINE_BREAK = re.compile(rb"\r?\n")
_DROPPED_HEADERS = frozenset({"host", "content-length"})  # recomputed for the part


def routes() -> list[Rule]:
    return [Rule(BATCH_PATH, methods=["POST"], endpoint=handle_batch)]


def handle_batch(standin: GoogleStandIn, request: Request) -> Response:
    content_type = request.headers.get("Content-Type", "")
    envelope = BytesParser().parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + request.get_data()
    )
    if not envelope.is_multipart() or not envelope.get_payload():
        raise ApiError(400, "Batch request must be a non-empty multipart/mixed body.", "badRequest")
    parts = envelope.get_payload()
    if len(parts) > MAX_PARTS:
        raise ApiError(
            400, f"A batch request cannot have more than {MAX_PARTS} parts.", "badRequest"
        )
    boundary = "batch_" + secrets.token_hex(16)
    chunks = []
    for part in parts:
        answer = standin.dispatch(_part_request(part, request), batch_part=True)
        chunks += [f"--{boundary}\r\n".encode(), _part_response(part.get("Content-ID"), answer)]
    chunks.append(f"--{boundary}--\r\n".encode())
    return Response(b"".join(chunks), content_type=f"multipart/mixed; boundary={boundary}")


handle_batch.method_id = BATCH  # type: ignore[attr-defined]


def _part_request(part: Message, outer: Request) -> Request:
    """The HTTP request inside one `application/http` part, as a werkzeug request."""
    raw = part.get_payload(decode=True)
    if not isinstance(raw, bytes):
        raise ApiError(400, "Batch part is not an application/http request.", "badRequest")
    found = _BLANK_LINE.search(raw)
    head, content = (raw[: found.start()], raw[found.end() :]) if found else (raw, b"")
    request_line, *header_lines = _LINE_BREAK.split(head)
    try:
        method, target, _version = request_line.decode("latin-1").split(" ", 2)
    except ValueError:
        raise ApiError(400, "Malformed request line in batch part.", "badRequest") from None
    headers: list[tuple[str, str]] = []
    for line in header_lines:
        text = line.decode("latin-1")
        if text[:1] in (" ", "\t") and headers:  # folded continuation of the previous header
            name, value = headers[-1]
            headers[-1] = (name, value + " " + text.strip())
        elif ":" in text:
            name, value = text.split(":", 1)
            headers.append((name.strip(), value.strip()))
    length = next((v for n, v in headers if n.lower() == "content-length"), None)
    content = content[: int(length)] if length and length.isdigit() else content.rstrip(b"\r\n")
    headers = [(n, v) for n, v in headers if n.lower() not in _DROPPED_HEADERS]
    if (
        not any(n.lower() == "authorization" for n, _ in headers)
        and "Authorization" in outer.headers
    ):
        headers.append(("Authorization", outer.headers["Authorization"]))
    url = urlsplit(target)
    builder = EnvironBuilder(
        method=method.upper(),
        path=url.path,
        query_string=url.query,
        headers=headers,
        data=content,
        base_url=outer.host_url,
    )
    return Request(builder.get_environ())


def _part_response(content_id: str | None, response: Response) -> bytes:
    """One answer part: `application/http` with the part's status line, headers and body."""
    body = response.get_data()
    head = "Content-Type: application/http\r\n"
    if content_id:
        inner_id = content_id.strip()
        inner_id = (
            inner_id[1:-1] if inner_id.startswith("<") and inner_id.endswith(">") else inner_id
        )
        head += f"Content-ID: <response-{inner_id}>\r\n"
    status = HTTPStatus(response.status_code)
    lines = [f"HTTP/1.1 {status.value} {status.phrase}"]
    if body:
        lines.append(f"Content-Type: {response.content_type}")
    lines.append(f"Content-Length: {len(body)}")
    for name in ("ETag", "WWW-Authenticate"):
        if name in response.headers:
            lines.append(f"{name}: {response.headers[name]}")
    return (head + "\r\n" + "\r\n".join(lines) + "\r\n\r\n").encode() + body + b"\r\n"
