"""A local, faithful stand-in for Google Calendar API v3, Google OAuth and push notifications."""

from emulators.google.app import GoogleStandIn

__all__ = ["GoogleStandIn"]
