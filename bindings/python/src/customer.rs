//! The customer side of issue 3: the per-customer summary, RFM segment schemes and RFM
//! scores. Translation only: arguments are checked and converted, the core computes (with the
//! GIL released), and results come back as Arrow tables.

use std::sync::{Arc, OnceLock};

use arrow_array::types::UInt32Type;
use arrow_array::{
    ArrayRef, Date32Array, DictionaryArray, Float64Array, Int64Array, StringArray, UInt32Array,
    UInt64Array,
};
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDict, PyList};
use qudao::customer::{CustomerOptions, Frequency, TimeUnit};
use qudao::document::{Format, RuleDocument};

use crate::columns::{Column, decimal, money, table};
use crate::table::Table;
use crate::{Dataset, entry, errors, run};

/// The error for a bad argument, as the core would report it.
pub(crate) fn arg_err(py: Python<'_>, name: &str, message: impl Into<String>) -> PyErr {
    errors::to_pyerr(py, qudao::Error::invalid_argument(name, message))
}

/// A document format by name (`json`, `toml`, `yaml`).
pub(crate) fn format_arg(format: &str) -> qudao::Result<Format> {
    Format::parse(format).ok_or_else(|| {
        qudao::Error::invalid_argument(
            "format",
            format!("{format:?} is not one of json, toml, yaml"),
        )
    })
}

