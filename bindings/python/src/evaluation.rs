//! Channel and partner evaluation: KPIs, scorecards, partner onboarding, the BCG matrix,
//! early warnings and grade changes.
//!
//! The documents (scorecard, BCG options, warning rules, onboarding policy, grade rules) are
//! parsed and validated by the core; a bad one is a `RuleError` with the field path. Tables
//! leave as Arrow ([`Table`]); explanations and evidence leave as JSON text the facade turns
//! into dicts. Structured inputs (market sizes, receivables, credit limits, a candidate)
//! arrive as JSON text made by the facade and are read one element at a time, so a bad
//! element is an `ArgumentError` naming it (`receivables[2]`).

use std::collections::HashMap;
use std::fmt::Display;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Date32Array, Float64Array, UInt32Array};
use pyo3::prelude::*;
use qudao::Period;
use qudao::document::RuleDocument;
use qudao::evaluation::alerts::{
    AlertInputs, AlertReport as CoreAlertReport, CreditLimit, Receivable,
};
use qudao::evaluation::bcg::BcgReport as CoreBcgReport;
use qudao::evaluation::grade::{GradeInputs, GradeReport as CoreGradeReport};
use qudao::evaluation::kpi::{Grain, KpiOptions, MarketSize};
use qudao::evaluation::onboarding::OnboardingResult;
use qudao::evaluation::scorecard::ScorecardRun as CoreScorecardRun;
use qudao::evaluation::{Kpi, KpiValue, Subject, SubjectKind};

use arrow_array::RecordBatch;

use crate::columns::{Column, batch, date_arg, table};
use crate::customer::{format_arg, serde_name};
use crate::json::{opt_texts, texts};
use crate::table::Table;
use crate::{Dataset, entry, errors, run};

/// The value of the tag field `tag` of a core value serialised as an internally tagged enum
/// (`{"reason": "no_data", …}` → `no_data`).
macro_rules! serde_tag {
    ($value:expr, $tag:literal) => {
        match serde_json::to_value($value) {
            Ok(serde_json::Value::Object(m)) => m
                .get($tag)
                .and_then(|t| t.as_str())
                .unwrap_or_default()
                .to_owned(),
            Ok(other) => other.to_string(),
            Err(e) => e.to_string(),
        }
    };
}

/// A decimal as the nearest float (the exact value stays in the JSON and text columns).
fn float(d: impl Display) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

fn floats(v: Vec<f64>) -> ArrayRef {
    Arc::new(Float64Array::from(v))
}

fn opt_floats(v: Vec<Option<f64>>) -> ArrayRef {
    Arc::new(Float64Array::from(v))
}

fn bools(v: Vec<bool>) -> ArrayRef {
    Arc::new(BooleanArray::from(v))
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn kind_arg(name: &str, text: &str) -> qudao::Result<SubjectKind> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|_| {
        qudao::Error::invalid_argument(
            name,
            format!("{text:?} is not one of channel, partner, territory, product"),
        )
    })
}

fn kpi_arg(name: &str, text: &str) -> qudao::Result<Kpi> {
    Kpi::parse(text).ok_or_else(|| {
        let known: Vec<&str> = Kpi::ALL.iter().map(|k| k.name()).collect();
        qudao::Error::invalid_argument(
            name,
            format!("{text:?} is not a KPI (one of {})", known.join(", ")),
        )
    })
}

fn period_arg(name: &str, text: &str) -> qudao::Result<Period> {
    Period::parse(text).map_err(|e| {
        qudao::Error::invalid_argument(
            name,
            format!(
                "{text:?} is not a period (2025, 2025-H1, 2025-Q3, 2025-07 or \
                 2025-07-01..2025-09-30): {e}"
            ),
        )
    })
}

fn periods_arg(name: &str, texts: &[String]) -> qudao::Result<Vec<Period>> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| period_arg(&format!("{name}[{i}]"), t))
        .collect()
}

/// A decimal parameter given as text (`"60"`, `"0.5"`), read into the core's decimal type.
macro_rules! decimal_arg {
    ($name:expr, $text:expr) => {
        serde_json::from_value(serde_json::Value::String($text.clone())).map_err(|e| {
            qudao::Error::invalid_argument($name, format!("{:?} is not a decimal: {e}", $text))
        })
    };
}

// --- KPIs ---------------------------------------------------------------------------------

/// KPI values per (subject, period, KPI) (immutable).
#[pyclass(frozen, module = "qudao._native", name = "KpiTable")]
#[derive(Debug)]
pub struct KpiTable {
    inner: Arc<qudao::evaluation::KpiTable>,
    rows: Table,
    currency: qudao::Currency,
}

/// The long table: one row per (subject, period, KPI).
fn kpi_rows(t: &qudao::evaluation::KpiTable) -> qudao::Result<RecordBatch> {
    let units: HashMap<Kpi, (String, String)> = Kpi::ALL
        .iter()
        .map(|k| (*k, (serde_name!(&k.unit()), serde_name!(&k.direction()))))
        .collect();
    let kinds: HashMap<SubjectKind, String> = t
        .values
        .keys()
        .map(|s| (s.kind, serde_name!(&s.kind)))
        .collect();
    let n: usize = t
        .values
        .values()
        .flat_map(|p| p.values())
        .map(|k| k.len())
        .sum();
    let mut subject_kind = Vec::with_capacity(n);
    let mut subject = Vec::with_capacity(n);
    let mut period = Vec::with_capacity(n);
    let mut start = Vec::with_capacity(n);
    let mut end = Vec::with_capacity(n);
    let mut kpi = Vec::with_capacity(n);
    let mut value = Vec::with_capacity(n);
    let mut value_text = Vec::with_capacity(n);
    let mut unit = Vec::with_capacity(n);
    let mut direction = Vec::with_capacity(n);
    let mut missing_kind = Vec::with_capacity(n);
    let mut missing_reason = Vec::with_capacity(n);
    for (s, periods) in &t.values {
        let kind = kinds.get(&s.kind).map(String::as_str).unwrap_or_default();
        for (p, values) in periods {
            let p_text = p.to_string();
            for (k, v) in values {
                subject_kind.push(kind);
                subject.push(s.id.as_str());
                period.push(p_text.clone());
                start.push(p.start.0);
                end.push(p.end.0);
                kpi.push(k.name());
                let (u, d) = units
                    .get(k)
                    .map(|(u, d)| (u.as_str(), d.as_str()))
                    .unwrap_or_default();
                unit.push(u);
                direction.push(d);
                match v {
                    KpiValue::Value(x) => {
                        value.push(Some(float(x)));
                        value_text.push(Some(x.to_string()));
                        missing_kind.push(None);
                        missing_reason.push(None);
                    }
                    KpiValue::Missing(m) => {
                        value.push(None);
                        value_text.push(None);
                        missing_kind.push(Some(serde_tag!(m, "reason")));
                        missing_reason.push(Some(m.to_string()));
                    }
                }
            }
        }
    }
    let columns: Vec<Column> = vec![
        ("subject_kind", texts(subject_kind), false),
        ("subject", texts(subject), false),
        ("period", texts(period), false),
        ("period_start", Arc::new(Date32Array::from(start)), false),
        ("period_end", Arc::new(Date32Array::from(end)), false),
        ("kpi", texts(kpi), false),
        ("value", opt_floats(value), true),
        ("value_text", opt_texts(value_text), true),
        ("unit", texts(unit), false),
        ("direction", texts(direction), false),
        ("missing_kind", opt_texts(missing_kind), true),
        ("missing_reason", opt_texts(missing_reason), true),
    ];
    batch(columns, None)
}

