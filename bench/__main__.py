"""`make bench`: the whole local stack, measured; results in bench/results.json, charts in
bench/charts/.

    python -m bench                       everything, at 0 and 50 ms added per Google call
    python -m bench --quick               tiny sizes, 0 ms only (about a minute)
    python -m bench --load-seconds 30     a shorter sustained load (60 s by default)
    python -m bench --steps push,import   some steps only (see STEPS)
    python -m bench --latencies 0         one latency setting

It starts its own stack (bench/stack.py: the official Firestore emulator, or the reduced
one if the Cloud SDK is missing, which the results then say; the Cloud Tasks emulator; the
Google stand-in; every function in this process) on free ports, and runs each step on a
Firestore project and Google accounts of its own:

    push        booking changes one at a time: server time, mutation → Google, calls and
                Firestore operations per change, a no-op change; the naive baseline
    import      a big calendar: its first import, then Google changes one at a time:
                change (and notification) → busy block, calls per change; the naive one
    first_sync  a worker with many future bookings connects (batched first push)
    load        many workers, booking changes at a steady rate: throughput, lag, leftovers
    memory      first push and first imports of growing calendars, each in a process of
                its own (0 ms only)
    cost        every chore of a worker's day, counted; the cost model (0 ms only)
    fanout      bench/settings_fanout.py: enabling the integration for a big roster
    connections bench/connections.py: many workers consenting at once

`push`, `import`, `first_sync` and `load` run once per latency setting. The stand-in adds
the latency to every Calendar API call, each part of a batch included (one after another,
as it serves them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STEPS = ("push", "import", "first_sync", "load", "memory", "cost", "fanout", "connections")
PER_LATENCY = ("push", "import", "first_sync", "load")
ONCE = ("first_sync",)  # bound by Google's quota, not by latency: at the first setting only


@dataclass(frozen=True)
class Sizes:
    push_workers: int = 10
    push_preload: int = 20  # future bookings each worker has before the changes
    push_changes: int = 200
    push_interval: float = 0.05
    naive_push_changes: int = 60
    import_events: int = 10_000
    import_changes: int = 60
    import_short_pages_changes: int = 20
    import_interval: float = 0.2
    naive_import_changes: int = 10
    first_sync_bookings: int = 2_000
    # One task pushes at most one PUSH_PACE's worth (500 calls): its memory is the one that counts.
    memory_bookings: int = 500
    memory_sizes: tuple[int, ...] = (1_000, 5_000, 10_000)
    load_workers: int = 100
    load_rate: float = 20
    load_seconds: float = 60
    load_drain: float = 90
    cost_calendar_events: int = 500
    cost_bookings: int = 40
    cost_booking_changes: int = 5
    cost_google_changes: int = 10
    fanout_args: tuple[str, ...] = ()
    connections_args: tuple[str, ...] = ()


QUICK = Sizes(
    push_workers=2,
    push_preload=3,
    push_changes=6,
    push_interval=0.02,
    naive_push_changes=3,
    import_events=300,
    import_changes=3,
    import_short_pages_changes=2,
    import_interval=0.05,
    naive_import_changes=2,
    first_sync_bookings=60,
    memory_bookings=60,
    memory_sizes=(200,),
    load_workers=3,
    load_rate=4,
    load_seconds=2,
    load_drain=30,
    cost_calendar_events=30,
    cost_bookings=4,
    cost_booking_changes=2,
    cost_google_changes=2,
    fanout_args=("--workers", "10", "--runs", "1"),
    connections_args=("--roster", "10", "--own", "4", "--shared", "4", "--accounts", "2"),
)


def _units(step: str, sizes: Sizes) -> int:
    """Progress-bar units of a step (changes sent, probes run, chores done)."""
    return {
        "push": sizes.push_changes + sizes.naive_push_changes,
        "import": sizes.import_changes
        + sizes.import_short_pages_changes
        + sizes.naive_import_changes,
        "first_sync": 1,
        "load": int(sizes.load_rate * sizes.load_seconds),
        "memory": 1 + 2 * len(sizes.memory_sizes),
        "cost": 7,
        "fanout": 1,
        "connections": 1,
    }[step]


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.split("\n")[0], epilog=None
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 0 ms only")
    parser.add_argument(
        "--latencies",
        default=None,
        help="ms added per Google call, comma-separated (default 0,50; --quick: 0)",
    )
    parser.add_argument(
        "--load-seconds", type=float, default=None, help="sustained load duration (60 s)"
    )
    parser.add_argument(
        "--steps",
        default=None,
        help=f"comma-separated, of {','.join(STEPS)} (default: all; --quick: all but "
        "fanout and connections)",
    )
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    parser.add_argument("--charts", type=Path, default=HERE / "charts")
    parser.add_argument("--no-charts", action="store_true")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    default_steps = STEPS[:-2] if args.quick else STEPS
    args.steps = tuple(args.steps.split(",")) if args.steps else default_steps
    unknown = set(args.steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    latencies = args.latencies or ("0" if args.quick else "0,50")
    args.latencies = [float(x) for x in latencies.split(",")]
    return args


def _label(ms: float) -> str:
    return f"{ms:g}"


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    sizes = QUICK if args.quick else Sizes()
    if args.load_seconds is not None:
        sizes = Sizes(**{**asdict(sizes), "load_seconds": args.load_seconds})
    from tqdm import tqdm

    total = sum(
        _units(step, sizes)
        * (len(args.latencies) if step in PER_LATENCY and step not in ONCE else 1)
        for step in args.steps
    )
    began = time.perf_counter()
    results: dict = {
        "meta": {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "quick": args.quick,
            "steps": list(args.steps),
            "latencies_ms": args.latencies,
            "sizes": asdict(sizes),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "system": platform.system(),
            "load_average_at_start": _load_average(),
        },
        "runs": {},
    }
    bar = tqdm(total=total, unit="op", disable=args.no_progress, dynamic_ncols=True)
    try:
        _in_process(args, sizes, results, bar)
        for step, module, extra in (
            ("fanout", "bench.settings_fanout", sizes.fanout_args),
            ("connections", "bench.connections", sizes.connections_args),
        ):
            if step in args.steps:
                bar.set_description(step)
                results[step] = _own_process(module, extra)
                bar.update(1)
    finally:
        bar.close()
    results["meta"]["seconds"] = round(time.perf_counter() - began, 1)
    results["meta"]["load_average_at_end"] = _load_average()
    results["targets"] = targets(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    drawn = []
    if not args.no_charts:
        from bench import charts

        drawn = charts.draw(results, args.charts)
    print(report(results))
    print(f"results: {_shown(args.output)}")
    if drawn:
        print(f"charts: {len(drawn)} in {_shown(args.charts)}/")
    return 0


def _load_average() -> list[float] | None:
    """The machine's 1, 5 and 15-minute load averages: other work competing for the CPUs."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return path.name


