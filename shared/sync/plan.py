"""The push plan for one worker: what the worker's company calendar should hold, compared
with what we last wrote there, as a list of small actions (vdirsyncer's shape: gather,
plan, then apply). Pure: no Firestore, no Google; `push.py` applies the plan through the
Calendar port and rewrites each link record as its action lands.

- A desired event without an event of ours is inserted under its own (deterministic) id.
  With a link whose content hash differs (or whose event was removed or detached, same
  id), the event is updated: an update also restores an event deleted in Google. With an
  equal link nothing is sent; a newer version of the same content only touches the record.
- A live link into a calendar that is no longer the company calendar is not ours to
  change: the desired event is inserted afresh, and a link nobody wants is forgotten.
- A live link without a desired event is the booking leaving the worker (deleted,
  unassigned, worker inactive, or a status that does not push): its event is deleted if
  the status it had while pushed, or the status the booking has now, carries
  `delete_from_google`; otherwise it is detached (left in Google, no longer updated). A
  revived booking has a new generation, so a new event id: its old event, live or
  detached, is deleted before the new one is inserted (one event per booking; left, it
  would be a second one, which the daily reconcile deletes as extra anyway).
- A write Google refused is not tried again until the content changes.
- A link remembers the delete flag of the status its event is pushed in, kept current
  when an admin changes that flag (a Touch).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from shared.domain.event_link import EventLink, LinkState


@dataclass(frozen=True)
class Desired:
    """An event the worker's company calendar should hold."""

    key: str  # "booking:<id>" or "unavailable:<id>"
    event_id: str
    body: dict
    content_hash: str
    version: int  # of the booking or block it is rendered from
    end: datetime | None = None  # when the booking or block ends
    deletes_on_removal: bool = False  # its status carries delete_from_google


@dataclass(frozen=True)
class Leaving:
    """Why a linked key is no longer desired, as far as the booking (or block) says now."""

    version: int  # the booking's version now (its tombstone's, if deleted)
    deletes_now: bool = False  # the status it has now carries delete_from_google


@dataclass(frozen=True)
class Insert:
    desired: Desired


@dataclass(frozen=True)
class Update:
    desired: Desired
    link: EventLink


@dataclass(frozen=True)
class Touch:
    """Same content, newer version: only the record changes (nothing is sent)."""

    desired: Desired
    link: EventLink


@dataclass(frozen=True)
class Delete:
    link: EventLink
    version: int


@dataclass(frozen=True)
class Detach:
    """Leave the event in Google, stop updating it."""

    link: EventLink
    version: int


@dataclass(frozen=True)
class Forget:
    """Drop what the record says of an event in a calendar we no longer use."""

    link: EventLink


Action = Insert | Update | Touch | Delete | Detach | Forget

# Actions that send a call to Google.
CALLS = (Insert, Update, Delete)


def plan(
    desired: Iterable[Desired],
    links: Iterable[EventLink],
    calendar_id: str,
    leaving: Mapping[str, Leaving] | None = None,
) -> list[Action]:
    """The actions that bring the company calendar `calendar_id` to `desired`.

    `links` are the worker's link records; `leaving` tells, for linked keys no longer
    desired, what the booking says now (a key missing there follows its pushed status)."""
    wanted = {event.key: event for event in desired}
    linked = {link.key: link for link in links}
    leaving = leaving or {}
    actions: list[Action] = []
    for key in sorted(wanted.keys() | linked.keys()):
        event, link = wanted.get(key), linked.get(key)
        if event is None:
            assert link is not None
            actions.extend(_leave(link, leaving.get(key), calendar_id))
        else:
            actions.extend(_keep(event, link, calendar_id))
    return actions


def _keep(event: Desired, link: EventLink | None, calendar_id: str) -> list[Action]:
    if link is None or link.event_id is None:
        if link is not None and link.refused_hash == event.content_hash:
            return _touch(event, link)  # refused as it is; tried again once it changes
        return [Insert(event)]
    if link.calendar_id != calendar_id:
        return [Insert(event)]  # the calendar was replaced: the old event went with it
    if link.event_id != event.event_id:
        # A new generation (the booking came back after a delete): the new event gets its
        # own id, and the old one, whatever the flags, goes first: it would be a second
        # event of the same booking.
        old = link.live or link.state == LinkState.DETACHED
        return [*([Delete(link, event.version)] if old else []), Insert(event)]
    if link.state == LinkState.FAILED and link.refused_hash == event.content_hash:
        return _touch(event, link)
    if link.state != LinkState.SYNCED or link.content_hash != event.content_hash:
        return [Update(event, link)]
    return _touch(event, link)


def _touch(event: Desired, link: EventLink) -> list[Action]:
    """Only the record changes: a newer version, or its status's delete flag changed."""
    changed = link.version != event.version or link.deletes_on_removal != event.deletes_on_removal
    return [Touch(event, link)] if changed else []


def _leave(link: EventLink, now: Leaving | None, calendar_id: str) -> list[Action]:
    if not link.live:
        return []  # removed or detached already, or never written
    if link.calendar_id != calendar_id:
        return [Forget(link)]  # its event went with a calendar we no longer use
    now = now or Leaving(link.version)
    if link.deletes_on_removal or now.deletes_now:
        return [Delete(link, now.version)]
    return [Detach(link, now.version)]


# -- drift: what Google really holds ---------------------------------------------------


@dataclass(frozen=True)
class Drift:
    """Links corrected to what the company calendar really holds, and the events of ours
    that no link accounts for (to delete)."""

    links: list[EventLink]
    missing: int  # live links whose event is gone from Google: written again
    edited: int  # live links whose event was changed in Google: written again
    extra: list[str]  # event ids of ours that nothing desires or detached


def drift(
    links: Iterable[EventLink], events: Iterable[dict], worker_id: str, calendar_id: str
) -> Drift:
    """Compare the worker's links with the live events listed from company calendar
    `calendar_id` (`our_events`). A synced link into it whose event is missing is marked
    removed, and a live one whose event carries another etag loses its hash, so the plan
    writes either again (an update also restores a deleted event). A refused write keeps
    its rule (not sent again until the content changes). An event of this worker that no
    live or detached link names is extra. Events of other workers sharing the calendar
    are theirs to judge; links into another calendar are the plan's (Insert, Forget)."""
    listed = {
        event["id"]: event
        for event in events
        if _private(event).get("worker_id") == worker_id and event.get("status") != "cancelled"
    }
    links = list(links)
    corrected, missing, edited = [], 0, 0
    for link in links:
        if link.calendar_id != calendar_id:
            corrected.append(link)
            continue
        event = listed.get(link.event_id or "")
        if link.live and link.state == LinkState.SYNCED and event is None:
            link = replace(link, state=LinkState.REMOVED)
            missing += 1
        elif link.live and event is not None and event.get("etag") != link.etag:
            link = replace(link, etag=event.get("etag"), content_hash=None)
            edited += 1
        corrected.append(link)
    accounted = {
        link.event_id
        for link in links
        if link.event_id and (link.live or link.state == LinkState.DETACHED)
    }
    extra = sorted(event_id for event_id in listed if event_id not in accounted)
    return Drift(corrected, missing, edited, extra)


def _private(event: dict) -> dict:
    return (event.get("extendedProperties") or {}).get("private") or {}
