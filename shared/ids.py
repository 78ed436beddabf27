"""Identifiers that appear in URLs and Firestore paths."""

from __future__ import annotations

import re

from shared.errors import InvalidInput

_ID = re.compile(r"[A-Za-z0-9_.:@-]{1,128}")
# Firestore reserves ids of the form __.*__ (and "." / ".." are path parts).
_RESERVED = re.compile(r"\.|\.\.|__.*__")


def is_valid_id(value: object) -> bool:
    """Whether `value` may be a Firestore document id: the one rule for path and token ids."""
    return isinstance(value, str) and bool(_ID.fullmatch(value)) and not _RESERVED.fullmatch(value)


def check_id(value: str, field: str) -> str:
    """Platform ids become Firestore document ids, so keep them to a safe alphabet."""
    if not is_valid_id(value):
        raise InvalidInput(
            f"{field} must be 1-128 letters, digits or _.:@- (not . .. or __x__)", field=field
        )
    return value