/// The snake_case name serde gives a unit enum value (`distinct_orders`, `earn`, …): the
/// names of the core's documents and JSON, kept in step with it. A macro, so the type needs
/// no `Serialize` bound here (this crate does not depend on serde itself).
macro_rules! serde_name {
    ($value:expr) => {
        match serde_json::to_value($value) {
            Ok(serde_json::Value::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(e) => e.to_string(),
        }
    };
}
pub(crate) use serde_name;

/// A `datetime.date` from a core date.
pub(crate) fn py_date(py: Python<'_>, d: qudao::Date) -> PyResult<Bound<'_, PyDate>> {
    let (y, m, day) = d.ymd();
    // Month and day are 1..=12 and 1..=31 by construction.
    PyDate::new(py, y, m as u8, day as u8)
}

fn time_unit(name: &str, text: &str) -> qudao::Result<TimeUnit> {
    TimeUnit::parse(text).ok_or_else(|| {
        qudao::Error::invalid_argument(name, format!("{text:?} is not one of day, week"))
    })
}

/// The per-customer summary of a data set as of a date (immutable).
#[pyclass(frozen, module = "qudao._native", name = "CustomerSummary")]
#[derive(Debug)]
pub struct CustomerSummary {
    pub(crate) data: Arc<qudao::Dataset>,
    pub(crate) inner: Arc<qudao::customer::CustomerSummary>,
}

impl CustomerSummary {
    /// The table of every row (computed without the GIL by the caller).
    fn build_table(
        data: &qudao::Dataset,
        s: &qudao::customer::CustomerSummary,
    ) -> qudao::Result<Table> {
        let n = s.len();
        let cur = data.currency();
        let e = cur.exponent;
        let customers = &data.master.customers;
        let rows = 0..n;
        let btyd: Vec<(u32, f64, f64)> = rows.clone().map(|r| s.btyd(r)).collect();
        let columns: Vec<Column> = vec![
            (
                "customer",
                Arc::new(StringArray::from_iter_values(
                    rows.clone().map(|r| customers.id(s.code(r))),
                )),
                false,
            ),
            (
                "first_purchase",
                Arc::new(Date32Array::from_iter_values(
                    rows.clone().map(|r| s.first_day(r)),
                )),
                false,
            ),
            (
                "last_purchase",
                Arc::new(Date32Array::from_iter_values(
                    rows.clone().map(|r| s.last_day(r)),
                )),
                false,
            ),
            (
                "recency_days",
                Arc::new(Int64Array::from_iter_values(
                    rows.clone().map(|r| i64::from(s.recency_days(r))),
                )),
                false,
            ),
            (
                "frequency",
                Arc::new(UInt32Array::from_iter_values(
                    rows.clone().map(|r| s.frequency(r)),
                )),
                false,
            ),
            (
                "orders",
                Arc::new(UInt32Array::from_iter_values(
                    rows.clone().map(|r| s.orders(r)),
                )),
                false,
            ),
            (
                "lines",
                Arc::new(UInt32Array::from_iter_values(
                    rows.clone().map(|r| s.lines(r)),
                )),
                false,
            ),
            (
                "active_periods",
                Arc::new(UInt32Array::from_iter_values(
                    rows.clone().map(|r| s.active_periods(r)),
                )),
                false,
            ),
            (
                "monetary",
                money(rows.clone().map(|r| Some(i128::from(s.monetary(r)))), e)?,
                false,
            ),
            (
                "margin",
                money(rows.clone().map(|r| s.margin(r).map(i128::from)), e)?,
                true,
            ),
            (
                "x",
                Arc::new(UInt32Array::from_iter_values(btyd.iter().map(|b| b.0))),
                false,
            ),
            (
                "t_x",
                Arc::new(Float64Array::from_iter_values(btyd.iter().map(|b| b.1))),
                false,
            ),
            (
                "T",
                Arc::new(Float64Array::from_iter_values(btyd.iter().map(|b| b.2))),
                false,
            ),
            (
                "repeat_value",
                money(rows.map(|r| Some(i128::from(s.repeat_value(r)))), e)?,
                false,
            ),
        ];
        table(columns, Some(&cur.code))
    }
}

#[pymethods]
impl CustomerSummary {
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// The summary date.
    #[getter]
    fn as_of<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDate>> {
        entry(py, || py_date(py, self.inner.options().as_of))
    }

    /// What frequency counts: `distinct_orders`, `order_lines` or `active_periods`.
    #[getter]
    fn frequency(&self) -> String {
        serde_name!(&self.inner.options().frequency)
    }

    /// What one active period is: `day` or `week`.
    #[getter]
    fn period(&self) -> String {
        serde_name!(&self.inner.options().period)
    }

    /// The unit of `t_x` and `T`: `day` or `week`.
    #[getter]
    fn unit(&self) -> String {
        serde_name!(&self.inner.options().unit)
    }

    /// ISO 4217 code of the money columns.
    #[getter]
    fn currency(&self) -> String {
        self.data.currency().code.clone()
    }

    /// Ids of customers with lines in the window but only returns (left out of the rows).
    #[getter]
    fn only_returns(&self) -> Vec<String> {
        let customers = &self.data.master.customers;
        self.inner
            .only_returns()
            .iter()
            .map(|&c| customers.id(c).to_owned())
            .collect()
    }

    /// One row per customer with a purchase, in customer id order.
    fn to_table(&self, py: Python<'_>) -> PyResult<Table> {
        entry(py, || {
            let (data, s) = (Arc::clone(&self.data), Arc::clone(&self.inner));
            run(py, move || Self::build_table(&data, &s))
        })
    }

    fn __repr__(&self) -> String {
        let o = self.inner.options();
        format!(
            "<qudao CustomerSummary: {} customers as of {}, frequency {}, {} only returned>",
            self.inner.len(),
            o.as_of,
            serde_name!(&o.frequency),
            self.inner.only_returns().len(),
        )
    }
}

/// Summarise every customer of `dataset` as of a date.
#[pyfunction]
#[pyo3(signature = (dataset, as_of, frequency, *, period = "day", unit = "week"))]
fn customer_summary(
    py: Python<'_>,
    dataset: PyRef<'_, Dataset>,
    as_of: Bound<'_, PyAny>,
    frequency: &str,
    period: &str,
    unit: &str,
) -> PyResult<CustomerSummary> {
    entry(py, || {
        let options = summary_options(&as_of, frequency, period, unit)
            .map_err(|e| errors::to_pyerr(py, e))?;
        let data = Arc::clone(&dataset.inner);
        let inner = run(py, {
            let data = Arc::clone(&data);
            move || qudao::customer::CustomerSummary::compute(&data, options)
        })?;
        Ok(CustomerSummary {
            data,
            inner: Arc::new(inner),
        })
    })
}

/// The per-customer summary straight from an Arrow table of lines (`customer`, `order`,
/// `date`, `amount`, and `kind` or `quantity`), without building a data set.
#[pyfunction]
#[pyo3(signature = (lines, as_of, frequency, *, period = "day", unit = "week", currency = None, currency_exponent = None))]
#[allow(clippy::too_many_arguments)]
fn customer_summary_from_arrow(
    py: Python<'_>,
    lines: pyo3_arrow::input::AnyRecordBatch,
    as_of: Bound<'_, PyAny>,
    frequency: &str,
    period: &str,
    unit: &str,
    currency: Option<String>,
    currency_exponent: Option<u8>,
) -> PyResult<CustomerSummary> {
    entry(py, || {
        let options = summary_options(&as_of, frequency, period, unit)
            .map_err(|e| errors::to_pyerr(py, e))?;
        // Reading the stream may call back into its Python producer: keep the GIL for it.
        let batches = lines
            .into_reader()?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        let (data, inner) = run(py, move || {
            let currency = crate::currency_arg(currency, currency_exponent)?;
            let lines =
                qudao::arrow::customer_lines_from_batches(&batches, currency.unwrap_or_default())?;
            let summary = lines.summarise(options)?;
            Ok::<_, qudao::Error>((lines.id_dataset(), summary))
        })?;
        Ok(CustomerSummary {
            data: Arc::new(data),
            inner: Arc::new(inner),
        })
    })
}

/// The summary options from the Python arguments.
fn summary_options(
    as_of: &Bound<'_, PyAny>,
    frequency: &str,
    period: &str,
    unit: &str,
) -> qudao::Result<CustomerOptions> {
    let as_of = crate::columns::date_arg("as_of", as_of)?;
    let frequency = Frequency::parse(frequency).ok_or_else(|| {
        qudao::Error::invalid_argument(
            "frequency",
            format!("{frequency:?} is not one of distinct_orders, order_lines, active_periods"),
        )
    })?;
    Ok(CustomerOptions {
        as_of,
        frequency,
        period: time_unit("period", period)?,
        unit: time_unit("unit", unit)?,
    })
}

/// An RFM segment scheme document (immutable, validated).
#[pyclass(frozen, module = "qudao._native", name = "SegmentScheme")]
#[derive(Debug)]
pub struct SegmentScheme {
    inner: qudao::segment::SegmentScheme,
}

fn label<'py>(py: Python<'py>, l: &qudao::document::Label) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("en", &l.en)?;
    d.set_item("zh", &l.zh)?;
    Ok(d)
}

