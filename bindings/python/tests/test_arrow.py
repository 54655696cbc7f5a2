"""Arrow in and out: polars, pyarrow, pandas, the PyCapsule interface."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest

import qudao

MONEY = ("unit_price", "amount", "cost")


def master_of(tiny: Path) -> dict[str, Any]:
    """The master document of a CSV data set, as the loader read it."""
    doc: dict[str, Any] = json.loads(qudao.load_csv(tiny).master_json())
    return doc


def polars_transactions(tiny: Path) -> Any:
    """The CSV's transactions read by polars, money as Int64 minor units (CNY: 2 places)."""
    df = pl.read_csv(
        tiny / "transactions.csv",
        schema_overrides={c: pl.String for c in ("order", "customer", "partner", *MONEY)},
    )
    return df.with_columns(
        pl.col("date").str.to_date(),
        pl.col("line").cast(pl.UInt32),
        *[
            pl.col(c).str.to_decimal(scale=2).mul(100).cast(pl.Int64).alias(c)
            for c in MONEY
        ],
    )


def test_to_polars_shapes_and_dtypes(local_tiny: Path) -> None:
    s = qudao.load_csv(local_tiny).summary()
    df = s.by_channel.to_polars()
    assert isinstance(df, pl.DataFrame)
    assert df.shape == (2, 12)
    assert df.columns == s.by_channel.column_names
    assert df.schema["key"] == pl.String
    assert df.schema["lines"] == pl.UInt64
    assert df.schema["units"] == pl.Int64
    assert df.schema["net_revenue"] == pl.Decimal(38, 2)
    assert df.schema["share_of_revenue"] == pl.Decimal(38, 6)
    assert df["net_revenue"].sum() == Decimal("292.50")
    totals = s.totals.to_polars()
    assert totals.shape == (1, 12)
    assert pl.DataFrame(s.by_month).height == 3  # the PyCapsule interface directly


def test_to_pandas_via_pyarrow(local_tiny: Path) -> None:
    s = qudao.load_csv(local_tiny).summary()
    df = s.by_partner.to_pandas()
    assert list(df.columns) == s.by_partner.column_names
    assert df.shape == (3, 12)
    assert df["net_revenue"].sum() == Decimal("292.50")
    assert str(df["lines"].dtype) == "uint64"
    t = s.totals.to_arrow()
    assert t.schema.field("net_revenue").type == pa.decimal128(38, 2)
    assert t.schema.metadata[b"currency"] == b"CNY"


def test_to_pylist_matches_polars(local_tiny: Path) -> None:
    s = qudao.load_csv(local_tiny).summary()
    assert s.by_channel.to_pylist() == s.by_channel.to_polars().to_dicts()


def test_html_reprs(local_tiny: Path) -> None:
    s = qudao.load_csv(local_tiny).summary()
    h = s._repr_html_()
    assert "<table>" in h and "net_revenue" in h
    assert "<td>web</td>" in s.by_channel._repr_html_()
    assert repr(s).startswith("<qudao.Summary")
    assert "rows" in repr(s.by_month)


def test_from_polars_matches_csv(local_tiny: Path) -> None:
    expected = qudao.load_csv(local_tiny).summary().to_dict()
    df = polars_transactions(local_tiny)
    data = qudao.from_arrow(master_of(local_tiny), df)
    assert data.transaction_count == 6
    assert data.summary().to_dict() == expected


def test_from_pyarrow_table_matches_csv(local_tiny: Path) -> None:
    expected = qudao.load_csv(local_tiny).summary().to_dict()
    table = polars_transactions(local_tiny).to_arrow()
    assert isinstance(table, pa.Table)
    data = qudao.from_arrow(master_of(local_tiny), table)
    assert data.summary().to_dict() == expected
    # A record batch reader and a single record batch are accepted too.
    batch = table.combine_chunks().to_batches()[0]
    assert qudao.from_arrow(master_of(local_tiny), batch).summary().to_dict() == expected
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
    assert qudao.from_arrow(master_of(local_tiny), reader).summary().to_dict() == expected


