"""Channel economics and budget reallocation: the sample company's tables, exact sums and
shares, predicted CLV, the budget plan document, reallocation summing exactly to the budget
with its reasoning, feeding attribution into it, the CLV/CAC plot."""

from __future__ import annotations

import datetime
import doctest
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List

import polars as pl
import pyarrow as pa
import pytest

import qudao
import qudao.economics

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "testdata" / "sample"
AS_OF = datetime.date(2025, 12, 31)

ROW_COLUMNS = [
    "channel",
    "period",
    "period_start",
    "period_end",
    "acquired",
    "acquired_from_master",
    "touched",
    "converted",
    "converted_acquired",
    "conversion_rate",
    "acquisition_conversion_rate",
    "channel_cost",
    "touch_cost",
    "spend",
    "cac",
    "revenue",
    "margin",
    "revenue_per_customer",
    "margin_per_customer",
    "predicted",
    "predicted_per_customer",
    "value",
    "clv",
    "clv_cac",
    "roi",
    "payback_periods",
    "payback_on_revenue",
    "missing",
]


@pytest.fixture(scope="module")
def data() -> qudao.Dataset:
    return qudao.load_csv(SAMPLE)


@pytest.fixture(scope="module")
def econ(data: qudao.Dataset) -> qudao.ChannelEconomics:
    return qudao.channel_economics(data, AS_OF)


def _plan(total: int, measure: str, channels: List[Dict[str, Any]]) -> qudao.BudgetPlan:
    return qudao.BudgetPlan.from_dict(
        {"schema_version": 1, "id": "test", "total": total, "measure": measure, "channels": channels}
    )


# --- channel economics --------------------------------------------------------------------------


def test_sample_tables(econ: qudao.ChannelEconomics) -> None:
    assert econ.as_of == AS_OF
    assert (econ.currency, econ.currency_exponent) == ("CNY", 2)
    assert econ.value_basis == "historic_margin"
    assert econ.predictions is None
    assert econ.periods[0].startswith("2024") and econ.periods[-1] == "2025-Q4"
    rows, totals = econ.rows.to_pylist(), econ.totals.to_pylist()
    assert econ.rows.column_names == ROW_COLUMNS == econ.totals.column_names
    channels = [r["channel"] for r in totals]
    assert channels == sorted(channels)
    # Every channel has a row for every period, channels in id order, then periods.
    assert len(rows) == len(channels) * len(econ.periods)
    assert [(r["channel"], r["period"]) for r in rows] == [
        (c, p) for c in channels for p in econ.periods
    ]
    assert all(r["period"] is None and r["period_start"] is None for r in totals)
    assert isinstance(rows[0]["period_start"], datetime.date)
    # Totals add the periods up; customers are acquired exactly once.
    for t in totals:
        mine = [r for r in rows if r["channel"] == t["channel"]]
        for column in ("acquired", "spend", "revenue", "channel_cost", "touch_cost"):
            assert sum(r[column] for r in mine) == t[column], (t["channel"], column)
        assert t["spend"] == t["channel_cost"] + t["touch_cost"]
    assert sum(t["acquired"] for t in totals) == econ.counts["customers_acquired"]
    assert econ.rows.metadata == {"currency": "CNY", "currency_exponent": "2"}


def test_measures_follow_their_definitions(econ: qudao.ChannelEconomics) -> None:
    six = Decimal("0.000001")
    for t in econ.totals.to_pylist():
        if t["acquired"] and t["spend"]:
            # CAC in yuan: spend (fen) / 100 / acquired, rounded half-even to 6 places.
            cac = (Decimal(t["spend"]) / 100 / t["acquired"]).quantize(six)
            assert t["cac"] == cac
        if t["cac"] is None:
            assert "cac: customers acquired is zero" in t["missing"]
        if t["value"] is not None and t["spend"]:
            assert t["clv_cac"] == (Decimal(t["value"]) / t["spend"]).quantize(six)
            assert t["roi"] == ((Decimal(t["value"]) - t["spend"]) / t["spend"]).quantize(six)
        # Without predictions, the predicted value is missing and says why.
        assert t["predicted"] is None and "predicted: no predictions data" in t["missing"]
        # Payback is per cohort, never over all periods.
        assert t["payback_periods"] is None


