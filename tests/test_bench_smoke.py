"""`make bench` cannot rot: the runner (`python -m bench`) in its quickest mode, on tiny sizes,
end to end in a process of its own (it starts its own stack, as `make bench` does). Checks
that every step measured and every chart was drawn, not the figures: timings on a busy
test machine say nothing, and the rules the figures stand for are tested elsewhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHARTS = {
    "push_latency.png",
    "server_time.png",
    "import_latency.png",
    "load_lag.png",
    "cost_per_change.png",
    "cost_per_day.png",
    "memory.png",
}


@pytest.mark.full_firestore
@pytest.mark.timeout(300)
def test_the_bench_runs_every_step_in_its_quick_mode(tmp_path):
    results_path, charts = tmp_path / "results.json", tmp_path / "charts"
    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--no-progress",
            "--output",
            str(results_path),
            "--charts",
            str(charts),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert answer.returncode == 0, answer.stdout[-2000:] + answer.stderr[-4000:]

    results = json.loads(results_path.read_text())
    run = results["runs"]["0"]
    assert set(run) == {"push", "import", "first_sync", "load"}
    assert run["push"]["mutation_to_google_ms"]["n"] == results["meta"]["sizes"]["push_changes"]
    assert run["push"]["naive"]["calendar_calls_per_change"] > 0
    assert run["import"]["google_change_to_busy_block_ms"]["n"] > 0
    assert run["import"]["naive"]["list_calls_per_change"] > 0
    assert run["first_sync"]["pushed"] == results["meta"]["sizes"]["first_sync_bookings"]
    assert run["load"]["left_pending"]["changes_not_in_google"] == 0
    assert all("heap_peak_mb" in entry for entry in results["memory"]["imports"])
    assert results["cost"]["model"]["calls_per_worker_per_day_total"] > 0
    assert results["targets"]
    assert {path.name for path in charts.glob("*.png")} == CHARTS
