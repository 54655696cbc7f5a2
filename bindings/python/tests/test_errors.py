"""The exception hierarchy and what each exception carries."""

from __future__ import annotations

import pickle
from pathlib import Path

import polars as pl
import pytest

import qudao

CLASSES = {
    qudao.DataError: ValueError,
    qudao.RuleError: ValueError,
    qudao.ArgumentError: ValueError,
    qudao.QudaoIOError: OSError,
    qudao.QudaoOverflowError: ArithmeticError,
}


@pytest.mark.parametrize("cls", [qudao.QudaoError, *CLASSES, qudao.InternalError])
def test_hierarchy(cls: type) -> None:
    assert issubclass(cls, qudao.QudaoError)
    assert issubclass(cls, Exception)
    assert cls.__module__ == "qudao"
    assert cls.__doc__


@pytest.mark.parametrize(("cls", "builtin"), CLASSES.items())
def test_builtin_bases(cls: type, builtin: type) -> None:
    assert issubclass(cls, builtin)


def test_internal_error_is_not_a_value_error() -> None:
    assert not issubclass(qudao.InternalError, ValueError)


def test_missing_dir_is_io_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(qudao.QudaoIOError) as info:
        qudao.load_csv(missing)
    e = info.value
    assert isinstance(e, OSError) and isinstance(e, qudao.QudaoError)
    assert e.path is not None and "nope" in e.path
    assert e.filename == e.path


def test_missing_file_is_io_error(tiny_copy: Path) -> None:
    (tiny_copy / "channels.csv").unlink()
    with pytest.raises((qudao.QudaoIOError, qudao.DataError)) as info:
        qudao.load_csv(tiny_copy)
    assert "channels" in str(info.value)


def test_bad_value_is_data_error_with_location(tiny_copy: Path) -> None:
    tx = tiny_copy / "transactions.csv"
    lines = tx.read_text().splitlines()
    lines[3] = lines[3].replace("110.00", "110.001")  # too many decimals, file line 4
    tx.write_text("\n".join(lines) + "\n")
    with pytest.raises(qudao.DataError) as info:
        qudao.load_csv(tiny_copy)
    e = info.value
    assert isinstance(e, ValueError)
    assert e.line == 4
    assert e.column == "amount"
    assert e.value == "110.001"
    assert e.source is not None and e.source.endswith("transactions.csv")
    assert "transactions.csv:4" in str(e)


def test_missing_column_is_data_error(tiny_copy: Path) -> None:
    tx = tiny_copy / "transactions.csv"
    tx.write_text(tx.read_text().replace(",quantity,", ",qty,", 1))
    with pytest.raises(qudao.DataError) as info:
        qudao.load_csv(tiny_copy)
    assert info.value.column == "quantity"


def test_bad_master_document_is_rule_error_with_path() -> None:
    df = pl.DataFrame({"order": ["O1"]})
    doc = {"channels": [{"id": "web", "kind": "shop", "presence": "online", "role": "main"}]}
    with pytest.raises(qudao.RuleError) as info:
        qudao.from_arrow(doc, df)
    e = info.value
    assert e.path == "channels[0].kind"
    assert isinstance(e, ValueError) and isinstance(e, qudao.QudaoError)


def test_unparsable_document_is_rule_error_with_format() -> None:
    df = pl.DataFrame({"order": ["O1"]})
    with pytest.raises(qudao.RuleError) as info:
        qudao.from_arrow("{not json", df)
    assert info.value.format == "json"
    assert info.value.path is None


def test_bad_dataset_toml_is_rule_error(tiny_copy: Path) -> None:
    (tiny_copy / "dataset.toml").write_text('currency = "NOT A CURRENCY"\n')
    with pytest.raises(qudao.QudaoError) as info:
        qudao.load_csv(tiny_copy)
    assert isinstance(info.value, (qudao.RuleError, qudao.ArgumentError))


def test_bad_arrow_row_is_data_error_with_line(local_tiny: Path) -> None:
    data = qudao.load_csv(local_tiny)
    df = data.transactions().to_polars().with_columns(
        pl.when(pl.col("order") == "O3")
        .then(pl.lit(-5, dtype=pl.Int64))
        .otherwise(pl.col("quantity"))
        .alias("quantity")
    )
    with pytest.raises(qudao.DataError) as info:
        qudao.from_arrow(data.master_json(), df)
    assert info.value.line == 4  # 1-based row
    assert info.value.column is not None
    lenient = qudao.from_arrow(data.master_json(), df, lenient=True)
    assert lenient.transaction_count == 5
    assert len(lenient.rejections) == 1


