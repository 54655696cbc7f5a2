//! Channel conflict detection: the conflict policy document, `detect_conflicts` and its
//! report.
//!
//! The policy is parsed and validated by the core (a bad one is a `RuleError` with the field
//! path). The inputs (assignments, shipments, sightings) arrive either as JSON text made by
//! the facade from a list of dicts, or as any Arrow-exporting table; both are read into the
//! core's serde shapes one row at a time, so a bad row is a `DataError` naming the argument,
//! the row (1-based) and the column. The findings leave as an Arrow table; explanations,
//! what did not run and the penalty findings leave as JSON text the facade turns into dicts.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, Date32Array, Int64Array, RecordBatch, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, TimeUnit};
use pyo3::prelude::*;
use pyo3::types::PyString;
use pyo3_arrow::input::AnyRecordBatch;
use qudao::conflict::{
    Assignment, ConflictInputs, ConflictReport as CoreReport, Detector, Shipment, Sighting,
};
use qudao::document::RuleDocument;
use serde_json::{Map, Value};

use crate::columns::{Column, Input, batch, read_batches};
use crate::customer::{format_arg, serde_name};
use crate::json::{json_values, opt_texts, texts};
use crate::table::Table;
use crate::{Dataset, entry, errors, run};

document! {
    /// A conflict policy (immutable, validated).
    ConflictPolicy(qudao::conflict::ConflictPolicy, "ConflictPolicy", "a conflict policy") {
        /// Every detector with its defaults (what `detect_conflicts` uses without a policy).
        #[staticmethod]
        fn defaults(py: Python<'_>) -> PyResult<ConflictPolicy> {
            entry(py, || {
                let inner = run(py, || Ok(qudao::conflict::ConflictPolicy::default()))?;
                Ok(ConflictPolicy { inner: Arc::new(inner) })
            })
        }

        /// The detectors the policy runs, in order.
        #[getter]
        fn detectors(&self) -> Vec<&'static str> {
            Detector::ALL
                .into_iter()
                .filter(|d| self.inner.enabled(*d))
                .map(Detector::as_str)
                .collect()
        }

        fn __repr__(&self) -> String {
            format!(
                "<qudao ConflictPolicy {}: {} of {} detectors, {} window>",
                self.inner.id,
                self.detectors().len(),
                Detector::ALL.len(),
                serde_name!(&self.inner.window),
            )
        }
    }
}

// --- inputs -------------------------------------------------------------------------------

/// One input row as a JSON object (nulls left out, so the core's defaults apply), with where
/// it came from.
#[derive(Debug)]
struct Row {
    source: &'static str,
    /// 0-based.
    index: usize,
    fields: Map<String, Value>,
}

impl Row {
    fn bad(&self, column: Option<&str>, value: Option<&Value>, reason: String) -> qudao::Error {
        bad(self.source, self.index, column, value, reason)
    }
}

/// A data error at a row (1-based in the message, as in the other table inputs).
fn bad(
    source: &str,
    index: usize,
    column: Option<&str>,
    value: Option<&Value>,
    reason: String,
) -> qudao::Error {
    qudao::Error::data(
        qudao::Location {
            source: source.to_owned(),
            line: index as u64 + 1,
            column: column.map(str::to_owned),
            value: value.map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
        },
        reason,
    )
}

/// An input argument: JSON text of a list of objects (from the facade), or Arrow batches.
#[derive(Debug)]
enum Source {
    Json(&'static str, String),
    Arrow(Input),
}

impl Source {
    /// Text is a JSON list made by the facade; anything else must export Arrow. Runs with
    /// the GIL: reading the stream may call back into its Python producer.
    fn from_py(name: &'static str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Source>> {
        let Some(value) = value else {
            return Ok(None);
        };
        if let Ok(text) = value.cast::<PyString>() {
            return Ok(Some(Source::Json(name, text.to_str()?.to_owned())));
        }
        Ok(Some(Source::Arrow(Input {
            name,
            batches: read_batches(value.extract::<AnyRecordBatch>()?)?,
        })))
    }

