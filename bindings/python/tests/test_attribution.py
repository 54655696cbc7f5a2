"""Channel attribution: the issue's hand-solved case, heuristics worked by hand, exact sums,
paths and touchpoints agreeing, dict/polars/pyarrow/pandas inputs, bad input naming the row,
the settings document, the sample company's journeys, the plot."""

from __future__ import annotations

import datetime
import doctest
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import qudao
import qudao.attribution

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "testdata" / "sample"

# The issue's case: A converts twice and fails once, B converts once, A > B converts once.
PATHS: List[Dict[str, Any]] = [
    {"path": "A", "conversions": 2, "value": 200, "nulls": 1},
    {"path": "B", "conversions": 1, "value": 100, "nulls": 0},
    {"path": "A > B", "conversions": 1, "value": 100, "nulls": 0},
]

DAY = datetime.datetime(2025, 3, 1, 9, 0, 0)


def _touches() -> List[Dict[str, Any]]:
    """The same journeys as customers: c1, c2 touched by A convert; c3 touched by A does not;
    c4 touched by B converts; c5 touched by A then B converts."""
    hour = datetime.timedelta(hours=1)
    return [
        {"customer": "c1", "time": DAY, "channel": "A", "cost": 10},
        {"customer": "c2", "time": DAY, "channel": "A", "cost": 10},
        {"customer": "c3", "time": DAY, "channel": "A", "cost": 10},
        {"customer": "c4", "time": DAY, "channel": "B", "cost": 7},
        {"customer": "c5", "time": DAY, "channel": "A", "cost": 10},
        {"customer": "c5", "time": DAY + hour, "channel": "B", "cost": 7},
    ]


def _conversions() -> List[Dict[str, Any]]:
    later = DAY + datetime.timedelta(days=2)
    return [{"customer": c, "time": later, "value": 100} for c in ("c1", "c2", "c4", "c5")]


@pytest.fixture(scope="module")
def journeys() -> qudao.Journeys:
    return qudao.journeys_from_paths(PATHS)


@pytest.fixture(scope="module")
def result(journeys: qudao.Journeys) -> qudao.AttributionResult:
    return qudao.attribute(journeys)


def _by_model(result: qudao.AttributionResult) -> Dict[str, Dict[str, Dict[str, Any]]]:
    out: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for r in result.to_pylist():
        out.setdefault(r["model"], {})[r["channel"]] = r
    return out


# --- the hand-solved case ----------------------------------------------------------------------


def test_journeys_of_the_issue_case(journeys: qudao.Journeys) -> None:
    assert journeys.channels == ["A", "B"]
    assert len(journeys) == 3
    assert (journeys.total_conversions, journeys.total_value, journeys.total_nulls) == (4, 400, 1)
    assert not journeys.has_times
    assert journeys.currency is None
    # Canonical order: by channel sequence (A < A > B < B).
    assert journeys.paths().to_pylist() == [PATHS[0], PATHS[2], PATHS[1]]
    assert "3 journeys over 2 channels" in repr(journeys)


def test_markov_by_hand(result: qudao.AttributionResult) -> None:
    # Counts: start → A 4, start → B 1; A → conversion 2, A → null 1, A → B 1; B → conversion 2.
    # x_B = 1, x_A = 2/4 + 1/4 · x_B = 0.75, P = (4 · 0.75 + 1 · 1) / 5 = 0.8.
    # Without A: P = 1/5 = 0.2, removal effect 1 − 0.2/0.8 = 0.75. Without B: x_A = 0.5,
    # P = (4 · 0.5) / 5 = 0.4, removal effect 0.5. A gets 4 · 0.75/1.25 = 2.4, B 1.6.
    markov = result.markov
    assert markov is not None
    assert markov.conversion_probability == Decimal("0.8")
    assert (markov.order, markov.repeats) == (1, "collapse")
    assert markov.states == ["A", "B"]
    effects = {r["channel"]: r for r in markov.removal_effects.to_pylist()}
    assert effects["A"]["removal_effect"] == Decimal("0.75")
    assert effects["B"]["removal_effect"] == Decimal("0.5")
    assert effects["A"]["conversion_probability"] == Decimal("0.2")
    assert effects["B"]["conversion_probability"] == Decimal("0.4")
    model = _by_model(result)["markov"]
    assert model["A"]["conversions"] == Decimal("2.4")
    assert model["B"]["conversions"] == Decimal("1.6")
    # Every conversion is worth 100, so the values split as the conversions.
    assert (model["A"]["value"], model["B"]["value"]) == (240, 160)
    assert model["A"]["basis"] == Decimal("0.75")


