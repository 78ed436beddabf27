"""All functions behind one local address, each path going to the function that owns it.

Production runs each function separately; locally `make run` and the tests serve
them together on PORT with docs/api.md's paths unchanged.

The Google stand-in knows only the OAuth clients registered with it, as Google does, so the
local stack registers them in the owner's place: the platform client when it starts
(`platform_client`), and a company's private client, with the company's redirect URI,
whenever an admin saves settings answering `provider: private` (an `after_request` hook here,
never in production code paths). As in the Cloud Console, where a client's secret is set
there and not by what anyone types into our settings, the first secret saved for a client id
is its secret from then on, and a client id saved without one has a secret nobody knows until
one is saved (the code exchange answers `invalid_client`): a secret mistyped later, or another
client's secret, fails locally as it would at Google.
"""

from __future__ import annotations

import html
import importlib
import logging

import flask
import requests

from functions.main import ENTRY_POINTS
from shared.config import Config, get_config
from shared.errors import NotFound
from shared.google import oauth
from shared.inputs import SettingsIn
from shared.web import error_response, parse_body

log = logging.getLogger(__name__)
CLIENTS_HOOK = "/_test/clients"  # the Google stand-in's hook registering an OAuth client


def platform_client(config: Config) -> dict:
    """The platform's OAuth client as registered with the Google stand-in: keyword arguments
    for `GoogleStandIn.register_client`, or the body of its `/_test/clients` hook."""
    return {
        "client_id": config.platform_client_id,
        "client_secret": config.platform_client_secret,
        "redirect_uris": [oauth.redirect_uri(config)],
    }


def register_client(config: Config, client: dict) -> dict:
    """Register `client` (the `/_test/clients` body) with the stand-in at GOOGLE_API_BASE."""
    if not config.local or not config.google_api_base:
        raise RuntimeError("OAuth clients are registered with the local Google stand-in only")
    answer = requests.post(
        config.google_api_base.rstrip("/") + CLIENTS_HOOK, json=client, timeout=10
    )
    answer.raise_for_status()
    return answer.json()


def _saved_private_client(request: flask.Request, response: flask.Response) -> dict | None:
    """The private client a successful `PUT /settings` saved, as a `/_test/clients` body."""
    if request.method != "PUT" or request.path != "/settings" or response.status_code != 200:
        return None
    settings = response.get_json(silent=True)
    if not isinstance(settings, dict) or settings.get("provider") != "private":
        return None
    if not settings.get("client_id") or not settings.get("redirect_uri"):
        return None
    # Secrets are never returned: the one sent (if any) is in the request, validated as saved.
    sent = parse_body(request, SettingsIn).client_secret
    return {
        "client_id": settings["client_id"],
        "client_secret": sent,
        "redirect_uris": [settings["redirect_uri"]],
        "keep_secret": True,
    }


def create_app() -> flask.Flask:
    app = flask.Flask("calendar-sync-local")
    owners = [
        (importlib.import_module(f"functions.{name}").router, entry)
        for name, entry in ENTRY_POINTS.items()
    ]

    @app.route("/_local/connected")
    def landing() -> str:
        """Stands in for the platform's page that people return to after Google's consent."""
        outcome = flask.request.args.get("google_calendar", "")
        detail = flask.request.args.get("reason") or flask.request.args.get("worker_id", "")
        return (
            "<!doctype html><meta charset=utf-8><title>Google Calendar</title>"
            "<body style='font-family:sans-serif;margin:3rem'>"
            f"<h1>Google Calendar: {html.escape(outcome)}</h1><p>{html.escape(detail)}</p>"
            "<p>(Local stand-in for the platform's return page.)</p></body>"
        )

    @app.after_request
    def register_private_client(response: flask.Response) -> flask.Response:
        """Register a private client an admin saved with the Google stand-in (see above)."""
        try:
            client = _saved_private_client(flask.request, response)
            config = get_config() if client is not None else None
            if config is not None and config.local and config.google_api_base:
                register_client(config, client)
        except Exception:  # the save stands; consent with this client will show the cause
            log.exception("could not register the private OAuth client with the stand-in")
        return response

    @app.errorhandler(404)
    def not_found(error: Exception) -> flask.Response:
        # A path Flask's own catch-all cannot match (e.g. a line break in it): still JSON.
        return error_response(NotFound("no such endpoint"))

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @app.route("/<path:path>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def dispatch(path: str) -> flask.Response:
        for router, entry in owners:
            if router.handles(flask.request.path):
                return entry(flask.request)
        return error_response(NotFound("no such endpoint"))

    return app
