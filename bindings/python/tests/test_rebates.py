"""Rebates: the program book document, settlement, true-up through the ledger, accrual."""

from __future__ import annotations

import datetime
import doctest
import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List

import pandas as pd
import polars as pl
import pytest

import qudao
import qudao.rebates

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "testdata" / "sample"
SAMPLE_BOOK = REPO / "crates" / "qudao" / "programs" / "sample-programs.toml"
AS_OF = datetime.date(2025, 12, 31)

STATEMENT_COLUMNS = [
    "id",
    "program",
    "payee",
    "payee_kind",
    "period",
    "kind",
    "through",
    "measure",
    "volume",
    "sale_lines",
    "return_lines",
    "tier",
    "rate",
    "gross",
    "exact",
    "entitlement",
    "previously_paid",
    "amount",
    "payout",
]


@pytest.fixture(scope="module")
def data() -> qudao.Dataset:
    return qudao.load_csv(SAMPLE)


@pytest.fixture(scope="module")
def book() -> qudao.ProgramBook:
    return qudao.ProgramBook.sample_company()


@pytest.fixture(scope="module")
def run(data: qudao.Dataset, book: qudao.ProgramBook) -> qudao.Settlement:
    return qudao.settle_rebates(data, book, AS_OF)


# --- the program book -------------------------------------------------------------------------


def test_sample_book(book: qudao.ProgramBook) -> None:
    assert book.id == "minghe-2025"
    assert book.currency == "CNY"
    assert book.programs == [
        "dist-volume",
        "ga-network",
        "agent-growth",
        "franchise-target",
        "member-points",
    ]
    assert book.warnings() == []
    assert "ProgramBook minghe-2025" in repr(book)


def test_book_round_trips_through_every_format(book: qudao.ProgramBook) -> None:
    text = book.to_json()
    assert qudao.ProgramBook.from_json(text).to_dict() == book.to_dict()
    assert qudao.ProgramBook.from_dict(book.to_dict()).to_json() == text
    assert qudao.ProgramBook.from_toml(SAMPLE_BOOK.read_text()).to_json() == text
    assert qudao.ProgramBook.from_path(SAMPLE_BOOK).to_json() == text
    yaml = "\n".join(
        ["schema_version: 1", "id: y", "currency: CNY", "programs:"]
        + ["  - " + json.dumps(book.to_dict()["programs"][0])]
    )
    assert qudao.ProgramBook.from_yaml(yaml).programs == ["dist-volume"]


def test_from_dict_takes_dates_and_decimals(book: qudao.ProgramBook) -> None:
    doc = book.to_dict()
    program = doc["programs"][0]
    program["valid_from"] = datetime.date(2025, 1, 1)
    program["shape"]["tiers"][1]["rate"] = Decimal("0.02")
    assert qudao.ProgramBook.from_dict(doc).to_dict() == book.to_dict()


def test_json_schema() -> None:
    schema = qudao.ProgramBook.json_schema()
    assert "programs" in schema["properties"]


def test_bad_dict_book_names_the_field(book: qudao.ProgramBook) -> None:
    doc = book.to_dict()
    doc["programs"][0]["shape"]["tiers"][1]["from"] = "1000"  # overlaps tier 0 (to 2000)
    with pytest.raises(qudao.RuleError) as info:
        qudao.ProgramBook.from_dict(doc)
    assert info.value.path == "programs[0].shape.tiers[1].from"
    assert "programs[0].shape.tiers[1].from" in str(info.value)
    assert isinstance(info.value, ValueError)
    doc["programs"][0]["shape"]["tiers"][1]["from"] = "abc"
    with pytest.raises(qudao.RuleError) as info:
        qudao.ProgramBook.from_dict(doc)
    assert info.value.path == "programs[0].shape.tiers[1].from"