def test_transition_matrix_has_the_counts_by_hand(result: qudao.AttributionResult) -> None:
    markov = result.markov
    assert markov is not None
    counts = {(r["from"], r["to"]): r["count"] for r in markov.transitions.to_pylist()}
    assert counts == {
        ("(start)", "A"): 4,
        ("(start)", "B"): 1,
        ("A", "(conversion)"): 2,
        ("A", "(null)"): 1,
        ("A", "B"): 1,
        ("B", "(conversion)"): 2,
    }
    matrix = markov.transition_matrix
    assert matrix.column_names == ["from", "A", "B", "(conversion)", "(null)"]
    rows = {r["from"]: r for r in matrix.to_pylist()}
    assert list(rows) == ["(start)", "A", "B"]
    assert rows["(start)"]["A"] == Decimal("0.8") and rows["(start)"]["B"] == Decimal("0.2")
    assert rows["A"]["(conversion)"] == Decimal("0.5")
    assert rows["A"]["(null)"] == Decimal("0.25") and rows["A"]["B"] == Decimal("0.25")
    assert rows["B"]["(conversion)"] == 1 and rows["B"]["A"] == 0
    for r in rows.values():
        assert sum(v for k, v in r.items() if k != "from") == 1
    frame = matrix.to_polars()
    assert frame.columns == matrix.column_names
    assert markov.to_dict()["conversion_probability"] == "0.800000000000"
    assert "<table>" in markov._repr_html_()


def test_heuristics_and_shapley_by_hand(result: qudao.AttributionResult) -> None:
    m = _by_model(result)
    conv = {model: {c: r["conversions"] for c, r in rows.items()} for model, rows in m.items()}
    # First touch: A gets "A" (2) and "A > B" (1). Last touch: B gets "B" and "A > B".
    assert conv["first_touch"] == {"A": 3, "B": 1}
    assert conv["last_touch"] == {"A": 2, "B": 2}
    # Linear and position-based (two touches: half each) split "A > B" in two.
    assert conv["linear"] == {"A": Decimal("2.5"), "B": Decimal("1.5")}
    assert conv["position_based"] == {"A": Decimal("2.5"), "B": Decimal("1.5")}
    # Shapley: v(A) = 2, v(B) = 1, v(AB) = 4; φ_A = (2 + 3)/2 = 2.5, φ_B = (1 + 2)/2 = 1.5.
    assert conv["shapley"] == {"A": Decimal("2.5"), "B": Decimal("1.5")}
    shapley = result.shapley
    assert shapley is not None
    assert {r["channel"]: r["conversions"] for r in shapley.to_pylist()} == {
        "A": Decimal("2.5"),
        "B": Decimal("1.5"),
    }
    # Touches in converting journeys: A in "A" (×2) and "A > B"; B in "B" and "A > B".
    assert (m["linear"]["A"]["touches"], m["linear"]["B"]["touches"]) == (3, 2)


def test_every_model_sums_exactly(result: qudao.AttributionResult) -> None:
    assert result.models == [
        "first_touch",
        "last_touch",
        "linear",
        "position_based",
        "markov",
        "shapley",
    ]
    for rows in _by_model(result).values():
        assert sum(r["conversions"] for r in rows.values()) == result.total_conversions
        assert sum(r["value"] for r in rows.values()) == result.total_value
    # Time decay needs touch times, which paths do not have.
    assert [s["model"] for s in result.skipped] == ["time_decay"]
    assert "touch times" in result.skipped[0]["reason"]


def test_result_parts_and_conversions(result: qudao.AttributionResult) -> None:
    assert result.channels == ["A", "B"]
    assert (result.total_conversions, result.total_value, result.total_nulls) == (4, 400, 1)
    assert result.journey_stats["journeys_built"] == 3
    assert result.table.column_names == [
        "model",
        "channel",
        "conversions",
        "value",
        "touches",
        "basis",
        "value_basis",
    ]
    df = result.to_polars()
    assert df.schema["conversions"] == pl.Decimal(38, 6)
    assert df.schema["value"] == pl.Int64
    assert len(df) == len(result) == 12
    assert pa.table(result).num_rows == 12
    assert list(result.to_pandas().columns) == result.table.column_names
    assert "<table>" in result._repr_html_() and "Attribution" in result._repr_html_()
    explanations = result.explanations()
    assert list(explanations) == result.models
    text = result.explain()
    assert "conversion probability 0.8," in text
    assert "time_decay: skipped" in text
    doc = result.to_dict()
    assert doc["total_conversions"] == 4
    assert doc["markov"]["conversion_probability"] == "0.800000000000"


