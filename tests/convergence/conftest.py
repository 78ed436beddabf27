"""The suite waits seconds, not half a minute, for an answer Google sits on (`Timeout`)."""

import pytest

from shared.config import get_config
from tests.convergence.world import GOOGLE_TIMEOUT


@pytest.fixture(autouse=True)
def short_google_timeout(monkeypatch) -> None:
    # Autouse: set before `stack` reads the settings.
    monkeypatch.setenv("GOOGLE_TIMEOUT", str(GOOGLE_TIMEOUT))
    get_config.cache_clear()