def test_revenue_shares_add_up_to_one(econ: qudao.ChannelEconomics) -> None:
    shares = econ.revenue_share.to_pylist()
    assert econ.revenue_share.column_names == [
        "period",
        "period_start",
        "period_end",
        "channel",
        "revenue",
        "share",
        "missing",
    ]
    for period in econ.periods:
        mine = [s for s in shares if s["period"] == period]
        if all(s["share"] is not None for s in mine) and mine:
            assert sum(s["share"] for s in mine) == 1
    df = econ.revenue_share.to_polars()
    assert df.schema["share"] == pl.Decimal(38, 4)
    assert df.schema["revenue"] == pl.Int64


def test_conversions_to_polars_pandas_pyarrow(econ: qudao.ChannelEconomics) -> None:
    df = econ.to_polars()
    assert df.columns == ROW_COLUMNS
    assert df.schema["cac"] == pl.Decimal(38, 6)
    assert df.schema["spend"] == pl.Int64
    assert df.schema["period_start"] == pl.Date
    assert len(df) == len(econ) == len(econ.totals)
    assert pa.table(econ).num_rows == len(econ)
    assert list(econ.to_pandas().columns) == ROW_COLUMNS
    assert "<table>" in econ._repr_html_()
    doc = econ.to_dict()
    assert doc["currency"] == "CNY" and len(doc["rows"]) == len(econ.rows)
    assert "ChannelEconomics as of 2025-12-31" in repr(econ)


def test_grains_values_and_predicted_clv(data: qudao.Dataset) -> None:
    yearly = qudao.channel_economics(data, "2025-12-31", grain="year", value="historic_revenue")
    assert yearly.periods[-1] == "2025"
    assert yearly.value_basis == "historic_revenue"
    for t in yearly.totals.to_pylist():
        assert t["value"] == t["revenue"]
    custom = qudao.channel_economics(data, AS_OF, grain=["2025-H1", "2025-H2"])
    assert len(custom.periods) == 2
    assert custom.counts["lines_outside_periods"] > 0
    with_clv = qudao.channel_economics(
        data, AS_OF, grain="year", value="historic_plus_predicted", clv=True
    )
    assert with_clv.predictions and "BG/NBD" in with_clv.predictions
    acquiring = [t for t in with_clv.totals.to_pylist() if t["acquired"]]
    assert acquiring and all(t["predicted"] is not None for t in acquiring)
    for t in acquiring:
        assert t["value"] == t["revenue"] + t["predicted"]
    one = qudao.channel_economics(data, AS_OF, threads=1)
    assert one.to_json() == qudao.channel_economics(data, AS_OF, threads=2).to_json()


def test_bad_arguments(data: qudao.Dataset) -> None:
    with pytest.raises(qudao.ArgumentError) as info:
        qudao.channel_economics(data, AS_OF, grain="week")
    assert info.value.name == "grain"
    with pytest.raises(qudao.ArgumentError) as info:
        qudao.channel_economics(data, AS_OF, grain=["2025-Q5"])
    assert info.value.name == "periods[0]"
    with pytest.raises(qudao.ArgumentError):
        qudao.channel_economics(data, AS_OF, grain=[])
    with pytest.raises(qudao.ArgumentError) as info:
        qudao.channel_economics(data, AS_OF, value="profit")
    assert info.value.name == "value"
    with pytest.raises(qudao.ArgumentError) as info:
        qudao.channel_economics(data, "2025-13-01")
    assert info.value.name == "as_of"
    with pytest.raises(TypeError):
        qudao.channel_economics("data", AS_OF)  # type: ignore[arg-type]


# --- budget plans -------------------------------------------------------------------------------


