import pytest

from emulators.google import GoogleStandIn


@pytest.fixture
def google():
    """A fresh stand-in per test, on a free port."""
    with GoogleStandIn(port=0) as standin:
        yield standin
