"""Channel conflict (渠道冲突): cross-region selling, price violations, horizontal, vertical and
multi-channel conflict, inventory imbalance — found in the data, explained, and fed to the
rebate programs' penalties.

A :class:`ConflictPolicy` says which detectors run and their thresholds (validated when made:
errors are :class:`~qudao.RuleError` with the field path). :func:`detect_conflicts` runs them
over a data set (in Rust, with the GIL released) and returns a :class:`ConflictReport`: the
findings as an Arrow table, each explained with its evidence, and
:meth:`ConflictReport.penalty_findings` for :func:`~qudao.settle_rebates`. Every detector and
field: ``docs/conflict.md`` and ``schemas/conflict-policy.schema.json``. The matrix plot needs
the optional ``matplotlib``.

>>> import qudao
>>> data = qudao.load_csv("testdata/sample")
>>> report = qudao.detect_conflicts(data, qudao.ConflictPolicy.sample_company())
>>> report.findings.column_names[:4]
['id', 'detector', 'kind', 'partner']
>>> sorted({f["partner"] for f in report.findings.to_pylist() if f["detector"] == "cross_region"})
['DS025']
>>> report.finding("cross_region/DS025/ZJ-NB/-/2025-05")["evidence"]["listed"][0]["order"]
'SO0000001117'

Findings against a partner feed the rebate programs' penalty rules; the statement quotes the
finding id, and a finding the host waives costs nothing:

>>> book = qudao.ProgramBook.sample_company()
>>> run = qudao.settle_rebates(data, book, "2025-12-31", findings=report.penalty_findings())
>>> sorted({fid for line in run.explanations() for a in line["adjustments"]
...         if a["kind"] == "penalty" for fid in a["findings"]})
['cross_region/DS025/ZJ-NB/-/2025-05']
>>> waived = report.penalty_findings(waived=["cross_region/DS025/ZJ-NB/-/2025-05"])
>>> again = qudao.settle_rebates(data, book, "2025-12-31", findings=waived)
>>> [a for line in again.explanations() for a in line["adjustments"] if a["kind"] == "penalty"]
[]
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Union

from . import _native
from ._types import Dataset, Table
from .customers import _arg_error, _axes
from .evaluation import _Document, _Tabular
from .rebates import _dataset, _dumps

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

__all__ = ["ConflictPolicy", "ConflictReport", "detect_conflicts"]

PathLike = Union[str, "os.PathLike[str]"]
Records = Iterable[Mapping[str, Any]]

DETECTORS = (
    "cross_region",
    "diverted_goods",
    "below_floor",
    "promotion_depth",
    "undercutting",
    "customer_overlap",
    "vertical",
    "online_undercut",
    "channel_switching",
    "inventory",
)


class ConflictPolicy(_Document):
    """A conflict policy (渠道冲突管理规则): which detectors run, their thresholds, approved
    promotions and the escalation ladder of resolutions. Every detector section is optional
    (a missing one runs with its defaults); ratios are exact decimals (``"0.05"`` is 5 %).

    >>> policy = ConflictPolicy.sample_company()
    >>> policy.id, policy.detectors[:3]
    ('minghe-conflict', ['cross_region', 'diverted_goods', 'below_floor'])
    >>> ConflictPolicy.from_dict({"schema_version": 1, "id": "x",
    ...                           "cross_region": {"enabled": False}}).detectors[0]
    'diverted_goods'
    """

    __slots__ = ()
    _native_type = _native.ConflictPolicy

    @classmethod
    def sample(cls) -> "ConflictPolicy":
        """Same as :meth:`sample_company`: the sample company's policy."""
        return cls.sample_company()

    @classmethod
    def defaults(cls) -> "ConflictPolicy":
        """Every detector with its defaults (what :func:`detect_conflicts` uses without a
        policy)."""
        return cls(_native.ConflictPolicy.defaults())

    @classmethod
    def schema(cls) -> Dict[str, Any]:
        """Same as :meth:`json_schema`: the JSON Schema of conflict policies."""
        return cls.json_schema()

    @property
    def detectors(self) -> List[str]:
        """The detectors the policy runs, in order."""
        return self._native.detectors


