//! Channel attribution: the settings document, journeys (from aggregated paths, from
//! touchpoints and conversions, from a data set), `attribute` and its result with the Markov
//! chain behind it.
//!
//! Inputs arrive either as JSON text made by the facade from a list of dicts, or as any
//! Arrow-exporting table; both are read column by column into the core's inputs, so a bad
//! cell is a `DataError` naming the argument, the row (1-based) and the column, and what the
//! core finds wrong (empty path, negative value, unknown channel) names the row the same way.
//! Results leave as Arrow tables: money as `Int64` minor units (the currency, when known, and
//! its exponent in the schema metadata), decimals as `Decimal128` at their exact scale.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch, UInt64Array};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use pyo3_arrow::input::AnyRecordBatch;
use qudao::attribution::{self as core, ConversionInput, Model, PathRow, TouchInput};
use qudao::document::RuleDocument;
use qudao::{Location, Timestamp};
use serde_json::{Map, Value};

use crate::columns::{Column, Input, batch, decimal, read_batches, rescaled};
use crate::customer::{format_arg, serde_name};
use crate::json::texts;
use crate::table::Table;
use crate::{Dataset, entry, errors, run};

// --- shared helpers (also used by `economics`) --------------------------------------------

/// A decimal of the core as a mantissa.
macro_rules! mant {
    ($d:expr) => {
        Some(($d.mantissa(), $d.scale()))
    };
}

/// A decimal as `(mantissa, scale)`: what a `Decimal128` column is made of.
pub(crate) type Mantissa = Option<(i128, u32)>;

/// Decimals as `Decimal128(38, s)`, `s` the largest scale of the values and at least
/// `min_scale`: every value exact, none rounded.
pub(crate) fn decimals(values: Vec<Mantissa>, min_scale: u32) -> qudao::Result<ArrayRef> {
    let scale = values
        .iter()
        .flatten()
        .map(|&(_, s)| s)
        .max()
        .unwrap_or(0)
        .max(min_scale);
    let exact = values
        .into_iter()
        .map(|v| v.map(|(m, s)| rescaled(m, s, scale)).transpose())
        .collect::<qudao::Result<Vec<_>>>()?;
    decimal(exact, scale as i8)
}

/// A KPI value as a mantissa (none when missing).
pub(crate) fn kpi_mantissa(v: &qudao::evaluation::KpiValue) -> Mantissa {
    v.value().map(|d| (d.mantissa(), d.scale()))
}

/// `Int64` values.
pub(crate) fn ints(v: Vec<i64>) -> ArrayRef {
    Arc::new(Int64Array::from(v))
}

/// `Int64` values with nulls.
pub(crate) fn opt_ints(v: Vec<Option<i64>>) -> ArrayRef {
    Arc::new(Int64Array::from(v))
}

/// `UInt64` values.
pub(crate) fn counts(v: Vec<u64>) -> ArrayRef {
    Arc::new(UInt64Array::from(v))
}

/// A record batch whose schema metadata carries the currency code and exponent when known.
pub(crate) fn money_batch(
    columns: Vec<Column>,
    currency: Option<&qudao::Currency>,
) -> qudao::Result<RecordBatch> {
    let b = batch(columns, currency.map(|c| c.code.as_str()))?;
    let Some(c) = currency else {
        return Ok(b);
    };
    let mut metadata = b.schema().metadata().clone();
    metadata.insert("currency_exponent".to_owned(), c.exponent.to_string());
    let schema = Schema::new(b.schema().fields().clone()).with_metadata(metadata);
    b.with_schema(Arc::new(schema))
        .map_err(|e| qudao::Error::invalid_argument("table", e.to_string()))
}

// --- inputs -------------------------------------------------------------------------------

/// A data error at a 0-based row of an input.
fn bad(
    source: &str,
    row: usize,
    column: &str,
    value: Option<String>,
    reason: String,
) -> qudao::Error {
    qudao::Error::data(
        Location {
            source: source.to_owned(),
            line: row as u64 + 1,
            column: Some(column.to_owned()),
            value,
        },
        reason,
    )
}

/// An input table: JSON text of a list of objects (from the facade), or Arrow batches.
#[derive(Debug)]
enum Source {
    Json(&'static str, String),
    Arrow(Input),
}

impl Source {
    /// Text is a JSON list made by the facade; anything else must export Arrow. Runs with
    /// the GIL: reading the stream may call back into its Python producer.
    fn from_py(name: &'static str, value: &Bound<'_, PyAny>) -> PyResult<Source> {
        if let Ok(text) = value.cast::<PyString>() {
            return Ok(Source::Json(name, text.to_str()?.to_owned()));
        }
        Ok(Source::Arrow(Input {
            name,
            batches: read_batches(value.extract::<AnyRecordBatch>()?)?,
        }))
    }

    /// The table's columns, read once.
    fn read(self) -> qudao::Result<Columns> {
        match self {
            Source::Arrow(input) => Ok(Columns::Arrow(input)),
            Source::Json(name, text) => {
                let values = crate::json::json_values(name, Some(&text))?;
                let rows = values
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        Value::Object(m) => Ok(m),
                        other => Err(qudao::Error::data(
                            Location {
                                source: name.to_owned(),
                                line: i as u64 + 1,
                                column: None,
                                value: Some(other.to_string()),
                            },
                            "expected an object",
                        )),
                    })
                    .collect::<qudao::Result<Vec<_>>>()?;
                Ok(Columns::Json(name, rows))
            }
        }
    }
}

