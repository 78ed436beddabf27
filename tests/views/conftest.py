"""A two-way company whose workers' own Google events are imported, for the read side:
the views are asked through the HTTP API, as the platform's pages ask them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.helpers import wait_until
from tests.push.conftest import ANN, BEN, STATUSES, PushCompany

CARL = "carl@example.com"


def timed(summary: str, start: datetime, hours: float = 1, **fields) -> dict:
    """A Google event body from `start`, `hours` long."""
    end = start + timedelta(hours=hours)
    return {
        "summary": summary,
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": end.isoformat()},
        **fields,
    }


class ViewingCompany(PushCompany):
    def view(self, path: str, *, role: str = "admin", worker: str | None = None, **params):
        """GET a view; `params` go to the query (lists comma-joined); the raw response."""
        query = {k: ",".join(v) if isinstance(v, list | tuple) else v for k, v in params.items()}
        for name in ("from", "to"):
            if isinstance(query.get(name), datetime):
                query[name] = query[name].isoformat()
        return self.stack.request(
            "GET", path, role=role, company=self.id, worker=worker, params=query
        )

    def ok(self, path: str, **kwargs) -> dict:
        answer = self.view(path, **kwargs)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def blocks(self) -> dict[str, dict]:
        """Stored busy blocks by Google event id."""
        stored = self.stack.db.collection(f"companies/{self.id}/busy_blocks").stream()
        return {b.to_dict()["event_id"]: b.to_dict() for b in stored}

    def imported(self, *event_ids: str, gone: tuple[str, ...] = ()) -> None:
        """Wait until these events are stored as busy blocks and `gone` ones are not."""

        def arrived() -> bool:
            blocks = self.blocks()
            return all(e in blocks for e in event_ids) and not any(e in blocks for e in gone)

        wait_until(arrived, timeout=20, what=f"blocks {event_ids} in, {gone} out")


@pytest.fixture
def company(stack) -> ViewingCompany:
    return two_way_company(stack)


def two_way_company(stack) -> ViewingCompany:
    """Acme, two-way: Ann (w1, Oslo) and Ben (w2, New York) connected to their own Google
    accounts; no bookings yet."""
    company = ViewingCompany(stack)
    company.enable()
    for status_id, fields in STATUSES.items():
        company.put_status(status_id, *fields)
    company.add_worker("w1", ANN, name="Ann Hansen", timezone="Europe/Oslo")
    company.add_worker("w2", BEN, name="Ben Berg", timezone="America/New_York")
    for worker_id in ("w1", "w2"):
        company.connect(worker_id)
        company.wait_first_sync(worker_id)
    company.settled()
    return company
