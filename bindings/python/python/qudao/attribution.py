"""Channel attribution (渠道归因): which channels earned the conversions.

Journeys come from aggregated paths (:func:`journeys_from_paths`, ``a > b > c`` with
conversions, value and nulls, as the ChannelAttribution package takes them), from touchpoints
and conversions (:func:`journeys_from_touchpoints`) or from a data set
(:func:`journeys_from_dataset`). :func:`attribute` runs the heuristic models (first touch,
last touch, linear, time decay, position-based), the Markov chain model with removal effects
solved exactly from the absorbing chain, and Shapley values, in Rust with the GIL released.
Every model's shares add up exactly to the totals: conversions are exact decimals
(:class:`decimal.Decimal`, 6 places), values are integers in minor units. Definitions:
``docs/attribution.md``; settings: :class:`AttributionSettings` and
``schemas/attribution-settings.schema.json``. Plots need ``pip install 'qudao[plot]'``.

The issue's hand-solved case: ``A`` converts twice and fails once, ``B`` converts once,
``A > B`` converts once. The chain converts with probability 0.8; without ``A`` it converts
with 0.2 (removal effect 0.75), without ``B`` with 0.4 (0.5), so Markov gives ``A``
4 × 0.75 / 1.25 = 2.4 conversions and ``B`` 1.6:

>>> import qudao
>>> journeys = qudao.journeys_from_paths([
...     {"path": "A", "conversions": 2, "value": 200, "nulls": 1},
...     {"path": "B", "conversions": 1, "value": 100},
...     {"path": "A > B", "conversions": 1, "value": 100},
... ])
>>> result = qudao.attribute(journeys)
>>> result.markov.conversion_probability
Decimal('0.800000000000')
>>> [(r["channel"], str(r["removal_effect"])) for r in result.markov.removal_effects.to_pylist()]
[('A', '0.750000000000'), ('B', '0.500000000000')]
>>> {r["channel"]: str(r["conversions"]) for r in result.to_pylist() if r["model"] == "markov"}
{'A': '2.400000', 'B': '1.600000'}
>>> result.skipped
[{'model': 'time_decay', 'reason': 'time decay needs touch times; these journeys have none (built from paths)'}]
"""

from __future__ import annotations

import datetime
import decimal
import html
import json
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from . import _native
from ._types import Dataset, Table
from .customers import _arg_error
from .evaluation import _Parsed, _Tabular
from .rebates import _dataset, _dumps

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

__all__ = [
    "AttributionResult",
    "AttributionSettings",
    "Journeys",
    "MarkovReport",
    "attribute",
    "journeys_from_dataset",
    "journeys_from_paths",
    "journeys_from_touchpoints",
]

Rows = Union[Iterable[Mapping[str, Any]], Any]
Currency = Union[str, "tuple[str, int]"]

MODELS = (
    "first_touch",
    "last_touch",
    "linear",
    "time_decay",
    "position_based",
    "markov",
    "shapley",
)


