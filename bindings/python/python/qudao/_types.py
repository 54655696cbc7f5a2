"""The facade's result types: thin, typed wrappers over the native objects."""

from __future__ import annotations

import datetime
import html
import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from . import _native

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas
    import polars
    import pyarrow

__all__ = ["Dataset", "Summary", "Table"]

_HTML_ROWS = 20


def _html_table(columns: List[str], rows: List[Dict[str, Any]], total: int) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{'' if r[c] is None else html.escape(str(r[c]))}</td>" for c in columns
        )
        + "</tr>"
        for r in rows
    )
    more = ""
    if total > len(rows):
        more = f"<p><small>{len(rows)} of {total} rows shown</small></p>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


class Table:
    """An immutable Arrow table (record batches).

    It exports the Arrow PyCapsule stream interface, so ``polars.DataFrame(table)``,
    ``pyarrow.table(table)`` or ``duckdb`` read it without copying. Money columns are
    ``Decimal128`` at the currency's scale; the currency code is in the schema metadata.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.Table) -> None:
        self._native = native

    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object:
        """Export as an Arrow C stream PyCapsule (the Arrow PyCapsule interface)."""
        return self._native.__arrow_c_stream__(requested_schema)

    def __len__(self) -> int:
        return len(self._native)

    @property
    def column_names(self) -> List[str]:
        """Column names, in order."""
        return self._native.column_names

    @property
    def metadata(self) -> Dict[str, str]:
        """Schema metadata (summary tables carry ``currency``)."""
        return self._native.metadata

    def to_pylist(self) -> List[Dict[str, Any]]:
        """Rows as dicts; money as :class:`decimal.Decimal`. Needs no third-party package."""
        return self._native.to_pylist()

    def to_polars(self) -> "polars.DataFrame":
        """A :class:`polars.DataFrame` (zero-copy through the Arrow C stream)."""
        import polars as pl

        return pl.DataFrame(self)

    def to_arrow(self) -> "pyarrow.Table":
        """A :class:`pyarrow.Table` (needs the ``pyarrow`` extra)."""
        import pyarrow as pa

        return pa.table(self)

    def to_pandas(self) -> "pandas.DataFrame":
        """A :class:`pandas.DataFrame`, through pyarrow (needs the ``pandas`` extra)."""
        return self.to_arrow().to_pandas()

    def _repr_html_(self) -> str:
        rows = self.to_pylist()
        return _html_table(self.column_names, rows[:_HTML_ROWS], len(rows))

    def __repr__(self) -> str:
        return f"<qudao.Table: {len(self)} rows, columns {self.column_names}>"


class Summary:
    """The data summary of a :class:`Dataset`: totals and breakdowns by channel, partner and
    month, each a :class:`Table` with the same columns (``key``, ``name``, ``lines``,
    ``return_lines``, ``orders``, ``units``, ``gross_sales``, ``returns``, ``net_revenue``,
    ``cost``, ``gross_margin``, ``share_of_revenue``)."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.Summary) -> None:
        self._native = native

    @property
    def totals(self) -> Table:
        """One row: totals over every line."""
        return Table(self._native.totals)

    @property
    def by_channel(self) -> Table:
        """One row per channel with lines."""
        return Table(self._native.by_channel)

    @property
    def by_partner(self) -> Table:
        """One row per partner with lines; direct sales last, with an empty key."""
        return Table(self._native.by_partner)

    @property
    def by_month(self) -> Table:
        """One row per calendar month (key ``YYYY-MM``)."""
        return Table(self._native.by_month)

    @property
    def currency(self) -> str:
        """ISO 4217 code of every amount."""
        return self._native.currency

    @property
    def first_date(self) -> Optional[datetime.date]:
        """First transaction day."""
        return self._native.first_date

    @property
    def last_date(self) -> Optional[datetime.date]:
        """Last transaction day."""
        return self._native.last_date

    @property
    def active_customers(self) -> int:
        """Customers with at least one line."""
        return self._native.active_customers

    def to_json(self) -> str:
        """The whole summary as JSON (money in minor units, shares as decimal strings)."""
        return self._native.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """The whole summary as plain Python data (as :meth:`to_json`)."""
        result: Dict[str, Any] = json.loads(self.to_json())
        return result

    def _repr_html_(self) -> str:
        parts = [f"<h4>{html.escape(repr(self))}</h4>"]
        for title, table in (("Totals", self.totals), ("By channel", self.by_channel)):
            parts.append(f"<h5>{title}</h5>")
            parts.append(table._repr_html_())
        return "".join(parts)

    def __repr__(self) -> str:
        return repr(self._native).replace("<qudao Summary", "<qudao.Summary", 1)


class Dataset:
    """A loaded, checked, immutable data set (master data and transactions).

    Make one with :func:`qudao.load_csv`, :func:`qudao.from_arrow` or :func:`qudao.sample`.
    Safe to share between threads; core work runs without the GIL.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.Dataset) -> None:
        self._native = native

    @property
    def transaction_count(self) -> int:
        """Number of transaction lines."""
        return self._native.transaction_count

    @property
    def currency(self) -> str:
        """ISO 4217 code of every amount."""
        return self._native.currency

    @property
    def currency_exponent(self) -> int:
        """Decimal places of the currency."""
        return self._native.currency_exponent

    @property
    def rejections(self) -> List[Dict[str, Any]]:
        """Records set aside by a lenient load (the first 10,000), each a dict with
        ``table``, ``source``, ``line``, ``column``, ``value``, ``reason``, ``message``."""
        return self._native.rejections

    @property
    def rejection_counts(self) -> Dict[str, Dict[str, int]]:
        """Exact rejection counts: ``{table: {reason: count}}``."""
        return self._native.rejection_counts

    @property
    def rejections_omitted(self) -> int:
        """Rejections counted but not listed."""
        return self._native.rejections_omitted

    @property
    def master_counts(self) -> Dict[str, int]:
        """Sizes of the master tables."""
        return self._native.master_counts

    def transactions(self) -> Table:
        """The transaction lines as a :class:`Table`: ids dictionary-encoded, dates as
        ``Date32``, money as ``Int64`` minor units. ``from_arrow(data.master_json(),
        data.transactions())`` gives the same data set back."""
        return Table(self._native.transactions())

    def master_json(self) -> str:
        """The master data as a JSON document, the form :func:`qudao.from_arrow` accepts."""
        return self._native.master_json()

    def summary(self) -> Summary:
        """The data summary (computed with the GIL released)."""
        return Summary(self._native.summary())

    def __repr__(self) -> str:
        return repr(self._native).replace("<qudao Dataset", "<qudao.Dataset", 1)