    /// The rows, in order. A table must have the `required` columns.
    fn rows(self, required: &[&str]) -> qudao::Result<Vec<Row>> {
        match self {
            Source::Json(name, text) => json_values(name, Some(&text))?
                .into_iter()
                .enumerate()
                .map(|(index, v)| match v {
                    Value::Object(m) => Ok(Row {
                        source: name,
                        index,
                        fields: m.into_iter().filter(|(_, v)| !v.is_null()).collect(),
                    }),
                    other => Err(bad(
                        name,
                        index,
                        None,
                        Some(&other),
                        "expected an object".to_owned(),
                    )),
                })
                .collect(),
            Source::Arrow(input) => {
                let schema = input.batches.first().map(RecordBatch::schema);
                if let Some(schema) = schema
                    && let Some(column) = required
                        .iter()
                        .find(|c| schema.column_with_name(c).is_none())
                {
                    let found = schema
                        .fields()
                        .iter()
                        .map(|f| f.name().as_str())
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(qudao::Error::MissingColumn {
                        source_name: input.name.to_owned(),
                        column: (*column).to_owned(),
                        found,
                    });
                }
                arrow_rows(&input)
            }
        }
    }
}

/// The rows of Arrow batches as JSON objects (null cells left out).
fn arrow_rows(input: &Input) -> qudao::Result<Vec<Row>> {
    let mut rows = Vec::with_capacity(input.rows());
    for b in &input.batches {
        let start = rows.len();
        rows.extend((0..b.num_rows()).map(|i| Row {
            source: input.name,
            index: start + i,
            fields: Map::new(),
        }));
        for (field, a) in b.schema().fields().iter().zip(b.columns()) {
            let values = cells(a)
                .map_err(|reason| bad(input.name, start, Some(field.name()), None, reason))?;
            for (row, v) in rows[start..].iter_mut().zip(values) {
                if !v.is_null() {
                    row.fields.insert(field.name().clone(), v);
                }
            }
        }
    }
    Ok(rows)
}

/// A day from a count of `unit`s since 1970-01-01.
fn day_of(t: i64, per_day: i64) -> Value {
    let days = t.div_euclid(per_day);
    match i32::try_from(days) {
        Ok(d) => Value::String(qudao::Date(d).to_string()),
        Err(_) => Value::Null,
    }
}

/// A float as JSON: integral values as integers (pandas turns integer columns with missing
/// values into floats), NaN as null.
fn float_value(f: f64) -> Value {
    if f.is_nan() {
        Value::Null
    } else if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::from(f as i64)
    } else {
        Value::from(f)
    }
}

