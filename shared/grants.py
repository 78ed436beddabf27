"""OAuth grants: one record per (OAuth client, Google account), shared by every company using it.

Google keeps one grant per client and account. Revoking any of its tokens ends it
for everybody, and only the newest ~100 refresh tokens of a client and account
stay alive. A person who works for two companies on the platform client therefore
has *one* grant, not one per company. Its record holds:

- the newest refresh token (sealed). Every consent replaces it, so older tokens can
  expire at Google without harm.
- the cached access token and the lease of whoever refreshes it, so all companies
  refresh once.
- the companies whose accounts use it. It is revoked only when the last of them
  lets go.

    grants/{grant_id}   grant_id = sha256(client_id, sub); written only by this
                        module and google_accounts' link/unlink transactions, read by
                        no endpoint.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import google.auth.transport.requests
import requests
from google.auth.exceptions import RefreshError
from google.cloud import firestore
from google.oauth2 import credentials as oauth2_credentials

from shared.clients import google_endpoints
from shared.config import Config
from shared.crypto import secret_box
from shared.store import Store

log = logging.getLogger(__name__)

REFRESH_LEASE = timedelta(seconds=30)
# An access token this close to its expiry is not handed out: a sync may run for a while.
EXPIRY_MARGIN = timedelta(seconds=60)


class GrantRefused(Exception):
    """Google no longer honours the grant (`invalid_grant`); its users must reconnect."""


def grant_id(client_id: str, sub: str) -> str:
    return hashlib.sha256(f"{client_id}\n{sub}".encode()).hexdigest()[:40]


def grant_ref(store: Store, gid: str) -> firestore.DocumentReference:
    return store.client.collection("grants").document(gid)


def _refresh_token_context(gid: str) -> str:
    return f"grants/{gid}/refresh_token"


def _access_token_context(gid: str) -> str:
    return f"grants/{gid}/access_token"


def oauth_error(error: RefreshError) -> str | None:
    """The OAuth error code of a refused refresh (`invalid_grant`, `invalid_client`, ...), read
    from Google's structured answer, never from message text."""
    details = error.args[1] if len(error.args) > 1 else None
    return details.get("error") if isinstance(details, dict) else None


# -- inside the link / unlink transactions ----------------------------------------


@dataclass
class GrantChange:
    """What a link or unlink transaction decided about one grant."""

    ref: firestore.DocumentReference
    record: dict

    @classmethod
    def read(cls, store: Store, transaction, gid: str) -> GrantChange:
        ref = grant_ref(store, gid)
        snapshot = ref.get(transaction=transaction)
        return cls(ref, snapshot.to_dict() if snapshot.exists else {})

    @property
    def unused(self) -> bool:
        return not self.record.get("companies")

    def join(
        self,
        config: Config,
        company_id: str,
        *,
        client_id: str,
        client_kind: str,
        sub: str,
        email: str,
        scopes: list[str],
        refresh_token: str,
        now: datetime,
    ) -> None:
        """The company uses the grant, with the refresh token Google just issued: the newest
        one serves every company, so an older one expiring at Google harms nobody."""
        gid = self.ref.id
        self.record.update(
            {
                "client_id": client_id,
                "client_kind": client_kind,
                "sub": sub,
                "email": email,
                "scopes": scopes,
                "refresh_token": secret_box(config).seal(
                    refresh_token, _refresh_token_context(gid)
                ),
                "refresh_token_issued_at": now,
                "access_token": None,  # minted from an older token, perhaps a revoked one
                "state": "active",
                "companies": sorted({*self.record.get("companies", []), company_id}),
                # A release that started before this link must not trust what it revoked.
                "generation": self.record.get("generation", 0) + 1,
                "updated_at": now,
            }
        )

    def leave(self, company_id: str, now: datetime) -> bool:
        """The company no longer uses the grant; True if nobody does any more."""
        self.record["companies"] = [c for c in self.record.get("companies", []) if c != company_id]
        self.record["updated_at"] = now
        return not self.record["companies"]

    def write(self, transaction) -> None:
        if self.record:
            transaction.set(self.ref, self.record)


# -- credentials ------------------------------------------------------------------


