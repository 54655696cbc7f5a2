"""Customer segmentation and value (issue 3) from Python: the per-customer summary, RFM and
segment schemes, member tiers and points, CLV fits and predictions, plots."""

from __future__ import annotations

import datetime
import doctest
import json
import runpy
import sys
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest

import qudao
import qudao.customers

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "testdata" / "sample"
CDNOW = REPO / "testdata" / "cdnow" / "cdnow_customers_summary_with_transactions.csv"
AS_OF = datetime.date(2025, 12, 31)


@pytest.fixture(scope="module")
def data() -> qudao.Dataset:
    return qudao.load_csv(SAMPLE)


@pytest.fixture(scope="module")
def summary(data: qudao.Dataset) -> qudao.CustomerSummary:
    return qudao.customer_summary(data, AS_OF, "distinct_orders")


@pytest.fixture(scope="module")
def cdnow() -> pl.DataFrame:
    return pl.read_csv(CDNOW)


# --- per-customer summary -------------------------------------------------------------------


def test_summary_table_columns_and_types(summary: qudao.CustomerSummary) -> None:
    t = summary.to_table()
    assert t.column_names == [
        "customer", "first_purchase", "last_purchase", "recency_days", "frequency",
        "orders", "lines", "active_periods", "monetary", "margin", "x", "t_x", "T",
        "repeat_value",
    ]
    assert t.metadata["currency"] == "CNY"
    schema = pa.table(t).schema
    assert schema.field("first_purchase").type == pa.date32()
    assert schema.field("monetary").type == pa.decimal128(38, 2)
    assert schema.field("margin").nullable
    assert len(t) == len(summary) > 0
    assert summary.as_of == AS_OF
    assert (summary.frequency, summary.period, summary.unit) == ("distinct_orders", "day", "week")
    assert summary.currency == "CNY"
    assert repr(summary).startswith("<qudao.CustomerSummary")
    assert "<table" in summary._repr_html_()


def test_summary_rows_are_consistent(summary: qudao.CustomerSummary) -> None:
    df = summary.to_polars()
    assert df["customer"].is_sorted()
    assert df["customer"].n_unique() == len(df)
    assert (df["frequency"] == df["orders"]).all()
    assert (df["x"] + 1 == df["active_periods"]).all()
    assert (df["t_x"] <= df["T"]).all()
    assert (df["last_purchase"] <= AS_OF).all()
    assert (df["first_purchase"] <= df["last_purchase"]).all()
    days = (pl.lit(AS_OF) - df["last_purchase"]).dt.total_days()
    assert (df.select(days.alias("d"))["d"] == df["recency_days"]).all()


def test_monetary_adds_up_to_the_data_summary(
    data: qudao.Dataset, summary: qudao.CustomerSummary
) -> None:
    assert summary.only_returns == []
    net = data.summary().totals.to_pylist()[0]["net_revenue"]
    assert sum(r["monetary"] for r in summary.to_table().to_arrow().to_pylist()) == net


@pytest.mark.parametrize(
    ("frequency", "column"),
    [("distinct_orders", "orders"), ("order_lines", "lines"), ("active_periods", "active_periods")],
)
def test_frequency_is_the_callers_choice(data: qudao.Dataset, frequency: str, column: str) -> None:
    df = qudao.customer_summary(data, AS_OF, frequency).to_polars()
    assert (df["frequency"] == df[column]).all()


def test_weekly_periods_and_daily_unit(data: qudao.Dataset, summary: qudao.CustomerSummary) -> None:
    weekly = qudao.customer_summary(data, "2025-12-31", "active_periods", period="week", unit="day")
    assert (weekly.period, weekly.unit) == ("week", "day")
    w, d = weekly.to_polars(), summary.to_polars()
    assert (w["active_periods"] <= d["active_periods"]).all()
    assert (w["T"] - d["T"] * 7).abs().max() < 1e-9


def test_datetime_and_text_dates_agree(data: qudao.Dataset, summary: qudao.CustomerSummary) -> None:
    a = qudao.customer_summary(data, datetime.datetime(2025, 12, 31, 18, 30), "distinct_orders")
    b = qudao.customer_summary(data, "2025-12-31", "distinct_orders")
    assert a.to_polars().equals(summary.to_polars())
    assert b.to_polars().equals(summary.to_polars())


def test_as_of_before_all_data_is_empty(data: qudao.Dataset) -> None:
    s = qudao.customer_summary(data, "2000-01-01", "distinct_orders")
    assert len(s) == 0
    t = s.to_table()
    assert len(t) == 0 and "monetary" in t.column_names


def test_as_of_cuts_the_window(data: qudao.Dataset, summary: qudao.CustomerSummary) -> None:
    mid = qudao.customer_summary(data, "2024-12-31", "distinct_orders").to_polars()
    assert 0 < len(mid) <= len(summary)
    assert (mid["last_purchase"] <= datetime.date(2024, 12, 31)).all()