def test_book_errors() -> None:
    with pytest.raises(qudao.RuleError) as info:
        qudao.ProgramBook.from_json("{not json")
    assert info.value.format == "json"
    with pytest.raises(qudao.QudaoIOError):
        qudao.ProgramBook.from_path(REPO / "no-such-book.toml")
    with pytest.raises(qudao.ArgumentError):
        qudao.ProgramBook.from_path(REPO / "README.md")
    with pytest.raises(TypeError):
        qudao.ProgramBook.from_dict(["not", "a", "dict"])  # type: ignore[arg-type]


def test_book_in_another_currency_is_refused(data: qudao.Dataset, book: qudao.ProgramBook) -> None:
    doc = book.to_dict()
    doc["currency"] = "USD"
    with pytest.raises(qudao.RuleError) as info:
        qudao.settle_rebates(data, qudao.ProgramBook.from_dict(doc), AS_OF)
    assert info.value.path == "currency"


# --- settlement -------------------------------------------------------------------------------


def test_sample_settles(run: qudao.Settlement) -> None:
    assert run.as_of == AS_OF
    assert run.currency == "CNY"
    assert run.warnings == []
    assert run.lines_read > 0
    table = run.statements
    assert table.column_names == STATEMENT_COLUMNS
    assert table.metadata["currency"] == "CNY"
    rows = table.to_pylist()
    assert len(rows) == len(run.explanations()) > 0
    assert {r["program"] for r in rows} == set(qudao.ProgramBook.sample_company().programs)
    assert {r["kind"] for r in rows} <= {"partial", "final", "delta", "referral"}
    assert {r["payout"] for r in rows} == {"money", "points"}
    for r in rows:
        assert r["entitlement"] - r["previously_paid"] == r["amount"] or r["kind"] == "delta"
        assert isinstance(r["through"], datetime.date)
        Decimal(r["gross"]), Decimal(r["exact"])  # exact decimal text
    assert "Settlement as of 2025-12-31" in repr(run)


def test_payments_add_up(run: qudao.Settlement) -> None:
    """With an empty ledger every period of 2025 is final as of its end: the partial
    settlements and the final true-up pay exactly the final entitlement."""
    df = run.statements.to_polars().filter(pl.col("payout") == "money")
    paid = df["amount"].sum()
    final = df.filter(pl.col("kind") == "final")["entitlement"].sum()
    assert paid == final > 0
    by_period = df.group_by("program", "payee", "period").agg(
        pl.col("amount").sum().alias("paid"),
        pl.col("entitlement").filter(pl.col("kind") == "final").sum().alias("final"),
    )
    assert (by_period["paid"] == by_period["final"]).all()
    assert sum(run.totals().values()) == paid
    assert run.totals() == {
        r["payee"]: r["amount"]
        for r in df.group_by("payee").agg(pl.col("amount").sum()).to_dicts()
    }


def test_ledger_fed_back_pays_nothing_new(
    data: qudao.Dataset, book: qudao.ProgramBook, run: qudao.Settlement
) -> None:
    ledger = run.ledger
    assert ledger and {"id", "program", "payee", "period", "kind", "amount"} <= set(ledger[0])
    again = qudao.settle_rebates(data, book, AS_OF, ledger=ledger)
    assert len(again.statements) == 0
    assert again.ledger == []
    # The ledger survives a trip through JSON (as a host stores it), and a Settlement works too.
    stored = json.loads(json.dumps(ledger))
    assert len(qudao.settle_rebates(data, book, AS_OF, ledger=stored).statements) == 0
    assert len(qudao.settle_rebates(data, book, AS_OF, ledger=run).statements) == 0


def test_settling_in_steps_pays_the_same(
    data: qudao.Dataset, book: qudao.ProgramBook, run: qudao.Settlement
) -> None:
    first = qudao.settle_rebates(data, book, "2025-06-30")
    rest = qudao.settle_rebates(data, book, AS_OF, ledger=first.ledger)
    assert rest.as_of == AS_OF
    total: Dict[str, int] = dict(first.totals())
    for payee, amount in rest.totals().items():
        total[payee] = total.get(payee, 0) + amount
    assert {k: v for k, v in total.items() if v} == {k: v for k, v in run.totals().items() if v}


