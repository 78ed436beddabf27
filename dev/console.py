"""The local console's address: `/console` with a platform token in the URL fragment.

The fragment (`#token=...`) never leaves the browser: the page reads the token from it, keeps
it for the tab and takes it out of the address bar. The token is minted as `make token` mints
it (dev/tokens.py), valid one day. Local mode only.
"""

from __future__ import annotations

from dev.tokens import platform_token
from shared.config import ConfigError, get_config

TOKEN_TTL = 24 * 3600


def console_address(
    base_url: str, company_id: str, role: str = "admin", worker_id: str | None = None
) -> str:
    """`<base_url>/console#token=<JWT>` for `role` in `company_id` (a fieldworker needs its
    `worker_id`)."""
    if role == "fieldworker" and not worker_id:
        raise ValueError("a fieldworker's console address needs its worker_id")
    config = get_config()
    if not config.local:
        raise ConfigError("console addresses with a token are minted only in local mode")
    token = platform_token(config, role, company_id, worker_id, ttl=TOKEN_TTL)
    return f"{base_url.rstrip('/')}/console#token={token}"
