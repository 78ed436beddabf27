"""The grant's cached access token: handed out only while it has a margin left (no emulator)."""

from datetime import UTC, datetime, timedelta

import pytest
from google.auth.exceptions import RefreshError

from shared.config import load_config
from shared.domain.grant import EXPIRY_MARGIN, grant_id
from shared.google.credentials import cached_access_token
from shared.google.errors import oauth_error
from shared.secrets.crypto import secret_box

CONFIG = load_config({"APP_MODE": "local"})
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def cached(expires_in: timedelta) -> dict:
    sealed = secret_box(CONFIG).seal("ya29.cached", "grants/g1/access_token")
    return {"access_token": {"token": sealed, "expiry": (NOW + expires_in).isoformat()}}


@pytest.mark.parametrize(
    ("expires_in", "handed_out"),
    [
        (EXPIRY_MARGIN + timedelta(seconds=1), True),
        (EXPIRY_MARGIN, False),  # a sync may outlive a token this close to its end
        (EXPIRY_MARGIN - timedelta(seconds=1), False),
        (timedelta(seconds=-1), False),
    ],
)
def test_a_cached_token_is_used_only_with_its_margin_left(expires_in, handed_out):
    result = cached_access_token(CONFIG, "g1", cached(expires_in), now=NOW)
    assert (result is not None) is handed_out
    if handed_out:
        token, expiry = result
        assert token == "ya29.cached" and expiry.tzinfo is None  # google-auth's naive UTC


def test_a_token_sealed_for_another_grant_does_not_open():
    with pytest.raises(Exception, match="grants/g2/access_token"):
        cached_access_token(CONFIG, "g2", cached(timedelta(hours=1)), now=NOW)


def test_grant_ids_differ_per_client_and_account():
    ids = {grant_id(c, s) for c in ("platform", "private") for s in ("1", "2")}
    assert len(ids) == 4


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (
            RefreshError(
                "invalid_grant: Token has been expired or revoked.", {"error": "invalid_grant"}
            ),
            "invalid_grant",
        ),
        (
            RefreshError("invalid_client: Unauthorized", {"error": "invalid_client"}),
            "invalid_client",
        ),
        # Only Google's structured answer counts, never the message text.
        (RefreshError("invalid_grant: looks like one"), None),
    ],
)
def test_oauth_errors_are_read_from_googles_structured_answer(error, code):
    assert oauth_error(error) == code
