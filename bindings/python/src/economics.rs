//! Channel economics and budget reallocation: `channel_economics` and its tables, the budget
//! plan document and `reallocate`.
//!
//! Money leaves as `Int64` minor units (currency code and exponent in the schema metadata),
//! money per customer and ratios as `Decimal128(38, 6)` (the core rounds them to 6 decimals),
//! a value the core could not compute as null with its reason in the row's `missing` column
//! (`cac: customers acquired is zero; …`); the whole result is also available as JSON.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Date32Array, RecordBatch};
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDict};
use qudao::document::RuleDocument;
use qudao::economics::{
    self as core, AcquisitionRow, BudgetPlan as CorePlan, ChannelInput, EconomicsOptions,
    EfficiencyInputs, Grain, KpiValue, MoneyValue, ValueBasis,
};
use serde_json::Value;

use crate::attribution::{
    Attribution, Mantissa, counts, decimals, ints, kpi_mantissa, money_batch, opt_ints,
};
use crate::columns::{Column, date_arg};
use crate::customer::{format_arg, py_date, serde_name};
use crate::json::{opt_texts, texts};
use crate::table::Table;
use crate::{Dataset, entry, errors, run};

/// Decimals of the core's money-per-customer and ratio measures.
const SCALE: u32 = core::DECIMALS;