/// An input table read into memory, column by column on demand.
#[derive(Debug)]
enum Columns {
    Json(&'static str, Vec<Map<String, Value>>),
    Arrow(Input),
}

impl Columns {
    fn name(&self) -> &'static str {
        match self {
            Columns::Json(name, _) => name,
            Columns::Arrow(input) => input.name,
        }
    }

    fn len(&self) -> usize {
        match self {
            Columns::Json(_, rows) => rows.len(),
            Columns::Arrow(input) => input.rows(),
        }
    }

    /// Whether an Arrow table has the column (JSON rows may leave any cell out).
    fn has(&self, column: &str) -> bool {
        match self {
            Columns::Json(_, rows) => rows.iter().any(|r| r.contains_key(column)),
            Columns::Arrow(input) => input
                .batches
                .first()
                .is_some_and(|b| b.schema().column_with_name(column).is_some()),
        }
    }

    /// A JSON cell, null cells as absent.
    fn cell<'a>(row: &'a Map<String, Value>, column: &str) -> Option<&'a Value> {
        row.get(column).filter(|v| !v.is_null())
    }

    /// A required text column.
    fn strings(&self, column: &str) -> qudao::Result<Vec<String>> {
        match self {
            Columns::Arrow(input) => input.strings(column),
            Columns::Json(name, rows) => rows
                .iter()
                .enumerate()
                .map(|(i, r)| match Self::cell(r, column) {
                    Some(Value::String(s)) => Ok(s.clone()),
                    Some(other) => Err(bad(
                        name,
                        i,
                        column,
                        Some(other.to_string()),
                        "expected text".to_owned(),
                    )),
                    None => Err(bad(name, i, column, None, "missing value".to_owned())),
                })
                .collect(),
        }
    }

    /// An integer column; with a `default`, the column (or, in JSON rows, a cell) may be
    /// left out. Floats are refused: money is exact minor units.
    fn ints(&self, column: &str, default: Option<i64>) -> qudao::Result<Vec<i64>> {
        if let Some(d) = default
            && !self.has(column)
        {
            return Ok(vec![d; self.len()]);
        }
        match self {
            Columns::Arrow(input) => input.i64s(column),
            Columns::Json(name, rows) => rows
                .iter()
                .enumerate()
                .map(|(i, r)| match (Self::cell(r, column), default) {
                    (Some(v), _) => v.as_i64().ok_or_else(|| {
                        bad(
                            name,
                            i,
                            column,
                            Some(v.to_string()),
                            "expected an integer".to_owned(),
                        )
                    }),
                    (None, Some(d)) => Ok(d),
                    (None, None) => Err(bad(name, i, column, None, "missing value".to_owned())),
                })
                .collect(),
        }
    }

    /// A time column: Arrow timestamps (any unit; with a zone, the UTC instant), `Date32` and
    /// `Date64` (midnight), integers (seconds since 1970-01-01), or text
    /// (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM`, `YYYY-MM-DDTHH:MM:SS`).
    fn times(&self, column: &str) -> qudao::Result<Vec<Timestamp>> {
        let name = self.name();
        let parse = |i: usize, text: &str| {
            Timestamp::parse(text.trim().as_bytes()).map_err(|e| {
                bad(
                    name,
                    i,
                    column,
                    Some(text.to_owned()),
                    format!("not a time: {e}"),
                )
            })
        };
        match self {
            Columns::Json(_, rows) => rows
                .iter()
                .enumerate()
                .map(|(i, r)| match Self::cell(r, column) {
                    Some(Value::String(s)) => parse(i, s),
                    Some(v) => v.as_i64().map(Timestamp).ok_or_else(|| {
                        bad(
                            name,
                            i,
                            column,
                            Some(v.to_string()),
                            "expected a time or seconds since 1970-01-01".to_owned(),
                        )
                    }),
                    None => Err(bad(name, i, column, None, "missing value".to_owned())),
                })
                .collect(),
            Columns::Arrow(input) => {
                let kind = input.batches.first().and_then(|b| {
                    b.schema()
                        .column_with_name(column)
                        .map(|(_, f)| f.data_type().clone())
                });
                match kind {
                    None => input.strings(column).map(|_| Vec::new()),
                    Some(
                        DataType::Utf8
                        | DataType::LargeUtf8
                        | DataType::Utf8View
                        | DataType::Dictionary(_, _),
                    ) => input
                        .strings(column)?
                        .iter()
                        .enumerate()
                        .map(|(i, t)| parse(i, t))
                        .collect(),
                    Some(DataType::Timestamp(..) | DataType::Date32 | DataType::Date64) => {
                        arrow_times(input, column)
                    }
                    Some(_) => Ok(input.i64s(column)?.into_iter().map(Timestamp).collect()),
                }
            }
        }
    }
}