def test_row_order_of_the_input_does_not_matter(
    data: qudao.Dataset, summary: qudao.CustomerSummary
) -> None:
    tx = data.transactions().to_polars().sample(fraction=1.0, shuffle=True, seed=3)
    shuffled = qudao.from_arrow(data.master_json(), tx, format="json")
    again = qudao.customer_summary(shuffled, AS_OF, "distinct_orders")
    assert again.to_polars().equals(summary.to_polars())
    assert qudao.rfm(again).table.to_pylist() == qudao.rfm(summary).table.to_pylist()


# --- summary straight from a table of lines -------------------------------------------------


def test_a_table_of_lines_gives_the_data_sets_summary(
    data: qudao.Dataset, summary: qudao.CustomerSummary
) -> None:
    tx = data.transactions().to_polars()
    # Ids as strings, shuffled rows, every other column still there: the same table.
    lines = tx.with_columns(pl.col("customer").cast(pl.String)).sample(
        fraction=1.0, shuffle=True, seed=5
    )
    lean = qudao.customer_summary(lines, AS_OF, "distinct_orders")
    assert lean.to_polars().equals(summary.to_polars())
    assert lean.currency == "CNY" and lean.only_returns == []
    assert qudao.rfm(lean).table.to_pylist() == qudao.rfm(summary).table.to_pylist()
    # A pyarrow table of just the five columns, weekly periods: the same again, without
    # margins (no cost column).
    five = pa.table(tx.select("customer", "order", "date", "amount", "quantity"))
    weekly = qudao.customer_summary(five, AS_OF, "active_periods", period="week", unit="day")
    want = qudao.customer_summary(data, AS_OF, "active_periods", period="week", unit="day")
    assert weekly.to_polars()["margin"].null_count() == len(weekly)
    assert weekly.to_polars().drop("margin").equals(want.to_polars().drop("margin"))
    a, b = qudao.fit_bgnbd(weekly), qudao.fit_bgnbd(want)
    assert a.params == b.params


def test_lines_take_a_currency_and_name_bad_rows() -> None:
    lines = pl.DataFrame(
        {
            "customer": ["A", "A", "B"],
            "order": ["1", "2", "3"],
            "date": [datetime.date(2025, 1, d) for d in (1, 5, 3)],
            "amount": [1_000, 250, -40],
            "kind": ["sale", "sale", "sale"],
        }
    )
    with pytest.raises(qudao.DataError) as e:
        qudao.customer_summary(lines, AS_OF, "distinct_orders")
    assert (e.value.line, e.value.column) == (3, "amount")
    assert "non-negative" in str(e.value)
    ok = lines.with_columns(kind=pl.Series(["sale", "sale", "return"]))
    s = qudao.customer_summary(ok, AS_OF, "order_lines", currency="JPY", currency_exponent=0)
    assert s.currency == "JPY"
    assert s.only_returns == ["B"]
    assert s.to_polars()["frequency"].to_list() == [2]
    with pytest.raises(TypeError, match="table of lines"):
        qudao.customer_summary([1, 2], AS_OF, "distinct_orders")  # type: ignore[arg-type]
    with pytest.raises(qudao.ArgumentError) as e2:
        qudao.customer_summary(qudao.sample(lines=500), AS_OF, "distinct_orders", currency="USD")
    assert e2.value.name == "currency"
    with pytest.raises(qudao.DataError, match="order"):
        qudao.customer_summary(lines.drop("order"), AS_OF, "distinct_orders")


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"frequency": "visits"}, "frequency"),
        ({"frequency": "distinct_orders", "period": "month"}, "period"),
        ({"frequency": "distinct_orders", "unit": "year"}, "unit"),
        ({"frequency": "distinct_orders", "as_of": "31/12/2025"}, "as_of"),
    ],
)
def test_bad_summary_arguments(data: qudao.Dataset, kwargs: dict[str, Any], name: str) -> None:
    args: dict[str, Any] = {"as_of": AS_OF, **kwargs}
    with pytest.raises(qudao.ArgumentError) as info:
        qudao.customer_summary(data, **args)
    assert info.value.name == name
    assert isinstance(info.value, ValueError)


def test_wrong_types_are_type_errors(data: qudao.Dataset, summary: qudao.CustomerSummary) -> None:
    with pytest.raises(TypeError):
        qudao.customer_summary(data, 20251231, "distinct_orders")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        qudao.customer_summary("data", AS_OF, "distinct_orders")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        qudao.rfm(summary.to_table())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        qudao.fit_bgnbd([1, 2, 3])


# --- RFM and segment schemes ------------------------------------------------------------------


