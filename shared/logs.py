"""Logs as Cloud Logging reads them, with nothing secret in them.

Production writes one JSON object per line on stdout (google-cloud-logging's
`StructuredLogHandler`: `severity`, `message`, the request's trace from
`X-Cloud-Trace-Context`, source location). Every line also carries labels for what it is
about (`company`, `worker`, `account`, `calendar`, `task`, `kind`), set once per request
or task with `labelled(...)`, so an operator filters by a worker instead of grepping.

Every record passes `redact` before it is written: bearer tokens and JWTs, Google access
and refresh tokens, OAuth codes, states and invitation tokens in URLs, client secrets and
private keys in JSON. Email bodies and tokens are never logged on purpose; this is the net
under that rule.

Events that log-based metrics count (infra/monitoring.tf) are logged with `event(...)`:
a fixed `event` name and a few fields in the JSON payload.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, TextIO

from google.cloud.logging_v2.handlers import StructuredLogHandler

from shared.config import Config

_labels: ContextVar[dict[str, str] | None] = ContextVar("log_labels", default=None)

LABELS = ("company", "worker", "account", "calendar", "task", "kind")

# Libraries that log every request they make at INFO (URLs with sync and page tokens).
_CHATTY = ("googleapiclient.discovery", "googleapiclient.discovery_cache", "urllib3")


@contextlib.contextmanager
def labelled(**labels: str | None) -> Iterator[None]:
    """Label every line logged inside (None values are left out)."""
    unknown = set(labels) - set(LABELS)
    if unknown:
        raise ValueError(f"unknown log labels: {sorted(unknown)}")
    added = {name: str(value) for name, value in labels.items() if value}
    token = _labels.set({**(_labels.get() or {}), **added})
    try:
        yield
    finally:
        _labels.reset(token)


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """One countable event: `name` and `fields` land in the JSON payload."""
    logger.log(level, name, extra={"json_fields": {"event": name, **fields}})


# -- redaction -----------------------------------------------------------------------

# Always secret, wherever they appear as key=value or "key": "value".
_SECRET_KEYS = (
    "access_token|refresh_token|id_token|client_secret|private_key|assertion|password|token"
)
# Secret as URL parameters (`/getAuthKey?code=…&state=…`, `/connect?invite=…`); elsewhere
# `state=connected` is just a state.
_SECRET_PARAMS = f"{_SECRET_KEYS}|code|state|invite|sig|signature"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S
        ),
        "[private key]",
    ),
    (re.compile(r"(?i)\bbearer\s+[^\s\"',]+"), "Bearer [redacted]"),
    (re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]*"), "[jwt]"),
    (re.compile(r"\bya29\.[\w.-]+"), "[access token]"),
    (re.compile(r"\b1//[\w.-]+"), "[refresh token]"),
    (re.compile(rf"(?i)([?&]({_SECRET_PARAMS}))=[^&\s\"',;]+"), r"\1=[redacted]"),
    (re.compile(rf"(?i)\b({_SECRET_KEYS})=[^&\s\"',;]+"), r"\1=[redacted]"),
    (re.compile(rf"(?i)([\"']({_SECRET_KEYS})[\"']\s*:\s*)[\"'][^\"']*[\"']"), r'\1"[redacted]"'),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


class _Redact(logging.Filter):
    """The message, its arguments, its traceback and its JSON fields, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if getattr(record, "json_fields", None):
            record.json_fields = _redact_value(record.json_fields)
        return True


class _RedactRequest(logging.Filter):
    """The request Cloud Logging's filter attached (its URL carries the query string:
    `/getAuthKey?code=…&state=…`), redacted. Runs after that filter."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "_http_request", None)
        if request:
            record._http_request = _redact_value(request)
            record._http_request_str = json.dumps(record._http_request, ensure_ascii=False)
        return True


class _Labels(logging.Filter):
    """The labels of the request or task being served, under the record's own."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.labels = {**(_labels.get() or {}), **(getattr(record, "labels", None) or {})}
        return True


def handler(config: Config, stream: TextIO | None = None) -> logging.Handler:
    """The handler for `config`: JSON lines for Cloud Logging in production, plain lines
    (labels appended) locally; redacted and labelled either way."""
    if config.mode == "production":
        chosen: logging.Handler = StructuredLogHandler(
            project_id=config.project_id, stream=stream or sys.stdout
        )
    else:
        chosen = logging.StreamHandler(stream or sys.stderr)
        chosen.setFormatter(_PlainFormatter())
    # Ahead of StructuredLogHandler's own filter, which reads the labels it is given; the
    # request it adds is redacted after it.
    chosen.filters[0:0] = [_Labels(), _Redact()]
    chosen.addFilter(_RedactRequest())
    return chosen


class _PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        labels = getattr(record, "labels", None)
        if labels:
            line += "  [" + " ".join(f"{k}={v}" for k, v in sorted(labels.items())) + "]"
        return line


def set_up(config: Config) -> None:
    """Route every logger through `handler(config)` at INFO (once per process)."""
    root = logging.getLogger()
    if any(getattr(h, "_calendar_sync", False) for h in root.handlers):
        return
    chosen = handler(config)
    chosen._calendar_sync = True  # type: ignore[attr-defined]
    root.addHandler(chosen)
    root.setLevel(logging.INFO)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
