"""Channel economics (渠道经济) and budget reallocation: which channels bring valuable
customers, at what cost, and where the next budget should go.

:func:`channel_economics` computes, per acquisition channel and period, the customers
acquired, conversion rates, spend, CAC, the historic (and, with ``clv=True``, predicted) CLV
of the customers acquired, CLV/CAC, ROI and the payback period, plus the share of revenue by
sales channel (in Rust, with the GIL released). Money is ``Int64`` minor units (the currency
code and exponent are in each table's metadata); money per customer (major units) and ratios
are exact decimals (6 places); a value that cannot be computed is null, with the reason in
the row's ``missing`` column — never 0. :func:`reallocate` spreads a :class:`BudgetPlan`
over the channels in proportion to an efficiency measure, within each channel's bounds,
summing exactly to the budget. Definitions: ``docs/economics.md``. The CLV/CAC plot needs
``pip install 'qudao[plot]'``.

>>> import datetime, qudao
>>> data = qudao.load_csv("testdata/sample")
>>> econ = qudao.channel_economics(data, datetime.date(2025, 12, 31), grain="year")
>>> econ.totals.column_names[:5]
['channel', 'period', 'period_start', 'period_end', 'acquired']
>>> sum(r["acquired"] for r in econ.totals.to_pylist()) == econ.counts["customers_acquired"]
True
>>> plan = qudao.BudgetPlan.from_dict({
...     "schema_version": 1, "id": "2026", "total": 1_000_000, "measure": "given",
...     "channels": [{"channel": "TMALL", "min": 100_000, "efficiency": "3"},
...                  {"channel": "JD", "efficiency": "1"},
...                  {"channel": "LIVE", "max": 50_000}]})
>>> proposal = qudao.reallocate(plan)
>>> [(r["channel"], r["amount"], r["bound"]) for r in proposal.to_pylist()]
[('TMALL', 750000, 'free'), ('JD', 250000, 'free'), ('LIVE', 0, 'no_efficiency')]
"""

from __future__ import annotations

import datetime
import html
import json
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Union

from . import _native
from ._types import Dataset, Table
from .attribution import AttributionResult, _axes
from .customers import _arg_error
from .evaluation import _Parsed, _Tabular
from .rebates import _dataset, _date, _dumps

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

__all__ = ["BudgetPlan", "ChannelEconomics", "Reallocation", "channel_economics", "reallocate"]

DateLike = Union[datetime.date, str]

VALUE_BASES = ("historic_revenue", "historic_margin", "historic_plus_predicted")


class ChannelEconomics(_Tabular):
    """What :func:`channel_economics` gives.

    :attr:`rows` (per acquisition channel and period) and :attr:`totals` (per channel over
    all periods; the main table, also what :meth:`to_polars`, :meth:`to_pandas`,
    :meth:`to_arrow` and the Arrow stream give) have the columns ``channel``, ``period``,
    ``period_start``, ``period_end`` (null in the totals), ``acquired``,
    ``acquired_from_master``, ``touched``, ``converted``, ``converted_acquired``,
    ``conversion_rate``, ``acquisition_conversion_rate``, ``channel_cost``, ``touch_cost``,
    ``spend``, ``cac``, ``revenue``, ``margin``, ``revenue_per_customer``,
    ``margin_per_customer``, ``predicted``, ``predicted_per_customer``, ``value``, ``clv``,
    ``clv_cac``, ``roi``, ``payback_periods``, ``payback_on_revenue`` and ``missing`` (why
    the null values are null: ``cac: customers acquired is zero; …``). Money (``*_cost``,
    ``spend``, ``revenue``, ``margin``, ``predicted``, ``value``) is minor units; ``cac``,
    ``*_per_customer`` and ``clv`` are major units; the rest are ratios (0.25 is 25 %).
    :attr:`revenue_share`: per period and sales channel, ``revenue`` and ``share`` (the
    shares of a period add up to exactly 1).
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.ChannelEconomics) -> None:
        self._native = native

    def _main(self) -> Table:
        return self.totals

    @property
    def rows(self) -> Table:
        """Per acquisition channel and period (channels in id order, then periods)."""
        return Table(self._native.rows)

    @property
    def totals(self) -> Table:
        """Per channel over all periods."""
        return Table(self._native.totals)

    @property
    def revenue_share(self) -> Table:
        """Per period and sales channel: net revenue and its share of the period's."""
        return Table(self._native.revenue_share)

    @property
    def as_of(self) -> datetime.date:
        """The as-of day (inclusive)."""
        return self._native.as_of

    @property
    def currency(self) -> str:
        """ISO 4217 code of every amount."""
        return self._native.currency

    @property
    def currency_exponent(self) -> int:
        """Decimals of the currency (minor units per major unit = 10^exponent)."""
        return self._native.currency_exponent

    @property
    def value_basis(self) -> str:
        """The value CLV/CAC and ROI use."""
        return self._native.value_basis

    @property
    def predictions(self) -> Optional[str]:
        """What made the predicted CLV, when it was asked for."""
        return self._native.predictions

    @property
    def periods(self) -> List[str]:
        """The periods, ascending."""
        return self._native.periods

    @property
    def counts(self) -> Dict[str, int]:
        """What was counted, left out or decided (``customers_acquired``,
        ``lines_after_as_of``, ``touches_after_first_purchase``, …)."""
        return dict(self._native.counts)

    def to_json(self) -> str:
        """The whole result as JSON (decimals as strings, missing values with reasons)."""
        return self._native.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """The whole result as plain Python data."""
        doc: Dict[str, Any] = json.loads(self.to_json())
        return doc

    def plot_clv_cac(self, *, ax: Optional["Axes"] = None) -> "Axes":
        """CLV/CAC per channel over all periods as bars, with a line at 1 (a channel below it
        does not earn back what it costs); channels without a value are labelled ``n/a``.
        Needs matplotlib (``pip install 'qudao[plot]'``)."""
        rows = self.totals.to_pylist()
        channels = [r["channel"] for r in rows]
        values = [None if r["clv_cac"] is None else float(r["clv_cac"]) for r in rows]
        axes = _axes(ax)
        bars = axes.bar(range(len(channels)), [v or 0.0 for v in values])
        for bar, v in zip(bars, values):
            if v is None:
                axes.text(bar.get_x() + bar.get_width() / 2, 0, "n/a", ha="center",
                          va="bottom", fontsize="small")
        axes.axhline(1.0, color="grey", linestyle="--", linewidth=1)
        axes.set_xticks(range(len(channels)))
        axes.set_xticklabels(channels, rotation=45, ha="right")
        axes.set_ylabel(f"CLV / CAC ({self.value_basis.replace('_', ' ')})")
        axes.set_title(f"CLV / CAC by acquisition channel, as of {self.as_of}")
        return axes