def test_rfm_default_eleven_segments(summary: qudao.CustomerSummary) -> None:
    r = qudao.rfm(summary)
    assert r.scheme == "rfm-11"
    assert repr(r).startswith("<qudao.Rfm")
    rows = r.table.to_pylist()
    assert len(rows) == len(summary)
    assert all(1 <= row[k] <= 5 for row in rows for k in ("r", "f", "m"))
    scheme = qudao.SegmentScheme.builtin("rfm-11")
    labels = {s["id"]: s["label"] for s in scheme.segments}
    for row in rows[:50]:
        assert labels[row["segment"]] == {"en": row["segment_en"], "zh": row["segment_zh"]}
    seg = r.segments.to_pylist()
    assert [s["segment"] for s in seg] == [s["id"] for s in scheme.segments]
    assert sum(s["customers"] for s in seg) == len(summary)
    monetary = sum(row["monetary"] for row in rows)
    assert sum(s["revenue"] for s in seg) == monetary
    # The customer table is built on first access and kept: a second access is the same data.
    assert r.table.to_pylist() == rows
    shares = [s["revenue_share"] for s in seg]
    assert all(isinstance(x, Decimal) for x in shares)
    assert abs(sum(shares) - 1) <= Decimal("0.000001") * len(seg)
    for s in seg:
        if s["orders"]:
            aov = (s["revenue"] / s["orders"]).quantize(Decimal("0.01"))
            assert abs(s["average_order_value"] - aov) <= Decimal("0.01")
        else:
            assert s["average_order_value"] is None


def test_rfm_ordinal_bins_are_even_and_scorings_explain_them(
    summary: qudao.CustomerSummary,
) -> None:
    r = qudao.rfm(summary)
    sc = r.scorings
    assert set(sc) == {"recency", "frequency", "monetary"}
    bins = sc["monetary"]["bins"]
    sizes = [b["customers"] for b in bins]
    assert sum(sizes) == len(summary) and max(sizes) - min(sizes) <= 1
    assert sc["monetary"]["rule"] == {"rule": "ordinal_rank", "bins": 5}
    counts = r.table.to_polars()["m"].value_counts().sort("m")["count"].to_list()
    assert counts == sizes


def test_rfm_four_class_with_value_breaks_and_fixed_rules(summary: qudao.CustomerSummary) -> None:
    rules = {
        "recency": {"rule": "value_breaks", "bins": 5},
        "frequency": {"rule": "value_breaks", "bins": 5},
        "monetary": {"rule": "fixed", "thresholds": [50_000, 200_000, 500_000, 1_000_000]},
    }
    r = qudao.rfm(summary, rules, scheme=qudao.SegmentScheme.builtin("rfm-4class"))
    assert r.scheme == "rfm-4class"
    assert [s["segment"] for s in r.segments.to_pylist()] == [
        "high_value", "potential", "general", "lost",
    ]
    sc = r.scorings
    assert sc["monetary"]["breaks"] == [50_000, 200_000, 500_000, 1_000_000]
    assert sc["frequency"]["rule"] == {"rule": "value_breaks", "bins": 5}
    df = r.table.to_polars()
    expected_m = (
        1
        + (df["monetary"].cast(pl.Float64) * 100 >= 50_000).cast(pl.Int64)
        + (df["monetary"].cast(pl.Float64) * 100 >= 200_000).cast(pl.Int64)
        + (df["monetary"].cast(pl.Float64) * 100 >= 500_000).cast(pl.Int64)
        + (df["monetary"].cast(pl.Float64) * 100 >= 1_000_000).cast(pl.Int64)
    )
    assert (df["m"].cast(pl.Int64) == expected_m).all()
    assert qudao.rfm(summary, json.dumps(rules), "rfm-4class").table.to_pylist() == r.table.to_pylist()


def test_value_breaks_report_collapsed_bins(data: qudao.Dataset) -> None:
    # Early on nearly everyone has one order: the breaks coincide and scores go unused.
    early = qudao.customer_summary(data, "2024-02-29", "distinct_orders")
    rules = {k: {"rule": "value_breaks", "bins": 5} for k in ("recency", "frequency", "monetary")}
    sc = qudao.rfm(early, rules).scorings["frequency"]
    assert sc["breaks"] == [1, 1, 1, 1]
    assert sc["collapsed"] == [2, 3, 4]
    used = {b["score"] for b in sc["bins"] if b["customers"] > 0}
    assert used.isdisjoint(sc["collapsed"])


def test_rfm_rule_errors(summary: qudao.CustomerSummary) -> None:
    three = {k: {"rule": "ordinal_rank", "bins": 3} for k in ("recency", "frequency", "monetary")}
    with pytest.raises(qudao.ArgumentError) as info:
        qudao.rfm(summary, three)
    assert info.value.name == "recency"
    bad = {**three, "monetary": {"rule": "ordinal_rank", "bins": "five"}}
    with pytest.raises(qudao.RuleError) as rule_info:
        qudao.rfm(summary, bad)
    assert rule_info.value.path is not None and rule_info.value.path.startswith("monetary")
    with pytest.raises(qudao.RuleError):
        qudao.rfm(summary, {"recency": {"rule": "ordinal_rank", "bins": 5}})
    with pytest.raises(qudao.RuleError):
        qudao.rfm(summary, "{not json")
    with pytest.raises(TypeError):
        qudao.rfm(summary, 5)  # type: ignore[arg-type]
    with pytest.raises(qudao.ArgumentError) as arg_info:
        qudao.rfm(summary, scheme="rfm-99")
    assert arg_info.value.name == "id"


