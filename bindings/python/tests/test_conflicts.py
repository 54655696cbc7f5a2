"""Channel conflict: the policy document, detection on the sample company's planted
violations, inputs as dicts and as Arrow tables, penalties through the rebate settlement, the
matrix plot."""

from __future__ import annotations

import datetime
import doctest
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import qudao
import qudao.conflicts

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "testdata" / "sample"
SAMPLE_POLICY = REPO / "crates" / "qudao" / "conflict" / "sample-policy.toml"
PLANTED: Dict[str, Any] = json.loads((SAMPLE / "planted.json").read_text())
AS_OF = datetime.date(2025, 12, 31)

FINDING_COLUMNS = [
    "id",
    "detector",
    "kind",
    "partner",
    "parties",
    "channels",
    "territory",
    "product",
    "period",
    "first_day",
    "last_day",
    "severity",
    "resolution",
    "repeats",
    "lines",
    "quantity",
    "amount",
    "cause",
    "message_en",
    "message_zh",
]

# Goods shipped to GA01 (ZJ, SH) sold by GA02 in Nanjing; goods for GA02 (JS, SD) delivered
# to Shanghai.
SHIPMENTS: List[Dict[str, Any]] = [
    {
        "batch": "B1",
        "product": "SKU0001",
        "partner": "GA01",
        "date": datetime.date(2025, 3, 1),
        "quantity": 100,
    },
    {
        "batch": "B2",
        "product": "SKU0002",
        "partner": "GA02",
        "date": datetime.date(2025, 4, 1),
        "quantity": 50,
        "ship_to": "SH",
    },
]
SIGHTINGS: List[Dict[str, Any]] = [
    {
        "batch": "B1",
        "date": datetime.date(2025, 3, 20),
        "territory": "JS-NJ",
        "seller": "GA02",
        "quantity": 10,
    },
    {"batch": "B1", "date": datetime.date(2025, 3, 21), "territory": "ZJ-HZ"},
]


@pytest.fixture(scope="module")
def data() -> qudao.Dataset:
    return qudao.load_csv(SAMPLE)


@pytest.fixture(scope="module")
def policy() -> qudao.ConflictPolicy:
    return qudao.ConflictPolicy.sample_company()


@pytest.fixture(scope="module")
def report(data: qudao.Dataset, policy: qudao.ConflictPolicy) -> qudao.ConflictReport:
    return qudao.detect_conflicts(data, policy)


def _of(report: qudao.ConflictReport, detector: str) -> List[Dict[str, Any]]:
    return [f for f in report.findings.to_pylist() if f["detector"] == detector]


def _planted_lines(kind: str) -> Set[Tuple[str, int]]:
    return {(p["order"], p["line"]) for p in PLANTED[kind]}


def _evidence_lines(report: qudao.ConflictReport, detector: str) -> Set[Tuple[str, int]]:
    return {
        (line["order"], line["line"])
        for f in report.explanations()
        if f["detector"] == detector
        for line in f["evidence"]["listed"]
    }


# --- the policy document ----------------------------------------------------------------------


def test_sample_policy(policy: qudao.ConflictPolicy) -> None:
    assert policy.id == "minghe-conflict"
    assert qudao.ConflictPolicy.sample().to_dict() == policy.to_dict()
    assert policy.detectors == list(qudao.conflicts.DETECTORS)
    assert "ConflictPolicy minghe-conflict" in repr(policy)
    defaults = qudao.ConflictPolicy.defaults()
    assert defaults.id == "default"
    assert defaults.detectors == list(qudao.conflicts.DETECTORS)


def test_policy_round_trips_through_every_format(policy: qudao.ConflictPolicy) -> None:
    doc = policy.to_dict()
    assert qudao.ConflictPolicy.from_dict(doc).to_dict() == doc
    assert qudao.ConflictPolicy.from_json(policy.to_json()).to_dict() == doc
    assert qudao.ConflictPolicy.from_toml(SAMPLE_POLICY.read_text()).to_dict() == doc
    assert qudao.ConflictPolicy.from_path(SAMPLE_POLICY).to_dict() == doc
    assert qudao.ConflictPolicy.from_file(str(SAMPLE_POLICY)).to_dict() == doc
    yaml = "schema_version: 1\nid: y\ncross_region:\n  enabled: false\n"
    parsed = qudao.ConflictPolicy.from_yaml(yaml)
    assert parsed.id == "y"
    assert "cross_region" not in parsed.detectors
    schema = qudao.ConflictPolicy.schema()
    assert schema == qudao.ConflictPolicy.json_schema()
    assert schema["title"] == "Conflict policy"
    assert "cross_region" in schema["properties"]


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('schema_version = 1\nid = "x"\n[undercutting]\ngap = "1.5"', "undercutting.gap"),
        ('schema_version = 1\nid = "x"\n[cross_region]\nseverity = "huge"', "cross_region.severity"),
        ('schema_version = 1\nid = "x"\n[cross_region]\nbogus = 1', "cross_region.bogus"),
        (
            'schema_version = 1\nid = "x"\nescalation = [{ after = 1, resolution = "warn" }]',
            "escalation[0].after",
        ),
        ('schema_version = 1\nid = "x"\n[inventory]\nbacklog_days = 20', "inventory.backlog_days"),
    ],
)
def test_bad_policies_name_the_field(text: str, path: str) -> None:
    with pytest.raises(qudao.RuleError) as info:
        qudao.ConflictPolicy.from_toml(text)
    assert info.value.path == path
    assert isinstance(info.value, ValueError)