def _pyplot() -> Any:
    """``matplotlib.pyplot``, imported only when a plot is asked for."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(
            "qudao plots need matplotlib, an optional dependency: pip install 'qudao[plot]'"
        ) from e
    return plt


def _axes(ax: Optional["Axes"]) -> "Axes":
    if ax is not None:
        return ax
    _, new = _pyplot().subplots()
    return new


# --- settings ----------------------------------------------------------------------------------


class AttributionSettings(_Parsed):
    """Attribution settings (渠道归因设置), validated when made: errors are
    :class:`~qudao.RuleError` with the field path (``markov.order``, ``position.first``).

    Every field but ``schema_version`` is optional: ``lookback_days`` (30; 1 to 3650),
    ``expired_touches`` (``null_journey`` or ``drop``), ``conversion`` (``first_purchase`` or
    ``each_order``, for data sets), ``half_life_days`` (``"7"``), ``position``
    (``{"first": "0.4", "middle": "0.2", "last": "0.4"}``), ``markov`` (``{"order": 1,
    "repeats": "collapse"}``) and ``models`` (all seven).

    >>> AttributionSettings.from_dict({"schema_version": 1, "models": ["linear", "markov"]}).models
    ['linear', 'markov']
    >>> AttributionSettings.default().lookback_days
    30
    """

    __slots__ = ()
    _native_type = _native.AttributionSettings

    def __init__(self, native: Optional[_native.AttributionSettings] = None) -> None:
        super().__init__(native if native is not None else _native.AttributionSettings.defaults())

    @classmethod
    def default(cls) -> "AttributionSettings":
        """The defaults (lookback 30 days, every model)."""
        return cls(_native.AttributionSettings.defaults())

    @classmethod
    def defaults(cls) -> "AttributionSettings":
        """Same as :meth:`default`."""
        return cls.default()

    @property
    def models(self) -> List[str]:
        """The models that run, in order."""
        return self._native.models

    @property
    def lookback_days(self) -> int:
        """The lookback window in days."""
        return self._native.lookback_days

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AttributionSettings):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


def _settings(settings: Optional[AttributionSettings]) -> Optional[_native.AttributionSettings]:
    if settings is None:
        return None
    if isinstance(settings, Mapping):
        settings = AttributionSettings.from_dict(settings)
    if not isinstance(settings, AttributionSettings):
        raise TypeError(
            f"settings must be a qudao.AttributionSettings or a dict, not {type(settings).__name__}"
        )
    native: _native.AttributionSettings = settings._native
    return native


# --- inputs ------------------------------------------------------------------------------------


def _time(value: Any) -> Any:
    """A time cell for the JSON rows: datetimes (UTC when they carry a zone) to the second,
    dates as days; other values as they are."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _rows(value: Any, name: str, times: Sequence[str] = ()) -> Any:
    """An input for the native call: an Arrow-exporting table as it is, a pandas frame
    through pyarrow, a list of mappings as JSON text."""
    if hasattr(value, "__arrow_c_stream__") or hasattr(value, "__arrow_c_array__"):
        return value
    if type(value).__module__.startswith("pandas") and hasattr(value, "columns"):
        import pyarrow as pa  # pandas without the PyCapsule interface (pandas < 2.2)

        return pa.Table.from_pandas(value, preserve_index=False)
    if isinstance(value, (str, bytes, Mapping)) or value is None:
        raise TypeError(
            f"{name} must be a list of dicts or an Arrow table (polars, pyarrow, pandas), "
            f"not {type(value).__name__}"
        )
    rows = []
    for i, row in enumerate(value):
        if not isinstance(row, Mapping):
            raise TypeError(f"{name}[{i}] must be a dict, not {type(row).__name__}")
        row = dict(row)
        for t in times:
            if t in row:
                row[t] = _time(row[t])
        rows.append(row)
    return _dumps(rows)


def _currency(currency: Optional[Currency]) -> "tuple[Optional[str], Optional[int]]":
    if currency is None or isinstance(currency, str):
        return currency, None
    code, exponent = currency
    return code, exponent


