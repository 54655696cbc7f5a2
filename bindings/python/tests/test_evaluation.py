"""Channel and partner evaluation: KPIs, scorecards, BCG, warnings, onboarding, grades, plots."""

from __future__ import annotations

import doctest
import json
import math
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List

import pandas as pd
import polars as pl
import pytest

import qudao
import qudao.evaluation

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "testdata" / "sample"
DOCS = REPO / "crates" / "qudao" / "evaluation"
PLANTED: Dict[str, Any] = json.loads((SAMPLE / "planted.json").read_text())
QUARTERS = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]

KPI_COLUMNS = [
    "subject_kind",
    "subject",
    "period",
    "period_start",
    "period_end",
    "kpi",
    "value",
    "value_text",
    "unit",
    "direction",
    "missing_kind",
    "missing_reason",
]


@pytest.fixture(scope="module")
def data() -> qudao.Dataset:
    return qudao.load_csv(SAMPLE)


@pytest.fixture(scope="module")
def monthly(data: qudao.Dataset) -> qudao.KpiTable:
    """Every kind, every month of the sample's two years."""
    return qudao.kpis(data, "2024-01-01", "2026-01-01", grain="month")


@pytest.fixture(scope="module")
def quarterly(data: qudao.Dataset) -> qudao.KpiTable:
    """Partners by quarter of 2025 (what the sample scorecard and grade rules read)."""
    return qudao.kpis(data, "2025-01-01", "2026-01-01", grain="quarter", kinds=["partner"])


@pytest.fixture(scope="module")
def scores(quarterly: qudao.KpiTable) -> qudao.ScorecardRun:
    return qudao.Scorecard.sample_company().evaluate(quarterly)


@pytest.fixture(scope="module")
def bcg(data: qudao.Dataset) -> qudao.BcgReport:
    channels = qudao.kpis(data, "2024-01-01", "2026-01-01", grain="quarter", kinds=["channel"])
    return qudao.BcgOptions.sample_company().analyze(channels)


# --- KPIs --------------------------------------------------------------------------------------


def test_kpi_table_shape(data: qudao.Dataset, quarterly: qudao.KpiTable) -> None:
    t = quarterly.table
    assert t.column_names == KPI_COLUMNS
    assert quarterly.periods == QUARTERS
    assert quarterly.currency == "CNY"
    partners = quarterly.subjects("partner")
    assert len(partners) == data.master_counts["partners"]
    assert quarterly.subjects("channel") == []
    frame = t.to_polars()
    kpi_names = frame.get_column("kpi").unique().to_list()
    assert "revenue" in kpi_names and "inventory_turnover_days" in kpi_names
    # Every KPI for every subject and period: a value or a reason, never both, never neither.
    assert frame.height == len(partners) * len(QUARTERS) * len(kpi_names) == len(quarterly)
    assert set(frame.get_column("subject_kind").unique()) == {"partner"}
    has_value = frame.get_column("value_text").is_not_null()
    has_reason = frame.get_column("missing_reason").is_not_null()
    assert (has_value ^ has_reason).all()
    assert (frame.get_column("value").is_not_null() == has_value).all()
    assert frame.schema["value"] == pl.Float64


def test_kpi_missing_reasons(quarterly: qudao.KpiTable) -> None:
    rows = quarterly.to_pylist()
    # No market sizes were given: market share is missing for everyone, with a reason.
    share = [r for r in rows if r["kpi"] == "market_share"]
    assert share and all(r["value"] is None and r["missing_reason"] for r in share)
    # Channel costs are a channel's: not applicable to partners.
    cost = [r for r in rows if r["kpi"] == "channel_cost_ratio"]
    assert cost and {r["missing_kind"] for r in cost} == {"not_applicable"}
    assert {r["missing_reason"] for r in cost} == {"does not apply"}
    assert {r["unit"] for r in cost} == {"ratio"} and {r["direction"] for r in cost} == {
        "lower_is_better"
    }
    # The accessors agree with the table.
    r = cost[0]
    assert quarterly.get(r["subject"], r["period"], "channel_cost_ratio") is None
    assert quarterly.missing_reason(r["subject"], r["period"], "channel_cost_ratio") == "does not apply"


