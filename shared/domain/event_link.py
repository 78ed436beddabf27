"""The link record: what we last wrote to Google for one event key of one worker.

One record per (worker, `booking:<id>` or `unavailable:<id>`). The push planner compares
the worker's desired events with these records, and each applied action rewrites its
own record, so a sync that stops half-way keeps what it did. The record outlives the
event: after a removal it says `removed` or `detached`, which is what
`GET /bookings/{id}/sync` reports.

    companies/{company_id}/event_links/{worker_id}|{key}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.domain.booking import EventKey


class LinkState(StrEnum):
    SYNCED = "synced"  # the event in Google carries the content of `version`
    REMOVED = "removed"  # its event was deleted from Google
    DETACHED = "detached"  # its event is left in Google and no longer updated
    FAILED = "failed"  # Google refused the last write; `error` says why


def link_id(worker_id: str, key: EventKey | str) -> str:
    """The record's document id. `|` is outside the id alphabet (shared/ids.py), so the
    worker part cannot run into the key."""
    return f"{worker_id}|{key}"


@dataclass(frozen=True)
class EventLink:
    worker_id: str
    key: str  # "booking:<id>" or "unavailable:<id>"
    state: LinkState
    version: int  # the booking's (or block's) version this record reflects
    # The event in Google, when there is one we wrote (None: never written, or forgotten).
    event_id: str | None = None
    calendar_id: str | None = None
    content_hash: str | None = None
    etag: str | None = None
    deletes_on_removal: bool = False  # the flag of the status the event was pushed in
    # A write Google refused: not tried again until the content changes.
    refused_hash: str | None = None
    error: str | None = None
    # When the booking (or block) ends: links of what ended before the push window are
    # left alone, so a sync never reads a worker's whole history.
    end: datetime | None = None
    updated_at: datetime | None = None

    @property
    def live(self) -> bool:
        """Whether we still own an event for it in Google (written, not removed or detached)."""
        return self.event_id is not None and self.state in (LinkState.SYNCED, LinkState.FAILED)

    @classmethod
    def from_record(cls, record: dict) -> EventLink:
        return cls(
            worker_id=record["worker_id"],
            key=record["key"],
            state=LinkState(record["state"]),
            version=int(record.get("version", 0)),
            event_id=record.get("event_id"),
            calendar_id=record.get("calendar_id"),
            content_hash=record.get("content_hash"),
            etag=record.get("etag"),
            deletes_on_removal=bool(record.get("deletes_on_removal", False)),
            refused_hash=record.get("refused_hash"),
            error=record.get("error"),
            end=record.get("end"),
            updated_at=record.get("updated_at"),
        )

    def to_record(self) -> dict:
        key = EventKey.parse(self.key)
        return {
            "worker_id": self.worker_id,
            "key": self.key,
            "kind": key.kind,
            "item_id": key.id,  # the booking's or block's id, for GET /bookings/{id}/sync
            "state": self.state.value,
            "version": self.version,
            "event_id": self.event_id,
            "calendar_id": self.calendar_id,
            "content_hash": self.content_hash,
            "etag": self.etag,
            "deletes_on_removal": self.deletes_on_removal,
            "refused_hash": self.refused_hash,
            "error": self.error,
            "end": self.end,
            "updated_at": self.updated_at,
        }
