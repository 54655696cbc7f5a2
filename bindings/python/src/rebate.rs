//! Rebates and incentives: the program book document, settlement and accrual.
//!
//! Structured inputs (ledger, findings, referrals) arrive as JSON text made by the facade
//! and are read one element at a time, so a bad element is an `ArgumentError` naming it
//! (`findings[2]`). Structured outputs (explanations, ledger, …) leave as JSON text the
//! facade turns into dicts; the statement and accrual lines leave as Arrow tables.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Int64Array, RecordBatch, StringArray, UInt32Array};
use pyo3::prelude::*;
use pyo3::types::PyDate;
use qudao::document::RuleDocument;
use qudao::rebate::{
    Accrual, CustomerSegments, Engine, Finding, Inputs, Ledger, LedgerEntry, Reason, Referral,
    Settlement as CoreSettlement,
};

use crate::columns::{Column, batch, date_arg, table};
use crate::customer::{format_arg, py_date, serde_name};
use crate::json::{opt_texts, texts};
use crate::table::Table;
use crate::{Dataset, entry, errors, run};

/// A rebate program book (immutable, validated).
#[pyclass(frozen, module = "qudao._native", name = "ProgramBook")]
#[derive(Debug)]
pub struct ProgramBook {
    inner: qudao::rebate::ProgramBook,
}

#[pymethods]
impl ProgramBook {
    /// Parse and validate a book from `json`, `toml` or `yaml` text.
    #[staticmethod]
    fn parse(py: Python<'_>, text: String, format: &str) -> PyResult<ProgramBook> {
        entry(py, || {
            let format = format_arg(format).map_err(|e| errors::to_pyerr(py, e))?;
            let inner = run(py, move || qudao::rebate::ProgramBook::parse(&text, format))?;
            Ok(ProgramBook { inner })
        })
    }

    /// Read a book file (`.json`, `.toml`, `.yaml`/`.yml`).
    #[staticmethod]
    fn from_path(py: Python<'_>, path: std::path::PathBuf) -> PyResult<ProgramBook> {
        entry(py, || {
            let inner = run(py, move || qudao::rebate::ProgramBook::from_path(&path))?;
            Ok(ProgramBook { inner })
        })
    }

    /// The sample company's 2025 programs (the book the demo settles).
    #[staticmethod]
    fn sample_company(py: Python<'_>) -> PyResult<ProgramBook> {
        entry(py, || {
            let inner = run(py, || Ok(qudao::rebate::ProgramBook::sample_company()))?;
            Ok(ProgramBook { inner })
        })
    }

    /// The JSON Schema of program books, as JSON text.
    #[staticmethod]
    fn json_schema() -> String {
        <qudao::rebate::ProgramBook as RuleDocument>::json_schema()
    }

    /// Book id.
    #[getter]
    fn id(&self) -> String {
        self.inner.id.clone()
    }

    /// ISO 4217 code of every amount in the book (must be the data's).
    #[getter]
    fn currency(&self) -> String {
        self.inner.currency.clone()
    }

    /// Program ids, in book order.
    #[getter]
    fn programs(&self) -> Vec<String> {
        self.inner.programs.iter().map(|p| p.id.clone()).collect()
    }

    /// What is legal but probably not meant: dicts with `path` and `message`.
    fn warnings(&self) -> Vec<HashMap<&'static str, String>> {
        warnings(&self.inner.warnings())
    }

    /// The document as JSON text.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    fn __repr__(&self) -> String {
        format!(
            "<qudao ProgramBook {}: {} programs ({}), {}>",
            self.inner.id,
            self.inner.programs.len(),
            self.programs().join(", "),
            self.inner.currency
        )
    }
}

fn warnings(w: &[qudao::rebate::Warning]) -> Vec<HashMap<&'static str, String>> {
    w.iter()
        .map(|w| HashMap::from([("path", w.path.clone()), ("message", w.message.clone())]))
        .collect()
}

/// The result of a settlement run.
#[pyclass(frozen, module = "qudao._native", name = "Settlement")]
#[derive(Debug)]
pub struct Settlement {
    inner: CoreSettlement,
    statements: Table,
}

#[pymethods]
impl Settlement {
    /// As-of date of the run.
    #[getter]
    fn as_of<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDate>> {
        entry(py, || py_date(py, self.inner.as_of))
    }

    /// ISO 4217 code of money amounts.
    #[getter]
    fn currency(&self) -> String {
        self.inner.currency.clone()
    }