def test_kpi_values_are_exact(quarterly: qudao.KpiTable) -> None:
    rows = [r for r in quarterly.to_pylist() if r["kpi"] == "revenue"]
    assert rows and all(r["value_text"] is not None for r in rows)
    for r in rows[:20]:
        exact = quarterly.get(r["subject"], r["period"], "revenue", kind="partner")
        assert exact == Decimal(r["value_text"])
        assert r["value"] == float(exact)
        assert quarterly.missing_reason(r["subject"], r["period"], "revenue") is None
    assert quarterly.get("NOPE", "2025-Q1", "revenue") is None
    assert quarterly.missing_reason("NOPE", "2025-Q1", "revenue") == "not computed"
    doc = json.loads(quarterly.to_json())
    assert doc["periods"] == QUARTERS
    assert len(doc["values"]) == len(quarterly.subjects("partner"))
    first = doc["values"][0]
    assert first["kind"] == "partner" and "revenue" in first["values"]["2025-Q1"]


def test_kpi_market_size_and_custom_periods(data: qudao.Dataset) -> None:
    partner = PLANTED["overstocked_partner"]
    table = qudao.kpis(
        data,
        grain=["2025-Q1", "2025-07-01..2025-07-14"],
        kinds=["partner"],
        market_size=[
            {"subject": {"kind": "partner", "id": partner}, "period": "2025-Q1", "value": 10**12}
        ],
        backlog_days=Decimal("45"),
        threads=1,
    )
    assert table.periods == ["2025-Q1", "2025-07-01..2025-07-14"]
    share = table.get(partner, "2025-Q1", "market_share")
    revenue = table.get(partner, "2025-Q1", "revenue")
    assert share is not None and revenue is not None
    assert abs(share - revenue / Decimal(10**10)) < Decimal("0.000001")


def test_kpi_bad_arguments(data: qudao.Dataset, quarterly: qudao.KpiTable) -> None:
    def name(**kw: Any) -> str:
        with pytest.raises(qudao.ArgumentError) as e:
            qudao.kpis(data, **kw)
        assert isinstance(e.value, ValueError)
        return str(e.value.name)

    assert name(from_="2025-01-01", to="2026-01-01", grain="week") == "grain"
    assert name(to="2026-01-01", grain="month") == "from_"
    assert name(from_="2025-01-01", to="2025-01-01", grain="month") == "to"
    assert name(from_="2025-01-01", to="2026-01-01", kinds=["partner", "shop"]) == "kinds[1]"
    assert name(grain=["2025-Q1", "2025-Q5"]) == "periods[1]"
    assert name(from_="2025-01-01", to="2026-01-01", market_size=[{"period": "2025-Q1"}]) == (
        "market_size[0]"
    )
    assert name(from_="2025-01-01", to="2026-01-01", backlog_days="many") == "backlog_days"
    assert name(from_="2025-13-01", to="2026-01-01") == "from_"
    with pytest.raises(qudao.ArgumentError, match="kpi"):
        quarterly.get("DS001", "2025-Q1", "profit")
    with pytest.raises(TypeError, match="qudao.Dataset"):
        qudao.kpis("testdata/sample", "2025-01-01", "2026-01-01")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="KpiTable"):
        qudao.Scorecard.sample_company().evaluate(quarterly.table)  # type: ignore[arg-type]


def test_kpi_table_converts(quarterly: qudao.KpiTable) -> None:
    frame = quarterly.to_polars()
    assert frame.columns == KPI_COLUMNS
    assert frame.schema["period_start"] == pl.Date
    pdf = quarterly.to_pandas()
    assert isinstance(pdf, pd.DataFrame) and pdf.shape == (len(quarterly), len(KPI_COLUMNS))
    assert pl.DataFrame(quarterly).height == len(quarterly)  # the Arrow stream itself
    assert quarterly.to_arrow().num_rows == len(quarterly)
    assert "KpiTable" in repr(quarterly) and "<table>" in quarterly._repr_html_()


# --- scorecards --------------------------------------------------------------------------------