/// `name: reason` of every missing value of a row, `; `-separated (none when nothing is).
fn missing(values: &[(&str, Option<String>)]) -> Option<String> {
    let parts: Vec<String> = values
        .iter()
        .filter_map(|(name, why)| why.as_ref().map(|w| format!("{name}: {w}")))
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn kpi_why(v: &KpiValue) -> Option<String> {
    match v {
        KpiValue::Value(_) => None,
        KpiValue::Missing(m) => Some(m.to_string()),
    }
}

fn money_why(v: &MoneyValue) -> Option<String> {
    match v {
        MoneyValue::Value(_) => None,
        MoneyValue::Missing(m) => Some(m.to_string()),
    }
}

/// The acquisition table (`rows` or `totals`).
fn acquisition_batch(
    rows: &[AcquisitionRow],
    currency: &qudao::Currency,
) -> qudao::Result<RecordBatch> {
    let kpi = |f: &dyn Fn(&AcquisitionRow) -> &KpiValue| -> qudao::Result<ArrayRef> {
        decimals(
            rows.iter()
                .map(|r| kpi_mantissa(f(r)))
                .collect::<Vec<Mantissa>>(),
            SCALE,
        )
    };
    let money = |f: &dyn Fn(&AcquisitionRow) -> &MoneyValue| -> ArrayRef {
        opt_ints(rows.iter().map(|r| f(r).value()).collect())
    };
    let columns: Vec<Column> = vec![
        (
            "channel",
            texts(rows.iter().map(|r| r.channel.as_str()).collect()),
            false,
        ),
        (
            "period",
            opt_texts(
                rows.iter()
                    .map(|r| r.period.map(|p| p.to_string()))
                    .collect(),
            ),
            true,
        ),
        (
            "period_start",
            Arc::new(Date32Array::from(
                rows.iter()
                    .map(|r| r.period.map(|p| p.start.0))
                    .collect::<Vec<_>>(),
            )),
            true,
        ),
        (
            "period_end",
            Arc::new(Date32Array::from(
                rows.iter()
                    .map(|r| r.period.map(|p| p.end.0))
                    .collect::<Vec<_>>(),
            )),
            true,
        ),
        (
            "acquired",
            counts(rows.iter().map(|r| r.acquired).collect()),
            false,
        ),
        (
            "acquired_from_master",
            counts(rows.iter().map(|r| r.acquired_from_master).collect()),
            false,
        ),
        (
            "touched",
            counts(rows.iter().map(|r| r.touched).collect()),
            false,
        ),
        (
            "converted",
            counts(rows.iter().map(|r| r.converted).collect()),
            false,
        ),
        (
            "converted_acquired",
            counts(rows.iter().map(|r| r.converted_acquired).collect()),
            false,
        ),
        ("conversion_rate", kpi(&|r| &r.conversion_rate)?, true),
        (
            "acquisition_conversion_rate",
            kpi(&|r| &r.acquisition_conversion_rate)?,
            true,
        ),
        (
            "channel_cost",
            ints(rows.iter().map(|r| r.channel_cost).collect()),
            false,
        ),
        (
            "touch_cost",
            ints(rows.iter().map(|r| r.touch_cost).collect()),
            false,
        ),
        ("spend", ints(rows.iter().map(|r| r.spend).collect()), false),
        ("cac", kpi(&|r| &r.cac)?, true),
        (
            "revenue",
            ints(rows.iter().map(|r| r.revenue).collect()),
            false,
        ),
        ("margin", money(&|r| &r.margin), true),
        (
            "revenue_per_customer",
            kpi(&|r| &r.revenue_per_customer)?,
            true,
        ),
        (
            "margin_per_customer",
            kpi(&|r| &r.margin_per_customer)?,
            true,
        ),
        ("predicted", money(&|r| &r.predicted), true),
        (
            "predicted_per_customer",
            kpi(&|r| &r.predicted_per_customer)?,
            true,
        ),
        ("value", money(&|r| &r.value), true),
        ("clv", kpi(&|r| &r.clv)?, true),
        ("clv_cac", kpi(&|r| &r.clv_cac)?, true),
        ("roi", kpi(&|r| &r.roi)?, true),
        ("payback_periods", kpi(&|r| &r.payback_periods)?, true),
        (
            "payback_on_revenue",
            Arc::new(BooleanArray::from(
                rows.iter()
                    .map(|r| r.payback_on_revenue)
                    .collect::<Vec<_>>(),
            )),
            false,
        ),
        (
            "missing",
            opt_texts(
                rows.iter()
                    .map(|r| {
                        missing(&[
                            ("conversion_rate", kpi_why(&r.conversion_rate)),
                            (
                                "acquisition_conversion_rate",
                                kpi_why(&r.acquisition_conversion_rate),
                            ),
                            ("cac", kpi_why(&r.cac)),
                            ("margin", money_why(&r.margin)),
                            ("revenue_per_customer", kpi_why(&r.revenue_per_customer)),
                            ("margin_per_customer", kpi_why(&r.margin_per_customer)),
                            ("predicted", money_why(&r.predicted)),
                            ("predicted_per_customer", kpi_why(&r.predicted_per_customer)),
                            ("value", money_why(&r.value)),
                            ("clv", kpi_why(&r.clv)),
                            ("clv_cac", kpi_why(&r.clv_cac)),
                            ("roi", kpi_why(&r.roi)),
                            ("payback_periods", kpi_why(&r.payback_periods)),
                        ])
                    })
                    .collect(),
            ),
            true,
        ),
    ];
    money_batch(columns, Some(currency))
}

/// The revenue share table.
fn share_batch(
    e: &core::ChannelEconomics,
    currency: &qudao::Currency,
    share_decimals: u32,
) -> qudao::Result<RecordBatch> {
    let s = &e.revenue_share;
    let columns: Vec<Column> = vec![
        (
            "period",
            texts(s.iter().map(|r| r.period.to_string()).collect()),
            false,
        ),
        (
            "period_start",
            Arc::new(Date32Array::from_iter_values(
                s.iter().map(|r| r.period.start.0),
            )),
            false,
        ),
        (
            "period_end",
            Arc::new(Date32Array::from_iter_values(
                s.iter().map(|r| r.period.end.0),
            )),
            false,
        ),
        (
            "channel",
            texts(s.iter().map(|r| r.channel.as_str()).collect()),
            false,
        ),
        (
            "revenue",
            ints(s.iter().map(|r| r.revenue).collect()),
            false,
        ),
        (
            "share",
            decimals(
                s.iter().map(|r| kpi_mantissa(&r.share)).collect(),
                share_decimals,
            )?,
            true,
        ),
        (
            "missing",
            opt_texts(
                s.iter()
                    .map(|r| missing(&[("share", kpi_why(&r.share))]))
                    .collect(),
            ),
            true,
        ),
    ];
    money_batch(columns, Some(currency))
}

/// The channel economics of a data set (immutable).
#[pyclass(frozen, module = "qudao._native", name = "ChannelEconomics")]
#[derive(Debug)]
pub struct ChannelEconomics {
    inner: Arc<core::ChannelEconomics>,
    rows: Table,
    totals: Table,
    revenue_share: Table,
}

impl ChannelEconomics {
    fn new(e: core::ChannelEconomics, share_decimals: u32) -> qudao::Result<ChannelEconomics> {
        let currency = qudao::Currency::new(&e.currency, e.exponent)?;
        let rows = Table::from_batch(acquisition_batch(&e.rows, &currency)?);
        let totals = Table::from_batch(acquisition_batch(&e.totals, &currency)?);
        let revenue_share = Table::from_batch(share_batch(&e, &currency, share_decimals)?);
        Ok(ChannelEconomics {
            inner: Arc::new(e),
            rows,
            totals,
            revenue_share,
        })
    }
}

#[pymethods]
impl ChannelEconomics {
    /// Per acquisition channel and period.
    #[getter]
    fn rows(&self) -> Table {
        self.rows.clone()
    }

    /// Per channel over all periods (`period` null).
    #[getter]
    fn totals(&self) -> Table {
        self.totals.clone()
    }

    /// Per period and sales channel: net revenue and its share.
    #[getter]
    fn revenue_share(&self) -> Table {
        self.revenue_share.clone()
    }

    /// The as-of day.
    #[getter]
    fn as_of<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDate>> {
        entry(py, || py_date(py, self.inner.as_of))
    }

    /// ISO 4217 code of every amount.
    #[getter]
    fn currency(&self) -> String {
        self.inner.currency.clone()
    }

    /// Decimals of the currency.
    #[getter]
    fn currency_exponent(&self) -> u8 {
        self.inner.exponent
    }

    /// The value CLV/CAC and ROI use.
    #[getter]
    fn value_basis(&self) -> &'static str {
        self.inner.value_basis.name()
    }

    /// What made the predictions, when there were any.
    #[getter]
    fn predictions(&self) -> Option<String> {
        self.inner.predictions.clone()
    }

    /// The periods, ascending.
    #[getter]
    fn periods(&self) -> Vec<String> {
        self.inner.periods.iter().map(ToString::to_string).collect()
    }

    /// What was counted, left out or decided.
    #[getter]
    fn counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        entry(py, || {
            let d = PyDict::new(py);
            if let Ok(Value::Object(m)) = serde_json::to_value(&self.inner.counts) {
                for (k, v) in m {
                    d.set_item(k, v.as_i64())?;
                }
            }
            Ok(d)
        })
    }

    /// The whole result as JSON text.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&*self.inner))
    }

    fn __repr__(&self) -> String {
        format!(
            "<qudao ChannelEconomics as of {}: {} channels × {} periods, {} customers acquired, value {}>",
            self.inner.as_of,
            self.inner.totals.len(),
            self.inner.periods.len(),
            self.inner.counts.customers_acquired,
            self.inner.value_basis.name(),
        )
    }
}

