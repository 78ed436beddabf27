"""The `console` function: the admin console's page and files, under `/console`.

The console is a static page (the `console/` folder at the repository root: index.html, ES
modules, a stylesheet) that calls the API of docs/api.md with the platform JWT it is handed
in its URL fragment (`/console#token=...`), which browsers never send to a server. So nothing
here authenticates: the files hold no data, and the API checks every call the page makes.

The files are read into a table keyed by URL path (once in production; on each request in
local mode, so an edited file shows on reload). A request names an entry of that table or gets
the API's 404: no part of a request ever becomes part of a file system path, so nothing
outside `console/` can be reached.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import flask
import functions_framework

from shared.config import get_config
from shared.errors import NotFound
from shared.web import Router

router = Router()

FOLDER = Path(__file__).resolve().parent.parent / "console"
INDEX = "index.html"
# What is served, by suffix; anything else in the folder (package.json, licenses) is not.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


def assets() -> dict[str, Asset]:
    """Every file served, by its path below `/console/` (`app.js`, `pages/workers.js`): read
    once in production; on every request locally, so an edited file shows on reload."""
    return _read() if get_config().local else _read_once()


@functools.cache
def _read_once() -> dict[str, Asset]:
    return _read()


def _read() -> dict[str, Asset]:
    found = {}
    if FOLDER.is_dir():
        for path in sorted(FOLDER.rglob("*")):
            content_type = CONTENT_TYPES.get(path.suffix)
            if content_type is None or not path.is_file():
                continue
            body = path.read_bytes()
            etag = hashlib.sha256(body).hexdigest()[:32]
            found[path.relative_to(FOLDER).as_posix()] = Asset(body, content_type, etag)
    return found


def _security_headers(response: flask.Response) -> flask.Response:
    """Scripts and styles from this origin only (no inline script, no eval), calls to this
    origin only (the API), framed only by this origin and the platform's front end."""
    platform = urlsplit(get_config().platform_return_url)
    ancestors = "'self'"
    if platform.scheme in ("http", "https") and platform.netloc:
        ancestors += f" {platform.scheme}://{platform.netloc}"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _serve(request: flask.Request, name: str) -> flask.Response:
    asset = assets().get(name)
    if asset is None:
        raise NotFound(f"the console has no file {name!r}")
    response = flask.Response(asset.body, content_type=asset.content_type)
    if name == INDEX:
        # The page names its modules without a version: always the current page.
        response.headers["Cache-Control"] = "no-store"
    else:
        # Revalidated every time (names carry no version), answered 304 when unchanged.
        response.headers["Cache-Control"] = "no-cache"
        response.set_etag(asset.etag)
        response.make_conditional(request)
    return response


@router.route("/console", ["GET"], access="public")
def page(request: flask.Request):
    return _serve(request, INDEX)


@router.route("/console/<asset>", ["GET"], access="public")
def file(request: flask.Request, asset: str):
    return _serve(request, asset)


@router.route("/console/<folder>/<asset>", ["GET"], access="public")
def file_in_folder(request: flask.Request, folder: str, asset: str):
    return _serve(request, f"{folder}/{asset}")


@functions_framework.http
def console(request: flask.Request) -> flask.Response:
    return _security_headers(router.dispatch(request))
