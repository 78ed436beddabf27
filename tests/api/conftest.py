"""Requests sent exactly as written: the HTTP edge is tested on what really arrives.

`requests` normalises URLs on the way out (`/workers/..` becomes `/`, `%2E` becomes `.`), so
`send` prepares the request as usual, then puts the raw path back before sending it (and
does not follow redirects: the answer tested is the edge's own).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

Send = Callable[..., requests.Response]


@pytest.fixture
def send(stack) -> Iterator[Send]:
    session = requests.Session()

    def send(
        method: str,
        raw_path: str,
        *,
        token: str | None = None,
        role: str = "admin",
        worker: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        headers = dict(headers or {})
        if token is None:
            token = stack.token(role, "c1", worker)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        prepared = session.prepare_request(
            requests.Request(method, stack.url + "/", headers=headers, **kwargs)
        )
        prepared.url = stack.url + raw_path
        return session.send(prepared, timeout=30, allow_redirects=False)

    yield send
    session.close()