impl KpiTable {
    /// The subject with this id (of `kind`, when given); an id of several kinds needs `kind`.
    fn subject(&self, id: &str, kind: Option<&str>) -> qudao::Result<Option<Subject>> {
        if let Some(kind) = kind {
            let kind = kind_arg("kind", kind)?;
            return Ok(Some(Subject {
                kind,
                id: id.to_owned(),
            }));
        }
        let found: Vec<&Subject> = self.inner.values.keys().filter(|s| s.id == id).collect();
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some((*one).clone())),
            many => Err(qudao::Error::invalid_argument(
                "kind",
                format!(
                    "{id:?} is a subject of several kinds ({}): say which",
                    many.iter()
                        .map(|s| serde_name!(&s.kind))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
}

/// One looked-up value: `(value_text, missing_kind, missing_reason)`.
type Cell = (Option<String>, Option<String>, Option<String>);

#[pymethods]
impl KpiTable {
    /// The periods, sorted, as text (`2025-03`, `2025-Q1`, `2025-07-01..2025-07-14`).
    #[getter]
    fn periods(&self) -> Vec<String> {
        self.inner.periods.iter().map(Period::to_string).collect()
    }

    /// One row per (subject, period, KPI) (see the facade for the columns).
    #[getter]
    fn table(&self) -> Table {
        self.rows.clone()
    }

    /// ISO 4217 code of the data set the table was computed from (money KPIs are in its
    /// major units).
    #[getter]
    fn currency(&self) -> String {
        self.currency.code.clone()
    }

    /// The subject ids of a kind, sorted.
    fn subjects(&self, py: Python<'_>, kind: &str) -> PyResult<Vec<String>> {
        entry(py, || {
            let kind = kind_arg("kind", kind).map_err(|e| errors::to_pyerr(py, e))?;
            Ok(self.inner.subjects(kind).map(|s| s.id.clone()).collect())
        })
    }

    /// One value: `None` when the table has no entry for it (not computed); else
    /// `(value_text, missing_kind, missing_reason)` with either the value or the reason.
    #[pyo3(signature = (subject, period, kpi, kind = None))]
    fn get(
        &self,
        py: Python<'_>,
        subject: &str,
        period: &str,
        kpi: &str,
        kind: Option<&str>,
    ) -> PyResult<Option<Cell>> {
        entry(py, || {
            let found = (|| -> qudao::Result<_> {
                let period = period_arg("period", period)?;
                let kpi = kpi_arg("kpi", kpi)?;
                let Some(subject) = self.subject(subject, kind)? else {
                    return Ok(None);
                };
                Ok(self.inner.get(&subject, period, kpi).cloned())
            })()
            .map_err(|e| errors::to_pyerr(py, e))?;
            Ok(found.map(|v| match v {
                KpiValue::Value(x) => (Some(x.to_string()), None, None),
                KpiValue::Missing(m) => (None, Some(serde_tag!(&m, "reason")), Some(m.to_string())),
            }))
        })
    }

    /// The whole table as JSON text: `periods`, and `values`, one entry per subject
    /// (`kind`, `id`, `values`: period → KPI → value or missing reason).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&*self.inner))
    }

    fn __repr__(&self) -> String {
        format!(
            "<qudao KpiTable: {} subjects × {} periods>",
            self.inner.values.len(),
            self.inner.periods.len(),
        )
    }
}

/// What `kpis` takes besides the data set (owned, for the GIL-free closure).
#[derive(Debug)]
struct KpiArgs {
    grain: String,
    from: Option<qudao::Date>,
    to: Option<qudao::Date>,
    periods: Option<Vec<String>>,
    kinds: Option<Vec<String>>,
    roll_up: bool,
    market_size: Option<String>,
    as_of: Option<qudao::Date>,
    backlog_days: Option<String>,
    complaint_sla_hours: Option<i64>,
    new_product_days: Option<i32>,
    threads: usize,
}

impl KpiArgs {
    /// The core's options. Calendar grains need `from` and `to`; custom periods run from
    /// the first one's start to the last one's end unless `from`/`to` say otherwise (the
    /// default as-of day is the day before `to`).
    fn options(self) -> qudao::Result<KpiOptions> {
        let (grain, from, to) = match self.grain.as_str() {
            "month" | "quarter" | "year" => {
                let need = |name: &str, d: Option<qudao::Date>| {
                    d.ok_or_else(|| {
                        qudao::Error::invalid_argument(
                            name,
                            format!("required with grain {:?}", self.grain),
                        )
                    })
                };
                let from = need("from_", self.from)?;
                let to = need("to", self.to)?;
                if to <= from {
                    return Err(qudao::Error::invalid_argument(
                        "to",
                        format!("{to} is not after from_ {from}"),
                    ));
                }
                let grain = match self.grain.as_str() {
                    "month" => Grain::Month,
                    "quarter" => Grain::Quarter,
                    _ => Grain::Year,
                };
                (grain, from, to)
            }
            "custom" => {
                let texts = self.periods.as_deref().unwrap_or_default();
                let periods = periods_arg("periods", texts)?;
                let (Some(first), Some(last)) = (
                    periods.iter().map(|p| p.start).min(),
                    periods.iter().map(|p| p.end).max(),
                ) else {
                    return Err(qudao::Error::invalid_argument(
                        "periods",
                        "give at least one period",
                    ));
                };
                (
                    Grain::Custom(periods),
                    self.from.unwrap_or(first),
                    self.to.unwrap_or(last),
                )
            }
            other => {
                return Err(qudao::Error::invalid_argument(
                    "grain",
                    format!("{other:?} is not one of month, quarter, year or a list of periods"),
                ));
            }
        };
        let mut o = KpiOptions::new(from, to, grain);
        if let Some(kinds) = &self.kinds {
            o.kinds = kinds
                .iter()
                .enumerate()
                .map(|(i, k)| kind_arg(&format!("kinds[{i}]"), k))
                .collect::<qudao::Result<_>>()?;
        }
        o.roll_up = self.roll_up;
        o.market_size = json_list!(MarketSize, "market_size", self.market_size.as_deref())?;
        if let Some(d) = self.as_of {
            o.as_of = d;
        }
        if let Some(text) = &self.backlog_days {
            o.backlog_days = decimal_arg!("backlog_days", text)?;
        }
        if let Some(h) = self.complaint_sla_hours {
            o.complaint_sla_hours = h;
        }
        if let Some(d) = self.new_product_days {
            o.new_product_days = d;
        }
        o.threads = self.threads;
        Ok(o)
    }
}

/// Every KPI for every subject of the requested kinds and every period.
#[pyfunction]
#[pyo3(signature = (dataset, grain, from_ = None, to = None, periods = None, kinds = None, roll_up = false, market_size = None, as_of = None, backlog_days = None, complaint_sla_hours = None, new_product_days = None, threads = 0))]
#[expect(
    clippy::too_many_arguments,
    reason = "the Python signature: keyword arguments with defaults"
)]
fn kpis(
    py: Python<'_>,
    dataset: PyRef<'_, Dataset>,
    grain: String,
    from_: Option<Bound<'_, PyAny>>,
    to: Option<Bound<'_, PyAny>>,
    periods: Option<Vec<String>>,
    kinds: Option<Vec<String>>,
    roll_up: bool,
    market_size: Option<String>,
    as_of: Option<Bound<'_, PyAny>>,
    backlog_days: Option<String>,
    complaint_sla_hours: Option<i64>,
    new_product_days: Option<i32>,
    threads: usize,
) -> PyResult<KpiTable> {
    entry(py, || {
        let date = |name: &str, v: &Option<Bound<'_, PyAny>>| {
            v.as_ref()
                .map(|v| date_arg(name, v))
                .transpose()
                .map_err(|e| errors::to_pyerr(py, e))
        };
        let args = KpiArgs {
            grain,
            from: date("from_", &from_)?,
            to: date("to", &to)?,
            periods,
            kinds,
            roll_up,
            market_size,
            as_of: date("as_of", &as_of)?,
            backlog_days,
            complaint_sla_hours,
            new_product_days,
            threads,
        };
        let data = Arc::clone(&dataset.inner);
        run(py, move || {
            let options = args.options()?;
            let inner = qudao::evaluation::kpi::compute(&data, &options)?;
            let rows = Table::from_batch(kpi_rows(&inner)?);
            Ok(KpiTable {
                inner: Arc::new(inner),
                rows,
                currency: data.currency().clone(),
            })
        })
    })
}

