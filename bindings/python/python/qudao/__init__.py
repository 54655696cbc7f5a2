"""qudao: sales-channel management on columnar data, implemented in Rust.

Load a data set, summarise it, and hand the tables to polars, pandas or duckdb through the
Arrow PyCapsule interface (no copy, no pyarrow needed for polars):

>>> import qudao
>>> data = qudao.sample(lines=2_000, seed=7)
>>> data.transaction_count
2000
>>> summary = data.summary()
>>> summary.totals.column_names[:3]
['key', 'name', 'lines']
>>> summary.totals.to_pylist()[0]["lines"]
2000

Errors are subclasses of :class:`QudaoError` (itself an ``Exception``) and of the matching
built-in class, so ``except ValueError`` keeps working:

>>> try:
...     qudao.from_arrow({"channels": [{"id": "web", "kind": "shop"}]}, summary.totals)
... except ValueError as e:
...     print(type(e).__name__, e.path)
RuleError channels[0].kind
"""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING, Any, Mapping, Optional, Tuple, Union

from . import _native
from ._native import (
    ArgumentError,
    DataError,
    InternalError,
    QudaoError,
    QudaoIOError,
    QudaoOverflowError,
    RuleError,
)
from ._types import Dataset, Summary, Table
from .attribution import (
    AttributionResult,
    AttributionSettings,
    Journeys,
    MarkovReport,
    attribute,
    journeys_from_dataset,
    journeys_from_paths,
    journeys_from_touchpoints,
)
from .conflicts import ConflictPolicy, ConflictReport, detect_conflicts
from .customers import (
    Abc,
    CustomerSummary,
    Fit,
    Membership,
    Rfm,
    SegmentScheme,
    TierScheme,
    abc,
    clv,
    customer_summary,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_pareto_nbd,
    membership,
    plot_clv,
    rfm,
)
from .economics import (
    BudgetPlan,
    ChannelEconomics,
    Reallocation,
    channel_economics,
    reallocate,
)
from .evaluation import (
    AlertReport,
    BcgOptions,
    BcgReport,
    GradeReport,
    GradeRules,
    KpiTable,
    OnboardingPolicy,
    OnboardingResults,
    Scorecard,
    ScorecardRun,
    WarningRules,
    kpis,
)
from .rebates import ProgramBook, Settlement, accrue_rebates, settle_rebates

if TYPE_CHECKING:  # pragma: no cover - typing only
    from typing import Protocol

    class ArrowStreamExportable(Protocol):
        """Anything exporting the Arrow PyCapsule stream interface."""

        def __arrow_c_stream__(self, requested_schema: object = None) -> object: ...


__version__: str = _native.__version__

__all__ = [
    "Abc",
    "AlertReport",
    "ArgumentError",
    "AttributionResult",
    "AttributionSettings",
    "BcgOptions",
    "BcgReport",
    "BudgetPlan",
    "ChannelEconomics",
    "ConflictPolicy",
    "ConflictReport",
    "CustomerSummary",
    "DataError",
    "Dataset",
    "Fit",
    "GradeReport",
    "GradeRules",
    "InternalError",
    "Journeys",
    "KpiTable",
    "MarkovReport",
    "Membership",
    "OnboardingPolicy",
    "OnboardingResults",
    "ProgramBook",
    "QudaoError",
    "QudaoIOError",
    "QudaoOverflowError",
    "Reallocation",
    "Rfm",
    "RuleError",
    "Scorecard",
    "ScorecardRun",
    "SegmentScheme",
    "Settlement",
    "Summary",
    "Table",
    "TierScheme",
    "WarningRules",
    "__version__",
    "abc",
    "accrue_rebates",
    "attribute",
    "channel_economics",
    "clv",
    "customer_summary",
    "detect_conflicts",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_pareto_nbd",
    "from_arrow",
    "journeys_from_dataset",
    "journeys_from_paths",
    "journeys_from_touchpoints",
    "kpis",
    "load_csv",
    "membership",
    "plot_clv",
    "reallocate",
    "rfm",
    "sample",
    "settle_rebates",
]

PathLike = Union[str, "os.PathLike[str]"]
Currency = Union[str, Tuple[str, int]]