def test_plan_document_round_trips(tmp_path: Path) -> None:
    doc = {
        "schema_version": 1,
        "id": "2026-h1",
        "total": 100000000,
        "measure": "clv_cac",
        "channels": [
            {"channel": "TMALL", "min": 5000000, "max": 40000000},
            {"channel": "LIVE", "min": 2000000},
            {"channel": "DIST"},
        ],
    }
    plan = qudao.BudgetPlan.from_dict(doc)
    assert (plan.id, plan.total, plan.measure) == ("2026-h1", 100000000, "clv_cac")
    assert plan.channels == ["TMALL", "LIVE", "DIST"]
    assert qudao.BudgetPlan.from_json(plan.to_json()).to_dict() == plan.to_dict()
    path = tmp_path / "plan.toml"
    path.write_text(
        'schema_version = 1\nid = "t"\ntotal = 10\nmeasure = "given"\n'
        '[[channels]]\nchannel = "A"\nefficiency = "1"\n'
    )
    assert qudao.BudgetPlan.from_path(path).channels == ["A"]
    assert qudao.BudgetPlan.from_file(str(path)).total == 10
    yaml = "schema_version: 1\nid: y\ntotal: 5\nmeasure: roi\nchannels:\n  - channel: A\n"
    assert qudao.BudgetPlan.from_yaml(yaml).measure == "roi"
    assert qudao.BudgetPlan.from_toml(path.read_text()).id == "t"
    schema = qudao.BudgetPlan.schema()
    assert schema == qudao.BudgetPlan.json_schema()
    assert schema["title"] == "Budget plan"
    assert "BudgetPlan 2026-h1" in repr(plan)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"total": -1}, "total"),
        ({"channels": []}, "channels"),
        ({"channels": [{"channel": "A"}, {"channel": "A"}]}, "channels[1].channel"),
        ({"channels": [{"channel": "A", "min": 5, "max": 4}]}, "channels[0].max"),
        ({"channels": [{"channel": "A", "min": 200}]}, "total"),
        ({"channels": [{"channel": "A", "max": 50}]}, "total"),
        ({"channels": [{"channel": "A", "efficiency": "-1"}]}, "channels[0].efficiency"),
    ],
)
def test_bad_plans_name_the_field(changes: Dict[str, Any], path: str) -> None:
    doc = {"schema_version": 1, "id": "x", "total": 100, "measure": "given",
           "channels": [{"channel": "A"}], **changes}
    with pytest.raises(qudao.RuleError) as info:
        qudao.BudgetPlan.from_dict(doc)
    assert info.value.path == path


# --- reallocation -------------------------------------------------------------------------------


def test_reallocation_sums_exactly_by_largest_remainder() -> None:
    # 1,000,000 over three equal efficiencies: 333,333.33 each; the one unit left goes to the
    # smallest channel id (not the first in the plan).
    plan = _plan(1_000_000, "given", [
        {"channel": "C", "efficiency": "1"},
        {"channel": "A", "efficiency": "1"},
        {"channel": "B", "efficiency": "1"},
    ])
    r = qudao.reallocate(plan)
    lines = r.to_pylist()
    assert [x["channel"] for x in lines] == ["C", "A", "B"]
    # 1,000,001: 333,333.67 each, two units left over: A and B.
    odd = qudao.reallocate(qudao.BudgetPlan.from_dict({**plan.to_dict(), "total": 1_000_001}))
    assert [x["amount"] for x in odd.to_pylist()] == [333_333, 333_334, 333_334]
    assert sum(x["amount"] for x in lines) == r.total == 1_000_000
    assert {x["channel"]: x["amount"] for x in lines} == {"A": 333_334, "B": 333_333, "C": 333_333}
    assert all(x["bound"] == "free" for x in lines)
    assert all(x["share_before_bounds"] == Decimal("0.333333") for x in lines)
    assert r.lines.metadata == {}


def test_reallocation_bounds_and_reasoning() -> None:
    plan = _plan(1_000_000, "given", [
        {"channel": "BIG", "efficiency": "8", "max": 500_000},
        {"channel": "MID", "efficiency": "1.5", "min": 400_000},
        {"channel": "SMALL", "efficiency": "0.5"},
        {"channel": "NONE", "min": 10_000},
    ])
    r = qudao.reallocate(plan, {"BIG": {"current_spend": 400_000}})
    lines = {x["channel"]: x for x in r.to_pylist()}
    assert sum(x["amount"] for x in lines.values()) == 1_000_000
    assert (lines["BIG"]["amount"], lines["BIG"]["bound"]) == (500_000, "max")
    # 990,000 after NONE's minimum; BIG's share 8/10 breaks its maximum, MID's share of the
    # rest (367,500) is below its minimum: SMALL gets what is left.
    assert (lines["MID"]["amount"], lines["MID"]["bound"]) == (400_000, "min")
    assert (lines["NONE"]["amount"], lines["NONE"]["bound"]) == (10_000, "no_efficiency")
    assert (lines["SMALL"]["amount"], lines["SMALL"]["bound"]) == (90_000, "free")
    assert lines["BIG"]["change"] == 100_000 and lines["MID"]["change"] is None
    assert lines["NONE"]["efficiency"] is None
    assert "efficiency: no efficiency data" in lines["NONE"]["missing"]
    text = r.reasoning()
    assert "BIG: efficiency 8.000000" in text and "[max]" in text and "(change +100000)" in text
    assert r.notes and r.notes[-1] in text
    assert r.plan == "test" and r.measure == "given"
    assert r.to_dict()["total"] == 1_000_000
    assert "<li>" in r._repr_html_()
    assert pl.DataFrame(r).schema["amount"] == pl.Int64


