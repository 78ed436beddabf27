"""OAuth grants as the companies share them: joining and leaving one when workers link and
unlink, recording Google's refusal, and giving an unused grant back to Google.

    grants/{grant_id}   see shared/domain/grant.py; written only here (inside the link and
                        unlink transactions, or by the release task) and by the token cache
                        of shared/google/credentials.py; read by no endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from google.cloud import firestore

from shared.config import Config
from shared.domain.grant import GrantState, grant_id
from shared.google import oauth
from shared.queue import messages
from shared.secrets import locations
from shared.secrets.crypto import secret_box
from shared.store import records
from shared.store.firestore import Store

# -- inside the link / unlink transactions ----------------------------------------


@dataclass
class GrantChange:
    """What a link or unlink transaction decided about one grant."""

    ref: firestore.DocumentReference
    record: dict

    @classmethod
    def read(cls, store: Store, transaction, gid: str) -> GrantChange:
        ref = store.grant(gid)
        snapshot = ref.get(transaction=transaction)
        return cls(ref, snapshot.to_dict() if snapshot.exists else {})

    def join(
        self,
        config: Config,
        company_id: str,
        *,
        client: oauth.OAuthClient,
        identity: oauth.Identity,
        scopes: list[str],
        refresh_token: str,
        now: datetime,
    ) -> None:
        """The company uses the grant, with the refresh token Google just issued: the newest
        one serves every company, so an older one expiring at Google harms nobody."""
        gid = self.ref.id
        self.record.update(
            {
                "client_id": client.client_id,
                "client_kind": client.kind,
                "sub": identity.sub,
                "email": identity.email,
                "scopes": scopes,
                "refresh_token": secret_box(config).seal(
                    refresh_token, locations.refresh_token(gid)
                ),
                "refresh_token_issued_at": now,
                "access_token": None,  # minted from an older token, perhaps a revoked one
                "state": GrantState.ACTIVE.value,
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


def request_release(config: Config, gid: str) -> None:
    """Ask for the release task; it revokes the grant only if still nobody uses it then."""
    messages.send(config, messages.ReleaseGrant(grant_id=gid))


def release(config: Config, store: Store, gid: str) -> str:
    """The release task: a grant no company uses goes back to Google.

    Revoking ends the whole grant at Google, so it happens only while nobody uses it. A
    consent that lands while the revocation is on the wire may hold a token that died
    with it: then the grant's users sync at once, so a dead token is found now.
    """
    ref = store.grant(gid)

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
    for company_id in after.companies:
        account = records.account(store, company_id, after.sub or "")
        for worker_id in account.worker_ids if account else ():
            messages.request_sync(config, company_id, worker_id)
    return "relinked"


def give_back_unused(
    config: Config, store: Store, client: oauth.OAuthClient, sub: str, token: str
) -> None:
    """Return a grant we will not use (partial consent, wrong domain) unless another company
    already relies on it: revoking ends the grant for everyone."""
    grant = records.grant(store, grant_id(client.client_id, sub))
    if grant and grant.in_use:
        return
    oauth.revoke(config, token)
