"""An invitation link and an OAuth `state` are signed with the same secret; neither is taken
for the other. Each forged token below carries every claim of the real one and is signed
with the real secret, so only its purpose (`typ`) can stop it."""

from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt

from shared.secrets import signing
from tests.browser import consent, follow, query_of


def claims_of(token: str) -> dict:
    claims = jwt.decode(token, options={"verify_signature": False})
    return {name: value for name, value in claims.items() if name not in ("typ", "iat", "exp")}


def resigned(config, token: str, purpose: str) -> str:
    """`token`'s own claims, signed for another purpose with the real signing secret."""
    return signing.sign(config, purpose, claims_of(token), timedelta(minutes=15))


def with_state(callback: str, state: str) -> str:
    parts = urlsplit(callback)
    query = {**dict(parse_qsl(parts.query)), "state": state}
    return parts._replace(query=urlencode(query)).geturl()


def invite_of(link: str) -> str:
    return query_of(link)["invite"]


def test_an_invitation_is_not_an_oauth_state(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    link = company.link("w1")
    callback = consent(follow(link))  # Google's redirect back, with a real code and state
    state = query_of(callback)["state"]
    config = company.stack.config

    for not_a_state in (invite_of(link), resigned(config, state, "invite")):
        landing = query_of(follow(with_state(callback, not_a_state)))
        assert landing == {"google_calendar": "error", "reason": "invalid_state"}
    assert company.connection("w1")["state"] == "invited"

    # The attempt was left untouched: the real state still completes it.
    assert query_of(follow(callback)) == {"google_calendar": "connected", "worker_id": "w1"}


def test_an_oauth_state_is_not_an_invitation(company):
    company.enable()
    company.add_worker("w1", "ann@example.com")
    link = company.link("w1")

    def connect(invite: str) -> dict:
        return query_of(follow(f"{company.stack.url}/connect?{urlencode({'invite': invite})}"))

    as_state = resigned(company.stack.config, invite_of(link), "oauth_state")
    assert connect(as_state) == {"google_calendar": "error", "reason": "invalid_invite"}

    # The link signed for its purpose goes to Google's consent screen...
    google_url = follow(link)
    assert google_url.startswith(company.stack.google.base_url + "/o/oauth2/v2/auth?")
    # ...and the state Google was handed there opens nothing either.
    state = query_of(google_url)["state"]
    assert connect(state) == {"google_calendar": "error", "reason": "invalid_invite"}


def test_links_and_states_carry_their_expiry(company):
    # A token without `exp` would open forever; the lifetimes are the documented ones.
    company.enable()
    company.add_worker("w1", "ann@example.com")
    link = company.link("w1")
    state = query_of(follow(link))["state"]
    secret = company.stack.config.signing_secret
    for token, lifetime in ((invite_of(link), timedelta(days=14)), (state, timedelta(minutes=15))):
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["exp", "iat"]}
        )
        assert claims["exp"] - claims["iat"] == lifetime.total_seconds()