def channel_economics(
    dataset: Dataset,
    as_of: DateLike,
    *,
    grain: Union[str, Iterable[str]] = "quarter",
    value: Optional[str] = None,
    clv: bool = False,
    share_decimals: int = 4,
    threads: int = 0,
) -> ChannelEconomics:
    """The channel economics of ``dataset`` as of a day.

    :param as_of: the day the data is as of (inclusive; later lines, touches and costs are
        left out and counted).
    :param grain: ``"month"``, ``"quarter"``, ``"year"``, or a list of periods
        (``["2025-Q1", "2025-07-01..2025-09-30"]``; they must not overlap).
    :param value: what CLV/CAC and ROI compare with the spend: ``historic_revenue``,
        ``historic_margin`` (default) or ``historic_plus_predicted``.
    :param clv: also predict each customer's future value (BG/NBD × Gamma-Gamma fitted as
        of ``as_of``, 12 months discounted 1 % a month) for the ``predicted`` columns.
    :param share_decimals: decimals of the revenue shares (0 to 12).
    :param threads: worker threads (0 = all cores); the result does not depend on it.
    :raises ArgumentError: a bad grain, period or value basis. :raises DataError: a
        negative cost in the data set.
    """
    if value is not None and value not in VALUE_BASES:
        raise _arg_error("value", f"{value!r} is not one of {', '.join(VALUE_BASES)}")
    periods: Optional[List[str]] = None
    if isinstance(grain, str):
        grain_name = grain
    else:
        grain_name, periods = "custom", [str(p) for p in grain]
    return ChannelEconomics(
        _native.channel_economics(
            _dataset(dataset),
            _date(as_of, "as_of"),
            grain=grain_name,
            periods=periods,
            value=value,
            clv=clv,
            share_decimals=share_decimals,
            threads=threads,
        )
    )


# --- budget ------------------------------------------------------------------------------------


class BudgetPlan(_Parsed):
    """A budget plan (预算分配方案), validated when made: errors are
    :class:`~qudao.RuleError` with the field path (``channels[1].max``, ``total``).

    ``total`` (minor units), ``measure`` (``attributed_value_per_spend``, ``clv_cac``,
    ``roi`` or ``given``) and ``channels``, each with ``channel``, ``min`` (default 0), an
    optional ``max`` and, for ``given``, an ``efficiency`` (decimal text). JSON Schema:
    :meth:`json_schema` and ``schemas/budget-plan.schema.json``.
    """

    __slots__ = ()
    _native_type = _native.BudgetPlan

    @property
    def id(self) -> str:
        """Plan id."""
        return self._native.id

    @property
    def total(self) -> int:
        """The total budget, minor units."""
        return self._native.total

    @property
    def measure(self) -> str:
        """The efficiency measure the budget follows."""
        return self._native.measure

    @property
    def channels(self) -> List[str]:
        """The channels, in plan order."""
        return self._native.channels


