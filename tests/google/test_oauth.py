"""The stand-in's OAuth side driven through the real client libraries, like production does.

A fieldworker's consent is given by submitting the consent form as a browser would; codes
are exchanged by google-auth-oauthlib's `Flow`, tokens refreshed by google-auth.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urljoin, urlsplit

import google.auth.transport.requests
import pytest
import requests
from google.auth.exceptions import RefreshError
from google.oauth2 import id_token
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import InvalidClientError, InvalidGrantError

from emulators.google import GoogleStandIn
from tests.browser import ConsentForm

CALENDAR_LIST = "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
APP_CREATED = "https://www.googleapis.com/auth/calendar.app.created"
EVENTS_READONLY = "https://www.googleapis.com/auth/calendar.events.readonly"
SCOPES = ["openid", "email", CALENDAR_LIST, APP_CREATED, EVENTS_READONLY]
CLIENT_ID = "platform-client.apps.googleusercontent.com"
SECRET = "GOCSPX-platform-secret"
REDIRECT_URI = "http://127.0.0.1:8080/getAuthKey"  # never contacted: redirects are not followed
WORKER = "worker@example.com"


@pytest.fixture(autouse=True)
def plain_http_oauth(monkeypatch):
    """oauthlib refuses http token URLs unless told; scope checks stay strict by default."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.delenv("OAUTHLIB_RELAX_TOKEN_SCOPE", raising=False)


@pytest.fixture(autouse=True)
def registered_client(google):
    """The platform's client, registered as its owner does in the Cloud Console: the stand-in
    knows no other client, as Google."""
    return google.register_client(CLIENT_ID, SECRET, [REDIRECT_URI])


@pytest.fixture
def http():
    return google.auth.transport.requests.Request()


def consent(
    url: str, email: str | None = WORKER, button: str = "allow", untick: tuple[str, ...] = ()
) -> dict[str, str]:
    """Fill in and submit the consent page like a browser; the query of the redirect."""
    page = requests.get(url, timeout=10)
    assert page.status_code == 200, page.text
    form = ConsentForm(page.text)
    data = form.hidden()
    data.append(("email", email if email is not None else form.field("email").get("value") or ""))
    data += [("scope", s) for s, ticked in form.scope_boxes().items() if ticked and s not in untick]
    data.append((button, "1"))
    answer = requests.post(urljoin(url, form.action), data=data, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return dict(parse_qsl(urlsplit(location).query))


def make_flow(
    google: GoogleStandIn, scopes=SCOPES, client_id=CLIENT_ID, secret=SECRET, **kwargs
) -> Flow:
    config = {
        "web": {
            "client_id": client_id,
            "client_secret": secret,
            "auth_uri": google.base_url + "/o/oauth2/v2/auth",
            "token_uri": google.base_url + "/token",
            "redirect_uris": [REDIRECT_URI],
        }
    }
    return Flow.from_client_config(config, scopes=scopes, redirect_uri=REDIRECT_URI, **kwargs)


def connect(google: GoogleStandIn, email: str = WORKER, scopes=SCOPES, **auth_params) -> dict:
    """A whole consent: authorization URL, consent form, code exchange. The token response."""
    flow = make_flow(google, scopes)
    auth_params = {"prompt": "consent", "login_hint": email, **auth_params}
    url, _ = flow.authorization_url(**auth_params)
    return flow.fetch_token(code=consent(url, email=email)["code"])


def user_credentials(google: GoogleStandIn, refresh_token: str, scopes=None) -> Credentials:
    return Credentials(
        None,
        refresh_token=refresh_token,
        token_uri=google.base_url + "/token",
        client_id=CLIENT_ID,
        client_secret=SECRET,
        scopes=scopes,
    )


def post_token(google: GoogleStandIn, **form: str) -> requests.Response:
    return requests.post(google.base_url + "/token", data=form, timeout=10)


# -- discovery, keys, consent page ------------------------------------------------
def test_discovery_names_google_issuer_and_local_endpoints(google):
    doc = requests.get(google.base_url + "/.well-known/openid-configuration", timeout=10).json()

    assert doc["issuer"] == "https://accounts.google.com"
    assert doc["authorization_endpoint"] == google.base_url + "/o/oauth2/v2/auth"
    assert doc["token_endpoint"] == google.base_url + "/token"
    assert doc["revocation_endpoint"] == google.base_url + "/revoke"
    assert doc["userinfo_endpoint"] == google.base_url + "/v1/userinfo"
    assert {"S256", "plain"} <= set(doc["code_challenge_methods_supported"])
    keys = requests.get(doc["jwks_uri"], timeout=10).json()["keys"]
    assert keys[0]["alg"] == "RS256" and keys[0]["kid"]


def test_consent_page_is_the_agreed_form(google):
    flow = make_flow(google)
    url, _ = flow.authorization_url(login_hint=WORKER, hd="example.com")

    page = requests.get(url, timeout=10)

    assert page.status_code == 200
    assert "Sign in with Google (local stand-in)" in page.text
    assert "View events on all your calendars" in page.text  # scopes in human words
    form = ConsentForm(page.text)
    assert form.field("email")["type"] == "text"
    assert form.field("email")["value"] == WORKER  # prefilled from login_hint
    assert form.scope_boxes() == {scope: True for scope in SCOPES}
    assert set(form.buttons) == {"allow", "deny"}
    assert form.field("code_challenge")["type"] == "hidden"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"client_id": None}, "invalid_request"),
        ({"redirect_uri": "http://example.com/cb"}, "redirect_uri_mismatch"),
        ({"redirect_uri": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": None}, "invalid_request"),
        ({"scope": "calendar"}, "invalid_scope"),
        ({"code_challenge_method": "S512"}, "invalid_request"),
    ],
)
def test_invalid_authorization_request_shows_error_page_without_redirect(google, change, error):
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": " ".join(SCOPES),
        "code_challenge": "x" * 43,
        "code_challenge_method": "S256",
    }
    params.update(change)
    params = {k: v for k, v in params.items() if v is not None}

    page = requests.get(
        google.base_url + "/o/oauth2/v2/auth", params=params, allow_redirects=False, timeout=10
    )

    assert page.status_code == 400
    assert "Location" not in page.headers
    assert page.headers["Content-Type"].startswith("text/html")
    assert f"Error 400: {error}" in page.text


