//! Member tiers and points: the tier scheme document and the ledger / tier history run.

use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Int64Array, StringArray, UInt64Array};
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyMapping};
use pyo3_arrow::input::AnyRecordBatch;
use qudao::document::RuleDocument;
use qudao::membership::{Bonus, Redemption};

use crate::columns::{Column, Input, date_arg, decimal, money, read_batches, rescaled, table};
use crate::customer::{format_arg, py_date, serde_name};
use crate::table::Table;
use crate::{Dataset, entry, errors, run};

/// A member tier scheme document (immutable, validated).
#[pyclass(frozen, module = "qudao._native", name = "TierScheme")]
#[derive(Debug)]
pub struct TierScheme {
    inner: qudao::membership::TierScheme,
}

#[pymethods]
impl TierScheme {
    /// Parse and validate a scheme from `json`, `toml` or `yaml` text.
    #[staticmethod]
    fn parse(py: Python<'_>, text: String, format: &str) -> PyResult<TierScheme> {
        entry(py, || {
            let format = format_arg(format).map_err(|e| errors::to_pyerr(py, e))?;
            let inner = run(py, move || {
                qudao::membership::TierScheme::parse(&text, format)
            })?;
            Ok(TierScheme { inner })
        })
    }

    /// Read a scheme file (`.json`, `.toml`, `.yaml`/`.yml`).
    #[staticmethod]
    fn from_path(py: Python<'_>, path: std::path::PathBuf) -> PyResult<TierScheme> {
        entry(py, || {
            let inner = run(py, move || qudao::membership::TierScheme::from_path(&path))?;
            Ok(TierScheme { inner })
        })
    }

    /// The built-in example: regular / silver / gold / diamond by spend over 365 days, CNY.
    #[staticmethod]
    fn builtin_default(py: Python<'_>) -> PyResult<TierScheme> {
        entry(py, || {
            let inner = run(py, || {
                qudao::membership::TierScheme::parse(
                    qudao::membership::DEFAULT_TOML,
                    qudao::document::Format::Toml,
                )
            })?;
            Ok(TierScheme { inner })
        })
    }

    /// The JSON Schema of tier scheme documents, as JSON text.
    #[staticmethod]
    fn json_schema() -> String {
        <qudao::membership::TierScheme as RuleDocument>::json_schema()
    }

    /// Scheme id.
    #[getter]
    fn id(&self) -> String {
        self.inner.id.clone()
    }

    /// ISO 4217 code the scheme counts in (must be the data's).
    #[getter]
    fn currency(&self) -> String {
        self.inner.currency.clone()
    }

    /// Tier ids, lowest first.
    #[getter]
    fn tiers(&self) -> Vec<String> {
        self.inner.tiers.iter().map(|t| t.id.clone()).collect()
    }

    /// The document as JSON text.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    fn __repr__(&self) -> String {
        format!(
            "<qudao TierScheme {}: tiers {}, {}>",
            self.inner.id,
            self.tiers().join(" < "),
            self.inner.currency
        )
    }
}

/// Points ledgers, tier histories and states of every customer as of a date.
#[pyclass(frozen, module = "qudao._native", name = "Membership")]
#[derive(Debug)]
pub struct Membership {
    inner: qudao::membership::Membership,
    customers: Table,
    ledger: Table,
    history: Table,
    tier_counts: Table,
}