/// Seconds since 1970-01-01 of a timestamp or date column; nulls are errors.
fn arrow_times(input: &Input, column: &str) -> qudao::Result<Vec<Timestamp>> {
    let mut out = Vec::with_capacity(input.rows());
    for b in &input.batches {
        let start = out.len();
        let Some(a) = b.column_by_name(column) else {
            return Err(bad(
                input.name,
                start,
                column,
                None,
                "missing column".to_owned(),
            ));
        };
        if let Some(i) = (0..a.len()).find(|&i| a.is_null(i)) {
            return Err(bad(
                input.name,
                start + i,
                column,
                None,
                "missing value".to_owned(),
            ));
        }
        macro_rules! push {
            ($t:ty, $per_second:expr) => {
                out.extend(
                    a.as_primitive::<$t>()
                        .values()
                        .iter()
                        .map(|&v| Timestamp(i64::from(v).div_euclid($per_second))),
                )
            };
        }
        match a.data_type() {
            DataType::Timestamp(TimeUnit::Second, _) => push!(TimestampSecondType, 1),
            DataType::Timestamp(TimeUnit::Millisecond, _) => {
                push!(TimestampMillisecondType, 1_000)
            }
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                push!(TimestampMicrosecondType, 1_000_000)
            }
            DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                push!(TimestampNanosecondType, 1_000_000_000)
            }
            DataType::Date32 => out.extend(
                a.as_primitive::<Date32Type>()
                    .values()
                    .iter()
                    .map(|&d| Timestamp(i64::from(d) * 86_400)),
            ),
            DataType::Date64 => push!(Date64Type, 1_000),
            other => {
                return Err(bad(
                    input.name,
                    start,
                    column,
                    None,
                    format!("expected a time column, found {other}"),
                ));
            }
        }
    }
    Ok(out)
}

/// The paths table: `path`, `conversions`, optional `value` and `nulls` (default 0).
fn path_journeys(source: Source, channels: Option<Vec<String>>) -> qudao::Result<core::Journeys> {
    let t = source.read()?;
    let path = t.strings("path")?;
    let conversions = t.ints("conversions", None)?;
    let value = t.ints("value", Some(0))?;
    let nulls = t.ints("nulls", Some(0))?;
    let rows: Vec<PathRow<'_>> = path
        .iter()
        .zip(&conversions)
        .zip(&value)
        .zip(&nulls)
        .map(|(((path, &conversions), &value), &nulls)| PathRow {
            path,
            conversions,
            value,
            nulls,
        })
        .collect();
    let channels: Option<Vec<&str>> = channels
        .as_ref()
        .map(|c| c.iter().map(String::as_str).collect());
    core::Journeys::from_paths(&rows, channels.as_deref())
}

/// Touchpoints (`customer`, `time`, `channel`, optional `cost`) and conversions (`customer`,
/// `time`, optional `value`).
fn touch_journeys(
    touchpoints: Source,
    conversions: Source,
    options: &core::JourneyOptions,
) -> qudao::Result<core::Journeys> {
    let t = touchpoints.read()?;
    let t_customer = t.strings("customer")?;
    let t_time = t.times("time")?;
    let t_channel = t.strings("channel")?;
    let t_cost = t.ints("cost", Some(0))?;
    let c = conversions.read()?;
    let c_customer = c.strings("customer")?;
    let c_time = c.times("time")?;
    let c_value = c.ints("value", Some(0))?;
    let touches: Vec<TouchInput<'_>> = (0..t_customer.len())
        .map(|i| TouchInput {
            customer: &t_customer[i],
            time: t_time[i],
            channel: &t_channel[i],
            cost: t_cost[i],
        })
        .collect();
    let convs: Vec<ConversionInput<'_>> = (0..c_customer.len())
        .map(|i| ConversionInput {
            customer: &c_customer[i],
            time: c_time[i],
            value: c_value[i],
        })
        .collect();
    core::Journeys::from_touchpoints(&touches, &convs, options)
}

// --- settings -----------------------------------------------------------------------------

/// Attribution settings (immutable, validated).
#[pyclass(frozen, module = "qudao._native", name = "AttributionSettings")]
#[derive(Debug)]
pub struct AttributionSettings {
    inner: Arc<core::AttributionSettings>,
}

fn settings_of(s: Option<PyRef<'_, AttributionSettings>>) -> Arc<core::AttributionSettings> {
    s.map_or_else(
        || Arc::new(core::AttributionSettings::default()),
        |s| Arc::clone(&s.inner),
    )
}

#[pymethods]
impl AttributionSettings {
    /// Parse and validate attribution settings from `json`, `toml` or `yaml` text.
    #[staticmethod]
    fn parse(py: Python<'_>, text: String, format: &str) -> PyResult<AttributionSettings> {
        entry(py, || {
            let format = format_arg(format).map_err(|e| errors::to_pyerr(py, e))?;
            let inner = run(py, move || core::AttributionSettings::parse(&text, format))?;
            Ok(AttributionSettings {
                inner: Arc::new(inner),
            })
        })
    }

    /// Read attribution settings from a file (`.json`, `.toml`, `.yaml`/`.yml`).
    #[staticmethod]
    fn from_path(py: Python<'_>, path: PathBuf) -> PyResult<AttributionSettings> {
        entry(py, || {
            let inner = run(py, move || core::AttributionSettings::from_path(&path))?;
            Ok(AttributionSettings {
                inner: Arc::new(inner),
            })
        })
    }

    /// The defaults: lookback 30 days, every model.
    #[staticmethod]
    fn defaults() -> AttributionSettings {
        AttributionSettings {
            inner: Arc::new(core::AttributionSettings::default()),
        }
    }

    /// The JSON Schema of the document, as JSON text.
    #[staticmethod]
    fn json_schema() -> String {
        <core::AttributionSettings as RuleDocument>::json_schema()
    }

