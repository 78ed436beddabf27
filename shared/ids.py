"""Identifiers that appear in URLs and Firestore paths."""

from __future__ import annotations

import re

from shared.errors import InvalidInput

_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")


def check_id(value: str, field: str) -> str:
    """Platform ids become Firestore document ids, so keep them to a safe alphabet."""
    if not _ID.match(value) or value in (".", ".."):
        raise InvalidInput(f"{field} must be 1-128 letters, digits or _.:@-", field=field)
    return value
