"""Request bodies as the platform sends them, validated field by field (strict JSON types,
unknown fields refused). Domain records are in `shared/domain/`; these only carry input."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    PlainValidator,
    ValidationInfo,
    field_validator,
)

from shared.ids import is_valid_id


class InputModel(BaseModel):
    """The base of every request body model.

    - Unknown fields are refused, so a typo in a field name is an error, not silently dropped.
    - Strict types: JSON's types are the contract's, so `"yes"`, `"true"` or `1` is not a
      boolean and `1` is not a string; each is a 400 naming the field, and nothing is written.

    A field that must parse text opts out of strictness by itself, e.g. an RFC 3339 time:
    `start: datetime = Field(strict=False)` (or `Annotated[datetime, Strict(False)]`). Lax
    datetimes also take numbers as Unix times; add a validator if only text may pass.
    """

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)


_DOMAIN = r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"


# -- text ------------------------------------------------------------------


def is_control(char: str) -> bool:
    """Control characters and Unicode line/paragraph separators: what breaks a header line."""
    return unicodedata.category(char) in ("Cc", "Zl", "Zp")


def _single_line(value: str) -> str:
    if any(is_control(char) for char in value):
        raise ValueError("must be one line, without line breaks, tabs or control characters")
    return value


def _multi_line(value: str) -> str:
    if any(is_control(char) and char not in "\n\r\t" for char in value):
        raise ValueError("must not contain control characters other than line breaks and tabs")
    return value


# Names, subjects and ids people type: they end up in email headers and calendar titles.
SingleLine = Annotated[str, AfterValidator(_single_line)]
# Free text such as an email body: line breaks and tabs, but no other control characters.
MultiLine = Annotated[str, AfterValidator(_multi_line)]


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {value!r}") from None
    return value


class WorkerIn(InputModel):
    """A fieldworker as the platform's roster describes it (PUT /workers/{id})."""

    name: SingleLine = Field(min_length=1, max_length=200)
    email: EmailStr
    active: bool = True
    timezone: str = "UTC"

    _timezone = field_validator("timezone")(check_timezone)


# -- service-account keys ----------------------------------------------------

# A real key file is about 2.4 KB; anything far bigger is not one.
MAX_SERVICE_ACCOUNT_KEY_BYTES = 16 * 1024


