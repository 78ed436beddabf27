"""Mint tokens for local use: platform JWTs for people and scripts, service tokens for cron.

`python -m dev.tokens --role admin --company c1` prints a platform token
signed with the local APP_JWT_SECRET; `--service /cron/poll` prints a token
the local /cron and /tasks endpoints accept. Refused outside local mode.
"""

from __future__ import annotations

import argparse
import time

import jwt

from shared.config import Config, ConfigError, get_config


def platform_token(
    config: Config, role: str, company_id: str, worker_id: str | None = None, ttl: int = 3600
) -> str:
    if not config.jwt_secret:
        raise ConfigError("platform tokens can be minted only with an HS256 APP_JWT_SECRET")
    claims: dict = {"company_id": company_id, "role": role, "exp": int(time.time()) + ttl}
    if worker_id:
        claims["worker_id"] = worker_id
    if config.jwt_audience:
        claims["aud"] = config.jwt_audience
    return jwt.encode(claims, config.jwt_secret, algorithm="HS256")


def service_token(config: Config, path: str, ttl: int = 3600) -> str:
    """What Cloud Scheduler would send to `path`, signed with the local shared secret."""
    if not config.local:
        raise ConfigError("service tokens are minted by Google in production")
    now = int(time.time())
    claims = {
        "iss": "https://accounts.google.com",
        "aud": config.public_base_url.rstrip("/") + path,
        "email": config.tasks_service_account,
        "email_verified": True,
        "sub": config.tasks_service_account,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, config.local_service_secret or "", algorithm="HS256")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", choices=["admin", "fieldworker", "system"], default="admin")
    parser.add_argument("--company", default="c1")
    parser.add_argument("--worker", help="worker id (required for fieldworker tokens)")
    parser.add_argument("--ttl", type=int, default=24 * 3600, help="seconds (default one day)")
    parser.add_argument("--service", metavar="PATH", help="mint a cron/task token for PATH instead")
    args = parser.parse_args(argv)
    config = get_config()
    if not config.local:
        parser.error("tokens are minted only in local mode (APP_MODE=local)")
    if args.service:
        print(service_token(config, args.service, args.ttl))
        return
    if args.role == "fieldworker" and not args.worker:
        parser.error("--worker is required for a fieldworker token")
    print(platform_token(config, args.role, args.company, args.worker, args.ttl))


if __name__ == "__main__":
    main()