def test_scores_in_range_and_ranked(scores: qudao.ScorecardRun) -> None:
    assert scores.scorecard == qudao.Scorecard.sample_company().id
    assert scores.subject == "partner"
    assert scores.periods == QUARTERS
    frame = scores.to_polars()
    assert frame.columns == ["subject", "period", "score", "rank", "strengths", "weaknesses"]
    assert frame.height > 0
    assert frame.get_column("score").is_between(0, 100).all()
    for period in QUARTERS:
        ranks = sorted(frame.filter(pl.col("period") == period).get_column("rank").to_list())
        assert ranks == list(range(1, len(ranks) + 1))
    assert scores.to_pandas().shape == (frame.height, 6)


def test_score_explanations(scores: qudao.ScorecardRun) -> None:
    top = scores.scores.to_pylist()[0]
    e = scores.explain(top["subject"], top["period"])
    assert e["id"] == top["subject"] and e["period"] == top["period"] and e["rank"] == 1
    assert math.isclose(sum(i["contribution"] for i in e["indicators"]), e["score"], abs_tol=1e-6)
    used = [i for i in e["indicators"] if i["normalised"] is not None]
    assert math.isclose(sum(i["effective_weight"] for i in used), 1.0, abs_tol=1e-9)
    for i in e["indicators"]:
        assert {"kpi", "group", "raw", "normalised", "weight", "contribution"} <= set(i)
    assert all(s["delta"] > 0 for s in e["strengths"])
    assert all(w["delta"] < 0 for w in e["weaknesses"])
    # Without a period: the latest one the subject was scored in.
    latest = scores.explain(top["subject"])
    assert latest["period"] == max(
        r["period"] for r in scores.scores.to_pylist() if r["subject"] == top["subject"]
    )
    assert len(scores.explanations()) == len(scores)
    with pytest.raises(KeyError):
        scores.explain("NOPE")
    ind = scores.indicators.to_polars()
    assert ind.height == len(scores) * len(qudao.Scorecard.sample_company().kpis)
    assert {"raw", "normalised", "weight", "effective_weight", "contribution"} <= set(ind.columns)
    assert json.loads(scores.to_json())["scorecard"] == scores.scorecard


def test_bad_scorecard_names_the_field() -> None:
    doc = qudao.Scorecard.sample_company().to_dict()
    doc["groups"][0]["indicators"][0]["weight"] = "0.9"
    with pytest.raises(qudao.RuleError) as e:
        qudao.Scorecard.from_dict(doc)
    assert e.value.path == "groups[0].indicators"
    assert "groups[0].indicators" in str(e.value) and "sum to" in str(e.value)
    doc = qudao.Scorecard.sample_company().to_dict()
    doc["groups"][1]["indicators"][0]["kpi"] = "profit"
    with pytest.raises(qudao.RuleError, match="profit"):
        qudao.Scorecard.from_dict(doc)
    with pytest.raises(qudao.RuleError) as e:
        qudao.Scorecard.from_json("{not json")
    assert e.value.format == "json"


def test_documents_load_every_way(tmp_path: Path) -> None:
    cases = [
        (qudao.Scorecard, "sample-scorecard.toml"),
        (qudao.BcgOptions, "sample-bcg.toml"),
        (qudao.WarningRules, "sample-warning-rules.toml"),
        (qudao.OnboardingPolicy, "sample-onboarding.toml"),
        (qudao.GradeRules, "sample-grade-rules.toml"),
    ]
    for cls, file in cases:
        sample = cls.sample_company()
        path = DOCS / file
        assert cls.from_path(path).to_dict() == sample.to_dict(), file
        assert cls.from_file(str(path)).id == sample.id
        assert cls.from_toml(path.read_text()).to_dict() == sample.to_dict()
        assert cls.from_json(sample.to_json()).to_dict() == sample.to_dict()
        assert cls.from_dict(sample.to_dict()).id == sample.id
        assert isinstance(cls.json_schema(), dict)
        assert repr(sample).startswith(f"<qudao.{cls.__name__} ")
        with pytest.raises(qudao.RuleError, match="schema_version"):
            cls.from_dict({**sample.to_dict(), "schema_version": 9})
    with pytest.raises(qudao.QudaoIOError):
        qudao.WarningRules.from_path(tmp_path / "nope.toml")
    with pytest.raises(TypeError):
        qudao.BcgOptions.from_dict([])  # type: ignore[arg-type]