def _rsa_private_key(value: str) -> str:
    """The PEM must really load: a key that cannot sign is refused now, not at first use."""
    try:
        key = load_pem_private_key(value.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValueError("must be the key's unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey) or not 2048 <= key.key_size <= 4096:
        raise ValueError("must be an RSA private key of 2048 to 4096 bits")
    return value


class ServiceAccountKey(BaseModel):
    """A Google service-account key file (JSON), as the Cloud console downloads it.

    Only its shape is checked here; which token and certificate addresses are
    Google's depends on the deployment and is checked with the settings
    (shared/services/settings.py `check_service_account_key_urls`)."""

    # Strict and closed: only these fields, each a string, are ever stored.
    model_config = ConfigDict(extra="forbid", strict=True)

    type: Literal["service_account"]
    project_id: SingleLine = Field(pattern=r"^[a-z][a-z0-9.:-]{0,99}$")
    private_key_id: SingleLine = Field(pattern=r"^[0-9a-fA-F]{16,128}$")
    private_key: Annotated[str, Field(max_length=8192), AfterValidator(_rsa_private_key)]
    client_email: SingleLine = Field(
        max_length=254,
        pattern=r"^[a-z0-9][a-z0-9-]{0,62}@([a-z0-9][a-z0-9.:-]{0,99}\.)?gserviceaccount\.com$",
    )
    client_id: SingleLine = Field(pattern=r"^[0-9]{1,64}$")
    token_uri: SingleLine = Field(max_length=2048)
    auth_uri: SingleLine | None = Field(default=None, max_length=2048)
    auth_provider_x509_cert_url: SingleLine | None = Field(default=None, max_length=2048)
    client_x509_cert_url: SingleLine | None = Field(default=None, max_length=2048)
    universe_domain: SingleLine | None = Field(default=None, max_length=253)


def _key_json(value: Any) -> Any:
    """The key as JSON text or as an object; either way, bounded in size before parsing."""
    text = value if isinstance(value, str) else json.dumps(value)
    if len(text.encode()) > MAX_SERVICE_ACCOUNT_KEY_BYTES:
        raise ValueError(
            f"is larger than {MAX_SERVICE_ACCOUNT_KEY_BYTES // 1024} KB; not a service-account key"
        )
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError("must be the key's JSON") from None
    return value


class SettingsIn(InputModel):
    """PUT /settings: any subset of the integration settings; secrets are write-only."""

    company_name: SingleLine | None = Field(default=None, min_length=1, max_length=200)
    enabled: bool | None = None
    provider: Literal["platform", "private"] | None = None
    client_id: SingleLine | None = Field(default=None, min_length=1, max_length=300)
    client_secret: SingleLine | None = Field(default=None, min_length=1, max_length=500)
    service_account_key: ServiceAccountKey | None = None
    workspace_domain: str | None = Field(default=None, pattern=_DOMAIN, max_length=253)
    sync_direction: Literal["two_way", "push_only", "pull_only"] | None = None
    admin_email: EmailStr | None = None

    @field_validator("workspace_domain")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.lower() if value else value

    _service_account_key = field_validator("service_account_key", mode="before")(_key_json)


class BookingStatusIn(InputModel):
    name: SingleLine = Field(min_length=1, max_length=100)
    color: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")
    push_to_google: bool
    delete_from_google: bool


class EmailIn(InputModel):
    """POST /workers/{id}/authorization-email: the admin's edits to the invitation."""

    subject: SingleLine | None = Field(default=None, min_length=1, max_length=300)
    body: MultiLine | None = Field(default=None, min_length=1, max_length=20000)


class SelectionIn(InputModel):
    """PUT /workers/{id}/calendars: the calendars whose events are imported as busy time."""

    selected: list[SingleLine] = Field(max_length=500)


# -- bookings and unavailable time -------------------------------------------------

# Firestore keeps integers as int64; a version beyond that could not be stored.
MAX_VERSION = 2**63 - 1
MAX_WORKERS_PER_BOOKING = 50
MAX_ADDRESSES = 3
MAX_PROPERTIES = 20
MAX_BATCH_BOOKINGS = 500
# Amounts: at most 15 significant digits (what a JSON number keeps exactly as a double).
MAX_AMOUNT_DIGITS = 15
MAX_AMOUNT_DECIMALS = 4

# RFC 3339 date-time with seconds and an offset (`Z` or `±hh:mm`), as the contract sends it.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2999, 12, 31, tzinfo=UTC)


def _rfc3339_text(value: Any) -> Any:
    """Only text passes: lax datetimes would also take numbers as Unix times."""
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 date-time string with an offset")
    if len(value) > 40 or not _RFC3339.fullmatch(value.strip()):
        raise ValueError(
            "must be an RFC 3339 date-time with seconds and an offset, "
            "e.g. 2026-03-29T09:00:00+02:00"
        )
    return value.strip()


def _in_range(value: datetime) -> datetime:
    """The text had an offset (`_rfc3339_text`), so `value` is aware."""
    if not _EARLIEST <= value <= _LATEST:
        raise ValueError("must be between 1970 and 2999")
    return value


# An instant as RFC 3339 text with an offset. Strictness is off for this field only so that
# text parses; the validator before it lets nothing but text through.
Instant = Annotated[
    datetime,
    Field(strict=False),
    BeforeValidator(_rfc3339_text),
    AfterValidator(_in_range),
]


def _id(value: str) -> str:
    if not is_valid_id(value):
        raise ValueError("must be 1-128 letters, digits or _.:@- (not . .. or __x__)")
    return value


Id = Annotated[str, AfterValidator(_id)]


def _amount(value: Any) -> Decimal:
    """A JSON number (integer or decimal), never text: `"12.50"` is refused like `"yes"` for a
    boolean. The number is read through its shortest decimal form, so 12.5 is exactly 12.5."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a JSON number")
    amount = Decimal(value) if isinstance(value, int | Decimal) else Decimal(repr(value))
    if not amount.is_finite():
        raise ValueError("must be a finite number")
    _sign, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # a finite amount's exponent is a number
    decimals = max(0, -exponent)
    whole = max(0, len(digits) + exponent)
    if decimals > MAX_AMOUNT_DECIMALS:
        raise ValueError(f"must have at most {MAX_AMOUNT_DECIMALS} decimal places")
    if whole + decimals > MAX_AMOUNT_DIGITS:
        raise ValueError(f"must have at most {MAX_AMOUNT_DIGITS} digits")
    return amount


Amount = Annotated[Decimal, PlainValidator(_amount)]


class CustomerIn(InputModel):
    name: SingleLine = Field(min_length=1, max_length=200)
    business_name: SingleLine | None = Field(default=None, max_length=200)
    email: EmailStr | None = Field(default=None, max_length=254)
    phone: SingleLine | None = Field(default=None, max_length=50)


class ServiceIn(InputModel):
    name: SingleLine = Field(min_length=1, max_length=200)
    description: MultiLine | None = Field(default=None, max_length=2000)


def _end_after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
    """A period ends after it starts (the error names `end`)."""
    start = info.data.get("start")
    if start is not None and value <= start:
        raise ValueError("must be after start")
    return value


class BookingIn(InputModel):
    """PUT /bookings/{id}: the booking's whole snapshot, as the platform has it now.

    `amount` is a JSON number (12.5 or 1250), not text; NaN and infinities are refused.
    `start`, `end` and `created_at` are RFC 3339 text with an offset; `end` is after `start`.
    `version` only grows: an older or equal one is ignored (decided where it is stored)."""

    version: int = Field(ge=0, le=MAX_VERSION)
    status_id: Id
    start: Instant
    end: Instant
    timezone: str = Field(max_length=64)
    worker_ids: list[Id] = Field(max_length=MAX_WORKERS_PER_BOOKING)
    customer: CustomerIn
    addresses: list[Annotated[SingleLine, Field(min_length=1, max_length=300)]] = Field(
        max_length=MAX_ADDRESSES
    )
    suburb: SingleLine = Field(max_length=200)
    service: ServiceIn
    currency_symbol: SingleLine = Field(max_length=10)
    amount: Amount
    properties: dict[
        Annotated[SingleLine, Field(min_length=1, max_length=100)],
        Annotated[SingleLine, Field(max_length=300)],
    ] = Field(max_length=MAX_PROPERTIES)
    created_by: SingleLine = Field(min_length=1, max_length=200)
    created_at: Instant

    _timezone = field_validator("timezone")(check_timezone)

    _end = field_validator("end")(_end_after_start)

    @field_validator("worker_ids")
    @classmethod
    def _unique_workers(cls, value: list[str]) -> list[str]:
        duplicates = sorted({worker for worker in value if value.count(worker) > 1})
        if duplicates:
            raise ValueError(f"must not repeat a worker ({', '.join(duplicates)})")
        return value

    def record(self) -> dict[str, Any]:
        """The snapshot as Firestore keeps it (`Booking.from_record` reads it back): the
        amount as its decimal text, since Firestore has no decimal type."""
        record = self.model_dump(exclude={"id"})
        record["amount"] = str(self.amount)
        return record


class BatchBookingItemIn(BookingIn):
    """One booking of POST /bookings:batch: its id and its snapshot."""

    id: Id


class BatchBookingIn(InputModel):
    """POST /bookings:batch: 1 to 500 snapshots, each booking at most once."""

    bookings: list[BatchBookingItemIn] = Field(min_length=1, max_length=MAX_BATCH_BOOKINGS)

    @field_validator("bookings")
    @classmethod
    def _unique_ids(cls, value: list[BatchBookingItemIn]) -> list[BatchBookingItemIn]:
        seen: set[str] = set()
        for item in value:
            if item.id in seen:
                raise ValueError(f"must not repeat a booking id ({item.id})")
            seen.add(item.id)
        return value


class UnavailabilityIn(InputModel):
    """PUT /unavailability/{id}: time a worker is not available, pushed as a busy event."""

    version: int = Field(ge=0, le=MAX_VERSION)
    worker_id: Id
    start: Instant
    end: Instant
    title: SingleLine | None = Field(default=None, min_length=1, max_length=200)

    _end = field_validator("end")(_end_after_start)

    def record(self) -> dict[str, Any]:
        return self.model_dump()


# -- read-side queries ---------------------------------------------------------

# The longest range one view answers: a quarter, enough for any calendar page, bounded so
# one request's reads stay small.
MAX_VIEW_DAYS = 93
MAX_VIEW_WORKERS = 100
MAX_VIEW_CALENDARS = 50
# A Google calendar id (an email-like address); a comma would split the query's list.
CalendarId = Annotated[SingleLine, Field(min_length=1, max_length=1024, pattern=r"^[^,]+$")]


class RangeQuery(InputModel):
    """The query of GET /availability and /conflicts: `from` and `to` (RFC 3339 with
    offset, `to` after `from`, at most MAX_VIEW_DAYS apart), and optionally comma-separated
    `worker_ids`. Unknown parameters are refused."""

    since: Instant = Field(alias="from")
    until: Instant = Field(alias="to")
    worker_ids: list[Id] | None = Field(default=None, min_length=1, max_length=MAX_VIEW_WORKERS)

    @field_validator("until")
    @classmethod
    def _range(cls, value: datetime, info: ValidationInfo) -> datetime:
        since = info.data.get("since")
        if since is None:
            return value
        if value <= since:
            raise ValueError("must be after from")
        if (value - since).total_seconds() > MAX_VIEW_DAYS * 86400:
            raise ValueError(f"must be at most {MAX_VIEW_DAYS} days after from")
        return value


class CalendarQuery(RangeQuery):
    """GET /calendar: a RangeQuery, and optionally the Google calendars whose busy blocks
    to show (comma-separated `calendar_ids`; the platform's calendar filter)."""

    calendar_ids: list[CalendarId] | None = Field(
        default=None, min_length=1, max_length=MAX_VIEW_CALENDARS
    )
