"""Keeping to Google's per-user quota instead of running into it.

Google allows about 600 Calendar calls a minute per user (GOOGLE_FACTS.md) and answers more
with 403 `userRateLimitExceeded` or 429. A first push of 2,000 bookings is 2,000 calls: sent
as fast as batches go, it would hit the limit after 600 and then wait in Cloud Tasks'
exponential backoff, each retry spending calls on refusals. Instead each Google account
keeps a budget of `PUSH_PACE` calls (500 a minute by default, leaving room for the account's
imports and set-up) over a sliding period: a push sends what the budget allows, and when it
is spent the sync stops (`Paced`) and is booked for the moment the oldest calls leave the
period, when the budget has room again.

The budget remembers the calls of the last period per batch, on the account record, so the
next run of the account (runs take turns under the account's lease) goes on from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Pace:
    """At most `calls` Google calls per account in any `period`."""

    calls: int
    period: timedelta

    def __post_init__(self) -> None:
        if self.calls < 1 or self.period <= timedelta(0):
            raise ValueError("a pace needs at least one call per positive period")


@dataclass
class CallBudget:
    """One Google account's calls within the last `pace.period`, and what it may still send."""

    pace: Pace
    sent: list[tuple[datetime, int]] = field(default_factory=list)  # (when, how many)

    def _recent(self, now: datetime) -> list[tuple[datetime, int]]:
        return [(at, n) for at, n in self.sent if at > now - self.pace.period]

    def left(self, now: datetime) -> int:
        return max(0, self.pace.calls - sum(n for _, n in self._recent(now)))

    def take(self, wanted: int, now: datetime) -> int:
        """Spend up to `wanted` calls now; how many may be sent (0: none until `resume_at`)."""
        self.sent = self._recent(now)
        granted = min(wanted, self.left(now))
        if granted:
            self.sent.append((now, granted))
        return granted

    def resume_at(self, now: datetime) -> datetime:
        """When at least one call is allowed again (now, if it is)."""
        if self.left(now):
            return now
        return min(at for at, _ in self._recent(now)) + self.pace.period

    def to_record(self, now: datetime) -> list[dict]:
        return [{"at": at, "calls": n} for at, n in self._recent(now)]

    @classmethod
    def from_record(cls, pace: Pace, record: list[dict] | None) -> CallBudget:
        return cls(pace, [(entry["at"], int(entry["calls"])) for entry in record or ()])


class Paced(Exception):
    """The account's budget is spent: the sync goes on at `resume_at`, with what was done
    so far kept (each batch's outcome is stored as it lands)."""

    def __init__(self, resume_at: datetime) -> None:
        super().__init__(f"paced to Google's per-user quota until {resume_at.isoformat()}")
        self.resume_at = resume_at
        self.inserted = 0  # events the interrupted push had inserted, for first-sync progress