/// The cells of a column as JSON values: text, numbers, booleans, and days (`Date32`,
/// `Date64`, timestamps without a zone: their day) as `YYYY-MM-DD`; nulls as null.
/// `Err(reason)` for a type that is none of these.
fn cells(a: &ArrayRef) -> Result<Vec<Value>, String> {
    macro_rules! each {
        ($t:ty, $f:expr) => {
            a.as_primitive::<$t>()
                .iter()
                .map(|v| v.map_or(Value::Null, $f))
                .collect()
        };
    }
    let values: Vec<Value> = match a.data_type() {
        DataType::Utf8 => a
            .as_string::<i32>()
            .iter()
            .map(|v| v.map_or(Value::Null, Value::from))
            .collect(),
        DataType::LargeUtf8 => a
            .as_string::<i64>()
            .iter()
            .map(|v| v.map_or(Value::Null, Value::from))
            .collect(),
        DataType::Utf8View => a
            .as_string_view()
            .iter()
            .map(|v| v.map_or(Value::Null, Value::from))
            .collect(),
        DataType::Dictionary(_, _) => {
            let d = a.as_any_dictionary();
            let values = cells(d.values())?;
            d.normalized_keys()
                .into_iter()
                .enumerate()
                .map(|(i, k)| {
                    if a.is_null(i) {
                        Value::Null
                    } else {
                        values.get(k).cloned().unwrap_or(Value::Null)
                    }
                })
                .collect()
        }
        DataType::Boolean => a
            .as_boolean()
            .iter()
            .map(|v| v.map_or(Value::Null, Value::from))
            .collect(),
        DataType::Int8 => each!(Int8Type, Value::from),
        DataType::Int16 => each!(Int16Type, Value::from),
        DataType::Int32 => each!(Int32Type, Value::from),
        DataType::Int64 => each!(Int64Type, Value::from),
        DataType::UInt8 => each!(UInt8Type, Value::from),
        DataType::UInt16 => each!(UInt16Type, Value::from),
        DataType::UInt32 => each!(UInt32Type, Value::from),
        DataType::UInt64 => each!(UInt64Type, Value::from),
        DataType::Float32 => each!(Float32Type, |f| float_value(f64::from(f))),
        DataType::Float64 => each!(Float64Type, float_value),
        DataType::Date32 => each!(Date32Type, |d| Value::String(qudao::Date(d).to_string())),
        DataType::Date64 => each!(Date64Type, |t| day_of(t, 86_400_000)),
        DataType::Timestamp(unit, None) => match unit {
            TimeUnit::Second => each!(TimestampSecondType, |t| day_of(t, 86_400)),
            TimeUnit::Millisecond => each!(TimestampMillisecondType, |t| day_of(t, 86_400_000)),
            TimeUnit::Microsecond => {
                each!(TimestampMicrosecondType, |t| day_of(t, 86_400_000_000))
            }
            TimeUnit::Nanosecond => {
                each!(TimestampNanosecondType, |t| day_of(t, 86_400_000_000_000))
            }
        },
        other => return Err(format!("unsupported column type {other}")),
    };
    Ok(values)
}

/// Rows read as a core type: the required columns must be there, every listed column present
/// in a row must read as its type (else a data error naming row, column and value), then the
/// row is read whole (so the core's defaults apply to what is left out). Columns not listed
/// are ignored. A macro: this crate does not depend on serde itself.
macro_rules! read_rows {
    ($source:expr, $t:ty, required $req:expr, { $($key:literal : $ft:ty),* $(,)? }) => {
        $source
            .map_or_else(|| Ok(Vec::new()), |s| s.rows($req))?
            .into_iter()
            .map(|row| -> qudao::Result<$t> {
                for req in $req {
                    if !row.fields.contains_key(*req) {
                        return Err(row.bad(Some(req), None, "missing value".to_owned()));
                    }
                }
                $(
                    if let Some(v) = row.fields.get($key) {
                        if let Err(e) = serde_json::from_value::<$ft>(v.clone()) {
                            return Err(row.bad(Some($key), Some(v), e.to_string()));
                        }
                    }
                )*
                let (source, index) = (row.source, row.index);
                serde_json::from_value::<$t>(Value::Object(row.fields))
                    .map_err(|e| bad(source, index, None, None, e.to_string()))
            })
            .collect::<qudao::Result<Vec<$t>>>()
    };
}

fn assignments(source: Option<Source>) -> qudao::Result<Vec<Assignment>> {
    read_rows!(source, Assignment, required &["customer", "partner"], {
        "customer": String,
        "partner": String,
        "from": qudao::Date,
        "to": qudao::Date,
    })
}

fn shipments(source: Option<Source>) -> qudao::Result<Vec<Shipment>> {
    read_rows!(source, Shipment, required &["batch", "product", "partner", "date", "quantity"], {
        "batch": String,
        "product": String,
        "partner": String,
        "date": qudao::Date,
        "quantity": i64,
        "ship_to": String,
    })
}

fn sightings(source: Option<Source>) -> qudao::Result<Vec<Sighting>> {
    read_rows!(source, Sighting, required &["batch", "date", "territory"], {
        "batch": String,
        "date": qudao::Date,
        "territory": String,
        "seller": String,
        "quantity": i64,
    })
}

/// What `detect_conflicts` takes besides the data set and the policy (owned, for the
/// GIL-free closure).
#[derive(Debug)]
struct DetectArgs {
    assignments: Option<Source>,
    shipments: Option<Source>,
    sightings: Option<Source>,
    threads: usize,
}