def test_bad_policy_arguments() -> None:
    with pytest.raises(qudao.RuleError) as info:
        qudao.ConflictPolicy.from_dict({"schema_version": 1, "id": "x", "evidence_limit": 20_000})
    assert info.value.path == "evidence_limit"
    with pytest.raises(TypeError):
        qudao.ConflictPolicy.from_dict("id = 'x'")  # type: ignore[arg-type]
    with pytest.raises(qudao.QudaoIOError):
        qudao.ConflictPolicy.from_path(REPO / "no-such-policy.toml")


# --- detection on the planted sample ----------------------------------------------------------


def test_planted_cross_region_is_found_and_only_it(report: qudao.ConflictReport) -> None:
    cross = _of(report, "cross_region")
    assert cross
    assert {f["partner"] for f in cross} == {PLANTED["cross_region_partner"]}
    assert {f["territory"] for f in cross} == {p["territory"] for p in PLANTED["cross_region"]}
    assert _evidence_lines(report, "cross_region") == _planted_lines("cross_region")
    assert sum(f["lines"] for f in cross) == len(PLANTED["cross_region"])
    for f in cross:
        assert f["id"].startswith(f"cross_region/{PLANTED['cross_region_partner']}/")
        assert f["kind"] == "horizontal"
        assert f["severity"] in ("medium", "high")


def test_planted_below_floor_is_found_and_only_it(report: qudao.ConflictReport) -> None:
    below = _of(report, "below_floor")
    assert below
    assert {f["partner"] for f in below} == {PLANTED["below_floor_partner"]}
    assert _evidence_lines(report, "below_floor") == _planted_lines("below_floor")
    # Escalation: later months are repeats.
    assert sorted(f["repeats"] for f in below) == list(range(len(below)))


def test_report_parts(report: qudao.ConflictReport) -> None:
    assert report.policy == "minghe-conflict"
    assert report.currency == "CNY"
    counts = report.counts()
    assert counts["cross_region"] == len(_of(report, "cross_region"))
    assert sum(counts.values()) == len(report) == len(report.findings)
    scanned = report.scanned
    assert scanned["lines"] == 3000
    assert scanned["sale_lines"] + scanned["return_lines"] == scanned["lines"]
    # Without inputs, the detectors that need them say so.
    not_run = {n["detector"]: n["reason"] for n in report.not_run}
    assert {"diverted_goods", "vertical"} <= set(not_run)
    assert not_run["vertical"]["en"] and not_run["vertical"]["zh"]
    explained = report.explanations()
    assert [f["id"] for f in explained] == [f["id"] for f in report.findings.to_pylist()]
    first = explained[0]
    assert report.finding(first["id"]) == first
    assert first["evidence"]["listed"]
    assert {"message", "evidence", "period", "first_day"} <= set(first)
    with pytest.raises(KeyError):
        report.finding("cross_region/NOPE/-/-/2025-01")
    doc = report.to_dict()
    assert doc["policy"] == "minghe-conflict"
    assert len(doc["findings"]) == len(report)
    assert "ConflictReport minghe-conflict" in repr(report)


def test_default_policy_and_threads(data: qudao.Dataset, report: qudao.ConflictReport) -> None:
    default = qudao.detect_conflicts(data)
    assert default.policy == "default"
    one = qudao.detect_conflicts(data, qudao.ConflictPolicy.sample_company(), threads=1)
    assert one.to_json() == report.to_json()
    off = qudao.ConflictPolicy.from_dict(
        {"schema_version": 1, "id": "off", "cross_region": {"enabled": False}}
    )
    assert not _of(qudao.detect_conflicts(data, off), "cross_region")


