"""Rebates and incentives (返利与激励): program books, settlement with true-up, accrual.

A :class:`ProgramBook` says who takes part, what counts, the calculation shape, gates, caps,
penalties and rounding. :func:`settle_rebates` pays every settlement point due by a date (the
final settlement of a period trues it up, netting what the ledger says was paid);
:func:`accrue_rebates` tells where each enrolment stands in its current period.

Money in the statement and accrual tables is in minor units (fen for CNY) as ``Int64``; for
points programs (``payout == "points"``) the amounts are points. ``rate``, ``gross`` and
``exact`` are exact decimal strings (``gross`` and ``exact`` in minor units).

>>> import qudao
>>> data = qudao.load_csv("testdata/sample")
>>> book = qudao.ProgramBook.sample_company()
>>> run = qudao.settle_rebates(data, book, "2025-12-31")
>>> run.statements.column_names[:4]
['id', 'program', 'payee', 'payee_kind']
>>> again = qudao.settle_rebates(data, book, "2025-12-31", ledger=run.ledger)
>>> len(again.statements)
0
"""

from __future__ import annotations

import datetime
import decimal
import html
import json
import os
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Union

from . import _native
from ._types import Dataset, Table

if TYPE_CHECKING:  # pragma: no cover - typing only
    import polars

__all__ = ["ProgramBook", "Settlement", "accrue_rebates", "settle_rebates"]

DateLike = Union[datetime.date, str]
PathLike = Union[str, "os.PathLike[str]"]


def _plain(value: object) -> object:
    """JSON for what ``json`` cannot write: dates as ISO days, decimals as exact text."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _dumps(value: object) -> str:
    return json.dumps(value, default=_plain)


class ProgramBook:
    """A rebate program book, validated when made: errors are :class:`~qudao.RuleError`
    with the field path (``programs[0].shape.tiers[1].from``).

    >>> import qudao
    >>> book = qudao.ProgramBook.sample_company()
    >>> book.programs[:2]
    ['dist-volume', 'ga-network']
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.ProgramBook) -> None:
        self._native = native

    @classmethod
    def sample_company(cls) -> "ProgramBook":
        """The sample company's 2025 programs (what the demo settles)."""
        return cls(_native.ProgramBook.sample_company())

    @classmethod
    def from_json(cls, text: str) -> "ProgramBook":
        """Parse a JSON document."""
        return cls(_native.ProgramBook.parse(text, "json"))

    @classmethod
    def from_toml(cls, text: str) -> "ProgramBook":
        """Parse a TOML document."""
        return cls(_native.ProgramBook.parse(text, "toml"))

    @classmethod
    def from_yaml(cls, text: str) -> "ProgramBook":
        """Parse a YAML document."""
        return cls(_native.ProgramBook.parse(text, "yaml"))

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> "ProgramBook":
        """A book from plain Python data (as :meth:`to_dict` gives); dates may be
        :class:`datetime.date` and rates :class:`decimal.Decimal`."""
        if not isinstance(document, Mapping):
            raise TypeError(f"document must be a mapping, not {type(document).__name__}")
        return cls.from_json(_dumps(document))

    @classmethod
    def from_path(cls, path: PathLike) -> "ProgramBook":
        """Read a ``.json``, ``.toml`` or ``.yaml`` file."""
        return cls(_native.ProgramBook.from_path(os.fspath(path)))

    @staticmethod
    def json_schema() -> Dict[str, Any]:
        """The JSON Schema of program books."""
        schema: Dict[str, Any] = json.loads(_native.ProgramBook.json_schema())
        return schema

    @property
    def id(self) -> str:
        """Book id."""
        return self._native.id

    @property
    def currency(self) -> str:
        """ISO 4217 code of every amount in the book (must be the data's)."""
        return self._native.currency

    @property
    def programs(self) -> List[str]:
        """Program ids, in book order."""
        return self._native.programs

    def warnings(self) -> List[Dict[str, str]]:
        """What is legal but probably not meant (non-monotone rates, unreachable tiers, …):
        dicts with ``path`` and ``message``."""
        return self._native.warnings()

    def to_json(self) -> str:
        """The document as JSON."""
        return self._native.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """The document as plain Python data."""
        doc: Dict[str, Any] = json.loads(self.to_json())
        return doc

    def __repr__(self) -> str:
        return repr(self._native).replace("<qudao ProgramBook", "<qudao.ProgramBook", 1)