// --- documents ----------------------------------------------------------------------------

/// A rule-document class: `parse`, `from_path`, `sample_company`, `json_schema`, `id`,
/// `to_json`, and the methods given.
macro_rules! document {
    ($(#[$doc:meta])* $name:ident($core:ty, $pyname:literal, $what:literal) { $($extra:tt)* }) => {
        $(#[$doc])*
        #[pyclass(frozen, module = "qudao._native", name = $pyname)]
        #[derive(Debug)]
        pub struct $name {
            inner: Arc<$core>,
        }

        #[pymethods]
        impl $name {
            #[doc = concat!("Parse and validate ", $what, " from `json`, `toml` or `yaml` text.")]
            #[staticmethod]
            fn parse(py: Python<'_>, text: String, format: &str) -> PyResult<$name> {
                entry(py, || {
                    let format = format_arg(format).map_err(|e| errors::to_pyerr(py, e))?;
                    let inner = run(py, move || <$core>::parse(&text, format))?;
                    Ok($name { inner: Arc::new(inner) })
                })
            }

            #[doc = concat!("Read ", $what, " file (`.json`, `.toml`, `.yaml`/`.yml`).")]
            #[staticmethod]
            fn from_path(py: Python<'_>, path: PathBuf) -> PyResult<$name> {
                entry(py, || {
                    let inner = run(py, move || <$core>::from_path(&path))?;
                    Ok($name { inner: Arc::new(inner) })
                })
            }

            #[doc = concat!("The sample company's ", $what, ".")]
            #[staticmethod]
            fn sample_company(py: Python<'_>) -> PyResult<$name> {
                entry(py, || {
                    let inner = run(py, || Ok(<$core>::sample_company()))?;
                    Ok($name { inner: Arc::new(inner) })
                })
            }

            /// The JSON Schema of the document, as JSON text.
            #[staticmethod]
            fn json_schema() -> String {
                <$core as RuleDocument>::json_schema()
            }

            /// Document id.
            #[getter]
            fn id(&self) -> String {
                self.inner.id.clone()
            }

            /// The document as JSON text.
            fn to_json(&self) -> String {
                self.inner.to_json()
            }

            $($extra)*
        }
    };
}

document! {
    /// A weighted scorecard (immutable, validated).
    Scorecard(qudao::evaluation::scorecard::Scorecard, "Scorecard", "a scorecard") {
        /// The kind of subject scored.
        #[getter]
        fn subject(&self) -> String {
            serde_name!(&self.inner.subject)
        }

        /// The KPIs the card reads, in document order.
        #[getter]
        fn kpis(&self) -> Vec<&'static str> {
            self.inner.kpis().into_iter().map(Kpi::name).collect()
        }

        /// Score every subject of the card's kind in every period of `kpis`.
        fn evaluate(&self, py: Python<'_>, kpis: PyRef<'_, KpiTable>) -> PyResult<ScorecardRun> {
            entry(py, || {
                let card = Arc::clone(&self.inner);
                let table = Arc::clone(&kpis.inner);
                run(py, move || ScorecardRun::new(card.evaluate(&table)?))
            })
        }

        fn __repr__(&self) -> String {
            format!(
                "<qudao Scorecard {}: {} groups, {} indicators over {}s>",
                self.inner.id,
                self.inner.groups.len(),
                self.inner.kpis().len(),
                serde_name!(&self.inner.subject),
            )
        }
    }
}

/// A scorecard evaluated over a KPI table.
#[pyclass(frozen, module = "qudao._native", name = "ScorecardRun")]
#[derive(Debug)]
pub struct ScorecardRun {
    inner: Arc<CoreScorecardRun>,
    scores: Table,
    indicators: Table,
}

impl ScorecardRun {
    fn new(run: CoreScorecardRun) -> qudao::Result<ScorecardRun> {
        let scores = Table::from_batch(score_rows(&run)?);
        let indicators = Table::from_batch(indicator_rows(&run)?);
        Ok(ScorecardRun {
            inner: Arc::new(run),
            scores,
            indicators,
        })
    }
}

fn kpi_list(reasons: &[qudao::evaluation::scorecard::Reason]) -> String {
    reasons
        .iter()
        .map(|r| r.kpi.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row per (subject, period) scored, by period then rank.
fn score_rows(run: &CoreScorecardRun) -> qudao::Result<RecordBatch> {
    let rows: Vec<(String, &qudao::evaluation::scorecard::SubjectScore)> = run
        .periods
        .iter()
        .flat_map(|p| {
            let text = p.period.to_string();
            p.scores.iter().map(move |s| (text.clone(), s))
        })
        .collect();
    let columns: Vec<Column> = vec![
        (
            "subject",
            texts(rows.iter().map(|(_, s)| s.id.as_str()).collect()),
            false,
        ),
        (
            "period",
            texts(rows.iter().map(|(p, _)| p.as_str()).collect()),
            false,
        ),
        (
            "score",
            floats(rows.iter().map(|(_, s)| s.score).collect()),
            false,
        ),
        (
            "rank",
            Arc::new(UInt32Array::from_iter_values(
                rows.iter().map(|(_, s)| count(s.rank)),
            )),
            false,
        ),
        (
            "strengths",
            texts(rows.iter().map(|(_, s)| kpi_list(&s.strengths)).collect()),
            false,
        ),
        (
            "weaknesses",
            texts(rows.iter().map(|(_, s)| kpi_list(&s.weaknesses)).collect()),
            false,
        ),
    ];
    batch(columns, None)
}

/// One row per (subject, period, indicator), scored subjects only.
fn indicator_rows(run: &CoreScorecardRun) -> qudao::Result<RecordBatch> {
    let mut subject = Vec::new();
    let mut period = Vec::new();
    let mut group = Vec::new();
    let mut kpi = Vec::new();
    let mut direction = Vec::new();
    let mut raw = Vec::new();
    let mut raw_text = Vec::new();
    let mut used_text = Vec::new();
    let mut normalised = Vec::new();
    let mut weight = Vec::new();
    let mut effective = Vec::new();
    let mut contribution = Vec::new();
    let mut action = Vec::new();
    let mut missing = Vec::new();
    let mut note = Vec::new();
    for p in &run.periods {
        let p_text = p.period.to_string();
        for s in &p.scores {
            for i in &s.indicators {
                subject.push(s.id.as_str());
                period.push(p_text.clone());
                group.push(serde_name!(&i.group));
                kpi.push(i.kpi.name());
                direction.push(serde_name!(&i.direction));
                raw.push(i.raw.map(float));
                raw_text.push(i.raw.map(|v| v.to_string()));
                used_text.push(i.used.map(|v| v.to_string()));
                normalised.push(i.normalised);
                weight.push(i.weight);
                effective.push(i.effective_weight);
                contribution.push(i.contribution);
                action.push(serde_tag!(&i.action, "action"));
                missing.push(i.missing.as_ref().map(ToString::to_string));
                note.push(i.note.clone());
            }
        }
    }
    let columns: Vec<Column> = vec![
        ("subject", texts(subject), false),
        ("period", texts(period), false),
        ("group", texts(group), false),
        ("kpi", texts(kpi), false),
        ("direction", texts(direction), false),
        ("raw", opt_floats(raw), true),
        ("raw_text", opt_texts(raw_text), true),
        ("used_text", opt_texts(used_text), true),
        ("normalised", opt_floats(normalised), true),
        ("weight", floats(weight), false),
        ("effective_weight", floats(effective), false),
        ("contribution", floats(contribution), false),
        ("action", texts(action), false),
        ("missing_reason", opt_texts(missing), true),
        ("note", opt_texts(note), true),
    ];
    batch(columns, None)
}

#[pymethods]
impl ScorecardRun {
    /// The scorecard id.
    #[getter]
    fn scorecard(&self) -> String {
        self.inner.scorecard.clone()
    }

    /// The kind of subject scored.
    #[getter]
    fn subject(&self) -> String {
        serde_name!(&self.inner.subject)
    }

    /// The periods scored, ascending.
    #[getter]
    fn periods(&self) -> Vec<String> {
        self.inner
            .periods
            .iter()
            .map(|p| p.period.to_string())
            .collect()
    }

    /// One row per (subject, period) scored.
    #[getter]
    fn scores(&self) -> Table {
        self.scores.clone()
    }

    /// One row per (subject, period, indicator).
    #[getter]
    fn indicators(&self) -> Table {
        self.indicators.clone()
    }

    /// The score of a subject with its explanation, as JSON text; `None` when not scored.
    /// Without `period`, the latest period the subject was scored in.
    #[pyo3(signature = (subject, period = None))]
    fn explain_json(
        &self,
        py: Python<'_>,
        subject: &str,
        period: Option<&str>,
    ) -> PyResult<Option<String>> {
        entry(py, || {
            let found = match period {
                Some(p) => {
                    let p = period_arg("period", p).map_err(|e| errors::to_pyerr(py, e))?;
                    self.inner
                        .period(p)
                        .and_then(|ps| ps.get(subject).map(|s| (ps, s)))
                }
                None => self
                    .inner
                    .periods
                    .iter()
                    .rev()
                    .find_map(|ps| ps.get(subject).map(|s| (ps, s))),
            };
            found
                .map(|(ps, s)| {
                    let mut v = serde_json::to_value(s)
                        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
                    if let serde_json::Value::Object(m) = &mut v {
                        m.insert("period".into(), ps.period.to_string().into());
                    }
                    json!(&v)
                })
                .transpose()
        })
    }

    /// Every period with its scores (explained) and unscored subjects, as JSON text.
    fn periods_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&self.inner.periods))
    }

    /// The whole run as JSON text.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&*self.inner))
    }

    fn __repr__(&self) -> String {
        format!(
            "<qudao ScorecardRun {}: {} periods, {} scores>",
            self.inner.scorecard,
            self.inner.periods.len(),
            self.inner
                .periods
                .iter()
                .map(|p| p.scores.len())
                .sum::<usize>()
        )
    }
}

