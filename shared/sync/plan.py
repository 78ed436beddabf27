"""The push plan for one worker: what the worker's company calendar should hold, compared
with what we last wrote there, as a list of small actions (vdirsyncer's shape: gather,
plan, then apply). Pure: no Firestore, no Google; the sync applies the plan through the
Calendar port and updates each link record as its action lands.

- A desired event without a link is inserted under its own (deterministic) id; with a link
  whose content hash differs, the linked event is updated; with an equal link nothing is
  sent; with a link into a replaced company calendar it is inserted afresh (the old event
  went with the old calendar).
- A link without a desired event is the booking leaving the worker (deleted, unassigned,
  worker inactive, or a status that does not push): its event is deleted if the status
  it had while pushed, or the status the booking has now, carries `delete_from_google`;
  otherwise it is detached (left in Google, no longer updated). A link into a calendar
  that is no longer the company calendar is forgotten: its event went with that calendar.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Desired:
    """An event the worker's company calendar should hold."""

    key: str  # "booking:<id>" or "unavailable:<id>"
    event_id: str
    body: dict
    content_hash: str
    deletes_on_removal: bool = False  # its status carries delete_from_google


@dataclass(frozen=True)
class Link:
    """What we last wrote for a key: the link record of one pushed event."""

    key: str
    event_id: str
    calendar_id: str
    content_hash: str
    etag: str | None = None
    deletes_on_removal: bool = False  # the flag of the status it was pushed in


@dataclass(frozen=True)
class Insert:
    desired: Desired


@dataclass(frozen=True)
class Update:
    desired: Desired
    link: Link


@dataclass(frozen=True)
class Delete:
    link: Link


@dataclass(frozen=True)
class Detach:
    """Leave the event in Google, stop updating it."""

    link: Link


@dataclass(frozen=True)
class Forget:
    """Drop the link record only: its event went with a calendar we no longer use."""

    link: Link


Action = Insert | Update | Delete | Detach | Forget


def plan(
    desired: Iterable[Desired],
    links: Iterable[Link],
    calendar_id: str,
    deletes_now: Mapping[str, bool] | None = None,
) -> list[Action]:
    """The actions that bring the company calendar `calendar_id` to `desired`.

    `deletes_now` tells, for keys no longer desired whose booking still exists, whether
    the status the booking has now carries `delete_from_google`."""
    wanted = {event.key: event for event in desired}
    linked = {link.key: link for link in links}
    deletes_now = deletes_now or {}
    actions: list[Action] = []
    for key in sorted(wanted.keys() | linked.keys()):
        event, link = wanted.get(key), linked.get(key)
        if event is not None and link is None:
            actions.append(Insert(event))
        elif event is not None and link is not None:
            if link.calendar_id != calendar_id:
                actions.append(Insert(event))  # the calendar was replaced: write it afresh
            elif link.content_hash != event.content_hash:
                actions.append(Update(event, link))  # the event keeps the link's id
        elif link is not None:
            if link.calendar_id != calendar_id:
                actions.append(Forget(link))
            elif link.deletes_on_removal or deletes_now.get(key, False):
                actions.append(Delete(link))
            else:
                actions.append(Detach(link))
    return actions