def oauth_credentials(
    config: Config, store: Store, gid: str, client_id: str, client_secret: str
) -> oauth2_credentials.Credentials:
    """Credentials for calling Google through the grant, with a fresh access token."""
    record = grant_ref(store, gid).get().to_dict() or {}
    if record.get("state") != "active" or not record.get("refresh_token"):
        raise GrantRefused(gid)
    creds = oauth2_credentials.Credentials(
        token=None,
        refresh_token=secret_box(config).open(record["refresh_token"], _refresh_token_context(gid)),
        token_uri=google_endpoints(config).token,
        client_id=client_id,
        client_secret=client_secret,
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
    """The cached access token unless it expires within EXPIRY_MARGIN of `now`."""
    sealed = record.get("access_token")
    if not sealed:
        return None
    expiry = datetime.fromisoformat(sealed["expiry"])
    if expiry - EXPIRY_MARGIN <= (now or datetime.now(UTC)):
        return None
    token = secret_box(config).open(sealed["token"], _access_token_context(gid))
    return token, expiry.replace(tzinfo=None)  # google-auth compares naive UTC


def forget_access_token(store: Store, gid: str) -> None:
    """Google answered 401 to the cached token: the next caller refreshes."""
    grant_ref(store, gid).update({"access_token": None})


def _leased_elsewhere(record: dict, now: datetime) -> bool:
    lease = record.get("refresh_lease_until")
    return bool(lease and lease > now)


def _refresh_once(config: Config, store: Store, gid: str, creds):
    """Refresh under a lease so concurrent syncs (of any company) do not all refresh."""
    ref = grant_ref(store, gid)
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
        time.sleep(0.2)  # another caller is refreshing; its token lands shortly

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
                "token": secret_box(config).seal(creds.token, _access_token_context(gid)),
                "expiry": expiry.isoformat(),
            },
            "refresh_lease_until": None,
        }
    )
    return creds.token, creds.expiry


def refused(store: Store, gid: str) -> list[str]:
    """Record that Google refused the grant; returns the companies that used it."""
    now = datetime.now(UTC)

    def mark(record: dict | None) -> dict | None:
        if record is None:
            return None
        return {"state": "refused", "access_token": None, "refused_at": now}

    return (store.modify(grant_ref(store, gid), mark) or {}).get("companies", [])


# -- release ----------------------------------------------------------------------


def release(config: Config, store: Store, gid: str) -> str:
    """The release task: a grant no company uses goes back to Google.

    Revoking ends the whole grant at Google, so it happens only while nobody uses it. A
    consent that lands while the revocation is on the wire may hold a token that died
    with it: then the caller is told (`relinked`) so the users' syncs find out at once.
    """
    ref = grant_ref(store, gid)

    def claim(record: dict | None) -> dict | None:
        if record is None or record.get("companies") or not record.get("refresh_token"):
            return None
        return {"releasing_generation": record.get("generation", 0)}

    record = store.modify(ref, claim)
    if record is None or record.get("companies") or not record.get("refresh_token"):
        return "in_use" if record and record.get("companies") else "nothing_to_release"
    claimed = record.get("generation", 0)
    revoke(config, secret_box(config).open(record["refresh_token"], _refresh_token_context(gid)))

    def settle(record: dict | None) -> dict | None:
        if record is None:
            return None
        if record.get("generation", 0) == claimed and not record.get("companies"):
            return {
                "state": "released",
                "refresh_token": None,
                "access_token": None,
                "releasing_generation": None,
                "updated_at": datetime.now(UTC),
            }
        # Relinked while we revoked: whatever it cached is dead; its token may be too.
        return {"releasing_generation": None, "access_token": None}

    store.modify(ref, settle)
    after = ref.get().to_dict() or {}
    return "released" if after.get("state") == "released" else "relinked"


def revoke(config: Config, token: str) -> None:
    """Give a grant back to Google. Best effort: a dead token is already what we want."""
    try:
        response = requests.post(
            google_endpoints(config).revoke,
            data={"token": token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=15,
        )
        if response.status_code not in (200, 400):
            log.warning("token revocation answered %s", response.status_code)
    except requests.RequestException as exc:
        log.warning("token revocation failed: %s", type(exc).__name__)