#[pymethods]
impl SegmentScheme {
    /// Parse and validate a scheme from `json`, `toml` or `yaml` text.
    #[staticmethod]
    fn parse(py: Python<'_>, text: String, format: &str) -> PyResult<SegmentScheme> {
        entry(py, || {
            let format = format_arg(format).map_err(|e| errors::to_pyerr(py, e))?;
            let inner = run(py, move || {
                qudao::segment::SegmentScheme::parse(&text, format)
            })?;
            Ok(SegmentScheme { inner })
        })
    }

    /// Read a scheme file (`.json`, `.toml`, `.yaml`/`.yml`).
    #[staticmethod]
    fn from_path(py: Python<'_>, path: std::path::PathBuf) -> PyResult<SegmentScheme> {
        entry(py, || {
            let inner = run(py, move || qudao::segment::SegmentScheme::from_path(&path))?;
            Ok(SegmentScheme { inner })
        })
    }

    /// A built-in scheme: `rfm-4class` or `rfm-11`.
    #[staticmethod]
    fn builtin(py: Python<'_>, id: &str) -> PyResult<SegmentScheme> {
        entry(py, || {
            let inner = qudao::segment::SegmentScheme::builtin(id).ok_or_else(|| {
                arg_err(
                    py,
                    "id",
                    format!(
                        "{id:?} is not a built-in scheme; they are {}",
                        qudao::segment::BUILTIN_IDS.join(", ")
                    ),
                )
            })?;
            Ok(SegmentScheme { inner })
        })
    }

