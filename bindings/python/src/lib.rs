//! Python bindings for qudao: the extension module `qudao._native`.
//!
//! This crate only translates: it checks and converts arguments, calls the core with the GIL
//! released (`run`), and maps errors (`errors::to_pyerr`). Every entry point runs inside
//! `entry`, so a panic surfaces as `qudao.InternalError` (an `Exception`), never as pyo3's
//! `PanicException` (a `BaseException` that `except Exception` would not catch).
//! The typed, documented API is the pure-Python package `qudao` (`python/qudao/`).

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDict, PyList};
use pyo3_arrow::input::AnyRecordBatch;

// First, so its macros are visible in the modules below.
#[macro_use]
mod json;
mod abc;
mod attribution;
mod clv;
mod columns;
mod customer;
mod errors;
// Before `conflict`, which uses its `document!` macro.
#[macro_use]
mod evaluation;
mod conflict;
mod economics;
mod membership;
mod rebate;
mod table;

use table::Table;

/// Run core work with the GIL released, catching panics and mapping errors.
///
/// Nothing in `f` may touch Python objects (`Send` and pyo3's `Ungil` bound enforce it).
pub(crate) fn run<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> qudao::Result<T> + Send,
{
    match py.detach(move || catch_unwind(AssertUnwindSafe(f))) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(errors::to_pyerr(py, e)),
        Err(panic) => Err(errors::panic_err(py, panic)),
    }
}

/// The body of an entry point: a panic anywhere in it becomes `InternalError`.
pub(crate) fn entry<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| Err(errors::panic_err(py, panic)))
}

fn strictness(lenient: bool) -> qudao::Strictness {
    if lenient {
        qudao::Strictness::Lenient
    } else {
        qudao::Strictness::Strict
    }
}

/// A loaded data set (immutable; safe to share between threads).
#[pyclass(frozen, module = "qudao._native", name = "Dataset")]
#[derive(Debug)]
pub struct Dataset {
    inner: Arc<qudao::Dataset>,
}

impl Dataset {
    fn new(d: qudao::Dataset) -> Self {
        Dataset { inner: Arc::new(d) }
    }
}

#[pymethods]
impl Dataset {
    /// Number of transaction lines.
    #[getter]
    fn transaction_count(&self) -> usize {
        self.inner.transactions.len()
    }

    /// ISO 4217 code of the currency of every amount.
    #[getter]
    fn currency(&self) -> String {
        self.inner.currency().code.clone()
    }

    /// Decimal places of the currency (amounts are stored in minor units).
    #[getter]
    fn currency_exponent(&self) -> u8 {
        self.inner.currency().exponent
    }

    /// The rejected records listed by a lenient load (at most the first 10,000).
    #[getter]
    fn rejections<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        entry(py, || {
            let out = PyList::empty(py);
            for r in &self.inner.rejections.rejections {
                let d = PyDict::new(py);
                d.set_item("table", &r.table)?;
                d.set_item("source", &r.location.source)?;
                d.set_item("line", r.location.line)?;
                d.set_item("column", &r.location.column)?;
                d.set_item("value", &r.location.value)?;
                d.set_item("reason", r.reason.as_str())?;
                d.set_item("message", &r.message)?;
                out.append(d)?;
            }
            Ok(out)
        })
    }

    /// Exact rejection counts: `{table: {reason: count}}`.
    #[getter]
    fn rejection_counts(&self) -> HashMap<String, HashMap<&'static str, u64>> {
        self.inner
            .rejections
            .counts
            .iter()
            .map(|(t, m)| (t.clone(), m.iter().map(|(r, n)| (r.as_str(), *n)).collect()))
            .collect()
    }

    /// Rejections counted but not listed (beyond the detail limit).
    #[getter]
    fn rejections_omitted(&self) -> u64 {
        self.inner.rejections.omitted
    }

    /// Number of channels, partners, products, territories and customers.
    #[getter]
    fn master_counts(&self) -> HashMap<&'static str, usize> {
        let m = &self.inner.master;
        HashMap::from([
            ("territories", m.territories.len()),
            ("channels", m.channels.len()),
            ("partners", m.partners.len()),
            ("products", m.products.len()),
            ("customers", m.customers.len()),
        ])
    }

    /// The transaction lines as a table: ids dictionary-encoded, dates `Date32`, money `Int64`
    /// minor units (one record batch per chunk).
    fn transactions(&self, py: Python<'_>) -> PyResult<Table> {
        entry(py, || {
            let data = Arc::clone(&self.inner);
            let batches = run(py, move || {
                data.transactions
                    .chunks
                    .iter()
                    .map(|c| qudao::arrow::transactions_batch(&data, c))
                    .collect::<qudao::Result<Vec<_>>>()
            })?;
            Ok(Table::new(
                batches,
                Arc::new(qudao::arrow::transactions_schema()),
            ))
        })
    }

    /// The master data as a JSON document (the form `from_arrow` accepts).
    fn master_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || {
            let data = Arc::clone(&self.inner);
            run(py, move || Ok(data.master.to_document().to_json()))
        })
    }

    /// The data summary by channel, partner and month (computed without the GIL).
    fn summary(&self, py: Python<'_>) -> PyResult<Summary> {
        entry(py, || {
            let data = Arc::clone(&self.inner);
            let (inner, batches) = run(py, move || {
                let s = data.summary()?;
                let b = qudao::arrow::summary_batches(&s)?;
                Ok((s, b))
            })?;
            Ok(Summary { inner, batches })
        })
    }

    fn __repr__(&self) -> String {
        let d = &self.inner;
        format!(
            "<qudao Dataset: {} transactions, {} channels, {} partners, {} products, currency {}, {} rejected>",
            d.transactions.len(),
            d.master.channels.len(),
            d.master.partners.len(),
            d.master.products.len(),
            d.currency().code,
            d.rejections.total(),
        )
    }
}

