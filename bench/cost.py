"""What a worker costs in Google calls a day, from calls measured here, and how many workers
one Google Cloud project serves before its quotas.

One worker with a Google account holding two calendars of its own (primary and a
"Personal" one, `calendar_events` events each, both imported), `bookings` future bookings
pushed. Each chore is done once on the settled stack and its Calendar calls counted:

- a booking change (several, averaged);
- a change the account holder makes in Google (several, averaged);
- the backstop poll of each imported calendar (`/cron/poll`, nothing changed);
- channel renewal: the three channels (two calendars, the calendar list) made to expire
  within the renewal margin, then `/cron/renew-channels`;
- the daily window slide: each import's window made a day old, then a poll (the day that
  came into view listed, then the increment, in place of one incremental import: the model
  counts what it costs beyond one);
- the daily drift repair (`/cron/reconcile`).

The stated workload per worker and day: 5 booking changes, 10 Google-side changes, 2
imported calendars polled once per POLL_INTERVAL, 3 channels renewed about every 5 days
(Google's 7-day channels, renewed 48 hours before they end), the window slide, the drift
repair. The naive baseline's day is priced from its own measured calls (naive.py).
Pages are full here (2,500 events): Google may cut them shorter (imports.py measures how
much that adds).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from bench import first_sync, push, scenario
from bench.naive import NaiveCalendar
from bench.stack import LocalStack

MINUTE_QUOTA = 10_000  # Calendar API requests per minute per project
DAILY_THRESHOLD = 1_000_000  # requests per project per day before billing
WORKLOAD = {
    "booking_changes": 5,
    "google_changes": 10,
    "imported_calendars": 2,
    "channels": 3,
    "renewal_every_days": 5,
    "working_hours": 8,  # when changes happen, for the busiest minute
}
POLL_CRON_MINUTES = 15  # infra/schedules.json: poll
WORKER = "k0"


def _chore(stack: LocalStack, config, do) -> dict[str, int]:
    stack.settle(config)
    stack.google.reset_request_log()
    do()
    stack.settle(config)
    return scenario.calendar_calls(stack)


def _cron(stack: LocalStack, config, job: str, body: dict | None = None) -> dict:
    answer = stack.http.post(
        f"{stack.url}/cron/{job}",
        headers=scenario.service(config, f"/cron/{job}"),
        json=body or {},
        timeout=120,
    )
    answer.raise_for_status()
    return answer.json()


def _expire_channels(config) -> int:
    """Every channel of the project ends in an hour (inside the renewal margin), as if five
    days had passed: the channel records, and the copies the imports and account keep."""
    store = scenario.store(config)
    soon = datetime.now(UTC) + timedelta(hours=1)
    n = 0
    for snapshot in store.client.collection("channels").stream():
        snapshot.reference.update({"expiration": soon})
        n += 1
    for snapshot in store.calendar_imports(scenario.COMPANY).stream():
        if (snapshot.to_dict() or {}).get("channel"):
            snapshot.reference.update({"channel.expiration": soon})
    for snapshot in store.accounts(scenario.COMPANY).stream():
        if (snapshot.to_dict() or {}).get("calendar_list_channel"):
            snapshot.reference.update({"calendar_list_channel.expiration": soon})
    return n


def _age_windows(config) -> int:
    """Each import's window a day old, as if a day had passed: its next import slides the
    window (lists the day that came into view, drops what fell out, goes on from its
    token; older imports without a stored window end list everything again)."""
    store = scenario.store(config)
    n = 0
    for snapshot in store.calendar_imports(scenario.COMPANY).stream():
        state = snapshot.to_dict() or {}
        moved = {
            field: state[field] - timedelta(days=1)
            for field in ("window_start", "window_end")
            if state.get(field)
        }
        if moved:
            snapshot.reference.update(moved)
            n += 1
    return n


def measure(
    stack: LocalStack,
    *,
    calendar_events: int,
    bookings: int,
    booking_changes: int = 5,
    google_changes: int = 10,
    progress=None,
) -> dict:
    config = stack.new_project()
    stack.google.set_paging()
    headers = scenario.company(stack, config)
    email = scenario.email_of(WORKER)
    personal = stack.google.create_calendar(email, "Personal")["id"]
    scenario.populate(stack, email, "primary", calendar_events)
    scenario.populate(stack, email, personal, calendar_events)
    scenario.add_workers(stack, config, [WORKER])
    preloaded = first_sync.bookings_for(WORKER, bookings)
    scenario.put_bookings(stack, config, preloaded)
    calendar_id = scenario.connect_all(stack, config, [WORKER])[WORKER]["company_calendar_id"]
    stack.settle(config)
    measured: dict[str, dict] = {}
    live = sorted(preloaded.items())

    def booking_change() -> None:
        for n in range(booking_changes):
            booking_id, body = live[n % len(live)]
            suburb = f"Cost {n}"
            version = 100 + n
            changed = {**body, "version": version, "suburb": suburb}
            push.send(
                stack,
                headers,
                push.Change(n, "reschedule", booking_id, WORKER, version, changed, suburb),
            )
            stack.settle(config)

    measured["booking_change"] = {
        "calls": _chore(stack, config, booking_change),
        "per": booking_changes,
    }
    _tick(progress)

    ids = {
        cal: [e["id"] for e in stack.google.events(email, cal) if not e.get("transparency")]
        for cal in ("primary", personal)
    }

    def google_change() -> None:
        base = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=3)
        for n in range(google_changes):
            cal = ("primary", personal)[n % 2]
            body = scenario.timed_event(f"Moved {n}", base + timedelta(hours=n))
            stack.google.patch_event(email, cal, ids[cal][n], body)
            stack.settle(config)

    measured["google_change"] = {
        "calls": _chore(stack, config, google_change),
        "per": google_changes,
    }
    _tick(progress)
    counted: dict[str, int] = {}

    def poll() -> None:
        counted["poll"] = _cron(stack, config, "poll", {"all": True})["calendars"]

    def renew() -> None:
        counted["renewal"] = _expire_channels(config)
        _cron(stack, config, "renew-channels")

    def slide() -> None:
        counted["window_slide"] = _age_windows(config)
        _cron(stack, config, "poll", {"all": True})

    def reconcile() -> None:
        counted["reconcile"] = 1
        _cron(stack, config, "reconcile")

    for name, chore in (
        ("poll", poll),
        ("renewal", renew),
        ("window_slide", slide),
        ("reconcile", reconcile),
    ):
        measured[name] = {"calls": _chore(stack, config, chore), "per": counted[name]}
        _tick(progress)
    for entry in measured.values():
        entry["calls_each"] = round(scenario.total_calls(entry["calls"]) / max(1, entry["per"]), 3)

    naive = _naive(stack, config, calendar_events, bookings)
    _tick(progress)
    interval = config.poll_interval
    return {
        "calendar_events": calendar_events,
        "bookings": bookings,
        "company_calendar": calendar_id,
        "measured": measured,
        "naive_measured": naive,
        "model": model(measured, naive, interval),
    }


def _tick(progress) -> None:
    if progress is not None:
        progress.update(1)


def _naive(stack: LocalStack, config, calendar_events: int, bookings: int) -> dict:
    """The naive sync's calls for one booking change (a calendar of `bookings` events
    rewritten) and one Google change (a calendar of `calendar_events` listed again)."""
    from shared.sync.busy_import import window

    pusher = NaiveCalendar.open(stack, config, scenario.email_of("naive-k0"))
    desired = {
        push.naive_event_id(booking_id): push.naive_body(body)
        for booking_id, body in first_sync.bookings_for("naive-k0", bookings).items()
    }
    pusher.push(desired, None)  # its first sync, not counted
    runs = [pusher.push(desired, None) for _ in range(3)]
    email = scenario.email_of("naive-k0i")
    scenario.populate(stack, email, "primary", calendar_events)
    lister = NaiveCalendar.open(stack, config, email, calendar_id=email)
    since, until = window(config, datetime.now(UTC))
    lists = [lister.relist(since, until) for _ in range(3)]
    return {
        "booking_change_calls": round(sum(r.calls for r in runs) / len(runs), 2),
        "google_change_calls": round(sum(r.calls for r in lists) / len(lists), 2),
    }


def model(measured: dict, naive: dict, poll_interval: timedelta) -> dict:
    w = WORKLOAD
    each = {name: entry["calls_each"] for name, entry in measured.items()}
    polls_per_day = timedelta(days=1) / poll_interval
    per_day = {
        "booking_changes": w["booking_changes"] * each["booking_change"],
        "google_changes": w["google_changes"] * each["google_change"],
        "backstop_polls": polls_per_day * w["imported_calendars"] * each["poll"],
        "channel_renewals": w["channels"] * each["renewal"] / w["renewal_every_days"],
        # The day's first import of each calendar also lists the day that came into view:
        # it costs what it takes beyond an incremental import.
        "window_slide": w["imported_calendars"] * max(0.0, each["window_slide"] - each["poll"]),
        "drift_repair": each["reconcile"],
    }
    ours = sum(per_day.values())
    naive_day = {
        "booking_changes": w["booking_changes"] * naive["booking_change_calls"],
        "google_changes": w["google_changes"] * naive["google_change_calls"],
        # Its poll lists everything again too; its day needs no window slide of its own
        # (every listing is a full one) and no drift repair (every change rewrites all).
        "backstop_polls": polls_per_day * w["imported_calendars"] * naive["google_change_calls"],
        "channel_renewals": per_day["channel_renewals"],
        "window_slide": 0.0,
        "drift_repair": 0.0,
    }
    naive_total = sum(naive_day.values())
    slots = max(1, round(poll_interval / timedelta(minutes=POLL_CRON_MINUTES)))
    # The busiest minute: every change of the day within working hours, plus the poll
    # tick that imports a 1/slots share of every calendar (the first poll after midnight
    # slides the window), plus renewals spread over the day.
    busiest = (
        (per_day["booking_changes"] + per_day["google_changes"]) / (w["working_hours"] * 60)
        + w["imported_calendars"] * max(each["window_slide"], each["poll"]) / slots
        + per_day["channel_renewals"] / 1440
    )
    daily_workers = math.floor(DAILY_THRESHOLD / ours)
    return {
        "workload": {**w, "poll_interval_hours": poll_interval / timedelta(hours=1)},
        "calls_per_worker_per_day": {k: round(v, 2) for k, v in per_day.items()},
        "calls_per_worker_per_day_total": round(ours, 2),
        "naive_calls_per_worker_per_day": {k: round(v, 2) for k, v in naive_day.items()},
        "naive_calls_per_worker_per_day_total": round(naive_total, 2),
        "naive_to_ours": round(naive_total / ours, 2),
        "workers_per_project": {
            "daily_billing_threshold": daily_workers,
            "minute_quota_on_average": math.floor(MINUTE_QUOTA / (ours / 1440)),
            "minute_quota_busiest_minute": math.floor(MINUTE_QUOTA / busiest),
        },
        "naive_workers_per_project": {
            "daily_billing_threshold": math.floor(DAILY_THRESHOLD / naive_total),
            "minute_quota_on_average": math.floor(MINUTE_QUOTA / (naive_total / 1440)),
        },
        "drift_repair_minutes_at_quota_for_the_daily_threshold_roster": round(
            daily_workers * each["reconcile"] / MINUTE_QUOTA, 1
        ),
        "busiest_minute_calls_per_worker": round(busiest, 4),
    }