document! {
    /// BCG matrix options (immutable, validated).
    BcgOptions(qudao::evaluation::bcg::BcgOptions, "BcgOptions", "BCG options") {
        /// The kind of subject classified.
        #[getter]
        fn kind(&self) -> String {
            serde_name!(&self.inner.kind)
        }

        /// The growth KPI.
        #[getter]
        fn growth_kpi(&self) -> &'static str {
            self.inner.growth_kpi.name()
        }

        /// The growth threshold (`≥` is high), exact decimal text.
        #[getter]
        fn growth_threshold(&self) -> String {
            self.inner.growth_threshold.to_string()
        }

        /// The size KPI.
        #[getter]
        fn size_kpi(&self) -> &'static str {
            self.inner.size_kpi.name()
        }

        /// The share definition (`largest_peer`, `peer_average`).
        #[getter]
        fn share(&self) -> String {
            serde_name!(&self.inner.share)
        }

        /// The relative-share threshold (`≥` is high), exact decimal text.
        #[getter]
        fn share_threshold(&self) -> String {
            self.inner.share_threshold.to_string()
        }

        /// Classify each period (default: every period of `kpis`) and report the movements.
        #[pyo3(signature = (kpis, periods = None))]
        fn analyze(
            &self,
            py: Python<'_>,
            kpis: PyRef<'_, KpiTable>,
            periods: Option<Vec<String>>,
        ) -> PyResult<BcgReport> {
            entry(py, || {
                let options = Arc::clone(&self.inner);
                let table = Arc::clone(&kpis.inner);
                run(py, move || {
                    let periods = match periods {
                        Some(p) => periods_arg("periods", &p)?,
                        None => table.periods.clone(),
                    };
                    let report = options.analyze(&table, &periods)?;
                    BcgReport::new(report, options)
                })
            })
        }

        fn __repr__(&self) -> String {
            let o = &self.inner;
            format!(
                "<qudao BcgOptions {}: {}s, {} ≥ {}, {} share ({}) ≥ {}>",
                o.id,
                serde_name!(&o.kind),
                o.growth_kpi,
                o.growth_threshold,
                o.size_kpi,
                serde_name!(&o.share),
                o.share_threshold
            )
        }
    }
}

