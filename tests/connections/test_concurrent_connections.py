"""Many workers consenting at once, some sharing Google accounts (team inboxes): every consent
Google granted ends connected, each account is set up once, and nothing piles up in retries."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from tests.browser import connect_through_google
from tests.connections.test_lifecycle import calendars_named
from tests.helpers import wait_until

SHARED_ACCOUNTS = 5
WORKERS_PER_SHARED_ACCOUNT = 10
OWN_ACCOUNT_WORKERS = 20
# Calendar API calls per worker (the bound): the account's setup is shared by its workers.
MAX_CALENDAR_CALLS_PER_WORKER = 3
# No task may need more than two retries (three attempts): a busy account coalesces instead.
MAX_ATTEMPTS = 3


def _roster() -> dict[str, str]:
    """worker id -> the Google account it consents with."""
    roster = {
        f"team{a}-w{n}": f"team{a}@example.com"
        for a in range(SHARED_ACCOUNTS)
        for n in range(WORKERS_PER_SHARED_ACCOUNT)
    }
    roster.update({f"solo{n}": f"solo{n}@example.com" for n in range(OWN_ACCOUNT_WORKERS)})
    return roster


def test_seventy_consents_at_once_all_connect_with_one_setup_per_account(company):
    roster = _roster()
    company.enable()
    for worker_id, google_email in roster.items():
        company.add_worker(worker_id, google_email)
    links = {worker_id: company.link(worker_id) for worker_id in roster}
    google = company.stack.google
    google.reset_request_log()

    def consent(worker_id: str) -> str:
        landing = connect_through_google(links[worker_id], email=roster[worker_id])
        return landing.get("reason", landing["google_calendar"])

    with ThreadPoolExecutor(24) as pool:
        outcomes = dict(zip(roster, pool.map(consent, roster), strict=True))
    assert Counter(outcomes.values()) == Counter({"connected": len(roster)}), outcomes

    def all_synced() -> dict | None:
        listing = company.call("GET", "/connections").json()["workers"]
        states = {entry["worker_id"]: entry for entry in listing}
        done = all(
            states[w]["state"] == "connected" and states[w]["last_synced_at"] for w in roster
        )
        return states if done else None

    states = wait_until(all_synced, timeout=60, what="every worker's first sync")
    counts = google.call_counts()  # before this test's own look at the calendars below
    calendar_calls = sum(n for method, n in counts.items() if method.startswith("calendar."))
    assert calendar_calls <= MAX_CALENDAR_CALLS_PER_WORKER * len(roster), counts
    assert {w: states[w]["google_email"] for w in roster} == roster

    # Exactly one company calendar per Google account, shared by the account's workers.
    calendar_of = {w: company.connection(w)["company_calendar_id"] for w in roster}
    for google_email in set(roster.values()):
        owners = {calendar_of[w] for w, email in roster.items() if email == google_email}
        assert len(owners) == 1, (google_email, owners)
        assert len(calendars_named(company.stack, google_email, "Acme Plumbing")) == 1

    project = f"projects/{company.stack.config.project_id}/"
    finished = company.stack.tasks.finished_tasks(project)
    assert finished, "the tasks' history is empty"
    worst = max(finished, key=lambda task: task.attempts)
    assert worst.attempts <= MAX_ATTEMPTS, worst
    assert all(task.succeeded for task in finished)


def test_a_sync_that_died_holding_the_lease_blocks_the_account_for_seconds_only(company):
    """As if a sync crashed (or its release failed): its lease runs out soon, and a look
    asked for meanwhile happens then, without waiting for the sweeper or piling up retries."""
    company.enable()
    company.add_worker("w1", "ann@example.com")
    company.connect("w1")
    first = company.wait_first_sync("w1")
    (account,) = company.stack.db.collection("companies/c1/accounts").list_documents()
    dead_until = datetime.now(UTC) + timedelta(seconds=3)
    account.update({"sync_lease": {"holder": "a-sync-that-died", "until": dead_until}})

    assert company.call("POST", "/workers/w1/resync").status_code == 202
    status = wait_until(
        lambda: (s := company.connection("w1"))["last_synced_at"] != first["last_synced_at"] and s,
        timeout=15,
        what="the look once the dead lease ran out",
    )
    assert datetime.fromisoformat(status["last_synced_at"]) >= dead_until
    project = f"projects/{company.stack.config.project_id}/"
    assert max(task.attempts for task in company.stack.tasks.finished_tasks(project)) == 1
