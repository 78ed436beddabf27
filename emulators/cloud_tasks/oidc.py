"""OIDC tokens for task requests.

Google signs them with its own keys, which a local emulator cannot; instead they are HS256 JWTs
signed with a secret the local targets share (LOCAL_SERVICE_SECRET), with the claims Google sets.
"""

from __future__ import annotations

import time

import jwt

ISSUER = "https://accounts.google.com"
TOKEN_LIFETIME = 3600  # seconds, as Google's ID tokens


class OidcSigner:
    def __init__(self, secret: str) -> None:
        self.secret = secret

    def token(self, service_account_email: str, audience: str) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": audience,
            "email": service_account_email,
            "email_verified": True,
            "sub": service_account_email,
            "iat": now,
            "exp": now + TOKEN_LIFETIME,
        }
        return jwt.encode(claims, self.secret, algorithm="HS256")