def test_findings_table_converts(report: qudao.ConflictReport) -> None:
    df = report.to_polars()
    assert df.columns == FINDING_COLUMNS
    assert df.shape == (len(report), len(FINDING_COLUMNS))
    assert df.schema["first_day"] == pl.Date
    assert df.schema["amount"] == pl.Int64
    assert report.findings.metadata["currency"] == "CNY"
    assert pa.table(report).num_rows == len(report)
    assert list(report.to_pandas().columns) == FINDING_COLUMNS
    html = report._repr_html_()
    assert "ConflictReport" in html and "<table>" in html
    row = report.findings.to_pylist()[0]
    assert isinstance(row["first_day"], datetime.date)
    assert row["message_en"] and row["message_zh"]


# --- penalties ---------------------------------------------------------------------------------


def test_penalties_flow_into_the_rebate_statement(
    data: qudao.Dataset, report: qudao.ConflictReport
) -> None:
    penalties = report.penalty_findings()
    ids = {f["id"] for f in report.findings.to_pylist() if f["partner"] is not None}
    assert {f["id"] for f in penalties} == ids
    assert all(not f["waived"] for f in penalties)
    cross = next(f for f in penalties if f["kind"] == "cross_region")
    assert set(cross) == {"id", "kind", "partner", "date", "waived"}
    book = qudao.ProgramBook.sample_company()
    run = qudao.settle_rebates(data, book, AS_OF, findings=penalties)
    quoted = {
        fid
        for line in run.explanations()
        for a in line["adjustments"]
        if a["kind"] == "penalty"
        for fid in a["findings"]
    }
    assert quoted
    assert quoted <= ids
    assert all(fid.startswith("cross_region/") for fid in quoted)
    # Waived findings are never penalised.
    waived = report.penalty_findings(waived=sorted(quoted))
    assert {f["id"] for f in waived if f["waived"]} == quoted
    again = qudao.settle_rebates(data, book, AS_OF, findings=waived)
    assert not [
        a
        for line in again.explanations()
        for a in line["adjustments"]
        if a["kind"] == "penalty"
    ]
    with pytest.raises(TypeError):
        report.penalty_findings(waived="cross_region/x")


# --- inputs ------------------------------------------------------------------------------------


def _assignments(data: qudao.Dataset) -> List[Dict[str, Any]]:
    """Customers the company sold to through its own stores, assigned to a retailer."""
    t = pl.DataFrame(data.transactions())
    direct = t.filter(
        pl.col("partner").is_null() & (pl.col("channel") == "DIRECT") & (pl.col("kind") == "sale")
    )
    customers = sorted(set(direct["customer"].cast(pl.Utf8).to_list()))[:5]
    assert customers
    return [{"customer": c, "partner": "RT002", "from": datetime.date(2024, 1, 1)} for c in customers]


def test_vertical_with_assignments(data: qudao.Dataset, policy: qudao.ConflictPolicy) -> None:
    assignments = _assignments(data)
    r = qudao.detect_conflicts(data, policy, assignments=assignments)
    vertical = _of(r, "vertical")
    assert vertical
    assert "vertical" not in {n["detector"] for n in r.not_run}
    for f in vertical:
        assert f["kind"] == "vertical"
        assert f["partner"] is None  # the company's own channels
        assert f["parties"] == "RT002"
    customers = {a["customer"] for a in assignments}
    for f in r.explanations():
        if f["detector"] == "vertical":
            assert {line["customer"] for line in f["evidence"]["listed"]} <= customers
    # Vertical findings name no partner to penalise.
    assert not [p for p in r.penalty_findings() if p["kind"] == "vertical"]


def test_inputs_as_dicts_and_tables_agree(data: qudao.Dataset, policy: qudao.ConflictPolicy) -> None:
    assignments = _assignments(data)
    by_dicts = qudao.detect_conflicts(
        data, policy, assignments=assignments, shipments=SHIPMENTS, sightings=SIGHTINGS
    )
    diverted = _of(by_dicts, "diverted_goods")
    assert {(f["partner"], f["territory"]) for f in diverted} == {("GA01", "JS-NJ"), ("GA02", "SH")}
    assert _of(by_dicts, "vertical")
    # polars (the customer ids as a categorical, dates as Date).
    by_polars = qudao.detect_conflicts(
        data,
        policy,
        assignments=pl.DataFrame(assignments).with_columns(pl.col("customer").cast(pl.Categorical)),
        shipments=pl.DataFrame(SHIPMENTS),
        sightings=pl.DataFrame(SIGHTINGS),
    )
    assert by_polars.to_json() == by_dicts.to_json()
    # pyarrow, with dates as text and extra columns ignored (from_pylist takes the columns
    # from the first row).
    text_dates = [
        {"ship_to": None, **s, "date": s["date"].isoformat(), "note": "x"} for s in SHIPMENTS
    ]
    by_arrow = qudao.detect_conflicts(
        data,
        policy,
        assignments=pa.Table.from_pylist(assignments),
        shipments=pa.Table.from_pylist(text_dates),
        sightings=pa.Table.from_pylist(SIGHTINGS),
    )
    assert by_arrow.to_json() == by_dicts.to_json()
    # pandas: dates become timestamps, optional columns with gaps become NaN/None.
    frame = pd.DataFrame(SIGHTINGS)
    frame["date"] = pd.to_datetime(frame["date"])
    by_pandas = qudao.detect_conflicts(
        data, policy, assignments=assignments, shipments=SHIPMENTS, sightings=frame
    )
    assert by_pandas.to_json() == by_dicts.to_json()