    /// The ids of the built-in schemes.
    #[staticmethod]
    fn builtin_ids() -> Vec<&'static str> {
        qudao::segment::BUILTIN_IDS.to_vec()
    }

    /// The JSON Schema of scheme documents, as JSON text.
    #[staticmethod]
    fn json_schema() -> String {
        <qudao::segment::SegmentScheme as RuleDocument>::json_schema()
    }

    /// Scheme id.
    #[getter]
    fn id(&self) -> String {
        self.inner.id.clone()
    }

    /// Display name: `{"en": …, "zh": …}`.
    #[getter]
    fn name<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        entry(py, || label(py, &self.inner.name))
    }

    /// `k`: scores run 1..=k on each of R, F and M.
    #[getter]
    fn scores(&self) -> u8 {
        self.inner.scores
    }

    /// The segments in order: dicts with `id`, `label`, `strategy` (`{"en", "zh"}`) and
    /// `when` (the score cells, as text).
    #[getter]
    fn segments<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        entry(py, || {
            let out = PyList::empty(py);
            for s in &self.inner.segments {
                let d = PyDict::new(py);
                d.set_item("id", &s.id)?;
                d.set_item("label", label(py, &s.label)?)?;
                d.set_item("strategy", label(py, &s.strategy)?)?;
                d.set_item("when", s.when.to_string())?;
                out.append(d)?;
            }
            Ok(out)
        })
    }

    /// The document as `json`, `toml` or `yaml` text.
    fn to_text(&self, py: Python<'_>, format: &str) -> PyResult<String> {
        entry(py, || {
            format_arg(format)
                .and_then(|f| self.inner.to_format(f))
                .map_err(|e| errors::to_pyerr(py, e))
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "<qudao SegmentScheme {}: {} segments on scores 1–{}>",
            self.inner.id,
            self.inner.segments.len(),
            self.inner.scores
        )
    }
}

/// RFM scores and segments of a customer summary.
#[pyclass(frozen, module = "qudao._native", name = "Rfm")]
#[derive(Debug)]
pub struct Rfm {
    inner: qudao::rfm::Rfm,
    /// The per-customer table, built on first use: a caller after the segment counts or the
    /// scorings does not pay for a million-row table.
    table: OnceLock<Table>,
    segments: Table,
    data: Arc<qudao::Dataset>,
    summary: Arc<qudao::customer::CustomerSummary>,
    scheme: qudao::segment::SegmentScheme,
}

impl Rfm {
    fn build(
        data: Arc<qudao::Dataset>,
        summary: Arc<qudao::customer::CustomerSummary>,
        scheme: qudao::segment::SegmentScheme,
        rfm: qudao::rfm::Rfm,
    ) -> qudao::Result<Rfm> {
        Ok(Rfm {
            segments: Self::segment_table(&data, &rfm)?,
            table: OnceLock::new(),
            inner: rfm,
            data,
            summary,
            scheme,
        })
    }

    /// One row per customer.
    fn customer_table(&self) -> qudao::Result<Table> {
        let (data, s, scheme, rfm) = (&*self.data, &*self.summary, &self.scheme, &self.inner);
        let cur = data.currency();
        let e = cur.exponent;
        let customers = &data.master.customers;
        let n = s.len();
        let keys = UInt32Array::from_iter_values(rfm.segment.iter().map(|&k| u32::from(k)));
        let dict = |values: Vec<&str>| -> qudao::Result<ArrayRef> {
            let d = DictionaryArray::<UInt32Type>::try_new(
                keys.clone(),
                Arc::new(StringArray::from(values)),
            )
            .map_err(|e| qudao::Error::invalid_argument("rfm", e.to_string()))?;
            Ok(Arc::new(d))
        };
        let segs = &scheme.segments;
        let scores = |v: &[u8]| -> ArrayRef {
            Arc::new(UInt32Array::from_iter_values(
                v.iter().map(|&x| u32::from(x)),
            ))
        };
        let columns: Vec<Column> = vec![
            (
                "customer",
                Arc::new(StringArray::from_iter_values(
                    (0..n).map(|r| customers.id(s.code(r))),
                )),
                false,
            ),
            (
                "recency_days",
                Arc::new(Int64Array::from_iter_values(
                    (0..n).map(|r| i64::from(s.recency_days(r))),
                )),
                false,
            ),
            (
                "frequency",
                Arc::new(UInt32Array::from_iter_values(
                    (0..n).map(|r| s.frequency(r)),
                )),
                false,
            ),
            (
                "monetary",
                money((0..n).map(|r| Some(i128::from(s.monetary(r)))), e)?,
                false,
            ),
            ("r", scores(&rfm.r), false),
            ("f", scores(&rfm.f), false),
            ("m", scores(&rfm.m), false),
            (
                "segment",
                dict(segs.iter().map(|g| g.id.as_str()).collect())?,
                false,
            ),
            (
                "segment_en",
                dict(segs.iter().map(|g| g.label.en.as_str()).collect())?,
                false,
            ),
            (
                "segment_zh",
                dict(segs.iter().map(|g| g.label.zh.as_str()).collect())?,
                false,
            ),
        ];
        table(columns, Some(&cur.code))
    }

