"""The console function serves the console's files and nothing else, with headers that keep
the page to its own scripts; the page takes its token from the URL fragment only.

Fast: the local functions server with local settings, no emulators."""

from __future__ import annotations

import http.client
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from functions import console
from shared.config import get_config
from shared.google import oauth
from shared.ids import is_valid_id

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "console"
PLATFORM = "https://platform.example"
SERVED = sorted(
    path.relative_to(FOLDER).as_posix()
    for path in FOLDER.rglob("*")
    if path.is_file() and path.suffix in console.CONTENT_TYPES
)
SCRIPTS = [name for name in SERVED if name.endswith(".js")]
OWN_SCRIPTS = [name for name in SCRIPTS if not name.startswith("vendor/")]


@pytest.fixture
def base(functions_server, monkeypatch) -> str:
    """The local functions server, with local settings whose platform front end is PLATFORM."""
    monkeypatch.setenv("APP_MODE", "local")
    monkeypatch.setenv("PLATFORM_RETURN_URL", PLATFORM + "/settings/google")
    get_config.cache_clear()
    yield functions_server.url
    get_config.cache_clear()


def raw_get(base: str, target: str, method: str = "GET") -> tuple[int, dict, bytes]:
    """`target` sent exactly as written (no client normalising `..` or escapes)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_the_page_is_served_at_console_with_and_without_the_slash(base):
    for path in ("/console", "/console/", "/console/index.html"):
        answer = requests.get(base + path, timeout=10)
        assert answer.status_code == 200, path
        assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.content == (FOLDER / "index.html").read_bytes()


def test_every_answer_carries_a_strict_content_security_policy(base):
    for path in ("/console", "/console/app.js", "/console/nothing.js"):
        headers = requests.get(base + path, timeout=10).headers
        directives = [part.strip() for part in headers["Content-Security-Policy"].split(";")]
        policy = dict((directive.split(" ", 1) + [""])[:2] for directive in directives)
        assert policy["default-src"] == "'none'"
        assert policy["script-src"] == "'self'"  # no inline script, no eval
        assert policy["style-src"] == "'self'"
        assert policy["connect-src"] == "'self'"  # the API, on this same address
        assert policy["base-uri"] == "'none'" and policy["form-action"] == "'none'"
        assert policy["frame-ancestors"] == f"'self' {PLATFORM}"
        assert "unsafe" not in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("name", SERVED)
def test_every_file_is_served_with_its_type_and_revalidated(base, name):
    answer = requests.get(f"{base}/console/{name}", timeout=10)
    assert answer.status_code == 200, name
    assert answer.content == (FOLDER / name).read_bytes()
    assert answer.headers["Content-Type"] == console.CONTENT_TYPES[Path(name).suffix]
    if name == "index.html":
        return
    assert answer.headers["Cache-Control"] == "no-cache"
    again = requests.get(
        f"{base}/console/{name}", headers={"If-None-Match": answer.headers["ETag"]}, timeout=10
    )
    assert again.status_code == 304 and again.content == b""


def test_every_file_has_an_address_the_routes_reach():
    # One folder deep at most, and every part an id (the router's one rule for path parts).
    for name in SERVED:
        parts = name.split("/")
        assert len(parts) <= 2 and all(is_valid_id(part) for part in parts), name
        assert console.router.handles(f"/console/{name}"), name


def test_an_unknown_file_is_the_apis_404(base):
    for path in (
        "/console/nothing.js",
        "/console/pages/nothing.js",
        "/console/package.json",  # in the folder, not served
        "/console/vendor/LICENSE-htm",
        "/console/a/b/c.js",
    ):
        answer = requests.get(base + path, timeout=10)
        assert answer.status_code == 404, path
        error = answer.json()["error"]
        assert error["code"] == "not_found" and error["message"], path


def test_nothing_outside_the_console_folder_can_be_reached(base):
    secrets = [
        (ROOT / "functions" / "console.py").read_bytes(),
        (ROOT / "shared" / "config.py").read_bytes(),
        (ROOT / "Makefile").read_bytes(),
    ]
    for target in (
        "/console/../functions/console.py",
        "/console/%2e%2e/functions/console.py",
        "/console/..%2Ffunctions%2Fconsole.py",
        "/console/pages/..%2F..%2Fshared%2Fconfig.py",
        "/console/%2e%2e%2f%2e%2e%2fMakefile",
        "/console/..",
        "/console/vendor/..",
        "/console/%2e%2e/%2e%2e/Makefile",
        "/console/..%5C..%5CMakefile",
        "/console/%252e%252e/Makefile",
        "/console/pages/%00.js",
    ):
        status, headers, body = raw_get(base, target)
        assert status in (400, 404), (target, status)
        assert json.loads(body)["error"]["code"], target
        assert not any(secret[:200] in body for secret in secrets), target


def test_only_get_is_served(base):
    for method in ("POST", "PUT", "DELETE"):
        answer = requests.request(method, base + "/console/app.js", timeout=10)
        assert answer.status_code == 405, method
        assert answer.json()["error"]["code"] == "method_not_allowed"


def test_the_page_runs_only_its_own_module_scripts():
    page = (FOLDER / "index.html").read_text()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.S)
    assert scripts, "index.html loads no script"
    for attributes, body in scripts:
        assert body.strip() == "" and 'type="module"' in attributes, attributes
        assert re.search(r'src="/console/[\w/.-]+\.js"', attributes), attributes
    assert not re.search(r"\son\w+=", page), "an inline event handler"
    assert "<style" not in page and "style=" not in page


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_import_is_a_served_module_of_the_console(name):
    source = (FOLDER / name).read_text()
    for target in re.findall(r"""\bfrom\s*["']([^"']+)["']""", source):
        assert target.startswith(("./", "../")), f"{name} imports {target} from elsewhere"
        resolved = (FOLDER / name).parent.joinpath(target).resolve()
        assert resolved.is_relative_to(FOLDER), (name, target)
        assert resolved.relative_to(FOLDER).as_posix() in SERVED, (name, target)


def test_the_token_is_taken_from_the_fragment_and_never_from_the_query():
    sources = {name: (FOLDER / name).read_text() for name in OWN_SCRIPTS}
    reading = [name for name, source in sources.items() if 'get("token")' in source]
    assert reading == ["session.js"]
    session = sources["session.js"]
    assert 'new URLSearchParams(location.hash.slice(1)).get("token")' in session
    assert "sessionStorage.setItem" in session and "history.replaceState" in session
    for name, source in sources.items():
        assert "localStorage" not in source, f"{name}: the token is kept for the tab only"
        assert not re.search(r"URLSearchParams\(\s*location\.search", source), name
        assert "?token=" not in source and "token=${" not in source, name


def test_the_delegation_scopes_shown_are_the_ones_the_service_asks_for():
    source = (FOLDER / "pages" / "integration.js").read_text()
    listed = re.search(r"DELEGATED_SCOPES = \[(.*?)\]", source, re.S).group(1)
    assert re.findall(r'"([^"]+)"', listed) == oauth.DELEGATED_SCOPES


def test_the_vendored_framework_is_the_pinned_one_with_its_licenses():
    package = json.loads((FOLDER / "package.json").read_text())
    assert package["dependencies"] == {"htm": "3.1.1"}
    assert "npm pack htm@3.1.1" in package["scripts"]["vendor"]
    vendored = (FOLDER / "vendor" / "standalone.module.js").read_text()
    assert "useState" in vendored and "export{" in vendored
    for license_file in ("LICENSE-htm", "LICENSE-preact"):
        assert (FOLDER / "vendor" / license_file).stat().st_size > 500
