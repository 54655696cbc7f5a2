"""Run every peer task, compare, and write BENCHMARKS.md and the ratio chart.

Usage: python harness.py --data DIR --rust BIN --report BENCHMARKS.md --chart ratios.png
                         [--reps N] [--slow-reps N] [--only TASK,...]

Each task runs in its own process (``tasks.py``): the tools alternate on the same in-memory
input, so the ratios are taken pair by pair within one run. Peak memory is measured for each
tool in a fresh process, one run each. Python overhead compares the same calls through the
wheel with ``qudao-bench-peers measure`` (the core called from Rust) on the same files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
TASKS_PY = HERE / "tasks.py"


@dataclass(frozen=True)
class Target:
    """A stated target: qudao at least ``faster`` times faster than ``peer`` (a value below
    one means "within 1/faster")."""

    task: str
    peer: str
    faster: float
    memory: bool = False


TITLES = {
    "rfm_memory": "RFM quintiles, in-memory polars DataFrame",
    "rfm_parquet": "RFM quintiles from Parquet, end to end",
    "btyd": "BTYD summary + BG/NBD + Gamma-Gamma fits",
    "attribution": "Heuristic + first-order Markov attribution",
    "csv": "CSV ingestion of the data set",
}
TARGETS = [
    Target("rfm_memory", "polars", 5.0, memory=True),
    Target("rfm_memory", "pandas", 10.0),
    Target("rfm_parquet", "polars", 2.0),
    Target("rfm_parquet", "pandas", 0.0),
    Target("btyd", "lifetimes", 15.0),
    Target("attribution", "channelattribution", 10.0),
    Target("csv", "polars", 1 / 1.5),
]
OVERHEAD_LIMIT = 0.05


def run_task(task: str, data: Path, extra: List[str]) -> Dict[str, Any]:
    cmd = [sys.executable, str(TASKS_PY), task, "--data", str(data), *extra]
    print("   $", " ".join(cmd[1:]), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure_overhead(rust: Path, data: Path, reps: int) -> Dict[str, Dict[str, List[float]]]:
    """The same steps from Rust and through the wheel: two rounds of one process each, the
    sides taking turns at going first, so a slow spell of the machine falls on both (one
    run of all Rust repetitions, then all Python ones, measured drift as much as
    overhead)."""
    runs: Dict[str, Dict[str, List[float]]] = {"rust": {}, "python": {}}
    n = str(max(reps, 1))
    for order in (["rust", "python"], ["python", "rust"]):
        for side in order:
            if side == "rust":
                cmd = [str(rust), "measure", str(data), "--reps", n]
                print("   $", " ".join(cmd), file=sys.stderr, flush=True)
                out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
                times = json.loads(out)
            else:
                times = run_task("overhead", data, ["--reps", n, "--slow-reps", n])["times"]
            for step, values in times.items():
                runs[side].setdefault(step, []).extend(values)
    return runs


def spread(values: List[float]) -> Tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def pair_ratios(ours: List[float], theirs: List[float]) -> List[float]:
    """qudao time / peer time, run by run (the first n runs of each)."""
    return [a / b for a, b in zip(ours, theirs)]


def fmt_time(seconds: float) -> str:
    if seconds >= 10:
        return f"{seconds:.1f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.0f} ms"


def fmt_mb(b: Optional[int]) -> str:
    return "–" if b is None else f"{b / 2**20:,.0f} MB"


def machine() -> Dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "rustc": rustc,
    }


def versions() -> Dict[str, str]:
    out = {}
    for dist in ("qudao", "polars", "pandas", "pyarrow", "numpy", "scipy", "lifetimes", "channelattribution"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def inputs(data: Path) -> Dict[str, str]:
    import polars as pl

    tx = pl.scan_parquet(data / "transactions.parquet")
    lines = tx.select(pl.len()).collect().item()
    customers = tx.select(pl.col("customer").n_unique()).collect().item()
    days = tx.select(pl.col("date").min().alias("first"), pl.col("date").max().alias("last")).collect().row(0)
    paths = pl.read_parquet(data / "journeys.parquet")
    journeys = paths.select((pl.col("conversions") + pl.col("nulls")).sum()).item()
    csv_bytes = sum(f.stat().st_size for f in (data / "csv").glob("*.csv"))
    return {
        "lines": f"{lines:,}",
        "customers": f"{customers:,}",
        "period": f"{days[0]} to {days[1]}",
        "journeys": f"{journeys:,} journeys ({paths.height:,} distinct paths, {len(_channels(paths))} channels)",
        "csv": f"{csv_bytes / 1e6:,.0f} MB in {len(list((data / 'csv').glob('*.csv')))} files",
    }


def _channels(paths: Any) -> set:
    names = set()
    for p in paths["path"].to_list():
        names.update(c.strip() for c in p.split(">"))
    return names


def chart(rows: List[Dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{TITLES[r['task']].split(',')[0]}\nvs {r['peer']}" for r in rows]
    speedups = [r["speedup"] for r in rows]
    colors = ["#2a7f62" if r["met"] is not False else "#c0392b" for r in rows]
    fig, ax = plt.subplots(figsize=(10, 0.7 * len(rows) + 1.5))
    y = range(len(rows))
    ax.barh(list(y), speedups, color=colors)
    for i, r in enumerate(rows):
        if r["target"]:
            ax.plot([r["target"], r["target"]], [i - 0.4, i + 0.4], color="black", lw=2)
        ax.text(speedups[i], i, f"  {speedups[i]:.1f}×", va="center")
    ax.set_yticks(list(y), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.axvline(1.0, color="grey", lw=0.8)
    ax.set_xlabel("peer time / qudao time (× faster; black tick: target; red: target missed)")
    ax.set_title("qudao against the peers, same input, same process")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--rust", type=Path, required=True, help="the qudao-bench-peers binary")
    p.add_argument("--report", type=Path, required=True)
    p.add_argument("--chart", type=Path, required=True)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--slow-reps", type=int, default=3)
    p.add_argument("--only", default="", help="comma-separated task names")
    a = p.parse_args()
    only = {t for t in a.only.split(",") if t}
    tasks = [t for t in TITLES if not only or t in only]
    reps = ["--reps", str(a.reps), "--slow-reps", str(a.slow_reps)]

    results: Dict[str, Dict[str, Any]] = {}
    memory: Dict[Tuple[str, str], int] = {}
    for task in tasks:
        print(f"==> {task}: {TITLES[task]}", file=sys.stderr, flush=True)
        results[task] = run_task(task, a.data, reps)
        for tool in results[task]["times"]:
            memory[(task, tool)] = run_task(task, a.data, ["--memory", tool])["peak_bytes"]

    overhead = None
    if not only or "overhead" in only:
        print("==> Python overhead", file=sys.stderr, flush=True)
        overhead = measure_overhead(a.rust, a.data, a.reps)

    rows = []
    for target in TARGETS:
        if target.task not in results:
            continue
        times = results[target.task]["times"]
        ours, theirs = times["qudao"], times[target.peer]
        ratios = pair_ratios(ours, theirs)
        speedup = 1 / statistics.median(ratios)
        met: Optional[bool] = None
        if target.faster:
            met = speedup >= target.faster
        mem_ok = None
        if target.memory:
            mem_ok = memory[(target.task, "qudao")] <= memory[(target.task, target.peer)]
        check = results[target.task]["checks"].get(target.peer, {"ok": None, "detail": ""})
        rows.append(
            {
                "task": target.task,
                "peer": target.peer,
                "ours": spread(ours),
                "theirs": spread(theirs),
                "ratio": spread(ratios),
                "speedup": speedup,
                "target": target.faster,
                "met": met if mem_ok is None else (bool(met) and mem_ok),
                "memory": (memory[(target.task, "qudao")], memory[(target.task, target.peer)]),
                "memory_target": target.memory,
                "check": check,
                "runs": (len(ours), len(theirs)),
            }
        )
    write_report(a.report, a.chart, a.data, rows, overhead)
    chart(rows, a.chart)
    print(f"wrote {a.report} and {a.chart}", file=sys.stderr)


def target_text(r: Dict[str, Any]) -> str:
    t = r["target"]
    if not t:
        return "–"
    text = f"≥ {t:g}×" if t >= 1 else f"within {1 / t:g}× (≥ {t:.2f}×)"
    if r["memory_target"]:
        text += ", memory ≤ peer"
    return text


def write_report(
    path: Path, chart_path: Path, data: Path, rows: List[Dict[str, Any]], overhead: Optional[Dict[str, Any]]
) -> None:
    m, v, i = machine(), versions(), inputs(data)
    out: List[str] = []
    w = out.append
    w("# Benchmarks: qudao and the tools users would pick instead")
    w("")
    w(f"Measured {dt.date.today().isoformat()} with `bash benches/peers/run.sh` (written by")
    w("`benches/peers/harness.py`; do not edit by hand). Every task runs both ways in one process on")
    w("the same input held in memory (or the same file), the tools taking turns; times are wall")
    w("clock, median and min–max of the runs; the ratio is qudao's time over the peer's, run by")
    w("run. Peak memory is what one run adds to the process's resident set, measured in a fresh")
    w("process per tool.")
    w("")
    w(f"**Machine:** {m['cpu']}, {m['cores']} cores, {m['memory']}, {m['os']}; Python {m['python']}; {m['rustc']}.")
    w("")
    w("**Versions:** " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".")
    w("")
    w(f"**Input:** {i['lines']} transaction lines of {i['customers']} customers, {i['period']};")
    w(f"{i['journeys']}; CSV {i['csv']}. Generated by `qudao-bench-peers generate` (seed 42).")
    w("")
    w(f"![qudao speed-up over each peer]({os.path.relpath(chart_path, path.parent)})")
    w("")
    w("| task | peer | qudao | peer | qudao/peer time | × faster | target | met | peak memory qudao / peer | same answer |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        o, t, q = r["ours"], r["theirs"], r["ratio"]
        met = "–" if r["met"] is None else ("yes" if r["met"] else "**no**")
        ok = r["check"]["ok"]
        same = ("yes" if ok else "**no**") if ok is not None else "–"
        w(
            f"| {TITLES[r['task']]} | {r['peer']} "
            f"| {fmt_time(o[0])} ({fmt_time(o[1])}–{fmt_time(o[2])}) "
            f"| {fmt_time(t[0])} ({fmt_time(t[1])}–{fmt_time(t[2])}) "
            f"| {q[0]:.3f} ({q[1]:.3f}–{q[2]:.3f}) | {r['speedup']:.1f}× | {target_text(r)} | {met} "
            f"| {fmt_mb(r['memory'][0])} / {fmt_mb(r['memory'][1])} | {same} |"
        )
    w("")
    w("Answer checks:")
    w("")
    for r in rows:
        w(f"- {TITLES[r['task']]} vs {r['peer']}: {r['check']['detail']} (runs: {r['runs'][0]} / {r['runs'][1]}).")
    if overhead:
        w("")
        w("## Python overhead")
        w("")
        w("The same calls through the wheel and from Rust (`qudao-bench-peers measure`), on the same")
        w("files, in two rounds of one process a side, the sides taking turns at going first. The")
        w("overhead compares the fastest run of each side: what the wrapper adds to the same work")
        w("is a fixed cost, while this machine's interference only ever slows a run down (the")
        w("reasoning of Python's `timeit`). The median of the run-by-run ratios is shown beside it")
        w("as a measure of that noise. The limit is 5 %.")
        w("")
        w("| step | Rust (fastest) | Python (fastest) | overhead | run-by-run median | within 5 % |")
        w("|---|---|---|---|---|---|")
        for step, label in [
            ("csv_load", "load the CSV directory"),
            ("rfm", "customer summary + RFM"),
            ("btyd", "customer summary + BG/NBD + Gamma-Gamma"),
            ("attribution", "heuristics + Markov on the journeys"),
        ]:
            rust_runs, py_runs = overhead["rust"][step], overhead["python"][step]
            rust, py = min(rust_runs), min(py_runs)
            extra = py / rust - 1
            paired = statistics.median(p / r - 1 for p, r in zip(py_runs, rust_runs))
            w(
                f"| {label} | {fmt_time(rust)} | {fmt_time(py)} | {extra:+.1%} | {paired:+.1%} "
                f"| {'yes' if extra <= OVERHEAD_LIMIT else '**no**'} |"
            )
    w("")
    w("## How each peer is run")
    w("")
    w("- **RFM** (polars, pandas): lines dated on or before 2025-12-31; per customer the last sale")
    w("  day, the distinct sale orders and the net amount (returns negative); customers with only")
    w("  returns left out; each dimension sorted worst first with ties by customer id, score")
    w("  `1 + rank * 5 // n`. polars runs lazily (`scan_parquet` for the Parquet task, so it reads")
    w("  only the columns it needs); pandas gets a pandas DataFrame converted before timing.")
    w("  qudao: `customer_summary` on the table of lines (the five columns it reads are checked:")
    w("  ids, dates, amount signs, one customer per order; no master data) + `rfm`; from Parquet")
    w("  it reads those five columns with `pyarrow.parquet.read_table`. Ids are plain strings in")
    w("  the file and in the DataFrame.")
    w("- **BTYD** (lifetimes): sale lines only for both (lifetimes would count a day with only a")
    w("  return as a purchase); daily periods, time in days; `summary_data_from_transaction_data`,")
    w("  `BetaGeoFitter(penalizer_coef=0).fit`, `GammaGammaFitter(penalizer_coef=0).fit` on repeat")
    w("  buyers, amounts in currency units. Parameters must agree within 1e-3 relative.")
    w("- **Attribution** (ChannelAttribution, GPL-3, called as a black box): `heuristic_models` and")
    w("  `markov_model(order=1, ncore=all cores)` on the aggregated paths, timed with its defaults.")
    w("  Its Markov removal effects are simulated, qudao's solved exactly. With the defaults each")
    w("  simulated walk stops after as many steps as the longest path (10 here) and counts as lost")
    w("  (12 % of walks), which moves credit toward the frequent channels by up to 4 %; so Markov")
    w("  credit is checked against one untimed run with `max_step=100, nsim_start=1e6` and must")
    w("  agree within 2 % on channels with at least 5 % of the conversions; heuristics must be equal.")
    w("- **CSV** (polars): `read_csv` of every CSV file of the data set directory (transactions and")
    w("  master tables), against `qudao.load_csv` of the directory, which also checks every row.")
    w("")
    path.write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
