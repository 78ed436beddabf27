"""The domain's records as the platform sends them, validated field by field."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator


class _Input(BaseModel):
    # Unknown fields are refused so a typo in a field name is an error, not silently dropped.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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