impl Membership {
    fn build(data: &qudao::Dataset, m: qudao::membership::Membership) -> qudao::Result<Self> {
        let cur = data.currency();
        let e = cur.exponent;
        let code = Some(cur.code.as_str());
        let cs = &m.customers;
        let tier = |t: u8| m.tier_id(t);
        let ints = |v: Vec<i64>| -> ArrayRef { Arc::new(Int64Array::from(v)) };
        let opt_ints = |v: Vec<Option<i64>>| -> ArrayRef { Arc::new(Int64Array::from(v)) };
        let texts = |v: Vec<&str>| -> ArrayRef { Arc::new(StringArray::from(v)) };
        let opt_texts = |v: Vec<Option<&str>>| -> ArrayRef { Arc::new(StringArray::from(v)) };
        let customers: Vec<Column> = vec![
            (
                "customer",
                texts(cs.iter().map(|c| c.id.as_str()).collect()),
                false,
            ),
            (
                "tier",
                texts(cs.iter().map(|c| tier(c.tier)).collect()),
                false,
            ),
            (
                "balance",
                ints(cs.iter().map(|c| c.balance).collect()),
                false,
            ),
            ("earned", ints(cs.iter().map(|c| c.earned).collect()), false),
            (
                "redeemed",
                ints(cs.iter().map(|c| c.redeemed).collect()),
                false,
            ),
            (
                "expired",
                ints(cs.iter().map(|c| c.expired).collect()),
                false,
            ),
            (
                "reversed",
                ints(cs.iter().map(|c| c.reversed).collect()),
                false,
            ),
            (
                "shortfall",
                ints(cs.iter().map(|c| c.shortfall).collect()),
                false,
            ),
            ("bonus", ints(cs.iter().map(|c| c.bonus).collect()), false),
            (
                "rolling_spend",
                money(cs.iter().map(|c| c.rolling_spend.map(i128::from)), e)?,
                true,
            ),
            ("basis", ints(cs.iter().map(|c| c.basis).collect()), false),
            (
                "supported_tier",
                texts(cs.iter().map(|c| tier(c.supported_tier)).collect()),
                false,
            ),
            (
                "next_tier",
                opt_texts(cs.iter().map(|c| c.next_tier.map(tier)).collect()),
                true,
            ),
            (
                "needed",
                opt_ints(cs.iter().map(|c| c.needed).collect()),
                true,
            ),
        ];
        let l = &m.ledger;
        let who = |i: u32| cs.get(i as usize).map_or("", |c| c.id.as_str());
        let rate_scale = l.iter().map(|x| x.rate.scale()).max().unwrap_or(0).min(38);
        let rates = l
            .iter()
            .map(|x| rescaled(x.rate.mantissa(), x.rate.scale(), rate_scale).map(Some))
            .collect::<qudao::Result<Vec<_>>>()?;
        let kinds: Vec<String> = l.iter().map(|x| serde_name!(&x.kind)).collect();
        let sources: Vec<Option<String>> = l
            .iter()
            .map(|x| x.rate_source.map(|s| serde_name!(&s)))
            .collect();
        let ledger: Vec<Column> = vec![
            (
                "customer",
                texts(l.iter().map(|x| who(x.customer)).collect()),
                false,
            ),
            (
                "date",
                Arc::new(Date32Array::from_iter_values(l.iter().map(|x| x.date.0))),
                false,
            ),
            (
                "kind",
                texts(kinds.iter().map(String::as_str).collect()),
                false,
            ),
            ("points", ints(l.iter().map(|x| x.points).collect()), false),
            (
                "balance",
                ints(l.iter().map(|x| x.balance).collect()),
                false,
            ),
            (
                "amount",
                money(l.iter().map(|x| Some(i128::from(x.amount))), e)?,
                false,
            ),
            (
                "reference",
                texts(l.iter().map(|x| x.reference.as_str()).collect()),
                false,
            ),
            (
                "original_order",
                opt_texts(l.iter().map(|x| x.original_order.as_deref()).collect()),
                true,
            ),
            (
                "tier",
                texts(l.iter().map(|x| tier(x.tier)).collect()),
                false,
            ),
            ("rate", decimal(rates, rate_scale as i8)?, false),
            (
                "rate_source",
                opt_texts(sources.iter().map(|s| s.as_deref()).collect()),
                true,
            ),
            (
                "shortfall",
                ints(l.iter().map(|x| x.shortfall).collect()),
                false,
            ),
        ];
        let h = &m.history;
        let reasons: Vec<String> = h.iter().map(|x| serde_name!(&x.reason)).collect();
        let history: Vec<Column> = vec![
            (
                "customer",
                texts(h.iter().map(|x| who(x.customer)).collect()),
                false,
            ),
            (
                "date",
                Arc::new(Date32Array::from_iter_values(h.iter().map(|x| x.date.0))),
                false,
            ),
            (
                "from_tier",
                texts(h.iter().map(|x| tier(x.from)).collect()),
                false,
            ),
            (
                "to_tier",
                texts(h.iter().map(|x| tier(x.to)).collect()),
                false,
            ),
            (
                "reason",
                texts(reasons.iter().map(String::as_str).collect()),
                false,
            ),
            ("basis", ints(h.iter().map(|x| x.basis).collect()), false),
            (
                "order",
                opt_texts(h.iter().map(|x| x.order.as_deref()).collect()),
                true,
            ),
        ];
        let counts: Vec<Column> = vec![
            (
                "tier",
                texts(m.tier_counts.iter().map(|t| t.tier.as_str()).collect()),
                false,
            ),
            (
                "customers",
                Arc::new(UInt64Array::from_iter_values(
                    m.tier_counts.iter().map(|t| t.customers),
                )),
                false,
            ),
        ];
        Ok(Membership {
            customers: table(customers, code)?,
            ledger: table(ledger, code)?,
            history: table(history, None)?,
            tier_counts: table(counts, None)?,
            inner: m,
        })
    }
}