/// The data summary of a data set: totals and breakdowns as Arrow tables.
#[pyclass(frozen, module = "qudao._native", name = "Summary")]
#[derive(Debug)]
pub struct Summary {
    inner: qudao::Summary,
    batches: qudao::arrow::SummaryBatches,
}

fn date(py: Python<'_>, d: Option<qudao::Date>) -> PyResult<Option<Bound<'_, PyDate>>> {
    d.map(|d| {
        let (y, m, day) = d.ymd();
        // Month and day are 1..=12 and 1..=31 by construction.
        PyDate::new(py, y, m as u8, day as u8)
    })
    .transpose()
}

#[pymethods]
impl Summary {
    /// One row: the totals.
    #[getter]
    fn totals(&self) -> Table {
        Table::from_batch(self.batches.totals.clone())
    }

    /// One row per channel with lines.
    #[getter]
    fn by_channel(&self) -> Table {
        Table::from_batch(self.batches.by_channel.clone())
    }

    /// One row per partner with lines; direct sales last, with an empty key.
    #[getter]
    fn by_partner(&self) -> Table {
        Table::from_batch(self.batches.by_partner.clone())
    }

    /// One row per calendar month.
    #[getter]
    fn by_month(&self) -> Table {
        Table::from_batch(self.batches.by_month.clone())
    }

    /// ISO 4217 currency code.
    #[getter]
    fn currency(&self) -> String {
        self.inner.currency.code.clone()
    }

    /// First transaction day, if any.
    #[getter]
    fn first_date<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDate>>> {
        entry(py, || date(py, self.inner.first_date))
    }

    /// Last transaction day, if any.
    #[getter]
    fn last_date<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDate>>> {
        entry(py, || date(py, self.inner.last_date))
    }

    /// Customers with at least one line.
    #[getter]
    fn active_customers(&self) -> u64 {
        self.inner.active_customers
    }

    /// The summary as JSON (money in minor units, shares as decimal strings).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    fn __repr__(&self) -> String {
        let t = &self.inner.totals;
        format!(
            "<qudao Summary: {} lines, net revenue {} {}, {} channels, {} partners, {} months>",
            t.lines,
            self.inner.currency.format(t.net_revenue),
            self.inner.currency.code,
            self.inner.by_channel.len(),
            self.inner.by_partner.len(),
            self.inner.by_month.len(),
        )
    }
}

/// A currency from a code and an optional exponent (the code's usual one when absent).
pub(crate) fn currency_arg(
    code: Option<String>,
    exponent: Option<u8>,
) -> qudao::Result<Option<qudao::Currency>> {
    match (code, exponent) {
        (None, None) => Ok(None),
        (Some(c), None) => Ok(Some(qudao::Currency::from_code(&c)?)),
        (Some(c), Some(e)) => Ok(Some(qudao::Currency::new(&c, e)?)),
        (None, Some(_)) => Err(qudao::Error::invalid_argument(
            "currency_exponent",
            "given without a currency code",
        )),
    }
}

