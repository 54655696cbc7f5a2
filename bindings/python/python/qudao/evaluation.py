"""Channel and partner evaluation (渠道评估): KPIs, weighted scorecards, partner onboarding,
the BCG matrix, early warnings and grade changes.

:func:`kpis` computes every KPI per channel, partner, territory and product per period, as a
long :class:`KpiTable` (a value, or the reason it is missing — never a made-up 0). The rule
documents read it: a :class:`Scorecard` scores and ranks subjects with an explanation per
indicator, :class:`BcgOptions` classify into stars, cash cows, question marks and dogs,
:class:`WarningRules` raise alerts with their evidence, :class:`GradeRules` suggest promotions
and demotions; an :class:`OnboardingPolicy` evaluates partners on their onboarding attributes.
Documents are validated when made: errors are :class:`~qudao.RuleError` with the field path.
Formulas and every field: ``docs/evaluation.md``, ``docs/evaluation-scorecards.md``,
``docs/evaluation-bcg-alerts.md``. Plots need the optional ``matplotlib``.

>>> import qudao
>>> data = qudao.load_csv("testdata/sample")
>>> monthly = qudao.kpis(data, from_="2024-01-01", to="2026-01-01", grain="month")
>>> monthly.table.column_names[:6]
['subject_kind', 'subject', 'period', 'period_start', 'period_end', 'kpi']
>>> alerts = qudao.WarningRules.sample_company().evaluate(monthly)
>>> "stock-cover-high" in {a["rule"] for a in alerts.alerts.to_pylist()}
True
>>> quarterly = qudao.kpis(data, "2025-01-01", "2026-01-01", grain="quarter", kinds=["partner"])
>>> scores = qudao.Scorecard.sample_company().evaluate(quarterly)
>>> best = scores.scores.to_pylist()[0]
>>> best["rank"], 0 <= best["score"] <= 100
(1, True)
"""

from __future__ import annotations

import datetime
import decimal
import html
import json
import os
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Type,
    TypeVar,
    Union,
)

from . import _native
from ._types import Dataset, Table
from .customers import _arg_error, _axes
from .rebates import _dataset, _date, _dumps

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas
    import polars
    import pyarrow
    from matplotlib.axes import Axes

__all__ = [
    "AlertReport",
    "BcgOptions",
    "BcgReport",
    "GradeReport",
    "GradeRules",
    "KpiTable",
    "OnboardingPolicy",
    "OnboardingResults",
    "Scorecard",
    "ScorecardRun",
    "WarningRules",
    "kpis",
]

DateLike = Union[datetime.date, str]
PathLike = Union[str, "os.PathLike[str]"]
Records = Iterable[Mapping[str, Any]]
Number = Union[int, str, decimal.Decimal]

_KINDS = ("channel", "partner", "territory", "product")


def _records(value: Optional[Records], name: str) -> Optional[str]:
    """A list of mappings as JSON text for the native call (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, (str, bytes, Mapping)):
        raise TypeError(f"{name} must be a list of dicts, not {type(value).__name__}")
    rows = []
    for i, row in enumerate(value):
        if not isinstance(row, Mapping):
            raise TypeError(f"{name}[{i}] must be a dict, not {type(row).__name__}")
        rows.append(dict(row))
    return _dumps(rows)


def _periods(value: Optional[Iterable[str]], name: str) -> Optional[List[str]]:
    if value is None:
        return None
    if isinstance(value, str):
        raise TypeError(f"{name} must be a list of periods such as ['2025-Q1'], not a str")
    return [str(p) for p in value]


def _kpi_table(value: "KpiTable", name: str = "kpis") -> _native.KpiTable:
    if not isinstance(value, KpiTable):
        raise TypeError(f"{name} must be a qudao.KpiTable (from qudao.kpis), not {type(value).__name__}")
    return value._native


class _Tabular:
    """A result with a main :class:`~qudao.Table`, and its conversions."""

    __slots__ = ()

    def _main(self) -> Table:  # pragma: no cover - overridden
        raise NotImplementedError

    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object:
        """Export the main table as an Arrow C stream (the Arrow PyCapsule interface)."""
        return self._main().__arrow_c_stream__(requested_schema)

    def __len__(self) -> int:
        return len(self._main())

    def to_pylist(self) -> List[Dict[str, Any]]:
        """The main table's rows as dicts."""
        return self._main().to_pylist()

    def to_arrow(self) -> "pyarrow.Table":
        """The main table as a :class:`pyarrow.Table` (needs the ``pyarrow`` extra)."""
        return self._main().to_arrow()

    def to_polars(self) -> "polars.DataFrame":
        """The main table as a :class:`polars.DataFrame`."""
        return self._main().to_polars()

    def to_pandas(self) -> "pandas.DataFrame":
        """The main table as a :class:`pandas.DataFrame` (needs the ``pandas`` extra)."""
        return self._main().to_pandas()

    def _repr_html_(self) -> str:
        return f"<h4>{html.escape(repr(self))}</h4>" + self._main()._repr_html_()

    def __repr__(self) -> str:
        native = repr(getattr(self, "_native"))
        return native.replace("<qudao ", "<qudao.", 1)