/// BCG matrices and movements.
#[pyclass(frozen, module = "qudao._native", name = "BcgReport")]
#[derive(Debug)]
pub struct BcgReport {
    inner: Arc<CoreBcgReport>,
    options: Arc<qudao::evaluation::bcg::BcgOptions>,
    entries: Table,
    unclassified: Table,
    movements: Table,
}

impl BcgReport {
    fn new(
        report: CoreBcgReport,
        options: Arc<qudao::evaluation::bcg::BcgOptions>,
    ) -> qudao::Result<BcgReport> {
        let rows: Vec<(String, &qudao::evaluation::bcg::BcgEntry)> = report
            .matrices
            .iter()
            .flat_map(|m| {
                let p = m.period.to_string();
                m.entries.iter().map(move |e| (p.clone(), e))
            })
            .collect();
        let entries: Vec<Column> = vec![
            (
                "period",
                texts(rows.iter().map(|(p, _)| p.as_str()).collect()),
                false,
            ),
            (
                "subject",
                texts(rows.iter().map(|(_, e)| e.subject.as_str()).collect()),
                false,
            ),
            (
                "quadrant",
                texts(rows.iter().map(|(_, e)| e.quadrant.name()).collect()),
                false,
            ),
            (
                "growth",
                floats(rows.iter().map(|(_, e)| float(e.growth)).collect()),
                false,
            ),
            (
                "growth_text",
                texts(rows.iter().map(|(_, e)| e.growth.to_string()).collect()),
                false,
            ),
            (
                "high_growth",
                bools(rows.iter().map(|(_, e)| e.high_growth).collect()),
                false,
            ),
            (
                "size",
                floats(rows.iter().map(|(_, e)| float(e.size)).collect()),
                false,
            ),
            (
                "reference_peer",
                opt_texts(rows.iter().map(|(_, e)| e.reference.peer.clone()).collect()),
                true,
            ),
            (
                "reference_value",
                floats(rows.iter().map(|(_, e)| float(e.reference.value)).collect()),
                false,
            ),
            (
                "relative_share",
                floats(rows.iter().map(|(_, e)| float(e.relative_share)).collect()),
                false,
            ),
            (
                "relative_share_text",
                texts(
                    rows.iter()
                        .map(|(_, e)| e.relative_share.to_string())
                        .collect(),
                ),
                false,
            ),
            (
                "high_share",
                bools(rows.iter().map(|(_, e)| e.high_share).collect()),
                false,
            ),
            (
                "action_en",
                texts(rows.iter().map(|(_, e)| e.action.en.as_str()).collect()),
                false,
            ),
            (
                "action_zh",
                texts(rows.iter().map(|(_, e)| e.action.zh.as_str()).collect()),
                false,
            ),
        ];
        let un: Vec<(String, &qudao::evaluation::bcg::Unclassified)> = report
            .matrices
            .iter()
            .flat_map(|m| {
                let p = m.period.to_string();
                m.unclassified.iter().map(move |u| (p.clone(), u))
            })
            .collect();
        let unclassified: Vec<Column> = vec![
            (
                "period",
                texts(un.iter().map(|(p, _)| p.as_str()).collect()),
                false,
            ),
            (
                "subject",
                texts(un.iter().map(|(_, u)| u.subject.as_str()).collect()),
                false,
            ),
            (
                "cause",
                texts(
                    un.iter()
                        .map(|(_, u)| serde_tag!(&u.reason, "cause"))
                        .collect(),
                ),
                false,
            ),
            (
                "reason",
                texts(un.iter().map(|(_, u)| u.reason.to_string()).collect()),
                false,
            ),
        ];
        let mv = &report.movements;
        let movements: Vec<Column> = vec![
            (
                "subject",
                texts(mv.iter().map(|m| m.subject.as_str()).collect()),
                false,
            ),
            (
                "from_period",
                texts(mv.iter().map(|m| m.from_period.to_string()).collect()),
                false,
            ),
            (
                "from",
                texts(mv.iter().map(|m| m.from.name()).collect()),
                false,
            ),
            (
                "to_period",
                texts(mv.iter().map(|m| m.to_period.to_string()).collect()),
                false,
            ),
            ("to", texts(mv.iter().map(|m| m.to.name()).collect()), false),
        ];
        Ok(BcgReport {
            entries: table(entries, None)?,
            unclassified: table(unclassified, None)?,
            movements: table(movements, None)?,
            inner: Arc::new(report),
            options,
        })
    }
}