/// Load a CSV data set directory (see `docs/data-format.md`).
#[pyfunction]
#[pyo3(signature = (path, *, lenient = false, currency = None, currency_exponent = None, renames = None))]
fn load_csv(
    py: Python<'_>,
    path: PathBuf,
    lenient: bool,
    currency: Option<String>,
    currency_exponent: Option<u8>,
    renames: Option<HashMap<String, HashMap<String, String>>>,
) -> PyResult<Dataset> {
    entry(py, || {
        let data = run(py, move || {
            let currency = currency_arg(currency, currency_exponent)?;
            core::load_csv(
                &path,
                strictness(lenient),
                currency,
                renames.unwrap_or_default(),
            )
        })?;
        Ok(Dataset::new(data))
    })
}

/// The sample company: a deterministic, seeded data set.
#[pyfunction]
#[pyo3(signature = (lines = 200_000, seed = 42))]
fn sample(py: Python<'_>, lines: usize, seed: u64) -> PyResult<Dataset> {
    entry(py, || {
        Ok(Dataset::new(run(py, move || core::sample(lines, seed))?))
    })
}

/// Master data document text or a path, with how to read it.
fn master_data(master: &str, format: &str) -> qudao::Result<qudao::MasterData> {
    let (text, format) = if format == "path" {
        let path = std::path::Path::new(master);
        let text = std::fs::read_to_string(path).map_err(|source| qudao::Error::Io {
            path: master.to_owned(),
            source,
        })?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        let format = match ext.to_ascii_lowercase().as_str() {
            "json" => "json",
            "toml" => "toml",
            "yaml" | "yml" => "yaml",
            _ => {
                return Err(qudao::Error::invalid_argument(
                    "master",
                    format!(
                        "cannot tell the format of {master:?}: use .json, .toml, .yaml or .yml"
                    ),
                ));
            }
        };
        (text, format)
    } else {
        (master.to_owned(), format)
    };
    let doc = match format {
        "json" => qudao::MasterDocument::from_json(&text)?,
        "toml" => qudao::MasterDocument::from_toml(&text)?,
        "yaml" => qudao::MasterDocument::from_yaml(&text)?,
        other => {
            return Err(qudao::Error::invalid_argument(
                "format",
                format!("{other:?} is not one of json, toml, yaml, path"),
            ));
        }
    };
    qudao::MasterData::new(doc)
}

/// A data set from master data and an Arrow transaction table (any object exporting
/// `__arrow_c_stream__` or `__arrow_c_array__`).
#[pyfunction]
#[pyo3(signature = (master, format, transactions, *, lenient = false))]
fn from_arrow(
    py: Python<'_>,
    master: String,
    format: String,
    transactions: AnyRecordBatch,
    lenient: bool,
) -> PyResult<Dataset> {
    entry(py, || {
        // Reading the stream may call back into its Python producer: keep the GIL for it.
        let reader = transactions.into_reader()?;
        let batches = reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        let data = run(py, move || {
            let master = master_data(&master, &format)?;
            qudao::arrow::dataset_from_batches(master, &batches, strictness(lenient))
        })?;
        Ok(Dataset::new(data))
    })
}

/// Panic on purpose (tests check that panics surface as `InternalError`).
#[pyfunction]
#[pyo3(signature = (message, *, released = true))]
fn _panic(py: Python<'_>, message: String, released: bool) -> PyResult<()> {
    entry(py, || {
        if released {
            run(py, move || -> qudao::Result<()> { panic!("{message}") })
        } else {
            panic!("{message}")
        }
    })
}

/// The core calls behind `load_csv` and `sample`.
mod core {
    use std::collections::HashMap;
    use std::path::Path;

    pub(super) fn load_csv(
        dir: &Path,
        mode: qudao::Strictness,
        currency: Option<qudao::Currency>,
        renames: HashMap<String, HashMap<String, String>>,
    ) -> qudao::Result<qudao::Dataset> {
        let opts = qudao::ingest::csv::LoadOptions {
            mode,
            currency,
            renames,
            progress: None,
        };
        qudao::ingest::csv::load_dir(dir, &opts)
    }

