"""Importing a worker's own Google events as busy time, one calendar at a time.

A calendar's import holds that calendar's short lease (a notification that arrives
meanwhile marks it dirty: one more round, never a lost change) and either

- goes on from the stored `syncToken` (only what changed since), or
- lists everything in the window (`IMPORT_BACK_DAYS` before today to `IMPORT_AHEAD_DAYS`
  after, settings) when there is no token, Google answered 410 (`fullSyncRequired`), or
  the window is a day old (it slides daily); blocks not seen in a full list are then
  swept (mark and sweep: each block carries the generation of the list that last saw it).

A calendar no longer imported (deselected, or gone from the account's list) loses its
blocks, its channel and its import record. One that Google answers 404 for was deleted:
its blocks go at once and the account reads its calendar list again.

Pages are written as they arrive (batched writes), so memory stays flat whatever the
calendar's size; the token is stored only after the last page. An answer that would
remove most of a calendar's blocks at once is held, not applied (vdirsyncer's
`StorageEmpty` guard), and reported on the import until an admin's resync confirms it.

    companies/{c}/calendar_imports/{sub}|{calendar_id}          token, window, lease, held
    companies/{c}/busy_blocks/{sub}|{calendar_id}|{event_id}    one block per busy event
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared import logs
from shared.config import Config
from shared.domain.account import GoogleAccount
from shared.domain.busy import BusyTime, busy_time
from shared.google import credentials
from shared.google.calendar import CalendarGone, GoogleCalendar, SyncTokenExpired
from shared.google.errors import GoogleRefused, GrantRefused, calling_google
from shared.queue import messages
from shared.store import records
from shared.store.firestore import Store
from shared.sync import account_setup, channels
from shared.sync.lease import Lease

log = logging.getLogger(__name__)

# An answer removing more than this share of a calendar's blocks, and at least
# MASS_REMOVAL_MIN of them, is held for an admin to confirm.
MASS_REMOVAL_SHARE = 0.5
MASS_REMOVAL_MIN = 10
_WRITES_PER_COMMIT = 400
MAX_ROUNDS = 10


def import_id(sub: str, calendar_id: str) -> str:
    return f"{sub}|{calendar_id}"


def block_id(sub: str, calendar_id: str, event_id: str) -> str:
    return f"{sub}|{calendar_id}|{event_id}"


def window(config: Config, now: datetime) -> tuple[datetime, datetime]:
    """The import window: from midnight UTC `IMPORT_BACK_DAYS` ago to `IMPORT_AHEAD_DAYS`
    ahead."""
    today = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    return today - config.import_back, today + config.import_ahead


def block_record(sub: str, calendar_id: str, busy: BusyTime, generation: str) -> dict:
    """A busy block as stored. `range_start`/`range_end` bound it for range queries in any
    viewer's zone (an all-day block is padded by 14 hours, the widest UTC offsets)."""
    if busy.all_day:
        assert busy.start_date is not None and busy.end_date is not None
        pad = timedelta(hours=14)
        range_start = datetime.combine(busy.start_date, time(), UTC) - pad
        range_end = datetime.combine(busy.end_date, time(), UTC) + pad
    else:
        range_start, range_end = busy.start, busy.end
    return {
        "sub": sub,
        "calendar_id": calendar_id,
        "event_id": busy.event_id,
        "summary": busy.summary,
        "all_day": busy.all_day,
        "start": busy.start,
        "end": busy.end,
        "start_date": busy.start_date.isoformat() if busy.start_date else None,
        "end_date": busy.end_date.isoformat() if busy.end_date else None,
        "recurring_event_id": busy.recurring_event_id,
        "range_start": range_start,
        "range_end": range_end,
        "generation": generation,
        "updated_at": datetime.now(UTC),
    }


def import_calendar(config: Config, store: Store, company_id: str, sub: str, calendar_id: str):
    """The CalendarImport task: returns what happened, for the log."""
    ref = store.calendar_imports(company_id).document(import_id(sub, calendar_id))
    lease = Lease(store, ref)
    if not lease.take():
        lease.mark_dirty()
        if not lease.take():
            return "coalesced"  # the running import goes round once more
    try:
        for _ in range(MAX_ROUNDS):
            seen_dirty = int((ref.get().to_dict() or {}).get("dirty", 0))
            outcome = _Import(config, store, company_id, sub, calendar_id, ref).run()
            if lease.release_if_clean(seen_dirty):
                return outcome
            lease.renew()
        messages.request_import(config, company_id, sub, calendar_id)
        return outcome
    finally:
        lease.release()