def test_bad_input_rows_name_row_and_column(data: qudao.Dataset) -> None:
    bad_date = [SHIPMENTS[0], {**SHIPMENTS[1], "date": "2025-02-30"}]
    with pytest.raises(qudao.DataError) as info:
        qudao.detect_conflicts(data, shipments=bad_date)
    e = info.value
    assert (e.source, e.line, e.column, e.value) == ("shipments", 2, "date", "2025-02-30")
    with pytest.raises(qudao.DataError) as info:
        qudao.detect_conflicts(data, sightings=[{"batch": "B1", "date": "2025-03-01"}])
    assert (info.value.source, info.value.line, info.value.column) == ("sightings", 1, "territory")
    table = pl.DataFrame({"customer": ["C0000003", "C0000010"], "partner": ["RT002", None]})
    with pytest.raises(qudao.DataError) as info:
        qudao.detect_conflicts(data, assignments=table)
    assert (info.value.source, info.value.line, info.value.column) == ("assignments", 2, "partner")
    with pytest.raises(qudao.DataError) as info:
        qudao.detect_conflicts(data, assignments=pl.DataFrame({"customer": ["C0000003"]}))
    assert info.value.column == "partner"
    fractional = pl.DataFrame(SHIPMENTS).with_columns(pl.col("quantity").cast(pl.Float64) + 0.5)
    with pytest.raises(qudao.DataError) as info:
        qudao.detect_conflicts(data, shipments=fractional)
    assert (info.value.line, info.value.column, info.value.value) == (1, "quantity", "100.5")
    # Unknown ids are the core's argument errors, named by element and field.
    with pytest.raises(qudao.ArgumentError) as arg:
        qudao.detect_conflicts(data, shipments=[{**SHIPMENTS[0], "partner": "NOPE"}])
    assert arg.value.name == "shipments[0].partner"
    with pytest.raises(TypeError):
        qudao.detect_conflicts(data, shipments=SHIPMENTS[0])
    with pytest.raises(TypeError):
        qudao.detect_conflicts(data, shipments=[("B1", "SKU0001")])
    with pytest.raises(TypeError):
        qudao.detect_conflicts(data, "policy")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        qudao.detect_conflicts("data")  # type: ignore[arg-type]


# --- plots and docs ----------------------------------------------------------------------------


def test_plot_needs_matplotlib(
    monkeypatch: pytest.MonkeyPatch, report: qudao.ConflictReport
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        report.plot_matrix()


def test_plot_matrix(report: qudao.ConflictReport) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    try:
        everything = report.plot_matrix()
        assert isinstance(everything.figure, Figure)
        assert len(everything.images) == 1
        partners = [t.get_text() for t in everything.get_xticklabels()]
        assert {PLANTED["cross_region_partner"], PLANTED["below_floor_partner"]} <= set(partners)
        cross = report.plot_matrix("cross_region", value="lines")
        territories = [t.get_text() for t in cross.get_yticklabels()]
        assert territories == sorted({p["territory"] for p in PLANTED["cross_region"]})
        assert [t.get_text() for t in cross.get_xticklabels()] == [PLANTED["cross_region_partner"]]
        shown = sum(int(t.get_text()) for t in cross.texts)
        assert shown == len(PLANTED["cross_region"])
        _, ax = plt.subplots()
        assert report.plot_matrix("inventory", ax=ax) is ax
        with pytest.raises(qudao.ArgumentError):
            report.plot_matrix("nope")
        with pytest.raises(qudao.ArgumentError):
            report.plot_matrix(value="amount")
    finally:
        plt.close("all")


def test_module_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = doctest.testmod(qudao.conflicts, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