# --- KPIs --------------------------------------------------------------------------------------


class KpiTable(_Tabular):
    """KPI values per (subject, period, KPI), from :func:`kpis`.

    :attr:`table` (also what :meth:`to_polars`, :meth:`to_pandas`, :meth:`to_arrow` and the
    Arrow stream give) has one row per (subject, period, KPI): ``subject_kind``, ``subject``,
    ``period`` (``2025-03``, ``2025-Q1``, ``2025``, ``2025-07-01..2025-07-14``),
    ``period_start`` and ``period_end`` (dates; the end is the first day after), ``kpi``,
    ``value`` (``Float64``, the nearest float), ``value_text`` (the exact decimal), ``unit``
    (``money`` in major units of :attr:`currency`, ``count``, ``ratio``, ``days``,
    ``score``), ``direction`` (``higher_is_better``/``lower_is_better``), and for a missing
    value ``missing_kind`` (``zero_denominator``, ``no_data``, ``not_applicable``, ``other``)
    and ``missing_reason`` (``orders is zero``).
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.KpiTable) -> None:
        self._native = native

    def _main(self) -> Table:
        return self.table

    @property
    def table(self) -> Table:
        """One row per (subject, period, KPI)."""
        return Table(self._native.table)

    @property
    def periods(self) -> List[str]:
        """The periods, sorted."""
        return self._native.periods

    @property
    def currency(self) -> str:
        """ISO 4217 code of the money KPIs (major units)."""
        return self._native.currency

    def subjects(self, kind: str) -> List[str]:
        """The ids of the subjects of a kind (``channel``, ``partner``, ``territory``,
        ``product``), sorted."""
        return self._native.subjects(kind)

    def _cell(
        self, subject: str, period: str, kpi: str, kind: Optional[str]
    ) -> Optional[Any]:
        return self._native.get(str(subject), str(period), str(kpi), kind)

    def get(
        self, subject: str, period: str, kpi: str, *, kind: Optional[str] = None
    ) -> Optional[decimal.Decimal]:
        """One value, exact; ``None`` when it is missing or was not computed (see
        :meth:`missing_reason`). ``kind`` is needed only for an id used by several kinds.

        :raises ArgumentError: an unknown KPI or kind, a bad period, an ambiguous id.
        """
        cell = self._cell(subject, period, kpi, kind)
        if cell is None or cell[0] is None:
            return None
        return decimal.Decimal(cell[0])

    def missing_reason(
        self, subject: str, period: str, kpi: str, *, kind: Optional[str] = None
    ) -> Optional[str]:
        """Why a value is missing (``orders is zero``, ``no inventory data``, ``does not
        apply``), ``"not computed"`` when the table has no entry for it, ``None`` when there
        is a value."""
        cell = self._cell(subject, period, kpi, kind)
        if cell is None:
            return "not computed"
        reason: Optional[str] = cell[2]
        return reason

    def to_json(self) -> str:
        """The whole table as JSON: ``periods``, and per subject ``kind``, ``id`` and
        ``values`` (period → KPI → exact value or missing reason)."""
        return self._native.to_json()

    def plot_trend(
        self,
        kpi: str,
        subjects: Optional[Sequence[str]] = None,
        *,
        kind: Optional[str] = None,
        ax: Optional["Axes"] = None,
    ) -> "Axes":
        """KPI trend lines: one line per subject over the periods, gaps where the value is
        missing (needs matplotlib).

        :param subjects: the subject ids; default: every subject of ``kind``.
        :param kind: the kind of the subjects; default: the first of channel, partner,
            territory, product that the table has.
        """
        if subjects is None:
            if kind is None:
                kind = next((k for k in _KINDS if self.subjects(k)), "channel")
            subjects = self.subjects(kind)
        elif isinstance(subjects, str):
            subjects = [subjects]
        periods = self.periods
        axes = _axes(ax)
        xs = list(range(len(periods)))
        for s in subjects:
            ys = [self.get(s, p, kpi, kind=kind) for p in periods]
            axes.plot(xs, [float("nan") if v is None else float(v) for v in ys], marker="o", label=s)
        axes.set_xticks(xs)
        axes.set_xticklabels(periods, rotation=45, ha="right")
        axes.set_ylabel(kpi.replace("_", " "))
        axes.set_title(f"{kpi} by period")
        if 0 < len(subjects) <= 12:
            axes.legend(fontsize="small")
        return axes


def kpis(
    dataset: Dataset,
    from_: Optional[DateLike] = None,
    to: Optional[DateLike] = None,
    grain: Union[str, Sequence[str]] = "month",
    *,
    kinds: Optional[Sequence[str]] = None,
    roll_up: bool = False,
    market_size: Optional[Records] = None,
    as_of: Optional[DateLike] = None,
    backlog_days: Optional[Number] = None,
    complaint_sla_hours: Optional[int] = None,
    new_product_days: Optional[int] = None,
    threads: int = 0,
) -> KpiTable:
    """Every KPI for every subject of the requested kinds and every period, in one pass over
    the transactions plus the operational tables (in Rust, with the GIL released).

    :param from_: first day (inclusive) of the range; needed by the calendar grains.
    :param to: first day after the range (exclusive): ``"2026-01-01"`` ends with 2025.
    :param grain: ``"month"``, ``"quarter"``, ``"year"`` (the calendar periods overlapping
        ``[from_, to)``), or a list of periods taken as they are (``["2025-Q1",
        "2025-07-01..2025-07-14"]``; ``from_``/``to`` then default to their span).
    :param kinds: some of ``channel``, ``partner``, ``territory``, ``product`` (default all).
    :param roll_up: roll partners up over their sub-partners (channels and territories are
        always rolled up over their trees).
    :param market_size: for ``market_share``: dicts ``{"subject": {"kind": "partner", "id":
        "DS001"}, "period": "2025-Q1", "value": 1000000000}`` (value in minor units).
    :param as_of: the day the data is as of (default: the day before ``to``).
    :param backlog_days: a stock count is a backlog above this many days of cover (60).
    :param complaint_sla_hours: the complaint SLA (24).
    :param new_product_days: how long a product counts as new (180).
    :param threads: worker threads (0 = all cores); the result does not depend on it.
    :raises ArgumentError: a bad grain, kind, period, date or market size (``name`` says
        which, e.g. ``market_size[2]``).
    """
    if isinstance(grain, str):
        grain_name, periods = grain, None
    else:
        grain_name, periods = "custom", _periods(grain, "grain")
    if kinds is not None:
        if isinstance(kinds, str):
            kinds = [kinds]
        kinds = [str(k) for k in kinds]
    return KpiTable(
        _native.kpis(
            _dataset(dataset),
            grain_name,
            from_=None if from_ is None else _date(from_, "from_"),
            to=None if to is None else _date(to, "to"),
            periods=periods,
            kinds=None if kinds is None else list(kinds),
            roll_up=bool(roll_up),
            market_size=_records(market_size, "market_size"),
            as_of=None if as_of is None else _date(as_of, "as_of"),
            backlog_days=None if backlog_days is None else str(backlog_days),
            complaint_sla_hours=complaint_sla_hours,
            new_product_days=new_product_days,
            threads=threads,
        )
    )


# --- documents ---------------------------------------------------------------------------------

_D = TypeVar("_D", bound="_Parsed")


class _Parsed:
    """A rule document, validated when made: errors are :class:`~qudao.RuleError` with the
    field path (``groups[1].indicators``). Parsing, the schema and JSON out; subclasses name
    their native type."""

    __slots__ = ("_native",)
    _native_type: ClassVar[Any]

    def __init__(self, native: Any) -> None:
        self._native = native

    @classmethod
    def from_json(cls: Type[_D], text: str) -> _D:
        """Parse a JSON document."""
        return cls(cls._native_type.parse(text, "json"))

    @classmethod
    def from_toml(cls: Type[_D], text: str) -> _D:
        """Parse a TOML document."""
        return cls(cls._native_type.parse(text, "toml"))

    @classmethod
    def from_yaml(cls: Type[_D], text: str) -> _D:
        """Parse a YAML document."""
        return cls(cls._native_type.parse(text, "yaml"))

    @classmethod
    def from_dict(cls: Type[_D], document: Mapping[str, Any]) -> _D:
        """A document from plain Python data (as :meth:`to_dict` gives); numbers may be
        :class:`decimal.Decimal`."""
        if not isinstance(document, Mapping):
            raise TypeError(f"document must be a mapping, not {type(document).__name__}")
        return cls.from_json(_dumps(document))

    @classmethod
    def from_path(cls: Type[_D], path: PathLike) -> _D:
        """Read a ``.json``, ``.toml`` or ``.yaml`` file."""
        return cls(cls._native_type.from_path(os.fspath(path)))

    @classmethod
    def from_file(cls: Type[_D], path: PathLike) -> _D:
        """Same as :meth:`from_path`."""
        return cls.from_path(path)

    @classmethod
    def json_schema(cls) -> Dict[str, Any]:
        """The JSON Schema of the document."""
        schema: Dict[str, Any] = json.loads(cls._native_type.json_schema())
        return schema

    @classmethod
    def schema(cls) -> Dict[str, Any]:
        """Same as :meth:`json_schema`."""
        return cls.json_schema()

    def to_json(self) -> str:
        """The document as JSON."""
        return self._native.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """The document as plain Python data."""
        doc: Dict[str, Any] = json.loads(self.to_json())
        return doc

    def __repr__(self) -> str:
        return repr(self._native).replace("<qudao ", "<qudao.", 1)


class _Document(_Parsed):
    """A rule document with an id and a sample company's version."""

    __slots__ = ()

    @classmethod
    def sample_company(cls: Type[_D]) -> _D:
        """The sample company's document (what the demo uses)."""
        return cls(cls._native_type.sample_company())

    @property
    def id(self) -> str:
        """Document id."""
        return self._native.id