def test_rfm_on_an_empty_summary(data: qudao.Dataset) -> None:
    empty = qudao.customer_summary(data, "2000-01-01", "distinct_orders")
    r = qudao.rfm(empty)
    assert len(r.table) == 0
    assert sum(s["customers"] for s in r.segments.to_pylist()) == 0


def test_segment_scheme_documents_round_trip(tmp_path: Path) -> None:
    assert set(qudao.SegmentScheme.builtin_ids()) == {"rfm-4class", "rfm-11"}
    s = qudao.SegmentScheme.builtin("rfm-11")
    assert (s.id, s.scores, len(s.segments)) == ("rfm-11", 5, 11)
    assert s.name["en"] and s.name["zh"]
    assert all(seg["strategy"]["en"] and seg["strategy"]["zh"] for seg in s.segments)
    for again in (
        qudao.SegmentScheme.from_json(s.to_json()),
        qudao.SegmentScheme.from_toml(s.to_toml()),
        qudao.SegmentScheme.from_yaml(s.to_yaml()),
        qudao.SegmentScheme.from_dict(s.to_dict()),
    ):
        assert again.to_dict() == s.to_dict()
    path = tmp_path / "mine.toml"
    path.write_text(s.to_toml(), encoding="utf-8")
    assert qudao.SegmentScheme.from_path(path).id == "rfm-11"
    assert repr(s).startswith("<qudao.SegmentScheme rfm-11")


def test_segment_scheme_coverage_errors_name_cells() -> None:
    doc = qudao.SegmentScheme.builtin("rfm-4class").to_dict()
    doc["segments"] = doc["segments"][:-1]  # drop `lost`: its cells are uncovered
    with pytest.raises(qudao.RuleError) as info:
        qudao.SegmentScheme.from_dict(doc)
    assert info.value.path == "segments"
    assert "(" in str(info.value)  # the message lists cells


def test_segment_scheme_parse_errors() -> None:
    with pytest.raises(qudao.RuleError) as info:
        qudao.SegmentScheme.from_toml("schema_version = 1\nid = 'x'\nscores = 'five'\n")
    assert info.value.path is not None
    with pytest.raises(qudao.RuleError) as syntax:
        qudao.SegmentScheme.from_json("{")
    assert syntax.value.format == "json"
    with pytest.raises(qudao.QudaoIOError):
        qudao.SegmentScheme.from_path("/no/such/scheme.toml")
    with pytest.raises(qudao.ArgumentError):
        qudao.SegmentScheme.from_path("/no/such/scheme.ini")


def test_published_json_schemas_match() -> None:
    for cls, name in (
        (qudao.SegmentScheme, "rfm-segment-scheme"),
        (qudao.TierScheme, "tier-scheme"),
    ):
        committed = json.loads((REPO / "schemas" / f"{name}.schema.json").read_text("utf-8"))
        assert cls.json_schema() == committed


# --- ABC -------------------------------------------------------------------------------------


def _abc_oracle(revenue: list[tuple[str, Decimal]], limits: list[Decimal]) -> dict[str, int]:
    """The stated rule, spelled out: by revenue descending then id; an item's class is the
    first whose limit the cumulative share before it has not reached; non-positive last."""
    total = sum(v for _, v in revenue if v > 0)
    out: dict[str, int] = {}
    before = Decimal(0)
    k = 0
    for item, v in sorted(revenue, key=lambda p: (-p[1], p[0])):
        if v > 0 and total > 0:
            while k < len(limits) - 1 and before >= limits[k] * total:
                k += 1
            before += v
            out[item] = k
        else:
            out[item] = len(limits) - 1
    return out


def test_abc_customers_follow_the_stated_rule(
    data: qudao.Dataset, summary: qudao.CustomerSummary
) -> None:
    a = qudao.abc(data, "customer")
    assert a.subject == "customer" and repr(a).startswith("<qudao.Abc")
    rows = a.table.to_pylist()
    assert [r["customer"] for r in rows] == sorted(r["customer"] for r in rows)
    # Same window as the summary: the same net revenue per customer.
    monetary = {r["customer"]: r["monetary"] for r in summary.to_table().to_arrow().to_pylist()}
    assert {r["customer"]: r["revenue"] for r in rows} == monetary
    classes = a.classes.to_pylist()
    assert [c["class"] for c in classes] == ["A", "B", "C"]
    assert [c["limit"] for c in classes] == [Decimal("0.80"), Decimal("0.95"), Decimal("1.00")]
    assert sum(c["items"] for c in classes) == len(rows)
    assert classes[-1]["cumulative_share"] == 1
    assert a.total == sum(r["revenue"] for r in rows if r["revenue"] > 0)
    expected = _abc_oracle([(r["customer"], r["revenue"]) for r in rows], [c["limit"] for c in classes])
    labels = [c["class"] for c in classes]
    assert {r["customer"]: r["class"] for r in rows} == {k: labels[v] for k, v in expected.items()}
    for c in classes:
        mine = [r["revenue"] for r in rows if r["class"] == c["class"]]
        assert (c["min_revenue"], c["max_revenue"]) == ((min(mine), max(mine)) if mine else (None, None))


