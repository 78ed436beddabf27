"""Credentials for calling Google as a linked account.

- OAuth accounts use their grant (`grants/{id}`): the access token is cached sealed on
  the grant and refreshed by one caller at a time (a lease), so concurrent syncs of any
  company refresh once.
- Delegated accounts (Workspace domain-wide delegation) use the company's sealed
  service-account key acting as the worker.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import google.auth.transport.requests
from google.auth.exceptions import RefreshError
from google.oauth2 import credentials as oauth2_credentials
from google.oauth2 import service_account

from shared.config import Config
from shared.domain.account import GoogleAccount
from shared.domain.company import Company
from shared.domain.grant import GrantState, access_token_usable
from shared.google import oauth
from shared.google.clients import google_endpoints
from shared.google.errors import GrantRefused, oauth_error
from shared.secrets import locations
from shared.secrets.crypto import secret_box
from shared.store.firestore import Store

REFRESH_LEASE = timedelta(seconds=30)
# How often a caller waiting for another's refresh looks again.
_REFRESH_POLL = 0.2


class NeedsReauthorization(Exception):
    """The account has no usable grant; its workers must reconnect."""


def for_account(config: Config, store: Store, company: Company, account: GoogleAccount):
    """Credentials acting as the account: NeedsReauthorization if it has none that work,
    GrantRefused if Google refuses its grant on the refresh."""
    if not account.usable:
        raise NeedsReauthorization(account.sub)
    if account.auth == "delegated":
        return delegated(config, company, account.email or "")
    client = oauth.client_for(config, company, kind=account.client_kind)
    return for_grant(config, store, account.grant_id or "", client)


def delegated(config: Config, company: Company, email: str) -> service_account.Credentials:
    """The company's service account acting as `email`. The token endpoint is ours to choose,
    never the uploaded key's: a tenant must not be able to make the backend post signed
    assertions to an address of its own."""
    info = json.loads(
        secret_box(config).open(
            company.service_account_key or {}, locations.service_account_key(company.id)
        )
    )
    info["token_uri"] = google_endpoints(config).token
    return service_account.Credentials.from_service_account_info(
        info, scopes=oauth.DELEGATED_SCOPES, subject=email
    )


def for_grant(
    config: Config, store: Store, gid: str, client: oauth.OAuthClient
) -> oauth2_credentials.Credentials:
    """Credentials for calling Google through the grant, with a fresh access token."""
    record = store.grant(gid).get().to_dict() or {}
    if record.get("state") != GrantState.ACTIVE or not record.get("refresh_token"):
        raise GrantRefused(gid)
    creds = oauth2_credentials.Credentials(
        token=None,
        refresh_token=secret_box(config).open(
            record["refresh_token"], locations.refresh_token(gid)
        ),
        token_uri=google_endpoints(config).token,
        client_id=client.client_id,
        client_secret=client.client_secret,
        scopes=record.get("scopes"),
    )
    cached = cached_access_token(config, gid, record)
    if cached is None:
        cached = _refresh_once(config, store, gid, creds)
    creds.token, creds.expiry = cached
    return creds


def cached_access_token(
    config: Config, gid: str, record: dict, now: datetime | None = None
) -> tuple[str, datetime] | None:
    """The grant's cached access token unless it expires within EXPIRY_MARGIN of `now`."""
    sealed = record.get("access_token")
    if not sealed:
        return None
    expiry = datetime.fromisoformat(sealed["expiry"])
    if not access_token_usable(expiry, now or datetime.now(UTC)):
        return None
    token = secret_box(config).open(sealed["token"], locations.access_token(gid))
    return token, expiry.replace(tzinfo=None)  # google-auth compares naive UTC


def forget_access_token(store: Store, gid: str) -> None:
    """Google answered 401 to the cached token: the next caller refreshes."""
    store.grant(gid).update({"access_token": None})


def _leased_elsewhere(record: dict, now: datetime) -> bool:
    lease = record.get("refresh_lease_until")
    return bool(lease and lease > now)


def _refresh_once(config: Config, store: Store, gid: str, creds):
    """Refresh under a lease so concurrent syncs (of any company) do not all refresh."""
    ref = store.grant(gid)
    deadline = time.monotonic() + REFRESH_LEASE.total_seconds()
    while True:
        now = datetime.now(UTC)

        def take(record: dict | None, now: datetime = now) -> dict | None:
            record = record or {}
            if cached_access_token(config, gid, record, now) or _leased_elsewhere(record, now):
                return None
            return {"refresh_lease_until": now + REFRESH_LEASE}

        record = store.modify(ref, take) or {}
        cached = cached_access_token(config, gid, record, now)
        if cached is not None:
            return cached
        if not _leased_elsewhere(record, now) or time.monotonic() > deadline:
            break  # the lease is ours (or its holder died): refresh
        time.sleep(_REFRESH_POLL)  # another caller is refreshing; its token lands shortly

    try:
        creds.refresh(google.auth.transport.requests.Request())
    except RefreshError as exc:
        ref.update({"refresh_lease_until": None})
        if oauth_error(exc) == "invalid_grant":
            raise GrantRefused(gid) from None
        raise
    expiry = creds.expiry.replace(tzinfo=UTC)
    ref.update(
        {
            "access_token": {
                "token": secret_box(config).seal(creds.token, locations.access_token(gid)),
                "expiry": expiry.isoformat(),
            },
            "refresh_lease_until": None,
        }
    )
    return creds.token, creds.expiry