class Reallocation(_Tabular):
    """A budget reallocation proposal from :func:`reallocate`.

    :attr:`lines` (the main table), one row per channel in the plan's order, with the
    reasoning: ``channel``, ``efficiency`` (under the measure), ``share_before_bounds`` (of
    the total efficiency), ``amount_before_bounds`` (what the efficiency alone would give,
    minor units), ``min``, ``max``, ``bound`` (``free``, ``min``, ``max`` or
    ``no_efficiency``: what decided the amount), ``amount`` (minor units; the amounts add up
    exactly to :attr:`total`), ``current_spend``, ``change`` and ``missing`` (why a null is
    null). :attr:`notes` says what happened in words.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.Reallocation) -> None:
        self._native = native

    def _main(self) -> Table:
        return self.lines

    @property
    def lines(self) -> Table:
        """One row per channel, with the reasoning."""
        return Table(self._native.lines)

    @property
    def plan(self) -> str:
        """The plan id."""
        return self._native.plan

    @property
    def total(self) -> int:
        """The total budget, minor units (= the sum of the amounts)."""
        return self._native.total

    @property
    def measure(self) -> str:
        """The measure followed."""
        return self._native.measure

    @property
    def notes(self) -> List[str]:
        """What happened, in words (levels, leftovers)."""
        return self._native.notes

    def reasoning(self) -> str:
        """The proposal in words: per channel its efficiency, the amount before and after
        the bounds and what decided it, then the notes."""
        out = []
        for r in self.lines.to_pylist():
            eff = "no efficiency" if r["efficiency"] is None else f"efficiency {r['efficiency']}"
            before = "" if r["amount_before_bounds"] is None else (
                f", {r['amount_before_bounds']} before bounds"
            )
            change = "" if r["change"] is None else f" (change {r['change']:+d})"
            out.append(f"{r['channel']}: {eff}{before} → {r['amount']} [{r['bound']}]{change}")
        return "\n".join(out + list(self.notes))

    def to_json(self) -> str:
        """The whole proposal as JSON."""
        return self._native.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """The whole proposal as plain Python data."""
        doc: Dict[str, Any] = json.loads(self.to_json())
        return doc

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return super()._repr_html_() + (f"<ul>{notes}</ul>" if notes else "")


def reallocate(
    plan: BudgetPlan,
    economics: Optional[Union[ChannelEconomics, Mapping[str, Mapping[str, Any]]]] = None,
    *,
    efficiencies: Optional[Mapping[str, Mapping[str, Any]]] = None,
    attribution: Optional[AttributionResult] = None,
    model: str = "markov",
) -> Reallocation:
    """Spread the plan's budget over its channels in proportion to its measure, within each
    channel's minimum and maximum, the amounts adding up exactly to the total (largest
    remainder). A channel without a positive efficiency gets its minimum.

    :param economics: a :class:`ChannelEconomics` (current spend, CLV/CAC and ROI of each
        channel's totals), or the per-channel inputs as a mapping (as ``efficiencies``).
    :param efficiencies: per channel ``{"current_spend": …, "attributed_value": …,
        "clv_cac": …, "roi": …}`` (money as integer minor units, ratios as decimals or
        text; each optional), set over what ``economics`` gave.
    :param attribution: attributed values from an :func:`~qudao.attribute` result (the
        channels' ``value`` under ``model``), for the ``attributed_value_per_spend``
        measure.
    :raises ArgumentError: an unknown model, a model that did not run, a bad efficiency.
    """
    if not isinstance(plan, BudgetPlan):
        raise TypeError(f"plan must be a qudao.BudgetPlan, not {type(plan).__name__}")
    native_econ = None
    if isinstance(economics, ChannelEconomics):
        native_econ = economics._native
    elif isinstance(economics, Mapping):
        if efficiencies is not None:
            raise TypeError("give the efficiencies either positionally or as efficiencies=")
        efficiencies = economics
    elif economics is not None:
        raise TypeError(
            "economics must be qudao.ChannelEconomics or a mapping of efficiencies, "
            f"not {type(economics).__name__}"
        )
    text = None
    if efficiencies is not None:
        if not isinstance(efficiencies, Mapping):
            raise TypeError(f"efficiencies must be a mapping, not {type(efficiencies).__name__}")
        text = _dumps({str(k): dict(v) for k, v in efficiencies.items()})
    native_attr = None
    if attribution is not None:
        if not isinstance(attribution, AttributionResult):
            raise TypeError(
                f"attribution must be a qudao.AttributionResult, not {type(attribution).__name__}"
            )
        native_attr = attribution._native
    return Reallocation(
        _native.reallocate(plan._native, native_econ, text, native_attr, model)
    )