def test_abc_partners_products_windows_and_classes(data: qudao.Dataset) -> None:
    partners = qudao.abc(data, "partners")
    assert partners.table.column_names == ["partner", "revenue", "class"]
    products = qudao.abc(data, "product", start="2025-01-01", end=datetime.date(2025, 6, 30))
    whole = qudao.abc(data, "product")
    assert len(products.table) <= len(whole.table)
    assert products.total < whole.total
    two = qudao.abc(data, "product", classes=[("core", "0.5"), ("rest", Decimal(1))])
    assert [c["class"] for c in two.classes.to_pylist()] == ["core", "rest"]
    with pytest.raises(qudao.RuleError) as info:
        qudao.abc(data, classes=[("A", "0.8"), ("B", "0.9")])
    assert info.value.path == "classes[1].limit"
    with pytest.raises(qudao.ArgumentError) as subject:
        qudao.abc(data, "territory")
    assert subject.value.name == "subject"
    with pytest.raises(TypeError):
        qudao.abc(data, classes=[("A", None), ("B", 1)])  # type: ignore[list-item]


# --- member tiers and points ------------------------------------------------------------------


def test_membership_default_scheme(data: qudao.Dataset) -> None:
    m = qudao.membership(data, AS_OF)
    assert m.scheme == qudao.TierScheme.default().id
    assert m.tiers == ["regular", "silver", "gold", "diamond"]
    assert m.as_of == AS_OF and m.next_review > AS_OF
    customers = m.customers.to_polars()
    assert len(customers) == data.master_counts["customers"]
    balance = customers["earned"] - customers["redeemed"] - customers["expired"] - customers["reversed"]
    assert (customers["balance"] == balance).all()
    assert (customers["balance"] >= 0).all()
    counts = {r["tier"]: r["customers"] for r in m.tier_counts.to_pylist()}
    assert sum(counts.values()) == len(customers)
    assert counts == dict(customers["tier"].value_counts().iter_rows())
    ledger = m.ledger.to_polars()
    assert set(ledger["kind"].unique()) <= {"earn", "redeem", "expire", "reverse"}
    assert (ledger["balance"] >= 0).all()
    last = ledger.group_by("customer").agg(pl.col("balance").last())
    joined = last.join(customers.select("customer", pl.col("balance").alias("b")), on="customer")
    assert (joined["balance"] == joined["b"]).all()
    history = m.history.to_polars()
    assert set(history["reason"].unique()) <= {"upgrade", "downgrade_at_review"}
    assert repr(m).startswith("<qudao.Membership")


def test_membership_redemptions_from_dicts_and_arrow(data: qudao.Dataset) -> None:
    base = qudao.membership(data, AS_OF).customers.to_polars()
    rich = base.sort("balance", descending=True).row(0, named=True)
    reds = [
        {"customer": rich["customer"], "date": "2025-12-30", "points": 100, "reference": "V1"},
        {"customer": rich["customer"], "date": datetime.date(2025, 12, 31), "points": 50, "reference": "V2"},
    ]
    m = qudao.membership(data, AS_OF, redemptions=reds)
    row = m.customers.to_polars().filter(pl.col("customer") == rich["customer"]).row(0, named=True)
    assert row["redeemed"] == 150
    assert row["balance"] == rich["balance"] - 150
    frame = pl.DataFrame(
        {
            "customer": [r["customer"] for r in reds],
            "date": [datetime.date(2025, 12, 30), datetime.date(2025, 12, 31)],
            "points": [100, 50],
            "reference": ["V1", "V2"],
        }
    )
    for arrow in (frame, frame.to_arrow()):
        again = qudao.membership(data, AS_OF, redemptions=arrow)
        assert again.ledger.to_pylist() == m.ledger.to_pylist()


def test_membership_errors(data: qudao.Dataset) -> None:
    with pytest.raises(qudao.DataError) as info:
        qudao.membership(
            data, AS_OF,
            redemptions=[{"customer": "NOBODY", "date": "2025-01-01", "points": 1, "reference": "x"}],
        )
    assert (info.value.source, info.value.line, info.value.column) == ("redemptions", 1, "customer")
    base = qudao.membership(data, AS_OF).customers.to_polars()
    c = base.row(0, named=True)["customer"]
    with pytest.raises(qudao.QudaoError):
        qudao.membership(
            data, AS_OF,
            redemptions=[{"customer": c, "date": "2025-12-31", "points": 10**12, "reference": "big"}],
        )
    with pytest.raises(qudao.DataError) as missing:
        qudao.membership(data, AS_OF, redemptions=[{"customer": c, "date": "2025-12-31", "points": 1}])
    assert missing.value.column == "reference"
    with pytest.raises(qudao.DataError) as zero:
        qudao.membership(
            data, AS_OF,
            redemptions=[{"customer": c, "date": "2025-12-31", "points": 0, "reference": "z"}],
        )
    assert zero.value.column == "points"
    usd = qudao.TierScheme.default().to_dict()
    usd["currency"] = "USD"
    with pytest.raises(qudao.ArgumentError) as cur:
        qudao.membership(data, AS_OF, qudao.TierScheme.from_dict(usd))
    assert cur.value.name == "scheme"