    /// The document as JSON text.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The models that run, in order.
    #[getter]
    fn models(&self) -> Vec<&'static str> {
        self.inner.models.iter().map(|m| m.as_str()).collect()
    }

    /// The lookback window in days.
    #[getter]
    fn lookback_days(&self) -> u32 {
        self.inner.lookback_days
    }

    fn __repr__(&self) -> String {
        format!(
            "<qudao AttributionSettings: lookback {} days, Markov order {}, models {}>",
            self.inner.lookback_days,
            self.inner.markov.order,
            self.models().join(", "),
        )
    }
}

// --- journeys -----------------------------------------------------------------------------

/// A canonical journey set (immutable).
#[pyclass(frozen, module = "qudao._native", name = "Journeys")]
#[derive(Debug)]
pub struct Journeys {
    inner: Arc<core::Journeys>,
    currency: Option<qudao::Currency>,
}

#[pymethods]
impl Journeys {
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __eq__(&self, other: &Journeys) -> bool {
        self.inner == other.inner
    }

    /// The channels, in name order.
    #[getter]
    fn channels(&self) -> Vec<String> {
        self.inner.channels().to_vec()
    }

    /// Conversions in the journeys.
    #[getter]
    fn total_conversions(&self) -> u64 {
        self.inner.total_conversions()
    }

    /// Conversion value, minor units.
    #[getter]
    fn total_value(&self) -> i64 {
        self.inner.total_value()
    }

    /// Null journeys, counted.
    #[getter]
    fn total_nulls(&self) -> u64 {
        self.inner.total_nulls()
    }

    /// Whether the touches carry times (built from touchpoints or a data set).
    #[getter]
    fn has_times(&self) -> bool {
        self.inner.has_times()
    }

    /// ISO 4217 code of the values, when known (journeys of a data set).
    #[getter]
    fn currency(&self) -> Option<String> {
        self.currency.as_ref().map(|c| c.code.clone())
    }

    /// Decimals of the currency, when known.
    #[getter]
    fn currency_exponent(&self) -> Option<u8> {
        self.currency.as_ref().map(|c| c.exponent)
    }

    /// How the journeys were built: touches and conversions read, journeys built, null
    /// journeys, expired and dropped touches, unattributed conversions and value.
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        entry(py, || stats_dict(py, self.inner.stats()))
    }

    /// Touch cost per channel, minor units (journeys from touchpoints; zero otherwise).
    #[getter]
    fn touch_cost(&self) -> HashMap<String, i64> {
        self.inner
            .channels()
            .iter()
            .cloned()
            .zip(self.inner.touch_cost().iter().copied())
            .collect()
    }

    /// The journeys as aggregated paths: `path`, `conversions`, `value`, `nulls`.
    fn paths(&self, py: Python<'_>) -> PyResult<Table> {
        entry(py, || {
            let j = Arc::clone(&self.inner);
            let currency = self.currency.clone();
            run(py, move || {
                let p = j.to_path_records();
                let columns: Vec<Column> = vec![
                    (
                        "path",
                        texts(p.iter().map(|r| r.path.as_str()).collect()),
                        false,
                    ),
                    (
                        "conversions",
                        counts(p.iter().map(|r| r.conversions).collect()),
                        false,
                    ),
                    ("value", ints(p.iter().map(|r| r.value).collect()), false),
                    ("nulls", counts(p.iter().map(|r| r.nulls).collect()), false),
                ];
                Ok(Table::from_batch(money_batch(columns, currency.as_ref())?))
            })
        })
    }

    /// The same journeys without touch times (what the same journeys given as paths give).
    fn without_times(&self, py: Python<'_>) -> PyResult<Journeys> {
        entry(py, || {
            let j = Arc::clone(&self.inner);
            let inner = run(py, move || Ok(j.without_times()))?;
            Ok(Journeys {
                inner: Arc::new(inner),
                currency: self.currency.clone(),
            })
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "<qudao Journeys: {} journeys over {} channels, {} conversions, {} nulls{}>",
            self.inner.len(),
            self.inner.channels().len(),
            self.inner.total_conversions(),
            self.inner.total_nulls(),
            if self.inner.has_times() {
                ", timed"
            } else {
                ""
            },
        )
    }
}

fn stats_dict<'py>(py: Python<'py>, s: &core::JourneyStats) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("touches_read", s.touches_read)?;
    d.set_item("conversions_read", s.conversions_read)?;
    d.set_item("journeys_built", s.journeys_built)?;
    d.set_item("null_journeys", s.null_journeys)?;
    d.set_item("expired_touches", s.expired_touches)?;
    d.set_item("dropped_touches", s.dropped_touches)?;
    d.set_item("unattributed_conversions", s.unattributed_conversions)?;
    d.set_item("unattributed_value", s.unattributed_value)?;
    Ok(d)
}

/// A currency argument: a code and an optional exponent.
fn currency_arg(
    code: Option<String>,
    exponent: Option<u8>,
) -> qudao::Result<Option<qudao::Currency>> {
    match (code, exponent) {
        (None, None) => Ok(None),
        (Some(c), None) => qudao::Currency::from_code(&c).map(Some),
        (Some(c), Some(e)) => qudao::Currency::new(&c, e).map(Some),
        (None, Some(_)) => Err(qudao::Error::invalid_argument(
            "currency_exponent",
            "given without a currency code",
        )),
    }
}