#[pymethods]
impl BcgReport {
    /// The periods classified, ascending.
    #[getter]
    fn periods(&self) -> Vec<String> {
        self.inner
            .matrices
            .iter()
            .map(|m| m.period.to_string())
            .collect()
    }

    /// The kind of subject classified.
    #[getter]
    fn kind(&self) -> String {
        serde_name!(&self.options.kind)
    }

    /// The growth KPI.
    #[getter]
    fn growth_kpi(&self) -> &'static str {
        self.options.growth_kpi.name()
    }

    /// The growth threshold, exact decimal text.
    #[getter]
    fn growth_threshold(&self) -> String {
        self.options.growth_threshold.to_string()
    }

    /// The size KPI.
    #[getter]
    fn size_kpi(&self) -> &'static str {
        self.options.size_kpi.name()
    }

    /// The share definition.
    #[getter]
    fn share(&self) -> String {
        serde_name!(&self.options.share)
    }

    /// The relative-share threshold, exact decimal text.
    #[getter]
    fn share_threshold(&self) -> String {
        self.options.share_threshold.to_string()
    }

    /// One row per classified (period, subject).
    #[getter]
    fn table(&self) -> Table {
        self.entries.clone()
    }

    /// One row per (period, subject) that could not be classified, with the reason.
    #[getter]
    fn unclassified(&self) -> Table {
        self.unclassified.clone()
    }

    /// One row per quadrant change between consecutive periods.
    #[getter]
    fn movements(&self) -> Table {
        self.movements.clone()
    }

    /// The whole report as JSON text.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&*self.inner))
    }

    fn __repr__(&self) -> String {
        format!(
            "<qudao BcgReport {}: {} periods, {} classified, {} unclassified, {} movements>",
            self.options.id,
            self.inner.matrices.len(),
            self.inner
                .matrices
                .iter()
                .map(|m| m.entries.len())
                .sum::<usize>(),
            self.inner
                .matrices
                .iter()
                .map(|m| m.unclassified.len())
                .sum::<usize>(),
            self.inner.movements.len()
        )
    }
}

document! {
    /// Early-warning rules (immutable, validated).
    WarningRules(qudao::evaluation::alerts::WarningRules, "WarningRules", "warning rules") {
        /// Rule ids, in document order.
        #[getter]
        fn rules(&self) -> Vec<String> {
            self.inner.rules.iter().map(|r| r.id.clone()).collect()
        }

        /// Check every rule against `kpis` (every period, or `periods`). `receivables` and
        /// `credit_limits` are JSON lists (amounts in minor units of the data's currency).
        #[pyo3(signature = (kpis, receivables = None, credit_limits = None, periods = None))]
        fn evaluate(
            &self,
            py: Python<'_>,
            kpis: PyRef<'_, KpiTable>,
            receivables: Option<String>,
            credit_limits: Option<String>,
            periods: Option<Vec<String>>,
        ) -> PyResult<AlertReport> {
            entry(py, || {
                let rules = Arc::clone(&self.inner);
                let table = Arc::clone(&kpis.inner);
                let currency = kpis.currency.clone();
                run(py, move || {
                    let receivables = receivables
                        .as_deref()
                        .map(|t| json_list!(Receivable, "receivables", Some(t)))
                        .transpose()?;
                    let limits = credit_limits
                        .as_deref()
                        .map(|t| json_list!(CreditLimit, "credit_limits", Some(t)))
                        .transpose()?;
                    let periods = periods.map(|p| periods_arg("periods", &p)).transpose()?;
                    let inputs = AlertInputs {
                        receivables: receivables.as_deref(),
                        credit_limits: limits.as_deref(),
                        currency,
                        periods: periods.as_deref(),
                    };
                    AlertReport::new(rules.evaluate(&table, &inputs)?)
                })
            })
        }

        fn __repr__(&self) -> String {
            format!(
                "<qudao WarningRules {}: {} rules ({})>",
                self.inner.id,
                self.inner.rules.len(),
                self.rules().join(", ")
            )
        }
    }
}

/// Alerts with their evidence, and what each rule did.
#[pyclass(frozen, module = "qudao._native", name = "AlertReport")]
#[derive(Debug)]
pub struct AlertReport {
    inner: Arc<CoreAlertReport>,
    alerts: Table,
}

impl AlertReport {
    fn new(report: CoreAlertReport) -> qudao::Result<AlertReport> {
        let a = &report.alerts;
        let columns: Vec<Column> = vec![
            (
                "rule",
                texts(a.iter().map(|x| x.rule.as_str()).collect()),
                false,
            ),
            (
                "severity",
                texts(a.iter().map(|x| x.severity.name()).collect()),
                false,
            ),
            (
                "subject_kind",
                texts(a.iter().map(|x| serde_name!(&x.subject.kind)).collect()),
                false,
            ),
            (
                "subject",
                texts(a.iter().map(|x| x.subject.id.as_str()).collect()),
                false,
            ),
            (
                "period",
                texts(a.iter().map(|x| x.period.to_string()).collect()),
                false,
            ),
            (
                "evidence_kind",
                texts(a.iter().map(|x| serde_tag!(&x.evidence, "kind")).collect()),
                false,
            ),
            (
                "message",
                texts(a.iter().map(|x| x.message.as_str()).collect()),
                false,
            ),
            (
                "rule_name_en",
                texts(a.iter().map(|x| x.rule_name.en.as_str()).collect()),
                false,
            ),
            (
                "rule_name_zh",
                texts(a.iter().map(|x| x.rule_name.zh.as_str()).collect()),
                false,
            ),
            (
                "action_en",
                texts(a.iter().map(|x| x.action.en.as_str()).collect()),
                false,
            ),
            (
                "action_zh",
                texts(a.iter().map(|x| x.action.zh.as_str()).collect()),
                false,
            ),
        ];
        Ok(AlertReport {
            alerts: table(columns, None)?,
            inner: Arc::new(report),
        })
    }
}

#[pymethods]
impl AlertReport {
    /// The rule set id.
    #[getter]
    fn rules_id(&self) -> String {
        self.inner.rules_id.clone()
    }

    /// One row per alert (critical first, then rule, subject, period).
    #[getter]
    fn alerts(&self) -> Table {
        self.alerts.clone()
    }