impl DetectArgs {
    fn detect(
        self,
        data: &qudao::Dataset,
        policy: &qudao::conflict::ConflictPolicy,
    ) -> qudao::Result<CoreReport> {
        let assignments = assignments(self.assignments)?;
        let shipments = shipments(self.shipments)?;
        let sightings = sightings(self.sightings)?;
        let inputs = ConflictInputs {
            assignments: &assignments,
            shipments: &shipments,
            sightings: &sightings,
            threads: self.threads,
        };
        qudao::conflict::detect(data, policy, &inputs)
    }
}

// --- the report ---------------------------------------------------------------------------

/// What a conflict run found.
#[pyclass(frozen, module = "qudao._native", name = "ConflictReport")]
#[derive(Debug)]
pub struct ConflictReport {
    inner: Arc<CoreReport>,
    findings: Table,
    currency: String,
}

fn joined(v: &[String]) -> String {
    v.join(", ")
}

/// One row per finding.
fn findings_batch(r: &CoreReport, currency: &str) -> qudao::Result<RecordBatch> {
    let f = &r.findings;
    let columns: Vec<Column> = vec![
        (
            "id",
            texts(f.iter().map(|x| x.id.as_str()).collect()),
            false,
        ),
        (
            "detector",
            texts(f.iter().map(|x| x.detector.as_str()).collect()),
            false,
        ),
        (
            "kind",
            texts(f.iter().map(|x| serde_name!(&x.kind)).collect()),
            false,
        ),
        (
            "partner",
            opt_texts(f.iter().map(|x| x.partner.clone()).collect()),
            true,
        ),
        (
            "parties",
            texts(f.iter().map(|x| joined(&x.parties)).collect()),
            false,
        ),
        (
            "channels",
            texts(f.iter().map(|x| joined(&x.channels)).collect()),
            false,
        ),
        (
            "territory",
            opt_texts(f.iter().map(|x| x.territory.clone()).collect()),
            true,
        ),
        (
            "product",
            opt_texts(f.iter().map(|x| x.product.clone()).collect()),
            true,
        ),
        (
            "period",
            texts(f.iter().map(|x| x.period.to_string()).collect()),
            false,
        ),
        (
            "first_day",
            Arc::new(Date32Array::from_iter_values(
                f.iter().map(|x| x.first_day.0),
            )),
            false,
        ),
        (
            "last_day",
            Arc::new(Date32Array::from_iter_values(
                f.iter().map(|x| x.last_day.0),
            )),
            false,
        ),
        (
            "severity",
            texts(f.iter().map(|x| serde_name!(&x.severity)).collect()),
            false,
        ),
        (
            "resolution",
            texts(f.iter().map(|x| serde_name!(&x.resolution)).collect()),
            false,
        ),
        (
            "repeats",
            Arc::new(UInt32Array::from_iter_values(f.iter().map(|x| x.repeats))),
            false,
        ),
        (
            "lines",
            Arc::new(UInt64Array::from_iter_values(
                f.iter().map(|x| x.evidence.lines),
            )),
            false,
        ),
        (
            "quantity",
            Arc::new(Int64Array::from_iter_values(
                f.iter().map(|x| x.evidence.quantity),
            )),
            false,
        ),
        (
            "amount",
            Arc::new(Int64Array::from_iter_values(
                f.iter().map(|x| x.evidence.amount),
            )),
            false,
        ),
        (
            "cause",
            opt_texts(
                f.iter()
                    .map(|x| x.cause.as_ref().map(|c| serde_name!(&c.kind)))
                    .collect(),
            ),
            true,
        ),
        (
            "message_en",
            texts(f.iter().map(|x| x.message.en.as_str()).collect()),
            false,
        ),
        (
            "message_zh",
            texts(f.iter().map(|x| x.message.zh.as_str()).collect()),
            false,
        ),
    ];
    batch(columns, Some(currency))
}

impl ConflictReport {
    fn new(report: CoreReport, currency: String) -> qudao::Result<ConflictReport> {
        let findings = Table::from_batch(findings_batch(&report, &currency)?);
        Ok(ConflictReport {
            inner: Arc::new(report),
            findings,
            currency,
        })
    }
}

