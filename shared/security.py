"""Who is calling: platform JWTs for people and the platform backend, OIDC for Google's callers.

- Platform tokens carry `company_id`, `role` (admin | fieldworker | system),
  `worker_id` for fieldworkers, and `exp`. Everything a caller can reach is
  scoped by its `company_id`; a fieldworker may act only on itself.
- Cloud Tasks and Cloud Scheduler call with a Google-signed OIDC token whose
  audience is the URL they call and whose email is our tasks service account.
  In local mode the Cloud Tasks emulator signs the same claims with a shared
  secret instead (production refuses that secret; see config.py).
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from typing import Literal

import flask
import google.auth.transport.requests
import jwt
from google.oauth2 import id_token

from shared.config import Config
from shared.errors import Forbidden, Unauthenticated
from shared.ids import is_valid_id

log = logging.getLogger(__name__)

Role = Literal["admin", "fieldworker", "system"]
ROLES: tuple[Role, ...] = ("admin", "fieldworker", "system")


@dataclass(frozen=True)
class Principal:
    """An authenticated platform caller."""

    company_id: str
    role: Role
    worker_id: str | None = None

    @property
    def is_admin(self) -> bool:
        """`system` (the platform backend) may do whatever an admin may."""
        return self.role in ("admin", "system")

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("this action needs an admin")

    def require_worker_access(self, worker_id: str) -> None:
        """Admins reach every worker of their company; a fieldworker only itself."""
        if not self.is_admin and self.worker_id != worker_id:
            raise Forbidden("a fieldworker may act only on itself")


def _bearer_token(request: flask.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing bearer token in the Authorization header")
    return token.strip()


@functools.cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True)


def authenticate_platform(request: flask.Request, config: Config) -> Principal:
    token = _bearer_token(request)
    try:
        if config.jwt_algorithm == "RS256":
            key = _jwks_client(config.jwt_jwks_url or "").get_signing_key_from_jwt(token).key
        else:
            key = config.jwt_secret or ""
        claims = jwt.decode(
            token,
            key,
            algorithms=[config.jwt_algorithm],
            audience=config.jwt_audience,
            options={"require": ["exp"], "verify_aud": config.jwt_audience is not None},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("token has expired", code="token_expired") from None
    except jwt.PyJWTError as exc:
        raise _invalid_token("platform", token, exc) from None

    # PyJWT reads time claims through int(), so "9999999999" or true would pass as times.
    for name in ("exp", "iat", "nbf"):
        if name in claims and not _is_numeric_date(claims[name]):
            raise Unauthenticated(f"token {name} must be a number", code="invalid_token")
    company_id, role = claims.get("company_id"), claims.get("role")
    worker_id = claims.get("worker_id") or None
    # Token ids become Firestore paths, exactly like ids in URLs.
    if not is_valid_id(company_id):
        raise Unauthenticated("token company_id is missing or not a valid id", code="invalid_token")
    if role not in ROLES:
        raise Unauthenticated(
            "token role must be admin, fieldworker or system", code="invalid_token"
        )
    if role == "fieldworker" and worker_id is None:
        raise Unauthenticated("fieldworker token lacks worker_id", code="invalid_token")
    if worker_id is not None and not is_valid_id(worker_id):
        raise Unauthenticated("token worker_id is not a valid id", code="invalid_token")
    return Principal(company_id=company_id, role=role, worker_id=worker_id)


def _invalid_token(kind: str, token: str, exc: Exception) -> Unauthenticated:
    """The caller hears only "invalid token": the library's reason ("Invalid header string:
    'utf-8' codec can't decode byte ...") is for our logs, without the token itself."""
    log.info("refused a %s token: %s: %s", kind, type(exc).__name__, _redacted(str(exc), token))
    return Unauthenticated("invalid token", code="invalid_token")


# Anything token-like in a library's message (google-auth quotes a malformed token whole).
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_=+/-]{24,}")


def _redacted(message: str, token: str) -> str:
    for part in sorted({token, *token.split(".")}, key=len, reverse=True):
        if len(part) >= 8:
            message = message.replace(part, "[token]")
    return _TOKEN_LIKE.sub("[token]", message)[:300]


def _is_numeric_date(value: object) -> bool:
    """RFC 7519's NumericDate: a JSON number (integer, or with a fraction), never a string."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def authenticate_service(request: flask.Request, config: Config) -> dict:
    """Accept only our Cloud Tasks / Scheduler identity, for exactly the URL being called."""
    token = _bearer_token(request)
    audience = config.public_base_url.rstrip("/") + request.path
    try:
        if config.local:
            claims = jwt.decode(
                token,
                config.local_service_secret or "",
                algorithms=["HS256"],
                audience=audience,
                options={"require": ["exp", "email"]},
            )
        else:
            claims = id_token.verify_oauth2_token(
                token, google.auth.transport.requests.Request(), audience=audience
            )
    except (jwt.PyJWTError, ValueError) as exc:
        raise _invalid_token("service", token, exc) from None
    if claims.get("email") != config.tasks_service_account or not claims.get(
        "email_verified", False
    ):
        raise Forbidden("caller is not the tasks service account")
    return claims
