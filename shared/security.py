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
from dataclasses import dataclass
from typing import Literal

import flask
import google.auth.transport.requests
import jwt
from google.oauth2 import id_token

from shared.config import Config
from shared.errors import Forbidden, Unauthenticated

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
        raise Unauthenticated(f"invalid token: {exc}", code="invalid_token") from None

    company_id, role, worker_id = (
        claims.get("company_id"),
        claims.get("role"),
        claims.get("worker_id"),
    )
    if not isinstance(company_id, str) or not company_id:
        raise Unauthenticated("token lacks company_id", code="invalid_token")
    if role not in ROLES:
        raise Unauthenticated(
            "token role must be admin, fieldworker or system", code="invalid_token"
        )
    if role == "fieldworker" and (not isinstance(worker_id, str) or not worker_id):
        raise Unauthenticated("fieldworker token lacks worker_id", code="invalid_token")
    return Principal(company_id=company_id, role=role, worker_id=worker_id or None)


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
        raise Unauthenticated(f"invalid service token: {exc}", code="invalid_token") from None
    if claims.get("email") != config.tasks_service_account or not claims.get(
        "email_verified", False
    ):
        raise Forbidden("caller is not the tasks service account")
    return claims