class Settlement:
    """The result of :func:`settle_rebates`: new statement lines, what was not paid and why,
    ledger entries to record and points to credit."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.Settlement) -> None:
        self._native = native

    @property
    def as_of(self) -> datetime.date:
        """As-of date of the run."""
        return self._native.as_of

    @property
    def currency(self) -> str:
        """ISO 4217 code of money amounts."""
        return self._native.currency

    @property
    def statements(self) -> Table:
        """One row per statement line: ``id``, ``program``, ``payee``, ``payee_kind``
        (``partner``/``customer``), ``period`` (``2025-Q1``), ``kind`` (``partial``,
        ``final``, ``delta``, ``referral``), ``through`` (date), ``measure``, ``volume``
        (measure unit: minor units or units; null when a margin is unknown),
        ``sale_lines``, ``return_lines``, ``tier`` (0-based, null when none), ``rate``
        (decimal text), ``gross`` and ``exact`` (exact decimal text, before and after
        adjustments), ``entitlement`` (cumulative for the period, rounded),
        ``previously_paid``, ``amount`` (paid now), ``payout`` (``money``/``points``)."""
        return Table(self._native.statements)

    def explanations(self) -> List[Dict[str, Any]]:
        """Every statement line with its whole explanation: base, tier, rate, gross,
        ``adjustments`` (kind, rule, exact amount as text, findings, detail), rounding and
        ``why_not`` reasons."""
        lines: List[Dict[str, Any]] = json.loads(self._native.explanations_json())
        return lines

    @property
    def not_paid(self) -> List[Dict[str, Any]]:
        """Enrolments with nothing to pay for a period: program, payee, period, through and
        ``reasons`` (each a dict with ``kind`` and its details)."""
        rows: List[Dict[str, Any]] = json.loads(self._native.not_paid_json())
        return rows

    @property
    def ledger(self) -> List[Dict[str, Any]]:
        """Ledger entries to record. Store them with the earlier ones and pass them all as
        ``ledger=`` to the next run, so it pays only what is new."""
        rows: List[Dict[str, Any]] = json.loads(self._native.ledger_json())
        return rows

    @property
    def points_awards(self) -> List[Dict[str, Any]]:
        """Points for member ledgers: customer, date, points, reference."""
        rows: List[Dict[str, Any]] = json.loads(self._native.points_awards_json())
        return rows

    @property
    def warnings(self) -> List[Dict[str, str]]:
        """The book's warnings: dicts with ``path`` and ``message``."""
        return self._native.warnings

    @property
    def lines_read(self) -> int:
        """Transaction lines read."""
        return self._native.lines_read

    @property
    def lines_skipped(self) -> int:
        """Lines not counted by any program's months."""
        return self._native.lines_skipped

    def totals(self) -> Dict[str, int]:
        """Money paid in this run per payee (minor units), money programs only."""
        return dict(self._native.totals())

    def to_json(self) -> str:
        """The whole settlement as JSON."""
        return self._native.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """The whole settlement as plain Python data (as :meth:`to_json`)."""
        doc: Dict[str, Any] = json.loads(self.to_json())
        return doc

    def to_polars(self) -> "polars.DataFrame":
        """:attr:`statements` as a polars DataFrame."""
        return self.statements.to_polars()

    def _repr_html_(self) -> str:
        return f"<h4>{html.escape(repr(self))}</h4>" + self.statements._repr_html_()

    def __repr__(self) -> str:
        return repr(self._native).replace("<qudao Settlement", "<qudao.Settlement", 1)


def _dataset(dataset: Dataset) -> _native.Dataset:
    if not isinstance(dataset, Dataset):
        raise TypeError(f"dataset must be a qudao.Dataset, not {type(dataset).__name__}")
    return dataset._native