#[pymethods]
impl ConflictReport {
    /// Id of the policy applied.
    #[getter]
    fn policy(&self) -> String {
        self.inner.policy.clone()
    }

    /// ISO 4217 code of the amounts (minor units).
    #[getter]
    fn currency(&self) -> String {
        self.currency.clone()
    }

    /// One row per finding (see the facade for the columns).
    #[getter]
    fn findings(&self) -> Table {
        self.findings.clone()
    }

    /// Lines read: `lines`, `sale_lines`, `return_lines`.
    #[getter]
    fn scanned(&self) -> HashMap<&'static str, u64> {
        let s = self.inner.scanned;
        HashMap::from([
            ("lines", s.lines),
            ("sale_lines", s.sale_lines),
            ("return_lines", s.return_lines),
        ])
    }

    /// Findings per detector (detectors without findings left out).
    fn counts(&self) -> BTreeMap<&'static str, usize> {
        self.inner
            .counts()
            .into_iter()
            .map(|(d, n)| (d.as_str(), n))
            .collect()
    }

    /// Every finding with its evidence, figures and cause, as JSON text (a list, in table
    /// order).
    fn explanations_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&self.inner.findings))
    }

    /// One finding as JSON text, `None` if no finding has this id.
    fn finding_json(&self, py: Python<'_>, id: &str) -> PyResult<Option<String>> {
        entry(py, || self.inner.get(id).map(|f| json!(f)).transpose())
    }

    /// The detectors that did not run and why, as JSON text (a list).
    fn not_run_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&self.inner.not_run))
    }

    /// The findings against a partner as rebate findings (JSON text, a list), those whose id
    /// is in `waived` marked waived.
    fn penalty_findings_json(&self, py: Python<'_>, waived: Vec<String>) -> PyResult<String> {
        entry(py, || json!(&self.inner.penalty_findings(&waived)))
    }

    /// The whole report as JSON text.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&*self.inner))
    }

    fn __repr__(&self) -> String {
        let counts = self
            .counts()
            .into_iter()
            .map(|(d, n)| format!("{d} {n}"))
            .collect::<Vec<_>>();
        format!(
            "<qudao ConflictReport {}: {} findings ({}), {} detectors not run, {} lines scanned>",
            self.inner.policy,
            self.inner.findings.len(),
            if counts.is_empty() {
                "none".to_owned()
            } else {
                counts.join(", ")
            },
            self.inner.not_run.len(),
            self.inner.scanned.lines,
        )
    }
}

/// Run every enabled detector of `policy` (default: every detector with its defaults) over
/// `dataset`.
#[pyfunction]
#[pyo3(signature = (dataset, policy = None, *, assignments = None, shipments = None, sightings = None, threads = 0))]
fn detect_conflicts(
    py: Python<'_>,
    dataset: PyRef<'_, Dataset>,
    policy: Option<PyRef<'_, ConflictPolicy>>,
    assignments: Option<Bound<'_, PyAny>>,
    shipments: Option<Bound<'_, PyAny>>,
    sightings: Option<Bound<'_, PyAny>>,
    threads: usize,
) -> PyResult<ConflictReport> {
    entry(py, || {
        let args = DetectArgs {
            assignments: Source::from_py("assignments", assignments.as_ref())?,
            shipments: Source::from_py("shipments", shipments.as_ref())?,
            sightings: Source::from_py("sightings", sightings.as_ref())?,
            threads,
        };
        let data = Arc::clone(&dataset.inner);
        let policy = policy.map(|p| Arc::clone(&p.inner));
        run(py, move || {
            let report = match &policy {
                Some(p) => args.detect(&data, p)?,
                None => args.detect(&data, &qudao::conflict::ConflictPolicy::default())?,
            };
            ConflictReport::new(report, data.currency().code.clone())
        })
    })
}

