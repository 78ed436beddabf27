"""The stand-in's state survives a restart through `save_state` / `load_state` (KEEP=1)."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from emulators.google import GoogleStandIn
from emulators.google.state import StateError
from tests.google.conftest import (
    ADA,
    SCOPE,
    all_items,
    service_for,
    stop_in_background,
    sync_token,
)

CLIENT_ID = "platform-client.apps.googleusercontent.com"
SECRET = "platform-secret"
REDIRECT_URI = "http://127.0.0.1:8080/getAuthKey"  # never contacted
SCOPES = ["openid", "email", SCOPE + "calendar"]


def consent_and_exchange(standin: GoogleStandIn, email: str = ADA) -> dict:
    """The consent form's answer and the code exchange, over HTTP: the token response."""
    form = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "access_type": "offline",
        "requested_scope": " ".join(SCOPES),
        "email": email,
        "allow": "1",
    }
    answer = requests.post(
        standin.base_url + "/o/oauth2/v2/auth/approve",
        data=[*form.items(), *(("scope", s) for s in SCOPES)],
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    code = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))["code"]
    return token_request(
        standin, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI
    )


def token_request(standin: GoogleStandIn, **form: str) -> dict:
    form |= {"client_id": CLIENT_ID, "client_secret": SECRET}
    answer = requests.post(standin.base_url + "/token", data=form, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def restarted(tmp_path):
    """`restarted(old)`: save `old`'s state, stop it, and start a new stand-in from the file."""
    started: list[GoogleStandIn] = []

    def restart(old: GoogleStandIn) -> GoogleStandIn:
        path = tmp_path / "google.json"
        old.save_state(path)
        stop_in_background(old)
        new = GoogleStandIn(port=0)
        assert new.load_state(path)
        started.append(new.start())
        return new

    yield restart
    for standin in started:
        stop_in_background(standin)


def test_grants_calendars_events_and_sync_tokens_survive_a_restart(google, restarted, receiver):
    google.register_client(CLIENT_ID, SECRET, [REDIRECT_URI])
    tokens = consent_and_exchange(google)
    api = service_for(google, tokens["access_token"])
    calendar = api.calendars().insert(body={"summary": "Acme"}).execute()
    event = {
        "summary": "Job",
        "start": {"dateTime": "2030-01-07T09:00:00Z"},
        "end": {"dateTime": "2030-01-07T10:00:00Z"},
    }
    inserted = api.events().insert(calendarId=calendar["id"], body=event).execute()
    listed_up_to = sync_token(api.events(), calendarId=calendar["id"])
    channel = (
        api.events()
        .watch(
            calendarId=calendar["id"],
            body={"id": "chan-1", "type": "web_hook", "address": receiver.url},
        )
        .execute()
    )
    receiver.wait_for(1)  # the channel's sync message
    keys_before = requests.get(google.base_url + "/oauth2/v3/certs", timeout=10).json()

    new = restarted(google)

    # The refresh token still works, and so does the access token issued before.
    refreshed = token_request(
        new, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    for token in (refreshed["access_token"], tokens["access_token"]):
        api = service_for(new, token)
        got = api.events().get(calendarId=calendar["id"], eventId=inserted["id"]).execute()
        assert got == inserted
    assert requests.get(new.base_url + "/oauth2/v3/certs", timeout=10).json() == keys_before
    # The sync token from before the restart is still valid and sees only later changes.
    api.events().patch(
        calendarId=calendar["id"], eventId=inserted["id"], body={"summary": "Moved"}
    ).execute()
    changes = all_items(api.events(), calendarId=calendar["id"], syncToken=listed_up_to)
    assert [(e["id"], e["summary"]) for e in changes] == [(inserted["id"], "Moved")]
    assert changes[0]["etag"] != inserted["etag"]
    # The push channel is still open and goes on numbering its messages.
    (_, second) = receiver.wait_for(2)
    assert second["X-Goog-Channel-Id"] == channel["id"]
    assert second["X-Goog-Resource-State"] == "exists"
    assert int(second["X-Goog-Message-Number"]) > 1
    # The account's calendars are what they were.
    assert [c["summary"] for c in new.calendar_list(ADA)] == [ADA, "Acme"]


def test_registered_clients_are_kept_and_unknown_ones_stay_unknown(google, restarted):
    google.register_client(CLIENT_ID, SECRET, [REDIRECT_URI])
    new = restarted(google)
    kept = new.accounts.client(CLIENT_ID)
    assert (kept.secret, kept.redirect_uris) == (SECRET, {REDIRECT_URI})
    assert new.accounts.client("never-registered") is None
    tokens = consent_and_exchange(new)  # the kept client works as before
    assert tokens["refresh_token"]


def test_a_client_kept_without_a_secret_gets_one_nobody_knows(google, tmp_path):
    """Stand-ins used to keep clients registered on use, without a secret: such a client
    takes no secret on first use any more."""
    path = tmp_path / "google.json"
    google.save_state(path)
    state = json.loads(path.read_text())
    state["accounts"]["clients"] = [
        {"client_id": CLIENT_ID, "secret": None, "redirect_uris": [REDIRECT_URI]}
    ]
    path.write_text(json.dumps(state))
    new = GoogleStandIn(port=0)
    assert new.load_state(path)
    assert new.accounts.client(CLIENT_ID).secret not in (None, "", SECRET)


def test_service_accounts_keep_their_keys(google, restarted):
    made = google.accounts.create_service_account("acme.example", [SCOPE + "calendar"])
    new = restarted(google)
    kept = new.accounts.service_account(made.email)
    assert (kept.client_id, kept.domain, kept.delegated_scopes) == (
        made.client_id,
        made.domain,
        made.delegated_scopes,
    )
    assert kept.key.kid == made.key.kid and kept.key.certificate == made.key.certificate
    assert kept.key.private_key_pem() == made.key.private_key_pem()


def test_a_new_stand_in_without_a_saved_state_starts_empty(tmp_path):
    standin = GoogleStandIn(port=0)
    assert standin.load_state(tmp_path / "missing.json") is False
    assert standin.accounts.get(ADA) is None


def test_a_state_file_of_another_format_is_refused(tmp_path):
    path = tmp_path / "google.json"
    path.write_text(json.dumps({"format": 0}))
    with pytest.raises(StateError):
        GoogleStandIn(port=0).load_state(path)
    path.write_text("{not json")
    with pytest.raises(StateError):
        GoogleStandIn(port=0).load_state(path)
