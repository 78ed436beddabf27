"""One sync job in a process of its own, to measure its memory (the bench's own process
also holds the Google stand-in and every emulator client, whose memory is not ours).

    python -m bench.probe push COMPANY WORKER [--heap]    the worker's account sync (its
                                                          first push)
    python -m bench.probe import COMPANY WORKER [--heap]  the first import of the worker's
                                                          primary calendar (the account
                                                          set up first, not measured)

Run by bench/first_sync.py with the local stack's environment and its sync queue paused
(so that nothing else does the job meanwhile). Prints one JSON line: the outcome, wall
time, how far the process's resident set grew above what it held just before the job (its
high-water mark, reset at the job's start where Linux allows) and what it holds after;
with `--heap`, instead the peak of Python's heap during the job above what it held before
(tracemalloc: exact, but it slows the job several times over and its own bookkeeping
would blur the resident set).
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
import tracemalloc


def _status_mb(field: str) -> float | None:
    """A size from /proc/self/status (Linux), in MB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _max_rss_mb() -> float:
    """The resident set's high-water mark: VmHWM where it can be reset (see `_reset_peak`),
    else the process's lifetime peak from `resource`."""
    peak = _status_mb("VmHWM")
    if peak is not None:
        return peak
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def _rss_mb() -> float:
    """The resident set now (Linux; elsewhere the high-water mark, which may flatter)."""
    now = _status_mb("VmRSS")
    return now if now is not None else _max_rss_mb()


def _reset_peak() -> bool:
    """Start the high-water mark afresh at the current resident set (Linux: clear_refs 5),
    so that what the set-up before the job used does not count; False where it cannot."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    heap = "--heap" in args
    kind, company_id, worker_id = [a for a in args if a != "--heap"][:3]
    from shared.config import get_config
    from shared.store import records
    from shared.store.firestore import Store
    from shared.sync.busy_import import import_calendar
    from shared.sync.run import sync_account

    config = get_config()
    store = Store.for_config(config)
    worker = records.worker(store, company_id, worker_id)
    if worker is None or not worker.connection.google_sub:
        raise SystemExit(f"{worker_id} is not linked")
    sub = worker.connection.google_sub
    if kind == "push":

        def job():
            return sync_account(config, store, company_id, sub)
    elif kind == "import":
        sync_account(config, store, company_id, sub)  # the set-up, not measured
        account = records.account(store, company_id, sub)
        assert account is not None and account.email

        def job():
            return import_calendar(config, store, company_id, sub, account.email)
    else:
        raise SystemExit(f"unknown job {kind!r}")

    gc.collect()
    if heap:
        tracemalloc.start()
        heap_before = tracemalloc.get_traced_memory()[0]
    peak_reset = _reset_peak()
    rss_before = _rss_mb()
    began = time.perf_counter()
    outcome = job()
    seconds = time.perf_counter() - began
    measured: dict = {"job": kind, "outcome": outcome}
    if heap:
        heap_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        measured["seconds_under_tracemalloc"] = round(seconds, 2)
        measured["heap_peak_mb"] = round((heap_peak - heap_before) / 2**20, 2)
    else:
        measured["seconds"] = round(seconds, 2)
        measured["rss_before_mb"] = round(rss_before, 1)
        measured["rss_growth_mb"] = round(max(0.0, _max_rss_mb() - rss_before), 1)
        measured["rss_peak_since_the_job_began"] = peak_reset
        gc.collect()
        measured["rss_after_mb"] = round(_rss_mb(), 1)
    print(json.dumps(measured))


if __name__ == "__main__":
    main()