def test_explanations_and_not_paid(run: qudao.Settlement) -> None:
    lines = run.explanations()
    line = lines[0]
    for key in ("base", "shape", "tier", "rate", "gross", "adjustments", "exact", "why_not"):
        assert key in line
    assert line["base"]["measure"] == "net_revenue"
    assert run.not_paid
    assert all("kind" in r for n in run.not_paid for r in n["reasons"])
    assert any(n["reasons"] for n in run.not_paid)
    awards = run.points_awards
    assert awards and {"customer", "date", "points", "reference"} <= set(awards[0])
    points = sum(r["amount"] for r in lines if r["payout"] == "points")
    assert sum(a["points"] for a in awards) == points
    whole = run.to_dict()
    assert whole["statements"] == lines
    assert whole["currency"] == "CNY"


def test_statements_convert_to_polars_and_pandas(run: qudao.Settlement) -> None:
    df = run.statements.to_polars()
    assert df.columns == STATEMENT_COLUMNS
    assert df.schema["through"] == pl.Date
    assert df.schema["amount"] == pl.Int64
    assert df.schema["tier"] == pl.UInt32
    assert run.to_polars().equals(df)
    frame = run.statements.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == STATEMENT_COLUMNS
    assert len(frame) == len(df)
    assert int(frame["amount"].sum()) == df["amount"].sum()
    assert "<table>" in run._repr_html_()


def _dist_final_line(lines: List[Dict[str, Any]]) -> Dict[str, Any]:
    """A paying quarter-final line of the distributor volume rebate for a DS partner."""
    for line in lines:
        if (
            line["program"] == "dist-volume"
            and line["kind"] == "final"
            and line["payee"].startswith("DS")
            and line["period"].startswith("2025-Q")
            and line["amount"] > 0
            and not line["adjustments"]
        ):
            return line
    raise AssertionError("no paying dist-volume final line for a DS partner")


def test_finding_gives_a_penalty(
    data: qudao.Dataset, book: qudao.ProgramBook, run: qudao.Settlement
) -> None:
    line = _dist_final_line(run.explanations())
    through = datetime.date.fromisoformat(line["through"])
    finding = {
        "id": "F-1",
        "kind": "cross_region",
        "partner": line["payee"],
        "date": through - datetime.timedelta(days=20),  # inside the quarter
    }
    penalised = qudao.settle_rebates(data, book, AS_OF, findings=[finding])
    same = next(x for x in penalised.explanations() if x["id"] == line["id"])
    penalties = [a for a in same["adjustments"] if a["kind"] == "penalty"]
    assert len(penalties) == 1
    assert Decimal(penalties[0]["amount"]) == Decimal(-5000)  # ¥50 in fen
    assert penalties[0]["findings"] == ["F-1"]
    assert penalties[0]["rule"]
    assert same["entitlement"] == line["entitlement"] - 5000
    # A waived finding costs nothing.
    waived = qudao.settle_rebates(data, book, AS_OF, findings=[{**finding, "waived": True}])
    again = next(x for x in waived.explanations() if x["id"] == line["id"])
    assert again["entitlement"] == line["entitlement"]