def test_reallocation_from_economics(econ: qudao.ChannelEconomics) -> None:
    totals = econ.totals.to_pylist()
    channels = [{"channel": t["channel"]} for t in totals]
    plan = _plan(123_456_789, "clv_cac", channels)
    r = qudao.reallocate(plan, econ)
    lines = r.to_pylist()
    assert sum(x["amount"] for x in lines) == 123_456_789
    assert r.lines.metadata["currency"] == "CNY"
    for x, t in zip(lines, totals):
        assert x["current_spend"] == t["spend"]
        assert x["efficiency"] == t["clv_cac"]
        if t["clv_cac"] is None or t["clv_cac"] <= 0:
            assert x["bound"] == "no_efficiency"
    # Efficiencies given over the economics win.
    first = totals[0]["channel"]
    over = qudao.reallocate(plan, econ, efficiencies={first: {"clv_cac": Decimal("1000")}})
    assert over.to_pylist()[0]["efficiency"] == 1000


def test_reallocation_by_attributed_value(data: qudao.Dataset, econ: qudao.ChannelEconomics) -> None:
    result = qudao.attribute(qudao.journeys_from_dataset(data))
    markov = {r["channel"]: r["value"] for r in result.to_pylist() if r["model"] == "markov"}
    spend = {t["channel"]: t["spend"] for t in econ.totals.to_pylist()}
    channels = [c for c in sorted(markov) if c in spend]
    plan = _plan(10_000_000, "attributed_value_per_spend", [{"channel": c} for c in channels])
    r = qudao.reallocate(plan, econ, attribution=result, model="markov")
    lines = r.to_pylist()
    assert sum(x["amount"] for x in lines) == 10_000_000
    for x in lines:
        c = x["channel"]
        if markov[c] and spend[c]:
            expected = (Decimal(markov[c]) / spend[c]).quantize(Decimal("0.000001"))
            assert x["efficiency"] == expected, c
    # The same through plain efficiencies.
    given = {c: {"attributed_value": markov[c], "current_spend": spend[c]} for c in channels}
    assert qudao.reallocate(plan, given).to_json() == r.to_json()
    with pytest.raises(qudao.ArgumentError) as info:
        qudao.reallocate(plan, econ, attribution=result, model="nope")
    assert info.value.name == "model"
    only = qudao.attribute(qudao.journeys_from_dataset(data), {"schema_version": 1, "models": ["linear"]})
    with pytest.raises(qudao.ArgumentError):
        qudao.reallocate(plan, econ, attribution=only)


def test_bad_reallocation_arguments(econ: qudao.ChannelEconomics) -> None:
    plan = _plan(100, "roi", [{"channel": "A"}])
    with pytest.raises(qudao.ArgumentError) as info:
        qudao.reallocate(plan, {"A": {"current_spend": 1.5}})
    assert info.value.name == 'efficiencies["A"].current_spend'
    with pytest.raises(qudao.ArgumentError):
        qudao.reallocate(plan, {"A": {"roi": "lots"}})
    with pytest.raises(qudao.ArgumentError):
        qudao.reallocate(plan, {"A": {"spend": 1}})
    with pytest.raises(TypeError):
        qudao.reallocate(plan, [1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        qudao.reallocate({"id": "x"})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        qudao.reallocate(plan, {"A": {}}, efficiencies={"A": {}})
    with pytest.raises(TypeError):
        qudao.reallocate(plan, econ, attribution=econ)  # type: ignore[arg-type]


# --- plot and docs -------------------------------------------------------------------------------


def test_plot_needs_matplotlib(
    monkeypatch: pytest.MonkeyPatch, econ: qudao.ChannelEconomics
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'qudao\[plot\]'"):
        econ.plot_clv_cac()


def test_plot_clv_cac(econ: qudao.ChannelEconomics) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        totals = econ.totals.to_pylist()
        ax = econ.plot_clv_cac()
        assert len(ax.patches) == len(totals)
        assert [t.get_text() for t in ax.get_xticklabels()] == [t["channel"] for t in totals]
        for bar, t in zip(ax.patches, totals):
            expected = 0.0 if t["clv_cac"] is None else float(t["clv_cac"])
            assert bar.get_height() == pytest.approx(expected)
        missing = sum(1 for t in totals if t["clv_cac"] is None)
        assert sum(1 for t in ax.texts if t.get_text() == "n/a") == missing
        _, mine = plt.subplots()
        assert econ.plot_clv_cac(ax=mine) is mine
    finally:
        plt.close("all")


def test_module_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = doctest.testmod(qudao.economics, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