class ConflictReport(_Tabular):
    """What :func:`detect_conflicts` found.

    :attr:`findings` (also what :meth:`to_polars`, :meth:`to_pandas`, :meth:`to_arrow` and the
    Arrow stream give) has one row per finding, by detector, period, partner, territory and
    product: ``id`` (stable, e.g. ``cross_region/DS025/SH/-/2025-03``: record decisions on
    it), ``detector``, ``kind`` (``horizontal``, ``vertical``, ``multi_channel``),
    ``partner`` (the partner it is against; null for the company's own channels or when it
    names no culprit), ``parties`` and ``channels`` (comma-separated), ``territory`` and
    ``product`` (null when not about one), ``period``, ``first_day`` and ``last_day`` (of the
    evidence), ``severity`` (``low`` … ``critical``), ``resolution`` (``review``,
    ``transfer``, ``warn``, ``deduct_rebate``, ``suspend``, ``terminate``), ``repeats``
    (earlier periods with the same finding), ``lines``, ``quantity`` and ``amount`` (the
    evidence: lines, units, minor units of :attr:`currency`), ``cause`` (``overstock``,
    ``no_overstock``, ``unknown``; null when not told), ``message_en`` and ``message_zh``.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.ConflictReport) -> None:
        self._native = native

    def _main(self) -> Table:
        return self.findings

    @property
    def findings(self) -> Table:
        """One row per finding."""
        return Table(self._native.findings)

    @property
    def policy(self) -> str:
        """Id of the policy applied."""
        return self._native.policy

    @property
    def currency(self) -> str:
        """ISO 4217 code of ``amount`` (minor units)."""
        return self._native.currency

    @property
    def not_run(self) -> List[Dict[str, Any]]:
        """Detectors that did not run: ``detector`` and ``reason`` (``en``, ``zh``)."""
        rows: List[Dict[str, Any]] = json.loads(self._native.not_run_json())
        return rows

    @property
    def scanned(self) -> Dict[str, int]:
        """What was read: ``lines``, ``sale_lines``, ``return_lines``."""
        return dict(self._native.scanned)

    def counts(self) -> Dict[str, int]:
        """Findings per detector (detectors without findings left out)."""
        return dict(self._native.counts())

    def explanations(self) -> List[Dict[str, Any]]:
        """Every finding in full, in :attr:`findings` order: the columns' data plus
        ``message`` (``en``, ``zh``), ``figures`` (``name``, ``value``, ``threshold``,
        ``unit``; exact decimal strings), ``evidence`` (``lines``, ``quantity``, ``amount``
        and the first ``listed`` lines: order, line, date, partner, channel, customer,
        product, territory, quantity, unit_price, amount, reference_price) and ``cause``
        (``kind``, ``note``)."""
        rows: List[Dict[str, Any]] = json.loads(self._native.explanations_json())
        return rows

    def finding(self, id: str) -> Dict[str, Any]:
        """One finding in full (as :meth:`explanations`).

        :raises KeyError: no finding has this id.
        """
        text = self._native.finding_json(str(id))
        if text is None:
            raise KeyError(id)
        doc: Dict[str, Any] = json.loads(text)
        return doc

    def penalty_findings(self, waived: Iterable[str] = ()) -> List[Dict[str, Any]]:
        """The findings against a partner as rebate findings (``id``, ``kind`` = detector,
        ``partner``, ``date`` = first day of the evidence, ``waived``), ready for
        ``settle_rebates(..., findings=...)``: penalty rules on the detector deduct for
        them, and the statement quotes the finding id. Findings whose id is in ``waived`` are
        marked waived and never penalised."""
        if isinstance(waived, str):
            raise TypeError("waived must be a list of finding ids, not a str")
        rows: List[Dict[str, Any]] = json.loads(
            self._native.penalty_findings_json([str(w) for w in waived])
        )
        return rows

    def to_json(self) -> str:
        """The whole report as JSON (``policy``, ``findings``, ``not_run``, ``scanned``)."""
        return self._native.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """The whole report as plain Python data."""
        doc: Dict[str, Any] = json.loads(self.to_json())
        return doc

    def plot_matrix(
        self,
        detector: Optional[str] = None,
        *,
        value: str = "findings",
        ax: Optional["Axes"] = None,
    ) -> "Axes":
        """A territory × partner matrix (no map needed): one cell per territory (rows) and
        partner (columns) with findings, shaded and labelled by the number of findings or of
        evidence lines; ``-`` stands for no territory or no partner (the company's own
        channels). Needs matplotlib.

        :param detector: only this detector's findings (default: all).
        :param value: ``"findings"`` (count) or ``"lines"`` (evidence lines).
        :raises ArgumentError: an unknown detector or value.
        """
        if detector is not None and detector not in DETECTORS:
            raise _arg_error("detector", f"{detector!r} is not one of {', '.join(DETECTORS)}")
        if value not in ("findings", "lines"):
            raise _arg_error("value", f"{value!r} is not one of findings, lines")
        rows = [
            r
            for r in self.findings.to_pylist()
            if detector is None or r["detector"] == detector
        ]
        cells: Dict[Any, int] = {}
        for r in rows:
            key = (r["territory"] or "-", r["partner"] or "-")
            cells[key] = cells.get(key, 0) + (1 if value == "findings" else int(r["lines"]))
        territories = sorted({t for t, _ in cells})
        partners = sorted({p for _, p in cells})
        grid = [[cells.get((t, p), 0) for p in partners] for t in territories]
        axes = _axes(ax)
        if grid:
            axes.imshow(grid, cmap="Reds", aspect="auto", vmin=0)
            top = max(max(row) for row in grid)
            for i, row in enumerate(grid):
                for j, n in enumerate(row):
                    if n:
                        colour = "white" if n > top / 2 else "black"
                        axes.text(j, i, str(n), ha="center", va="center", color=colour,
                                  fontsize="small")
        axes.set_xticks(range(len(partners)))
        axes.set_xticklabels(partners, rotation=45, ha="right")
        axes.set_yticks(range(len(territories)))
        axes.set_yticklabels(territories)
        axes.set_xlabel("partner")
        axes.set_ylabel("territory")
        what = "findings" if value == "findings" else "evidence lines"
        axes.set_title(f"{detector or 'all detectors'}: {what} by territory and partner")
        return axes


def _policy(policy: Optional[ConflictPolicy]) -> Optional[_native.ConflictPolicy]:
    if policy is None:
        return None
    if not isinstance(policy, ConflictPolicy):
        raise TypeError(f"policy must be a qudao.ConflictPolicy, not {type(policy).__name__}")
    native: _native.ConflictPolicy = policy._native
    return native


def _rows(value: Any, name: str) -> Any:
    """An input for the native call: an Arrow-exporting table as it is, a list of mappings
    as JSON text, ``None`` as ``None``."""
    if value is None:
        return None
    if hasattr(value, "__arrow_c_stream__") or hasattr(value, "__arrow_c_array__"):
        return value
    if isinstance(value, (str, bytes, Mapping)):
        raise TypeError(
            f"{name} must be a list of dicts or an Arrow table, not {type(value).__name__}"
        )
    rows = []
    for i, row in enumerate(value):
        if not isinstance(row, Mapping):
            raise TypeError(f"{name}[{i}] must be a dict, not {type(row).__name__}")
        rows.append(dict(row))
    return _dumps(rows)


Rows = Union[Records, Any]


def detect_conflicts(
    dataset: Dataset,
    policy: Optional[ConflictPolicy] = None,
    *,
    assignments: Optional[Rows] = None,
    shipments: Optional[Rows] = None,
    sightings: Optional[Rows] = None,
    threads: int = 0,
) -> ConflictReport:
    """Run every enabled detector of ``policy`` over ``dataset`` (in Rust, with the GIL
    released). Returns are never violations.

    Each input is a list of dicts or any table exporting the Arrow PyCapsule interface
    (polars, pyarrow, pandas through pyarrow, duckdb) with these columns; dates as
    ``datetime.date``, ``Date32`` or ``"YYYY-MM-DD"``; other columns are ignored.

    :param policy: default: :meth:`ConflictPolicy.defaults` (every detector, default
        thresholds).
    :param assignments: customers assigned to partners (客户归属), for the vertical detector:
        ``customer``, ``partner``, optional ``from`` and ``to`` (inclusive).
    :param shipments: goods shipped to partners, for the diverted-goods detector: ``batch``,
        ``product``, ``partner``, ``date``, ``quantity``, optional ``ship_to`` (territory).
    :param sightings: shipped batches seen on sale: ``batch``, ``date``, ``territory``,
        optional ``seller`` and ``quantity`` (default 1).
    :param threads: worker threads (0 = all cores); the result does not depend on it.
    :raises DataError: a bad row (``source`` is the argument, ``line`` the 1-based row,
        ``column`` and ``value`` what is wrong). :raises ArgumentError: a row names an unknown
        customer, partner, product or territory (``name`` e.g. ``shipments[2].partner``).
    """
    return ConflictReport(
        _native.detect_conflicts(
            _dataset(dataset),
            _policy(policy),
            assignments=_rows(assignments, "assignments"),
            shipments=_rows(shipments, "shipments"),
            sightings=_rows(sightings, "sightings"),
            threads=threads,
        )
    )
