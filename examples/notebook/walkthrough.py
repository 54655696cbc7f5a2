# %% [markdown]
# # qudao walkthrough
#
# A percent-format notebook (open it in Jupyter with jupytext, or in VS Code / PyCharm as
# cells; or just `python examples/notebook/walkthrough.py`). Needs `qudao` and `polars`;
# the pandas cell needs `pyarrow` and `pandas`.
#
# Build and install the package first: `bash bindings/python/scripts/test.sh`.

# %%
from pathlib import Path

import polars as pl

import qudao

# %% [markdown]
# ## The sample company
# A deterministic data set: the same seed always gives the same data.

# %%
data = qudao.sample(lines=20_000, seed=42)
print(data)
summary = data.summary()  # computed in Rust, with the GIL released
print(summary)

# %% [markdown]
# ## Summary tables are Arrow tables
# Each of `totals`, `by_channel`, `by_partner`, `by_month` exports `__arrow_c_stream__`:
# polars, pyarrow and duckdb read them without copying. Money is `Decimal` at the
# currency's scale (exact, never float).

# %%
by_channel = summary.by_channel.to_polars()
print(by_channel.select("key", "name", "lines", "net_revenue", "share_of_revenue"))

# %%
by_month = summary.by_month.to_polars()
print(by_month.select("key", "net_revenue", "returns").tail(6))

# %% [markdown]
# ## The transaction lines
# Ids come out dictionary-encoded (categoricals in polars), money as integer minor units.

# %%
tx = data.transactions().to_polars()
top = (
    tx.group_by("product")
    .agg(pl.col("amount").sum().alias("amount_minor"), pl.len().alias("lines"))
    .sort("amount_minor", descending=True)
    .head(5)
)
print(top)

# %% [markdown]
# ## Bring your own data
# Master data (a dict, JSON/TOML/YAML text or file) plus any Arrow table of transactions.
# Here: the sample's own master data and the transactions of the first month.

# %%
first_month = tx.filter(pl.col("date").dt.truncate("1mo") == pl.col("date").min().dt.truncate("1mo"))
subset = qudao.from_arrow(data.master_json(), first_month)
print(subset, subset.summary().totals.to_pylist()[0]["net_revenue"])

# %% [markdown]
# ## Errors say where
# Every error is a `qudao.QudaoError`; data errors carry the row and column.

# %%
bad = first_month.with_columns(pl.lit("NO-SUCH-PRODUCT").alias("product"))
try:
    qudao.from_arrow(data.master_json(), bad)
except qudao.DataError as e:
    print(f"{type(e).__name__}: line {e.line}, column {e.column}: {e}")
lenient = qudao.from_arrow(data.master_json(), bad, lenient=True)
print(lenient.rejection_counts)

# %% [markdown]
# ## pandas (optional, through pyarrow)

# %%
try:
    print(summary.by_partner.to_pandas().head())
except ImportError:
    print("pandas/pyarrow not installed")

# %% [markdown]
# ## A CSV data set

# %%
tiny = Path(__file__).resolve().parents[2] / "bindings" / "python" / "tests" / "data" / "tiny"
print(qudao.load_csv(tiny).summary().by_channel.to_polars())
