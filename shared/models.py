"""The domain's records as the platform sends them, validated field by field."""

from __future__ import annotations

import json
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator


class _Input(BaseModel):
    # Unknown fields are refused so a typo in a field name is an error, not silently dropped.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


_DOMAIN = r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {value!r}") from None
    return value


class WorkerIn(_Input):
    """A fieldworker as the platform's roster describes it (PUT /workers/{id})."""

    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    active: bool = True
    timezone: str = "UTC"

    _timezone = field_validator("timezone")(check_timezone)


class SettingsIn(_Input):
    """PUT /settings: any subset of the integration settings; secrets are write-only."""

    company_name: str | None = Field(default=None, min_length=1, max_length=200)
    enabled: bool | None = None
    provider: Literal["platform", "private"] | None = None
    client_id: str | None = Field(default=None, min_length=1, max_length=300)
    client_secret: str | None = Field(default=None, min_length=1, max_length=500)
    service_account_key: dict | str | None = None
    workspace_domain: str | None = Field(default=None, pattern=_DOMAIN, max_length=253)
    sync_direction: Literal["two_way", "push_only", "pull_only"] | None = None
    admin_email: EmailStr | None = None

    @field_validator("workspace_domain")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.lower() if value else value

    @field_validator("service_account_key")
    @classmethod
    def _service_account_key(cls, value: dict | str | None) -> dict | None:
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValueError("must be the key's JSON") from None
        if not isinstance(value, dict) or value.get("type") != "service_account":
            raise ValueError('must be a service-account key (type "service_account")')
        missing = [k for k in ("client_email", "private_key", "token_uri") if not value.get(k)]
        if missing:
            raise ValueError(f"service-account key lacks {', '.join(missing)}")
        return value


class BookingStatusIn(_Input):
    name: str = Field(min_length=1, max_length=100)
    color: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")
    push_to_google: bool
    delete_from_google: bool
