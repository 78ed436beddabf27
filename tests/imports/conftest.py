"""A company importing its workers' Google events, and ways to drive and watch the import:
the account holder's hooks on the Google stand-in, the doorbell (`/notifications`), the
cron jobs and the stored blocks, as in production."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dev.tokens import service_token
from shared.queue.tasks import tasks_client
from tests.helpers import wait_until
from tests.push.conftest import ANN, STATUSES, PushCompany


def timed(summary: str, start, hours: int = 1, **fields) -> dict:
    end = start + timedelta(hours=hours)
    return {
        "summary": summary,
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": end.isoformat()},
        **fields,
    }


class ImportingCompany(PushCompany):
    def blocks(self) -> dict[str, dict]:
        """Busy blocks by Google event id."""
        stored = self.stack.db.collection(f"companies/{self.id}/busy_blocks").stream()
        return {b.to_dict()["event_id"]: b.to_dict() for b in stored}

    def stored_blocks(self) -> list[dict]:
        """Every stored busy block (duplicates would show here, not in `blocks`)."""
        stored = self.stack.db.collection(f"companies/{self.id}/busy_blocks").stream()
        return [b.to_dict() for b in stored]

    def cron(self, job: str, body: dict | None = None) -> dict:
        """Fire a Cloud Scheduler job as the scheduler would; its answer."""
        token = service_token(self.stack.config, f"/cron/{job}")
        answer = self.stack.request("POST", f"/cron/{job}", token=token, json=body or {})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def poll_all(self) -> int:
        """Fire the poll job for every calendar; returns how many imports it asked for."""
        return self.cron("poll", {"all": True})["calendars"]

    def imports(self) -> list[dict]:
        stored = self.stack.db.collection(f"companies/{self.id}/calendar_imports").stream()
        return [i.to_dict() for i in stored]

    def import_of(self, calendar_id: str) -> dict | None:
        found = [i for i in self.imports() if i.get("calendar_id") == calendar_id]
        return found[0] if found else None

    def imported(self, after=None) -> None:
        """Wait until every import has finished a run (after `after`, if given)."""

        def finished() -> bool:
            imports = self.imports()
            return bool(imports) and all(
                not i.get("sync_lease")
                and i.get("last_import_at")
                and (after is None or i["last_import_at"] > after)
                for i in imports
            )

        wait_until(finished, timeout=20, what="imports finished")

    def channel(self, calendar_id: str | None = None) -> dict:
        """The events channel of the calendar (the only import's if None), once open."""

        def opened():
            imports = self.imports()
            if calendar_id is not None:
                imports = [i for i in imports if i.get("calendar_id") == calendar_id]
            return len(imports) == 1 and imports[0].get("channel")

        return wait_until(opened, timeout=20, what="the calendar's channel open")

    def list_channel(self, sub: str | None = None) -> dict:
        """The channel on the (only) account's calendar list, once open."""
        return wait_until(
            lambda: self.account(sub).get("calendar_list_channel"),
            timeout=20,
            what="the calendar-list channel open",
        )

    def channel_docs(self, kind: str = "events") -> dict[str, dict]:
        """Our open channels of one kind (`events`, `calendar_list`), by id."""
        stored = self.stack.db.collection("channels").stream()
        return {c.id: c.to_dict() for c in stored if c.to_dict().get("kind") == kind}

    def deliveries(self, channel_id: str) -> list[dict]:
        """The stand-in's push deliveries to the channel so far (dropped ones included)."""
        return [d for d in self.stack.google.notifications() if d.get("channelId") == channel_id]

    def notified(self) -> list[dict]:
        """Wait until the stand-in has delivered (or dropped) every queued push message."""
        return self.stack.google.wait_for_notifications(timeout=20)


@pytest.fixture
def company(stack) -> ImportingCompany:
    company = ImportingCompany(stack)
    company.enable()
    for status_id, fields in STATUSES.items():
        company.put_status(status_id, *fields)
    company.add_worker("w1", ANN, name="Ann Hansen", timezone="Europe/Oslo")
    return company


def connect(company: ImportingCompany, worker_id: str = "w1", email: str | None = None) -> None:
    company.connect(worker_id, email=email)
    company.wait_first_sync(worker_id)
    company.settled()


def notify(company, channel_id: str, token: str, resource_id: str, state: str = "exists"):
    headers = {
        "X-Goog-Channel-ID": channel_id,
        "X-Goog-Channel-Token": token,
        "X-Goog-Resource-ID": resource_id,
        "X-Goog-Resource-State": state,
        "X-Goog-Message-Number": "7",
    }
    return company.stack.request("POST", "/notifications", token="", headers=headers)


def replay(company, delivery: dict):
    """Send a notification the stand-in delivered once again, headers and all (Google's
    duplicates and late redeliveries look like this)."""
    headers = {k: v for k, v in delivery["headers"].items() if k.lower().startswith("x-goog-")}
    return company.stack.request("POST", "/notifications", token="", headers=headers)


def imports_asked(company) -> int:
    """Import tasks created so far: finished, and waiting in the queue (a request for an
    import creates its task before the notification is answered)."""
    return _tasks_named(company, "/tasks/import-")


def account_syncs_asked(company) -> int:
    return _tasks_named(company, "/tasks/account-")


def _tasks_named(company, part: str) -> int:
    """Distinct tasks so far whose name has `part`. The queue is read before the finished
    list: a task finishing in between is in both (counted once), never in neither."""
    config = company.stack.config
    waiting = tasks_client(config).list_tasks(parent=config.queue_path(config.sync_queue))
    names = {task.name for task in waiting}
    finished = company.stack.tasks.finished_tasks(f"projects/{config.project_id}/")
    names |= {task.name for task in finished}
    return sum(1 for name in names if part in name)