def _in_process(args, sizes: Sizes, results: dict, bar) -> None:
    wanted = [s for s in args.steps if s not in ("fanout", "connections")]
    if not wanted:
        return
    from bench import cost, first_sync, imports, load, push
    from bench.counting import FirestoreOps
    from bench.stack import local_stack

    ops = FirestoreOps.install()
    bar.set_description("starting the local stack")
    began = time.perf_counter()
    with local_stack() as stack:
        results["meta"]["firestore"] = stack.firestore_mode
        results["meta"]["stack_start_seconds"] = round(time.perf_counter() - began, 1)
        z = sizes
        per_latency = {
            "push": lambda ms: push.run(
                stack, ops, workers=z.push_workers, preload=z.push_preload,
                count=z.push_changes, interval=z.push_interval, latency_ms=ms,
                naive_count=z.naive_push_changes, progress=bar,
            ),
            "import": lambda ms: imports.run(
                stack, ops, events=z.import_events, count=z.import_changes,
                short_pages_count=z.import_short_pages_changes, interval=z.import_interval,
                latency_ms=ms, naive_count=z.naive_import_changes, progress=bar,
            ),
            "first_sync": lambda ms: first_sync.push_first_sync(
                stack, ops, bookings=z.first_sync_bookings, latency_ms=ms, progress=bar
            ),
            "load": lambda ms: load.run(
                stack, ops, workers=z.load_workers, rate=z.load_rate, seconds=z.load_seconds,
                drain=z.load_drain, latency_ms=ms, progress=bar,
            ),
        }  # fmt: skip
        once = {
            "memory": lambda: first_sync.memory(
                stack, bookings=z.memory_bookings, sizes=list(z.memory_sizes), progress=bar
            ),
            "cost": lambda: cost.measure(
                stack, calendar_events=z.cost_calendar_events, bookings=z.cost_bookings,
                booking_changes=z.cost_booking_changes, google_changes=z.cost_google_changes,
                progress=bar,
            ),
        }  # fmt: skip
        for ms in args.latencies:
            run = results["runs"].setdefault(_label(ms), {})
            for step in PER_LATENCY:
                if step in wanted and (step not in ONCE or ms == args.latencies[0]):
                    run[step] = _timed(bar, f"{step} +{_label(ms)}ms", per_latency[step], ms)
        for step, measure in once.items():
            if step in wanted:
                results[step] = _timed(bar, step, measure)