@dataclass
class _Counts:
    stored: int = 0
    removed: int = 0
    pending_removals: list[str] = field(default_factory=list)


class _Import:
    def __init__(self, config, store: Store, company_id: str, sub: str, calendar_id: str, ref):
        self.config, self.store, self.company_id = config, store, company_id
        self.sub, self.calendar_id, self.ref = sub, calendar_id, ref
        self.blocks = store.busy_blocks(company_id)

    def run(self) -> str:
        company = records.company(self.store, self.company_id)
        account = records.account(self.store, self.company_id, self.sub)
        if account is None:
            return "not_importing"
        if not company.imports:
            self._mute()  # push_only or disabled: the channel's notifications do nothing
            return "not_importing"
        if not records.account_members(self.store, self.company_id, self.sub):
            return "not_importing"  # nobody of the company is on the account
        if not _selected(account, self.calendar_id):
            removed = self._remove_all()
            return f"not_selected ({removed} blocks removed)"
        if not account.usable:
            return "needs_reauth"
        state = self.ref.get().to_dict() or {}
        now = datetime.now(UTC)
        since, until = window(self.config, now)
        try:
            with calling_google():
                acting = credentials.for_account(self.config, self.store, company, account)
                calendar = GoogleCalendar(self.config, acting)
                outcome = self._import(calendar, state, account, since, until)
                self._keep_channel(calendar, state)
                self._check_calendar_list_channel(account)
                return outcome
        except CalendarGone:
            return self._gone(state)
        except (GrantRefused, credentials.NeedsReauthorization):
            return "needs_reauth"  # the account's next sync moves its workers to needs_reauth
        except GoogleRefused as exc:
            self.ref.set({"error": exc.message, "updated_at": now}, merge=True)
            return "failed"

    def _import(self, calendar, state, account, since, until) -> str:
        token = state.get("sync_token")
        try:
            if token and state.get("window_start") == since:
                return self._increment(calendar, token, state, account, since, until)
            if token and _slid(state, since, until):
                return self._slide(calendar, token, state, account, since, until)
        except SyncTokenExpired:
            log.info("sync token of %s expired: full import", self.calendar_id)
        return self._full(calendar, state, account, since, until)

    def _keep_channel(self, calendar, state: dict) -> None:
        watch = channels.Watch(self.company_id, self.sub, self.calendar_id)
        opened = channels.keep_open(self.config, self.store, calendar, watch, state.get("channel"))
        if opened is not None:
            self.ref.set({"channel": opened}, merge=True)

    def _check_calendar_list_channel(self, account: GoogleAccount) -> None:
        """The account's own channel (on its calendar list) is the account sync's to open
        and renew: ask for one if it is missing (an account set up before the channel
        existed, or while the company did not import) or near its end."""
        current = account.calendar_list_channel
        if channels.due(current.to_record() if current else None):
            messages.request_account_sync(self.config, self.company_id, self.sub)

    # -- the two ways of importing ------------------------------------------------------

    def _slide(self, calendar, token, state, account, since, until) -> str:
        """The window moved on (a new day): list only the days that came into view, drop
        the blocks that fell out of it, and go on from the token. A full list would read
        and rewrite the whole calendar every day."""
        generation = state.get("generation") or "none"
        counts = _Counts()
        entering = calendar.event_pages(
            self.calendar_id,
            time_min=state["window_end"].isoformat(),
            time_max=until.isoformat(),
        )
        for page in entering:
            self._store_page(page.items, generation, since, until, counts)
        self._delete([*counts.pending_removals, *self._aged_out(since)])
        return self._increment(
            calendar, token, state, account, since, until, {"window_start": since}
        )

    def _increment(self, calendar, token, state, account, since, until, moved=None) -> str:
        generation = state.get("generation") or "none"
        counts = _Counts()
        next_token = None
        for page in calendar.event_pages(self.calendar_id, sync_token=token):
            self._store_page(page.items, generation, since, until, counts)
            next_token = page.next_sync_token or next_token
        if self._held(len(counts.pending_removals), state, account):
            return "held"
        self._delete(counts.pending_removals)
        self._done({"sync_token": next_token, "window_end": until, **(moved or {})})
        mode = "incremental" if moved is None else "slid"
        self._report(mode, counts.stored, len(counts.pending_removals), state)
        return f"incremental: {counts.stored} stored, {len(counts.pending_removals)} removed"

    def _full(self, calendar, state, account, since, until) -> str:
        generation = uuid.uuid4().hex
        counts = _Counts()
        next_token = None
        pages = calendar.event_pages(
            self.calendar_id, time_min=since.isoformat(), time_max=until.isoformat()
        )
        for page in pages:
            self._store_page(page.items, generation, since, until, counts)
            next_token = page.next_sync_token or next_token
        stale, total = self._stale(generation)
        removals = counts.pending_removals + stale
        if self._held(len(removals), state, account, total):
            return "held"
        self._delete(removals)
        self._done(
            {
                "sync_token": next_token,
                "generation": generation,
                "window_start": since,
                "window_end": until,
                "full_at": datetime.now(UTC),
            }
        )
        if state.get("full_at") is None:
            self._count_first(counts.stored)
        self._report("full", counts.stored, len(removals), state)
        return f"full: {counts.stored} stored, {len(removals)} removed"

    def _count_first(self, stored: int) -> None:
        """The calendar's first import: its blocks count in the first sync of each worker
        on the account (`first_sync.imported`, shown on the connection)."""
        if not stored:
            return
        for worker in records.account_members(self.store, self.company_id, self.sub):
            self.store.worker(self.company_id, worker.id).update(
                {"connection.first_sync.imported": firestore.Increment(stored)}
            )

    def _report(self, mode: str, stored: int, removed: int, state: dict) -> None:
        """The `import_done` event; its lag runs from the notification that asked for this
        import (None: a poll, a renewal or a set-up asked)."""
        notified, last = state.get("notified_at"), state.get("last_import_at")
        lag = None
        if notified is not None and (last is None or notified > last):
            lag = round((datetime.now(UTC) - notified).total_seconds(), 3)
        with logs.labelled(company=self.company_id, account=self.sub, calendar=self.calendar_id):
            logs.event(
                log, "import_done", mode=mode, stored=stored, removed=removed, lag_seconds=lag
            )

    # -- writing ------------------------------------------------------------------------

    def _store_page(self, items, generation, since, until, counts: _Counts) -> None:
        batch, writes = self.store.client.batch(), 0
        for event in items:
            bid = block_id(self.sub, self.calendar_id, event["id"])
            busy = busy_time(event)
            if busy is None or not busy.overlaps(since, until):
                counts.pending_removals.append(bid)  # gone, free, or out of the window
                continue
            batch.set(
                self.blocks.document(bid),
                block_record(self.sub, self.calendar_id, busy, generation),
            )
            writes += 1
            counts.stored += 1
            if writes == _WRITES_PER_COMMIT:
                batch.commit()
                batch, writes = self.store.client.batch(), 0
        if writes:
            batch.commit()

    def _query(self):
        return (
            self.blocks.where(filter=FieldFilter("sub", "==", self.sub))
            .where(filter=FieldFilter("calendar_id", "==", self.calendar_id))
            .select(["generation"])
        )

    def _aged_out(self, since: datetime) -> list[str]:
        """Blocks of the calendar that ended before the window starts."""
        query = self._query().where(filter=FieldFilter("range_end", "<=", since))
        return [snapshot.id for snapshot in query.select(["range_end"]).stream()]

    def _stale(self, generation: str) -> tuple[list[str], int]:
        """Blocks of the calendar a full list did not see, and how many blocks it has."""
        stale, total = [], 0
        for snapshot in self._query().stream():
            total += 1
            if (snapshot.to_dict() or {}).get("generation") != generation:
                stale.append(snapshot.id)
        return stale, total

    def _held(self, removing: int, state: dict, account: GoogleAccount, total=None) -> bool:
        """Whether to hold removals that would empty most of the calendar."""
        if removing < MASS_REMOVAL_MIN:
            return False
        if total is None:
            total = sum(1 for _ in self._query().stream())
        if removing <= MASS_REMOVAL_SHARE * total:
            return False
        held = state.get("held") or {}
        confirmed = account.set_up_requested_at
        if held and confirmed is not None and confirmed > held["at"]:
            return False  # an admin's resync since the hold confirms it
        note = (
            f"Google's answer would remove {removing} of {total} busy blocks of this "
            "calendar at once; held until an admin resyncs the worker to confirm."
        )
        # The hold keeps its first time: a later round re-holding must not move it past an
        # admin's confirmation.
        since = held.get("at") or datetime.now(UTC)
        self.ref.set(
            {"held": {"at": since, "removing": removing, "of": total}, "error": note},
            merge=True,
        )
        log.warning("import of %s/%s held: %s", self.company_id, self.calendar_id, note)
        return True

    def _delete(self, block_ids: list[str]) -> None:
        _delete_all(self.store, [self.blocks.document(bid) for bid in block_ids])

    def _remove_all(self) -> int:
        """The calendar is no longer imported: its blocks go, its channel's notifications do
        nothing from now on (Google lets it lapse), and its import record goes (nothing
        asks for its import again; a new selection starts afresh)."""
        removed = self._remove_blocks()
        self._mute()
        self.ref.delete()
        return removed

    def _gone(self, state: dict) -> str:
        """Google says the calendar does not exist (deleted in Google): its blocks go now
        (no guard: they are certainly gone), and the account reads its calendar list again
        so it leaves the selection. Asked once: a calendar still listed yet not there does
        not make the account read its list on every poll."""
        removed = self._remove_blocks()
        self._mute()
        self.ref.set(
            {"sync_token": None, "window_start": None, "gone_at": datetime.now(UTC)}, merge=True
        )
        if not state.get("gone_at"):
            account_setup.request_calendar_list(self.config, self.store, self.company_id, self.sub)
        return f"gone ({removed} blocks removed)"

    def _remove_blocks(self) -> int:
        ids = [snapshot.id for snapshot in self._query().stream()]
        self._delete(ids)
        return len(ids)

    def _mute(self) -> None:
        """Forget the calendar's channel: its notifications do nothing from now on."""
        channel = (self.ref.get().to_dict() or {}).get("channel")
        if channel:
            channels.close(self.store, None, channel)
            self.ref.set({"channel": None}, merge=True)

    def _done(self, fields: dict) -> None:
        now = datetime.now(UTC)
        self.ref.set(
            {
                **fields,
                "sub": self.sub,
                "calendar_id": self.calendar_id,
                "last_import_at": now,
                "error": None,
                "held": None,
                "gone_at": None,
                "updated_at": now,
            },
            merge=True,
        )