/// Journeys from aggregated paths (`a > b > c`, conversions, value, nulls).
#[pyfunction]
#[pyo3(signature = (paths, channels = None, *, currency = None, currency_exponent = None))]
fn journeys_from_paths(
    py: Python<'_>,
    paths: Bound<'_, PyAny>,
    channels: Option<Vec<String>>,
    currency: Option<String>,
    currency_exponent: Option<u8>,
) -> PyResult<Journeys> {
    entry(py, || {
        let source = Source::from_py("paths", &paths)?;
        let (inner, currency) = run(py, move || {
            let currency = currency_arg(currency, currency_exponent)?;
            Ok((path_journeys(source, channels)?, currency))
        })?;
        Ok(Journeys {
            inner: Arc::new(inner),
            currency,
        })
    })
}

/// Journeys from touchpoints and conversions, cut by the settings' lookback window.
#[pyfunction]
#[pyo3(signature = (touchpoints, conversions, settings = None, *, currency = None, currency_exponent = None))]
fn journeys_from_touchpoints(
    py: Python<'_>,
    touchpoints: Bound<'_, PyAny>,
    conversions: Bound<'_, PyAny>,
    settings: Option<PyRef<'_, AttributionSettings>>,
    currency: Option<String>,
    currency_exponent: Option<u8>,
) -> PyResult<Journeys> {
    entry(py, || {
        let t = Source::from_py("touchpoints", &touchpoints)?;
        let c = Source::from_py("conversions", &conversions)?;
        let settings = settings_of(settings);
        let (inner, currency) = run(py, move || {
            let currency = currency_arg(currency, currency_exponent)?;
            Ok((touch_journeys(t, c, &settings.journey_options())?, currency))
        })?;
        Ok(Journeys {
            inner: Arc::new(inner),
            currency,
        })
    })
}

/// Journeys of a data set: its touchpoints, and its orders as conversions.
#[pyfunction]
#[pyo3(signature = (dataset, settings = None))]
fn journeys_from_dataset(
    py: Python<'_>,
    dataset: PyRef<'_, Dataset>,
    settings: Option<PyRef<'_, AttributionSettings>>,
) -> PyResult<Journeys> {
    entry(py, || {
        let data = Arc::clone(&dataset.inner);
        let settings = settings_of(settings);
        let inner = run(py, {
            let data = Arc::clone(&data);
            move || core::Journeys::from_dataset(&data, &settings.journey_options())
        })?;
        Ok(Journeys {
            inner: Arc::new(inner),
            currency: Some(data.currency().clone()),
        })
    })
}

// --- results ------------------------------------------------------------------------------

/// The models' attribution over a journey set (immutable).
#[pyclass(frozen, module = "qudao._native", name = "Attribution")]
#[derive(Debug)]
pub struct Attribution {
    pub(crate) inner: Arc<core::Attribution>,
    table: Table,
    currency: Option<qudao::Currency>,
}

/// The long table: one row per (model, channel).
fn attribution_batch(
    a: &core::Attribution,
    currency: Option<&qudao::Currency>,
) -> qudao::Result<RecordBatch> {
    let rows = a.rows();
    let columns: Vec<Column> = vec![
        (
            "model",
            texts(rows.iter().map(|r| r.model.as_str()).collect()),
            false,
        ),
        (
            "channel",
            texts(rows.iter().map(|r| r.channel.as_str()).collect()),
            false,
        ),
        (
            "conversions",
            decimals(
                rows.iter().map(|r| mant!(r.conversions)).collect(),
                core::CONVERSION_DECIMALS,
            )?,
            false,
        ),
        ("value", ints(rows.iter().map(|r| r.value).collect()), false),
        (
            "touches",
            counts(rows.iter().map(|r| r.touches).collect()),
            false,
        ),
        (
            "basis",
            decimals(rows.iter().map(|r| mant!(r.basis)).collect(), 12)?,
            false,
        ),
        (
            "value_basis",
            decimals(rows.iter().map(|r| mant!(r.value_basis)).collect(), 12)?,
            false,
        ),
    ];
    money_batch(columns, currency)
}

impl Attribution {
    fn new(a: core::Attribution, currency: Option<qudao::Currency>) -> qudao::Result<Attribution> {
        let table = Table::from_batch(attribution_batch(&a, currency.as_ref())?);
        Ok(Attribution {
            inner: Arc::new(a),
            table,
            currency,
        })
    }

    /// The attributed value per channel of one model (for budget reallocation).
    pub(crate) fn values_of(&self, model: &str) -> qudao::Result<Vec<(String, i64)>> {
        let m = Model::parse(model).ok_or_else(|| {
            let known: Vec<&str> = Model::ALL.iter().map(|m| m.as_str()).collect();
            qudao::Error::invalid_argument(
                "model",
                format!("{model:?} is not one of {}", known.join(", ")),
            )
        })?;
        let r = self.inner.model(m).ok_or_else(|| {
            qudao::Error::invalid_argument(
                "model",
                format!("`{m}` did not run in this attribution"),
            )
        })?;
        Ok(r.channels
            .iter()
            .map(|c| (c.channel.clone(), c.value))
            .collect())
    }
}

#[pymethods]
impl Attribution {
    /// One row per (model, channel): models in run order, channels in name order.
    #[getter]
    fn table(&self) -> Table {
        self.table.clone()
    }

    /// The channels, in name order.
    #[getter]
    fn channels(&self) -> Vec<String> {
        self.inner.channels.clone()
    }

