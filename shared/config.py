"""The service's settings, read once from the environment and validated at start.

`APP_MODE=local` switches on the local stand-ins (Firestore and Cloud Tasks
emulators, the Google stand-in, the SMTP sink) and the local-only shortcuts
(a shared secret instead of Google-signed OIDC tokens, a local encryption key).
Production refuses every local-only setting, so a misconfigured deployment
fails at start instead of running with a weak secret.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from shared.domain.pacing import Pace

# Local defaults: only ever used with APP_MODE=local, and printed by `make run`.
LOCAL_JWT_SECRET = "local-dev-jwt-secret-change-me-0123456789"
LOCAL_SERVICE_SECRET = "local-dev-service-secret-0123456789"
LOCAL_ENCRYPTION_KEY = "bG9jYWwtZGV2LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24="  # base64 of 32 bytes
LOCAL_SIGNING_SECRET = "local-dev-signing-secret-for-invites-and-state"

# The backstop poll runs every 15 minutes (infra/schedules.json): a shorter interval could not
# be kept; a week without a poll would let a lost notification hide a change for that long.
MIN_POLL_INTERVAL = timedelta(minutes=15)
MAX_POLL_INTERVAL = timedelta(days=7)
GOOGLE_USER_CALLS_PER_SECOND = 600 / 60
_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class ConfigError(RuntimeError):
    """The environment does not describe a runnable service; the message says what to fix."""


class Config(BaseModel):
    model_config = ConfigDict(frozen=True)

    mode: Literal["local", "production"] = "production"
    project_id: str = Field(min_length=1)
    location: str = "us-central1"
    # Where Google's redirects, push notifications and Cloud Tasks reach our functions.
    public_base_url: str = Field(min_length=1)
    # Where /getAuthKey sends the person back to, with google_calendar=... appended.
    platform_return_url: str = Field(min_length=1)

    # Platform JWTs: HS256 with a shared secret, or RS256 verified against a JWKS address.
    jwt_algorithm: Literal["HS256", "RS256"] = "HS256"
    jwt_secret: str | None = None
    jwt_jwks_url: str | None = None
    jwt_audience: str | None = None

    # Signs invitation links and OAuth `state` (they expire; state is also single-use).
    signing_secret: str = Field(min_length=32)

    # Cloud Tasks and Cloud Scheduler callers.
    sync_queue: str = "sync"
    mail_queue: str = "mail"
    tasks_service_account: str | None = None  # the OIDC identity tasks and cron run as
    local_service_secret: str | None = None  # local mode only: signs task/cron tokens
    tasks_emulator_host: str | None = None

    # Google: None means the real endpoints.
    google_api_base: str | None = None
    platform_client_id: str | None = None
    platform_client_secret: str | None = None

    # Secrets at rest: Cloud KMS in production, a local key in local mode.
    kms_key_name: str | None = None
    local_encryption_key: str | None = None

    # Outgoing email.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "Calendar sync <calendar-sync@localhost>"

    # Importing busy time: each imported calendar is polled once per `poll_interval` (the
    # backstop for notifications Google drops; at scale the poll is most of the Google
    # calls), and events are imported from `import_back_days` before today to
    # `import_ahead_days` after it. A wider window means more blocks and longer full imports.
    poll_interval: timedelta = timedelta(hours=6)
    import_back_days: int = Field(default=30, ge=0, le=365)
    import_ahead_days: int = Field(default=365, ge=1, le=730)

    # Pushing: at most this many Calendar calls per Google account in any such period
    # (`PUSH_PACE`, e.g. `500/1m`), under Google's 600 a minute per user with room for the
    # account's imports; a bigger push goes on when the period lets it (domain/pacing.py).
    push_pace: Pace = Pace(500, timedelta(minutes=1))
    # Seconds a Calendar API call (a batch included) may take before it counts as failed
    # and its task is retried; well under the functions' own timeout.
    google_timeout: float = Field(default=30, gt=0, le=120)

    @field_validator("poll_interval", mode="before")
    @classmethod
    def _parse_duration(cls, value: object) -> object:
        """`POLL_INTERVAL` as a whole number and a unit: `90m`, `6h`, `1d` (also `3600s`)."""
        if not isinstance(value, str):
            return value
        return _duration(value)

    @field_validator("push_pace", mode="before")
    @classmethod
    def _parse_pace(cls, value: object) -> object:
        """`PUSH_PACE` as calls per duration: `500/1m`, `20/2s`."""
        if not isinstance(value, str):
            return value
        calls, _, period = value.partition("/")
        match = _DURATION.fullmatch(period.strip().lower())
        if not calls.strip().isdigit() or match is None:
            raise ValueError(f"expected calls per duration such as 500/1m, not {value!r}")
        pace = Pace(int(calls), _duration(period))
        if pace.calls / pace.period.total_seconds() > GOOGLE_USER_CALLS_PER_SECOND:
            raise ValueError("must stay within Google's 600 calls a minute per user")
        return pace

    @field_validator("poll_interval")
    @classmethod
    def _check_poll_interval(cls, value: timedelta) -> timedelta:
        if not MIN_POLL_INTERVAL <= value <= MAX_POLL_INTERVAL:
            raise ValueError("must be between 15m (the poll's cron period) and 7d")
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> Config:
        if self.jwt_algorithm == "HS256" and not self.jwt_secret:
            raise ValueError("APP_JWT_SECRET is required when APP_JWT_ALGORITHM is HS256")
        if self.jwt_algorithm == "RS256" and not self.jwt_jwks_url:
            raise ValueError("APP_JWT_JWKS_URL is required when APP_JWT_ALGORITHM is RS256")
        if self.mode == "production":
            local_only = {
                "LOCAL_SERVICE_SECRET": self.local_service_secret,
                "LOCAL_ENCRYPTION_KEY": self.local_encryption_key,
                "CLOUD_TASKS_EMULATOR_HOST": self.tasks_emulator_host,
                "GOOGLE_API_BASE": self.google_api_base,
            }
            present = [name for name, value in local_only.items() if value]
            if present:
                raise ValueError(f"local-only settings are refused in production: {present}")
            if not self.tasks_service_account:
                raise ValueError("TASKS_SERVICE_ACCOUNT is required in production")
            if not self.kms_key_name:
                raise ValueError("KMS_KEY_NAME is required in production")
            if self.signing_secret == LOCAL_SIGNING_SECRET:
                raise ValueError("SIGNING_SECRET must not be the local default in production")
            if self.jwt_secret and len(self.jwt_secret) < 32:
                raise ValueError("APP_JWT_SECRET must be at least 32 characters")
        else:
            if not self.local_service_secret:
                raise ValueError("LOCAL_SERVICE_SECRET is required in local mode")
            if not self.local_encryption_key:
                raise ValueError("LOCAL_ENCRYPTION_KEY is required in local mode")
        return self

    @property
    def local(self) -> bool:
        return self.mode == "local"

    @property
    def import_back(self) -> timedelta:
        return timedelta(days=self.import_back_days)

    @property
    def import_ahead(self) -> timedelta:
        return timedelta(days=self.import_ahead_days)

    def queue_path(self, queue: str) -> str:
        return f"projects/{self.project_id}/locations/{self.location}/queues/{queue}"

    @property
    def task_handler_url(self) -> str:
        return self.public_base_url.rstrip("/") + "/tasks/sync"


def _duration(text: str) -> timedelta:
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(f"expected a duration such as 30m, 6h or 1d, not {text!r}")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def _local_defaults(env: Mapping[str, str]) -> dict[str, str]:
    """Defaults that make `APP_MODE=local` work alone: the fixed local addresses."""
    port = env.get("PORT", "8080")
    google_port = env.get("GOOGLE_PORT", "8090")
    return {
        "GOOGLE_CLOUD_PROJECT": "local-calendar-sync",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "PLATFORM_RETURN_URL": f"http://127.0.0.1:{port}/_local/connected",
        "APP_JWT_SECRET": LOCAL_JWT_SECRET,
        "LOCAL_SERVICE_SECRET": LOCAL_SERVICE_SECRET,
        "LOCAL_ENCRYPTION_KEY": LOCAL_ENCRYPTION_KEY,
        "SIGNING_SECRET": LOCAL_SIGNING_SECRET,
        "CLOUD_TASKS_EMULATOR_HOST": f"127.0.0.1:{env.get('TASKS_PORT', '8123')}",
        "GOOGLE_API_BASE": f"http://127.0.0.1:{google_port}",
        "PLATFORM_CLIENT_ID": "local-platform-client.apps.googleusercontent.com",
        "PLATFORM_CLIENT_SECRET": "local-platform-client-secret",
        "SMTP_PORT": env.get("SMTP_PORT", "2525"),
        "TASKS_SERVICE_ACCOUNT": "tasks@local-calendar-sync.iam.gserviceaccount.com",
    }


# Environment variable → field. One table, so the names are documented in one place.
_ENV = {
    "APP_MODE": "mode",
    "GOOGLE_CLOUD_PROJECT": "project_id",
    "FUNCTION_REGION": "location",
    "PUBLIC_BASE_URL": "public_base_url",
    "PLATFORM_RETURN_URL": "platform_return_url",
    "APP_JWT_ALGORITHM": "jwt_algorithm",
    "APP_JWT_SECRET": "jwt_secret",
    "APP_JWT_JWKS_URL": "jwt_jwks_url",
    "APP_JWT_AUDIENCE": "jwt_audience",
    "SIGNING_SECRET": "signing_secret",
    "SYNC_QUEUE": "sync_queue",
    "MAIL_QUEUE": "mail_queue",
    "TASKS_SERVICE_ACCOUNT": "tasks_service_account",
    "LOCAL_SERVICE_SECRET": "local_service_secret",
    "CLOUD_TASKS_EMULATOR_HOST": "tasks_emulator_host",
    "GOOGLE_API_BASE": "google_api_base",
    "PLATFORM_CLIENT_ID": "platform_client_id",
    "PLATFORM_CLIENT_SECRET": "platform_client_secret",
    "KMS_KEY_NAME": "kms_key_name",
    "LOCAL_ENCRYPTION_KEY": "local_encryption_key",
    "SMTP_HOST": "smtp_host",
    "SMTP_PORT": "smtp_port",
    "SMTP_USERNAME": "smtp_username",
    "SMTP_PASSWORD": "smtp_password",
    "SMTP_STARTTLS": "smtp_starttls",
    "MAIL_FROM": "mail_from",
    "POLL_INTERVAL": "poll_interval",
    "IMPORT_BACK_DAYS": "import_back_days",
    "IMPORT_AHEAD_DAYS": "import_ahead_days",
    "PUSH_PACE": "push_pace",
    "GOOGLE_TIMEOUT": "google_timeout",
}


def load_config(env: Mapping[str, str] | None = None) -> Config:
    """Build the settings from `env` (default: the process environment) or raise ConfigError."""
    env = dict(os.environ if env is None else env)
    if env.get("APP_MODE", "production") == "local":
        env = {**_local_defaults(env), **{k: v for k, v in env.items() if v != ""}}
    values = {field: env[name] for name, field in _ENV.items() if env.get(name, "") != ""}
    try:
        return Config(**values)
    except ValidationError as exc:
        field_to_env = {field: name for name, field in _ENV.items()}
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            name = field_to_env.get(where, where) or "configuration"
            problems.append(f"{name}: {error['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None


@functools.cache
def get_config() -> Config:
    """The process-wide settings (read once; tests build their own with load_config)."""
    return load_config()