def _slid(state: dict, since: datetime, until: datetime) -> bool:
    """Whether the stored window only moved forward (the daily slide, or a few days' worth
    after a quiet spell) and so a slide suffices: the days between its old end and `until`
    are listed, nothing else is read again."""
    start, end = state.get("window_start"), state.get("window_end")
    return start is not None and end is not None and start < since and end <= until


def _selected(account: GoogleAccount, calendar_id: str) -> bool:
    if calendar_id == account.company_calendar_id:
        return False  # our own events are never busy time
    return any(c.id == calendar_id and c.selected for c in account.calendars)


def request_imports(
    config: Config, store: Store, company_id: str, account: GoogleAccount, everything=True
) -> int:
    """Ask for an import of each selected calendar of the account, and of each calendar
    imported before (a deselected or vanished calendar's import removes its blocks);
    returns how many. Not `everything`: only the calendars whose selection changed (newly
    selected, or no longer), when the calendar list changed and the others are current."""
    chosen = {c.id for c in account.calendars if _selected(account, c.id)}
    imported = store.calendar_imports(company_id).where(
        filter=FieldFilter("sub", "==", account.sub)
    )
    before = {(s.to_dict() or {}).get("calendar_id") or "" for s in imported.stream()}
    asked = (chosen | before) if everything else (chosen ^ before)
    asked -= {account.company_calendar_id or "", ""}
    for calendar_id in sorted(asked):
        messages.request_import(config, company_id, account.sub, calendar_id)
    return len(asked)


def forget_account(store: Store, company_id: str, sub: str) -> int:
    """Nobody of the company is on the account any more: its busy blocks go, and its
    channels' notifications (its calendars' and its calendar list's) do nothing from now
    on. Returns how many blocks went."""
    blocks = store.busy_blocks(company_id).where(filter=FieldFilter("sub", "==", sub))
    ids = [snapshot.reference for snapshot in blocks.select(["sub"]).stream()]
    _delete_all(store, ids)
    imports = store.calendar_imports(company_id).where(filter=FieldFilter("sub", "==", sub))
    for snapshot in imports.stream():
        channel = (snapshot.to_dict() or {}).get("channel")
        if channel:
            channels.close(store, None, channel)
        snapshot.reference.delete()
    channels.close_calendar_list(store, company_id, sub)
    return len(ids)


def _delete_all(store: Store, refs: list) -> None:
    """Delete documents in batched commits."""
    for start in range(0, len(refs), _WRITES_PER_COMMIT):
        batch = store.client.batch()
        for ref in refs[start : start + _WRITES_PER_COMMIT]:
            batch.delete(ref)
        batch.commit()
