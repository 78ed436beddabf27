"""Linking a worker to a Google account, and unlinking it.

A link writes the worker's connection, the company's account (`accounts/{sub}`) and the
grants it touches in one transaction: the grant the consent issued, the one the account
used before, and the one of the account the worker leaves if it was the last one there.
Grants no company uses any more are released after the commit (see grants.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore

from shared.config import Config
from shared.domain import connection
from shared.domain.account import GoogleAccount
from shared.domain.connection import ConnectionState
from shared.domain.grant import grant_id
from shared.domain.worker import INVITATION_VOIDED
from shared.google.oauth import Identity, OAuthClient
from shared.queue import messages
from shared.services import grants
from shared.store import records
from shared.store.firestore import Store


@dataclass(frozen=True)
class Linked:
    """What a link changed, for the work that follows its commit."""

    released_grants: list[str]
    switched_from: str | None  # the Google address the worker was moved off
    worker_ids: list[str]  # everyone on the account now, who should have a look


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
) -> Linked:
    """Connect the worker to the account (moving it off any other), then ask for a sync.

    With `refresh_token` (and its `client`) the account uses that OAuth grant; without,
    domain-wide delegation. A consent uses up its invitation before (`invitations.use_up`);
    the link voids any other outstanding one.
    """
    now = datetime.now(UTC)
    account_ref = store.accounts(company_id).document(identity.sub)
    new_gid = grant_id(client.client_id, identity.sub) if refresh_token and client else None

    def link(transaction: firestore.Transaction) -> Linked:
        # Firestore transactions read everything first, then write.
        worker = records.worker(store, company_id, worker_id, transaction)
        previous = worker.connection if worker else connection.Connection()
        account = records.account(store, company_id, identity.sub, transaction)
        old_sub = previous.google_sub if previous.google_sub != identity.sub else None
        old_account = records.account(store, company_id, old_sub, transaction) if old_sub else None
        waiting = [  # workers on this account waiting for its reauthorization
            other.id
            for other_id in (account.worker_ids if account else ())
            if other_id != worker_id
            and (other := records.worker(store, company_id, other_id, transaction))
            and other.connection.state == ConnectionState.NEEDS_REAUTH
        ]
        old_gid = account.grant_id if account else None
        touched = {
            gid: grants.GrantChange.read(store, transaction, gid)
            for gid in {new_gid, old_gid, old_account.grant_id if old_account else None}
            if gid
        }

        released: list[str] = []
        if old_account and _leave(transaction, store, company_id, old_account, worker_id, now):
            left = old_account.grant_id
            if left and touched[left].leave(company_id, now):
                released.append(left)
        if new_gid and client and refresh_token:
            if old_gid and old_gid != new_gid and touched[old_gid].leave(company_id, now):
                released.append(old_gid)  # the account moved to another client's grant
            touched[new_gid].join(
                config,
                company_id,
                client=client,
                identity=identity,
                scopes=scopes,
                refresh_token=refresh_token,
                now=now,
            )
        elif old_gid and touched[old_gid].leave(company_id, now):
            released.append(old_gid)  # now delegated: no grant needed

        on_account = sorted({*(account.worker_ids if account else ()), worker_id})
        transaction.set(
            account_ref,
            _linked_account(identity, scopes, new_gid, client, on_account, now),
            merge=True,
        )
        transaction.update(
            store.worker(company_id, worker_id),
            {
                "connection": connection.connected(
                    previous,
                    identity.sub,
                    identity.email,
                    scopes,
                    now,
                    company_calendar_id=account.company_calendar_id if account else None,
                ),
                "sync_pending_since": now,
                **INVITATION_VOIDED,
            },
        )
        for other_id in waiting:
            transaction.update(store.worker(company_id, other_id), connection.reauthorized())
        for change in touched.values():
            change.write(transaction)
        return Linked(
            released_grants=released,
            switched_from=connection.switched_from(previous, identity.sub),
            worker_ids=on_account,
        )

    linked = store.transact(link)
    for gid in linked.released_grants:
        grants.request_release(config, gid)
    if linked.switched_from:
        messages.send(
            config,
            messages.AccountSwitched(
                company_id=company_id,
                worker_id=worker_id,
                previous_email=linked.switched_from,
                new_email=identity.email,
            ),
        )
    for other_id in linked.worker_ids:
        messages.request_sync(config, company_id, other_id)
    return linked


def _linked_account(
    identity: Identity,
    scopes: list[str],
    gid: str | None,
    client: OAuthClient | None,
    worker_ids: list[str],
    now: datetime,
) -> dict[str, Any]:
    """The account's fields after a link (merged: its calendars and lease stay)."""
    return {
        "email": identity.email,
        "hd": identity.hd,
        "scopes": scopes,
        "auth": "oauth" if gid else "delegated",
        "grant_id": gid,
        "client_kind": client.kind if gid and client else "delegated",
        "state": ConnectionState.CONNECTED.value,
        "error": None,
        "reauth_alert_queued_at": None,
        "worker_ids": worker_ids,
        "updated_at": now,
    }


def unlink_worker(config: Config, store: Store, company_id: str, worker_id: str) -> None:
    """Disconnect: the worker leaves its account, and outstanding invitations die with the
    connection. The company's last worker on the account lets go of its grant."""
    now = datetime.now(UTC)

    def unlink(transaction: firestore.Transaction) -> str | None:
        worker = records.worker(store, company_id, worker_id, transaction)
        previous = worker.connection if worker else connection.Connection()
        sub = previous.google_sub
        account = records.account(store, company_id, sub, transaction) if sub else None
        gid = account.grant_id if account else None
        grant = grants.GrantChange.read(store, transaction, gid) if gid else None
        transaction.update(
            store.worker(company_id, worker_id),
            {
                "connection": connection.disconnected(previous, now),
                "sync_pending_since": None,
                **INVITATION_VOIDED,
            },
        )
        if account is None:
            return None
        if not _leave(transaction, store, company_id, account, worker_id, now) or grant is None:
            return None
        released = grant.leave(company_id, now)
        grant.write(transaction)
        return gid if released else None

    released = store.transact(unlink)
    if released:
        grants.request_release(config, released)


def _leave(
    transaction,
    store: Store,
    company_id: str,
    account: GoogleAccount,
    worker_id: str,
    now: datetime,
) -> bool:
    """Take the worker off the account; True if it was the last one."""
    remaining = [w for w in account.worker_ids if w != worker_id]
    transaction.update(
        store.accounts(company_id).document(account.sub),
        {"worker_ids": remaining, "updated_at": now},
    )
    return not remaining
