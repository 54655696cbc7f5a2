"""The benchmark tasks: the same work done by qudao and by the tools users would pick instead.

Usage (the harness calls it; one process per task):

    python tasks.py TASK --data DIR --reps N            # times of every tool, and the checks
    python tasks.py TASK --data DIR --memory TOOL       # peak memory of one run, fresh process

Each task prepares its input in memory first (not timed), then runs every tool on it,
rotating which goes first, and keeps the first answer of each for the check. Prints one JSON
object on stdout.

The peers are written the way their documentation shows, with the same definitions as
qudao (see ``BENCHMARKS.md``): RFM frequency is distinct sale orders, recency the days from
the last sale to the as-of date, monetary the net amount (sales minus returns); quintile
scores by ordinal rank, ties by customer id ascending, score of rank ``r`` (worst first) of
``n`` is ``1 + r * 5 // n``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List

import numpy as np
import pandas as pd
import polars as pl
import pyarrow.parquet as pq

import qudao

AS_OF = dt.date(2025, 12, 31)
RFM_COLUMNS = ["customer", "order", "date", "kind", "amount"]
RFM_SCORES = [("recency", False, "r"), ("frequency", True, "f"), ("monetary", True, "m")]


@dataclass
class Task:
    """Tools by name (``qudao`` first), the input builder, and the answer check."""

    prepare: Callable[[Path], Dict[str, Any]]
    tools: Dict[str, Callable[[Dict[str, Any]], Any]]
    check: Callable[[Dict[str, Any], Dict[str, Any]], Dict[str, Dict[str, Any]]]
    slow: tuple = ()


# --- memory --------------------------------------------------------------------------------


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    return 0


def peak_memory(fn: Callable[[], Any]) -> int:
    """Resident memory the call adds at its peak (Linux: resets the high-water mark)."""
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = _status("VmRSS:")
    result = fn()
    peak = _status("VmHWM:")
    del result
    return max(peak - base, 0)


# --- RFM -----------------------------------------------------------------------------------


def rfm_qudao(frame: Any) -> pl.DataFrame:
    # The table of lines straight in: no master data, no data set (see `customer_summary`).
    summary = qudao.customer_summary(frame, AS_OF, "distinct_orders")
    return pl.DataFrame(qudao.rfm(summary).table)


def _polars_scores(g: pl.DataFrame) -> pl.DataFrame:
    n = g.height
    for col, higher_better, name in RFM_SCORES:
        g = g.sort([col, "cid"], descending=[not higher_better, False]).with_columns(
            (pl.int_range(pl.len(), dtype=pl.Int64) * 5 // n + 1).alias(name)
        )
    return g.sort("cid")


def rfm_polars_lazy(lf: pl.LazyFrame) -> pl.DataFrame:
    sale = pl.col("kind") == "sale"
    g = (
        lf.filter(pl.col("date") <= AS_OF)
        .group_by("customer")
        .agg(
            last=pl.col("date").filter(sale).max(),
            frequency=pl.col("order").filter(sale).n_unique(),
            monetary=pl.col("amount").sum(),
        )
        .filter(pl.col("last").is_not_null())
        .with_columns(
            recency=(pl.lit(AS_OF) - pl.col("last")).dt.total_days(),
            cid=pl.col("customer").cast(pl.String),
        )
        .collect()
    )
    return _polars_scores(g)


def rfm_pandas(df: pd.DataFrame) -> pd.DataFrame:
    if df["date"].dtype == object:  # Date32 read by pyarrow comes as datetime.date objects
        df = df.assign(date=pd.to_datetime(df["date"]))
    df = df[df["date"] <= pd.Timestamp(AS_OF)]
    sales = df[df["kind"] == "sale"]
    g = sales.groupby("customer", observed=True).agg(
        last=("date", "max"), frequency=("order", "nunique")
    )
    g["monetary"] = df.groupby("customer", observed=True)["amount"].sum()
    g["recency"] = (pd.Timestamp(AS_OF) - g["last"]).dt.days
    g = g.reset_index()
    g["cid"] = g["customer"].astype(str)
    n = len(g)
    for col, higher_better, name in RFM_SCORES:
        g = g.sort_values([col, "cid"], ascending=[higher_better, True], kind="stable")
        g[name] = np.arange(n, dtype=np.int64) * 5 // n + 1
    return g.sort_values("cid").reset_index(drop=True)


def _rfm_check(answers: Dict[str, Any], _ctx: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    ours = answers["qudao"].select(
        cid=pl.col("customer").cast(pl.String),
        recency=pl.col("recency_days").cast(pl.Int64),
        frequency=pl.col("frequency").cast(pl.Int64),
        monetary=(pl.col("monetary") * 100).cast(pl.Int64),
        r=pl.col("r").cast(pl.Int64),
        f=pl.col("f").cast(pl.Int64),
        m=pl.col("m").cast(pl.Int64),
    ).sort("cid")
    out = {}
    for peer, answer in answers.items():
        if peer == "qudao":
            continue
        if isinstance(answer, pd.DataFrame):
            answer = pl.from_pandas(answer[["cid", "recency", "frequency", "monetary", "r", "f", "m"]])
        theirs = answer.select(
            pl.col("cid"),
            *[pl.col(c).cast(pl.Int64) for c in ("recency", "frequency", "monetary", "r", "f", "m")],
        ).sort("cid")
        same = ours.height == theirs.height and ours.equals(theirs)
        detail = f"{ours.height:,} customers, R/F/M values and scores equal"
        if not same:
            diff = ours.join(theirs, on="cid", how="full", suffix="_peer")
            bad = diff.filter(
                pl.any_horizontal(
                    [pl.col(c).ne_missing(pl.col(f"{c}_peer")) for c in ("recency", "frequency", "monetary", "r", "f", "m")]
                )
            )
            detail = f"{bad.height:,} of {max(ours.height, theirs.height):,} customers differ; first: {bad.head(1).to_dicts()}"
        out[peer] = {"ok": same, "detail": detail}
    return out


def _rfm_memory_input(data: Path) -> Dict[str, Any]:
    df = pl.read_parquet(data / "transactions.parquet")
    return {"df": df, "pdf": df.to_pandas()}


RFM_MEMORY = Task(
    prepare=_rfm_memory_input,
    tools={
        "qudao": lambda c: rfm_qudao(c["df"]),
        "polars": lambda c: rfm_polars_lazy(c["df"].lazy()),
        "pandas": lambda c: rfm_pandas(c["pdf"]),
    },
    check=_rfm_check,
)


def _parquet_input(data: Path) -> Dict[str, Any]:
    return {"path": data / "transactions.parquet"}


RFM_PARQUET = Task(
    prepare=_parquet_input,
    tools={
        "qudao": lambda c: rfm_qudao(pq.read_table(c["path"], columns=RFM_COLUMNS)),
        "polars": lambda c: rfm_polars_lazy(pl.scan_parquet(c["path"])),
        "pandas": lambda c: rfm_pandas(pd.read_parquet(c["path"], columns=RFM_COLUMNS)),
    },
    check=_rfm_check,
)


# --- BTYD ----------------------------------------------------------------------------------


def _btyd_input(data: Path) -> Dict[str, Any]:
    # Sale lines only, for both: lifetimes would count a day with only a return as a purchase.
    sales = pl.read_parquet(data / "transactions.parquet").filter(pl.col("kind") == "sale")
    pdf = sales.select(
        customer=pl.col("customer").cast(pl.String),
        date=pl.col("date").cast(pl.Datetime("ns")),
        amount=pl.col("amount") / 100.0,  # currency units, as qudao's Gamma-Gamma uses
    ).to_pandas()
    return {"df": sales, "pdf": pdf}


def btyd_qudao(c: Dict[str, Any]) -> Dict[str, float]:
    summary = qudao.customer_summary(c["df"], AS_OF, "active_periods", period="day", unit="day")
    purchases = qudao.fit_bgnbd(summary)
    spend = qudao.fit_gamma_gamma(summary)
    return {**purchases.params, **spend.params}


def btyd_lifetimes(c: Dict[str, Any]) -> Dict[str, float]:
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    s = summary_data_from_transaction_data(
        c["pdf"], "customer", "date", monetary_value_col="amount",
        observation_period_end=pd.Timestamp(AS_OF), freq="D",
    )
    bg = BetaGeoFitter(penalizer_coef=0.0).fit(s["frequency"], s["recency"], s["T"])
    repeat = s[s["frequency"] > 0]
    gg = GammaGammaFitter(penalizer_coef=0.0).fit(repeat["frequency"], repeat["monetary_value"])
    p = {k: float(v) for k, v in bg.params_.items()}
    p.update({("gamma" if k == "v" else k): float(v) for k, v in gg.params_.items()})
    return p


def _btyd_check(answers: Dict[str, Any], _ctx: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    ours, theirs = answers["qudao"], answers["lifetimes"]
    rel = {k: abs(ours[k] - theirs[k]) / abs(theirs[k]) for k in ("r", "alpha", "a", "b", "p", "q", "gamma")}
    worst = max(rel, key=rel.get)
    shown = ", ".join(f"{k} {ours[k]:.6g} vs {theirs[k]:.6g}" for k in rel)
    return {
        "lifetimes": {
            "ok": rel[worst] <= 1e-3,
            "detail": f"largest relative difference {rel[worst]:.1e} ({worst}); {shown}",
        }
    }


BTYD = Task(
    prepare=_btyd_input,
    tools={"qudao": btyd_qudao, "lifetimes": btyd_lifetimes},
    check=_btyd_check,
    slow=("lifetimes",),
)


# --- attribution ---------------------------------------------------------------------------

HEURISTICS = {
    "first_touch": "first_touch_conversions",
    "last_touch": "last_touch_conversions",
    "linear": "linear_touch_conversions",
}


def _attribution_input(data: Path) -> Dict[str, Any]:
    paths = pl.read_parquet(data / "journeys.parquet")
    settings = qudao.AttributionSettings.from_dict(
        {"schema_version": 1, "models": [*HEURISTICS, "markov"], "markov": {"order": 1}}
    )
    return {"paths": paths, "pdf": paths.to_pandas(), "settings": settings}


def attribution_qudao(c: Dict[str, Any]) -> Dict[str, Dict[str, float]]:
    result = qudao.attribute(qudao.journeys_from_paths(c["paths"]), c["settings"])
    rows = pl.DataFrame(result.table)
    out: Dict[str, Dict[str, float]] = {}
    for row in rows.iter_rows(named=True):
        out.setdefault(row["model"], {})[row["channel"]] = float(row["conversions"])
    return out


# channelattribution estimates the Markov model by simulation. With its defaults each simulated
# walk stops after as many steps as the longest path (10 here) and an unfinished walk counts as
# lost; 12 % of walks are unfinished then, which shifts credit toward the frequent channels by up
# to 4 %. It also stops simulating once repeated runs agree within 5 %. qudao solves the same
# chain exactly (the transition matrices are equal). The timed run keeps the defaults a user gets;
# the answers are checked against one untimed run with walks long enough to finish (5e-10 are
# unfinished after 100 steps) and ten times the simulations.
CA_CONVERGED = {"max_step": 100, "nsim_start": 1e6}


def _ca_markov(pdf: Any, **extra: Any) -> Dict[str, float]:
    import ChannelAttribution as ca

    m = ca.markov_model(
        pdf, "path", "conversions", var_value="value", var_null="nulls",
        order=1, ncore=os.cpu_count() or 1, verbose=False, flg_pro=False, **extra,
    )
    return dict(zip(m["channel_name"], map(float, m["total_conversions"])))


def attribution_channelattribution(c: Dict[str, Any]) -> Dict[str, Dict[str, float]]:
    import ChannelAttribution as ca

    h = ca.heuristic_models(c["pdf"], "path", "conversions", var_value="value", flg_pro=False)
    out = {ours: dict(zip(h["channel_name"], map(float, h[theirs]))) for ours, theirs in HEURISTICS.items()}
    out["markov"] = _ca_markov(c["pdf"])
    return out


def _attribution_check(answers: Dict[str, Any], ctx: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    ours = answers["qudao"]
    # Heuristics from the timed run; Markov from a converged one (see CA_CONVERGED).
    theirs = {**answers["channelattribution"], "markov": _ca_markov(ctx["pdf"], **CA_CONVERGED)}
    problems = []
    worst_markov = 0.0
    for model, credit in ours.items():
        total = sum(credit.values())
        for channel, value in credit.items():
            peer = theirs.get(model, {}).get(channel.strip())
            if peer is None:
                problems.append(f"{model}/{channel} missing")
                continue
            if model == "markov":
                if value >= 0.05 * total:
                    d = abs(value - peer) / peer
                    worst_markov = max(worst_markov, d)
                    if d > 0.02:
                        problems.append(f"markov/{channel}: {value:.1f} vs {peer:.1f}")
            elif abs(value - peer) > 1e-6 * max(1.0, abs(peer)):
                problems.append(f"{model}/{channel}: {value} vs {peer}")
    detail = (
        f"heuristics equal; Markov within {worst_markov:.2%} on channels with ≥ 5 % share"
        " (peer run converged: max_step=100, nsim_start=1e6)"
        if not problems
        else "; ".join(problems[:5])
    )
    return {"channelattribution": {"ok": not problems, "detail": detail}}


ATTRIBUTION = Task(
    prepare=_attribution_input,
    tools={"qudao": attribution_qudao, "channelattribution": attribution_channelattribution},
    check=_attribution_check,
    slow=("channelattribution",),
)


# --- CSV -----------------------------------------------------------------------------------


def csv_polars(directory: Path) -> Dict[str, int]:
    return {f.stem: pl.read_csv(f).height for f in sorted(directory.glob("*.csv"))}


def csv_qudao(directory: Path) -> Dict[str, int]:
    data = qudao.load_csv(directory)
    return {"transactions": data.transaction_count, **data.master_counts}


def _csv_check(answers: Dict[str, Any], _ctx: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    ours, theirs = answers["qudao"], answers["polars"]
    keys = [k for k in ("transactions", "customers", "products", "partners") if k in theirs]
    same = all(ours.get(k) == theirs[k] for k in keys)
    detail = ", ".join(f"{k} {ours.get(k):,}/{theirs[k]:,}" for k in keys)
    return {"polars": {"ok": same, "detail": f"rows (qudao/polars): {detail}"}}


CSV = Task(
    prepare=lambda data: {"dir": data / "csv"},
    tools={"qudao": lambda c: csv_qudao(c["dir"]), "polars": lambda c: csv_polars(c["dir"])},
    check=_csv_check,
)


# --- Python overhead -----------------------------------------------------------------------


def _overhead_input(data: Path) -> Dict[str, Any]:
    dataset = qudao.load_csv(data / "csv")
    journeys = qudao.journeys_from_paths(pl.read_parquet(data / "journeys.parquet"))
    return {"dir": data / "csv", "dataset": dataset, "journeys": journeys, **_attribution_input(data)}


def _summary_rfm(c: Dict[str, Any]) -> Any:
    return qudao.rfm(qudao.customer_summary(c["dataset"], AS_OF, "distinct_orders"))


def _summary_fits(c: Dict[str, Any]) -> Any:
    s = qudao.customer_summary(c["dataset"], AS_OF, "active_periods", period="day", unit="day")
    return qudao.fit_bgnbd(s), qudao.fit_gamma_gamma(s)


# The same calls as `qudao-bench-peers measure`, through the wheel.
OVERHEAD = Task(
    prepare=_overhead_input,
    tools={
        "csv_load": lambda c: qudao.load_csv(c["dir"]),
        "rfm": _summary_rfm,
        "btyd": _summary_fits,
        "attribution": lambda c: qudao.attribute(c["journeys"], c["settings"]),
    },
    check=lambda answers, ctx: {},
)

TASKS: Dict[str, Task] = {
    "rfm_memory": RFM_MEMORY,
    "rfm_parquet": RFM_PARQUET,
    "btyd": BTYD,
    "attribution": ATTRIBUTION,
    "csv": CSV,
    "overhead": OVERHEAD,
}


def run_times(task: Task, ctx: Dict[str, Any], reps: int, slow_reps: int) -> Dict[str, Any]:
    names = list(task.tools)
    times: Dict[str, List[float]] = {n: [] for n in names}
    answers: Dict[str, Any] = {}
    for rep in range(reps):
        order = names[rep % len(names):] + names[: rep % len(names)]
        for name in order:
            if name in task.slow and rep >= slow_reps:
                continue
            gc.collect()
            start = time.perf_counter()
            answer = task.tools[name](ctx)
            times[name].append(time.perf_counter() - start)
            if name not in answers:
                answers[name] = answer
            del answer
    return {"times": times, "checks": task.check(answers, ctx)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("task", choices=sorted(TASKS))
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--slow-reps", type=int, default=3, help="repetitions of the slow peers")
    p.add_argument("--memory", help="measure the peak memory of one run of this tool")
    a = p.parse_args()
    task = TASKS[a.task]
    ctx = task.prepare(a.data)
    if a.memory:
        tool = task.tools[a.memory]
        out: Dict[str, Any] = {"peak_bytes": peak_memory(lambda: tool(ctx))}
    else:
        out = run_times(task, ctx, max(a.reps, 1), max(a.slow_reps, 1))
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
