"""Customer segmentation and value: the per-customer summary, RFM segments, member tiers and
points, and customer lifetime value (BG/NBD, Pareto/NBD, Gamma-Gamma).

Every computation runs in Rust with the GIL released; results are :class:`~qudao.Table`
objects (Arrow, so ``to_polars()``/``to_pandas()`` work) with money as exact ``Decimal128``
at the currency's scale. Model estimates (probabilities, expected purchases and spend, CLV)
are floats in currency units: they are estimates, not booked amounts.

>>> import datetime, qudao
>>> data = qudao.load_csv("testdata/sample")
>>> summary = qudao.customer_summary(data, datetime.date(2025, 12, 31), "distinct_orders")
>>> summary.to_table().column_names[:4]
['customer', 'first_purchase', 'last_purchase', 'recency_days']
>>> segments = qudao.rfm(summary, scheme="rfm-11").segments.to_pylist()
>>> sum(s["customers"] for s in segments) == len(summary)
True
>>> bg = qudao.fit_bgnbd(summary)
>>> sorted(bg.params)
['a', 'alpha', 'b', 'r']
"""

from __future__ import annotations

import datetime
import decimal
import html
import json
import os
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from . import _native
from ._native import ArgumentError
from ._types import Dataset, Table

if TYPE_CHECKING:  # pragma: no cover - typing only
    import polars

    from . import ArrowStreamExportable

    from matplotlib.axes import Axes

__all__ = [
    "Abc",
    "CustomerSummary",
    "Fit",
    "Membership",
    "Rfm",
    "SegmentScheme",
    "TierScheme",
    "abc",
    "clv",
    "customer_summary",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_pareto_nbd",
    "membership",
    "plot_clv",
    "rfm",
]

DateLike = Union[datetime.date, str]
PathLike = Union[str, "os.PathLike[str]"]


def _arg_error(name: str, reason: str) -> ArgumentError:
    """An :class:`ArgumentError` like the ones Rust raises (``name`` and ``reason`` set)."""
    e = ArgumentError(f"invalid argument `{name}`: {reason}")
    e.name = name
    e.reason = reason
    return e


def _pyplot() -> Any:
    """``matplotlib.pyplot``, imported only when a plot is asked for."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "qudao plots need matplotlib, which is an optional dependency: "
            "pip install matplotlib"
        ) from e
    return plt


def _axes(ax: Optional["Axes"]) -> "Axes":
    if ax is not None:
        return ax
    _, new = _pyplot().subplots()
    return new


def _dataset(dataset: Dataset) -> _native.Dataset:
    if not isinstance(dataset, Dataset):
        raise TypeError(f"dataset must be a qudao.Dataset, not {type(dataset).__name__}")
    return dataset._native


def _check_arrow(data: object, what: str) -> None:
    if not (hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__")):
        raise TypeError(
            f"{what} must be a qudao CustomerSummary or a table exporting the Arrow "
            f"PyCapsule interface (a polars DataFrame, a pyarrow Table, …), "
            f"not {type(data).__name__}"
        )


# --- per-customer summary -------------------------------------------------------------------


class CustomerSummary:
    """One row per customer with a purchase on or before ``as_of``, in customer id order.

    Frequency is counted as the caller said (``frequency``); ``x``, ``t_x`` and ``T`` are the
    BTYD inputs in ``unit``. Customers with only returns in the window are not rows; their
    ids are in :attr:`only_returns`.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.CustomerSummary) -> None:
        self._native = native

    def __len__(self) -> int:
        return len(self._native)

    @property
    def as_of(self) -> datetime.date:
        """The summary date."""
        return self._native.as_of

    @property
    def frequency(self) -> str:
        """What frequency counts: ``distinct_orders``, ``order_lines`` or ``active_periods``."""
        return self._native.frequency

    @property
    def period(self) -> str:
        """What one active period is: ``day`` or ``week`` (ISO week)."""
        return self._native.period

    @property
    def unit(self) -> str:
        """The unit of ``t_x`` and ``T``: ``day`` or ``week`` (7 days)."""
        return self._native.unit

    @property
    def currency(self) -> str:
        """ISO 4217 code of the money columns."""
        return self._native.currency

    @property
    def only_returns(self) -> List[str]:
        """Customers with lines in the window but only returns (left out of the rows)."""
        return self._native.only_returns

    def to_table(self) -> Table:
        """The rows: ``customer``, ``first_purchase``, ``last_purchase`` (dates),
        ``recency_days``, ``frequency``, ``orders``, ``lines``, ``active_periods``,
        ``monetary`` (net of returns), ``margin`` (null when some line had no cost),
        ``x``, ``t_x``, ``T``, ``repeat_value`` (net value after the first period)."""
        return Table(self._native.to_table())

    def to_polars(self) -> "polars.DataFrame":
        """:meth:`to_table` as a polars DataFrame."""
        return self.to_table().to_polars()

    def _repr_html_(self) -> str:
        head = f"<h4>{html.escape(repr(self))}</h4>"
        try:
            import polars  # noqa: F401 - renders the float columns
        except ImportError:  # pragma: no cover - depends on the environment
            return head
        html_table: str = self.to_polars()._repr_html_()
        return head + html_table

    def __repr__(self) -> str:
        return repr(self._native).replace("<qudao CustomerSummary", "<qudao.CustomerSummary", 1)