fn grain_arg(grain: &str, periods: Option<Vec<String>>) -> qudao::Result<Grain> {
    Ok(match grain {
        "month" => Grain::Month,
        "quarter" => Grain::Quarter,
        "year" => Grain::Year,
        "custom" => {
            let texts = periods.unwrap_or_default();
            if texts.is_empty() {
                return Err(qudao::Error::invalid_argument(
                    "periods",
                    "give at least one period",
                ));
            }
            Grain::Custom(
                texts
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        qudao::Period::parse(t).map_err(|e| {
                            qudao::Error::invalid_argument(
                                format!("periods[{i}]"),
                                format!("{t:?} is not a period: {e}"),
                            )
                        })
                    })
                    .collect::<qudao::Result<_>>()?,
            )
        }
        other => {
            return Err(qudao::Error::invalid_argument(
                "grain",
                format!("{other:?} is not one of month, quarter, year or a list of periods"),
            ));
        }
    })
}

/// The channel economics of `dataset` as of a day.
#[pyfunction]
#[pyo3(signature = (dataset, as_of, grain = "quarter", periods = None, value = None, clv = false, share_decimals = 4, threads = 0))]
#[expect(
    clippy::too_many_arguments,
    reason = "the Python signature: keyword arguments with defaults"
)]
fn channel_economics(
    py: Python<'_>,
    dataset: PyRef<'_, Dataset>,
    as_of: Bound<'_, PyAny>,
    grain: &str,
    periods: Option<Vec<String>>,
    value: Option<String>,
    clv: bool,
    share_decimals: u32,
    threads: usize,
) -> PyResult<ChannelEconomics> {
    entry(py, || {
        let as_of = date_arg("as_of", &as_of).map_err(|e| errors::to_pyerr(py, e))?;
        let data = Arc::clone(&dataset.inner);
        let grain = grain.to_owned();
        run(py, move || {
            let mut options = EconomicsOptions::new(as_of, grain_arg(&grain, periods)?);
            if let Some(v) = value {
                options.value = ValueBasis::parse(&v).ok_or_else(|| {
                    qudao::Error::invalid_argument(
                        "value",
                        format!(
                            "{v:?} is not one of historic_revenue, historic_margin, historic_plus_predicted"
                        ),
                    )
                })?;
            }
            options.share_decimals = share_decimals;
            options.threads = threads;
            let predictions = if clv {
                let (p, _) = core::ClvPredictions::fit(
                    &data,
                    as_of,
                    &qudao::clv::predict::ClvOptions::monthly_in_weeks(),
                )?;
                Some(p)
            } else {
                None
            };
            ChannelEconomics::new(
                core::compute(&data, &options, predictions.as_ref())?,
                share_decimals,
            )
        })
    })
}

