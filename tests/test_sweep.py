"""A lost enqueue loses nothing: the sweeper finds the pending marker."""

from datetime import UTC, datetime, timedelta

import pytest

from dev.tokens import service_token
from tests.helpers import wait_until


@pytest.mark.full_firestore  # collection-group query
def test_sweep_requeues_a_worker_whose_task_was_lost(stack):
    stale = datetime.now(UTC) - timedelta(minutes=10)
    fresh = datetime.now(UTC)
    # As if PUT /workers committed but the enqueue never happened.
    worker = stack.db.document("companies/c1/workers/lost")
    worker.set({"name": "Lost", "sync_pending_since": stale})
    stack.db.document("companies/c1/workers/recent").set({"name": "R", "sync_pending_since": fresh})

    token = service_token(stack.config, "/cron/sweep")
    response = stack.request("POST", "/cron/sweep", token=token)
    assert response.status_code == 200, response.text
    assert response.json() == {"job": "sweep", "requeued": 1}

    wait_until(lambda: worker.get().to_dict().get("last_looked_at"), timeout=15)
    assert worker.get().to_dict()["sync_pending_since"] is None
    recent = stack.db.document("companies/c1/workers/recent").get().to_dict()
    assert recent["sync_pending_since"] is not None  # not yet stale: left to its own task


def test_unknown_cron_job_is_404(stack):
    token = service_token(stack.config, "/cron/nonsense")
    response = stack.request("POST", "/cron/nonsense", token=token)
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "job"


def test_cron_refuses_platform_tokens(stack):
    assert stack.request("POST", "/cron/sweep", role="system").status_code == 401
