# %% [markdown]
# # Customer segmentation and value with qudao
#
# A percent-format notebook (open it in Jupyter with jupytext, or in VS Code / PyCharm as
# cells; or run `python examples/customers.py` from the repository root). Needs `qudao` and
# `polars`; the plots need `matplotlib` (optional: they are skipped without it).
#
# Build and install the package first: `bash bindings/python/scripts/test.sh`.
#
# Every computation below runs in Rust with the GIL released; tables come back as Arrow
# (`to_polars()`, `to_pandas()`), money as exact decimals.

# %%
import datetime
from pathlib import Path

import polars as pl

import qudao

ROOT = Path(__file__).resolve().parents[1] if "__file__" in globals() else Path.cwd()
data = qudao.load_csv(ROOT / "testdata" / "sample")
print(data)

# %% [markdown]
# ## The per-customer summary
# As of a date, with frequency defined explicitly: distinct orders, order lines or active
# periods (peers disagree; here you say which). `x`, `t_x` and `T` are the BTYD inputs in
# weeks; `monetary` is net of returns; `margin` is null when some line had no cost.

# %%
as_of = datetime.date(2025, 12, 31)
summary = qudao.customer_summary(data, as_of, "distinct_orders", period="day", unit="week")
print(summary)
print(summary.to_polars().head())

# %% [markdown]
# ## RFM segments
# Quintiles by ordinal rank (ties broken by customer id) placed in the common eleven-segment
# map. Each segment has zh-CN and en labels and a care strategy.

# %%
rfm = qudao.rfm(summary, scheme="rfm-11")
segments = rfm.segments.to_polars()
print(segments.select("segment", "label_zh", "customers", "orders", "revenue", "revenue_share"))

# %% [markdown]
# The thresholds actually used, per dimension (recency in days, monetary in minor units):

# %%
for dim, scoring in rfm.scorings.items():
    print(dim, [(b["score"], b["min"], b["max"], b["customers"]) for b in scoring["bins"]])

# %% [markdown]
# The domain's four classes (high value / potential / general / lost), with value-break
# quantiles for R and F and fixed monetary thresholds (¥500, ¥2,000, ¥5,000, ¥10,000):

# %%
four = qudao.rfm(
    summary,
    rules={
        "recency": {"rule": "value_breaks", "bins": 5},
        "frequency": {"rule": "value_breaks", "bins": 5},
        "monetary": {"rule": "fixed", "thresholds": [50_000, 200_000, 500_000, 1_000_000]},
    },
    scheme="rfm-4class",
)
print(four.segments.to_polars().select("segment", "label_en", "customers", "revenue_share"))

# %% [markdown]
# Your own scheme is a document (JSON, TOML or YAML) checked against a JSON Schema; overlaps
# and uncovered score cells are errors that name the cells.

# %%
scheme = qudao.SegmentScheme.builtin("rfm-4class")
print(scheme.to_toml()[:400])
doc = scheme.to_dict()
doc["segments"].pop()  # forget the `lost` segment
try:
    qudao.SegmentScheme.from_dict(doc)
except qudao.RuleError as e:
    print("RuleError at", e.path, "-", str(e)[:120])

# %% [markdown]
# ## Member tiers and points
# The built-in tier scheme (regular / silver / gold / diamond by spend over 365 days):
# ledger (earn, redeem, expire, reverse on return), tier history and state as of the date.

# %%
top = summary.to_polars().sort("monetary", descending=True)["customer"][0]
members = qudao.membership(
    data,
    as_of,
    redemptions=[{"customer": top, "date": "2025-12-01", "points": 1_000, "reference": "V-001"}],
)
print(members)
print(members.tier_counts.to_polars())
print(members.ledger.to_polars().filter(pl.col("customer") == top).tail(5))

# %% [markdown]
# ## Customer lifetime value
# BG/NBD (or Pareto/NBD) for purchases and Gamma-Gamma for spend, fitted by maximum
# likelihood; the status says whether the optimum is interior or on a boundary.

# %%
bg = qudao.fit_bgnbd(summary)
gg = qudao.fit_gamma_gamma(summary)
print(bg, bg.std_errors)
print(gg, f"left out: {gg.dropped} ({gg.dropped_reason})")

# %%
clv = qudao.clv(bg, gg, summary, step=4.345, steps=12, discount_rate=0.01)
print(
    clv.to_polars()
    .sort("clv", descending=True)
    .select("customer", "revenue_to_date", "p_alive", "expected_purchases", "clv")
    .head(10)
)

# %% [markdown]
# ## Plots (matplotlib, optional)

# %%
try:
    import matplotlib

    matplotlib.use("Agg")
except ImportError:
    print("matplotlib is not installed: skipping the plots")
else:
    ax = rfm.plot_segments("revenue")
    ax.figure.savefig("rfm_segments.png", bbox_inches="tight")
    ax = qudao.plot_clv(clv, bins=30)
    ax.figure.savefig("clv_distribution.png", bbox_inches="tight")
    print("wrote rfm_segments.png and clv_distribution.png")