# --- BCG ---------------------------------------------------------------------------------------


def test_bcg_quadrants(bcg: qudao.BcgReport) -> None:
    assert bcg.kind == "channel" and bcg.growth_kpi == "growth_yoy"
    assert bcg.growth_threshold == Decimal("0.10") and bcg.share_threshold == Decimal("1.0")
    assert bcg.periods[0] == "2024-Q1" and bcg.periods[-1] == "2025-Q4"
    frame = bcg.to_polars()
    assert frame.height > 0
    assert set(frame.get_column("quadrant").unique()) <= {"star", "cash_cow", "question_mark", "dog"}
    for r in frame.iter_rows(named=True):
        assert r["high_growth"] == (Decimal(r["growth_text"]) >= bcg.growth_threshold)
        assert r["high_share"] == (Decimal(r["relative_share_text"]) >= bcg.share_threshold)
        assert r["action_en"] and r["action_zh"]
    # 2024 has no year earlier in the data: unclassified with the reason, never guessed.
    un = bcg.unclassified.to_pylist()
    assert un and all(u["reason"] for u in un)
    assert {u["period"] for u in un} >= {"2024-Q1"}
    assert not any(r["period"] == "2024-Q1" for r in frame.iter_rows(named=True))
    assert bcg.movements.column_names == ["subject", "from_period", "from", "to_period", "to"]
    for m in bcg.movements.to_pylist():
        assert m["from"] != m["to"]
    assert len(bcg.to_dict()["matrices"]) == len(bcg.periods)


def test_bcg_for_given_periods(data: qudao.Dataset) -> None:
    channels = qudao.kpis(data, "2024-01-01", "2026-01-01", grain="quarter", kinds=["channel"])
    report = qudao.BcgOptions.sample_company().analyze(channels, ["2025-Q4", "2025-Q3"])
    assert report.periods == ["2025-Q3", "2025-Q4"]
    with pytest.raises(qudao.ArgumentError):
        qudao.BcgOptions.sample_company().analyze(channels, ["Q3"])


# --- warnings ----------------------------------------------------------------------------------


def test_planted_partners_raise_alerts() -> None:
    # The bundled CSV sample has 3,000 lines: its planted complaints partner has an order in
    # only 7 of 24 months, so no three-month run of complaint rates exists there. The same
    # company with 20,000 lines (as the core's test) shows both planted patterns.
    lines = 20_000
    planted = json.loads(qudao._native.sample_planted(lines, 42))
    data = qudao.sample(lines=lines, seed=42)
    monthly = qudao.kpis(data, "2024-01-01", "2026-01-01", grain="month", kinds=["partner"])
    report = qudao.WarningRules.sample_company().evaluate(monthly)
    rows = report.alerts.to_pylist()
    fired = {(r["rule"], r["subject"]) for r in rows}
    assert ("stock-cover-high", planted["overstocked_partner"]) in fired
    assert ("complaints-rising", planted["rising_complaints_partner"]) in fired
    # Only the planted partner has that much stock.
    assert {s for rule, s in fired if rule == "stock-cover-high"} == {planted["overstocked_partner"]}
    assert report.rules_id == "minghe-warnings"
    for r in rows:
        assert r["severity"] in ("info", "warning", "critical")
        assert r["message"] and r["action_en"]
    evidence = report.evidence()
    assert len(evidence) == len(rows)
    stock = next(
        e for e in evidence
        if e["rule"] == "stock-cover-high" and e["subject"]["id"] == planted["overstocked_partner"]
    )
    comparison = stock["evidence"]["comparisons"][0]
    assert comparison["kpi"] == "inventory_turnover_days"
    assert Decimal(comparison["value"]) > Decimal(comparison["threshold"])
    runs = report.runs()
    assert [r["rule"] for r in runs] == qudao.WarningRules.sample_company().rules
    assert report.to_pandas().shape[0] == len(rows)