    /// One row per segment.
    fn segment_table(data: &qudao::Dataset, rfm: &qudao::rfm::Rfm) -> qudao::Result<Table> {
        let cur = data.currency();
        let e = cur.exponent;
        let rows = &rfm.segments;
        let text = |f: &dyn Fn(&qudao::rfm::SegmentSummaryRow) -> &str| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
        };
        let summary: Vec<Column> = vec![
            ("segment", text(&|r| &r.id), false),
            ("label_en", text(&|r| &r.label.en), false),
            ("label_zh", text(&|r| &r.label.zh), false),
            ("strategy_en", text(&|r| &r.strategy.en), false),
            ("strategy_zh", text(&|r| &r.strategy.zh), false),
            (
                "customers",
                Arc::new(UInt64Array::from_iter_values(
                    rows.iter().map(|r| r.customers),
                )),
                false,
            ),
            (
                "orders",
                Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.orders))),
                false,
            ),
            (
                "revenue",
                money(rows.iter().map(|r| Some(r.revenue)), e)?,
                false,
            ),
            (
                "revenue_share",
                decimal(
                    rows.iter().map(|r| {
                        r.revenue_share.map(|d| {
                            let mut d = d;
                            d.rescale(6);
                            d.mantissa()
                        })
                    }),
                    6,
                )?,
                true,
            ),
            (
                "average_order_value",
                money(rows.iter().map(|r| r.average_order_value), e)?,
                true,
            ),
        ];
        table(summary, Some(&cur.code))
    }
}

#[pymethods]
impl Rfm {
    /// The segment scheme's id.
    #[getter]
    fn scheme(&self) -> String {
        self.inner.scheme.clone()
    }

    /// One row per customer (the summary's rows): raw values, scores, segment. Built on
    /// first access.
    #[getter]
    fn table(&self, py: Python<'_>) -> PyResult<Table> {
        entry(py, || {
            if let Some(t) = self.table.get() {
                return Ok(t.clone());
            }
            let built = run(py, || self.customer_table())?;
            Ok(self.table.get_or_init(|| built).clone())
        })
    }

    /// One row per segment of the scheme, in the scheme's order.
    #[getter]
    fn segments(&self) -> Table {
        self.segments.clone()
    }

    /// How each dimension was scored (rule, bins, breaks, collapsed scores), as JSON.
    fn scorings_json(&self) -> String {
        let v = serde_json::json!({
            "recency": &self.inner.recency,
            "frequency": &self.inner.frequency,
            "monetary": &self.inner.monetary,
        });
        v.to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "<qudao Rfm: {} customers in {} segments of {}>",
            self.inner.r.len(),
            self.inner.segments.len(),
            self.inner.scheme
        )
    }
}

/// Score every customer of `summary` on R, F and M and place them in `scheme`'s segments.
/// `rules` is an `RfmRules` JSON document (`None`: quintiles by ordinal rank).
#[pyfunction]
#[pyo3(signature = (summary, scheme, rules = None))]
fn rfm(
    py: Python<'_>,
    summary: PyRef<'_, CustomerSummary>,
    scheme: PyRef<'_, SegmentScheme>,
    rules: Option<String>,
) -> PyResult<Rfm> {
    entry(py, || {
        let (data, s) = (Arc::clone(&summary.data), Arc::clone(&summary.inner));
        let scheme = scheme.inner.clone();
        run(py, move || {
            let rules = match rules {
                None => qudao::rfm::RfmRules::default(),
                Some(text) => qudao::document::parse_any(&text, Format::Json)?,
            };
            let r = qudao::rfm::analyze(&s, &rules, &scheme)?;
            Rfm::build(data, s, scheme, r)
        })
    })
}

/// Register the classes and functions of this module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CustomerSummary>()?;
    m.add_class::<SegmentScheme>()?;
    m.add_class::<Rfm>()?;
    m.add_function(wrap_pyfunction!(customer_summary, m)?)?;
    m.add_function(wrap_pyfunction!(customer_summary_from_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(rfm, m)?)?;
    Ok(())
}
