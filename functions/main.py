"""Every deployed entry point. Production deploys the repository root with
GOOGLE_FUNCTION_SOURCE=functions/main.py and one --entry-point per name below."""

from functions.bookings import bookings
from functions.calendar import calendar
from functions.connections import connections
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
}

__all__ = [*ENTRY_POINTS]
