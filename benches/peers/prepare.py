"""Turn the generated CSV data set into the inputs of the peer benchmarks (run once per size).

Usage: python prepare.py DATA_DIR

Reads ``DATA_DIR/csv`` (written by ``qudao-bench-peers generate``) with qudao and writes:

* ``transactions.parquet``: every transaction line, ids dictionary-encoded (polars reads them
  as ``Categorical``), dates as ``Date32``, money as ``Int64`` minor units;
* ``master.json``: the master data without the customer list (customers are registered from
  the transactions, as a notebook user without a customer table would do);
* ``journeys.parquet``: the aggregated journey paths of ``journeys.csv``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

import qudao


def main(data: Path) -> None:
    dataset = qudao.load_csv(data / "csv")
    table = pa.table(dataset.transactions())
    # `order` and `original_order` come out as plain strings; the other ids as dictionaries.
    pq.write_table(table, data / "transactions.parquet", compression="zstd")
    master = json.loads(dataset.master_json())
    master.pop("customers", None)
    (data / "master.json").write_text(json.dumps(master))
    journeys = pl.read_csv(
        data / "journeys.csv",
        schema={"path": pl.String, "conversions": pl.Int64, "value": pl.Int64, "nulls": pl.Int64},
    )
    journeys.write_parquet(data / "journeys.parquet")
    print(
        f"prepared {table.num_rows:,} lines and {journeys.height:,} journey paths in {data}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