class Scorecard(_Document):
    """A weighted scorecard (绩效评估指标体系): indicator groups with weights; per indicator a
    KPI, direction, normalisation and weight; an explicit missing-data policy.

    >>> card = Scorecard.sample_company()
    >>> card.subject, card.kpis[:2]
    ('partner', ['revenue', 'target_attainment'])
    """

    __slots__ = ()
    _native_type = _native.Scorecard

    @property
    def subject(self) -> str:
        """The kind of subject scored."""
        return self._native.subject

    @property
    def kpis(self) -> List[str]:
        """The KPIs the card reads, in document order."""
        return self._native.kpis

    def evaluate(self, kpis: KpiTable) -> "ScorecardRun":
        """A 0–100 score and rank per subject of the card's kind per period of ``kpis``.

        :raises RuleError: a value is missing under the ``error`` policy (the message names
            subject, period and KPI).
        """
        return ScorecardRun(self._native.evaluate(_kpi_table(kpis)))


class ScorecardRun(_Tabular):
    """Scores from :meth:`Scorecard.evaluate`.

    :attr:`scores` (the main table): ``subject``, ``period``, ``score`` (0–100), ``rank``
    (1 = best; equal scores by id), ``strengths`` and ``weaknesses`` (the KPIs that helped
    or hurt most against the peers, comma-separated). :attr:`indicators`: per (subject,
    period, indicator) ``group``, ``kpi``, ``direction``, ``raw`` and ``raw_text`` (the KPI
    value), ``used_text`` (raw or the peer-median stand-in), ``normalised`` (0–100),
    ``weight`` (in the document), ``effective_weight`` (after re-weighting),
    ``contribution`` (points of the score), ``action`` (what the missing-data policy did),
    ``missing_reason`` and ``note``.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.ScorecardRun) -> None:
        self._native = native

    def _main(self) -> Table:
        return self.scores

    @property
    def scorecard(self) -> str:
        """The scorecard id."""
        return self._native.scorecard

    @property
    def subject(self) -> str:
        """The kind of subject scored."""
        return self._native.subject

    @property
    def periods(self) -> List[str]:
        """The periods scored, ascending."""
        return self._native.periods

    @property
    def scores(self) -> Table:
        """One row per (subject, period) scored, by period then rank."""
        return Table(self._native.scores)

    @property
    def indicators(self) -> Table:
        """One row per (subject, period, indicator)."""
        return Table(self._native.indicators)

    def explain(self, subject: str, period: Optional[str] = None) -> Dict[str, Any]:
        """The score of ``subject`` explained: ``id``, ``period``, ``score``, ``rank``,
        ``indicators`` (each with ``kpi``, ``group``, ``raw``, ``normalised``, ``weight``,
        ``effective_weight``, ``contribution``, ``action``), ``strengths`` and
        ``weaknesses`` (``kpi``, ``contribution``, ``peer_average``, ``delta``). Decimals
        are exact strings.

        :param period: default: the latest period the subject was scored in.
        :raises KeyError: the subject was not scored (in that period).
        """
        text = self._native.explain_json(str(subject), None if period is None else str(period))
        if text is None:
            where = "" if period is None else f" in {period}"
            raise KeyError(f"{subject!r} was not scored{where}")
        doc: Dict[str, Any] = json.loads(text)
        return doc

    def explanations(self) -> List[Dict[str, Any]]:
        """Every score explained (as :meth:`explain`), by period then rank."""
        out: List[Dict[str, Any]] = []
        for p in json.loads(self._native.periods_json()):
            for s in p["scores"]:
                out.append({"period": p["period"], **s})
        return out

    def unscored(self) -> List[Dict[str, Any]]:
        """Subjects with no indicator left in a period: ``period``, ``id`` and every
        indicator with its missing reason."""
        out: List[Dict[str, Any]] = []
        for p in json.loads(self._native.periods_json()):
            for s in p["unscored"]:
                out.append({"period": p["period"], **s})
        return out

    def to_json(self) -> str:
        """The whole run as JSON."""
        return self._native.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """The whole run as plain Python data."""
        doc: Dict[str, Any] = json.loads(self.to_json())
        return doc

    def plot_breakdown(
        self, subject: str, period: Optional[str] = None, *, ax: Optional["Axes"] = None
    ) -> "Axes":
        """Score breakdown bars for one subject: each indicator's contribution (points of
        the 0–100 score), coloured by group (needs matplotlib)."""
        e = self.explain(subject, period)
        axes = _axes(ax)
        rows = e["indicators"][::-1]
        ys = list(range(len(rows)))
        groups = sorted({r["group"] for r in rows})
        for i, g in enumerate(groups):
            mine = [j for j, r in enumerate(rows) if r["group"] == g]
            axes.barh(
                [ys[j] for j in mine],
                [float(rows[j]["contribution"]) for j in mine],
                color=f"C{i}",
                label=g,
            )
        axes.set_yticks(ys)
        axes.set_yticklabels([r["kpi"] for r in rows])
        axes.legend(fontsize="small")
        axes.set_xlabel("points of the score")
        axes.set_title(f"{e['id']} {e['period']}: {float(e['score']):.1f} (rank {e['rank']})")
        return axes


class _BcgSettings:
    """The settings a BCG classification ran with, read from ``self._native`` (shared by the
    options and their report)."""

    __slots__ = ()
    _native: Any

    @property
    def kind(self) -> str:
        """The kind of subject classified."""
        return self._native.kind

    @property
    def growth_kpi(self) -> str:
        """The growth KPI (``growth_pop`` or ``growth_yoy``)."""
        return self._native.growth_kpi

    @property
    def growth_threshold(self) -> decimal.Decimal:
        """Growth is high at or above this."""
        return decimal.Decimal(self._native.growth_threshold)

    @property
    def size_kpi(self) -> str:
        """The size KPI."""
        return self._native.size_kpi

    @property
    def share(self) -> str:
        """What the size is compared with: ``largest_peer`` or ``peer_average``."""
        return self._native.share

    @property
    def share_threshold(self) -> decimal.Decimal:
        """Relative share is high at or above this."""
        return decimal.Decimal(self._native.share_threshold)


class BcgOptions(_BcgSettings, _Document):
    """BCG matrix options (波士顿矩阵): the kind of subject, the growth KPI and threshold, the
    size KPI, the relative-share definition and threshold, the action per quadrant.

    >>> BcgOptions.sample_company().growth_kpi
    'growth_yoy'
    """

    __slots__ = ()
    _native_type = _native.BcgOptions

    def analyze(self, kpis: KpiTable, periods: Optional[Iterable[str]] = None) -> "BcgReport":
        """Classify each of ``periods`` (default: every period of ``kpis``) and report the
        quadrant changes between consecutive ones."""
        return BcgReport(self._native.analyze(_kpi_table(kpis), _periods(periods, "periods")))


_QUADRANTS = ("star", "cash_cow", "question_mark", "dog")


class BcgReport(_BcgSettings, _Tabular):
    """The BCG matrices of :meth:`BcgOptions.analyze`.

    :attr:`table` (the main table): ``period``, ``subject``, ``quadrant`` (``star``,
    ``cash_cow``, ``question_mark``, ``dog``), ``growth`` (and exact ``growth_text``),
    ``high_growth``, ``size``, ``reference_peer``, ``reference_value``, ``relative_share``
    (and ``relative_share_text``), ``high_share``, ``action_en``, ``action_zh``.
    :attr:`unclassified`: ``period``, ``subject``, ``cause``, ``reason``.
    :attr:`movements`: ``subject``, ``from_period``, ``from``, ``to_period``, ``to``.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.BcgReport) -> None:
        self._native = native

    def _main(self) -> Table:
        return self.table

    @property
    def periods(self) -> List[str]:
        """The periods classified."""
        return self._native.periods

    @property
    def table(self) -> Table:
        """One row per classified (period, subject)."""
        return Table(self._native.table)

    @property
    def unclassified(self) -> Table:
        """Subjects that could not be classified, with the reason."""
        return Table(self._native.unclassified)

    @property
    def movements(self) -> Table:
        """Quadrant changes between consecutive periods."""
        return Table(self._native.movements)

    def to_json(self) -> str:
        """The whole report as JSON (exact decimals)."""
        return self._native.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """The whole report as plain Python data."""
        doc: Dict[str, Any] = json.loads(self.to_json())
        return doc

    def plot(self, period: Optional[str] = None, *, ax: Optional["Axes"] = None) -> "Axes":
        """The BCG scatter of one period (default: the latest): relative share across,
        growth up, one labelled point per subject coloured by quadrant, and the threshold
        lines that cut the quadrants (needs matplotlib)."""
        periods = self.periods
        if period is None:
            if not periods:
                raise _arg_error("period", "the report has no period")
            period = periods[-1]
        elif str(period) not in periods:
            raise _arg_error("period", f"{period!r} is not one of {periods}")
        rows = [r for r in self.table.to_pylist() if r["period"] == str(period)]
        axes = _axes(ax)
        for i, q in enumerate(_QUADRANTS):
            pts = [r for r in rows if r["quadrant"] == q]
            if pts:
                axes.scatter(
                    [r["relative_share"] for r in pts],
                    [r["growth"] for r in pts],
                    color=f"C{i}",
                    label=q.replace("_", " "),
                )
        for r in rows:
            axes.annotate(
                r["subject"],
                (r["relative_share"], r["growth"]),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize="small",
            )
        axes.axvline(float(self.share_threshold), color="grey", linestyle="--", linewidth=1)
        axes.axhline(float(self.growth_threshold), color="grey", linestyle="--", linewidth=1)
        axes.set_xlabel(f"relative share ({self.size_kpi}, {self.share.replace('_', ' ')})")
        axes.set_ylabel(self.growth_kpi.replace("_", " "))
        axes.set_title(f"BCG matrix of {self.kind}s, {period}")
        if rows:
            axes.legend(fontsize="small")
        return axes