def test_credit_exposure_inputs(monthly: qudao.KpiTable) -> None:
    rules = qudao.WarningRules.sample_company()
    partner = PLANTED["overstocked_partner"]
    report = rules.evaluate(
        monthly,
        receivables=[{"partner": partner, "date": "2025-06-30", "amount": 10**12}],
        credit_limits=[{"partner": partner, "limit": 100}],
        periods=["2025-06"],
    )
    credit = [e for e in report.evidence() if e["evidence"]["kind"] == "credit_exposure"]
    assert credit and credit[0]["subject"]["id"] == partner
    assert {r["period"] for r in report.alerts.to_pylist()} == {"2025-06"}
    with pytest.raises(qudao.ArgumentError) as e:
        rules.evaluate(monthly, receivables=[{"partner": partner, "date": "2025-06-30", "amount": 1}, {}])
    assert e.value.name == "receivables[1]"
    with pytest.raises(TypeError):
        rules.evaluate(monthly, receivables={"partner": partner})  # type: ignore[arg-type]


# --- onboarding and grades ---------------------------------------------------------------------


def test_onboarding(data: qudao.Dataset) -> None:
    policy = qudao.OnboardingPolicy.sample_company()
    results = policy.evaluate(data)
    rows = results.to_pylist()
    assert len(rows) == data.master_counts["partners"]
    assert results.table.column_names == [
        "partner", "passed", "score", "pass_score", "failed_gates", "top_criterion"
    ]
    for r, full in zip(rows, results.results()):
        assert r["partner"] == full["partner"]
        assert 0 <= r["score"] <= 100
        assert r["failed_gates"] == ", ".join(g["id"] for g in full["failed_gates"])
        assert r["passed"] == (not full["failed_gates"] and r["score"] >= r["pass_score"])
    one = policy.evaluate_candidate(
        {"licence_held": True, "years_in_industry": 2, "registered_capital": Decimal(2_000_000)}
    )
    assert not one["passed"] and [g["id"] for g in one["failed_gates"]] == ["years"]
    with pytest.raises(qudao.ArgumentError):
        policy.evaluate_candidate({"shoe_size": 44})


def test_grade_suggestions(
    data: qudao.Dataset, quarterly: qudao.KpiTable, scores: qudao.ScorecardRun
) -> None:
    rules = qudao.GradeRules.sample_company()
    report = rules.suggest(data, quarterly, scores, as_of="2025-Q4")
    assert report.as_of == ["2025-Q4"]
    assert report.table.column_names == [
        "partner", "rule", "kind", "from", "to", "label_en", "label_zh", "periods"
    ]
    rows = report.to_pylist()
    for r, full in zip(rows, report.suggestions()):
        assert r["kind"] in ("promote", "demote", "review")
        assert r["rule"] in rules.rules
        assert r["periods"] == len(full["evidence"]) > 0
    # The sample rules read scores: without them the core refuses, as a qudao error.
    with pytest.raises(qudao.QudaoError):
        rules.suggest(data, quarterly)


# --- plots and docs ----------------------------------------------------------------------------


def test_plots_need_matplotlib(monkeypatch: pytest.MonkeyPatch, bcg: qudao.BcgReport) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        bcg.plot()


def test_plots(
    monthly: qudao.KpiTable, scores: qudao.ScorecardRun, bcg: qudao.BcgReport
) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    top = scores.scores.to_pylist()[0]
    axes: List[Any] = [
        bcg.plot(),
        bcg.plot("2025-Q2"),
        scores.plot_breakdown(top["subject"], top["period"]),
        monthly.plot_trend("revenue", kind="channel"),
        monthly.plot_trend("complaint_rate", [PLANTED["rising_complaints_partner"]]),
    ]
    try:
        for ax in axes:
            assert isinstance(ax.figure, Figure)
        assert len(axes[2].patches) == len(qudao.Scorecard.sample_company().kpis)
        assert len(axes[3].lines) == len(monthly.subjects("channel"))
        with pytest.raises(qudao.ArgumentError):
            bcg.plot("1999-Q1")
    finally:
        plt.close("all")


def test_module_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = doctest.testmod(qudao.evaluation, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
