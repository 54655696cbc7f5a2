"""Turn the generated CSV data set into the inputs of the peer benchmarks (run once per size).

Usage: python prepare.py DATA_DIR

Reads ``DATA_DIR/csv`` (written by ``qudao-bench-peers generate``) with qudao and writes:

* ``transactions.parquet``: every transaction line, ids as plain strings (Parquet still
  dictionary-encodes them per row group, as any writer would; they read back as strings, the
  form an extract from a warehouse has), dates as ``Date32``, money as ``Int64`` minor units,
  row groups of 1M lines;
* ``journeys.parquet``: the aggregated journey paths of ``journeys.csv``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

import qudao


def main(data: Path) -> None:
    dataset = qudao.load_csv(data / "csv")
    table = pa.table(dataset.transactions())
    # qudao exports ids as dictionaries over the whole master table; written as such, every
    # row group would carry the full dictionary. Plain strings are what warehouses write.
    table = table.cast(
        pa.schema(
            [
                f.with_type(pa.string()) if pa.types.is_dictionary(f.type) else f
                for f in table.schema
            ]
        )
    ).combine_chunks()
    pq.write_table(table, data / "transactions.parquet", compression="zstd", row_group_size=1 << 20)
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