/// Register the classes and functions of this module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ConflictPolicy>()?;
    m.add_class::<ConflictReport>()?;
    m.add_function(wrap_pyfunction!(detect_conflicts, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use arrow_array::{DictionaryArray, Float64Array, StringArray};

    use super::*;

    fn json(name: &'static str, text: &str) -> Option<Source> {
        Some(Source::Json(name, text.to_owned()))
    }

    fn location(e: qudao::Error) -> (u64, Option<String>, Option<String>) {
        match e {
            qudao::Error::Data { location, .. } => (location.line, location.column, location.value),
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn rows_from_json_keep_the_core_defaults_and_name_bad_cells() {
        let s = sightings(json(
            "sightings",
            r#"[{"batch": "B1", "date": "2025-03-01", "territory": "SH", "seller": null}]"#,
        ))
        .expect("sighting");
        assert_eq!((s[0].quantity, s[0].seller.as_deref()), (1, None));
        let e = shipments(json(
            "shipments",
            r#"[{"batch": "B1", "product": "P", "partner": "D", "date": "2025-03-01", "quantity": 2},
                {"batch": "B2", "product": "P", "partner": "D", "date": "2025-02-30", "quantity": 2}]"#,
        ))
        .expect_err("bad date");
        assert_eq!(
            location(e),
            (2, Some("date".into()), Some("2025-02-30".into()))
        );
        let e =
            assignments(json("assignments", r#"[{"customer": "C1"}]"#)).expect_err("no partner");
        assert_eq!(location(e), (1, Some("partner".into()), None));
        let e = Source::Json("assignments", "[1]".into())
            .rows(&[])
            .expect_err("not an object");
        assert_eq!(location(e).0, 1);
    }

    #[test]
    fn rows_from_arrow_read_text_numbers_and_days() {
        let dict: DictionaryArray<arrow_array::types::Int32Type> =
            vec!["P1", "P2"].into_iter().collect();
        let b = RecordBatch::try_from_iter(vec![
            (
                "batch",
                Arc::new(StringArray::from(vec!["B1", "B2"])) as ArrayRef,
            ),
            ("product", Arc::new(dict) as ArrayRef),
            (
                "partner",
                Arc::new(StringArray::from(vec!["D", "D"])) as ArrayRef,
            ),
            ("date", Arc::new(Date32Array::from(vec![0, 1])) as ArrayRef),
            (
                "quantity",
                Arc::new(Float64Array::from(vec![2.0, 3.5])) as ArrayRef,
            ),
            (
                "ship_to",
                Arc::new(StringArray::from(vec![Some("SH"), None])) as ArrayRef,
            ),
        ])
        .expect("batch");
        let input = Input {
            name: "shipments",
            batches: vec![b.clone(), b],
        };
        let rows = arrow_rows(&input).expect("rows");
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[3].index, 3);
        assert_eq!(rows[1].fields["product"], "P2");
        assert_eq!(rows[1].fields["date"], "1970-01-02");
        assert!(!rows[1].fields.contains_key("ship_to"));
        let e = shipments(Some(Source::Arrow(input))).expect_err("3.5 units");
        assert_eq!(
            location(e),
            (2, Some("quantity".into()), Some("3.5".into()))
        );
        let b = RecordBatch::try_from_iter(vec![(
            "territory",
            Arc::new(StringArray::from(vec!["SH"])) as ArrayRef,
        )])
        .expect("batch");
        let no_batch = Source::Arrow(Input {
            name: "sightings",
            batches: vec![b],
        });
        assert!(matches!(
            sightings(Some(no_batch)),
            Err(qudao::Error::MissingColumn { ref column, .. }) if column == "batch"
        ));
    }

    #[test]
    fn sample_findings_become_a_table() {
        let sample = qudao::sample::generate(&qudao::sample::SampleConfig::with_lines(3_000))
            .expect("sample");
        let args = DetectArgs {
            assignments: None,
            shipments: None,
            sightings: None,
            threads: 1,
        };
        let report = args
            .detect(
                &sample.dataset,
                &qudao::conflict::ConflictPolicy::sample_company(),
            )
            .expect("detect");
        let b = findings_batch(&report, "CNY").expect("batch");
        assert_eq!(b.num_columns(), 20);
        assert_eq!(b.num_rows(), report.findings.len());
        assert_eq!(b.schema().metadata()["currency"], "CNY");
    }
}