# -- authorization code flow -----------------------------------------------------
def test_consent_gives_tokens_that_act_for_the_account_with_granted_scopes(google):
    flow = make_flow(google)
    url, state = flow.authorization_url(
        access_type="offline", prompt="consent", include_granted_scopes="true", login_hint=WORKER
    )

    redirect = consent(url)
    token = flow.fetch_token(code=redirect["code"])

    assert redirect["state"] == state
    assert redirect["hd"] == "example.com"
    assert set(redirect["scope"].split()) == set(SCOPES)
    assert token["token_type"] == "Bearer"
    assert token["refresh_token"].startswith("1//")
    assert set(token["scope"]) == set(SCOPES)
    grant = google.accounts.resolve_access_token(token["access_token"])
    assert grant.email == WORKER
    assert grant.scopes == frozenset(SCOPES)
    assert grant.client_id == CLIENT_ID
    assert flow.credentials.granted_scopes is not None


def test_deny_redirects_with_access_denied_and_state(google):
    flow = make_flow(google)
    url, state = flow.authorization_url()

    redirect = consent(url, button="deny")

    assert redirect == {"error": "access_denied", "state": state}


def test_partial_consent_reports_what_was_really_granted(google, monkeypatch):
    flow = make_flow(google)
    url, _ = flow.authorization_url(prompt="consent")
    code = consent(url, untick=(APP_CREATED, "openid"))["code"]  # openid cannot be refused

    with pytest.raises(Warning) as changed:  # oauthlib's strict scope check
        flow.fetch_token(code=code)

    granted = {"openid", "email", CALENDAR_LIST, EVENTS_READONLY}
    assert set(changed.value.new_scope) == granted
    grant = google.accounts.resolve_access_token(changed.value.token["access_token"])
    assert grant.scopes == granted

    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    url, _ = flow.authorization_url(prompt="consent")
    token = flow.fetch_token(code=consent(url, untick=(APP_CREATED,))["code"])
    assert set(token["scope"]) == granted


