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
