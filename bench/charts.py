"""PNG charts of a results.json: latency distributions and cost per change (matplotlib, Agg).

    python -m bench.charts [bench/results.json] [--out bench/charts]

`python -m bench` draws them at the end of a run; this redraws them from a saved run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after the backend is chosen

HERE = Path(__file__).resolve().parent


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _ecdf(ax, values: list[float], label: str, **style) -> None:
    if not values:
        return
    ordered = sorted(values)
    n = len(ordered)
    ax.step(ordered, [(i + 1) / n for i in range(n)], where="post", label=label, **style)


def _target(ax, x: float, label: str) -> None:
    ax.axvline(x, color="grey", linestyle=":", linewidth=1)
    ax.text(
        x,
        0.5,
        f" {label}",
        color="grey",
        fontsize=8,
        rotation=90,
        va="center",
        transform=ax.get_xaxis_transform(),
    )


def _finish(fig, ax, title: str, xlabel: str, path: Path, log: bool = True) -> Path:
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("share of changes at or below")
    ax.set_ylim(0, 1.02)
    if log:
        ax.set_xscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return _save(fig, path)


def _runs(results: dict) -> list[tuple[str, dict]]:
    return sorted(results.get("runs", {}).items(), key=lambda kv: float(kv[0]))


def push_latency(results: dict, out: Path) -> Path | None:
    runs = [(ms, r["push"]) for ms, r in _runs(results) if "push" in r]
    if not runs:
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    for ms, push in runs:
        _ecdf(ax, push["samples"]["mutation_to_google_ms"], f"ours, +{ms} ms per Google call")
        naive = push.get("naive")
        if naive:
            _ecdf(
                ax,
                naive["samples"]["mutation_to_google_ms"],
                f"naive, +{ms} ms",
                linestyle="--",
            )
    _target(ax, 300, "p50 target 300 ms")
    _target(ax, 1000, "p99 target 1 s")
    return _finish(
        fig, ax, "Booking change → event in Google", "milliseconds", out / "push_latency.png"
    )


def server_time(results: dict, out: Path) -> Path | None:
    runs = [(ms, r) for ms, r in _runs(results) if "push" in r]
    if not runs:
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    for ms, run in runs:
        _ecdf(ax, run["push"]["samples"]["server_ms"], f"one at a time, +{ms} ms")
        load = run.get("load")
        if load and load.get("samples", {}).get("server_ms"):
            _ecdf(ax, load["samples"]["server_ms"], f"sustained load, +{ms} ms", linestyle="--")
    _target(ax, 100, "100 ms")
    return _finish(
        fig, ax, "Booking mutation: server time", "milliseconds", out / "server_time.png"
    )


def import_latency(results: dict, out: Path) -> Path | None:
    runs = [(ms, r["import"]) for ms, r in _runs(results) if "import" in r]
    if not runs:
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    for ms, imp in runs:
        samples = imp["samples"]
        _ecdf(ax, samples["google_change_to_busy_block_ms"], f"change → block, +{ms} ms")
        _ecdf(
            ax,
            samples["notification_to_busy_block_ms"],
            f"notification → block, +{ms} ms",
            linestyle="-.",
        )
        naive = imp.get("naive")
        if naive:
            _ecdf(
                ax,
                naive["samples"]["google_change_to_busy_block_ms"],
                f"naive full re-list, +{ms} ms",
                linestyle="--",
            )
    _target(ax, 1000, "target 1 s")
    events = runs[0][1]["calendar_events"]
    return _finish(
        fig,
        ax,
        f"Google change → busy block stored ({events:,}-event calendar)",
        "milliseconds",
        out / "import_latency.png",
    )


def load_lag(results: dict, out: Path) -> Path | None:
    runs = [(ms, r["load"]) for ms, r in _runs(results) if "load" in r]
    if not runs:
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    for ms, load in runs:
        samples = load["samples"]
        ax.scatter(
            samples["sent_at_s"],
            samples["mutation_to_google_ms"],
            s=6,
            alpha=0.6,
            label=f"+{ms} ms per Google call",
        )
    load = runs[0][1]
    ax.set_title(
        f"Sustained load: {load['workers']} workers, {load['rate_per_s']:g} changes/s "
        f"for {load['seconds']:g} s"
    )
    ax.set_xlabel("seconds into the load (when the change was sent)")
    ax.set_ylabel("change → event in Google (ms)")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, out / "load_lag.png")


def cost_per_change(results: dict, out: Path) -> Path | None:
    runs = _runs(results)
    if not runs:
        return None
    ms, run = runs[0]
    push, imp = run.get("push"), run.get("import")
    if not push or not imp:
        return None
    labels = ["booking change", "no-op change", "imported change"]
    ours = [
        push["calendar_calls_per_change"],
        push["no_op"]["calendar_calls_per_change"],
        imp["calendar_calls_per_change"],
    ]
    naive = [
        push.get("naive", {}).get("calendar_calls_per_change", 0),
        push.get("naive", {}).get("calendar_calls_per_change", 0),
        imp.get("naive", {}).get("list_calls_per_change", 0),
    ]
    reads = push["firestore_per_change"]["reads"]
    writes = push["firestore_per_change"]["writes"] + push["firestore_per_change"]["deletes"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5), width_ratios=[3, 2])
    x = range(len(labels))
    left.bar([i - 0.2 for i in x], ours, width=0.4, label="ours")
    left.bar([i + 0.2 for i in x], naive, width=0.4, label="naive baseline")
    for i, (a, b) in enumerate(zip(ours, naive, strict=True)):
        left.text(i - 0.2, a, f"{a:g}", ha="center", va="bottom", fontsize=8)
        left.text(i + 0.2, b, f"{b:g}", ha="center", va="bottom", fontsize=8)
    left.set_xticks(list(x), labels)
    left.set_ylabel("Google Calendar calls per change")
    left.set_title(f"Google calls per change ({imp['calendar_events']:,}-event calendar)")
    left.legend(fontsize=8)
    right.bar(["reads", "writes"], [reads, writes], color=["tab:green", "tab:red"])
    for i, v in enumerate([reads, writes]):
        right.text(i, v, f"{v:g}", ha="center", va="bottom", fontsize=8)
    right.set_title("Firestore per booking change")
    return _save(fig, out / "cost_per_change.png")


def cost_per_day(results: dict, out: Path) -> Path | None:
    model = results.get("cost", {}).get("model")
    if not model:
        return None
    ours = model["calls_per_worker_per_day"]
    naive = model["naive_calls_per_worker_per_day"]
    fig, ax = plt.subplots(figsize=(8, 5))
    bottom = {"ours": 0.0, "naive": 0.0}
    for chore in ours:
        values = [ours[chore], naive.get(chore, 0.0)]
        ax.bar(["ours", "naive baseline"], values, bottom=list(bottom.values()), label=chore)
        bottom = {"ours": bottom["ours"] + values[0], "naive": bottom["naive"] + values[1]}
    for i, total in enumerate(bottom.values()):
        ax.text(i, total, f"{total:,.1f}", ha="center", va="bottom")
    ax.set_ylim(top=max(bottom.values()) * 1.12)
    ax.set_ylabel("Google Calendar calls per worker per day")
    ax.set_title("Cost model: one worker's day")
    ax.legend(fontsize=8)
    return _save(fig, out / "cost_per_day.png")


def memory(results: dict, out: Path) -> Path | None:
    imports = results.get("memory", {}).get("imports")
    if not imports:
        return None
    sizes = [entry["events"] for entry in imports]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    if all("heap_peak_mb" in e for e in imports):
        ax.plot(sizes, [e["heap_peak_mb"] for e in imports], "o-", label="Python heap peak")
    if all("rss_growth_mb" in e for e in imports):
        ax.plot(
            sizes, [e["rss_growth_mb"] for e in imports], "s--", label="resident set, peak growth"
        )
    ax.set_xlabel("events in the calendar (first import)")
    ax.set_ylabel("MB above the process before the import")
    ax.set_title("Memory of a first import by calendar size")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, out / "memory.png")


def draw(results: dict, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    drawn = []
    for chart in (
        push_latency,
        server_time,
        import_latency,
        load_lag,
        cost_per_change,
        cost_per_day,
        memory,
    ):
        path = chart(results, out)
        if path is not None:
            drawn.append(path)
    return drawn


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path, default=HERE / "results.json")
    parser.add_argument("--out", type=Path, default=HERE / "charts")
    args = parser.parse_args(argv)
    for path in draw(json.loads(args.results.read_text()), args.out):
        print(path)


if __name__ == "__main__":
    main()
