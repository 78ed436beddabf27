"""The sync: what happens when a worker "needs a look", one Google account at a time.

Work is scheduled per Google account. A look at a linked worker, and every link to an
account, becomes a sync of that account (`sync_account`), which holds the account's
short lease and goes round until nothing is pending: each pass

1. takes the newest grant offer of the account's workers (a link writes only its worker)
   into the account and the shared grant, and lets go of the grant when nobody is left;
2. makes credentials and sets the account up once per run (`account_setup.py`): the
   company calendar and the calendar list, and (for an importing company) a channel on
   that list, so calendars made or deleted in Google are noticed (`channels.py`; an
   import that finds the channel missing or near its end asks for a sync to see to it);
3. settles every linked worker with a pending look (the push and import steps of later
   issues go here, per worker), clearing only the marker it saw.

With nobody pending, a pass still does the account's own chores: read the calendar list
again when its channel rang, open or renew that channel. A company calendar the set-up had
to make again (deleted in Google) has every worker on the account pushed again in full: the
mark is stored at once, so a push cut short (paced, or Google failing) still refills it.

A sync that finds the account busy marks it dirty and leaves (see lease.py), so a burst
of requests becomes one more pass, never a queue of retries in backoff. It re-reads
everything, so duplicated, late and concurrent deliveries are harmless.

Pushes keep to the account's share of Google's per-user quota (`PUSH_PACE`,
domain/pacing.py): a push that spends it stops (`Paced`), the workers it finished are
settled, and the run books the account's next sync for when the quota allows more.

Google's failures arrive as `RetryLater` (left to the task router: 503, Cloud Tasks
retries), `GrantRefused` (the account's workers must reconnect) or `GoogleRefused`
(shown on the connection, not retried).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from enum import StrEnum

from google.cloud import firestore

from shared import logs
from shared.config import Config
from shared.domain import connection
from shared.domain.account import GoogleAccount
from shared.domain.company import Company
from shared.domain.connection import ConnectionState
from shared.domain.pacing import CallBudget, Paced
from shared.domain.worker import GrantOffer, Worker
from shared.google import credentials
from shared.google.calendar import CalendarGone, GoogleCalendar
from shared.google.errors import GoogleRefused, GrantRefused, calling_google
from shared.queue import messages
from shared.secrets import locations
from shared.secrets.crypto import secret_box
from shared.services import delegation, grants, reauthorization
from shared.store import records
from shared.store.firestore import Store
from shared.sync import busy_import, channels, push
from shared.sync.account_setup import AccountSetup, set_up_account
from shared.sync.lease import AccountLease

log = logging.getLogger(__name__)

# A run goes round at most this often before leaving the rest to the next task.
MAX_PASSES = 20


class Look(StrEnum):
    """What a look at a worker is for."""

    WAIT = "wait"  # needs_reauth: keep the pending marker; the work resumes on reconnect
    DELEGATE = "delegate"  # domain-wide delegation connects the worker now
    SYNC = "sync"  # connected: sync its Google account
    NOTHING = "nothing"  # not connected: nothing to do but clear the marker


def plan_look(worker: Worker, company: Company) -> Look:
    state = worker.connection.state
    if state == ConnectionState.NEEDS_REAUTH:
        return Look.WAIT
    if state in (ConnectionState.NOT_CONNECTED, ConnectionState.INVITED) and company.delegates(
        worker
    ):
        return Look.DELEGATE
    return Look.SYNC if state == ConnectionState.CONNECTED else Look.NOTHING


def look_at_worker(config: Config, store: Store, company_id: str, worker_id: str) -> str:
    """Bring the worker's Google side up to date; returns what happened, for the log."""
    worker = records.worker(store, company_id, worker_id)
    if worker is None:
        return "unknown_worker"
    company = records.company(store, company_id)
    match plan_look(worker, company):
        case Look.WAIT:
            return worker.connection.state.value
        case Look.DELEGATE:
            _settle(store, company_id, worker, {})
            return delegation.connect(config, store, company_id, worker_id)
        case Look.NOTHING:
            _settle(store, company_id, worker, {})
            return worker.connection.state.value
    if not worker.pending:
        # Asked to look (e.g. the company was renamed): the account's sync looks at whoever
        # is pending, so this worker is.
        store.worker(company_id, worker_id).update({"sync_pending_since": datetime.now(UTC)})
    return sync_account(config, store, company_id, worker.connection.google_sub or "")


