"""RetryConfig of a queue or task: Cloud Tasks' defaults, the backoff schedule, when to give up.

Unlike the real service, durations are not truncated to whole seconds, so tests can retry fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from google.cloud import tasks_v2

from emulators.cloud_tasks.errors import InvalidArgument

UNLIMITED_ATTEMPTS = -1

# What Cloud Tasks picks for every field left unset when a queue is created.
DEFAULT_MAX_ATTEMPTS = 100
DEFAULT_MIN_BACKOFF = timedelta(seconds=0.1)
DEFAULT_MAX_BACKOFF = timedelta(seconds=3600)
DEFAULT_MAX_DOUBLINGS = 16
DEFAULT_MAX_RETRY_DURATION = timedelta(0)  # unlimited


def with_defaults(config: tasks_v2.RetryConfig | None) -> tasks_v2.RetryConfig:
    """The effective config: given fields kept, unset (zero) ones replaced by Cloud Tasks' defaults.

    Proto3 cannot tell an unset int from 0, so max_attempts 0 and max_doublings 0 mean "default",
    as they do for the real service.
    """
    config = config or tasks_v2.RetryConfig()
    filled = tasks_v2.RetryConfig(
        max_attempts=config.max_attempts or DEFAULT_MAX_ATTEMPTS,
        max_doublings=config.max_doublings or DEFAULT_MAX_DOUBLINGS,
        min_backoff=config.min_backoff if "min_backoff" in config else DEFAULT_MIN_BACKOFF,
        max_backoff=config.max_backoff if "max_backoff" in config else DEFAULT_MAX_BACKOFF,
        max_retry_duration=config.max_retry_duration
        if "max_retry_duration" in config
        else DEFAULT_MAX_RETRY_DURATION,
    )
    _validate(filled)
    return filled


def _validate(config: tasks_v2.RetryConfig) -> None:
    if config.max_attempts < UNLIMITED_ATTEMPTS:
        raise InvalidArgument("retry_config.max_attempts must be >= -1")
    if config.max_doublings < 0:
        raise InvalidArgument("retry_config.max_doublings must be >= 0")
    for field in ("min_backoff", "max_backoff", "max_retry_duration"):
        if getattr(config, field) < timedelta(0):
            raise InvalidArgument(f"retry_config.{field} must not be negative")
    if config.min_backoff > config.max_backoff:
        raise InvalidArgument("retry_config.min_backoff must not exceed max_backoff")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    max_retry_duration: float
    min_backoff: float
    max_backoff: float
    max_doublings: int

    @classmethod
    def from_config(cls, config: tasks_v2.RetryConfig) -> RetryPolicy:
        """From an effective config (see `with_defaults`)."""
        return cls(
            max_attempts=config.max_attempts,
            max_retry_duration=config.max_retry_duration.total_seconds(),
            min_backoff=config.min_backoff.total_seconds(),
            max_backoff=config.max_backoff.total_seconds(),
            max_doublings=config.max_doublings,
        )

    def backoff(self, failed_attempts: int) -> float:
        """Delay before the retry that follows the `failed_attempts`-th failure (1 = first failure).

        min_backoff, doubled max_doublings times, then growing by that last doubled step, capped
        at max_backoff: with 10 s, 300 s and 3 doublings: 10, 20, 40, 80, 160, 240, 300, 300, ...
        """
        retry = max(failed_attempts, 1)
        doublings = min(retry - 1, self.max_doublings)
        # Past 64 doublings any min_backoff exceeds every max_backoff; the clamp avoids overflow.
        step = self.min_backoff * 2.0 ** min(doublings, 64)
        delay = step if retry - 1 <= self.max_doublings else step * (retry - self.max_doublings)
        return min(delay, self.max_backoff)

    def gives_up(self, attempts: int, since_first_attempt: float) -> bool:
        """True once every configured limit is reached, as Cloud Tasks documents it.

        A task stops only when it has been attempted max_attempts times *and* max_retry_duration
        has passed; a limit left unlimited (-1 attempts, 0 duration) does not hold it back, but
        with both unlimited it is retried for ever.
        """
        limits = []
        if self.max_attempts != UNLIMITED_ATTEMPTS:
            limits.append(attempts >= self.max_attempts)
        if self.max_retry_duration > 0:
            limits.append(since_first_attempt >= self.max_retry_duration)
        return bool(limits) and all(limits)
