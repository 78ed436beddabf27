"""The backstop poll (`/cron/poll`): Google drops some push notifications, so every
imported calendar is also imported incrementally once per `POLL_INTERVAL` (a setting, 6
hours by default; see shared/config.py).

The cron runs every 15 minutes; a calendar is due in one slot of its interval (the
interval in whole cron periods), chosen by a hash of the calendar, so the load is flat
rather than a burst every few hours. At scale
the poll dominates Google usage (a 15-minute poll of two calendars per worker would cost
192 calls per worker per day against about 20 for the real work), hence the long default.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from shared.config import Config
from shared.domain.account import GoogleAccount
from shared.domain.company import Company
from shared.queue import messages
from shared.store.firestore import Store

CRON_EVERY = timedelta(minutes=15)  # infra/schedules.json's `poll` job


def due(company_id: str, sub: str, calendar_id: str, now: datetime, interval: timedelta) -> bool:
    """Whether the calendar's slot of its poll interval is the current cron slot."""
    slots = max(1, int(interval / CRON_EVERY))
    slot = int(now.timestamp() // CRON_EVERY.total_seconds()) % slots
    digest = hashlib.sha256(f"{company_id}\n{sub}\n{calendar_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % slots == slot


def poll(config: Config, store: Store, everything: bool = False) -> int:
    """Ask for an import of every calendar that is due (all of them with `everything`);
    returns how many."""
    now = datetime.now(UTC)
    asked = 0
    for snapshot in store.client.collection("companies").stream():
        if not Company.from_record(snapshot.id, snapshot.to_dict()).imports:
            continue
        for record in store.accounts(snapshot.id).stream():
            account = GoogleAccount.from_record(record.id, record.to_dict() or {})
            if not account.worker_ids or not account.usable:
                continue
            for choice in account.calendars:
                if not choice.selected or choice.id == account.company_calendar_id:
                    continue
                if everything or due(
                    snapshot.id, account.sub, choice.id, now, config.poll_interval
                ):
                    messages.request_import(config, snapshot.id, account.sub, choice.id)
                    asked += 1
    return asked