def test_membership_bonuses_from_rebate_points_awards(data: qudao.Dataset) -> None:
    """A rebate program paid in points feeds the member ledger: its awards are bonuses."""
    base = qudao.membership(data, AS_OF).customers.to_polars()
    awards = qudao.settle_rebates(data, qudao.ProgramBook.sample_company(), AS_OF).points_awards
    assert awards and all(a["points"] > 0 for a in awards)
    m = qudao.membership(data, AS_OF, bonuses=awards)
    customers = m.customers.to_polars()
    balance = (
        customers["earned"] - customers["redeemed"] - customers["expired"] - customers["reversed"]
        + customers["bonus"]
    )
    assert (customers["balance"] == balance).all()
    assert customers["bonus"].sum() == sum(a["points"] for a in awards)
    # Nothing else moved: the default scheme's tiers go by spend, not points.
    joined = customers.join(base, on="customer", suffix="_base")
    assert (joined["earned"] == joined["earned_base"]).all()
    assert (joined["tier"] == joined["tier_base"]).all()
    assert (joined["balance"] == joined["balance_base"] + joined["bonus"]).all()
    ledger = m.ledger.to_polars().filter(pl.col("kind") == "bonus")
    assert len(ledger) == len(awards)
    assert sorted(ledger["reference"].to_list()) == sorted(a["reference"] for a in awards)
    # The same bonuses as a DataFrame (dates as dates) give the same ledger.
    frame = pl.DataFrame(
        {
            "customer": [a["customer"] for a in awards],
            "date": [datetime.date.fromisoformat(a["date"]) for a in awards],
            "points": [a["points"] for a in awards],
            "reference": [a["reference"] for a in awards],
        }
    )
    assert qudao.membership(data, AS_OF, bonuses=frame).ledger.to_pylist() == m.ledger.to_pylist()


def test_membership_bonus_by_hand_and_errors(data: qudao.Dataset) -> None:
    base = qudao.membership(data, AS_OF).customers.to_polars()
    rich = base.sort("balance", descending=True).row(0, named=True)
    c = rich["customer"]
    # Same day, by reference: "A" takes 30 back, "B" credits 100, then the redemption of
    # 70 — after the bonuses.
    m = qudao.membership(
        data, AS_OF,
        redemptions=[{"customer": c, "date": "2025-12-31", "points": 70, "reference": "R"}],
        bonuses=[
            {"customer": c, "date": "2025-12-31", "points": 100, "reference": "B"},
            {"customer": c, "date": datetime.date(2025, 12, 31), "points": -30, "reference": "A"},
        ],
    )
    row = m.customers.to_polars().filter(pl.col("customer") == c).row(0, named=True)
    assert (row["bonus"], row["redeemed"]) == (70, rich["redeemed"] + 70)
    assert row["balance"] == rich["balance"] + 100 - 30 - 70
    tail = m.ledger.to_polars().filter(pl.col("customer") == c).tail(3)
    assert tail.select("kind", "points", "reference").rows() == [
        ("bonus", -30, "A"),
        ("bonus", 100, "B"),
        ("redeem", -70, "R"),
    ]
    with pytest.raises(qudao.DataError) as zero:
        qudao.membership(
            data, AS_OF, bonuses=[{"customer": c, "date": "2025-12-31", "points": 0, "reference": "z"}]
        )
    assert (zero.value.source, zero.value.line, zero.value.column) == ("bonuses", 1, "points")
    with pytest.raises(qudao.DataError) as who:
        qudao.membership(
            data, AS_OF,
            bonuses=[
                {"customer": c, "date": "2025-12-31", "points": 5, "reference": "ok"},
                {"customer": "NOBODY", "date": "2025-12-31", "points": 5, "reference": "x"},
            ],
        )
    assert (who.value.source, who.value.line, who.value.column) == ("bonuses", 2, "customer")
    with pytest.raises(qudao.DataError) as missing:
        qudao.membership(data, AS_OF, bonuses=[{"customer": c, "date": "2025-12-31", "points": 1}])
    assert (missing.value.source, missing.value.column) == ("bonuses", "reference")


def test_tier_scheme_documents(tmp_path: Path) -> None:
    s = qudao.TierScheme.default()
    assert s.currency == "CNY" and s.tiers[0] == "regular"
    assert qudao.TierScheme.from_json(s.to_json()).to_dict() == s.to_dict()
    path = tmp_path / "tiers.json"
    path.write_text(s.to_json(), encoding="utf-8")
    assert qudao.TierScheme.from_path(path).id == s.id
    doc = s.to_dict()
    doc["tiers"][1]["threshold"] = -5
    with pytest.raises(qudao.RuleError) as info:
        qudao.TierScheme.from_dict(doc)
    assert info.value.path is not None and info.value.path.startswith("tiers[1]")
    with pytest.raises(qudao.RuleError):
        qudao.TierScheme.from_yaml("schema_version: 1\nid: [")
    with pytest.raises(qudao.RuleError):
        qudao.TierScheme.from_toml("schema_version = 1")
    assert "tier" in json.dumps(qudao.TierScheme.json_schema())