    /// Lines read.
    #[getter]
    fn lines_read(&self) -> u64 {
        self.inner.lines_read
    }

    /// Lines not counted by any program's months.
    #[getter]
    fn lines_skipped(&self) -> u64 {
        self.inner.lines_skipped
    }

    /// The book's warnings: dicts with `path` and `message`.
    #[getter]
    fn warnings(&self) -> Vec<HashMap<&'static str, String>> {
        warnings(&self.inner.warnings)
    }

    /// One row per statement line (see the facade for the columns).
    #[getter]
    fn statements(&self) -> Table {
        self.statements.clone()
    }

    /// The statement lines with their whole explanation, as JSON text (a list).
    fn explanations_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&self.inner.statements))
    }

    /// The enrolments that paid nothing, and why, as JSON text (a list).
    fn not_paid_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&self.inner.not_paid))
    }

    /// The ledger entries to record, as JSON text (a list).
    fn ledger_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&self.inner.ledger))
    }

    /// Points for member ledgers, as JSON text (a list).
    fn points_awards_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&self.inner.points_awards))
    }

    /// The whole settlement as JSON text.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&self.inner))
    }

    /// Money paid in this run per payee (minor units), money programs only.
    fn totals(&self) -> BTreeMap<String, i64> {
        self.inner.totals()
    }

    fn __repr__(&self) -> String {
        let paid: i64 = self.inner.totals().values().sum();
        format!(
            "<qudao Settlement as of {}: {} statement lines, {} not paid, {} ledger entries, \
             {} points awards, {} paid {}>",
            self.inner.as_of,
            self.inner.statements.len(),
            self.inner.not_paid.len(),
            self.inner.ledger.len(),
            self.inner.points_awards.len(),
            self.inner.currency,
            paid,
        )
    }
}

fn strings(v: Vec<String>) -> ArrayRef {
    Arc::new(StringArray::from(v))
}

fn ints(v: Vec<i64>) -> ArrayRef {
    Arc::new(Int64Array::from(v))
}

fn opt_ints(v: Vec<Option<i64>>) -> ArrayRef {
    Arc::new(Int64Array::from(v))
}

fn index(i: usize) -> Option<u32> {
    u32::try_from(i).ok()
}

/// The statement lines as a record batch.
fn statements_batch(s: &CoreSettlement) -> qudao::Result<RecordBatch> {
    let l = &s.statements;
    let columns: Vec<Column> = vec![
        (
            "id",
            texts(l.iter().map(|x| x.id.as_str()).collect()),
            false,
        ),
        (
            "program",
            texts(l.iter().map(|x| x.program.as_str()).collect()),
            false,
        ),
        (
            "payee",
            texts(l.iter().map(|x| x.payee.as_str()).collect()),
            false,
        ),
        (
            "payee_kind",
            strings(l.iter().map(|x| serde_name!(&x.payee_kind)).collect()),
            false,
        ),
        (
            "period",
            strings(l.iter().map(|x| x.period.to_string()).collect()),
            false,
        ),
        (
            "kind",
            strings(l.iter().map(|x| serde_name!(&x.kind)).collect()),
            false,
        ),
        (
            "through",
            Arc::new(Date32Array::from_iter_values(l.iter().map(|x| x.through.0))),
            false,
        ),
        (
            "measure",
            texts(l.iter().map(|x| x.base.measure.as_str()).collect()),
            false,
        ),
        (
            "volume",
            opt_ints(l.iter().map(|x| x.base.volume).collect()),
            true,
        ),
        (
            "sale_lines",
            Arc::new(UInt32Array::from_iter_values(
                l.iter().map(|x| x.base.sale_lines),
            )),
            false,
        ),
        (
            "return_lines",
            Arc::new(UInt32Array::from_iter_values(
                l.iter().map(|x| x.base.return_lines),
            )),
            false,
        ),
        (
            "tier",
            Arc::new(UInt32Array::from(
                l.iter()
                    .map(|x| x.tier.as_ref().and_then(|t| index(t.index)))
                    .collect::<Vec<_>>(),
            )),
            true,
        ),
        (
            "rate",
            opt_texts(l.iter().map(|x| x.rate.map(|r| r.to_string())).collect()),
            true,
        ),
        (
            "gross",
            strings(l.iter().map(|x| x.gross.to_string()).collect()),
            false,
        ),
        (
            "exact",
            strings(l.iter().map(|x| x.exact.to_string()).collect()),
            false,
        ),
        (
            "entitlement",
            ints(l.iter().map(|x| x.entitlement).collect()),
            false,
        ),
        (
            "previously_paid",
            ints(l.iter().map(|x| x.previously_paid).collect()),
            false,
        ),
        ("amount", ints(l.iter().map(|x| x.amount).collect()), false),
        (
            "payout",
            strings(l.iter().map(|x| serde_name!(&x.payout)).collect()),
            false,
        ),
    ];
    batch(columns, Some(&s.currency))
}