# --- inputs -------------------------------------------------------------------------------------


def test_paths_from_polars_pyarrow_and_pandas_agree(journeys: qudao.Journeys) -> None:
    frame = pl.DataFrame(PATHS)
    assert qudao.journeys_from_paths(frame) == journeys
    assert qudao.journeys_from_paths(pa.Table.from_pylist(PATHS)) == journeys
    assert qudao.journeys_from_paths(pd.DataFrame(PATHS)) == journeys
    # Order does not matter; value and nulls are optional columns.
    assert qudao.journeys_from_paths(frame.reverse()) == journeys
    bare = qudao.journeys_from_paths(pl.DataFrame({"path": ["A", "A > B"], "conversions": [1, 2]}))
    assert (bare.total_value, bare.total_nulls) == (0, 0)
    # Text columns of every layout.
    as_dict = frame.with_columns(pl.col("path").cast(pl.Categorical))
    assert qudao.journeys_from_paths(as_dict) == journeys
    assert qudao.journeys_from_paths(PATHS, channels=["B", "A", "C"]).channels == ["A", "B", "C"]


def test_touchpoints_and_paths_agree(journeys: qudao.Journeys) -> None:
    timed = qudao.journeys_from_touchpoints(_touches(), _conversions())
    assert timed.has_times
    assert timed != journeys
    assert timed.without_times() == journeys
    assert timed.touch_cost == {"A": 40, "B": 14}
    assert timed.stats["touches_read"] == 6
    assert timed.stats["conversions_read"] == 4
    by_paths = qudao.attribute(journeys)
    by_touches = qudao.attribute(timed)
    # Time decay runs on timed journeys; every other model gives exactly the same.
    assert "time_decay" in by_touches.models
    same = [r for r in by_touches.to_pylist() if r["model"] != "time_decay"]
    assert same == by_paths.to_pylist()
    decay = [r for r in by_touches.to_pylist() if r["model"] == "time_decay"]
    assert sum(r["conversions"] for r in decay) == 4


def test_touchpoints_from_polars_pyarrow_and_pandas() -> None:
    reference = qudao.journeys_from_touchpoints(_touches(), _conversions())
    t, c = pl.DataFrame(_touches()), pl.DataFrame(_conversions())
    assert t.schema["time"] == pl.Datetime("us")
    assert qudao.journeys_from_touchpoints(t, c) == reference
    assert qudao.journeys_from_touchpoints(t.to_arrow(), c.to_arrow()) == reference
    assert qudao.journeys_from_touchpoints(pd.DataFrame(_touches()), pd.DataFrame(_conversions())) == reference
    # Times as text, as integer seconds, and zoned datetimes (read in UTC).
    text = t.with_columns(pl.col("time").dt.strftime("%Y-%m-%dT%H:%M:%S"))
    assert qudao.journeys_from_touchpoints(text, c) == reference
    seconds = t.with_columns(pl.col("time").dt.epoch("s"))
    assert qudao.journeys_from_touchpoints(seconds, c) == reference
    east = datetime.timezone(datetime.timedelta(hours=8))
    zoned = [{**r, "time": r["time"].replace(tzinfo=datetime.timezone.utc).astimezone(east)}
             for r in _touches()]
    assert qudao.journeys_from_touchpoints(zoned, _conversions()) == reference


def test_lookback_and_expired_touches() -> None:
    # A touch 40 days before the conversion is outside the default 30-day window.
    old = [{"customer": "c1", "time": datetime.date(2025, 1, 1), "channel": "A"},
           {"customer": "c1", "time": datetime.date(2025, 2, 9), "channel": "B"}]
    conv = [{"customer": "c1", "time": datetime.date(2025, 2, 10), "value": 5}]
    j = qudao.journeys_from_touchpoints(old, conv)
    assert j.stats["expired_touches"] == 1
    assert (j.total_conversions, j.total_nulls) == (1, 1)
    dropped = qudao.journeys_from_touchpoints(
        old, conv, {"schema_version": 1, "expired_touches": "drop"}
    )
    assert (dropped.total_nulls, dropped.stats["dropped_touches"]) == (0, 1)
    wide = qudao.journeys_from_touchpoints(
        old, conv, qudao.AttributionSettings.from_dict({"schema_version": 1, "lookback_days": 60})
    )
    assert [r["path"] for r in wide.paths().to_pylist()] == ["A > B"]


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "line", "column"),
    [
        ([PATHS[0], {"path": "  ", "conversions": 1}], 2, "path"),
        ([{"path": "A > > B", "conversions": 1}], 1, "path"),
        ([PATHS[0], PATHS[1], {"path": "A", "conversions": -1}], 3, "conversions"),
        ([{"path": "A", "conversions": 1, "value": -5}], 1, "value"),
        ([{"path": "A", "conversions": 1, "nulls": -1}], 1, "nulls"),
        ([{"path": "A", "conversions": 0, "value": 5}], 1, "value"),
        ([{"path": "A", "conversions": 1.5}], 1, "conversions"),
        ([{"path": "A"}], 1, "conversions"),
    ],
)
def test_bad_paths_name_the_row(rows: List[Dict[str, Any]], line: int, column: str) -> None:
    with pytest.raises(qudao.DataError) as info:
        qudao.journeys_from_paths(rows)
    assert (info.value.source, info.value.line, info.value.column) == ("paths", line, column)
    assert isinstance(info.value, ValueError)