# --- lifetime value ---------------------------------------------------------------------------


def test_bgnbd_reproduces_fader_hardie_lee_on_cdnow(cdnow: pl.DataFrame) -> None:
    fit = qudao.fit_bgnbd(cdnow)
    assert fit.model == "bg_nbd" and fit.status == "converged"
    p = fit.params
    assert p["r"] == pytest.approx(0.243, abs=1e-3)
    assert p["alpha"] == pytest.approx(4.414, abs=1e-3)
    assert p["a"] == pytest.approx(0.793, abs=1e-3)
    assert p["b"] == pytest.approx(2.426, abs=1e-3)
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    assert fit.customers == 2357 and fit.unit is None
    assert all(se is not None and se > 0 for se in fit.std_errors.values())
    assert fit.to_dict()["model"] == "bg_nbd"


def test_pareto_nbd_reproduces_the_cdnow_reference(cdnow: pl.DataFrame) -> None:
    fit = qudao.fit_pareto_nbd(cdnow.to_arrow())
    p = fit.params
    assert p["r"] == pytest.approx(0.553, abs=2e-3)
    assert p["alpha"] == pytest.approx(10.578, abs=2e-2)
    assert p["s"] == pytest.approx(0.606, abs=2e-3)
    assert p["beta"] == pytest.approx(11.669, abs=5e-2)
    assert fit.log_likelihood == pytest.approx(-9595.0, abs=0.1)


def test_gamma_gamma_on_cdnow_repeat_buyers(cdnow: pl.DataFrame) -> None:
    repeat = cdnow.filter((pl.col("x") > 0) & (pl.col("zbar") > 0)).rename({"zbar": "mean_spend"})
    fit = qudao.fit_gamma_gamma(repeat)
    assert fit.customers == 946 and fit.dropped == 0
    p = fit.params
    assert p["p"] == pytest.approx(6.25, abs=0.01)
    assert p["q"] == pytest.approx(3.74, abs=0.01)
    assert p["gamma"] == pytest.approx(15.44, abs=0.05)
    spend = fit.expected_spend(repeat).to_polars()["expected_spend"]
    assert len(spend) == 946 and (spend > 0).all()
    with pytest.raises(qudao.DataError) as info:
        qudao.fit_gamma_gamma(cdnow.rename({"zbar": "mean_spend"}))
    assert info.value.column in ("x", "mean_spend") and info.value.line is not None


def test_cdnow_predictions_match_the_paper(cdnow: pl.DataFrame) -> None:
    bg = qudao.fit_bgnbd(cdnow)
    one = pl.DataFrame({"x": [2.0], "t_x": [30.43], "T": [38.86]})
    expected = bg.expected_purchases(one, 39).to_polars()["expected_purchases"][0]
    assert expected == pytest.approx(1.226, abs=2e-3)  # FHL (2005)
    assert bg.expected_purchases_new(0) == 0
    assert bg.expected_purchases_new(52) > bg.expected_purchases_new(39) > 0


def test_fits_and_predictions_on_the_sample(summary: qudao.CustomerSummary) -> None:
    bg = qudao.fit_bgnbd(summary)
    assert bg.unit == "week" and bg.customers == len(summary)
    assert bg.status in ("converged", "boundary", "not_converged")
    assert (bg.status == "boundary") == (bg.boundary_parameter is not None)
    assert repr(bg).startswith("<qudao.Fit bg_nbd")
    assert "<table>" in bg._repr_html_()
    from_table = qudao.fit_bgnbd(summary.to_polars().select("x", "t_x", "T"))
    assert from_table.params == pytest.approx(bg.params)
    alive = bg.probability_alive(summary).to_polars()
    assert alive.columns == ["customer", "p_alive"]
    assert ((alive["p_alive"] >= 0) & (alive["p_alive"] <= 1)).all()
    near = bg.expected_purchases(summary, 4).to_polars()["expected_purchases"]
    far = bg.expected_purchases(summary, 52).to_polars()["expected_purchases"]
    assert (far >= near).all()
    pareto = qudao.fit_pareto_nbd(summary)
    assert pareto.model == "pareto_nbd"
    assert len(pareto.probability_alive(summary)) == len(summary)


def test_gamma_gamma_counts_what_it_leaves_out(summary: qudao.CustomerSummary) -> None:
    gg = qudao.fit_gamma_gamma(summary)
    df = summary.to_polars()
    repeat = df.filter(pl.col("x") > 0)
    nonpositive = repeat.filter(pl.col("repeat_value") <= 0)
    assert gg.dropped == len(nonpositive)
    assert gg.customers == len(repeat) - len(nonpositive)
    assert (gg.dropped_reason is None) == (gg.dropped == 0)