def _book(book: ProgramBook) -> _native.ProgramBook:
    if not isinstance(book, ProgramBook):
        raise TypeError(f"book must be a qudao.ProgramBook, not {type(book).__name__}")
    return book._native


def _date(value: DateLike, name: str) -> DateLike:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, (datetime.date, str)):
        return value
    raise TypeError(f"{name} must be a datetime.date or 'YYYY-MM-DD', not {type(value).__name__}")


def _records(value: Optional[Iterable[Mapping[str, Any]]], name: str) -> Optional[str]:
    """A list of mappings as JSON text for the native call (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, Settlement):
        value = value.ledger
    if isinstance(value, (str, bytes, Mapping)):
        raise TypeError(f"{name} must be a list of dicts, not {type(value).__name__}")
    rows = []
    for i, row in enumerate(value):
        if not isinstance(row, Mapping):
            raise TypeError(f"{name}[{i}] must be a dict, not {type(row).__name__}")
        rows.append(dict(row))
    return _dumps(rows)


def _segments(value: Optional[Mapping[str, str]]) -> Optional[List[Any]]:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"segments must be a dict customer -> segment, not {type(value).__name__}")
    return [(str(k), str(v)) for k, v in value.items()]


Records = Iterable[Mapping[str, Any]]


def settle_rebates(
    dataset: Dataset,
    book: ProgramBook,
    as_of: DateLike,
    ledger: Optional[Union[Records, Settlement]] = None,
    findings: Optional[Records] = None,
    referrals: Optional[Records] = None,
    segments: Optional[Mapping[str, str]] = None,
    threads: int = 0,
) -> Settlement:
    """Settle every program of ``book`` on ``dataset`` as of a date (lines after it are not
    yet known). Runs in Rust with the GIL released.

    :param as_of: ``datetime.date`` or ``"YYYY-MM-DD"``.
    :param ledger: what was paid before: the :attr:`Settlement.ledger` entries of earlier
        runs (a list of dicts). Only what is new is paid; late lines and clawed-back returns
        give ``delta`` lines.
    :param findings: findings for penalty rules, dicts with ``id``, ``kind`` (e.g.
        ``"cross_region"``), ``partner``, ``date`` and optionally ``waived``.
    :param referrals: dicts with ``referrer``, ``referred`` and ``date``, for referral
        programs.
    :param segments: customer id → segment name, for selections by customer segment.
    :param threads: worker threads (0 = all cores); the result does not depend on it.
    :raises RuleError: the book does not fit the data (currency, unknown partner or channel
        ids), with the field path. :raises ArgumentError: a bad ledger entry, finding or
        referral (``name`` is e.g. ``findings[2]``), a bad date.
    """
    return Settlement(
        _native.settle_rebates(
            _dataset(dataset),
            _book(book),
            _date(as_of, "as_of"),
            _records(ledger, "ledger"),
            _records(findings, "findings"),
            _records(referrals, "referrals"),
            _segments(segments),
            threads,
        )
    )


def accrue_rebates(
    dataset: Dataset,
    book: ProgramBook,
    as_of: DateLike,
    ledger: Optional[Union[Records, Settlement]] = None,
    findings: Optional[Records] = None,
    referrals: Optional[Records] = None,
    segments: Optional[Mapping[str, str]] = None,
    threads: int = 0,
) -> Table:
    """Where every enrolment stands in its current period as of a date, as a
    :class:`~qudao.Table`: ``program``, ``payee``, ``period``, ``volume``, ``earned`` (so
    far, rounded), ``paid`` (from ``ledger``), ``projected_volume`` and ``projected`` (at the
    current pace by the period's end), the next tier (``next_tier``, ``next_volume_needed``,
    ``next_rate``, ``next_pays``; null at the top) and ``why_not`` (reason kinds,
    comma-separated, when nothing is earned). Arguments as :func:`settle_rebates`.
    """
    return Table(
        _native.accrue_rebates(
            _dataset(dataset),
            _book(book),
            _date(as_of, "as_of"),
            _records(ledger, "ledger"),
            _records(findings, "findings"),
            _records(referrals, "referrals"),
            _segments(segments),
            threads,
        )
    )