class WarningRules(_Document):
    """Early-warning rules (预警规则): thresholds, trends and credit exposure, each with a
    severity and a suggested action.

    >>> "stock-cover-high" in WarningRules.sample_company().rules
    True
    """

    __slots__ = ()
    _native_type = _native.WarningRules

    @property
    def rules(self) -> List[str]:
        """Rule ids, in document order."""
        return self._native.rules

    def evaluate(
        self,
        kpis: KpiTable,
        receivables: Optional[Records] = None,
        credit_limits: Optional[Records] = None,
        *,
        periods: Optional[Iterable[str]] = None,
    ) -> "AlertReport":
        """Check every rule against ``kpis`` (every period, or ``periods``).

        :param receivables: for credit-exposure rules: dicts with ``partner``, ``date`` and
            ``amount`` (minor units of the data's currency); without them those rules do not
            run.
        :param credit_limits: dicts with ``partner`` and ``limit`` (minor units).
        :raises ArgumentError: a bad receivable or limit (``name`` e.g. ``receivables[2]``).
        """
        return AlertReport(
            self._native.evaluate(
                _kpi_table(kpis),
                _records(receivables, "receivables"),
                _records(credit_limits, "credit_limits"),
                _periods(periods, "periods"),
            )
        )


class AlertReport(_Tabular):
    """Alerts from :meth:`WarningRules.evaluate`.

    :attr:`alerts` (the main table), critical first, then by rule, subject and period:
    ``rule``, ``severity``, ``subject_kind``, ``subject``, ``period``, ``evidence_kind``
    (``threshold``, ``trend``, ``credit_exposure``), ``message`` (the evidence in one
    line), ``rule_name_en``/``_zh``, ``action_en``/``_zh`` (the suggested action).
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.AlertReport) -> None:
        self._native = native

    def _main(self) -> Table:
        return self.alerts

    @property
    def rules_id(self) -> str:
        """The rule set id."""
        return self._native.rules_id

    @property
    def alerts(self) -> Table:
        """One row per alert."""
        return Table(self._native.alerts)

    def evidence(self) -> List[Dict[str, Any]]:
        """Every alert with its ``evidence`` (the values that triggered it, with the
        thresholds; exact decimal strings), in :attr:`alerts` order."""
        rows: List[Dict[str, Any]] = json.loads(self._native.alerts_json())
        return rows

    def runs(self) -> List[Dict[str, Any]]:
        """What each rule did: ``rule``, ``not_run`` (why it did not run), ``checked``,
        ``alerts`` and ``skipped`` (counts by reason)."""
        rows: List[Dict[str, Any]] = json.loads(self._native.runs_json())
        return rows

    def to_json(self) -> str:
        """The whole report as JSON."""
        return self._native.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """The whole report as plain Python data."""
        doc: Dict[str, Any] = json.loads(self.to_json())
        return doc


class OnboardingPolicy(_Document):
    """A partner onboarding policy (合作伙伴准入评估): hard gates and weighted criteria.

    >>> OnboardingPolicy.sample_company().gates
    ['licence', 'years', 'capital']
    """

    __slots__ = ()
    _native_type = _native.OnboardingPolicy

    @property
    def gates(self) -> List[str]:
        """Gate ids, in policy order."""
        return self._native.gates

    @property
    def criteria(self) -> List[str]:
        """Criterion ids, in policy order."""
        return self._native.criteria

    @property
    def pass_score(self) -> decimal.Decimal:
        """The least score that passes."""
        return decimal.Decimal(self._native.pass_score)

    def evaluate(self, dataset: Dataset) -> "OnboardingResults":
        """Evaluate every partner of the data set on its recorded onboarding attributes."""
        return OnboardingResults(self._native.evaluate_partners(_dataset(dataset)))

    def evaluate_candidate(self, candidate: Mapping[str, Any]) -> Dict[str, Any]:
        """Evaluate a candidate not in the master data: a dict of onboarding attributes
        (``licence_held``, ``years_in_industry``, ``registered_capital``, ``team_size``,
        ``regional_market_share``, ``customer_resources``, ``brand_alignment``). The result
        as :meth:`OnboardingResults.results` gives it."""
        if not isinstance(candidate, Mapping):
            raise TypeError(f"candidate must be a dict, not {type(candidate).__name__}")
        doc: Dict[str, Any] = json.loads(self._native.evaluate_candidate(_dumps(dict(candidate))))
        return doc


class OnboardingResults(_Tabular):
    """Onboarding evaluations from :meth:`OnboardingPolicy.evaluate`.

    :attr:`table`: ``partner``, ``passed``, ``score`` (0–100), ``pass_score``,
    ``failed_gates`` (gate ids, comma-separated), ``top_criterion`` (the criterion that
    weighed most).
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.OnboardingResults) -> None:
        self._native = native

    def _main(self) -> Table:
        return self.table

    @property
    def table(self) -> Table:
        """One row per partner."""
        return Table(self._native.table)

    def results(self) -> List[Dict[str, Any]]:
        """Every evaluation: ``partner``, ``passed``, ``failed_gates`` and ``gates`` (``id``,
        ``attribute``, ``passed``, ``value``, ``threshold``, ``reason``), ``score``,
        ``pass_score``, ``criteria`` (largest contribution first)."""
        rows: List[Dict[str, Any]] = json.loads(self._native.results_json())
        return rows