#[pymethods]
impl Membership {
    /// The scheme's id.
    #[getter]
    fn scheme(&self) -> String {
        self.inner.scheme.clone()
    }

    /// The date the state is as of.
    #[getter]
    fn as_of<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDate>> {
        entry(py, || py_date(py, self.inner.as_of))
    }

    /// The first review date after `as_of`.
    #[getter]
    fn next_review<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDate>> {
        entry(py, || py_date(py, self.inner.next_review))
    }

    /// Tier ids, lowest first.
    #[getter]
    fn tiers(&self) -> Vec<String> {
        self.inner.tiers.clone()
    }

    /// Reversals that met a balance too low to cover them.
    #[getter]
    fn shortfall_entries(&self) -> u64 {
        self.inner.shortfall_entries
    }

    /// Points those reversals could not take.
    #[getter]
    fn shortfall_points(&self) -> i64 {
        self.inner.shortfall_points
    }

    /// One row per customer of the data set (id order): tier, points, basis, next tier.
    #[getter]
    fn customers(&self) -> Table {
        self.customers.clone()
    }

    /// Every ledger entry, by customer then event order.
    #[getter]
    fn ledger(&self) -> Table {
        self.ledger.clone()
    }

    /// Every tier change, by customer then date.
    #[getter]
    fn history(&self) -> Table {
        self.history.clone()
    }

    /// Customers per tier as of the date.
    #[getter]
    fn tier_counts(&self) -> Table {
        self.tier_counts.clone()
    }

    fn __repr__(&self) -> String {
        let counts: Vec<String> = self
            .inner
            .tier_counts
            .iter()
            .map(|t| format!("{} {}", t.tier, t.customers))
            .collect();
        format!(
            "<qudao Membership {} as of {}: {}; {} ledger entries>",
            self.inner.scheme,
            self.inner.as_of,
            counts.join(", "),
            self.inner.ledger.len()
        )
    }
}

/// One field of a redemption or bonus (`source`) given as a mapping.
fn field<'py>(
    row: &Bound<'py, PyMapping>,
    source: &str,
    i: usize,
    key: &str,
) -> qudao::Result<Bound<'py, PyAny>> {
    row.get_item(key)
        .map_err(|_| bad_field(source, i, key, format!("row {} has no `{key}`", i + 1)))
}

fn bad_field(source: &str, i: usize, key: &str, reason: String) -> qudao::Error {
    qudao::Error::data(
        qudao::Location {
            source: source.into(),
            line: i as u64 + 1,
            column: Some(key.to_owned()),
            value: None,
        },
        reason,
    )
}

/// `(customer, date, points, reference)` rows.
type Rows = Vec<(String, qudao::Date, i64, String)>;