/// The kinds of the reasons, comma-separated (`below_minimum, shape`).
fn reason_kinds(reasons: &[Reason]) -> String {
    reasons
        .iter()
        .map(|r| match serde_json::to_value(r) {
            Ok(serde_json::Value::Object(m)) => m
                .get("kind")
                .and_then(|k| k.as_str())
                .unwrap_or_default()
                .to_owned(),
            Ok(other) => other.to_string(),
            Err(e) => e.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The accrual lines as a table.
fn accrual_table(a: &Accrual, currency: &str) -> qudao::Result<Table> {
    let l = &a.lines;
    let next = |f: &dyn Fn(&qudao::rebate::NextTier) -> Option<i64>| -> ArrayRef {
        opt_ints(l.iter().map(|x| x.next.as_ref().and_then(f)).collect())
    };
    let columns: Vec<Column> = vec![
        (
            "program",
            texts(l.iter().map(|x| x.program.as_str()).collect()),
            false,
        ),
        (
            "payee",
            texts(l.iter().map(|x| x.payee.as_str()).collect()),
            false,
        ),
        (
            "period",
            strings(l.iter().map(|x| x.period.to_string()).collect()),
            false,
        ),
        (
            "volume",
            opt_ints(l.iter().map(|x| x.volume).collect()),
            true,
        ),
        ("earned", ints(l.iter().map(|x| x.earned).collect()), false),
        ("paid", ints(l.iter().map(|x| x.paid).collect()), false),
        (
            "projected_volume",
            opt_ints(l.iter().map(|x| x.projected_volume).collect()),
            true,
        ),
        (
            "projected",
            ints(l.iter().map(|x| x.projected).collect()),
            false,
        ),
        (
            "next_tier",
            Arc::new(UInt32Array::from(
                l.iter()
                    .map(|x| x.next.as_ref().and_then(|n| index(n.index)))
                    .collect::<Vec<_>>(),
            )),
            true,
        ),
        ("next_volume_needed", next(&|n| Some(n.volume_needed)), true),
        (
            "next_rate",
            opt_texts(
                l.iter()
                    .map(|x| x.next.as_ref().and_then(|n| n.rate.map(|r| r.to_string())))
                    .collect(),
            ),
            true,
        ),
        ("next_pays", next(&|n| Some(n.pays)), true),
        (
            "why_not",
            strings(l.iter().map(|x| reason_kinds(&x.why_not)).collect()),
            false,
        ),
    ];
    table(columns, Some(currency))
}

/// What a run takes besides the data set and the book (owned, for the GIL-free closure).
#[derive(Debug)]
struct RunArgs {
    as_of: qudao::Date,
    ledger: Option<String>,
    findings: Option<String>,
    referrals: Option<String>,
    segments: Option<Vec<(String, String)>>,
    threads: usize,
}

impl RunArgs {
    /// Read the inputs, build the engine and the volumes, and hand them to `f`.
    fn with_volumes<T>(
        self,
        data: &qudao::Dataset,
        book: qudao::rebate::ProgramBook,
        f: impl FnOnce(&qudao::rebate::Volumes<'_>, &Ledger) -> qudao::Result<T>,
    ) -> qudao::Result<T> {
        let ledger = Ledger {
            entries: json_list!(LedgerEntry, "ledger", self.ledger.as_deref())?,
        };
        let findings = json_list!(Finding, "findings", self.findings.as_deref())?;
        let referrals = json_list!(Referral, "referrals", self.referrals.as_deref())?;
        let segments = self.segments.map(CustomerSegments::from_pairs);
        let engine = Engine::new(book, &data.master)?;
        let inputs = Inputs {
            findings: &findings,
            segments: segments.as_ref(),
            referrals: &referrals,
            threads: self.threads,
        };
        let volumes = engine.volumes(data, self.as_of, &inputs)?;
        f(&volumes, &ledger)
    }
}

/// Settle every program of `book` on `dataset` as of a date.
#[pyfunction]
#[pyo3(signature = (dataset, book, as_of, ledger = None, findings = None, referrals = None, segments = None, threads = 0))]
#[expect(
    clippy::too_many_arguments,
    reason = "the Python signature: keyword arguments with defaults"
)]
fn settle_rebates(
    py: Python<'_>,
    dataset: PyRef<'_, Dataset>,
    book: PyRef<'_, ProgramBook>,
    as_of: Bound<'_, PyAny>,
    ledger: Option<String>,
    findings: Option<String>,
    referrals: Option<String>,
    segments: Option<Vec<(String, String)>>,
    threads: usize,
) -> PyResult<Settlement> {
    entry(py, || {
        let as_of = date_arg("as_of", &as_of).map_err(|e| errors::to_pyerr(py, e))?;
        let args = RunArgs {
            as_of,
            ledger,
            findings,
            referrals,
            segments,
            threads,
        };
        let data = Arc::clone(&dataset.inner);
        let book = book.inner.clone();
        run(py, move || {
            let inner = args.with_volumes(&data, book, |v, ledger| v.settle(ledger))?;
            let statements = Table::from_batch(statements_batch(&inner)?);
            Ok(Settlement { inner, statements })
        })
    })
}

/// Where every enrolment stands in its current period as of a date.
#[pyfunction]
#[pyo3(signature = (dataset, book, as_of, ledger = None, findings = None, referrals = None, segments = None, threads = 0))]
#[expect(
    clippy::too_many_arguments,
    reason = "the Python signature: keyword arguments with defaults"
)]
fn accrue_rebates(
    py: Python<'_>,
    dataset: PyRef<'_, Dataset>,
    book: PyRef<'_, ProgramBook>,
    as_of: Bound<'_, PyAny>,
    ledger: Option<String>,
    findings: Option<String>,
    referrals: Option<String>,
    segments: Option<Vec<(String, String)>>,
    threads: usize,
) -> PyResult<Table> {
    entry(py, || {
        let as_of = date_arg("as_of", &as_of).map_err(|e| errors::to_pyerr(py, e))?;
        let args = RunArgs {
            as_of,
            ledger,
            findings,
            referrals,
            segments,
            threads,
        };
        let data = Arc::clone(&dataset.inner);
        let book = book.inner.clone();
        run(py, move || {
            let accrual = args.with_volumes(&data, book, |v, ledger| v.accrue(ledger))?;
            accrual_table(&accrual, &data.currency().code)
        })
    })
}