def test_bad_inputs_name_the_element(data: qudao.Dataset, book: qudao.ProgramBook) -> None:
    good = {"id": "F", "kind": "cross_region", "partner": "DS001", "date": "2025-02-03"}
    with pytest.raises(qudao.ArgumentError) as info:
        qudao.settle_rebates(data, book, AS_OF, findings=[good, {"id": "F2"}])
    assert info.value.name == "findings[1]"
    with pytest.raises(qudao.ArgumentError) as info:
        qudao.settle_rebates(data, book, AS_OF, findings=[{**good, "partner": "NOPE"}])
    assert info.value.name == "findings[0].partner"
    with pytest.raises(qudao.ArgumentError) as info:
        qudao.settle_rebates(data, book, AS_OF, ledger=[{"id": "x"}])
    assert info.value.name == "ledger[0]"
    with pytest.raises(qudao.ArgumentError) as info:
        qudao.settle_rebates(data, book, "31.12.2025")
    assert info.value.name == "as_of"
    with pytest.raises(TypeError):
        qudao.settle_rebates(data, book, AS_OF, findings=good)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        qudao.settle_rebates(data, "book", AS_OF)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        qudao.settle_rebates(data, book, 20251231)  # type: ignore[arg-type]


def test_dates_threads_and_segments_do_not_change_the_result(
    data: qudao.Dataset, book: qudao.ProgramBook, run: qudao.Settlement
) -> None:
    other = qudao.settle_rebates(
        data, book, datetime.datetime(2025, 12, 31, 18, 0), threads=1, segments={"C0000001": "vip"}
    )
    assert other.to_json() == run.to_json()


# --- accrual ----------------------------------------------------------------------------------


def test_accrual(data: qudao.Dataset, book: qudao.ProgramBook) -> None:
    table = qudao.accrue_rebates(data, book, "2025-11-15")
    assert table.column_names == [
        "program",
        "payee",
        "period",
        "volume",
        "earned",
        "paid",
        "projected_volume",
        "projected",
        "next_tier",
        "next_volume_needed",
        "next_rate",
        "next_pays",
        "why_not",
    ]
    df = table.to_polars()
    assert len(df) > 0
    assert set(df["program"]) <= set(book.programs)
    dist = df.filter(pl.col("program") == "dist-volume")
    assert set(dist["period"]) == {"2025-Q4"}
    # Where a next tier exists it needs more volume and pays at least what is earned.
    nxt = df.filter(pl.col("next_tier").is_not_null())
    assert (nxt["next_volume_needed"] > 0).all()
    # Paid comes from the ledger.
    settled = qudao.settle_rebates(data, book, "2025-11-15")
    with_ledger = qudao.accrue_rebates(data, book, "2025-11-15", ledger=settled.ledger).to_polars()
    assert with_ledger["paid"].sum() > 0
    assert df["paid"].sum() == 0


# --- a tiny hand-made case ----------------------------------------------------------------------


TINY_BOOK = """
schema_version = 1
id = "tiny"
currency = "CNY"

[[programs]]
id = "flat"
name = { en = "Flat 10 %", zh = "百分之十" }
valid_from = "2025-01-01"
valid_to = "2025-03-31"
calendar = { period = "quarter" }
participants = { models = ["distribution"] }
measure = "net_revenue"
shape = { kind = "flat_rate", rate = "0.1" }
rounding = { mode = "half_up", point = "period" }
"""


def test_tiny_hand_made_case(local_tiny: Path) -> None:
    """P1 sells 110.00 and takes back 22.00, P2 sells 112.00: 10 % pays 8.80 and 11.20."""
    data = qudao.load_csv(local_tiny)
    run = qudao.settle_rebates(data, qudao.ProgramBook.from_toml(TINY_BOOK), "2025-03-31")
    rows = {r["payee"]: r for r in run.statements.to_pylist()}
    assert set(rows) == {"P1", "P2"}
    assert rows["P1"]["volume"] == 8800
    assert rows["P1"]["amount"] == 880
    assert (rows["P1"]["sale_lines"], rows["P1"]["return_lines"]) == (1, 1)
    assert rows["P2"]["amount"] == 1120
    assert rows["P1"]["kind"] == "final" and rows["P1"]["period"] == "2025-Q1"
    assert run.totals() == {"P1": 880, "P2": 1120}


def test_module_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = doctest.testmod(qudao.rebates, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