def test_from_arrow_decimal_money(local_tiny: Path) -> None:
    expected = qudao.load_csv(local_tiny).summary().to_dict()
    df = polars_transactions(local_tiny).with_columns(
        [(pl.col(c).cast(pl.Decimal(18, 2)) / 100).cast(pl.Decimal(18, 2)) for c in MONEY]
    )
    assert qudao.from_arrow(master_of(local_tiny), df).summary().to_dict() == expected


def test_transactions_round_trip(local_tiny: Path) -> None:
    data = qudao.load_csv(local_tiny)
    tx = data.transactions()
    assert len(tx) == 6
    df = tx.to_polars()
    assert df.schema["date"] == pl.Date
    assert df.schema["amount"] == pl.Int64
    rows = tx.to_pylist()
    assert rows[0]["product"] == "TEA" and rows[0]["partner"] is None
    again = qudao.from_arrow(data.master_json(), df)
    assert again.summary().to_dict() == data.summary().to_dict()
    again = qudao.from_arrow(data.master_json(), tx)  # a qudao Table is Arrow input too
    assert again.summary().to_dict() == data.summary().to_dict()


@pytest.mark.parametrize("fmt", ["json", "toml", "yaml"])
def test_master_formats_and_paths(local_tiny: Path, tmp_path: Path, fmt: str) -> None:
    master = master_of(local_tiny)
    df = polars_transactions(local_tiny)
    expected = qudao.from_arrow(master, df).summary().to_dict()
    if fmt == "json":
        text = json.dumps(master)
    elif fmt == "toml":
        text = _to_toml(master)
    else:
        text = json.dumps(master, indent=2)  # JSON is YAML
    path = tmp_path / f"master.{fmt}"
    path.write_text(text)
    assert qudao.from_arrow(path, df).summary().to_dict() == expected
    assert qudao.from_arrow(str(path), df).summary().to_dict() == expected
    assert qudao.from_arrow(text, df, format=fmt).summary().to_dict() == expected
    if fmt != "yaml":
        assert qudao.from_arrow(text, df).summary().to_dict() == expected


def _to_toml(doc: dict[str, Any]) -> str:
    """A small TOML writer for the master document (arrays of tables of scalars/lists)."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {value(x)}" for k, x in v.items() if x is not None) + "}"
        raise TypeError(type(v))

    lines = [f"{k} = {value(v)}" for k, v in doc.items() if not isinstance(v, list)]
    for key, items in doc.items():
        if isinstance(items, list):
            for item in items:
                lines.append(f"[[{key}]]")
                lines += [f"{k} = {value(v)}" for k, v in item.items() if v is not None]
    return "\n".join(lines) + "\n"


def test_polars_input_without_pyarrow(local_tiny: Path) -> None:
    """polars input and output go through the PyCapsule interface alone."""
    import subprocess
    import sys

    code = f"""
import sys
sys.modules["pyarrow"] = None  # any import of pyarrow fails
import json, polars as pl, qudao
tiny = {str(local_tiny)!r}
data = qudao.load_csv(tiny)
df = data.transactions().to_polars()
again = qudao.from_arrow(data.master_json(), df)
assert again.summary().to_dict() == data.summary().to_dict()
print(again.summary().by_channel.to_polars().height)
"""
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2"


def test_all_null_categorical_partner(local_tiny: Path) -> None:
    data = qudao.load_csv(local_tiny)
    web = data.transactions().to_polars().filter(pl.col("channel").cast(pl.String) == "web")
    assert web["partner"].null_count() == len(web)
    assert qudao.from_arrow(data.master_json(), web).transaction_count == 3


def test_notebook_walkthrough_runs() -> None:
    import runpy

    nb = Path(__file__).resolve().parents[3] / "examples" / "notebook" / "walkthrough.py"
    runpy.run_path(str(nb), run_name="__main__")