class Journeys:
    """A canonical journey set: channels in name order, identical journeys merged, so two
    constructions of the same journeys compare equal (``==``) whatever the row order.

    Make one with :func:`journeys_from_paths`, :func:`journeys_from_touchpoints` or
    :func:`journeys_from_dataset`; :meth:`paths` gives it back as aggregated paths.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.Journeys) -> None:
        self._native = native

    def __len__(self) -> int:
        return len(self._native)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Journeys):
            return NotImplemented
        return self._native == other._native

    __hash__ = None  # type: ignore[assignment]

    @property
    def channels(self) -> List[str]:
        """The channels, in name order."""
        return self._native.channels

    @property
    def total_conversions(self) -> int:
        """Conversions in the journeys."""
        return self._native.total_conversions

    @property
    def total_value(self) -> int:
        """Conversion value, minor units."""
        return self._native.total_value

    @property
    def total_nulls(self) -> int:
        """Journeys without conversion, counted."""
        return self._native.total_nulls

    @property
    def has_times(self) -> bool:
        """Whether the touches carry times (needed by time decay)."""
        return self._native.has_times

    @property
    def currency(self) -> Optional[str]:
        """ISO 4217 code of the values, when known."""
        return self._native.currency

    @property
    def currency_exponent(self) -> Optional[int]:
        """Decimals of the currency, when known."""
        return self._native.currency_exponent

    @property
    def stats(self) -> Dict[str, int]:
        """How the journeys were built: ``touches_read``, ``conversions_read``,
        ``journeys_built``, ``null_journeys``, ``expired_touches``, ``dropped_touches``,
        ``unattributed_conversions``, ``unattributed_value``."""
        return dict(self._native.stats)

    @property
    def touch_cost(self) -> Dict[str, int]:
        """Touch cost per channel, minor units (journeys from touchpoints)."""
        return dict(self._native.touch_cost)

    def paths(self) -> Table:
        """The journeys as aggregated paths: ``path`` (``a > b``), ``conversions``,
        ``value`` (minor units), ``nulls``."""
        return Table(self._native.paths())

    def without_times(self) -> "Journeys":
        """The same journeys without touch times, identical ones merged: what the same
        journeys given as paths give."""
        return Journeys(self._native.without_times())

    def __repr__(self) -> str:
        return repr(self._native).replace("<qudao ", "<qudao.", 1)


def journeys_from_paths(
    paths: Rows,
    channels: Optional[Iterable[str]] = None,
    *,
    currency: Optional[Currency] = None,
) -> Journeys:
    """Journeys from aggregated paths.

    :param paths: a list of dicts or any table exporting the Arrow PyCapsule interface
        (polars, pyarrow, pandas) with ``path`` (channels separated by ``>``),
        ``conversions`` and optionally ``value`` (minor units, integers) and ``nulls``
        (default 0).
    :param channels: the known channels; a path naming another is an error.
    :param currency: ``"CNY"`` or ``(code, exponent)`` of the values (for the tables'
        metadata; default: unknown).
    :raises DataError: a bad row (``source`` ``paths``, ``line`` the 1-based row, ``column``
        and ``value``): an empty path or channel name, an unknown channel, a negative
        count or value, a value without conversions, a missing or non-integer cell.
    """
    if isinstance(channels, str):
        raise TypeError("channels must be a list of channel names, not a str")
    code, exponent = _currency(currency)
    return Journeys(
        _native.journeys_from_paths(
            _rows(paths, "paths"),
            None if channels is None else [str(c) for c in channels],
            currency=code,
            currency_exponent=exponent,
        )
    )


def journeys_from_touchpoints(
    touchpoints: Rows,
    conversions: Rows,
    settings: Optional[AttributionSettings] = None,
    *,
    currency: Optional[Currency] = None,
) -> Journeys:
    """Journeys from touchpoints and conversions, cut by the settings' lookback window and
    expired-touch rule (``docs/attribution.md``, "From touchpoints and conversions").

    :param touchpoints: ``customer``, ``time``, ``channel`` and optionally ``cost`` (minor
        units, default 0).
    :param conversions: ``customer``, ``time`` and optionally ``value`` (minor units,
        default 0).
    :param settings: default :meth:`AttributionSettings.default`.
    :param currency: ``"CNY"`` or ``(code, exponent)`` of the money (default: unknown).

    Each is a list of dicts or an Arrow-exporting table. Times are ``datetime`` (a zoned one
    is read in UTC; to the second), ``date`` (midnight), Arrow timestamps and dates, integer
    seconds since 1970-01-01, or text (``2025-03-01``, ``2025-03-01 10:30``,
    ``2025-03-01T10:30:00``).

    :raises DataError: a bad row, naming ``touchpoints`` or ``conversions``, the 1-based row
        and the column (empty customer or channel, negative cost or value, a bad time).
    """
    code, exponent = _currency(currency)
    return Journeys(
        _native.journeys_from_touchpoints(
            _rows(touchpoints, "touchpoints", ("time",)),
            _rows(conversions, "conversions", ("time",)),
            _settings(settings),
            currency=code,
            currency_exponent=exponent,
        )
    )


def journeys_from_dataset(
    dataset: Dataset, settings: Optional[AttributionSettings] = None
) -> Journeys:
    """Journeys of a data set: its touchpoints (``touchpoints.csv``), and its orders as
    conversions by the settings' ``conversion`` rule (first purchase by default; a
    conversion is at the end of its day). Every channel of the master data is listed."""
    return Journeys(_native.journeys_from_dataset(_dataset(dataset), _settings(settings)))


# --- results -----------------------------------------------------------------------------------


class MarkovReport:
    """The Markov chain behind a Markov attribution (``docs/attribution.md``, "Markov chain
    model"): states, transitions, the conversion probability and each channel's removal
    effect. Probabilities and effects are exact decimals (12 places)."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.MarkovReport) -> None:
        self._native = native

    @property
    def order(self) -> int:
        """Order of the chain (1 to 4)."""
        return self._native.order

    @property
    def repeats(self) -> str:
        """How consecutive repeats were read: ``collapse`` or ``keep``."""
        return self._native.repeats

    @property
    def states(self) -> List[str]:
        """The transient states (``a``, or ``a > b`` at higher orders), in name order."""
        return self._native.states

    @property
    def conversion_probability(self) -> decimal.Decimal:
        """Probability that a journey converts."""
        return decimal.Decimal(self._native.conversion_probability)

    @property
    def expected_value(self) -> decimal.Decimal:
        """Expected conversion value per journey, minor units."""
        return decimal.Decimal(self._native.expected_value)

    @property
    def sweeps(self) -> int:
        """Gauss–Seidel sweeps of the slowest solve."""
        return self._native.sweeps

    @property
    def removal_effects(self) -> Table:
        """Per channel: ``conversion_probability`` of the chain without it,
        ``removal_effect`` (1 − that / the full chain's), ``expected_value`` without it
        (minor units) and ``value_removal_effect``."""
        return Table(self._native.removal_effects())

    @property
    def transitions(self) -> Table:
        """Every transition seen: ``from``, ``to``, ``count``, ``probability``; ``(start)``,
        ``(conversion)`` and ``(null)`` name the start and the absorbing states."""
        return Table(self._native.transitions())

    @property
    def transition_matrix(self) -> Table:
        """The transition matrix with the states' names: column ``from`` (``(start)``, then
        the transient states), then one column per state reached (the transient states,
        ``(conversion)``, ``(null)``) holding the probability; each row sums to 1."""
        return Table(self._native.transition_matrix())

    def to_json(self) -> str:
        """The whole report as JSON."""
        return self._native.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """The whole report as plain Python data."""
        doc: Dict[str, Any] = json.loads(self.to_json())
        return doc

    def _repr_html_(self) -> str:
        return (
            f"<h4>{html.escape(repr(self))}</h4>"
            + "<h5>Removal effects</h5>"
            + self.removal_effects._repr_html_()
            + "<h5>Transition matrix</h5>"
            + self.transition_matrix._repr_html_()
        )

    def __repr__(self) -> str:
        return repr(self._native).replace("<qudao ", "<qudao.", 1)


class AttributionResult(_Tabular):
    """What :func:`attribute` gives.

    :attr:`table` (also what :meth:`to_polars`, :meth:`to_pandas`, :meth:`to_arrow` and the
    Arrow stream give) has one row per (model, channel), models in run order, channels in
    name order: ``model``, ``channel``, ``conversions`` (exact decimal, 6 places),
    ``value`` (``Int64`` minor units; the currency and its exponent in the schema metadata
    when known), ``touches`` (in converting journeys), ``basis`` and ``value_basis`` (what
    the conversions and the value were split by: the share of the credit, the removal
    effect, or the Shapley value). Per model the conversions add up exactly to
    :attr:`total_conversions` and the values to :attr:`total_value`.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.Attribution) -> None:
        self._native = native

    def _main(self) -> Table:
        return self.table

    @property
    def table(self) -> Table:
        """One row per (model, channel)."""
        return Table(self._native.table)

    @property
    def channels(self) -> List[str]:
        """The channels, in name order."""
        return self._native.channels

    @property
    def models(self) -> List[str]:
        """The models that ran, in order."""
        return self._native.models

    @property
    def total_conversions(self) -> int:
        """Conversions in the journeys."""
        return self._native.total_conversions

    @property
    def total_value(self) -> int:
        """Conversion value in the journeys, minor units."""
        return self._native.total_value

    @property
    def total_nulls(self) -> int:
        """Journeys without conversion."""
        return self._native.total_nulls

    @property
    def currency(self) -> Optional[str]:
        """ISO 4217 code of the values, when known."""
        return self._native.currency

    @property
    def currency_exponent(self) -> Optional[int]:
        """Decimals of the currency, when known."""
        return self._native.currency_exponent

    @property
    def journey_stats(self) -> Dict[str, int]:
        """How the journeys were built (as :attr:`Journeys.stats`)."""
        return dict(self._native.journey_stats)

    @property
    def markov(self) -> Optional[MarkovReport]:
        """The Markov chain, when the Markov model ran."""
        native = self._native.markov
        return None if native is None else MarkovReport(native)

    @property
    def shapley(self) -> Optional[Table]:
        """The Shapley values (``channel``, ``conversions``, ``value`` in minor units; exact
        decimals), when the Shapley model ran."""
        native = self._native.shapley_values()
        return None if native is None else Table(native)

    @property
    def skipped(self) -> List[Dict[str, str]]:
        """Models asked for that could not run: ``model`` and ``reason``."""
        return [{"model": m, "reason": r} for m, r in self._native.skipped()]

    def explanations(self) -> Dict[str, str]:
        """Per model that ran, the parameters it used, in words."""
        return dict(self._native.explanations())

    def explain(self) -> str:
        """Every model in words, the Markov chain's conversion probability and removal
        effects, and the models skipped with why."""
        lines = [
            f"{self.total_conversions} conversions, value {self.total_value}"
            f"{' ' + self.currency if self.currency else ''} (minor units), "
            f"{self.total_nulls} null journeys, {len(self.channels)} channels"
        ]
        lines += [f"{model}: {text}" for model, text in self.explanations().items()]
        markov = self.markov
        if markov is not None:
            effects = ", ".join(
                f"{r['channel']} {r['removal_effect']}"
                for r in markov.removal_effects.to_pylist()
            )
            lines.append(
                f"markov chain: conversion probability {markov.conversion_probability}; "
                f"removal effects {effects}"
            )
        lines += [f"{s['model']}: skipped ({s['reason']})" for s in self.skipped]
        return "\n".join(lines)

    def to_json(self) -> str:
        """The whole result as JSON (decimals as strings, money in minor units)."""
        return self._native.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """The whole result as plain Python data."""
        doc: Dict[str, Any] = json.loads(self.to_json())
        return doc

    def plot(
        self,
        value: str = "conversions",
        *,
        models: Optional[Iterable[str]] = None,
        ax: Optional["Axes"] = None,
    ) -> "Axes":
        """Attribution by model side by side: per channel one bar per model (grouped bars).
        Needs matplotlib (``pip install 'qudao[plot]'``).

        :param value: ``"conversions"`` or ``"value"`` (minor units).
        :param models: the models to show (default: every model that ran).
        :raises ArgumentError: an unknown value or a model that did not run.
        """
        if value not in ("conversions", "value"):
            raise _arg_error("value", f"{value!r} is not one of conversions, value")
        shown = list(self.models if models is None else models)
        for m in shown:
            if m not in self.models:
                raise _arg_error("models", f"{m!r} did not run (ran: {', '.join(self.models)})")
        cells = {(r["model"], r["channel"]): float(r[value]) for r in self.table.to_pylist()}
        channels = self.channels
        axes = _axes(ax)
        width = 0.8 / max(len(shown), 1)
        for k, model in enumerate(shown):
            xs = [i - 0.4 + width * (k + 0.5) for i in range(len(channels))]
            axes.bar(xs, [cells.get((model, c), 0.0) for c in channels], width, label=model)
        axes.set_xticks(range(len(channels)))
        axes.set_xticklabels(channels, rotation=45, ha="right")
        unit = "conversions" if value == "conversions" else "value (minor units)"
        if value == "value" and self.currency:
            unit = f"value ({self.currency}, minor units)"
        axes.set_ylabel(unit)
        axes.set_title("Attribution by model")
        axes.legend(fontsize="small")
        return axes


def attribute(journeys: Journeys, settings: Optional[AttributionSettings] = None) -> AttributionResult:
    """Run the models the settings name (default: all seven with their defaults) over a
    journey set, in Rust with the GIL released. A model that cannot run on these journeys
    (time decay without touch times, Shapley over more than 15 channels) is listed in
    :attr:`AttributionResult.skipped`.

    :raises RuleError: bad settings given as a dict.
    """
    if not isinstance(journeys, Journeys):
        raise TypeError(f"journeys must be qudao.Journeys, not {type(journeys).__name__}")
    return AttributionResult(_native.attribute(journeys._native, _settings(settings)))
