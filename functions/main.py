"""Every deployed entry point. Production deploys the repository root with
GOOGLE_FUNCTION_SOURCE=functions/main.py and one --entry-point per name below."""

import sys
from pathlib import Path

# functions-framework loads this file by its path and puts only its folder (functions/)
# on sys.path; the packages live at the repository root, so that goes on too.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.append(_ROOT)

# ruff: noqa: E402 (the imports need the root on the path first)

from functions.bookings import bookings
from functions.calendar import calendar
from functions.connections import connections
from functions.console import console
from functions.cron import cron
from functions.notifications import notifications
from functions.settings import settings
from functions.tasks import tasks

ENTRY_POINTS = {
    "settings": settings,
    "bookings": bookings,
    "connections": connections,
    "calendar": calendar,
    "notifications": notifications,
    "tasks": tasks,
    "cron": cron,
    "console": console,
}

__all__ = [*ENTRY_POINTS]
