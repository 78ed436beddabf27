"""Adapters to Google: client factories, OAuth, credentials, the Calendar port, error reading.

Only this package imports Google's API libraries for Calendar and OAuth; the rest of the
core sees domain words and the errors of `shared.errors` and `shared.google.errors`.
"""
