"""The stand-in's state in a file, so a restart can go on where it stopped (`make run KEEP=1`).

Kept: accounts, OAuth clients, consents, live authorization codes and access tokens, refresh
tokens, service accounts and the id_token signing key; every calendar with its events, change
numbers and sync-token epoch (sync tokens handed out before the restart stay valid); live push
channels. Not kept: injected faults and latency, the paging shape, notification drops and
delays, push messages not yet delivered, and the request and delivery logs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulators.google.app import GoogleStandIn

FORMAT = 1  # bumped when the layout changes; an older file is refused, not misread


class StateError(ValueError):
    """A state file this stand-in cannot read."""


def export_state(standin: GoogleStandIn) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "accounts": standin.accounts.export_state(),
        "calendars": standin.calendars.export_state(),
        "channels": standin.channels.export_state(),
    }


def import_state(standin: GoogleStandIn, state: dict[str, Any]) -> None:
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise StateError(f"not a stand-in state of format {FORMAT}")
    try:
        standin.accounts.import_state(state["accounts"])
        standin.calendars.import_state(state["calendars"])
        standin.channels.import_state(state["channels"], standin.calendars.by_id)
    except (KeyError, TypeError, ValueError) as exc:
        raise StateError(f"unreadable stand-in state: {exc!r}") from exc


def save(standin: GoogleStandIn, path: Path) -> None:
    """Write the state to `path` whole: a crash mid-write leaves the previous file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(export_state(standin)), encoding="utf-8")
    os.replace(partial, path)


def load(standin: GoogleStandIn, path: Path) -> bool:
    """Load the state `save` wrote; False (and nothing changed) when there is no file yet."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StateError(f"unreadable stand-in state in {path}: {exc}") from exc
    import_state(standin, state)
    return True