// --- budget -------------------------------------------------------------------------------

/// A budget plan (immutable, validated).
#[pyclass(frozen, module = "qudao._native", name = "BudgetPlan")]
#[derive(Debug)]
pub struct BudgetPlan {
    inner: Arc<CorePlan>,
}

#[pymethods]
impl BudgetPlan {
    /// Parse and validate a budget plan from `json`, `toml` or `yaml` text.
    #[staticmethod]
    fn parse(py: Python<'_>, text: String, format: &str) -> PyResult<BudgetPlan> {
        entry(py, || {
            let format = format_arg(format).map_err(|e| errors::to_pyerr(py, e))?;
            let inner = run(py, move || CorePlan::parse(&text, format))?;
            Ok(BudgetPlan {
                inner: Arc::new(inner),
            })
        })
    }

    /// Read a budget plan file (`.json`, `.toml`, `.yaml`/`.yml`).
    #[staticmethod]
    fn from_path(py: Python<'_>, path: PathBuf) -> PyResult<BudgetPlan> {
        entry(py, || {
            let inner = run(py, move || CorePlan::from_path(&path))?;
            Ok(BudgetPlan {
                inner: Arc::new(inner),
            })
        })
    }

    /// The JSON Schema of the document, as JSON text.
    #[staticmethod]
    fn json_schema() -> String {
        <CorePlan as RuleDocument>::json_schema()
    }

    /// Plan id.
    #[getter]
    fn id(&self) -> String {
        self.inner.id.clone()
    }

    /// The total budget, minor units.
    #[getter]
    fn total(&self) -> i64 {
        self.inner.total
    }

    /// The efficiency measure the budget follows.
    #[getter]
    fn measure(&self) -> String {
        serde_name!(&self.inner.measure)
    }

    /// The channels, in plan order.
    #[getter]
    fn channels(&self) -> Vec<String> {
        self.inner
            .channels
            .iter()
            .map(|c| c.channel.clone())
            .collect()
    }

    /// The document as JSON text.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    fn __repr__(&self) -> String {
        format!(
            "<qudao BudgetPlan {}: {} over {} channels by {}>",
            self.inner.id,
            self.inner.total,
            self.inner.channels.len(),
            self.measure(),
        )
    }
}

/// A budget reallocation proposal (immutable).
#[pyclass(frozen, module = "qudao._native", name = "Reallocation")]
#[derive(Debug)]
pub struct Reallocation {
    inner: Arc<core::Reallocation>,
    lines: Table,
}