def test_pkce_verifier_must_match_the_challenge(google):
    flow = make_flow(google, code_verifier="v" * 64)
    url, _ = flow.authorization_url()

    with pytest.raises(InvalidGrantError, match="Invalid code verifier"):
        flow.fetch_token(code=consent(url)["code"], code_verifier="w" * 64)
    with pytest.raises(InvalidGrantError, match="Missing code verifier"):
        flow.fetch_token(code=consent(url)["code"], code_verifier=None)
    assert flow.fetch_token(code=consent(url)["code"])["access_token"]


def test_plain_pkce_method_is_supported(google):
    url = make_flow(google, autogenerate_code_verifier=False).authorization_url(
        code_challenge="plain-verifier-" + "p" * 40, code_challenge_method="plain"
    )[0]
    code = consent(url)["code"]

    answer = post_token(
        google,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        client_id=CLIENT_ID,
        client_secret=SECRET,
        code_verifier="plain-verifier-" + "p" * 40,
    )

    assert answer.status_code == 200, answer.text


def test_code_is_single_use_and_bound_to_client_and_redirect_uri(google):
    flow = make_flow(google, autogenerate_code_verifier=False)
    url, _ = flow.authorization_url()
    code = consent(url)["code"]
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
    }

    google.register_client("other", "s", [REDIRECT_URI])  # a client of its own, registered

    wrong_redirect = post_token(google, **{**exchange, "redirect_uri": REDIRECT_URI + "x"})
    other_client = post_token(google, **{**exchange, "client_id": "other", "client_secret": "s"})
    first = post_token(google, **exchange)
    again = post_token(google, **exchange)

    assert wrong_redirect.json()["error"] == "redirect_uri_mismatch"
    assert other_client.json()["error"] == "invalid_grant"
    assert first.status_code == 200
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


def test_code_expires_after_ten_minutes(google):
    flow = make_flow(google)
    url, _ = flow.authorization_url()
    code = consent(url)["code"]
    google.accounts.clock = lambda: time.time() + 601

    with pytest.raises(InvalidGrantError):
        flow.fetch_token(code=code)


def test_the_registered_client_secret_is_enforced(google):
    connect(google)  # Flow sends the secret with HTTP Basic
    other = make_flow(google, secret="a-different-secret")
    url, _ = other.authorization_url()

    with pytest.raises(InvalidClientError):
        other.fetch_token(code=consent(url)["code"])
    answer = post_token(google, grant_type="refresh_token", refresh_token="x", client_id=CLIENT_ID)
    assert answer.json()["error"] == "invalid_request"  # secret missing


def test_token_endpoint_rejects_unknown_or_missing_grant_types(google):
    assert post_token(google).json()["error"] == "invalid_request"
    unsupported = post_token(google, grant_type="password", client_id=CLIENT_ID)
    assert (unsupported.status_code, unsupported.json()["error"]) == (400, "unsupported_grant_type")


# -- refresh tokens ------------------------------------------------------------
def test_refresh_token_refreshes_with_google_auth_and_may_narrow_scopes(google, http):
    refresh_token = connect(google, access_type="offline")["refresh_token"]

    full = user_credentials(google, refresh_token)
    full.refresh(http)
    narrow = user_credentials(google, refresh_token, scopes=[CALENDAR_LIST])
    narrow.refresh(http)

    assert google.accounts.resolve_access_token(full.token).scopes == frozenset(SCOPES)
    assert google.accounts.resolve_access_token(narrow.token).scopes == {CALENDAR_LIST}
    assert full.id_token and not narrow.id_token  # id_token only while openid is granted


