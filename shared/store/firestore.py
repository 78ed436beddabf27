"""Firestore: where every piece of state lives, and the one way to change it atomically.

Layout (all under the company, so one company can never read another's data):
    companies/{company_id}                      settings
    companies/{company_id}/workers/{worker_id}  roster entry, its connection, its current
                                                invitation and sync markers
    companies/{company_id}/booking_statuses/{id} the push/delete flags per status
    companies/{company_id}/accounts/{sub}       a linked Google account (calendars, its grant)
    companies/{company_id}/oauth_states/{id}    single-use consent attempts (TTL: expire_at)
    companies/{company_id}/bookings/{id}        bookings as mirrored: snapshot, version, generation
    companies/{company_id}/unavailability/{id}  unavailable time, likewise
    companies/{company_id}/event_links/{worker_id}|{key}  what was last pushed to Google
    companies/{company_id}/calendar_imports/{sub}|{calendar_id}  an imported calendar's state
    companies/{company_id}/busy_blocks/{sub}|{calendar_id}|{event_id}  Google events as busy time
except what Google itself shares across companies, or names without the company:
    channels/{channel_id}                       a push channel: whose calendar, its token's hash
    grants/{grant_id}                           one OAuth grant per client and Google account
                                                (sealed refresh token, companies using it);
                                                see services/grants.py. No endpoint reads it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from google.api_core.exceptions import Aborted, AlreadyExists, FailedPrecondition
from google.cloud import firestore
from tenacity import (
    RetryCallState,
    retry,
    retry_base,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from shared.config import Config

T = TypeVar("T")
log = logging.getLogger(__name__)

TRANSACT_ATTEMPTS = 6  # each one up to 3 commits: google-cloud-firestore retries too
MODIFY_ATTEMPTS = 10
MODIFY_QUIET_ATTEMPTS = 3  # a few races on a busy document are normal; more are worth a line


@functools.cache
def _client(project_id: str) -> firestore.Client:
    # The library itself honours FIRESTORE_EMULATOR_HOST; one client per project and process.
    return firestore.Client(project=project_id)


def _contended(error: BaseException) -> bool:
    """Two transactions that read the same document and then both write can each wait
    for the other's lock; Firestore aborts one. Its own immediate retries can collide
    again, so we add jittered backoff on top."""
    return isinstance(error, Aborted) or (
        isinstance(error, ValueError) and isinstance(error.__cause__, Aborted)
    )


class Raced(Exception):
    """The document changed between our read and our write."""


def _argument(state: RetryCallState, name: str, index: int) -> Any:
    """Argument `name` (position `index`, `self` counted) of the call tenacity is retrying."""
    return state.kwargs[name] if name in state.kwargs else state.args[index]


def _described(error: BaseException | None) -> str:
    """What Firestore said. Neither it nor the emulator names the documents in an abort
    ("Too much contention on these documents. Please try again.", "Transaction lock
    timeout."), and a transaction keeps no public record of what it read or wrote."""
    if isinstance(error, ValueError) and isinstance(error.__cause__, Aborted):
        # google-cloud-firestore's own retries ran out: "Failed to commit transaction in 3 …"
        return f"{error} {_described(error.__cause__)}"
    if isinstance(error, Aborted):
        return f"Aborted: {error.message}"
    if isinstance(error, Raced):
        return "written by someone else between our read and our write"
    return type(error).__name__


class _RetryLog:
    """Tenacity hooks that log ONE warning per call that took more than `quiet` attempts, once
    the call is over: what was contended, how many attempts it took and how it ended.

    Tenacity asks `retry` about every outcome, so that is where a call ending by itself (a
    result, or an error not worth retrying) is seen; `gave_up` (retry_error_callback) sees the
    attempts run out and re-raises the last error, as `reraise=True` would. `before_sleep`
    keeps the latest contention for the line, in case a later attempt succeeds."""

    def __init__(
        self,
        condition: retry_base,
        attempts: int,
        quiet: int,
        subject: Callable[[RetryCallState], str],
    ) -> None:
        self.condition = condition
        self.attempts = attempts
        self.quiet = quiet
        self.subject = subject

    def retry(self, state: RetryCallState) -> bool:
        again = self.condition(state)
        if not again and state.attempt_number > self.quiet:
            assert state.outcome is not None
            error = state.outcome.exception() if state.outcome.failed else None
            self._log(state, "succeeded" if error is None else f"failed ({_described(error)})")
        return again

    def before_sleep(self, state: RetryCallState) -> None:
        assert state.outcome is not None
        state.contention = _described(state.outcome.exception())  # type: ignore[attr-defined]

    def gave_up(self, state: RetryCallState) -> Any:
        self.before_sleep(state)  # the last contention is the one to name
        self._log(state, "gave up")
        assert state.outcome is not None
        return state.outcome.result()  # raises the last error

    def _log(self, state: RetryCallState, ended: str) -> None:
        log.warning(
            "%s (%s): %s at attempt %d of %d",
            self.subject(state),
            getattr(state, "contention", "contended"),
            ended,
            state.attempt_number,
            self.attempts,
        )


def _transaction_subject(state: RetryCallState) -> str:
    work = _argument(state, "work", 1)
    name = getattr(work, "__qualname__", None)
    where = f"{getattr(work, '__module__', '?')}.{name}" if name else repr(work)
    return f"Firestore transaction {where} contended"


def _modify_subject(state: RetryCallState) -> str:
    return f"Firestore modify of {_argument(state, 'ref', 1).path}"


_transact_log = _RetryLog(
    retry_if_exception(_contended), TRANSACT_ATTEMPTS, quiet=1, subject=_transaction_subject
)
_modify_log = _RetryLog(
    retry_if_exception_type(Raced),
    MODIFY_ATTEMPTS,
    quiet=MODIFY_QUIET_ATTEMPTS,
    subject=_modify_subject,
)


class Store:
    def __init__(self, client: firestore.Client) -> None:
        self.client = client

    @classmethod
    def for_config(cls, config: Config) -> Store:
        return cls(_client(config.project_id))

    def company(self, company_id: str) -> firestore.DocumentReference:
        return self.client.collection("companies").document(company_id)

    def worker(self, company_id: str, worker_id: str) -> firestore.DocumentReference:
        return self.company(company_id).collection("workers").document(worker_id)

    def workers(self, company_id: str) -> firestore.CollectionReference:
        return self.company(company_id).collection("workers")

    def booking_statuses(self, company_id: str) -> firestore.CollectionReference:
        return self.company(company_id).collection("booking_statuses")

    def accounts(self, company_id: str) -> firestore.CollectionReference:
        """Google accounts linked to the company's workers, keyed by Google's `sub`."""
        return self.company(company_id).collection("accounts")

    def bookings(self, company_id: str) -> firestore.CollectionReference:
        """The platform's bookings, as last mirrored (snapshot, version, generation)."""
        return self.company(company_id).collection("bookings")

    def unavailability(self, company_id: str) -> firestore.CollectionReference:
        """Time workers are not available, as the platform mirrors it."""
        return self.company(company_id).collection("unavailability")

    def event_links(self, company_id: str) -> firestore.CollectionReference:
        """What was last written to Google per worker and event key (domain/event_link.py)."""
        return self.company(company_id).collection("event_links")

    def calendar_imports(self, company_id: str) -> firestore.CollectionReference:
        """Per imported calendar of an account: sync token, lease, pending marker."""
        return self.company(company_id).collection("calendar_imports")

    def busy_blocks(self, company_id: str) -> firestore.CollectionReference:
        """Workers' own Google events, imported as busy time."""
        return self.company(company_id).collection("busy_blocks")

    def channel(self, channel_id: str) -> firestore.DocumentReference:
        """A push channel, by the id a notification carries (shared/sync/channels.py)."""
        return self.client.collection("channels").document(channel_id)

    def grant(self, grant_id: str) -> firestore.DocumentReference:
        """An OAuth grant, shared across companies (see shared/domain/grant.py)."""
        return self.client.collection("grants").document(grant_id)

    def oauth_states(self, company_id: str) -> firestore.CollectionReference:
        """Consent attempts; a TTL policy on `expire_at` deletes the abandoned ones."""
        return self.company(company_id).collection("oauth_states")

    @retry(
        retry=_modify_log.retry,
        wait=wait_random_exponential(multiplier=0.02, max=1),
        stop=stop_after_attempt(MODIFY_ATTEMPTS),
        before_sleep=_modify_log.before_sleep,
        retry_error_callback=_modify_log.gave_up,  # logs, then re-raises the last Raced
    )
    def modify(
        self,
        ref: firestore.DocumentReference,
        change: Callable[[dict | None], dict | None],
    ) -> dict | None:
        """Read-modify-write of one document without locks: `change(current)` returns the
        fields to update (a whole document if `current` is None), or None to write nothing.
        The write lands only if nobody wrote the document since we read it; otherwise we
        read again. Returns the document as it was read. A call that needed more than
        MODIFY_QUIET_ATTEMPTS attempts logs one warning naming the document when it ends."""
        snapshot = ref.get()
        current = snapshot.to_dict() if snapshot.exists else None
        updates = change(current)
        if updates is None:
            return current
        try:
            if snapshot.exists:
                unchanged = self.client.write_option(last_update_time=snapshot.update_time)
                ref.update(updates, option=unchanged)
            else:
                ref.create(updates)
        except (FailedPrecondition, AlreadyExists):
            raise Raced(ref.path) from None
        return current

    @retry(
        retry=_modify_log.retry,
        wait=wait_random_exponential(multiplier=0.02, max=1),
        stop=stop_after_attempt(MODIFY_ATTEMPTS),
        before_sleep=_modify_log.before_sleep,
        retry_error_callback=_modify_log.gave_up,
    )
    def modify_with(
        self,
        ref: firestore.DocumentReference,
        change: Callable[
            [dict | None], tuple[dict, list[tuple[firestore.DocumentReference, dict]]] | None
        ],
    ) -> dict | None:
        """`modify`, plus blind updates of other documents in the same atomic commit (an
        outbox: the change and its markers land together or not at all). Nothing is
        locked, so many writers of the same marker documents never queue behind each
        other; only a race on `ref` itself reads again. `change(current)` returns the
        fields for `ref` and the other (reference, fields) updates, or None."""
        snapshot = ref.get()
        current = snapshot.to_dict() if snapshot.exists else None
        planned = change(current)
        if planned is None:
            return current
        updates, also = planned
        batch = self.client.batch()
        if snapshot.exists:
            unchanged = self.client.write_option(last_update_time=snapshot.update_time)
            batch.update(ref, updates, option=unchanged)
        else:
            batch.create(ref, updates)
        for other, fields in also:
            batch.update(other, fields)
        try:
            batch.commit()
        except (FailedPrecondition, AlreadyExists):
            raise Raced(ref.path) from None
        return current

    @retry(
        retry=_transact_log.retry,
        wait=wait_random_exponential(multiplier=0.05, max=2),
        stop=stop_after_attempt(TRANSACT_ATTEMPTS),
        before_sleep=_transact_log.before_sleep,
        retry_error_callback=_transact_log.gave_up,  # logs, then re-raises the last abort
    )
    def transact(self, work: Callable[[firestore.Transaction], T]) -> T:
        """Run `work(transaction)` atomically, for changes that span documents (use `modify`
        for one). It may run several times (Firestore retries conflicts), so `work` must
        only read and write through the transaction. A call retried for contention logs one
        warning when it ends: the work's name, what Firestore said, attempts, outcome."""
        return firestore.transactional(work)(self.client.transaction(max_attempts=3))
