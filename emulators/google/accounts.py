"""Google accounts of the stand-in and the access tokens that act for them.

This is the seam between the OAuth side (which issues tokens) and the Calendar
API side (which checks them). Thread-safe: every method takes the lock.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Grant:
    """What an access token may do: act for `email` within `scopes`, until `expires_at`."""

    email: str
    scopes: frozenset[str]
    client_id: str
    expires_at: float


@dataclass
class Account:
    email: str
    sub: str
    hd: str | None = None  # Workspace domain, None for consumer accounts
    created_at: float = field(default_factory=time.time)


class Accounts:
    """Registry of accounts (created on first use) and of live access tokens."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._accounts: dict[str, Account] = {}
        self._access_tokens: dict[str, Grant] = {}
        self._on_new: list[Callable[[Account], None]] = []

    def on_new_account(self, callback: Callable[[Account], None]) -> None:
        """Call `callback(account)` on each new account (e.g. to add its primary calendar)."""
        with self._lock:
            self._on_new.append(callback)

    def ensure(self, email: str) -> Account:
        email = email.strip().lower()
        with self._lock:
            account = self._accounts.get(email)
            if account is None:
                domain = email.rsplit("@", 1)[-1]
                hd = None if domain in ("gmail.com", "googlemail.com") else domain
                account = Account(email=email, sub=str(10**20 + len(self._accounts) + 1), hd=hd)
                self._accounts[email] = account
                for callback in self._on_new:
                    callback(account)
            return account

    def get(self, email: str) -> Account | None:
        with self._lock:
            return self._accounts.get(email.strip().lower())

    def issue_access_token(
        self, email: str, scopes: set[str] | frozenset[str], client_id: str, ttl: float = 3600
    ) -> str:
        account = self.ensure(email)
        token = "ya29.local-" + secrets.token_urlsafe(32)
        with self._lock:
            self._access_tokens[token] = Grant(
                email=account.email,
                scopes=frozenset(scopes),
                client_id=client_id,
                expires_at=time.time() + ttl,
            )
        return token

    def resolve_access_token(self, token: str) -> Grant | None:
        """The grant behind a bearer token, or None if unknown, expired or revoked."""
        with self._lock:
            grant = self._access_tokens.get(token)
            if grant is None or grant.expires_at <= time.time():
                return None
            return grant

    def revoke_access_token(self, token: str) -> bool:
        with self._lock:
            return self._access_tokens.pop(token, None) is not None
