"""Loading data sets: CSV, the sample, lenient mode."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import pytest

import qudao


def test_load_local_tiny(local_tiny: Path) -> None:
    data = qudao.load_csv(local_tiny)
    assert isinstance(data, qudao.Dataset)
    assert data.transaction_count == 6
    assert data.currency == "CNY"
    assert data.currency_exponent == 2
    assert data.rejections == []
    assert data.rejection_counts == {}
    assert data.master_counts["channels"] == 2
    assert "6 transactions" in repr(data)
    assert repr(data).startswith("<qudao.Dataset")


def test_load_shared_tiny(shared_tiny: Path) -> None:
    data = qudao.load_csv(str(shared_tiny), lenient=True)
    assert data.transaction_count > 0
    s = data.summary()
    assert len(s.totals) == 1


def test_local_tiny_totals(local_tiny: Path) -> None:
    s = qudao.load_csv(local_tiny).summary()
    (t,) = s.totals.to_pylist()
    assert t["lines"] == 6
    assert t["return_lines"] == 1
    assert t["orders"] == 5
    assert t["gross_sales"] == Decimal("314.50")
    assert t["returns"] == Decimal("22.00")
    assert t["net_revenue"] == Decimal("292.50")
    assert t["cost"] == Decimal("125.00")
    assert s.currency == "CNY"
    assert s.totals.metadata["currency"] == "CNY"
    assert str(s.first_date) == "2025-01-05"
    assert str(s.last_date) == "2025-03-01"
    assert s.active_customers == 4
    months = [r["key"] for r in s.by_month.to_pylist()]
    assert months == ["2025-01", "2025-02", "2025-03"]
    partners = [r["key"] for r in s.by_partner.to_pylist()]
    assert partners == ["P1", "P2", ""]  # direct sales last


def test_currency_override(local_tiny: Path) -> None:
    data = qudao.load_csv(local_tiny, currency=("XTS", 3))
    assert (data.currency, data.currency_exponent) == ("XTS", 3)
    (t,) = data.summary().totals.to_pylist()
    assert t["net_revenue"] == Decimal("292.500")


def test_renames(tiny_copy: Path) -> None:
    tx = tiny_copy / "transactions.csv"
    text = tx.read_text()
    tx.write_text(text.replace("order,line", "order_no,line", 1))
    with pytest.raises(qudao.DataError):
        qudao.load_csv(tiny_copy)
    data = qudao.load_csv(tiny_copy, renames={"transactions": {"order": "order_no"}})
    assert data.transaction_count == 6


def test_lenient_sets_bad_lines_aside(tiny_copy: Path) -> None:
    tx = tiny_copy / "transactions.csv"
    with tx.open("a") as f:
        f.write("O9,1,2025-03-02,C1,,web,NOPE,CN,1,12.50,12.50,5.00\n")
        f.write("O10,1,2025-13-02,C1,,web,TEA,CN,1,12.50,12.50,5.00\n")
    data = qudao.load_csv(tiny_copy, lenient=True)
    assert data.transaction_count == 6
    assert sum(sum(m.values()) for m in data.rejection_counts.values()) == 2
    assert data.rejection_counts["transactions"]["unknown_reference"] == 1
    rej = {r["line"]: r for r in data.rejections}
    assert set(rej) == {8, 9}
    assert rej[8]["column"] == "product"
    assert rej[8]["value"] == "NOPE"
    assert rej[8]["reason"] == "unknown_reference"
    assert rej[8]["table"] == "transactions"
    assert data.rejections_omitted == 0


def test_sample_totals_are_consistent() -> None:
    data = qudao.sample(lines=5000)
    assert data.transaction_count == 5000
    s = data.summary()
    (t,) = s.totals.to_pylist()
    for table in (s.by_channel, s.by_partner, s.by_month):
        rows = table.to_pylist()
        assert sum(r["net_revenue"] for r in rows) == t["net_revenue"]
        assert sum(r["lines"] for r in rows) == t["lines"] == 5000
        assert sum(r["gross_sales"] for r in rows) == t["gross_sales"]
    assert t["gross_sales"] - t["returns"] == t["net_revenue"]


def test_sample_is_deterministic() -> None:
    a = qudao.sample(lines=1000, seed=3).summary().to_dict()
    b = qudao.sample(lines=1000, seed=3).summary().to_dict()
    c = qudao.sample(lines=1000, seed=4).summary().to_dict()
    assert a == b
    assert a != c


def test_summary_to_dict_and_json(local_tiny: Path) -> None:
    s = qudao.load_csv(local_tiny).summary()
    d = s.to_dict()
    assert d["totals"]["net_revenue"] == 29250  # minor units
    assert d["currency"]["code"] == "CNY"
    assert len(d["by_channel"]) == len(s.by_channel)
    assert '"net_revenue": 29250' in s.to_json()


def test_loads_in_threads_release_the_gil(local_tiny: Path) -> None:
    """Loads and summaries run in parallel threads without deadlock and agree."""
    results: list[tuple[object, object]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            a = qudao.sample(lines=20_000, seed=1).summary().to_dict()
            b = qudao.load_csv(local_tiny).summary().to_dict()
            results.append((a, b))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 4
    assert all(r == results[0] for r in results)


def test_core_work_runs_without_the_gil() -> None:
    """A Python thread keeps running while the core builds and summarises a sample."""
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    t = threading.Thread(target=count)
    t.start()
    try:
        before = ticks
        qudao.sample(lines=200_000, seed=9).summary()
        during = ticks - before
    finally:
        stop.set()
        t.join()
    # Had the GIL been held, the counter could only tick at the call's edges.
    assert during > 1000