/// Redemptions or bonuses (`source`) from an Arrow table or an iterable of mappings
/// (customer, date, points, reference). Runs with the GIL: it reads Python objects.
fn caller_rows(value: &Bound<'_, PyAny>, source: &'static str) -> PyResult<qudao::Result<Rows>> {
    if value.hasattr("__arrow_c_stream__")? || value.hasattr("__arrow_c_array__")? {
        let input = Input {
            name: source,
            batches: read_batches(value.extract::<AnyRecordBatch>()?)?,
        };
        return Ok((|| {
            let customer = input.strings("customer")?;
            let date = input.dates("date")?;
            let points = input.i64s("points")?;
            let reference = input.strings("reference")?;
            Ok(customer
                .into_iter()
                .zip(date)
                .zip(points)
                .zip(reference)
                .map(|(((customer, date), points), reference)| (customer, date, points, reference))
                .collect())
        })());
    }
    let mut out = Vec::new();
    for (i, row) in value.try_iter()?.enumerate() {
        let row = row?;
        let Ok(row) = row.cast::<PyMapping>() else {
            return Ok(Err(bad_field(
                source,
                i,
                "customer",
                format!(
                    "each row of `{source}` must be a mapping with customer, date, points, reference"
                ),
            )));
        };
        let one = (|| -> qudao::Result<(String, qudao::Date, i64, String)> {
            let text = |key: &str| -> qudao::Result<String> {
                field(row, source, i, key)?
                    .extract::<String>()
                    .map_err(|_| bad_field(source, i, key, format!("`{key}` must be text")))
            };
            Ok((
                text("customer")?,
                date_arg("date", &field(row, source, i, "date")?)
                    .map_err(|e| bad_field(source, i, "date", e.to_string()))?,
                field(row, source, i, "points")?
                    .extract::<i64>()
                    .map_err(|_| {
                        bad_field(source, i, "points", "`points` must be an integer".into())
                    })?,
                text("reference")?,
            ))
        })();
        match one {
            Ok(r) => out.push(r),
            Err(e) => return Ok(Err(e)),
        }
    }
    Ok(Ok(out))
}

/// Compute every customer's points ledger, tier history and state as of `as_of`, with
/// optional redemptions and bonus points (same columns: customer, date, points, reference).
#[pyfunction]
#[pyo3(signature = (dataset, scheme, as_of, redemptions = None, bonuses = None))]
fn membership(
    py: Python<'_>,
    dataset: PyRef<'_, Dataset>,
    scheme: PyRef<'_, TierScheme>,
    as_of: Bound<'_, PyAny>,
    redemptions: Option<Bound<'_, PyAny>>,
    bonuses: Option<Bound<'_, PyAny>>,
) -> PyResult<Membership> {
    entry(py, || {
        let as_of = date_arg("as_of", &as_of).map_err(|e| errors::to_pyerr(py, e))?;
        let rows = |v: Option<Bound<'_, PyAny>>, source| -> PyResult<Rows> {
            match v {
                None => Ok(Vec::new()),
                Some(v) => caller_rows(&v, source)?.map_err(|e| errors::to_pyerr(py, e)),
            }
        };
        let reds: Vec<Redemption> = rows(redemptions, "redemptions")?
            .into_iter()
            .map(|(customer, date, points, reference)| Redemption {
                customer,
                date,
                points,
                reference,
            })
            .collect();
        let bons: Vec<Bonus> = rows(bonuses, "bonuses")?
            .into_iter()
            .map(|(customer, date, points, reference)| Bonus {
                customer,
                date,
                points,
                reference,
            })
            .collect();
        let data = Arc::clone(&dataset.inner);
        let scheme = scheme.inner.clone();
        run(py, move || {
            let m = qudao::membership::run_with(&data, &scheme, &reds, &bons, as_of)?;
            Membership::build(&data, m)
        })
    })
}

/// Register the classes and functions of this module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<TierScheme>()?;
    m.add_class::<Membership>()?;
    m.add_function(wrap_pyfunction!(membership, m)?)?;
    Ok(())
}
