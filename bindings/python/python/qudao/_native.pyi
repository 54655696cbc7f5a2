"""Type stubs of the extension module ``qudao._native`` (checked against it by the tests)."""

import datetime
import decimal
import os
from typing import Any, Dict, List, Mapping, Optional, Union, final

__version__: str

class QudaoError(Exception):
    """Base class of every error raised by qudao."""

class DataError(QudaoError, ValueError):
    source: Optional[str]
    line: Optional[int]
    column: Optional[str]
    value: Optional[str]
    reason: Optional[str]

class RuleError(QudaoError, ValueError):
    path: Optional[str]
    format: Optional[str]
    reason: Optional[str]

class QudaoIOError(QudaoError, OSError):
    path: Optional[str]

class QudaoOverflowError(QudaoError, ArithmeticError):
    what: Optional[str]

class ArgumentError(QudaoError, ValueError):
    name: Optional[str]
    reason: Optional[str]

class InternalError(QudaoError): ...

@final
class Table:
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
    def __len__(self) -> int: ...
    @property
    def column_names(self) -> List[str]: ...
    @property
    def metadata(self) -> Dict[str, str]: ...
    def to_pylist(self) -> List[Dict[str, Union[str, int, decimal.Decimal, None]]]: ...

@final
class Summary:
    @property
    def totals(self) -> Table: ...
    @property
    def by_channel(self) -> Table: ...
    @property
    def by_partner(self) -> Table: ...
    @property
    def by_month(self) -> Table: ...
    @property
    def currency(self) -> str: ...
    @property
    def first_date(self) -> Optional[datetime.date]: ...
    @property
    def last_date(self) -> Optional[datetime.date]: ...
    @property
    def active_customers(self) -> int: ...
    def to_json(self) -> str: ...

@final
class Dataset:
    @property
    def transaction_count(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def currency_exponent(self) -> int: ...
    @property
    def rejections(self) -> List[Dict[str, Any]]: ...
    @property
    def rejection_counts(self) -> Dict[str, Dict[str, int]]: ...
    @property
    def rejections_omitted(self) -> int: ...
    @property
    def master_counts(self) -> Dict[str, int]: ...
    def transactions(self) -> Table: ...
    def master_json(self) -> str: ...
    def summary(self) -> Summary: ...

def load_csv(
    path: Union[str, os.PathLike[str]],
    *,
    lenient: bool = False,
    currency: Optional[str] = None,
    currency_exponent: Optional[int] = None,
    renames: Optional[Mapping[str, Mapping[str, str]]] = None,
) -> Dataset: ...
def sample(lines: int = 200000, seed: int = 42) -> Dataset: ...
def from_arrow(master: str, format: str, transactions: object, *, lenient: bool = False) -> Dataset: ...
def _panic(message: str, *, released: bool = True) -> None: ...