def _timed(bar, description: str, measure, *args) -> dict:
    """Run one step under the progress bar; its figures, with how long it took."""
    bar.set_description(description)
    began = time.perf_counter()
    figures = measure(*args)
    figures["step_seconds"] = round(time.perf_counter() - began, 1)
    return figures


def _own_process(module: str, extra: tuple[str, ...]) -> dict:
    """An older benchmark that starts a stack of its own: its JSON output."""
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "out.json"
        answer = subprocess.run(
            [sys.executable, "-m", module, "--output", str(output), *extra],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=1200,
        )
        if answer.returncode != 0:
            return {"error": answer.stderr[-2000:]}
        return json.loads(output.read_text())


# -- targets ------------------------------------------------------------------------------


def _verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "missed")


def targets(results: dict) -> dict:
    """DESIGN.md's performance targets against the figures at 0 ms added latency."""
    base = results.get("runs", {}).get("0", {})
    push, imp = base.get("push"), base.get("import")
    out: dict[str, dict] = {}
    if push:
        out["one_call_per_changed_event"] = {
            "measured": push["calendar_calls_per_change"],
            "verdict": _verdict(push["calendar_calls_per_change"] <= 1.0),
        }
        out["no_call_for_a_no_op"] = {
            "measured": push["no_op"]["calendar_calls_per_change"],
            "verdict": _verdict(push["no_op"]["calendar_calls_per_change"] == 0),
        }
        lag = push["mutation_to_google_ms"]
        out["mutation_to_google_p50_under_300ms_p99_under_1s"] = {
            "measured": {"p50_ms": lag["median"], "p99_ms": lag["p99"]},
            "verdict": _verdict(lag["median"] < 300 and lag["p99"] < 1000),
        }
        server = push["mutation_server_ms"]
        out["mutation_server_time_well_under_100ms"] = {
            "measured": {"p50_ms": server["median"], "p99_ms": server["p99"]},
            "verdict": _verdict(server["p99"] < 100),
        }
    if imp:
        note = imp["notification_to_busy_block_ms"]
        out["notification_to_busy_block_under_1s"] = {
            "measured": {
                "p50_ms": note["median"],
                "p99_ms": note["p99"],
                "from_the_change_p99_ms": imp["google_change_to_busy_block_ms"]["p99"],
            },
            "verdict": _verdict(note["p99"] < 1000 if note.get("n") else None),
        }
        out["one_list_call_per_imported_change"] = {
            "measured": {
                "calendar_events": imp["calendar_events"],
                "list_calls_per_change": imp["list_calls_per_change"],
                "with_random_short_pages": imp.get("random_short_pages", {}).get(
                    "list_calls_per_change"
                ),
            },
            "verdict": _verdict(imp["list_calls_per_change"] <= 1.0),
        }
    first = base.get("first_sync")
    if first:
        per_batch = (first["calendar_calls"].get("calendar.events.insert", 0)) / max(
            1, first["batch_requests"]
        )
        out["bulk_work_in_batches_of_at_most_50"] = {
            "measured": {"batches": first["batch_requests"], "calls_per_batch": per_batch},
            "verdict": _verdict(per_batch <= 50 and first["batch_requests"] > 0),
        }
    imports = results.get("memory", {}).get("imports", [])
    full_page = [e for e in imports if e["events"] >= 2_500 and "heap_peak_mb" in e]
    if imports:
        flat = None
        if len(full_page) >= 2:
            flat = full_page[-1]["heap_peak_mb"] <= 1.25 * full_page[0]["heap_peak_mb"]
        out["memory_flat_in_calendar_size"] = {
            "measured": {
                str(e["events"]): {
                    "heap_peak_mb": e.get("heap_peak_mb"),
                    "rss_growth_mb": e.get("rss_growth_mb"),
                }
                for e in imports
            },
            "rule": "Python heap peak grows < 25% between the smallest and the largest "
            "calendar of at least one full page (2,500 events)",
            "verdict": _verdict(flat),
        }
    return out