def test_bad_tables_name_the_row() -> None:
    frame = pl.DataFrame({"path": ["A", "B"], "conversions": [1, -2]})
    with pytest.raises(qudao.DataError) as info:
        qudao.journeys_from_paths(frame)
    assert (info.value.line, info.value.column, info.value.value) == (2, "conversions", "-2")
    with pytest.raises(qudao.DataError) as info:
        qudao.journeys_from_paths(pl.DataFrame({"path": ["A"], "conversions": [1.0]}))
    assert info.value.column == "conversions"
    with pytest.raises(qudao.DataError) as info:
        qudao.journeys_from_paths(pl.DataFrame({"route": ["A"], "conversions": [1]}))
    assert info.value.column == "path"
    with pytest.raises(qudao.DataError) as info:
        qudao.journeys_from_paths(pl.DataFrame({"path": ["A", None], "conversions": [1, 1]}))
    assert (info.value.line, info.value.column) == (2, "path")


def test_unknown_channels() -> None:
    with pytest.raises(qudao.DataError) as info:
        qudao.journeys_from_paths(PATHS, channels=["A"])
    assert (info.value.line, info.value.column, info.value.value) == (2, "path", "B")
    assert "unknown channel" in str(info.value)
    with pytest.raises(TypeError):
        qudao.journeys_from_paths(PATHS, channels="A")
    with pytest.raises(qudao.ArgumentError):
        qudao.journeys_from_paths(PATHS, channels=["A", "A", "B"])


def test_bad_touchpoints_name_the_table_and_row() -> None:
    touches = _touches()
    touches[3] = {**touches[3], "cost": -1}
    with pytest.raises(qudao.DataError) as info:
        qudao.journeys_from_touchpoints(touches, _conversions())
    assert (info.value.source, info.value.line, info.value.column) == ("touchpoints", 4, "cost")
    conversions = _conversions()
    conversions[1] = {**conversions[1], "value": -100}
    with pytest.raises(qudao.DataError) as info:
        qudao.journeys_from_touchpoints(_touches(), conversions)
    assert (info.value.source, info.value.line, info.value.column) == ("conversions", 2, "value")
    touches = _touches()
    touches[0] = {**touches[0], "channel": " "}
    with pytest.raises(qudao.DataError) as info:
        qudao.journeys_from_touchpoints(touches, _conversions())
    assert (info.value.line, info.value.column) == (1, "channel")
    touches = _touches()
    touches[2] = {**touches[2], "time": "yesterday"}
    with pytest.raises(qudao.DataError) as info:
        qudao.journeys_from_touchpoints(touches, _conversions())
    assert (info.value.line, info.value.column, info.value.value) == (3, "time", "yesterday")
    with pytest.raises(TypeError):
        qudao.journeys_from_touchpoints(_touches()[0], _conversions())
    with pytest.raises(TypeError):
        qudao.journeys_from_touchpoints(_touches(), [("c1", DAY, 100)])


def test_zero_lookback_is_a_rule_error() -> None:
    with pytest.raises(qudao.RuleError) as info:
        qudao.AttributionSettings.from_dict({"schema_version": 1, "lookback_days": 0})
    assert info.value.path == "lookback_days"
    with pytest.raises(qudao.RuleError) as info:
        qudao.journeys_from_touchpoints(
            _touches(), _conversions(), {"schema_version": 1, "lookback_days": 0}
        )
    assert info.value.path == "lookback_days"


# --- settings -----------------------------------------------------------------------------------