def test_clv_table(summary: qudao.CustomerSummary) -> None:
    bg = qudao.fit_bgnbd(summary)
    gg = qudao.fit_gamma_gamma(summary)
    table = qudao.clv(bg, gg, summary)
    assert table.metadata["currency"] == "CNY"
    df = table.to_polars()
    assert df.columns == [
        "customer", "revenue_to_date", "margin_to_date", "x", "t_x", "T", "p_alive",
        "expected_purchases", "expected_spend", "clv",
    ]
    s = summary.to_polars()
    assert df["customer"].to_list() == s["customer"].to_list()
    assert df["revenue_to_date"].to_list() == s["monetary"].to_list()
    assert (df["clv"] >= 0).all()
    longer = qudao.clv(bg, gg, summary, steps=24).to_polars()
    assert (longer["clv"] >= df["clv"]).all()
    undiscounted = qudao.clv(bg, gg, summary, discount_rate=0).to_polars()
    assert (undiscounted["clv"] >= df["clv"]).all()
    # A table input gives the same values, in the table's row order, without ids.
    s = s.with_columns(
        (pl.col("repeat_value").cast(pl.Float64) / pl.col("x").clip(1)).alias("mean_spend")
    ).with_columns(
        pl.when((pl.col("x") > 0) & (pl.col("mean_spend") > 0)).then("mean_spend").otherwise(0.0)
    )
    plain = qudao.clv(bg, gg, s.select("x", "t_x", "T", "mean_spend")).to_polars()
    assert "customer" not in plain.columns
    assert plain["clv"].to_list() == pytest.approx(df["clv"].to_list())


def test_prediction_argument_errors(
    data: qudao.Dataset, summary: qudao.CustomerSummary, cdnow: pl.DataFrame
) -> None:
    bg = qudao.fit_bgnbd(summary)
    gg = qudao.fit_gamma_gamma(summary)
    with pytest.raises(qudao.ArgumentError) as info:
        qudao.clv(gg, gg, summary)
    assert info.value.name == "fit"
    with pytest.raises(qudao.ArgumentError):
        bg.expected_spend(summary)
    daily = qudao.customer_summary(data, AS_OF, "distinct_orders", unit="day")
    with pytest.raises(qudao.ArgumentError) as unit:
        bg.probability_alive(daily)
    assert unit.value.name == "data"
    with pytest.raises(qudao.ArgumentError) as horizon:
        bg.expected_purchases(summary, -1)
    assert horizon.value.name == "t"
    with pytest.raises(qudao.ArgumentError) as steps:
        qudao.clv(bg, gg, summary, steps=0)
    assert steps.value.name == "steps"
    bad = pl.DataFrame({"x": [1.0, 2.0], "t_x": [5.0, 50.0], "T": [10.0, 40.0]})
    with pytest.raises(qudao.ArgumentError) as row:
        bg.probability_alive(bad)
    assert row.value.name == "t_x[1]"
    with pytest.raises(qudao.DataError) as fit_row:
        qudao.fit_bgnbd(bad)
    assert fit_row.value.line == 2
    with pytest.raises(qudao.DataError) as missing:
        qudao.fit_bgnbd(cdnow.select("x", "T"))
    assert missing.value.column == "t_x"
    with pytest.raises(qudao.DataError) as text:
        qudao.fit_bgnbd(pl.DataFrame({"x": ["1"], "t_x": [1.0], "T": [2.0]}))
    assert text.value.column == "x"
    with pytest.raises(qudao.DataError) as null:
        qudao.fit_bgnbd(pl.DataFrame({"x": [1.0, None], "t_x": [1.0, 0.0], "T": [2.0, 2.0]}))
    assert (null.value.column, null.value.line) == ("x", 2)


def test_fits_in_threads_agree(summary: qudao.CustomerSummary) -> None:
    """Fits run with the GIL released; parallel fits neither deadlock nor disagree."""
    results: list[dict[str, float]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(qudao.fit_bgnbd(summary).params)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 4 and all(r == results[0] for r in results)


# --- plots and docs ---------------------------------------------------------------------------


def test_plots_need_matplotlib(monkeypatch: pytest.MonkeyPatch, summary: qudao.CustomerSummary) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        qudao.rfm(summary).plot_segments()


def test_plots(summary: qudao.CustomerSummary) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    r = qudao.rfm(summary)
    ax = r.plot_segments("revenue")
    assert len(ax.patches) == 11
    with pytest.raises(qudao.ArgumentError):
        r.plot_segments("profit")
    table = qudao.clv(qudao.fit_bgnbd(summary), qudao.fit_gamma_gamma(summary), summary)
    ax = qudao.plot_clv(table, bins=10)
    assert len(ax.patches) == 10
    with pytest.raises(qudao.ArgumentError):
        qudao.plot_clv(table, "nope")


def test_customers_module_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = doctest.testmod(qudao.customers, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_pandas_input(cdnow: pl.DataFrame) -> None:
    frame = cdnow.to_pandas()
    assert qudao.fit_bgnbd(frame).params == pytest.approx(qudao.fit_bgnbd(cdnow).params)


def test_customers_notebook_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # the plots, when matplotlib is there, are written here
    ns = runpy.run_path(str(REPO / "examples" / "customers.py"), run_name="__main__")
    assert len(ns["clv"]) == len(ns["summary"]) > 0
    assert ns["rfm"].scheme == "rfm-11"