    /// The models that ran, in order.
    #[getter]
    fn models(&self) -> Vec<&'static str> {
        self.inner.models.iter().map(|m| m.model.as_str()).collect()
    }

    /// Conversions in the journeys.
    #[getter]
    fn total_conversions(&self) -> u64 {
        self.inner.total_conversions
    }

    /// Conversion value in the journeys, minor units.
    #[getter]
    fn total_value(&self) -> i64 {
        self.inner.total_value
    }

    /// Null journeys, counted.
    #[getter]
    fn total_nulls(&self) -> u64 {
        self.inner.total_nulls
    }

    /// ISO 4217 code of the values, when known.
    #[getter]
    fn currency(&self) -> Option<String> {
        self.currency.as_ref().map(|c| c.code.clone())
    }

    /// Decimals of the currency, when known.
    #[getter]
    fn currency_exponent(&self) -> Option<u8> {
        self.currency.as_ref().map(|c| c.exponent)
    }

    /// How the journeys were built (as `Journeys.stats`).
    #[getter]
    fn journey_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        entry(py, || stats_dict(py, &self.inner.journeys))
    }

    /// `(model, explanation)` of every model that ran, in order.
    fn explanations(&self) -> Vec<(&'static str, String)> {
        self.inner
            .models
            .iter()
            .map(|m| (m.model.as_str(), m.explanation.clone()))
            .collect()
    }

    /// `(model, reason)` of every model asked for that could not run.
    fn skipped(&self) -> Vec<(&'static str, String)> {
        self.inner
            .skipped
            .iter()
            .map(|s| (s.model.as_str(), s.reason.clone()))
            .collect()
    }

    /// The Markov chain, when the Markov model ran.
    #[getter]
    fn markov(&self) -> Option<MarkovReport> {
        self.inner.markov.clone().map(|m| MarkovReport {
            inner: Arc::new(m),
            currency: self.currency.clone(),
        })
    }

    /// The Shapley values (`channel`, `conversions`, `value` in minor units), when the
    /// Shapley model ran.
    fn shapley_values(&self, py: Python<'_>) -> PyResult<Option<Table>> {
        entry(py, || {
            let Some(s) = &self.inner.shapley else {
                return Ok(None);
            };
            let v = &s.values;
            let columns: Vec<Column> = vec![
                (
                    "channel",
                    texts(v.iter().map(|x| x.channel.as_str()).collect()),
                    false,
                ),
                (
                    "conversions",
                    decimals(
                        v.iter()
                            .map(|x| Some((x.conversions.mantissa(), x.conversions.scale())))
                            .collect(),
                        12,
                    )
                    .map_err(|e| errors::to_pyerr(py, e))?,
                    false,
                ),
                (
                    "value",
                    decimals(
                        v.iter()
                            .map(|x| Some((x.value.mantissa(), x.value.scale())))
                            .collect(),
                        6,
                    )
                    .map_err(|e| errors::to_pyerr(py, e))?,
                    false,
                ),
            ];
            let b = money_batch(columns, self.currency.as_ref())
                .map_err(|e| errors::to_pyerr(py, e))?;
            Ok(Some(Table::from_batch(b)))
        })
    }

    /// The whole result as JSON text (decimals as strings, money in minor units).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&*self.inner))
    }

    fn __repr__(&self) -> String {
        format!(
            "<qudao Attribution: {} models over {} channels, {} conversions, {} nulls{}>",
            self.inner.models.len(),
            self.inner.channels.len(),
            self.inner.total_conversions,
            self.inner.total_nulls,
            if self.inner.skipped.is_empty() {
                String::new()
            } else {
                format!(", {} skipped", self.inner.skipped.len())
            },
        )
    }
}

/// The Markov chain behind a Markov attribution (immutable).
#[pyclass(frozen, module = "qudao._native", name = "MarkovReport")]
#[derive(Debug)]
pub struct MarkovReport {
    inner: Arc<core::MarkovReport>,
    currency: Option<qudao::Currency>,
}

/// Name of the start state and the absorbing states, as the core writes them.
const START: &str = "(start)";
const CONVERSION: &str = "(conversion)";
const NULL: &str = "(null)";

#[pymethods]
impl MarkovReport {
    /// Order of the chain.
    #[getter]
    fn order(&self) -> u8 {
        self.inner.order
    }

    /// How consecutive repeats were read: `collapse` or `keep`.
    #[getter]
    fn repeats(&self) -> String {
        serde_name!(&self.inner.repeats)
    }

    /// The transient states (`a`, or `a > b` at higher orders), in name order.
    #[getter]
    fn states(&self) -> Vec<String> {
        self.inner.states.clone()
    }

    /// Probability that a journey converts, exact decimal text (12 decimals).
    #[getter]
    fn conversion_probability(&self) -> String {
        self.inner.conversion_probability.to_string()
    }

    /// Expected conversion value per journey, minor units, exact decimal text.
    #[getter]
    fn expected_value(&self) -> String {
        self.inner.expected_value.to_string()
    }

    /// Gauss–Seidel sweeps of the slowest solve.
    #[getter]
    fn sweeps(&self) -> u32 {
        self.inner.sweeps
    }

    /// Per channel: `conversion_probability` without it, `removal_effect`,
    /// `expected_value` without it (minor units) and `value_removal_effect`.
    fn removal_effects(&self, py: Python<'_>) -> PyResult<Table> {
        entry(py, || {
            let b = removals_batch(&self.inner, self.currency.as_ref())
                .map_err(|e| errors::to_pyerr(py, e))?;
            Ok(Table::from_batch(b))
        })
    }

    /// Every transition seen: `from`, `to`, `count`, `probability` (12 decimals).
    fn transitions(&self, py: Python<'_>) -> PyResult<Table> {
        entry(py, || {
            let b = transitions_batch(&self.inner).map_err(|e| errors::to_pyerr(py, e))?;
            Ok(Table::from_batch(b))
        })
    }