class GradeRules(_Document):
    """Grade rules (等级调整): promotion, demotion and review conditions over scores and
    KPIs for N consecutive periods.

    >>> GradeRules.sample_company().rules[0]
    'ga-eligible'
    """

    __slots__ = ()
    _native_type = _native.GradeRules

    @property
    def rules(self) -> List[str]:
        """Rule ids, in document order."""
        return self._native.rules

    @property
    def scorecard(self) -> Optional[str]:
        """The scorecard the rules' scores come from, if named."""
        return self._native.scorecard

    def suggest(
        self,
        dataset: Dataset,
        kpis: KpiTable,
        scores: Optional[ScorecardRun] = None,
        as_of: Optional[str] = None,
    ) -> "GradeReport":
        """Suggestions for the partners of ``dataset`` (their model and current grade) from
        ``kpis`` and ``scores`` (needed by rules on the score or rank).

        :param as_of: the evaluation period (``"2025-Q4"``); default: the latest period of
            each rule's length in the inputs.
        """
        if scores is not None and not isinstance(scores, ScorecardRun):
            raise TypeError(f"scores must be a qudao.ScorecardRun, not {type(scores).__name__}")
        return GradeReport(
            self._native.suggest(
                _dataset(dataset),
                _kpi_table(kpis),
                None if scores is None else scores._native,
                None if as_of is None else str(as_of),
            )
        )


class GradeReport(_Tabular):
    """Suggestions from :meth:`GradeRules.suggest`.

    :attr:`table`: ``partner``, ``rule``, ``kind`` (``promote``, ``demote``, ``review``),
    ``from`` (current grade), ``to`` (none for a review), ``label_en``, ``label_zh``,
    ``periods`` (how many periods of evidence).
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.GradeReport) -> None:
        self._native = native

    def _main(self) -> Table:
        return self.table

    @property
    def table(self) -> Table:
        """One row per suggestion."""
        return Table(self._native.table)

    @property
    def as_of(self) -> List[str]:
        """The evaluation period per period length the rules use."""
        return self._native.as_of

    @property
    def not_in_master(self) -> List[str]:
        """Partners in the inputs but not in the master data."""
        return self._native.not_in_master

    def suggestions(self) -> List[Dict[str, Any]]:
        """Every suggestion with its ``evidence``: per period the values each condition
        read."""
        rows: List[Dict[str, Any]] = json.loads(self._native.suggestions_json())
        return rows

    def to_json(self) -> str:
        """The whole report as JSON."""
        return self._native.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """The whole report as plain Python data."""
        doc: Dict[str, Any] = json.loads(self.to_json())
        return doc
