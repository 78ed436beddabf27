"""Invitation rounds: the emails a settings save owes the roster, fanned out by a task.

Saving settings that newly enable the integration, or switch its provider, starts a round
(`Company.starts_invitation_round`). The settings transaction writes only the company: the
round's id and when it started. After the commit one `InvitationRound` task, named after
the round, fans it out (`fan_out`): page by page through the active workers, each worker
the round invites is marked invited with the round as its current invitation (an
optimistic write on that worker alone) and its email is queued, named per round and
worker. Every step can run again harmlessly, so a redelivered or retried task emails
nobody twice; a round that is no longer the company's (integration off, or a newer round)
emails nobody.

Who a round invites: an active worker with no Google account attached
(`ConnectionState.invitable`) that domain-wide delegation does not connect
(`Company.delegates`). It leaves out a worker that joined the roster after the round
started, or holds an invitation issued after it (a newer round's, or one an admin sent),
as the round would have when it was decided at save time.

How many that is, the settings' answer says without reading the roster
(`expected_invitations`): aggregation counts over fields every roster write keeps
(`active`, `email_domain`, `connection.state`; see services/workers.py).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from google.api_core.exceptions import FailedPrecondition, GoogleAPICallError, NotFound
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.field_path import FieldPath

from shared.config import Config
from shared.domain import connection
from shared.domain.company import Company
from shared.domain.connection import ConnectionState
from shared.domain.worker import Worker
from shared.queue import messages
from shared.services import invitations
from shared.store.firestore import Store

log = logging.getLogger(__name__)

# Workers read per query: never the whole roster at once.
PAGE_SIZE = 300
# A page is handled in batches, CONCURRENCY at a time: each batch marks its workers in one
# Firestore commit, then queues their emails.
BATCH_SIZE = 40
CONCURRENCY = 8

# On the company document: the last round its settings started, and when.
ROUND = "invitation_round"
STARTED_AT = "invitation_round_started_at"
# Set with the round, cleared once its fan-out went through the whole roster: the sweeper
# queues the fan-out again for a round left pending (its task lost, or given up).
PENDING_SINCE = "invitation_round_pending_since"

_LINKED = [state.value for state in ConnectionState if state.linked]

# What becomes of one worker in a round (the fan-out's outcome counts them).
_INVITE = "invite"  # to be marked and emailed
_MARKED = "marked"  # marked by an earlier run of this round's task: its email is queued again
_QUEUED = "queued"
_QUEUED_BEFORE = "queued before"


def started(round_id: str, now: datetime) -> dict:
    """The company's fields that start a round (written by the settings transaction)."""
    return {ROUND: round_id, STARTED_AT: now, PENDING_SINCE: now}


def queue(config: Config, company_id: str, round_id: str, attempt: str = "") -> bool:
    """Ask for the round's fan-out. Named per round: it is queued once however often the
    save that started it is retried. The sweeper asks again under another `attempt` (a
    task name stays taken for a while after its task ran)."""
    digest = hashlib.sha256(f"{company_id}/{round_id}".encode()).hexdigest()[:40]
    message = messages.InvitationRound(company_id=company_id, round_id=round_id)
    return messages.send(config, message, name=f"round-{digest}{attempt}")


# -- how many a round emails, without reading the roster ----------------------------------


def expected_invitations(store: Store, company: Company) -> int:
    """How many workers a round started now invites: active, not linked, not delegated.
    Counted with aggregation queries; a worker saved before roster writes stated its
    connection counts as not linked, as `ConnectionState.of` reads it."""
    active = store.workers(company.id).where(filter=FieldFilter("active", "==", True))
    queries = [active, _linked(active)]
    domain = (company.workspace_domain or "").lower()
    # Whether delegation covers anyone at all is the company's rule: ask it about the domain.
    if domain and company.delegates(Worker(id="-", email="@" + domain, active=True)):
        in_domain = active.where(filter=FieldFilter("email_domain", "==", domain))
        queries += [in_domain, _linked(in_domain)]
    with ThreadPoolExecutor(len(queries)) as pool:
        counts = [*pool.map(_count, queries), 0, 0]
    active_count, linked, delegated, delegated_linked = counts[:4]
    return (active_count - linked) - (delegated - delegated_linked)


def _linked(query: firestore.Query) -> firestore.Query:
    return query.where(filter=FieldFilter("connection.state", "in", _LINKED))


def _count(query: firestore.Query) -> int:
    try:
        (results,) = query.count().get()
        return int(results[0].value)
    except GoogleAPICallError as exc:
        # An emulator or index that cannot aggregate: count the names instead (slower).
        log.warning("count query refused (%s); counting by reading names", exc)
        return sum(1 for _ in query.select([]).stream())


# -- the fan-out (the InvitationRound task) -----------------------------------------------


def fan_out(config: Config, store: Store, company_id: str, round_id: str) -> str:
    """Mark and email every worker the round invites; returns the outcome for the log."""
    tally: Counter[str] = Counter()
    after: firestore.DocumentSnapshot | None = None
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        while True:
            # Read again for each page: a round disabled or replaced meanwhile stops here.
            current = _current(store, company_id, round_id)
            if current is None:
                return f"superseded; {_outcome(tally)}" if tally else "moot"
            company, started_at = current
            page = _page(store, company_id, after)

            def invite(batch, company=company, started_at=started_at) -> list[str]:
                return _invite(config, store, company, round_id, started_at, batch)

            batches = [page[i : i + BATCH_SIZE] for i in range(0, len(page), BATCH_SIZE)]
            for outcomes in pool.map(invite, batches):
                tally.update(outcomes)
            if len(page) < PAGE_SIZE:
                _done(store, company_id, round_id)
                return _outcome(tally)
            after = page[-1]