    pub(super) fn sample(lines: usize, seed: u64) -> qudao::Result<qudao::Dataset> {
        let mut config = qudao::sample::SampleConfig::with_lines(lines);
        config.seed = seed;
        Ok(qudao::sample::generate(&config)?.dataset)
    }
}

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    m.add_class::<Dataset>()?;
    m.add_class::<Summary>()?;
    m.add_class::<Table>()?;
    m.add_function(wrap_pyfunction!(load_csv, m)?)?;
    m.add_function(wrap_pyfunction!(sample, m)?)?;
    m.add_function(wrap_pyfunction!(from_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(_panic, m)?)?;
    customer::register(m)?;
    membership::register(m)?;
    clv::register(m)?;
    abc::register(m)?;
    rebate::register(m)?;
    evaluation::register(m)?;
    conflict::register(m)?;
    attribution::register(m)?;
    economics::register(m)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use pyo3::exceptions::{PyOSError, PyValueError};

    use super::*;

    fn attr<'py, T: pyo3::conversion::FromPyObjectOwned<'py>>(
        py: Python<'py>,
        e: &PyErr,
        name: &str,
    ) -> T {
        e.value(py)
            .getattr(name)
            .and_then(|v| v.extract::<T>().map_err(Into::into))
            .unwrap()
    }

    #[test]
    fn master_documents_by_format() {
        let json = r#"{"channels": [{"id": "web", "kind": "direct", "presence": "online", "role": "main"}]}"#;
        assert_eq!(master_data(json, "json").unwrap().channels.len(), 1);
        assert!(matches!(
            master_data(json, "xml"),
            Err(qudao::Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            master_data("/no/such/master.json", "path"),
            Err(qudao::Error::Io { .. })
        ));
        assert!(matches!(
            master_data("/no/such/master.ini", "path"),
            Err(qudao::Error::Io { .. })
        ));
        assert!(matches!(
            master_data(r#"{"channels": [{"id": "web", "kind": "shop"}]}"#, "json"),
            Err(qudao::Error::Document { .. })
        ));
    }

    #[test]
    fn errors_map_to_their_classes_with_attributes() {
        Python::initialize();
        Python::attach(|py| {
            let ex = errors::exceptions(py).unwrap();
            let location = qudao::Location {
                source: "transactions.csv".into(),
                line: 3,
                column: Some("amount".into()),
                value: Some("1.234".into()),
            };
            let e = errors::to_pyerr(py, qudao::Error::data(location, "too many decimals"));
            assert!(e.is_instance(py, ex.data.bind(py)));
            assert!(e.is_instance(py, ex.base.bind(py)));
            assert!(e.is_instance_of::<PyValueError>(py));
            assert_eq!(attr::<u64>(py, &e, "line"), 3);
            assert_eq!(attr::<String>(py, &e, "column"), "amount");
            assert_eq!(attr::<String>(py, &e, "value"), "1.234");

            let e = errors::to_pyerr(py, qudao::Error::document("channels[0].kind", "bad"));
            assert!(e.is_instance(py, ex.rule.bind(py)));
            assert_eq!(attr::<String>(py, &e, "path"), "channels[0].kind");

            let io = std::io::Error::from_raw_os_error(2);
            let e = errors::to_pyerr(
                py,
                qudao::Error::Io {
                    path: "x.csv".into(),
                    source: io,
                },
            );
            assert!(e.is_instance(py, ex.io.bind(py)));
            assert!(e.is_instance_of::<PyOSError>(py));
            assert_eq!(attr::<i32>(py, &e, "errno"), 2);
            assert_eq!(attr::<String>(py, &e, "filename"), "x.csv");

            let e = errors::to_pyerr(py, qudao::Error::overflow("net revenue"));
            assert!(e.is_instance(py, ex.overflow.bind(py)));
            let e = errors::to_pyerr(py, qudao::Error::invalid_argument("lines", "too many"));
            assert!(e.is_instance(py, ex.argument.bind(py)));
            assert_eq!(attr::<String>(py, &e, "name"), "lines");
        });
    }

    #[test]
    fn panics_become_internal_errors() {
        Python::initialize();
        Python::attach(|py| {
            let ex = errors::exceptions(py).unwrap();
            let e = run(py, || -> qudao::Result<()> { panic!("boom") }).unwrap_err();
            assert!(e.is_instance(py, ex.internal.bind(py)));
            assert!(e.to_string().contains("boom"));
            let e = entry(py, || -> PyResult<()> { panic!("bang") }).unwrap_err();
            assert!(e.is_instance(py, ex.internal.bind(py)));
            assert!(!e.is_instance_of::<pyo3::panic::PanicException>(py));
        });
    }
}
