from tests.push.conftest import company  # noqa: F401 (Acme, two connected workers, push only)