fn lines_batch(
    r: &core::Reallocation,
    currency: Option<&qudao::Currency>,
) -> qudao::Result<RecordBatch> {
    let l = &r.lines;
    let columns: Vec<Column> = vec![
        (
            "channel",
            texts(l.iter().map(|x| x.channel.as_str()).collect()),
            false,
        ),
        (
            "efficiency",
            decimals(
                l.iter().map(|x| kpi_mantissa(&x.efficiency)).collect(),
                SCALE,
            )?,
            true,
        ),
        (
            "share_before_bounds",
            decimals(
                l.iter()
                    .map(|x| kpi_mantissa(&x.share_before_bounds))
                    .collect(),
                SCALE,
            )?,
            true,
        ),
        (
            "amount_before_bounds",
            decimals(
                l.iter()
                    .map(|x| kpi_mantissa(&x.amount_before_bounds))
                    .collect(),
                SCALE,
            )?,
            true,
        ),
        ("min", ints(l.iter().map(|x| x.min).collect()), false),
        ("max", opt_ints(l.iter().map(|x| x.max).collect()), true),
        (
            "bound",
            texts(l.iter().map(|x| serde_name!(&x.bound)).collect()),
            false,
        ),
        ("amount", ints(l.iter().map(|x| x.amount).collect()), false),
        (
            "current_spend",
            opt_ints(l.iter().map(|x| x.current_spend).collect()),
            true,
        ),
        (
            "change",
            opt_ints(l.iter().map(|x| x.change).collect()),
            true,
        ),
        (
            "missing",
            opt_texts(
                l.iter()
                    .map(|x| {
                        missing(&[
                            ("efficiency", kpi_why(&x.efficiency)),
                            ("share_before_bounds", kpi_why(&x.share_before_bounds)),
                            ("amount_before_bounds", kpi_why(&x.amount_before_bounds)),
                        ])
                    })
                    .collect(),
            ),
            true,
        ),
    ];
    money_batch(columns, currency)
}

#[pymethods]
impl Reallocation {
    /// The plan id.
    #[getter]
    fn plan(&self) -> String {
        self.inner.plan.clone()
    }

    /// The total budget, minor units (= the sum of the amounts).
    #[getter]
    fn total(&self) -> i64 {
        self.inner.total
    }

    /// The measure followed.
    #[getter]
    fn measure(&self) -> String {
        serde_name!(&self.inner.measure)
    }

    /// One row per channel, in the plan's order, with the reasoning.
    #[getter]
    fn lines(&self) -> Table {
        self.lines.clone()
    }

    /// What happened, in words.
    #[getter]
    fn notes(&self) -> Vec<String> {
        self.inner.notes.clone()
    }

    /// The whole proposal as JSON text.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        entry(py, || json!(&*self.inner))
    }

    fn __repr__(&self) -> String {
        format!(
            "<qudao Reallocation {}: {} over {} channels by {}>",
            self.inner.plan,
            self.inner.total,
            self.inner.lines.len(),
            self.measure(),
        )
    }
}

