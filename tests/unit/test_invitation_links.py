"""Invitation links and the consent round trip's derived values (no emulator, no HTTP)."""

import base64
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from shared.config import load_config
from shared.secrets import signing
from shared.services.consent import code_verifier, platform_return
from shared.services.invitations import (
    INVITE_LIFETIME,
    Invite,
    InviteError,
    _with_link,
    connect_url,
    read_invite,
)

SECRET = "unit-tests-signing-secret-0123456789abcdef"
BASE = "https://sync.example.com"
RETURN = "https://platform.example.com/calendar/return"


def config(**env):
    return load_config(
        {
            "APP_MODE": "local",
            "PUBLIC_BASE_URL": BASE,
            "PLATFORM_RETURN_URL": RETURN,
            "SIGNING_SECRET": SECRET,
            **env,
        }
    )


CONFIG = config()


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["invite"][0]


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def reason_of(token: str) -> str:
    with pytest.raises(InviteError) as raised:
        read_invite(CONFIG, token)
    assert str(raised.value) == raised.value.reason
    return raised.value.reason


# -- connect_url / read_invite ------------------------------------------------------


def test_a_link_names_its_invitation():
    url = connect_url(CONFIG, "c1", "w1", "inv-1")
    assert url.startswith(f"{BASE}/connect?invite=")
    assert read_invite(CONFIG, token_of(url)) == Invite("c1", "w1", "inv-1")


def test_a_trailing_slash_on_the_base_does_not_double():
    url = connect_url(config(PUBLIC_BASE_URL=BASE + "/"), "c1", "w1", "inv-1")
    assert url.startswith(f"{BASE}/connect?invite=")


def test_a_link_lives_fourteen_days_by_default():
    assert timedelta(days=14) == INVITE_LIFETIME
    claims = claims_of(token_of(connect_url(CONFIG, "c1", "w1", "inv-1")))
    assert claims["exp"] - claims["iat"] == 14 * 24 * 3600
    assert claims["typ"] == "invite"
    short = claims_of(token_of(connect_url(CONFIG, "c1", "w1", "inv-1", timedelta(hours=1))))
    assert short["exp"] - short["iat"] == 3600


def test_an_expired_link_says_so():
    url = connect_url(CONFIG, "c1", "w1", "inv-1", lifetime=timedelta(seconds=-5))
    assert reason_of(token_of(url)) == "expired_invite"


def test_a_tampered_link_is_invalid():
    header, payload, signature = token_of(connect_url(CONFIG, "c1", "w1", "inv-1")).split(".")
    claims = {**claims_of(f"{header}.{payload}.{signature}"), "worker_id": "w2"}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert reason_of(f"{header}.{forged}.{signature}") == "invalid_invite"


def test_a_link_signed_with_another_secret_is_invalid():
    other = config(SIGNING_SECRET="another-signing-secret-0123456789abcdef")
    assert reason_of(token_of(connect_url(other, "c1", "w1", "inv-1"))) == "invalid_invite"


def test_a_token_for_another_purpose_is_no_invitation():
    claims = {"company_id": "c1", "worker_id": "w1", "iid": "inv-1", "jti": "attempt"}
    state = signing.sign(CONFIG, "oauth_state", claims, timedelta(minutes=15))
    assert reason_of(state) == "invalid_invite"


@pytest.mark.parametrize(
    "claims",
    [
        {"company_id": "c1", "worker_id": "w1"},  # minted before invitations had ids
        {"company_id": "c1", "worker_id": "w1", "iid": ""},
        {"company_id": "c1", "worker_id": "", "iid": "inv-1"},
        {"company_id": 7, "worker_id": "w1", "iid": "inv-1"},
        {"worker_id": "w1", "iid": "inv-1"},
    ],
)
def test_an_invite_without_all_three_ids_is_invalid(claims):
    assert reason_of(signing.sign(CONFIG, "invite", claims, timedelta(days=1))) == "invalid_invite"


@pytest.mark.parametrize("token", ["", "not-a-token", "a.b.c"])
def test_garbage_is_invalid(token):
    assert reason_of(token) == "invalid_invite"


# -- _with_link ---------------------------------------------------------------------

LINK = f"{BASE}/connect?invite=REAL.TOKEN.x"


def test_the_previews_sample_link_is_replaced():
    sample = connect_url(CONFIG, "c1", "w1", "preview")
    text = f"Hi Ana,\n\nConnect your Google Calendar: {sample}\n\nThanks\n"
    assert _with_link(CONFIG, text, LINK) == (
        f"Hi Ana,\n\nConnect your Google Calendar: {LINK}\n\nThanks\n"
    )


def test_a_pasted_link_is_replaced_even_mid_sentence():
    text = f"Click {BASE}/connect?invite=abc.DEF_-~%2E.ghi now, or ({BASE}/connect?invite=) later"
    assert _with_link(CONFIG, text, LINK) == f"Click {LINK} now, or ({LINK}) later"


def test_the_full_stop_after_a_pasted_link_is_kept():
    text = f"Please click {BASE}/connect?invite=abc.def.ghi. Thanks"
    assert _with_link(CONFIG, text, LINK) == f"Please click {LINK}. Thanks"


def test_the_link_is_added_when_the_text_has_none():
    assert _with_link(CONFIG, "Hi Ana,\n\nPlease connect.\n\n  ", LINK) == (
        f"Hi Ana,\n\nPlease connect.\n\nConnect your Google Calendar: {LINK}\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        "See https://other.example.com/connect?invite=abc",
        f"See {BASE}/connect without a token",
        f"See {BASE}/other?invite=abc",
    ],
)
def test_links_elsewhere_are_not_replaced(text):
    assert _with_link(CONFIG, text, LINK) == (f"{text}\n\nConnect your Google Calendar: {LINK}\n")


def test_a_link_with_regex_characters_in_it_is_inserted_verbatim():
    link = f"{BASE}/connect?invite=a\\1b"
    assert _with_link(CONFIG, f"Go: {BASE}/connect?invite=old", link) == f"Go: {link}"


# -- the consent round trip's derived values ----------------------------------------


def test_the_pkce_verifier_is_43_url_safe_characters_derived_per_attempt():
    first = code_verifier(CONFIG, "attempt-1")
    assert first == "4fjq_gD_nCT7qGD_t435OLz91dMwdwLRzVyZd4jFB5s"  # in-flight attempts keep it
    assert len(first) == 43
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", first)
    assert code_verifier(CONFIG, "attempt-1") == first
    assert code_verifier(CONFIG, "attempt-2") == "m7JOjFDMVf1YruLBuOvRLQZ6NCh9KAD4oj8hQwabgMo"


def test_the_pkce_verifier_depends_on_the_signing_secret():
    other = config(SIGNING_SECRET="another-signing-secret-0123456789abcdef")
    assert code_verifier(other, "attempt-1") != code_verifier(CONFIG, "attempt-1")


def test_the_platform_return_adds_a_query():
    assert platform_return(CONFIG, google_calendar="connected", worker_id="w 1") == (
        f"{RETURN}?google_calendar=connected&worker_id=w+1"
    )


def test_the_platform_return_extends_an_existing_query():
    with_query = config(PLATFORM_RETURN_URL=f"{RETURN}?tab=calendar")
    assert platform_return(with_query, google_calendar="error", reason="invite_used") == (
        f"{RETURN}?tab=calendar&google_calendar=error&reason=invite_used"
    )