def _done(store: Store, company_id: str, round_id: str) -> None:
    """The round went through the whole roster: nothing left for the sweeper."""

    def done(record: dict | None) -> dict | None:
        if record is None or record.get(ROUND) != round_id or not record.get(PENDING_SINCE):
            return None
        return {PENDING_SINCE: None}

    store.modify(store.company(company_id), done)


def pending_before(store: Store, cutoff: datetime) -> list[tuple[str, str]]:
    """(company_id, round_id) of every round still pending since before `cutoff`."""
    query = store.client.collection("companies").where(
        filter=FieldFilter(PENDING_SINCE, "<", cutoff)
    )
    return [(snapshot.id, snapshot.get(ROUND)) for snapshot in query.stream()]


def _current(store: Store, company_id: str, round_id: str) -> tuple[Company, datetime] | None:
    """The company and when the round started, if the round is still the company's own."""
    snapshot = store.company(company_id).get()
    record = snapshot.to_dict() if snapshot.exists else None
    if record is None or record.get(ROUND) != round_id:
        return None
    company = Company.from_record(company_id, record)
    return (company, record.get(STARTED_AT)) if company.enabled else None


def _page(
    store: Store, company_id: str, after: firestore.DocumentSnapshot | None
) -> list[firestore.DocumentSnapshot]:
    query = (
        store.workers(company_id)
        .where(filter=FieldFilter("active", "==", True))
        .order_by(FieldPath.document_id())
        .limit(PAGE_SIZE)
    )
    if after is not None:
        query = query.start_after(after)
    return list(query.stream())


def _invite(
    config: Config,
    store: Store,
    company: Company,
    round_id: str,
    started_at: datetime | None,
    batch: list[firestore.DocumentSnapshot],
) -> list[str]:
    """Workers of a page: those the round invites are marked, then every marked one's email
    is queued; returns what became of each. The marks are one commit, each write
    conditional on the worker being as the page read it (the optimistic write of
    `Store.modify`, for many workers at once); if any was written since, each is decided
    again on its own, through `Store.modify`."""
    verdicts = {
        snapshot.id: _verdict(company, round_id, started_at, snapshot.id, snapshot.to_dict())
        for snapshot in batch
    }
    invited = [snapshot for snapshot in batch if verdicts[snapshot.id] == _INVITE]
    if invited:
        marks = store.client.batch()
        for snapshot in invited:
            unchanged = store.client.write_option(last_update_time=snapshot.update_time)
            marks.update(snapshot.reference, _mark(round_id, started_at), option=unchanged)
        try:
            marks.commit()  # all or nothing
        except (FailedPrecondition, NotFound):
            for snapshot in invited:
                verdicts[snapshot.id] = _mark_alone(store, company, round_id, started_at, snapshot)
    outcomes = []
    for snapshot in batch:
        verdict = verdicts[snapshot.id]
        if verdict in (_INVITE, _MARKED):
            queued = invitations.queue_email(config, company.id, snapshot.id, round_id)
            verdict = _QUEUED if queued else _QUEUED_BEFORE
        outcomes.append(verdict)
    return outcomes


def _mark(round_id: str, started_at: datetime | None) -> dict:
    """The worker invited in this round, the round its current invitation."""
    now = datetime.now(UTC)
    invitation = {
        "round": round_id,
        "current": round_id,
        "issued_at": started_at or now,
        "queued_at": now,
    }
    return {**connection.invited(), "invitation": invitation}


def _mark_alone(
    store: Store,
    company: Company,
    round_id: str,
    started_at: datetime | None,
    snapshot: firestore.DocumentSnapshot,
) -> str:
    """Mark one worker, decided on the worker as it is now; returns the verdict."""
    verdict = _INVITE

    def mark(record: dict | None) -> dict | None:
        nonlocal verdict
        verdict = _verdict(company, round_id, started_at, snapshot.id, record)
        return _mark(round_id, started_at) if verdict == _INVITE else None

    store.modify(snapshot.reference, mark)
    return verdict


def _verdict(
    company: Company,
    round_id: str,
    started_at: datetime | None,
    worker_id: str,
    record: dict | None,
) -> str:
    """What the round does with this worker: `_INVITE`, `_MARKED`, or why it skips it."""
    if record is None:
        return "gone"
    worker = Worker.from_record(worker_id, record)
    if not worker.active:
        return "inactive"
    if not worker.connection.state.invitable:
        return "linked"
    if worker.invitation.round == round_id:
        # Marked in this round already (a redelivered task): never again, and emailed only
        # while the round is still its invitation (not used up, replaced or voided).
        return _MARKED if worker.invitation.current == round_id else "invitation used"
    if company.delegates(worker):
        return "delegated"
    joined = record.get("created_at")
    if started_at is not None and joined is not None and joined > started_at:
        return "joined later"
    issued = worker.invitation.issued_at
    if started_at is not None and issued is not None and issued > started_at:
        return "newer invitation"
    return _INVITE


def _outcome(tally: Counter[str]) -> str:
    """E.g. "queued 498; skipped 1 delegated, 1 linked" (for the task's log line)."""
    parts = [f"queued {tally[_QUEUED]}"]
    if tally[_QUEUED_BEFORE]:
        parts.append(f"{tally[_QUEUED_BEFORE]} queued before")
    skipped = sorted((why, n) for why, n in tally.items() if why not in (_QUEUED, _QUEUED_BEFORE))
    if skipped:
        parts.append("skipped " + ", ".join(f"{n} {why}" for why, n in skipped))
    return "; ".join(parts)