def sync_account(config: Config, store: Store, company_id: str, sub: str) -> str:
    """Sync one Google account of the company; returns what happened, for the log."""
    lease = AccountLease(store, company_id, sub)
    if not lease.take():
        lease.mark_dirty()
        if not lease.take():  # the holder may have left just before our mark
            # The running sync goes round once more. Should it have died, its lease runs out
            # soon: a sync is booked for then, so the work waits seconds, not for the sweeper.
            until = lease.busy_until.timestamp() if lease.busy_until else None
            messages.request_account_sync(config, company_id, sub, not_before=until)
            return "coalesced"
    try:
        return _AccountRun(config, store, company_id, sub, lease).run()
    finally:
        lease.release()


class _AccountRun:
    def __init__(
        self, config: Config, store: Store, company_id: str, sub: str, lease: AccountLease
    ) -> None:
        self.config, self.store, self.company_id, self.sub = config, store, company_id, sub
        self.lease = lease
        self.ref = store.accounts(company_id).document(sub)
        self.setup: AccountSetup | None = None
        self.acting = None  # credentials, made once per run (again if the grant changes)
        self.calendar: GoogleCalendar | None = None
        self.recreated = False  # the set-up made the company calendar again: full pushes only
        self.budget: CallBudget | None = None  # the account's calls, read at its first push

    def run(self) -> str:
        outcome = "idle"
        for _ in range(MAX_PASSES):
            account = records.account(self.store, self.company_id, self.sub)
            seen_dirty = account.dirty if account else 0
            outcome = self._pass(account)
            if outcome not in ("synced", "idle") or self.lease.release_if_clean(seen_dirty):
                return outcome
            self.lease.renew()
        # Still busy after many passes: leave the rest to a fresh task rather than hold on.
        messages.request_account_sync(self.config, self.company_id, self.sub)
        return outcome

    def _pass(self, account: GoogleAccount | None) -> str:
        members = records.account_members(self.store, self.company_id, self.sub)
        if not members:
            self._let_go(account)
            return "idle"
        account = self._take_offer(account, members)
        if account is None:
            return "idle"
        company = records.company(self.store, self.company_id)
        if not company.imports and account.calendar_list_channel:
            channels.close_calendar_list(self.store, self.company_id, self.sub)
        reconciling = account.needs_reconcile
        # A drift repair looks at every worker on the account; otherwise the pending ones.
        pending = [w for w in members if reconciling or w.pending]
        if not pending and not _has_chores(company, account):
            return "idle"
        if not account.usable:
            return ConnectionState.NEEDS_REAUTH.value  # markers stay until a reconnect
        if self.budget is None:
            self.budget = CallBudget.from_record(self.config.push_pace, list(account.push_calls))
        pushed: dict[str, int] = {}
        try:
            self._push_all(company, account, pending, reconciling, pushed)
        except Paced as paced:
            self._pause(pending, pushed, paced)
            return "paced"
        except credentials.NeedsReauthorization:
            return ConnectionState.NEEDS_REAUTH.value
        except GrantRefused:
            if not account.grant_id:
                self._show_error(pending, "Google refused our sign-in (invalid_grant).")
                return "failed"
            reauthorization.grant_refused(self.config, self.store, account.grant_id, self.sub)
            return ConnectionState.NEEDS_REAUTH.value
        except GoogleRefused as exc:
            # A refusal will not change by retrying: show it to the admin, keep the work.
            self._show_error(pending, exc.message)
            return "failed"
        self.ref.update(
            {
                "worker_ids": [worker.id for worker in members],
                "push_calls": self.budget.to_record(datetime.now(UTC)),
            }
        )
        self._settle_pushed(pending, pushed)
        return "synced"

    def _settle_pushed(self, workers: list[Worker], pushed: dict[str, int]) -> None:
        """The workers' looks are done: clear their markers and note the sync."""
        now = datetime.now(UTC)
        assert self.setup is not None
        for worker in workers:
            updates = {
                "connection.company_calendar_id": self.setup.company_calendar_id,
                "connection.last_synced_at": now,
                "connection.error": None,
                "connection.first_sync.done": True,
            }
            inserted = pushed.get(worker.id, 0)
            if inserted and not worker.connection.first_sync.done:
                updates["connection.first_sync.pushed"] = firestore.Increment(inserted)
            _settle(self.store, self.company_id, worker, updates)

    def _pause(self, pending: list[Worker], pushed: dict[str, int], paced: Paced) -> None:
        """The budget ran out in a push: settle the workers pushed in full, count the
        interrupted one's progress (its look stays pending), and come back when Google's
        quota allows more calls."""
        assert self.budget is not None
        now = datetime.now(UTC)
        self.ref.update({"push_calls": self.budget.to_record(now)})
        self._settle_pushed([worker for worker in pending if worker.id in pushed], pushed)
        cut = next((worker for worker in pending if worker.id not in pushed), None)
        if cut is not None and paced.inserted and not cut.connection.first_sync.done:
            self.store.worker(self.company_id, cut.id).update(
                {"connection.first_sync.pushed": firestore.Increment(paced.inserted)}
            )
        log.info("push of %s/%s paced until %s", self.company_id, self.sub, paced.resume_at)
        messages.request_account_sync(
            self.config, self.company_id, self.sub, not_before=paced.resume_at.timestamp()
        )

    def _push_everyone_again(self) -> None:
        """The company calendar was made anew: every worker on the account needs a full
        push into it (their events went with the old one). Marked now, before any push,
        so that a push cut short leaves the mark for the next run; this run goes round
        once more for it."""
        self.recreated = True
        now = datetime.now(UTC)
        for worker in records.account_members(self.store, self.company_id, self.sub):
            self.store.worker(self.company_id, worker.id).update({"sync_pending_since": now})
        self.lease.mark_dirty()

    def _push_all(
        self,
        company: Company,
        account: GoogleAccount,
        pending: list[Worker],
        reconciling: bool,
        inserted: dict[str, int],
    ) -> None:
        """Set the account up if it needs it, then push each pending worker's events,
        noting in `inserted` how many events each worker pushed in full got inserted. A
        drift repair checks the calendars and compares every worker's events with what
        Google holds."""
        began = datetime.now(UTC)
        since = began - push.PUSH_WINDOW  # one window for the links and Google's listing
        with calling_google(on_unauthorized=self._forget_cached_token(account)):
            self._set_up(company, account, pending, again=reconciling)
            if company.imports and not pending:
                self._watch_calendar_list()  # a pass for the account's own chores
            google_events = None
            if reconciling and company.pushes:
                google_events = self._our_events(since)
            repaired = 0
            for worker in pending:
                if not company.pushes:
                    continue  # disabled or pull_only: nothing goes to Google
                # Only the changed keys, unless something asked for a full look (or the
                # company calendar is new in this run: everything goes into it).
                full = reconciling or self.recreated or worker.sync_pending_since is not None
                keys = None if full or not worker.connection.first_sync.done else worker.push_keys
                try:
                    pushed = self._push(worker, since, google_events, keys)
                except CalendarGone:
                    # Deleted by the account holder: a new company calendar, everything again.
                    log.info("company calendar of %s/%s is gone", self.company_id, self.sub)
                    self._set_up(company, account, pending, again=True)
                    pushed = self._push(worker, since)
                inserted[worker.id] = pushed.inserted
                repaired += pushed.repaired + pushed.deleted_extra
        if reconciling:
            self.ref.update(
                {"reconciled_at": began, "last_reconcile": {"at": began, "repaired": repaired}}
            )
            log.info("reconciled %s/%s: %d events repaired", self.company_id, self.sub, repaired)

    def _our_events(self, since: datetime) -> list[dict]:
        assert self.calendar is not None and self.setup is not None
        return self.calendar.our_events(
            self.setup.company_calendar_id, self.company_id, since.isoformat()
        )

    def _push(
        self,
        worker: Worker,
        since: datetime,
        google_events: list[dict] | None = None,
        keys: tuple[str, ...] | None = None,
    ) -> push.Pushed:
        assert self.setup is not None and self.calendar is not None
        pushed = push.push_worker(
            self.store,
            self.calendar,
            self.company_id,
            worker,
            self.setup.company_calendar_id,
            since,
            google_events,
            keys,
            self.budget,
        )
        if pushed.calls or pushed.refused:
            log.info("pushed for %s/%s: %s", self.company_id, worker.id, pushed)
            # Lag: from the latest booking or block change the push saw to now (None when
            # the push came from a full look rather than a change).
            changed = worker.push_pending_since
            with logs.labelled(company=self.company_id, worker=worker.id):
                logs.event(
                    log,
                    "push_done",
                    written=pushed.calls,
                    refused=pushed.refused,
                    lag_seconds=(
                        round((datetime.now(UTC) - changed).total_seconds(), 3) if changed else None
                    ),
                )
        return pushed

    # -- step 1: the account's grant ---------------------------------------------------

    def _take_offer(
        self, account: GoogleAccount | None, members: list[Worker]
    ) -> GoogleAccount | None:
        """Take the newest offer newer than what the account uses; clear the offers seen."""
        offers = [w for w in members if w.grant_offer is not None]
        if not offers:
            return account
        newest = max(offers, key=lambda w: w.grant_offer.issued_at)  # type: ignore[union-attr]
        offer = newest.grant_offer
        assert offer is not None
        if account is None or account.takes(offer):
            self._use(account, newest.id, offer)
            self.setup = self.acting = self.calendar = None  # new credentials: set up again
            self._reauthorize(members)
        for worker in offers:
            _clear_offer(self.store, self.company_id, worker)
        return records.account(self.store, self.company_id, self.sub)

    def _use(self, account: GoogleAccount | None, worker_id: str, offer: GrantOffer) -> None:
        gid = None
        if offer.kind == "oauth" and offer.refresh_token and offer.client_id:
            token = secret_box(self.config).open(
                offer.refresh_token, locations.grant_offer(self.company_id, worker_id)
            )
            gid = grants.join(
                self.config,
                self.store,
                self.company_id,
                client_id=offer.client_id,
                client_kind=offer.client_kind or "platform",
                sub=self.sub,
                email=offer.email,
                scopes=list(offer.scopes),
                refresh_token=token,
            )
        previous = account.grant_id if account else None
        self.ref.set(
            {
                "email": offer.email,
                "hd": offer.hd,
                "scopes": list(offer.scopes),
                "auth": "oauth" if gid else "delegated",
                "grant_id": gid,
                "client_kind": offer.client_kind if gid else "delegated",
                "state": ConnectionState.CONNECTED.value,
                "error": None,
                "reauth_alert_queued_at": None,
                "linked_at": offer.issued_at,
                "updated_at": datetime.now(UTC),
            },
            merge=True,
        )
        if previous and previous != gid:
            # The account moved to another client's grant, or to delegation.
            grants.leave(self.config, self.store, previous, self.company_id)

    def _reauthorize(self, members: list[Worker]) -> None:
        """Workers that waited for the account's reconnect are connected again."""
        for worker in members:
            if worker.connection.state == ConnectionState.NEEDS_REAUTH:
                self.store.worker(self.company_id, worker.id).update(connection.reauthorized())

    def _let_go(self, account: GoogleAccount | None) -> None:
        """Nobody of the company is on the account any more: the company leaves its grant
        (the account remembers which, harmlessly: a new link brings its own)."""
        if account is None:
            return
        if account.grant_id:
            grants.leave(self.config, self.store, account.grant_id, self.company_id)
        if account.worker_ids or account.calendar_list_channel:
            self.ref.update({"worker_ids": []})
            busy_import.forget_account(self.store, self.company_id, self.sub)

    # -- step 2: credentials and the account's calendars ---------------------------------

    def _forget_cached_token(self, account: GoogleAccount):
        def forget() -> None:
            # The cached access token died early (e.g. revoked): refresh on the retry.
            if account.grant_id:
                credentials.forget_access_token(self.store, account.grant_id)

        return forget

    def _set_up(
        self, company: Company, account: GoogleAccount, pending: list[Worker], again=False
    ) -> None:
        """Credentials once per run; the account's calendars checked with Google only when
        they need it (`GoogleAccount.needs_set_up`) or the company calendar was found gone."""
        if self.acting is None:
            self.acting = credentials.for_account(self.config, self.store, company, account)
            self.calendar = GoogleCalendar(self.config, self.acting)
        if not again and not account.needs_set_up(company.calendar_name):
            if self.setup is None:
                assert account.company_calendar_id is not None
                self.setup = AccountSetup(
                    account.company_calendar_id, False, list(account.calendars)
                )
            return
        assert self.calendar is not None
        began = datetime.now(UTC)  # a resync asked for after this point asks again
        time_zone = next((w.timezone for w in pending if w.timezone), None)
        self.setup = set_up_account(self.calendar, company, account, time_zone)
        if self.setup.created:
            log.info("created company calendar for %s/%s", self.company_id, self.sub)
            if account.company_calendar_id is not None:
                self._push_everyone_again()
        self.ref.update(
            {
                "company_calendar_id": self.setup.company_calendar_id,
                "company_calendar_name": company.calendar_name,
                "set_up_at": began,
                "calendars": [calendar.to_record() for calendar in self.setup.calendars],
            }
        )
        self.lease.renew()
        if company.imports:
            self._watch_calendar_list()  # before the imports, which look for it
            # The calendars were (re)read: import each selected one (a first import, or a
            # catch-up after a resync); when only the calendar list changed, just the
            # calendars that came or went.
            fresh = records.account(self.store, self.company_id, self.sub)
            everything = again or account.company_calendar_id is None or account.resync_requested
            if fresh is not None:
                busy_import.request_imports(
                    self.config, self.store, self.company_id, fresh, everything
                )

    def _watch_calendar_list(self) -> None:
        """Open the channel on the account's calendar list, or renew it near its end (read
        afresh: a pass may get here twice)."""
        assert self.calendar is not None
        account = records.account(self.store, self.company_id, self.sub)
        current = account.calendar_list_channel if account else None
        opened = channels.keep_open(
            self.config,
            self.store,
            self.calendar,
            channels.Watch(self.company_id, self.sub),
            current.to_record() if current else None,
        )
        if opened is not None:
            self.ref.update({"calendar_list_channel": opened})

    def _show_error(self, workers: list[Worker], message: str) -> None:
        for worker in workers:
            self.store.worker(self.company_id, worker.id).update({"connection.error": message})