    /// Every alert with its evidence, as JSON text (a list, in table order).
    fn alerts_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&self.inner.alerts))
    }

    /// What each rule did (checked, alerts, skipped by reason, not run), as JSON text.
    fn runs_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&self.inner.runs))
    }

    /// The whole report as JSON text.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&*self.inner))
    }

    fn __repr__(&self) -> String {
        format!(
            "<qudao AlertReport {}: {} alerts from {} rules>",
            self.inner.rules_id,
            self.inner.alerts.len(),
            self.inner.runs.len()
        )
    }
}

document! {
    /// A partner onboarding policy (immutable, validated).
    OnboardingPolicy(
        qudao::evaluation::onboarding::OnboardingPolicy,
        "OnboardingPolicy",
        "an onboarding policy"
    ) {
        /// Gate ids, in policy order.
        #[getter]
        fn gates(&self) -> Vec<String> {
            self.inner.gates.iter().map(|g| g.id.clone()).collect()
        }

        /// Criterion ids, in policy order.
        #[getter]
        fn criteria(&self) -> Vec<String> {
            self.inner.criteria.iter().map(|c| c.id.clone()).collect()
        }

        /// The least score that passes, exact decimal text.
        #[getter]
        fn pass_score(&self) -> String {
            self.inner.pass_score.to_string()
        }

        /// Evaluate every partner of the data set's master data on its recorded attributes.
        fn evaluate_partners(
            &self,
            py: Python<'_>,
            dataset: PyRef<'_, Dataset>,
        ) -> PyResult<OnboardingResults> {
            entry(py, || {
                let policy = Arc::clone(&self.inner);
                let data = Arc::clone(&dataset.inner);
                run(py, move || OnboardingResults::new(policy.evaluate_partners(&data.master)))
            })
        }

        /// Evaluate one candidate given as a JSON object of onboarding attributes; the result
        /// as JSON text.
        fn evaluate_candidate(&self, py: Python<'_>, candidate: String) -> PyResult<String> {
            entry(py, || {
                let policy = Arc::clone(&self.inner);
                let result = run(py, move || {
                    let c: qudao::model::Onboarding = serde_json::from_str(&candidate)
                        .map_err(|e| qudao::Error::invalid_argument("candidate", e.to_string()))?;
                    Ok(policy.evaluate(&c))
                })?;
                json!(&result)
            })
        }

        fn __repr__(&self) -> String {
            format!(
                "<qudao OnboardingPolicy {}: {} gates, {} criteria, pass at {}>",
                self.inner.id,
                self.inner.gates.len(),
                self.inner.criteria.len(),
                self.inner.pass_score
            )
        }
    }
}

/// The onboarding evaluation of every partner.
#[pyclass(frozen, module = "qudao._native", name = "OnboardingResults")]
#[derive(Debug)]
pub struct OnboardingResults {
    inner: Arc<Vec<OnboardingResult>>,
    rows: Table,
}

impl OnboardingResults {
    fn new(results: Vec<OnboardingResult>) -> qudao::Result<OnboardingResults> {
        let r = &results;
        let ids = |v: &[qudao::evaluation::onboarding::GateOutcome]| {
            v.iter()
                .map(|g| g.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let columns: Vec<Column> = vec![
            (
                "partner",
                opt_texts(r.iter().map(|x| x.partner.clone()).collect()),
                true,
            ),
            ("passed", bools(r.iter().map(|x| x.passed).collect()), false),
            ("score", floats(r.iter().map(|x| x.score).collect()), false),
            (
                "pass_score",
                floats(r.iter().map(|x| x.pass_score).collect()),
                false,
            ),
            (
                "failed_gates",
                texts(r.iter().map(|x| ids(&x.failed_gates)).collect()),
                false,
            ),
            (
                "top_criterion",
                opt_texts(
                    r.iter()
                        .map(|x| x.criteria.first().map(|c| c.id.clone()))
                        .collect(),
                ),
                true,
            ),
        ];
        Ok(OnboardingResults {
            rows: table(columns, None)?,
            inner: Arc::new(results),
        })
    }
}

#[pymethods]
impl OnboardingResults {
    /// One row per partner, by partner id.
    #[getter]
    fn table(&self) -> Table {
        self.rows.clone()
    }

    /// Every result with its gates and criteria, as JSON text (a list, in table order).
    fn results_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&*self.inner))
    }

    fn __repr__(&self) -> String {
        let passed = self.inner.iter().filter(|r| r.passed).count();
        format!(
            "<qudao OnboardingResults: {} partners, {} passed>",
            self.inner.len(),
            passed
        )
    }
}

document! {
    /// Grade rules (immutable, validated).
    GradeRules(qudao::evaluation::grade::GradeRules, "GradeRules", "grade rules") {
        /// Rule ids, in document order.
        #[getter]
        fn rules(&self) -> Vec<String> {
            self.inner.rules.iter().map(|r| r.id.clone()).collect()
        }

        /// The scorecard id the rules' scores come from, if the document names one.
        #[getter]
        fn scorecard(&self) -> Option<String> {
            self.inner.scorecard.clone()
        }

        /// Promotion, demotion and review suggestions for the partners of `dataset`.
        #[pyo3(signature = (dataset, kpis, scores = None, as_of = None))]
        fn suggest(
            &self,
            py: Python<'_>,
            dataset: PyRef<'_, Dataset>,
            kpis: PyRef<'_, KpiTable>,
            scores: Option<PyRef<'_, ScorecardRun>>,
            as_of: Option<String>,
        ) -> PyResult<GradeReport> {
            entry(py, || {
                let rules = Arc::clone(&self.inner);
                let data = Arc::clone(&dataset.inner);
                let table = Arc::clone(&kpis.inner);
                let scores = scores.map(|s| Arc::clone(&s.inner));
                run(py, move || {
                    let as_of = as_of.map(|p| period_arg("as_of", &p)).transpose()?;
                    let inputs = GradeInputs {
                        master: &data.master,
                        kpis: &table,
                        scores: scores.as_deref(),
                        as_of,
                    };
                    GradeReport::new(rules.suggest(&inputs)?)
                })
            })
        }

        fn __repr__(&self) -> String {
            format!(
                "<qudao GradeRules {}: {} rules ({})>",
                self.inner.id,
                self.inner.rules.len(),
                self.rules().join(", ")
            )
        }
    }
}

/// Grade-change suggestions with their evidence.
#[pyclass(frozen, module = "qudao._native", name = "GradeReport")]
#[derive(Debug)]
pub struct GradeReport {
    inner: Arc<CoreGradeReport>,
    rows: Table,
}

