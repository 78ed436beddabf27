"""`make connect WORKER=w1 EMAIL=ada@example.com [COMPANY=c1]`: connect a worker, no browser.

Does what a person does in a browser, against the running `make run` stack: asks for the
worker's "Sync calendar" link (`POST /workers/{id}/authorization-url` with an admin token),
follows `/connect` to the Google stand-in's consent page, signs in there as EMAIL granting
every scope asked for, and follows Google's redirect to `/getAuthKey`. Prints the outcome
(`connected`, or the error reason the return address carries) and exits 1 on error, 2 when
the stack cannot be reached. Addresses come from PORT (and the stack's own redirects), as
for `make run`.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urljoin, urlsplit

import requests

from dev import tokens
from shared.config import Config, get_config

TIMEOUT = 30
# The line of Google's "Access blocked" page that names the error, e.g. invalid_client.
_GOOGLE_ERROR = re.compile(r"Error (?P<status>\d{3}): (?P<error>[a-z_]+)")


@dataclass
class Outcome:
    connected: bool
    reason: str | None = None  # the error code when not connected
    detail: str = ""  # what happened, for a person
    connection: dict = field(default_factory=dict)  # GET /workers/{id}/connection afterwards

    def describe(self) -> str:
        if self.connected:
            email = self.connection.get("google_email")
            return f"connected{f' as {email}' if email else ''}"
        return f"error: {self.reason}{f' ({self.detail})' if self.detail else ''}"


class ConsentForm(HTMLParser):
    """The consent page's form as a browser sees it: action, inputs, scope checkboxes, buttons.
    (The tests' browser, tests/browser.py, reads the page with this same class.)"""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.action: str | None = None
        self.inputs: list[dict[str, str | None]] = []
        self.buttons: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attributes.get("action") or ""
        elif tag == "input":
            self.inputs.append(attributes)
        elif tag == "button" and attributes.get("name"):
            self.buttons.append(str(attributes["name"]))

    def field(self, name: str) -> dict[str, str | None]:
        return next(i for i in self.inputs if i.get("name") == name)

    def hidden(self) -> list[tuple[str, str]]:
        return [
            (str(i["name"]), i.get("value") or "")
            for i in self.inputs
            if i.get("type") == "hidden" and i.get("name")
        ]

    def scope_boxes(self) -> dict[str, bool]:
        """Each scope checkbox and whether it is ticked."""
        return {
            str(i["value"]): "checked" in i
            for i in self.inputs
            if i.get("name") == "scope" and i.get("type") == "checkbox"
        }

    def answer(self, email: str) -> list[tuple[str, str]]:
        """The form as submitted by `email` with every scope ticked and "Allow" pressed."""
        data = [*self.hidden(), ("email", email)]
        data += [("scope", scope) for scope in self.scope_boxes()]
        data.append(("allow", "1"))
        return data


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def _redirect(response: requests.Response) -> str | None:
    if response.status_code in (301, 302, 303, 307, 308) and "Location" in response.headers:
        return urljoin(response.url, response.headers["Location"])
    return None


def _api_error(response: requests.Response) -> Outcome:
    try:
        error = response.json()["error"]
        reason, detail = error.get("code") or f"http_{response.status_code}", error.get("message")
    except (ValueError, KeyError, TypeError, AttributeError):
        reason, detail = f"http_{response.status_code}", response.text[:200]
    return Outcome(False, reason, f"{response.status_code}: {detail}")


def _landed(location: str, return_url: str) -> Outcome | None:
    """The outcome if `location` is the platform's return address, else None."""
    query = _query(location)
    if not location.startswith(return_url.split("?")[0]) or "google_calendar" not in query:
        return None
    if query["google_calendar"] == "connected":
        return Outcome(True)
    return Outcome(
        False, query.get("reason") or "unknown", f"google_calendar={query['google_calendar']}"
    )


def connect(
    config: Config,
    worker_id: str,
    email: str,
    company_id: str = "c1",
    session: requests.Session | None = None,
) -> Outcome:
    """Connect `worker_id` of `company_id` to the stand-in's Google account `email`."""
    http = session or requests.Session()
    http.trust_env = False  # every address here is local: no proxy in between
    base = config.public_base_url.rstrip("/")
    admin = {"Authorization": f"Bearer {tokens.platform_token(config, 'admin', company_id)}"}
    worker = quote(worker_id, safe="")

    answer = http.post(f"{base}/workers/{worker}/authorization-url", headers=admin, timeout=TIMEOUT)
    if answer.status_code != 200:
        return _api_error(answer)
    link = answer.json()["url"]

    # The link, then Google's consent page, then Google's redirect back to /getAuthKey.
    hop = http.get(link, allow_redirects=False, timeout=TIMEOUT)
    google_url = _redirect(hop)
    if google_url is None:
        return Outcome(False, "no_redirect", f"{link} answered {hop.status_code}, no redirect")
    landed = _landed(google_url, config.platform_return_url)
    if landed is not None:
        return _with_connection(http, base, admin, worker, landed)
    page = http.get(google_url, timeout=TIMEOUT)
    form = ConsentForm(page.text)
    if page.status_code != 200 or form.action is None:
        refused = _GOOGLE_ERROR.search(page.text)
        if refused is not None:  # Google's error page, e.g. an OAuth client it does not know
            client_id = _query(google_url).get("client_id", "")
            detail = f"Google's consent page answered {page.status_code} for client_id {client_id}"
            return Outcome(False, refused["error"], detail)
        return Outcome(False, "consent_page", f"{google_url} answered {page.status_code}")
    submitted = http.post(
        urljoin(page.url, form.action),
        data=form.answer(email),
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    callback = _redirect(submitted)
    if callback is None:
        text = submitted.text if "html" not in submitted.headers.get("Content-Type", "") else ""
        return Outcome(False, "consent_refused", f"{submitted.status_code} {text[:200]}".strip())
    final = _redirect(http.get(callback, allow_redirects=False, timeout=TIMEOUT))
    landed = _landed(final, config.platform_return_url) if final else None
    if landed is None:
        return Outcome(False, "no_return", f"{callback.split('?')[0]} did not send us back")
    return _with_connection(http, base, admin, worker, landed)


def _with_connection(
    http: requests.Session, base: str, admin: dict, worker: str, outcome: Outcome
) -> Outcome:
    answer = http.get(f"{base}/workers/{worker}/connection", headers=admin, timeout=TIMEOUT)
    if answer.status_code == 200:
        outcome.connection = answer.json()
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", required=True, help="worker id, e.g. w1")
    parser.add_argument("--email", required=True, help="the Google account to sign in as")
    parser.add_argument("--company", default="c1", help="company id (default c1)")
    args = parser.parse_args(argv)
    config = get_config()
    if not config.local:
        parser.error("connect drives the local Google stand-in only (APP_MODE=local)")
    try:
        outcome = connect(config, args.worker, args.email, args.company)
    except requests.RequestException as exc:
        print(f"cannot reach the local stack (is `make run` going?): {exc}", file=sys.stderr)
        return 2
    print(f"worker {args.worker} of {args.company}: {outcome.describe()}", flush=True)
    if outcome.connection:
        state = outcome.connection.get("state")
        print(f"connection state: {state}", flush=True)
    return 0 if outcome.connected else 1


if __name__ == "__main__":
    sys.exit(main())