def test_missing_arrow_column_is_data_error(local_tiny: Path) -> None:
    data = qudao.load_csv(local_tiny)
    df = data.transactions().to_polars().drop("amount")
    with pytest.raises(qudao.DataError) as info:
        qudao.from_arrow(data.master_json(), df)
    assert info.value.column == "amount"


def test_float_money_is_refused(local_tiny: Path) -> None:
    data = qudao.load_csv(local_tiny)
    df = data.transactions().to_polars().with_columns(pl.col("amount").cast(pl.Float64))
    with pytest.raises(qudao.QudaoError):
        qudao.from_arrow(data.master_json(), df)


def test_argument_errors(local_tiny: Path) -> None:
    with pytest.raises(qudao.ArgumentError):
        qudao.load_csv(local_tiny, currency="??")
    with pytest.raises(qudao.ArgumentError) as info:
        qudao.from_arrow("x: 1", pl.DataFrame({"a": [1]}), format="xml")
    assert isinstance(info.value, ValueError)
    with pytest.raises(TypeError):
        qudao.from_arrow(42, pl.DataFrame({"a": [1]}))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        qudao.from_arrow({}, [1, 2, 3])  # type: ignore[arg-type]


def test_unknown_master_file_suffix(tmp_path: Path) -> None:
    p = tmp_path / "master.ini"
    p.write_text("")
    with pytest.raises(qudao.ArgumentError) as info:
        qudao.from_arrow(p, pl.DataFrame({"a": [1]}))
    assert info.value.name == "master"


def test_missing_master_file_is_io_error(tmp_path: Path) -> None:
    with pytest.raises(qudao.QudaoIOError) as info:
        qudao.from_arrow(tmp_path / "master.json", pl.DataFrame({"a": [1]}))
    assert info.value.errno is not None


@pytest.mark.parametrize("released", [True, False])
def test_panic_is_internal_error(released: bool) -> None:
    with pytest.raises(qudao.InternalError) as info:
        qudao._native._panic("boom", released=released)
    assert "boom" in str(info.value)
    assert isinstance(info.value, Exception)


def test_errors_are_catchable_as_exception(tmp_path: Path) -> None:
    try:
        qudao.load_csv(tmp_path / "none")
    except Exception as e:  # noqa: BLE001 - the point of the test
        assert isinstance(e, qudao.QudaoError)
    else:  # pragma: no cover
        pytest.fail("no error")


def test_exception_attributes_default_to_none() -> None:
    e = qudao.DataError("x")
    assert (e.source, e.line, e.column, e.value) == (None, None, None, None)
    assert qudao.RuleError("x").path is None
    assert pickle.loads(pickle.dumps(e)).args == ("x",)


BAD = Path(__file__).resolve().parents[3] / "testdata" / "bad"
BAD_CASES = sorted(p.name for p in BAD.iterdir() if p.is_dir()) if BAD.is_dir() else []


@pytest.mark.parametrize("case", BAD_CASES)
def test_shared_bad_fixtures(case: str, shared_tiny: Path, tmp_path: Path) -> None:
    """Each `testdata/bad/<case>` overlays the tiny data set; errors carry file and line."""
    import shutil

    data_dir = tmp_path / case
    shutil.copytree(shared_tiny, data_dir)
    for f in (BAD / case).iterdir():
        shutil.copy(f, data_dir / f.name)
    try:
        qudao.load_csv(data_dir)
    except qudao.DataError as e:
        assert e.source is not None and e.source.endswith(".csv")
        assert e.line is not None and e.line >= 1
        assert e.source.split("/")[-1] in str(e)
    try:
        data = qudao.load_csv(data_dir, lenient=True)
    except qudao.DataError:
        pass  # missing columns and empty files stop a lenient load too
    else:
        listed = len(data.rejections) + data.rejections_omitted
        assert listed == sum(sum(m.values()) for m in data.rejection_counts.values())
