"""An OAuth grant: one per (OAuth client, Google account), shared by every company using it.

Google keeps one grant per client and account. Revoking any of its tokens ends it for
everybody, and only the newest ~100 refresh tokens of a client and account stay alive. A
person who works for two companies on the platform client therefore has *one* grant, not
one per company: its record holds the newest refresh token (every consent replaces it),
the cached access token with the lease of whoever refreshes it, and the companies whose
accounts use it. It is revoked only when the last of them lets go.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class GrantState(StrEnum):
    ACTIVE = "active"
    REFUSED = "refused"  # Google answered invalid_grant
    RELEASED = "released"  # revoked by us once no company used it


# An access token this close to its expiry is not handed out: a sync may run for a while.
EXPIRY_MARGIN = timedelta(seconds=60)


def grant_id(client_id: str, sub: str) -> str:
    """The grant's document id: stable per client and account, and reveals neither."""
    return hashlib.sha256(f"{client_id}\n{sub}".encode()).hexdigest()[:40]


def access_token_usable(expiry: datetime, now: datetime) -> bool:
    return expiry - EXPIRY_MARGIN > now


@dataclass(frozen=True)
class Grant:
    """What the service needs to know of a grant record (its secrets stay sealed in the store)."""

    id: str
    sub: str | None = None
    state: GrantState | None = None
    companies: tuple[str, ...] = ()
    generation: int = 0
    has_refresh_token: bool = False

    @classmethod
    def from_record(cls, gid: str, record: dict) -> Grant:
        state = record.get("state")
        return cls(
            id=gid,
            sub=record.get("sub"),
            state=GrantState(state) if state else None,
            companies=tuple(record.get("companies") or ()),
            generation=int(record.get("generation", 0)),
            has_refresh_token=bool(record.get("refresh_token")),
        )

    @property
    def in_use(self) -> bool:
        return bool(self.companies)