/// Per-channel efficiency inputs given as JSON text: `{channel: {current_spend,
/// attributed_value, clv_cac, roi}}` (each optional), set over what is already there.
fn apply_inputs(inputs: &mut EfficiencyInputs, text: &str) -> qudao::Result<()> {
    let doc: HashMap<String, HashMap<String, Value>> = serde_json::from_str(text).map_err(|e| {
        qudao::Error::invalid_argument("efficiencies", format!("expected {{channel: {{…}}}}: {e}"))
    })?;
    let mut names: Vec<&String> = doc.keys().collect();
    names.sort();
    for channel in names {
        let fields = &doc[channel];
        let entry = inputs
            .channels
            .entry(channel.clone())
            .or_insert_with(|| ChannelInput {
                channel: channel.clone(),
                current_spend: None,
                attributed_value: None,
                clv_cac: None,
                roi: None,
            });
        for (key, v) in fields {
            let name = format!("efficiencies[{channel:?}].{key}");
            if v.is_null() {
                continue;
            }
            let int = || {
                v.as_i64().ok_or_else(|| {
                    qudao::Error::invalid_argument(
                        &name,
                        format!("{v} is not an integer (minor units)"),
                    )
                })
            };
            let dec = || {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                serde_json::from_value(Value::String(text.clone())).map_err(|e| {
                    qudao::Error::invalid_argument(&name, format!("{text:?} is not a decimal: {e}"))
                })
            };
            match key.as_str() {
                "current_spend" => entry.current_spend = Some(int()?),
                "attributed_value" => entry.attributed_value = Some(int()?),
                "clv_cac" => entry.clv_cac = Some(dec()?),
                "roi" => entry.roi = Some(dec()?),
                _ => {
                    return Err(qudao::Error::invalid_argument(
                        &name,
                        "not one of current_spend, attributed_value, clv_cac, roi",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Spread the plan's budget by its measure. The inputs come from the channel economics
/// (current spend, CLV/CAC, ROI), then `efficiencies` (JSON text), then the attributed value
/// of `model` in `attribution`.
#[pyfunction]
#[pyo3(signature = (plan, economics = None, efficiencies = None, attribution = None, model = "markov"))]
fn reallocate(
    py: Python<'_>,
    plan: PyRef<'_, BudgetPlan>,
    economics: Option<PyRef<'_, ChannelEconomics>>,
    efficiencies: Option<String>,
    attribution: Option<PyRef<'_, Attribution>>,
    model: &str,
) -> PyResult<Reallocation> {
    entry(py, || {
        let plan = Arc::clone(&plan.inner);
        let economics = economics.map(|e| Arc::clone(&e.inner));
        let attributed = attribution
            .map(|a| a.values_of(model))
            .transpose()
            .map_err(|e| errors::to_pyerr(py, e))?;
        run(py, move || {
            let (mut inputs, currency) = match &economics {
                Some(e) => (
                    EfficiencyInputs::from_economics(e),
                    Some(qudao::Currency::new(&e.currency, e.exponent)?),
                ),
                None => (EfficiencyInputs::default(), None),
            };
            if let Some(text) = &efficiencies {
                apply_inputs(&mut inputs, text)?;
            }
            for (channel, value) in attributed.unwrap_or_default() {
                inputs.set_attributed(&channel, value);
            }
            let r = core::reallocate(&plan, &inputs)?;
            let lines = Table::from_batch(lines_batch(&r, currency.as_ref())?);
            Ok(Reallocation {
                inner: Arc::new(r),
                lines,
            })
        })
    })
}

/// Register the classes and functions of this module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ChannelEconomics>()?;
    m.add_class::<BudgetPlan>()?;
    m.add_class::<Reallocation>()?;
    m.add_function(wrap_pyfunction!(channel_economics, m)?)?;
    m.add_function(wrap_pyfunction!(reallocate, m)?)?;
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

    #[test]
    fn tables_have_a_row_per_core_row_and_the_currency() {
        let data = sample();
        let as_of = data.summary().expect("summary").last_date.expect("lines");
        let e = core::compute(&data, &EconomicsOptions::new(as_of, Grain::Quarter), None)
            .expect("economics");
        let n = (e.rows.len(), e.totals.len(), e.revenue_share.len());
        let t = ChannelEconomics::new(e, 4).expect("tables");
        let rows = acquisition_batch(&t.inner.rows, &data.currency().clone()).expect("rows");
        assert_eq!(rows.num_rows(), n.0);
        assert_eq!(rows.schema().metadata()["currency_exponent"], "2");
        // Predictions were not asked for: every row says why `predicted` is missing.
        let missing = rows.column_by_name("missing").expect("missing");
        assert_eq!(missing.null_count(), 0);
        assert_eq!(
            share_batch(&t.inner, data.currency(), 4)
                .expect("shares")
                .num_rows(),
            n.2
        );
        assert_eq!(
            acquisition_batch(&t.inner.totals, data.currency())
                .expect("totals")
                .num_rows(),
            n.1
        );
    }

    #[test]
    fn grains_and_inputs_are_checked() {
        assert_eq!(grain_arg("month", None).expect("month"), Grain::Month);
        assert!(matches!(
            grain_arg("custom", Some(vec!["2025-Q1".into()])),
            Ok(Grain::Custom(p)) if p.len() == 1
        ));
        assert!(grain_arg("custom", None).is_err());
        assert!(grain_arg("week", None).is_err());
        let mut inputs = EfficiencyInputs::default();
        apply_inputs(
            &mut inputs,
            r#"{"A": {"current_spend": 100, "attributed_value": 250, "clv_cac": "2.5"}, "B": {"roi": 0.5}}"#,
        )
        .expect("inputs");
        assert_eq!(inputs.channels["A"].current_spend, Some(100));
        assert_eq!(
            inputs.channels["B"].roi.map(|d| d.to_string()).as_deref(),
            Some("0.5")
        );
        let e = apply_inputs(&mut inputs, r#"{"A": {"spend": 1}}"#).expect_err("unknown key");
        assert!(e.to_string().contains("efficiencies[\"A\"].spend"), "{e}");
        assert!(apply_inputs(&mut inputs, r#"{"A": {"current_spend": 1.5}}"#).is_err());
    }
}