def _has_chores(company: Company, account: GoogleAccount) -> bool:
    """Whether the account needs Google with no worker pending: its calendar list changed
    (or a resync asked), or the channel on that list must be opened or renewed."""
    if not account.usable or not (company.pushes or company.imports):
        return False
    if account.needs_set_up(company.calendar_name):
        return True
    current = account.calendar_list_channel
    return company.imports and channels.due(current.to_record() if current else None)


def _clear_offer(store: Store, company_id: str, worker: Worker) -> None:
    """Remove the offer the run saw (a newer one, written meanwhile, stays for the next pass)."""
    seen = worker.grant_offer

    def clear(current: Worker | None) -> dict | None:
        if current is None or current.grant_offer is None or seen is None:
            return None
        if current.grant_offer.issued_at != seen.issued_at:
            return None
        return {"grant_offer": firestore.DELETE_FIELD}

    records.modify_worker(store, company_id, worker.id, clear)


def _settle(store: Store, company_id: str, worker: Worker, updates: dict) -> None:
    """Apply `updates`; clear the markers the look saw, only if nothing newer arrived
    meanwhile (a key changed again is written again, so it stays)."""
    seen_pending = worker.sync_pending_since
    seen_push = worker.push_pending_since

    def settle(current: dict | None) -> dict | None:
        if current is None:
            return None  # the worker was removed meanwhile
        changes = {**updates, "last_looked_at": datetime.now(UTC)}
        if current.get("sync_pending_since") == seen_pending:
            changes["sync_pending_since"] = None
        if seen_push is not None and current.get("push_pending_since") == seen_push:
            changes["push_pending_since"] = None
            changes["push_keys"] = firestore.ArrayRemove(list(worker.push_keys))
        return changes

    store.modify(store.worker(company_id, worker.id), settle)