    /// The transition matrix: one row per state the chain leaves (`(start)`, then the
    /// transient states), column `from`, then one column per state it can reach (the
    /// transient states, `(conversion)`, `(null)`) holding the probability (12 decimals; 0
    /// where no journey made the step).
    fn transition_matrix(&self, py: Python<'_>) -> PyResult<Table> {
        entry(py, || {
            let b = matrix_batch(&self.inner).map_err(|e| errors::to_pyerr(py, e))?;
            Ok(Table::from_batch(b))
        })
    }

    /// The whole report as JSON text.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&*self.inner))
    }

    fn __repr__(&self) -> String {
        format!(
            "<qudao MarkovReport: order {}, {} states, {} transitions, conversion probability {}>",
            self.inner.order,
            self.inner.states.len(),
            self.inner.transitions.len(),
            self.inner.conversion_probability,
        )
    }
}

fn removals_batch(
    r: &core::MarkovReport,
    currency: Option<&qudao::Currency>,
) -> qudao::Result<RecordBatch> {
    let r = &r.removals;
    let columns: Vec<Column> = vec![
        (
            "channel",
            texts(r.iter().map(|x| x.channel.as_str()).collect()),
            false,
        ),
        (
            "conversion_probability",
            decimals(
                r.iter().map(|x| mant!(x.conversion_probability)).collect(),
                12,
            )?,
            false,
        ),
        (
            "removal_effect",
            decimals(r.iter().map(|x| mant!(x.removal_effect)).collect(), 12)?,
            false,
        ),
        (
            "expected_value",
            decimals(r.iter().map(|x| mant!(x.expected_value)).collect(), 6)?,
            false,
        ),
        (
            "value_removal_effect",
            decimals(
                r.iter().map(|x| mant!(x.value_removal_effect)).collect(),
                12,
            )?,
            false,
        ),
    ];
    money_batch(columns, currency)
}

fn transitions_batch(r: &core::MarkovReport) -> qudao::Result<RecordBatch> {
    let t = &r.transitions;
    let columns: Vec<Column> = vec![
        (
            "from",
            texts(t.iter().map(|x| x.from.as_str()).collect()),
            false,
        ),
        (
            "to",
            texts(t.iter().map(|x| x.to.as_str()).collect()),
            false,
        ),
        ("count", counts(t.iter().map(|x| x.count).collect()), false),
        (
            "probability",
            decimals(t.iter().map(|x| mant!(x.probability)).collect(), 12)?,
            false,
        ),
    ];
    batch(columns, None)
}