def _date_arg(value: DateLike, name: str) -> DateLike:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, (datetime.date, str)):
        return value
    raise TypeError(f"{name} must be a datetime.date or 'YYYY-MM-DD', not {type(value).__name__}")


#: The columns :func:`customer_summary` reads from a table of lines; others are not exported.
_LINE_COLUMNS = ("customer", "order", "date", "amount", "kind", "quantity", "cost")


def _line_columns(table: Any) -> Any:
    """Only the columns a summary reads, when the table can select them without a copy
    (polars DataFrame, pyarrow Table): exporting unused columns costs time, not answers."""
    names = getattr(table, "column_names", None)
    if names is None:
        names = getattr(table, "columns", None)
    if not isinstance(names, (list, tuple)) or not hasattr(table, "select"):
        return table
    keep = [c for c in _LINE_COLUMNS if c in names]
    if len(keep) == len(names) or "customer" not in keep:
        return table  # nothing to drop, or a missing column the core will name
    return table.select(keep)


def customer_summary(
    data: Union[Dataset, "ArrowStreamExportable"],
    as_of: DateLike,
    frequency: str,
    *,
    period: str = "day",
    unit: str = "week",
    currency: Optional[str] = None,
    currency_exponent: Optional[int] = None,
) -> CustomerSummary:
    """Summarise every customer as of a date (lines after it are ignored).

    :param data: a :class:`Dataset`, or a table of lines exporting the Arrow PyCapsule
        interface (a polars DataFrame, a pyarrow Table, …) with columns ``customer``,
        ``order``, ``date``, ``amount`` (``Int64`` minor units or ``Decimal128``) and
        ``kind`` (``sale``/``return``) or ``quantity`` (negative on returns; with neither, a
        negative amount is a return), and optionally ``cost`` (nullable; margins need it).
        Other columns are ignored. A table needs no master
        data: the lines are checked only for what the summary reads (ids not empty, dates
        in range, amount signs, one customer per order), and the first bad row raises
        :class:`DataError` naming it. The same lines give the same table either way.
    :param as_of: the summary date (``datetime.date`` or ``"YYYY-MM-DD"``).
    :param frequency: what RFM frequency counts; no default on purpose:
        ``"distinct_orders"``, ``"order_lines"`` or ``"active_periods"``.
    :param period: one active period: ``"day"`` or ``"week"`` (ISO week). BTYD ``x`` is the
        number of active periods after the first.
    :param unit: the unit of ``t_x`` and ``T``: ``"week"`` (7 days, the CDNOW convention)
        or ``"day"``.
    :param currency: for a table of lines: the ISO 4217 code of the amounts (default CNY);
        ``currency_exponent`` overrides its usual decimal places.
    :raises ArgumentError: an unknown frequency, period or unit, or a bad date.

    >>> import pyarrow as pa
    >>> lines = pa.table({
    ...     "customer": ["C1", "C1", "C2"], "order": ["O1", "O2", "O3"],
    ...     "date": pa.array([datetime.date(2025, 3, 1), datetime.date(2025, 3, 9),
    ...                       datetime.date(2025, 3, 5)]),
    ...     "amount": [1_000, 2_000, 700]})
    >>> s = customer_summary(lines, "2025-03-31", "distinct_orders")
    >>> s.to_table().to_pylist()[0]["frequency"], len(s)
    (2, 2)
    """
    if isinstance(data, Dataset):
        if currency is not None or currency_exponent is not None:
            raise _arg_error("currency", "a data set has its own currency; give it for a table of lines")
        native = _native.customer_summary(
            data._native, _date_arg(as_of, "as_of"), frequency, period=period, unit=unit
        )
        return CustomerSummary(native)
    if not (hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__")):
        raise TypeError(
            "data must be a qudao.Dataset or a table of lines exporting the Arrow PyCapsule "
            f"interface (a polars DataFrame, a pyarrow Table, …), not {type(data).__name__}"
        )
    native = _native.customer_summary_from_arrow(
        _line_columns(data),
        _date_arg(as_of, "as_of"),
        frequency,
        period=period,
        unit=unit,
        currency=currency,
        currency_exponent=currency_exponent,
    )
    return CustomerSummary(native)


# --- RFM --------------------------------------------------------------------------------------


class SegmentScheme:
    """An RFM segment scheme: which segment each (R, F, M) score cell belongs to, with zh-CN
    and en labels and a care strategy per segment. Validated when made: overlapping or
    uncovered cells raise :class:`RuleError` naming them.

    >>> s = SegmentScheme.builtin("rfm-4class")
    >>> [seg["id"] for seg in s.segments]
    ['high_value', 'potential', 'general', 'lost']
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.SegmentScheme) -> None:
        self._native = native

    @classmethod
    def builtin(cls, id: str) -> "SegmentScheme":
        """A built-in scheme: ``"rfm-4class"`` (the domain's four classes) or ``"rfm-11"``."""
        return cls(_native.SegmentScheme.builtin(id))

    @staticmethod
    def builtin_ids() -> List[str]:
        """Ids of the built-in schemes."""
        return _native.SegmentScheme.builtin_ids()

    @classmethod
    def from_json(cls, text: str) -> "SegmentScheme":
        """Parse a JSON document. :raises RuleError: with the field path."""
        return cls(_native.SegmentScheme.parse(text, "json"))

    @classmethod
    def from_toml(cls, text: str) -> "SegmentScheme":
        """Parse a TOML document. :raises RuleError: with the field path."""
        return cls(_native.SegmentScheme.parse(text, "toml"))

    @classmethod
    def from_yaml(cls, text: str) -> "SegmentScheme":
        """Parse a YAML document. :raises RuleError: with the field path."""
        return cls(_native.SegmentScheme.parse(text, "yaml"))

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> "SegmentScheme":
        """A scheme from plain Python data (as :meth:`to_dict` gives)."""
        return cls.from_json(json.dumps(document))

    @classmethod
    def from_path(cls, path: PathLike) -> "SegmentScheme":
        """Read a ``.json``, ``.toml`` or ``.yaml`` file."""
        return cls(_native.SegmentScheme.from_path(os.fspath(path)))

    @staticmethod
    def json_schema() -> Dict[str, Any]:
        """The JSON Schema of scheme documents."""
        schema: Dict[str, Any] = json.loads(_native.SegmentScheme.json_schema())
        return schema

    @property
    def id(self) -> str:
        """Scheme id."""
        return self._native.id

    @property
    def name(self) -> Dict[str, str]:
        """Display name, ``{"en": …, "zh": …}``."""
        return self._native.name

    @property
    def scores(self) -> int:
        """Scores run 1 to this on each dimension."""
        return self._native.scores

    @property
    def segments(self) -> List[Dict[str, Any]]:
        """The segments: ``id``, ``label`` and ``strategy`` (``{"en", "zh"}``), ``when``."""
        return self._native.segments

    def to_json(self) -> str:
        """The document as JSON."""
        return self._native.to_text("json")

    def to_toml(self) -> str:
        """The document as TOML (the format of the built-in schemes)."""
        return self._native.to_text("toml")

    def to_yaml(self) -> str:
        """The document as YAML."""
        return self._native.to_text("yaml")

    def to_dict(self) -> Dict[str, Any]:
        """The document as plain Python data."""
        doc: Dict[str, Any] = json.loads(self.to_json())
        return doc

    def __repr__(self) -> str:
        return repr(self._native).replace("<qudao SegmentScheme", "<qudao.SegmentScheme", 1)


class Rfm:
    """RFM scores and segments: :attr:`table` (one row per customer), :attr:`segments` (one
    row per segment) and :attr:`scorings` (the rule, bins and break values actually used)."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.Rfm) -> None:
        self._native = native

    @property
    def scheme(self) -> str:
        """The segment scheme's id."""
        return self._native.scheme

    @property
    def table(self) -> Table:
        """Per customer: ``customer``, ``recency_days``, ``frequency``, ``monetary``, scores
        ``r``, ``f``, ``m`` (recent scores high), ``segment`` (id), ``segment_en``,
        ``segment_zh``."""
        return Table(self._native.table)

    @property
    def segments(self) -> Table:
        """Per segment, in the scheme's order: ``segment``, labels and strategy in en/zh,
        ``customers``, ``orders``, ``revenue``, ``revenue_share`` (6 decimals, half-even),
        ``average_order_value``."""
        return Table(self._native.segments)

    @property
    def scorings(self) -> Dict[str, Any]:
        """Per dimension (``recency``, ``frequency``, ``monetary``): the ``rule``, the
        ``bins`` (score, customers, min, max), the ``breaks`` used and the ``collapsed``
        scores nobody got. Values are days, counts and minor units."""
        scorings: Dict[str, Any] = json.loads(self._native.scorings_json())
        return scorings

    def plot_segments(
        self,
        metric: str = "customers",
        *,
        lang: str = "en",
        ax: Optional["Axes"] = None,
    ) -> "Axes":
        """A bar chart of the segment summary (needs matplotlib).

        :param metric: ``"customers"``, ``"orders"``, ``"revenue"`` or ``"revenue_share"``.
        :param lang: ``"en"`` or ``"zh"`` labels (``zh`` needs a font with CJK glyphs).
        """
        if metric not in ("customers", "orders", "revenue", "revenue_share"):
            raise _arg_error(
                "metric", f"{metric!r} is not customers, orders, revenue or revenue_share"
            )
        if lang not in ("en", "zh"):
            raise _arg_error("lang", f"{lang!r} is not en or zh")
        table = self.segments
        rows = table.to_pylist()
        axes = _axes(ax)
        labels = [r[f"label_{lang}"] for r in rows]
        values = [float(r[metric] or 0) for r in rows]
        axes.barh(labels[::-1], values[::-1])
        unit = f" ({table.metadata.get('currency', '')})" if metric == "revenue" else ""
        axes.set_xlabel(metric.replace("_", " ") + unit)
        axes.set_title(f"RFM segments ({self.scheme})")
        return axes

    def __repr__(self) -> str:
        return repr(self._native).replace("<qudao Rfm", "<qudao.Rfm", 1)


def _rules_json(rules: Union[None, str, Mapping[str, Any]]) -> Optional[str]:
    if rules is None or isinstance(rules, str):
        return rules
    if isinstance(rules, Mapping):
        return json.dumps(rules)
    raise TypeError(f"rules must be a dict or JSON text, not {type(rules).__name__}")


def rfm(
    summary: CustomerSummary,
    rules: Union[None, str, Mapping[str, Any]] = None,
    scheme: Union[str, SegmentScheme] = "rfm-11",
) -> Rfm:
    """Score every customer on R, F and M and place them in a segment scheme's segments.

    :param rules: the scoring rule of each dimension, e.g. ``{"recency": {"rule":
        "ordinal_rank", "bins": 5}, "frequency": {"rule": "value_breaks", "bins": 5},
        "monetary": {"rule": "fixed", "thresholds": [10000, 50000, 100000, 500000]}}``
        (fixed monetary thresholds in minor units; recency in days, lower is better).
        ``None``: quintiles by ordinal rank (ties by customer id) on all three.
    :param scheme: a :class:`SegmentScheme` or a built-in id (``"rfm-11"``,
        ``"rfm-4class"``). Each rule must give as many scores as the scheme uses.
    :raises RuleError: a bad rules document (with its field path).
    :raises ArgumentError: rules and scheme disagree on the number of scores.
    """
    if not isinstance(summary, CustomerSummary):
        raise TypeError(f"summary must be a CustomerSummary, not {type(summary).__name__}")
    if isinstance(scheme, str):
        scheme = SegmentScheme.builtin(scheme)
    if not isinstance(scheme, SegmentScheme):
        raise TypeError(f"scheme must be a SegmentScheme or an id, not {type(scheme).__name__}")
    return Rfm(_native.rfm(summary._native, scheme._native, _rules_json(rules)))


# --- ABC -------------------------------------------------------------------------------------


class Abc:
    """ABC (Pareto) classes by net revenue: :attr:`table` (one row per item) and
    :attr:`classes` (one row per class, with its boundaries and shares)."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.Abc) -> None:
        self._native = native

    @property
    def subject(self) -> str:
        """``customer``, ``partner`` or ``product``."""
        return self._native.subject

    @property
    def table(self) -> Table:
        """Per item with lines in the window, in id order: the id (column named after the
        subject), ``revenue`` (net), ``class``."""
        return Table(self._native.table)

    @property
    def classes(self) -> Table:
        """Per class: ``class``, cumulative ``limit``, ``items``, ``revenue``, ``share`` and
        ``cumulative_share`` (6 decimals, half-even; the last is exactly 1),
        ``min_revenue`` and ``max_revenue`` (the boundaries actually used)."""
        return Table(self._native.classes)

    @property
    def total(self) -> decimal.Decimal:
        """Sum of the positive revenues (the 100 %)."""
        return decimal.Decimal(self._native.total)

    def __repr__(self) -> str:
        return repr(self._native).replace("<qudao Abc", "<qudao.Abc", 1)


Limit = Union[str, int, float, decimal.Decimal]


def abc(
    dataset: Dataset,
    subject: str = "customer",
    *,
    start: Optional[DateLike] = None,
    end: Optional[DateLike] = None,
    classes: Optional[Iterable[Tuple[str, Limit]]] = None,
) -> Abc:
    """Classify customers, partners or products by net revenue (sales − returns) over lines
    dated in ``[start, end]`` (inclusive; ``None`` is unbounded). Ties break by id.

    An item is in the first class whose cumulative limit the share *before* it has not yet
    reached, so the item that crosses 80 % is still A. Items with no positive revenue are in
    the last class.

    :param subject: ``"customer"``, ``"partner"`` or ``"product"``.
    :param classes: ``(label, cumulative limit)`` pairs, ascending, the last ``1``; default
        ``[("A", "0.8"), ("B", "0.95"), ("C", "1")]``. Give limits as text or
        :class:`~decimal.Decimal` to keep them exact.
    :raises RuleError: bad classes (with the field path).
    """
    scheme = None
    if classes is not None:
        pairs = []
        for item in classes:
            label, limit = item
            if isinstance(limit, bool) or not isinstance(limit, (str, int, float, decimal.Decimal)):
                raise TypeError(f"class limits must be numbers or text, not {type(limit).__name__}")
            pairs.append([label, str(limit)])
        scheme = json.dumps({"classes": pairs})
    return Abc(
        _native.abc(
            _dataset(dataset),
            subject,
            start=None if start is None else _date_arg(start, "start"),
            end=None if end is None else _date_arg(end, "end"),
            scheme=scheme,
        )
    )


# --- member tiers and points ------------------------------------------------------------------


class TierScheme:
    """A member tier scheme: tiers by rolling spend or points, points earning and rounding,
    expiry, review dates and benefits. Validated when made (errors name the field path)."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.TierScheme) -> None:
        self._native = native

    @classmethod
    def default(cls) -> "TierScheme":
        """The built-in example: regular / silver / gold / diamond by spend over 365 days."""
        return cls(_native.TierScheme.builtin_default())

    @classmethod
    def from_json(cls, text: str) -> "TierScheme":
        """Parse a JSON document."""
        return cls(_native.TierScheme.parse(text, "json"))

    @classmethod
    def from_toml(cls, text: str) -> "TierScheme":
        """Parse a TOML document."""
        return cls(_native.TierScheme.parse(text, "toml"))

    @classmethod
    def from_yaml(cls, text: str) -> "TierScheme":
        """Parse a YAML document."""
        return cls(_native.TierScheme.parse(text, "yaml"))

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> "TierScheme":
        """A scheme from plain Python data (as :meth:`to_dict` gives)."""
        return cls.from_json(json.dumps(document))

    @classmethod
    def from_path(cls, path: PathLike) -> "TierScheme":
        """Read a ``.json``, ``.toml`` or ``.yaml`` file."""
        return cls(_native.TierScheme.from_path(os.fspath(path)))

    @staticmethod
    def json_schema() -> Dict[str, Any]:
        """The JSON Schema of tier scheme documents."""
        schema: Dict[str, Any] = json.loads(_native.TierScheme.json_schema())
        return schema

    @property
    def id(self) -> str:
        """Scheme id."""
        return self._native.id

    @property
    def currency(self) -> str:
        """The currency thresholds and earning count in (must be the data's)."""
        return self._native.currency

    @property
    def tiers(self) -> List[str]:
        """Tier ids, lowest first."""
        return self._native.tiers

    def to_json(self) -> str:
        """The document as JSON."""
        return self._native.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """The document as plain Python data."""
        doc: Dict[str, Any] = json.loads(self.to_json())
        return doc

    def __repr__(self) -> str:
        return repr(self._native).replace("<qudao TierScheme", "<qudao.TierScheme", 1)


class Membership:
    """Every customer's points ledger, tier history and state as of a date."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.Membership) -> None:
        self._native = native

    @property
    def scheme(self) -> str:
        """The tier scheme's id."""
        return self._native.scheme

    @property
    def as_of(self) -> datetime.date:
        """The date of the state."""
        return self._native.as_of

    @property
    def next_review(self) -> datetime.date:
        """The first review (downgrade) date after :attr:`as_of`."""
        return self._native.next_review

    @property
    def tiers(self) -> List[str]:
        """Tier ids, lowest first."""
        return self._native.tiers

    @property
    def shortfall_entries(self) -> int:
        """Return reversals (and negative bonuses) that met a balance too low to cover
        them."""
        return self._native.shortfall_entries

    @property
    def shortfall_points(self) -> int:
        """Points those entries could not take."""
        return self._native.shortfall_points

    @property
    def customers(self) -> Table:
        """Per customer: ``tier``; points ``balance`` = ``earned`` − ``redeemed`` −
        ``expired`` − ``reversed`` + ``bonus``; ``shortfall``; ``bonus`` (net bonus points);
        ``rolling_spend`` (spend schemes);
        ``basis`` (minor units of spend, or points); ``supported_tier`` (lower than ``tier``
        means a downgrade at the next review); ``next_tier`` and the basis it still
        ``needed``."""
        return Table(self._native.customers)

    @property
    def ledger(self) -> Table:
        """Every entry: ``customer``, ``date``, ``kind`` (earn, redeem, expire, reverse, bonus),
        signed ``points``, ``balance`` after, ``amount`` behind it, ``reference``,
        ``original_order``, ``tier``, ``rate`` (points per currency unit), ``rate_source``,
        ``shortfall``."""
        return Table(self._native.ledger)

    @property
    def history(self) -> Table:
        """Tier changes: ``customer``, ``date``, ``from_tier``, ``to_tier``, ``reason``
        (upgrade, downgrade_at_review), ``basis``, ``order``."""
        return Table(self._native.history)

    @property
    def tier_counts(self) -> Table:
        """Customers per tier."""
        return Table(self._native.tier_counts)

    def __repr__(self) -> str:
        return repr(self._native).replace("<qudao Membership", "<qudao.Membership", 1)


Redemptions = Union[Iterable[Mapping[str, Any]], Any]
Bonuses = Union[Iterable[Mapping[str, Any]], Any]


def membership(
    dataset: Dataset,
    as_of: DateLike,
    scheme: Optional[TierScheme] = None,
    redemptions: Optional[Redemptions] = None,
    bonuses: Optional[Bonuses] = None,
) -> Membership:
    """Points ledgers, tier histories and states of every customer as of ``as_of``.

    :param scheme: the tier scheme (default :meth:`TierScheme.default`); its currency must
        be the data's.
    :param redemptions: points redeemed (they are not in the sales data): dicts with
        ``customer``, ``date``, ``points`` (> 0) and ``reference``, or an Arrow table with
        those columns.
    :param bonuses: bonus points from outside the sales data — e.g. a rebate program paid in
        points (the ``points_awards`` of a settlement) — with the same fields as
        redemptions; ``points`` > 0 credits a lot that expires like an earning of that day
        (after the day's sales and returns, before its redemptions), < 0 takes points back
        like a return (never below zero; the rest is a ``shortfall``). On a points-balance
        scheme bonus points count toward the tier. Ledger entries of kind ``bonus``.
    :raises DataError: an unknown customer or non-positive points in a redemption, an
        unknown customer or 0 points in a bonus (with the source and row), or a redemption
        larger than the balance.
    :raises ArgumentError: a scheme in another currency.
    """
    if scheme is None:
        scheme = TierScheme.default()
    if not isinstance(scheme, TierScheme):
        raise TypeError(f"scheme must be a TierScheme, not {type(scheme).__name__}")
    return Membership(
        _native.membership(
            _dataset(dataset),
            scheme._native,
            _date_arg(as_of, "as_of"),
            redemptions,
            bonuses,
        )
    )


# --- lifetime value ---------------------------------------------------------------------------

BtydInput = Union[CustomerSummary, Any]


def _btyd_arg(data: BtydInput) -> object:
    if isinstance(data, CustomerSummary):
        return data._native
    _check_arrow(data, "data")
    return data


class Fit:
    """A fitted model: BG/NBD or Pareto/NBD (purchases) or Gamma-Gamma (spend per purchase).

    Predictions take the same kind of data as the fit: a :class:`CustomerSummary` (rows keep
    its ``customer`` ids) or an Arrow table with ``x``, ``t_x``, ``T`` (and ``mean_spend``
    for spend), whose row order the result keeps.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.Fit) -> None:
        self._native = native

    @property
    def model(self) -> str:
        """``bg_nbd``, ``pareto_nbd`` or ``gamma_gamma``."""
        return self._native.model

    @property
    def params(self) -> Dict[str, float]:
        """Parameter values by name."""
        return self._native.params

    @property
    def std_errors(self) -> Dict[str, Optional[float]]:
        """Standard errors by name (``None`` where the Hessian is singular)."""
        return self._native.std_errors

    @property
    def log_likelihood(self) -> float:
        """Total log-likelihood, in the data's time unit."""
        return self._native.log_likelihood

    @property
    def status(self) -> str:
        """``converged``, ``boundary`` (see :attr:`boundary_parameter`) or ``not_converged``."""
        return self._native.status

    @property
    def boundary_parameter(self) -> Optional[str]:
        """The parameter at its bound, for a boundary optimum."""
        return self._native.boundary_parameter

    @property
    def customers(self) -> float:
        """Customers the fit used."""
        return self._native.customers

    @property
    def evaluations(self) -> int:
        """Likelihood evaluations used."""
        return self._native.evaluations

    @property
    def dropped(self) -> int:
        """Customers left out of the fit; :attr:`dropped_reason` says why."""
        return self._native.dropped

    @property
    def dropped_reason(self) -> Optional[str]:
        """Why customers were left out, if any were."""
        return self._native.dropped_reason

    @property
    def unit(self) -> Optional[str]:
        """Time unit of the data fitted (``None`` when fitted on a table)."""
        return self._native.unit

    def to_dict(self) -> Dict[str, Any]:
        """The fit as plain Python data."""
        doc: Dict[str, Any] = json.loads(self._native.to_json())
        return doc

    def probability_alive(self, data: BtydInput) -> Table:
        """``p_alive``: the probability each customer is still active."""
        return Table(self._native.probability_alive(_btyd_arg(data)))

    def expected_purchases(self, data: BtydInput, t: float) -> Table:
        """``expected_purchases`` of each customer in the next ``t`` time units."""
        return Table(self._native.expected_purchases(_btyd_arg(data), float(t)))

    def expected_purchases_new(self, t: float) -> float:
        """Expected purchases of a new customer in its first ``t`` time units."""
        return self._native.expected_purchases_new(float(t))

    def expected_spend(self, data: BtydInput) -> Table:
        """``expected_spend`` per purchase of each customer (Gamma-Gamma), currency units."""
        return Table(self._native.expected_spend(_btyd_arg(data)))

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{v:.6g}</td>"
            f"<td>{'' if self.std_errors.get(k) is None else format(self.std_errors[k], '.4g')}</td></tr>"
            for k, v in self.params.items()
        )
        return (
            f"<h4>{html.escape(repr(self))}</h4><table><thead><tr><th>parameter</th>"
            f"<th>value</th><th>std. error</th></tr></thead><tbody>{rows}</tbody></table>"
        )

    def __repr__(self) -> str:
        return repr(self._native).replace("<qudao Fit", "<qudao.Fit", 1)


def fit_bgnbd(data: BtydInput) -> Fit:
    """Fit BG/NBD (``r, alpha, a, b``) by maximum likelihood, with the GIL released.

    :param data: a :class:`CustomerSummary` or an Arrow table with ``x``, ``t_x``, ``T``.
    A boundary optimum is reported in :attr:`Fit.status`, not raised.
    """
    return Fit(_native.fit_bgnbd(_btyd_arg(data)))


def fit_pareto_nbd(data: BtydInput) -> Fit:
    """Fit Pareto/NBD (``r, alpha, s, beta``) by maximum likelihood, with the GIL released."""
    return Fit(_native.fit_pareto_nbd(_btyd_arg(data)))


def fit_gamma_gamma(data: BtydInput) -> Fit:
    """Fit the Gamma-Gamma spend model (``p, q, gamma``) on repeat buyers.

    From a summary, repeat buyers whose repeat value is not positive are left out and
    counted in :attr:`Fit.dropped`. A table must hold repeat buyers only: ``x > 0`` and
    ``mean_spend > 0`` (currency units), else :class:`DataError` names the row.
    """
    return Fit(_native.fit_gamma_gamma(_btyd_arg(data)))


def clv(
    purchases: Fit,
    spend: Fit,
    data: BtydInput,
    *,
    step: float = 4.345,
    steps: int = 12,
    discount_rate: float = 0.01,
) -> Table:
    """Discounted customer lifetime value over ``steps`` steps of ``step`` time units.

    The defaults are twelve months of 4.345 weeks at 1 % a month (with weekly data). Columns:
    ``customer``, ``revenue_to_date`` and ``margin_to_date`` (historic, for a summary), ``x``,
    ``t_x``, ``T``, ``p_alive``, ``expected_purchases`` over the horizon, ``expected_spend``
    per purchase and ``clv`` (currency units).

    :param purchases: a BG/NBD or Pareto/NBD fit. :param spend: a Gamma-Gamma fit.
    """
    if not isinstance(purchases, Fit) or not isinstance(spend, Fit):
        raise TypeError("purchases and spend must be qudao.Fit objects")
    return Table(
        _native.clv(
            purchases._native,
            spend._native,
            _btyd_arg(data),
            step=float(step),
            steps=int(steps),
            discount_rate=float(discount_rate),
        )
    )


def plot_clv(
    table: Any,
    column: str = "clv",
    *,
    bins: int = 40,
    ax: Optional["Axes"] = None,
) -> "Axes":
    """A histogram of a CLV table's ``column`` (needs matplotlib, and polars or pyarrow to
    read the float column)."""
    if not hasattr(table, "__arrow_c_stream__"):
        raise TypeError(
            f"table must export the Arrow PyCapsule interface, not {type(table).__name__}"
        )
    values = [v for v in _float_column(table, column) if v is not None]
    axes = _axes(ax)
    axes.hist(values, bins=bins)
    currency = table.metadata.get("currency") if isinstance(table, Table) else None
    axes.set_xlabel(column.replace("_", " ") + (f" ({currency})" if currency else ""))
    axes.set_ylabel("customers")
    axes.set_title("Customer lifetime value")
    return axes


def _float_column(table: Any, column: str) -> List[Optional[float]]:
    """One column of an Arrow-exporting table as floats, through polars or pyarrow."""
    try:
        import polars as pl
    except ImportError:
        pl = None
    if pl is not None:
        frame = pl.DataFrame(table)
        if column not in frame.columns:
            raise _arg_error("column", f"the table has no column {column!r}")
        values: List[Optional[float]] = frame.get_column(column).cast(pl.Float64).to_list()
        return values
    try:
        import pyarrow as pa
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("reading a float column needs polars or pyarrow") from e
    t = pa.table(table)
    if column not in t.column_names:
        raise _arg_error("column", f"the table has no column {column!r}")
    return [None if v is None else float(v) for v in t.column(column).to_pylist()]
