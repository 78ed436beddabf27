"""The whole loop: request → Firestore + task → Cloud Tasks emulator → /tasks/sync → Firestore."""

from tests.helpers import wait_until


def test_worker_change_reaches_the_sync_task(stack):
    body = {
        "name": "Ada Field",
        "email": "ada@example.com",
        "active": True,
        "timezone": "Europe/Oslo",
    }
    response = stack.request("PUT", "/workers/w1", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["timezone"] == "Europe/Oslo"

    worker = stack.db.document("companies/c1/workers/w1")

    def looked_at():
        record = worker.get().to_dict()
        return record if record.get("last_looked_at") else None

    record = wait_until(looked_at, timeout=15, what="the sync task to settle the worker")
    assert record["name"] == "Ada Field"
    assert record["sync_pending_since"] is None
    assert record["last_looked_at"] >= record["updated_at"]