def test_settings_round_trip_and_schema() -> None:
    default = qudao.AttributionSettings.default()
    assert default == qudao.AttributionSettings()
    assert default.models == list(qudao.attribution.MODELS)
    doc = default.to_dict()
    assert doc["lookback_days"] == 30
    assert qudao.AttributionSettings.from_dict(doc) == default
    assert qudao.AttributionSettings.from_json(default.to_json()) == default
    toml = 'schema_version = 1\nlookback_days = 14\nmodels = ["markov"]\n[markov]\norder = 2\n'
    parsed = qudao.AttributionSettings.from_toml(toml)
    assert (parsed.lookback_days, parsed.models, parsed.to_dict()["markov"]["order"]) == (
        14,
        ["markov"],
        2,
    )
    yaml = "schema_version: 1\nmodels: [linear]\n"
    assert qudao.AttributionSettings.from_yaml(yaml).models == ["linear"]
    schema = qudao.AttributionSettings.schema()
    assert schema == qudao.AttributionSettings.json_schema()
    assert schema["title"] == "Attribution settings"
    assert "lookback_days" in schema["properties"]
    assert "AttributionSettings" in repr(default)


def test_settings_files(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("schema_version: 1\nlookback_days: 7\n")
    assert qudao.AttributionSettings.from_path(path).lookback_days == 7
    assert qudao.AttributionSettings.from_file(str(path)).lookback_days == 7
    with pytest.raises(qudao.QudaoIOError):
        qudao.AttributionSettings.from_path(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        ({"markov": {"order": 5}}, "markov.order"),
        ({"position": {"first": "0.5", "middle": "0.2", "last": "0.4"}}, "position"),
        ({"models": ["linear", "linear"]}, "models[1]"),
        ({"half_life_days": "0"}, "half_life_days"),
    ],
)
def test_bad_settings_name_the_field(doc: Dict[str, Any], path: str) -> None:
    with pytest.raises(qudao.RuleError) as info:
        qudao.AttributionSettings.from_dict({"schema_version": 1, **doc})
    assert info.value.path == path


def test_models_can_be_chosen(journeys: qudao.Journeys) -> None:
    only = qudao.attribute(journeys, {"schema_version": 1, "models": ["last_touch", "markov"]})
    assert only.models == ["last_touch", "markov"]
    assert only.skipped == []
    assert qudao.attribute(journeys, {"schema_version": 1, "models": ["linear"]}).markov is None
    second = qudao.attribute(journeys, {"schema_version": 1, "markov": {"order": 2}})
    assert second.markov is not None and second.markov.order == 2
    with pytest.raises(TypeError):
        qudao.attribute(PATHS)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        qudao.attribute(journeys, "markov")  # type: ignore[arg-type]


# --- the sample company --------------------------------------------------------------------------


def test_sample_company_journeys() -> None:
    data = qudao.load_csv(SAMPLE)
    journeys = qudao.journeys_from_dataset(data)
    assert journeys.has_times
    assert journeys.currency == "CNY" and journeys.currency_exponent == 2
    assert journeys.total_conversions > 0
    result = qudao.attribute(journeys)
    assert result.currency == "CNY"
    assert result.table.metadata == {"currency": "CNY", "currency_exponent": "2"}
    for model in result.models:
        rows = [r for r in result.to_pylist() if r["model"] == model]
        assert sum(r["conversions"] for r in rows) == result.total_conversions, model
        assert sum(r["value"] for r in rows) == result.total_value, model
    each = qudao.journeys_from_dataset(data, {"schema_version": 1, "conversion": "each_order"})
    assert each.total_conversions >= journeys.total_conversions
    with pytest.raises(TypeError):
        qudao.journeys_from_dataset("testdata/sample")  # type: ignore[arg-type]


# --- plot and docs -------------------------------------------------------------------------------


def test_plot_needs_matplotlib(
    monkeypatch: pytest.MonkeyPatch, result: qudao.AttributionResult
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'qudao\[plot\]'"):
        result.plot()


def test_plot_by_model(result: qudao.AttributionResult) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        ax = result.plot()
        # One bar per model and channel, grouped by channel.
        assert len(ax.patches) == len(result.models) * len(result.channels)
        assert [t.get_text() for t in ax.get_xticklabels()] == result.channels
        assert [t.get_text() for t in ax.get_legend().get_texts()] == result.models
        heights = {round(p.get_height(), 6) for p in ax.patches}
        assert {2.4, 1.6, 3.0, 1.0} <= heights
        _, mine = plt.subplots()
        assert result.plot("value", models=["markov", "linear"], ax=mine) is mine
        assert len(mine.patches) == 4
        with pytest.raises(qudao.ArgumentError):
            result.plot("touches")
        with pytest.raises(qudao.ArgumentError):
            result.plot(models=["time_decay"])
    finally:
        plt.close("all")


def test_module_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = doctest.testmod(qudao.attribution, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