def test_refresh_cannot_widen_a_partial_grant(google, http, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    flow = make_flow(google)
    url, _ = flow.authorization_url(prompt="consent")
    flow.fetch_token(code=consent(url, untick=(APP_CREATED,))["code"])
    requested = flow.credentials  # carries the requested scopes, APP_CREATED included

    with pytest.raises(RefreshError, match="invalid_scope"):
        requested.refresh(http)
    granted = user_credentials(google, requested.refresh_token, requested.granted_scopes)
    granted.refresh(http)
    assert APP_CREATED not in google.accounts.resolve_access_token(granted.token).scopes


def test_refresh_token_only_for_offline_access_and_anew_with_prompt_consent(google, http):
    first = connect(google, access_type="offline")["refresh_token"]

    online = connect(google, access_type="online")
    already_granted = connect(google, access_type="offline", prompt="select_account")
    renewed = connect(google, access_type="offline", prompt="consent")

    assert "refresh_token" not in online
    assert "refresh_token" not in already_granted
    assert renewed["refresh_token"] != first
    for refresh_token in (first, renewed["refresh_token"]):
        user_credentials(google, refresh_token).refresh(http)


def test_oldest_refresh_token_dies_beyond_the_limit_per_client_and_account(google, http):
    tokens = [
        google.accounts.issue_refresh_token(WORKER, frozenset(SCOPES), CLIENT_ID)
        for _ in range(101)
    ]

    with pytest.raises(RefreshError, match="invalid_grant"):
        user_credentials(google, tokens[0]).refresh(http)
    user_credentials(google, tokens[1]).refresh(http)
    user_credentials(google, tokens[-1]).refresh(http)


def test_include_granted_scopes_adds_earlier_grants(google, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    connect(google, scopes=["openid", "email", CALENDAR_LIST])

    incremental = connect(google, scopes=["openid", EVENTS_READONLY], include_granted_scopes="true")
    separate = connect(google, scopes=["openid", APP_CREATED])

    assert set(incremental["scope"]) == {"openid", "email", CALENDAR_LIST, EVENTS_READONLY}
    assert set(separate["scope"]) == {"openid", APP_CREATED}


# -- revocation -----------------------------------------------------------------
def test_revoked_refresh_token_fails_with_invalid_grant_and_kills_its_access_tokens(google, http):
    token = connect(google, access_type="offline")

    revoked = requests.post(
        google.base_url + "/revoke", data={"token": token["refresh_token"]}, timeout=10
    )

    assert revoked.status_code == 200
    assert google.accounts.resolve_access_token(token["access_token"]) is None
    with pytest.raises(RefreshError, match="invalid_grant"):
        user_credentials(google, token["refresh_token"]).refresh(http)
    again = requests.post(
        google.base_url + "/revoke", data={"token": token["refresh_token"]}, timeout=10
    )
    assert (again.status_code, again.json()["error"]) == (400, "invalid_token")


def test_revoking_an_access_token_revokes_the_clients_whole_grant(google, http):
    token = connect(google, access_type="offline")

    requests.post(google.base_url + "/revoke", params={"token": token["access_token"]}, timeout=10)

    with pytest.raises(RefreshError, match="invalid_grant"):
        user_credentials(google, token["refresh_token"]).refresh(http)
    assert google.accounts.granted_scopes(WORKER, CLIENT_ID) == frozenset()


# -- id_token and userinfo ----------------------------------------------------------
class LocalCertsRequest(google.auth.transport.requests.Request):
    """Sends google-auth's fixed googleapis.com certificate URL to the stand-in instead."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def __call__(self, url, method="GET", **kwargs):
        url = url.replace("https://www.googleapis.com", self.base_url)
        return super().__call__(url, method, **kwargs)


@pytest.mark.parametrize("certs_path", ["/oauth2/v1/certs", "/oauth2/v3/certs"])
def test_id_token_verifies_with_google_auth(google, http, certs_path):
    token = connect(google, nonce="n-0S6_WzA2Mj")

    claims = id_token.verify_token(
        token["id_token"], http, audience=CLIENT_ID, certs_url=google.base_url + certs_path
    )

    account = google.accounts.get(WORKER)
    assert claims["iss"] == "https://accounts.google.com"
    assert claims["aud"] == claims["azp"] == CLIENT_ID
    assert claims["sub"] == account.sub
    assert (claims["email"], claims["email_verified"], claims["hd"]) == (
        WORKER,
        True,
        "example.com",
    )
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["exp"] > claims["iat"]


def test_id_token_passes_googles_issuer_check_and_sub_is_stable(google):
    first = connect(google, email="someone@gmail.com")
    second = connect(google, email="Someone@gmail.com")
    request = LocalCertsRequest(google.base_url)

    a = id_token.verify_oauth2_token(first["id_token"], request, CLIENT_ID)
    b = id_token.verify_oauth2_token(second["id_token"], request, CLIENT_ID)

    assert a["sub"] == b["sub"]
    assert "hd" not in a  # consumer accounts have no Workspace domain


def test_hd_hint_is_not_enforced_so_apps_must_check_the_claim(google, http):
    flow = make_flow(google)
    url, _ = flow.authorization_url(hd="example.com", login_hint="contractor@other.org")

    redirect = consent(url, email="contractor@other.org")
    token = flow.fetch_token(code=redirect["code"])

    assert redirect["hd"] == "other.org"
    claims = id_token.verify_token(
        token["id_token"], http, CLIENT_ID, certs_url=google.base_url + "/oauth2/v1/certs"
    )
    assert claims["hd"] == "other.org"


@pytest.mark.parametrize("path", ["/v1/userinfo", "/oauth2/v3/userinfo"])
def test_userinfo_names_the_account_behind_an_access_token(google, path):
    token = connect(google)["access_token"]
    calendar_only = google.accounts.issue_access_token(WORKER, {EVENTS_READONLY}, CLIENT_ID)

    def get(bearer: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {bearer}"}
        return requests.get(google.base_url + path, headers=headers, timeout=10)

    info = get(token).json()
    assert info == {
        "sub": google.accounts.get(WORKER).sub,
        "email": WORKER,
        "email_verified": True,
        "hd": "example.com",
    }
    assert get(calendar_only).status_code == 403
    assert get("ya29.unknown").status_code == 401


# -- prompt=none and registered clients ------------------------------------------------
def test_prompt_none_answers_at_once_from_earlier_consent(google):
    connect(google)
    url = make_flow(google).authorization_url(prompt="none", login_hint=WORKER)[0]
    unknown = make_flow(google).authorization_url(prompt="none", login_hint="new@example.com")[0]
    anonymous = make_flow(google).authorization_url(prompt="none")[0]

    def location(auth_url: str) -> dict[str, str]:
        answer = requests.get(auth_url, allow_redirects=False, timeout=10)
        assert answer.status_code == 302
        return dict(parse_qsl(urlsplit(answer.headers["Location"]).query))

    assert "code" in location(url)
    assert location(unknown)["error"] == "consent_required"
    assert location(anonymous)["error"] == "login_required"


def test_registered_client_accepts_only_its_redirect_uris(google):
    flow = make_flow(google)
    flow.redirect_uri = "http://127.0.0.1:8080/elsewhere"  # loopback http, but not registered

    page = requests.get(flow.authorization_url()[0], timeout=10)

    assert page.status_code == 400 and "Error 400: redirect_uri_mismatch" in page.text
    assert "Location" not in page.headers
    assert connect(google)["access_token"]


def test_a_tampered_redirect_uri_in_the_consent_form_is_refused(google):
    url = make_flow(google).authorization_url()[0]
    form = ConsentForm(requests.get(url, timeout=10).text)
    data = [(k, "https://evil.example/cb" if k == "redirect_uri" else v) for k, v in form.hidden()]
    data += [("email", WORKER), ("allow", "1")]

    answer = requests.post(urljoin(url, form.action), data=data, allow_redirects=False, timeout=10)

    assert answer.status_code == 400 and "redirect_uri_mismatch" in answer.text
    assert "Location" not in answer.headers


@pytest.mark.parametrize("prompt", ["consent", "none"])
def test_an_unknown_client_id_is_refused_at_the_consent_page(google, prompt):
    """No client is registered on first use, local mode included: a mistyped id fails here
    as it does at Google, before any sign-in and without redirecting."""
    flow = make_flow(google, client_id="platform-client.apps.googleusercontent.con")
    url, _ = flow.authorization_url(prompt=prompt, login_hint=WORKER)

    page = requests.get(url, allow_redirects=False, timeout=10)

    assert page.status_code == 401
    assert "Location" not in page.headers
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Error 401: invalid_client" in page.text
    assert "The OAuth client was not found." in page.text
    assert google.accounts.client("platform-client.apps.googleusercontent.con") is None


def test_an_unknown_client_id_is_refused_at_the_token_endpoint(google, http):
    code = consent(make_flow(google).authorization_url()[0])["code"]
    refresh_token = connect(google, access_type="offline")["refresh_token"]
    unknown = {"client_id": "never-registered", "client_secret": SECRET}

    exchanged = post_token(
        google, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI, **unknown
    )
    refreshed = post_token(
        google, grant_type="refresh_token", refresh_token=refresh_token, **unknown
    )
    basic = requests.post(
        google.base_url + "/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=("never-registered", SECRET),
        timeout=10,
    )

    for answer in (exchanged, refreshed, basic):
        assert answer.status_code == 401
        assert answer.json() == {
            "error": "invalid_client",
            "error_description": "The OAuth client was not found.",
        }
    assert google.accounts.client("never-registered") is None
    flow = make_flow(google, client_id="never-registered")
    with pytest.raises(InvalidClientError):
        flow.fetch_token(code=consent(make_flow(google).authorization_url()[0])["code"])
    credentials = Credentials(
        None,
        refresh_token=refresh_token,
        token_uri=google.base_url + "/token",
        client_id="never-registered",
        client_secret=SECRET,
    )
    with pytest.raises(RefreshError, match="invalid_client"):
        credentials.refresh(http)


def test_outside_local_mode_clients_must_be_registered_and_redirects_https():
    with GoogleStandIn(port=0, local_mode=False) as strict:
        url = make_flow(strict).authorization_url()[0]
        assert requests.get(url, timeout=10).status_code == 401  # invalid_client

        strict.register_client(CLIENT_ID, SECRET, [REDIRECT_URI, "https://app.example/getAuthKey"])
        assert requests.get(url, timeout=10).status_code == 400  # http redirect refused
        flow = make_flow(strict)
        flow.redirect_uri = "https://app.example/getAuthKey"
        assert requests.get(flow.authorization_url()[0], timeout=10).status_code == 200
        flow.redirect_uri = "https://other.example/getAuthKey"  # https, but not registered
        assert requests.get(flow.authorization_url()[0], timeout=10).status_code == 400


def test_local_mode_lets_plain_http_through_for_loopback_hosts_only(google):
    google.register_client(CLIENT_ID, redirect_uris=["http://app.example/getAuthKey"])
    flow = make_flow(google)
    flow.redirect_uri = "http://app.example/getAuthKey"  # registered, but neither https nor local

    assert requests.get(flow.authorization_url()[0], timeout=10).status_code == 400
    assert requests.get(make_flow(google).authorization_url()[0], timeout=10).status_code == 200


# -- /_test/ hooks ----------------------------------------------------------------
def clients_hook(google: GoogleStandIn, **body) -> requests.Response:
    return requests.post(google.base_url + "/_test/clients", json=body, timeout=10)


def test_client_hook_registers_a_client_as_the_cloud_console_does(google):
    other = "other-client.apps.googleusercontent.com"
    flow = make_flow(google, client_id=other, secret="other-secret")
    url = flow.authorization_url()[0]
    assert requests.get(url, timeout=10).status_code == 401

    answer = clients_hook(
        google, client_id=other, client_secret="other-secret", redirect_uris=[REDIRECT_URI]
    )

    assert answer.status_code == 200
    assert answer.json() == {
        "client_id": other,
        "client_secret": "other-secret",
        "redirect_uris": [REDIRECT_URI],
    }
    assert flow.fetch_token(code=consent(url)["code"])["access_token"]


def test_client_hook_without_a_secret_makes_one_nobody_knows(google):
    """Every client has a secret at Google: one registered without it is not open to any."""
    other = "secretless.apps.googleusercontent.com"

    answer = clients_hook(google, client_id=other, redirect_uris=[REDIRECT_URI]).json()

    assert answer["client_secret"].startswith("GOCSPX-")
    guess = make_flow(google, client_id=other, autogenerate_code_verifier=False)
    url = guess.authorization_url()[0]
    with pytest.raises(InvalidClientError):
        guess.fetch_token(code=consent(url)["code"])
    flow = make_flow(
        google, client_id=other, secret=answer["client_secret"], autogenerate_code_verifier=False
    )
    assert flow.fetch_token(code=consent(url)["code"])["access_token"]


def test_client_hook_updates_a_known_client(google):
    more = "https://app.example/getAuthKey"

    kept = clients_hook(
        google,
        client_id=CLIENT_ID,
        client_secret="typed-later",
        redirect_uris=[more],
        keep_secret=True,
    ).json()
    changed = clients_hook(google, client_id=CLIENT_ID, client_secret="rotated").json()
    unchanged = clients_hook(google, client_id=CLIENT_ID).json()

    assert kept == {
        "client_id": CLIENT_ID,
        "client_secret": SECRET,  # keep_secret: a secret once given stays
        "redirect_uris": sorted([REDIRECT_URI, more]),  # added, not replaced
    }
    assert changed["client_secret"] == unchanged["client_secret"] == "rotated"
    assert unchanged["redirect_uris"] == sorted([REDIRECT_URI, more])


def test_keep_secret_still_lets_a_client_learn_its_first_secret(google):
    """A client registered without a secret has one nobody knows; the first one given is
    taken even with keep_secret, and kept from then on."""
    made_up = clients_hook(google, client_id="c", redirect_uris=[REDIRECT_URI]).json()

    first = clients_hook(google, client_id="c", client_secret="first", keep_secret=True).json()
    second = clients_hook(google, client_id="c", client_secret="second", keep_secret=True).json()

    assert made_up["client_secret"] not in ("first", "second")
    assert first["client_secret"] == second["client_secret"] == "first"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"client_id": ""},
        {"client_id": "c", "redirect_uris": "https://app.example/cb"},
        {"client_id": "c", "redirect_uris": [""]},
        {"client_id": "c", "client_secret": 7},
        {"client_id": "c", "keep_secret": "yes"},
    ],
)
def test_client_hook_refuses_a_malformed_body(google, body):
    assert clients_hook(google, **body).status_code == 400
    assert google.accounts.client("c") is None


def test_token_hook_mints_an_access_token_for_any_account(google):
    answer = requests.post(
        google.base_url + "/_test/tokens",
        json={"email": "new.worker@example.com", "scopes": [EVENTS_READONLY]},
        timeout=10,
    )

    grant = google.accounts.resolve_access_token(answer.json()["access_token"])
    assert (grant.email, grant.scopes) == ("new.worker@example.com", {EVENTS_READONLY})
    assert google.accounts.get("new.worker@example.com") is not None
    bad = requests.post(google.base_url + "/_test/tokens", json={"scopes": []}, timeout=10)
    assert bad.status_code == 400


def test_expire_hook_forces_a_refresh_that_still_works(google, http):
    token = connect(google, access_type="offline")

    hook = requests.post(
        f"{google.base_url}/_test/accounts/{WORKER}/expire-access-tokens", timeout=10
    )

    assert hook.json() == {"expired": 1}
    assert google.accounts.resolve_access_token(token["access_token"]) is None
    credentials = user_credentials(google, token["refresh_token"])
    credentials.refresh(http)
    assert google.accounts.resolve_access_token(credentials.token).email == WORKER


def test_revoke_hook_makes_the_next_refresh_fail_with_invalid_grant(google, http):
    token = connect(google, access_type="offline")

    requests.post(
        f"{google.base_url}/_test/accounts/{WORKER}/revoke-tokens", timeout=10
    ).raise_for_status()

    assert google.accounts.resolve_access_token(token["access_token"]) is None
    with pytest.raises(RefreshError, match="invalid_grant") as failure:
        user_credentials(google, token["refresh_token"]).refresh(http)
    assert not failure.value.retryable
