"""The sweeper re-asks exactly for the looks that waited longer than STALE_AFTER (2 minutes)."""

from datetime import UTC, datetime, timedelta

import pytest

from dev.tokens import service_token
from shared.queue.tasks import tasks_client
from tests.helpers import wait_until

STALE_AFTER = timedelta(minutes=2)  # the threshold shared/sweep.py documents, pinned here


def sync_queue_drained(stack) -> bool:
    """Every sync task queued so far was delivered (the emulator forgets a task once it
    succeeded), so a look that was asked for has happened."""
    queue = stack.config.queue_path(stack.config.sync_queue)
    return not list(tasks_client(stack.config).list_tasks(parent=queue))


@pytest.mark.full_firestore  # the sweeper's collection-group query
def test_sweep_takes_a_marker_just_over_the_threshold_and_leaves_one_just_under(stack):
    now = datetime.now(UTC)
    margin = timedelta(seconds=10)
    # As if PUT /workers committed its marker but the enqueue was lost.
    over = stack.db.document("companies/c1/workers/over")
    under = stack.db.document("companies/c1/workers/under")
    over.set({"name": "Over", "sync_pending_since": now - STALE_AFTER - margin})
    under.set({"name": "Under", "sync_pending_since": now - STALE_AFTER + margin})

    token = service_token(stack.config, "/cron/sweep")
    response = stack.request("POST", "/cron/sweep", token=token)
    assert response.status_code == 200, response.text
    assert response.json() == {"job": "sweep", "requeued": 1}

    # The requeued look reaches the worker; none reaches the one still within its time.
    wait_until(lambda: over.get().to_dict().get("last_looked_at"), timeout=15, what="look")
    wait_until(lambda: sync_queue_drained(stack), timeout=15, what="sync queue drained")
    assert over.get().to_dict()["sync_pending_since"] is None
    left = under.get().to_dict()
    assert "last_looked_at" not in left
    assert left["sync_pending_since"] == now - STALE_AFTER + margin
