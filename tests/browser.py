"""A person in a browser going through the "Sync calendar" link and Google's consent page."""

from __future__ import annotations

from urllib.parse import parse_qsl, urljoin, urlsplit

import requests

from dev.connect import ConsentForm


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def follow(url: str) -> str:
    """GET `url` without following; the Location it redirects to."""
    response = requests.get(url, allow_redirects=False, timeout=30)
    assert response.status_code in (302, 303), (response.status_code, response.text[:500])
    return urljoin(url, response.headers["Location"])


def consent(
    google_url: str, email: str | None = None, button: str = "allow", untick: tuple = ()
) -> str:
    """Fill in Google's consent page like a person would; the Location Google sends us to."""
    page = requests.get(google_url, timeout=30)
    assert page.status_code == 200, page.text[:500]
    form = ConsentForm(page.text)
    data = form.hidden()
    data.append(("email", email if email is not None else form.field("email").get("value") or ""))
    data += [("scope", s) for s, ticked in form.scope_boxes().items() if ticked and s not in untick]
    data.append((button, "1"))
    answer = requests.post(
        urljoin(google_url, form.action), data=data, allow_redirects=False, timeout=30
    )
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


def connect_through_google(
    connect_url: str, email: str | None = None, button: str = "allow", untick: tuple = ()
) -> dict[str, str]:
    """Click the link, answer Google, come back: the platform return address's query."""
    google_url = follow(connect_url)
    callback = consent(google_url, email=email, button=button, untick=untick)
    landing = follow(callback)
    return query_of(landing)