# -- the closing report ---------------------------------------------------------------------


def report(results: dict) -> str:
    meta = results["meta"]
    lines = [
        f"Firestore emulator: {meta.get('firestore', '-')}, {meta['cpus']} CPUs (load average "
        f"{meta.get('load_average_at_start')} at start, {meta.get('load_average_at_end')} at "
        f"end), {meta['seconds']:.0f} s"
    ]
    for ms, run in results.get("runs", {}).items():
        lines.append(f"\n+{ms} ms per Google call")
        if "push" in run:
            p = run["push"]
            lines.append(
                f"  booking change: server p50 {p['mutation_server_ms']['median']} ms, p99 "
                f"{p['mutation_server_ms']['p99']} ms; → Google p50 "
                f"{p['mutation_to_google_ms']['median']} ms, p95 "
                f"{p['mutation_to_google_ms']['p95']} ms, p99 {p['mutation_to_google_ms']['p99']}"
                f" ms; {p['calendar_calls_per_change']} calls/change, no-op "
                f"{p['no_op']['calendar_calls_per_change']}; Firestore "
                f"{p['firestore_per_change']['reads']} reads, "
                f"{p['firestore_per_change']['writes']} writes per change"
            )
            if "naive" in p:
                n = p["naive"]
                lines.append(
                    f"    naive: {n['calendar_calls_per_change']} calls/change, → Google p50 "
                    f"{n['mutation_to_google_ms']['median']} ms"
                )
        if "import" in run:
            i = run["import"]
            lines.append(
                f"  import ({i['calendar_events']} events): first import "
                f"{i['first_import']['connect_to_imported_s']} s; change → block p50 "
                f"{i['google_change_to_busy_block_ms']['median']} ms, p99 "
                f"{i['google_change_to_busy_block_ms']['p99']} ms; notification → block p99 "
                f"{i['notification_to_busy_block_ms'].get('p99')} ms; "
                f"{i['list_calls_per_change']} list calls/change"
            )
            if "naive" in i:
                n = i["naive"]
                lines.append(
                    f"    naive: {n['list_calls_per_change']} list calls/change, p50 "
                    f"{n['google_change_to_busy_block_ms']['median']} ms"
                )
        if "first_sync" in run:
            f = run["first_sync"]
            lines.append(
                f"  first push of {f['bookings']} bookings: "
                f"{f['connect_to_first_sync_done_s']} s (the quota's bound "
                f"{f['quota_bound_s']:g} s), {f['calendar_calls_total']} calls in "
                f"{f['batch_requests']} batches, {f['refused_calls']} refused"
            )
        if "load" in run:
            lo = run["load"]
            lines.append(
                f"  load {lo['workers']} workers × {lo['rate_per_s']:g}/s × {lo['seconds']:g} s:"
                f" {lo['throughput_per_s']}/s into Google, lag p50 "
                f"{lo['mutation_to_google_ms'].get('median')} ms, p99 "
                f"{lo['mutation_to_google_ms'].get('p99')} ms; CPU per change "
                f"{lo['cpu_ms_per_change']} ms; left pending {lo['left_pending']}"
            )
    if "memory" in results:
        mem = results["memory"]
        sizes = ", ".join(
            f"{e['events']}: heap {e.get('heap_peak_mb')} MB / RSS +{e.get('rss_growth_mb')} MB"
            for e in mem["imports"]
        )
        lines.append(f"\nfirst-import memory by calendar size: {sizes}")
    if "cost" in results:
        model = results["cost"]["model"]
        lines.append(
            f"cost: {model['calls_per_worker_per_day_total']} calls per worker per day "
            f"(naive {model['naive_calls_per_worker_per_day_total']}); workers per project: "
            f"{model['workers_per_project']}"
        )
    lines.append("\ntargets (0 ms):")
    for name, target in results.get("targets", {}).items():
        lines.append(f"  {target['verdict']:>6}  {name}: {json.dumps(target['measured'])}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
