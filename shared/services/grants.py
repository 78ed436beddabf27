"""OAuth grants as the companies share them: a company's account joins one (with the newest
refresh token) or leaves it, Google's refusal is recorded, and a grant nobody uses goes
back to Google.

    grants/{grant_id}   see shared/domain/grant.py; written here (by account syncs and the
                        release task, one optimistic write each, never inside a worker's
                        link) and by the token cache of shared/google/credentials.py; read
                        by no endpoint.
"""

from __future__ import annotations

from datetime import UTC, datetime

from shared.config import Config
from shared.domain.grant import GrantState, grant_id
from shared.google import oauth
from shared.queue import messages
from shared.secrets import locations
from shared.secrets.crypto import secret_box
from shared.store import records
from shared.store.firestore import Store


def join(
    config: Config,
    store: Store,
    company_id: str,
    *,
    client_id: str,
    client_kind: str,
    sub: str,
    email: str,
    scopes: list[str],
    refresh_token: str,
) -> str:
    """The company uses the grant, with the refresh token Google just issued: the newest one
    serves every company, so an older one expiring at Google harms nobody. Returns its id."""
    gid = grant_id(client_id, sub)
    sealed = secret_box(config).seal(refresh_token, locations.refresh_token(gid))
    now = datetime.now(UTC)

    def use(record: dict | None) -> dict:
        record = record or {}
        return {
            "client_id": client_id,
            "client_kind": client_kind,
            "sub": sub,
            "email": email,
            "scopes": scopes,
            "refresh_token": sealed,
            "refresh_token_issued_at": now,
            "access_token": None,  # minted from an older token, perhaps a revoked one
            "state": GrantState.ACTIVE.value,
            "companies": sorted({*record.get("companies", []), company_id}),
            # A release that started before this join must not trust what it revoked.
            "generation": record.get("generation", 0) + 1,
            "updated_at": now,
        }

    store.modify(store.grant(gid), use)
    return gid


def leave(config: Config, store: Store, gid: str, company_id: str) -> None:
    """The company no longer uses the grant; the last company to leave asks for its release."""
    now = datetime.now(UTC)
    left_empty = False

    def drop(record: dict | None) -> dict | None:
        nonlocal left_empty
        if record is None or company_id not in record.get("companies", []):
            left_empty = False
            return None
        companies = [c for c in record["companies"] if c != company_id]
        left_empty = not companies
        return {"companies": companies, "updated_at": now}

    store.modify(store.grant(gid), drop)
    if left_empty:
        messages.send(config, messages.ReleaseGrant(grant_id=gid))


# -- Google refused it ------------------------------------------------------------


def refused(store: Store, gid: str) -> list[str]:
    """Record that Google refused the grant; returns the companies that used it."""
    now = datetime.now(UTC)

    def mark(record: dict | None) -> dict | None:
        if record is None:
            return None
        return {"state": GrantState.REFUSED.value, "access_token": None, "refused_at": now}

    return (store.modify(store.grant(gid), mark) or {}).get("companies", [])


# -- release ----------------------------------------------------------------------


def _still_needed(store: Store, gid: str, client_id: str | None, sub: str | None) -> bool:
    """Whether any company's worker still relies on the grant: linked to its Google account
    through it, or holding a consent of its client that its account has not taken yet."""
    if not sub:
        return False
    for company_id, worker in records.linked_anywhere(store, sub):
        offer = worker.grant_offer
        if offer and offer.kind == "oauth" and offer.client_id == client_id:
            return True
        account = records.account(store, company_id, sub)
        if account and account.grant_id == gid:
            return True
    return False


def release(config: Config, store: Store, gid: str) -> str:
    """The release task: a grant no company uses goes back to Google.

    Revoking ends the whole grant at Google, so it happens only while nobody uses it, and
    no worker anywhere is linked through it. A consent that lands while the revocation is on
    the wire may hold a token that died with it: then the grant's accounts sync at once, so
    a dead token is found now.
    """
    ref = store.grant(gid)
    current = records.grant(store, gid)
    if current is None or current.in_use or not current.has_refresh_token:
        return "in_use" if current and current.in_use else "nothing_to_release"
    record = ref.get().to_dict() or {}
    if _still_needed(store, gid, record.get("client_id"), current.sub):
        return "in_use"

    def claim(record: dict | None) -> dict | None:
        if record is None or record.get("companies") or not record.get("refresh_token"):
            return None
        return {"releasing_generation": record.get("generation", 0)}

    record = store.modify(ref, claim)
    if record is None or record.get("companies") or not record.get("refresh_token"):
        return "in_use" if record and record.get("companies") else "nothing_to_release"
    claimed = record.get("generation", 0)
    token = secret_box(config).open(record["refresh_token"], locations.refresh_token(gid))
    oauth.revoke(config, token)

    def settle(record: dict | None) -> dict | None:
        if record is None:
            return None
        if record.get("generation", 0) == claimed and not record.get("companies"):
            return {
                "state": GrantState.RELEASED.value,
                "refresh_token": None,
                "access_token": None,
                "releasing_generation": None,
                "updated_at": datetime.now(UTC),
            }
        # Relinked while we revoked: whatever it cached is dead; its token may be too.
        return {"releasing_generation": None, "access_token": None}

    store.modify(ref, settle)
    after = records.grant(store, gid)
    if after is None or after.state == GrantState.RELEASED:
        return "released"
    # Its users need a look now (the outbox: markers first, then the request).
    now = datetime.now(UTC)
    for company_id in after.companies:
        for worker in records.account_members(store, company_id, after.sub or ""):
            store.worker(company_id, worker.id).update({"sync_pending_since": now})
        messages.request_account_sync(config, company_id, after.sub or "")
    return "relinked"


def give_back_unused(
    config: Config, store: Store, client: oauth.OAuthClient, sub: str, token: str
) -> None:
    """Return a grant we will not use (partial consent, wrong domain) unless another company
    already relies on it: revoking ends the grant for everyone."""
    gid = grant_id(client.client_id, sub)
    grant = records.grant(store, gid)
    if (grant and grant.in_use) or _still_needed(store, gid, client.client_id, sub):
        return
    oauth.revoke(config, token)