impl GradeReport {
    fn new(report: CoreGradeReport) -> qudao::Result<GradeReport> {
        let s = &report.suggestions;
        let columns: Vec<Column> = vec![
            (
                "partner",
                texts(s.iter().map(|x| x.partner.as_str()).collect()),
                false,
            ),
            (
                "rule",
                texts(s.iter().map(|x| x.rule.as_str()).collect()),
                false,
            ),
            (
                "kind",
                texts(s.iter().map(|x| serde_name!(&x.kind)).collect()),
                false,
            ),
            (
                "from",
                texts(s.iter().map(|x| x.from.as_str()).collect()),
                false,
            ),
            (
                "to",
                opt_texts(s.iter().map(|x| x.to.clone()).collect()),
                true,
            ),
            (
                "label_en",
                texts(s.iter().map(|x| x.label.en.as_str()).collect()),
                false,
            ),
            (
                "label_zh",
                texts(s.iter().map(|x| x.label.zh.as_str()).collect()),
                false,
            ),
            (
                "periods",
                Arc::new(UInt32Array::from_iter_values(
                    s.iter().map(|x| count(x.evidence.len())),
                )),
                false,
            ),
        ];
        Ok(GradeReport {
            rows: table(columns, None)?,
            inner: Arc::new(report),
        })
    }
}

#[pymethods]
impl GradeReport {
    /// One row per suggestion (by partner, then rule order).
    #[getter]
    fn table(&self) -> Table {
        self.rows.clone()
    }

    /// The evaluation period per period length used by the rules.
    #[getter]
    fn as_of(&self) -> Vec<String> {
        self.inner.as_of.iter().map(Period::to_string).collect()
    }

    /// Partners in the inputs but not in the master data (not evaluated).
    #[getter]
    fn not_in_master(&self) -> Vec<String> {
        self.inner.not_in_master.clone()
    }

    /// Every suggestion with its evidence, as JSON text (a list, in table order).
    fn suggestions_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&self.inner.suggestions))
    }

    /// The whole report as JSON text.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&*self.inner))
    }

    fn __repr__(&self) -> String {
        format!(
            "<qudao GradeReport: {} suggestions>",
            self.inner.suggestions.len()
        )
    }
}

/// What the sample company of `lines` lines and `seed` plants (the overstocked partner, the
/// partner with rising complaints, …), as JSON text: for tests of the detectors on
/// `qudao.sample(lines, seed)`.
#[pyfunction]
#[pyo3(signature = (lines = 200_000, seed = 42))]
fn sample_planted(py: Python<'_>, lines: usize, seed: u64) -> PyResult<String> {
    entry(py, || {
        let planted = run(py, move || {
            let mut config = qudao::sample::SampleConfig::with_lines(lines);
            config.seed = seed;
            Ok(qudao::sample::generate(&config)?.planted)
        })?;
        json!(&planted)
    })
}

/// Register the classes and functions of this module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<KpiTable>()?;
    m.add_class::<Scorecard>()?;
    m.add_class::<ScorecardRun>()?;
    m.add_class::<BcgOptions>()?;
    m.add_class::<BcgReport>()?;
    m.add_class::<WarningRules>()?;
    m.add_class::<AlertReport>()?;
    m.add_class::<OnboardingPolicy>()?;
    m.add_class::<OnboardingResults>()?;
    m.add_class::<GradeRules>()?;
    m.add_class::<GradeReport>()?;
    m.add_function(wrap_pyfunction!(kpis, m)?)?;
    m.add_function(wrap_pyfunction!(sample_planted, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> qudao::Dataset {
        qudao::sample::generate(&qudao::sample::SampleConfig::with_lines(3_000))
            .expect("sample")
            .dataset
    }

    fn args(grain: &str) -> KpiArgs {
        KpiArgs {
            grain: grain.into(),
            from: Some("2025-01-01".parse().expect("date")),
            to: Some("2025-07-01".parse().expect("date")),
            periods: None,
            kinds: Some(vec!["partner".into(), "channel".into()]),
            roll_up: false,
            market_size: None,
            as_of: None,
            backlog_days: Some("45".into()),
            complaint_sla_hours: None,
            new_product_days: None,
            threads: 1,
        }
    }

    #[test]
    fn options_translate_and_name_bad_arguments() {
        let o = args("quarter").options().expect("valid");
        assert_eq!(o.grain, Grain::Quarter);
        assert_eq!(o.kinds, vec![SubjectKind::Partner, SubjectKind::Channel]);
        assert_eq!(o.backlog_days.to_string(), "45");
        let name = |e: qudao::Error| match e {
            qudao::Error::InvalidArgument { name, .. } => name,
            other => panic!("unexpected {other}"),
        };
        assert_eq!(
            name(args("week").options().expect_err("bad grain")),
            "grain"
        );
        let mut a = args("month");
        a.from = None;
        assert_eq!(name(a.options().expect_err("no from")), "from_");
        let mut a = args("month");
        a.kinds = Some(vec!["partner".into(), "shop".into()]);
        assert_eq!(name(a.options().expect_err("bad kind")), "kinds[1]");
        let mut a = args("custom");
        a.periods = Some(vec!["2025-Q1".into(), "2025-13".into()]);
        assert_eq!(name(a.options().expect_err("bad period")), "periods[1]");
        let mut a = args("month");
        a.market_size = Some(r#"[{"subject": {"kind": "partner", "id": "P"}}]"#.into());
        assert_eq!(
            name(a.options().expect_err("bad market size")),
            "market_size[0]"
        );
        let mut a = args("custom");
        a.from = None;
        a.to = None;
        a.periods = Some(vec!["2025-Q2".into(), "2025-01".into()]);
        let o = a.options().expect("custom");
        assert_eq!(o.from.to_string(), "2025-01-01");
        assert_eq!(o.to.to_string(), "2025-07-01");
    }

    #[test]
    fn kpi_rows_have_a_value_or_a_reason() {
        let data = sample();
        let table = qudao::evaluation::kpi::compute(&data, &args("quarter").options().expect("ok"))
            .expect("kpis");
        let rows = kpi_rows(&table).expect("rows");
        let n: usize = table
            .values
            .values()
            .flat_map(|p| p.values())
            .map(|k| k.len())
            .sum();
        assert_eq!(rows.num_rows(), n);
        assert!(n > 0);
        let run = qudao::evaluation::scorecard::Scorecard::sample_company()
            .evaluate(&table)
            .expect("scores");
        let scores = score_rows(&run).expect("scores");
        let indicators = indicator_rows(&run).expect("indicators");
        assert!(scores.num_rows() > 0);
        assert!(indicators.num_rows() >= scores.num_rows());
        assert_eq!(scores.schema().field(0).name(), "subject");
    }
}
