"""Request bodies as the platform sends them, validated field by field (strict JSON types,
unknown fields refused). Domain records are in `shared/domain/`; these only carry input."""

from __future__ import annotations

import json
import unicodedata
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator


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
