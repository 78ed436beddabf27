"""Linking a worker to a Google account, and unlinking it.

A link is one optimistic write on the worker alone: its connection, the invitation it
used up, and what it brings for the account (a `GrantOffer`: the consent's refresh
token, sealed, or domain-wide delegation). Workers sharing a Google account therefore
never contend on the account or its grant; the account's sync (shared/sync/run.py)
takes the newest offer into the account and the shared grant, once per account. An
unlink is likewise the worker's own write; the account's sync then sees who is left and
lets go of the grant when nobody is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_random_exponential

from shared.config import Config
from shared.domain import connection
from shared.domain.worker import INVITATION_VOIDED, Worker
from shared.errors import NotFound
from shared.google.oauth import Identity, OAuthClient
from shared.queue import messages
from shared.secrets import locations
from shared.secrets.crypto import secret_box
from shared.store import records
from shared.store.firestore import Raced, Store

# A person is waiting in a browser: a write that keeps conflicting is retried this long.
LINK_DEADLINE = 20.0


class InvitationVoid(Exception):
    """The invitation behind a consent was used, replaced or voided meanwhile."""


@dataclass(frozen=True)
class Linked:
    """What a link changed, for the work that follows its write."""

    switched_from: str | None  # the Google address the worker was moved off


def link_worker(
    config: Config,
    store: Store,
    company_id: str,
    worker_id: str,
    identity: Identity,
    *,
    scopes: list[str],
    client: OAuthClient | None = None,
    refresh_token: str | None = None,
    invitation_id: str | None = None,
) -> Linked:
    """Connect the worker to the account (moving it off any other), then ask for the
    account's sync. With `refresh_token` (and its `client`) the account is to use that OAuth
    grant; without, domain-wide delegation. With `invitation_id` the same write uses that
    invitation up, or raises InvitationVoid: of many consents racing on one link exactly
    one wins. Any other outstanding invitation is void after a link."""
    now = datetime.now(UTC)
    offer = _offer(config, company_id, worker_id, identity, scopes, client, refresh_token, now)

    def link(worker: Worker | None) -> dict[str, Any]:
        if worker is None:
            raise NotFound(f"no worker {worker_id}", field="worker_id")
        if invitation_id is not None and not worker.invitation.is_current(invitation_id):
            raise InvitationVoid(worker_id)
        update = {
            "connection": connection.connected(
                worker.connection, identity.sub, identity.email, scopes, now
            ),
            "grant_offer": offer,
            "sync_pending_since": now,
            **INVITATION_VOIDED,
        }
        if invitation_id is not None:
            update["invitation.used_at"] = now
        return update

    before = _write(store, company_id, worker_id, link)
    previous = before.connection if before else connection.Connection()
    messages.request_account_sync(config, company_id, identity.sub)
    old_sub = previous.google_sub if previous.state.linked else None
    if old_sub and old_sub != identity.sub:
        messages.request_account_sync(config, company_id, old_sub)  # it may be unused now
    switched_from = connection.switched_from(previous, identity.sub)
    if switched_from:
        messages.send(
            config,
            messages.AccountSwitched(
                company_id=company_id,
                worker_id=worker_id,
                previous_email=switched_from,
                new_email=identity.email,
            ),
        )
    return Linked(switched_from=switched_from)


def _offer(
    config: Config,
    company_id: str,
    worker_id: str,
    identity: Identity,
    scopes: list[str],
    client: OAuthClient | None,
    refresh_token: str | None,
    now: datetime,
) -> dict[str, Any]:
    offer: dict[str, Any] = {
        "kind": "delegated",
        "issued_at": now,
        "email": identity.email,
        "hd": identity.hd,
        "scopes": scopes,
    }
    if refresh_token and client:
        sealed = secret_box(config).seal(
            refresh_token, locations.grant_offer(company_id, worker_id)
        )
        offer.update(
            kind="oauth", client_id=client.client_id, client_kind=client.kind, refresh_token=sealed
        )
    return offer


def unlink_worker(config: Config, store: Store, company_id: str, worker_id: str) -> None:
    """Disconnect: the worker leaves its account, and outstanding invitations die with the
    connection. The account's sync then lets go of the grant if nobody is left on it."""
    now = datetime.now(UTC)

    def unlink(worker: Worker | None) -> dict[str, Any] | None:
        if worker is None:
            return None
        return {
            "connection": connection.disconnected(worker.connection, now),
            "grant_offer": firestore.DELETE_FIELD,
            "sync_pending_since": None,
            **INVITATION_VOIDED,
        }

    before = _write(store, company_id, worker_id, unlink)
    if before and before.connection.state.linked and before.connection.google_sub:
        messages.request_account_sync(config, company_id, before.connection.google_sub)


@retry(
    retry=retry_if_exception_type(
        (google_exceptions.Aborted, google_exceptions.ServiceUnavailable, Raced)
    ),
    wait=wait_random_exponential(multiplier=0.05, max=1),
    stop=stop_after_delay(LINK_DEADLINE),
    reraise=True,
)
def _write(store: Store, company_id: str, worker_id: str, change) -> Worker | None:
    """The worker's optimistic write; contention is retried, never reported to a person."""
    return records.modify_worker(store, company_id, worker_id, change)
