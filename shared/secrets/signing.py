"""Signed, expiring tokens we hand out and take back: invitation links and OAuth `state`.

Each token carries its purpose (`typ`), so one kind can never be used as another.
"""

from __future__ import annotations

import time
from datetime import timedelta

import jwt

from shared.config import Config


class Expired(Exception):
    pass


class Invalid(Exception):
    pass


def sign(config: Config, purpose: str, claims: dict, lifetime: timedelta) -> str:
    now = int(time.time())
    payload = {**claims, "typ": purpose, "iat": now, "exp": now + int(lifetime.total_seconds())}
    return jwt.encode(payload, config.signing_secret, algorithm="HS256")


def verify(config: Config, purpose: str, token: str) -> dict:
    """The claims of a token we signed for `purpose`; Expired or Invalid otherwise."""
    try:
        claims = jwt.decode(token, config.signing_secret, algorithms=["HS256"])
    except jwt.ExpiredSignatureError:
        raise Expired(purpose) from None
    except jwt.PyJWTError:
        raise Invalid(purpose) from None
    if claims.get("typ") != purpose:
        raise Invalid(purpose)
    return claims