/// Register the classes and functions of this module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ProgramBook>()?;
    m.add_class::<Settlement>()?;
    m.add_function(wrap_pyfunction!(settle_rebates, m)?)?;
    m.add_function(wrap_pyfunction!(accrue_rebates, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lists_name_the_bad_element() {
        let ok = json_list!(
            Finding,
            "findings",
            Some(r#"[{"id": "F1", "kind": "cross_region", "partner": "DS001", "date": "2025-02-03"}]"#)
        )
        .expect("valid findings");
        assert_eq!(ok.len(), 1);
        assert!(!ok[0].waived);
        let err = json_list!(
            Finding,
            "findings",
            Some(r#"[{"id": "F1", "kind": "x", "partner": "DS001", "date": "2025-02-03"}, {"id": "F2"}]"#)
        )
        .expect_err("second finding lacks fields");
        assert!(
            matches!(&err, qudao::Error::InvalidArgument { name, .. } if name == "findings[1]"),
            "{err}"
        );
        assert!(
            json_list!(Referral, "referrals", None)
                .expect("none")
                .is_empty()
        );
        assert!(json_list!(Referral, "referrals", Some("{}")).is_err());
    }

    #[test]
    fn sample_book_settles_into_a_table() {
        let data = qudao::sample::generate(&qudao::sample::SampleConfig::with_lines(3_000))
            .expect("sample")
            .dataset;
        let args = RunArgs {
            as_of: "2025-12-31".parse().expect("date"),
            ledger: None,
            findings: None,
            referrals: None,
            segments: None,
            threads: 1,
        };
        let s = args
            .with_volumes(
                &data,
                qudao::rebate::ProgramBook::sample_company(),
                |v, l| v.settle(l),
            )
            .expect("settles");
        assert!(!s.statements.is_empty());
        let b = statements_batch(&s).expect("batch");
        assert_eq!(b.num_columns(), 19);
        assert_eq!(b.num_rows(), s.statements.len());
        assert_eq!(
            b.schema().metadata().get("currency").map(String::as_str),
            Some("CNY")
        );
    }
}
