"""`make run` prints the console's address with a token in the fragment (dev/console.py)."""

from __future__ import annotations

import jwt
import pytest

from dev.console import console_address
from shared.config import get_config


@pytest.fixture
def config(monkeypatch):
    monkeypatch.setenv("APP_MODE", "local")
    get_config.cache_clear()
    yield get_config()
    get_config.cache_clear()


def _claims(address: str, config) -> dict:
    token = address.split("#token=", 1)[1]
    return jwt.decode(token, config.jwt_secret, algorithms=["HS256"], audience=config.jwt_audience)


def test_the_address_carries_an_admin_token_in_the_fragment_only(config):
    address = console_address("http://127.0.0.1:8080/", "c1")
    assert address.startswith("http://127.0.0.1:8080/console#token=")
    assert "?" not in address
    claims = _claims(address, config)
    assert (claims["company_id"], claims["role"]) == ("c1", "admin")
    assert "worker_id" not in claims


def test_a_fieldworkers_address_names_the_worker(config):
    claims = _claims(console_address("http://h", "c2", "fieldworker", "w7"), config)
    assert (claims["company_id"], claims["role"]) == ("c2", "fieldworker")
    assert claims["worker_id"] == "w7"
    with pytest.raises(ValueError):
        console_address("http://h", "c2", "fieldworker")