fn matrix_batch(r: &core::MarkovReport) -> qudao::Result<RecordBatch> {
    let from: Vec<&str> = std::iter::once(START)
        .chain(r.states.iter().map(String::as_str))
        .collect();
    let to: Vec<&str> = r
        .states
        .iter()
        .map(String::as_str)
        .chain([CONVERSION, NULL])
        .collect();
    let p: HashMap<(&str, &str), (i128, u32)> = r
        .transitions
        .iter()
        .map(|t| {
            (
                (t.from.as_str(), t.to.as_str()),
                (t.probability.mantissa(), t.probability.scale()),
            )
        })
        .collect();
    let mut fields = vec![Field::new("from", DataType::Utf8, false)];
    let mut arrays: Vec<ArrayRef> = vec![texts(from.clone())];
    for &target in &to {
        let a = decimals(
            from.iter()
                .map(|&f| Some(p.get(&(f, target)).copied().unwrap_or((0, 12))))
                .collect(),
            12,
        )?;
        fields.push(Field::new(target, a.data_type().clone(), false));
        arrays.push(a);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
        .map_err(|e| qudao::Error::invalid_argument("table", e.to_string()))
}

/// Run the models the settings name (default: every model with its defaults).
#[pyfunction]
#[pyo3(signature = (journeys, settings = None))]
fn attribute(
    py: Python<'_>,
    journeys: PyRef<'_, Journeys>,
    settings: Option<PyRef<'_, AttributionSettings>>,
) -> PyResult<Attribution> {
    entry(py, || {
        let j = Arc::clone(&journeys.inner);
        let currency = journeys.currency.clone();
        let settings = settings_of(settings);
        run(py, move || {
            Attribution::new(core::attribute(&j, &settings)?, currency)
        })
    })
}

/// Register the classes and functions of this module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<AttributionSettings>()?;
    m.add_class::<Journeys>()?;
    m.add_class::<Attribution>()?;
    m.add_class::<MarkovReport>()?;
    m.add_function(wrap_pyfunction!(journeys_from_paths, m)?)?;
    m.add_function(wrap_pyfunction!(journeys_from_touchpoints, m)?)?;
    m.add_function(wrap_pyfunction!(journeys_from_dataset, m)?)?;
    m.add_function(wrap_pyfunction!(attribute, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use arrow_array::{Date32Array, StringArray, TimestampMillisecondArray};

    use super::*;

    fn json(name: &'static str, text: &str) -> Source {
        Source::Json(name, text.to_owned())
    }

    fn location(e: qudao::Error) -> (String, u64, Option<String>) {
        match e {
            qudao::Error::Data { location, .. } => {
                (location.source, location.line, location.column)
            }
            other => panic!("unexpected {other}"),
        }
    }

    const ISSUE: &str = r#"[{"path": "A", "conversions": 2, "value": 200, "nulls": 1},
        {"path": "B", "conversions": 1, "value": 100},
        {"path": "A > B", "conversions": 1, "value": 100, "nulls": null}]"#;

    #[test]
    fn the_issue_case_from_json_rows() {
        let j = path_journeys(json("paths", ISSUE), None).expect("journeys");
        assert_eq!(
            (j.total_conversions(), j.total_nulls(), j.total_value()),
            (4, 1, 400)
        );
        let a = core::attribute(&j, &core::AttributionSettings::default()).expect("attribution");
        let m = a.markov.as_ref().expect("markov");
        assert_eq!(m.conversion_probability.to_string(), "0.800000000000");
        let b = attribution_batch(&a, None).expect("batch");
        assert_eq!(b.num_rows(), a.rows().len());
        assert_eq!(
            *b.schema().field(2).data_type(),
            DataType::Decimal128(38, 6)
        );
    }

    #[test]
    fn bad_path_rows_name_the_row() {
        let e = path_journeys(
            json(
                "paths",
                r#"[{"path": "A", "conversions": 1}, {"path": " ", "conversions": 1}]"#,
            ),
            None,
        )
        .expect_err("empty path");
        assert_eq!(location(e), ("paths".into(), 2, Some("path".into())));
        let e = path_journeys(
            json("paths", r#"[{"path": "A", "conversions": 1.5}]"#),
            None,
        )
        .expect_err("a float");
        assert_eq!(location(e), ("paths".into(), 1, Some("conversions".into())));
        let e = path_journeys(json("paths", r#"[{"path": "A"}]"#), None).expect_err("missing");
        assert_eq!(location(e), ("paths".into(), 1, Some("conversions".into())));
        let e = path_journeys(
            json("paths", r#"[{"path": "A > C", "conversions": 1}]"#),
            Some(vec!["A".into(), "B".into()]),
        )
        .expect_err("unknown channel");
        assert_eq!(location(e).1, 1);
    }

    #[test]
    fn times_from_arrow_text_and_json() {
        let b = RecordBatch::try_from_iter(vec![
            (
                "customer",
                Arc::new(StringArray::from(vec!["c1", "c1"])) as ArrayRef,
            ),
            (
                "time",
                Arc::new(TimestampMillisecondArray::from(vec![
                    86_400_000, 86_401_999,
                ])) as ArrayRef,
            ),
            ("day", Arc::new(Date32Array::from(vec![1, 2])) as ArrayRef),
            (
                "text",
                Arc::new(StringArray::from(vec!["1970-01-02", "1970-01-02T00:00:01"])) as ArrayRef,
            ),
        ])
        .expect("batch");
        let t = Columns::Arrow(Input {
            name: "touchpoints",
            batches: vec![b],
        });
        let secs = |v: Vec<Timestamp>| v.into_iter().map(|t| t.0).collect::<Vec<_>>();
        assert_eq!(secs(t.times("time").expect("ms")), [86_400, 86_401]);
        assert_eq!(secs(t.times("day").expect("days")), [86_400, 172_800]);
        assert_eq!(secs(t.times("text").expect("text")), [86_400, 86_401]);
        assert_eq!(t.ints("cost", Some(0)).expect("default"), [0, 0]);
        let e = t.times("customer").expect_err("not a time");
        assert_eq!(
            location(e),
            ("touchpoints".into(), 1, Some("customer".into()))
        );
        let j = json(
            "conversions",
            r#"[{"time": "1970-01-02"}, {"time": 5}, {"time": true}]"#,
        )
        .read()
        .expect("rows");
        let e = j.times("time").expect_err("a bool");
        assert_eq!(location(e), ("conversions".into(), 3, Some("time".into())));
    }

    #[test]
    fn touchpoints_and_paths_agree() {
        let touches = json(
            "touchpoints",
            r#"[{"customer": "c1", "time": "2025-01-01T10:00:00", "channel": "A", "cost": 5},
                {"customer": "c2", "time": "2025-01-01T10:00:00", "channel": "B"}]"#,
        );
        let convs = json(
            "conversions",
            r#"[{"customer": "c1", "time": "2025-01-02", "value": 100},
                {"customer": "c2", "time": "2025-01-02", "value": 50}]"#,
        );
        let j = touch_journeys(touches, convs, &core::JourneyOptions::default()).expect("journeys");
        let p = path_journeys(
            json(
                "paths",
                r#"[{"path": "A", "conversions": 1, "value": 100},
                    {"path": "B", "conversions": 1, "value": 50}]"#,
            ),
            None,
        )
        .expect("paths");
        assert_eq!(j.without_times(), p);
        assert_eq!(j.touch_cost(), [5, 0]);
    }

    #[test]
    fn the_matrix_has_a_column_per_target() {
        Python::initialize();
        Python::attach(|py| {
            let j = path_journeys(json("paths", ISSUE), None).expect("journeys");
            let a =
                core::attribute(&j, &core::AttributionSettings::default()).expect("attribution");
            let r = MarkovReport {
                inner: Arc::new(a.markov.expect("markov")),
                currency: None,
            };
            let m = matrix_batch(&r.inner).expect("matrix");
            let names: Vec<&str> = m
                .schema_ref()
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect();
            assert_eq!(names, ["from", "A", "B", "(conversion)", "(null)"]);
            assert_eq!(m.num_rows(), 3);
            assert!(r.transitions(py).is_ok() && r.removal_effects(py).is_ok());
        });
    }
}