def load_csv(
    path: PathLike,
    *,
    lenient: bool = False,
    currency: Optional[Currency] = None,
    renames: Optional[Mapping[str, Mapping[str, str]]] = None,
) -> Dataset:
    """Load a directory of CSV files (one per table, see ``docs/data-format.md``).

    :param path: the directory.
    :param lenient: set bad records aside in :attr:`Dataset.rejections` instead of raising
        :class:`DataError` at the first one.
    :param currency: ``"CNY"`` or ``(code, exponent)``; wins over the directory's
        ``dataset.toml``. Default: the directory's currency, else CNY.
    :param renames: other header names per table: ``{"transactions": {"order": "order_no"}}``
        (canonical name → name in the file).
    :raises QudaoIOError: a file cannot be read. :raises DataError: bad data (strict mode),
        a missing column. :raises RuleError: a bad ``dataset.toml``.
    """
    code: Optional[str]
    exponent: Optional[int]
    if currency is None or isinstance(currency, str):
        code, exponent = currency, None
    else:
        code, exponent = currency
    return Dataset(
        _native.load_csv(
            os.fspath(path),
            lenient=lenient,
            currency=code,
            currency_exponent=exponent,
            renames=None if renames is None else {t: dict(m) for t, m in renames.items()},
        )
    )


def sample(lines: int = 200_000, seed: int = 42) -> Dataset:
    """The sample company: a deterministic data set with ``lines`` transaction lines.

    The same ``seed`` always gives the same data.
    """
    return Dataset(_native.sample(lines, seed))


_FORMATS = ("json", "toml", "yaml", "path")
_SUFFIXES = (".json", ".toml", ".yaml", ".yml")
_TOML_LINE = re.compile(r"^\s*(\[\[?[\w.\"' -]+\]\]?|[\w\"'-]+\s*=)", re.MULTILINE)


def _master_arg(master: object, format: Optional[str]) -> Tuple[str, str]:
    """The master data as (text or path, format) for the native call."""
    if format is not None and format not in _FORMATS:
        raise ArgumentError(f"invalid argument `format`: {format!r} is not one of {_FORMATS}")
    if isinstance(master, Mapping):
        return json.dumps(master, default=str), "json"
    if isinstance(master, os.PathLike):
        return os.fspath(master), "path"
    if isinstance(master, bytes):
        master = master.decode("utf-8")
    if not isinstance(master, str):
        raise TypeError(
            "master must be a dict, a JSON/TOML/YAML string or a path, "
            f"not {type(master).__name__}"
        )
    if format is not None:
        return master, format
    text = master.lstrip()
    if text.startswith("{"):
        return master, "json"
    if "\n" not in master and (master.lower().endswith(_SUFFIXES) or os.path.isfile(master)):
        return master, "path"
    if _TOML_LINE.search(master):
        return master, "toml"
    return master, "yaml"


def from_arrow(
    master: Union[Mapping[str, Any], str, "os.PathLike[str]"],
    transactions: "ArrowStreamExportable",
    *,
    lenient: bool = False,
    format: Optional[str] = None,
) -> Dataset:
    """Build a data set from master data and an Arrow transaction table.

    :param master: the master data document (territories, channels, partners, products, …)
        as a dict, as JSON/TOML/YAML text, or as a path to such a file.
    :param transactions: any object exporting ``__arrow_c_stream__``: a polars DataFrame, a
        pyarrow Table or RecordBatchReader, a duckdb relation, … Columns as in the CSV
        ``transactions`` table. Money as ``Int64`` minor units (shared, not copied) or
        ``Decimal128``; floats are refused (not exact).
    :param lenient: set bad rows aside instead of raising :class:`DataError`.
    :param format: ``"json"``, ``"toml"``, ``"yaml"`` or ``"path"`` when guessing from
        ``master`` is not wanted.
    """
    if not (hasattr(transactions, "__arrow_c_stream__") or hasattr(transactions, "__arrow_c_array__")):
        raise TypeError(
            "transactions must export the Arrow PyCapsule interface (__arrow_c_stream__), "
            f"e.g. a polars DataFrame or a pyarrow Table, not {type(transactions).__name__}"
        )
    text, fmt = _master_arg(master, format)
    return Dataset(_native.from_arrow(text, fmt, transactions, lenient=lenient))
