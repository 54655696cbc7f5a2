//! Customer lifetime value: BG/NBD, Pareto/NBD and Gamma-Gamma fits (with the GIL released)
//! and their batch predictions, on a customer summary or on any Arrow table of `x`, `t_x`,
//! `T` (and `mean_spend`).

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, StringArray};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_arrow::input::AnyRecordBatch;
use qudao::clv::predict::{
    BgNbd, ClvOptions, Customers, GammaGamma, ParetoNbd, PurchaseModel, clv_batch,
};
use qudao::clv::{BtydData, Fit as CoreFit, FitStatus};
use qudao::customer::TimeUnit;

use crate::columns::{Column, Input, money, read_batches, table};
use crate::customer::{CustomerSummary, serde_name};
use crate::table::Table;
use crate::{entry, errors, run};

/// What to fit or predict on: a customer summary, or the columns of an Arrow table.
#[derive(Debug)]
enum Source {
    Summary {
        data: Arc<qudao::Dataset>,
        summary: Arc<qudao::customer::CustomerSummary>,
    },
    Table(Input),
}

impl Source {
    /// A `CustomerSummary` or any object exporting the Arrow PyCapsule interface.
    fn from_py(value: &Bound<'_, PyAny>) -> PyResult<Source> {
        if let Ok(s) = value.cast::<CustomerSummary>() {
            let s = s.get();
            return Ok(Source::Summary {
                data: Arc::clone(&s.data),
                summary: Arc::clone(&s.inner),
            });
        }
        Ok(Source::Table(Input {
            name: "data",
            batches: read_batches(value.extract::<AnyRecordBatch>()?)?,
        }))
    }

    /// The time unit of a summary's `t_x` and `T` (unknown for a table).
    fn unit(&self) -> Option<TimeUnit> {
        match self {
            Source::Summary { summary, .. } => Some(summary.options().unit),
            Source::Table(_) => None,
        }
    }

    /// Columns `x`, `t_x`, `T`.
    fn btyd(&self) -> qudao::Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
        match self {
            Source::Summary { summary, .. } => {
                let n = summary.len();
                let (mut x, mut tx, mut t) = (
                    Vec::with_capacity(n),
                    Vec::with_capacity(n),
                    Vec::with_capacity(n),
                );
                for (a, b, c) in summary.btyd_rows() {
                    x.push(a);
                    tx.push(b);
                    t.push(c);
                }
                Ok((x, tx, t))
            }
            Source::Table(input) => Ok((input.f64s("x")?, input.f64s("t_x")?, input.f64s("T")?)),
        }
    }

    /// Columns `x` and `mean_spend` (currency units per repeat purchase).
    ///
    /// For a summary the mean is the repeat value over `x` in major units, and 0 when there
    /// is no repeat purchase or the repeat value is not positive (Gamma-Gamma then shrinks
    /// the customer to what the model expects of a customer without positive spend).
    fn spend(&self) -> qudao::Result<(Vec<f64>, Vec<f64>)> {
        match self {
            Source::Summary { data, summary } => {
                let minor = 10i64.pow(u32::from(data.currency().exponent));
                let x = (0..summary.len())
                    .map(|r| f64::from(summary.btyd(r).0))
                    .collect();
                let m = (0..summary.len())
                    .map(|r| summary.mean_repeat_spend(r, minor))
                    .collect();
                Ok((x, m))
            }
            Source::Table(input) => Ok((input.f64s("x")?, input.f64s("mean_spend")?)),
        }
    }

    /// The leading columns of a prediction table: customer ids for a summary, none for a
    /// table (its rows are in the input's order).
    fn id_columns(&self) -> Vec<Column> {
        match self {
            Source::Summary { data, summary } => {
                let customers = &data.master.customers;
                vec![(
                    "customer",
                    Arc::new(StringArray::from_iter_values(
                        (0..summary.len()).map(|r| customers.id(summary.code(r))),
                    )),
                    false,
                )]
            }
            Source::Table(_) => Vec::new(),
        }
    }
}

fn floats(v: Vec<f64>) -> ArrayRef {
    Arc::new(Float64Array::from(v))
}

/// A fitted BTYD or spend model.
#[pyclass(frozen, module = "qudao._native", name = "Fit")]
#[derive(Debug)]
pub struct Fit {
    inner: CoreFit,
    unit: Option<TimeUnit>,
    dropped: u64,
    dropped_reason: Option<String>,
}

impl Fit {
    fn purchase_model(&self) -> qudao::Result<Box<dyn PurchaseModel + Send>> {
        match self.inner.model.as_str() {
            "pareto_nbd" => Ok(Box::new(ParetoNbd::from_fit(&self.inner)?)),
            // BgNbd::from_fit names the model it expected when this is another one.
            _ => Ok(Box::new(BgNbd::from_fit(&self.inner)?)),
        }
    }

    /// Refuse data in another time unit than the fit's, when both are known.
    fn check_unit(&self, source: &Source) -> qudao::Result<()> {
        match (self.unit, source.unit()) {
            (Some(a), Some(b)) if a != b => Err(qudao::Error::invalid_argument(
                "data",
                format!(
                    "the summary counts time in {}s but the model was fitted in {}s",
                    serde_name!(&b),
                    serde_name!(&a)
                ),
            )),
            _ => Ok(()),
        }
    }
}

#[pymethods]
impl Fit {
    /// `bg_nbd`, `pareto_nbd` or `gamma_gamma`.
    #[getter]
    fn model(&self) -> String {
        self.inner.model.clone()
    }

    /// Parameter values by name.
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        entry(py, || {
            let d = PyDict::new(py);
            for (name, v) in &self.inner.params {
                d.set_item(name, v)?;
            }
            Ok(d)
        })
    }

    /// Standard errors by name (`None` where the Hessian is singular).
    #[getter]
    fn std_errors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        entry(py, || {
            let d = PyDict::new(py);
            for ((name, _), se) in self.inner.params.iter().zip(&self.inner.std_errors) {
                d.set_item(name, se)?;
            }
            Ok(d)
        })
    }

    /// Total log-likelihood at the fit, in the data's time unit.
    #[getter]
    fn log_likelihood(&self) -> f64 {
        self.inner.log_likelihood
    }

    /// `converged`, `boundary` or `not_converged`.
    #[getter]
    fn status(&self) -> &'static str {
        match self.inner.status {
            FitStatus::Converged => "converged",
            FitStatus::Boundary { .. } => "boundary",
            _ => "not_converged",
        }
    }

    /// For a boundary optimum, the parameter that ran to its bound.
    #[getter]
    fn boundary_parameter(&self) -> Option<String> {
        match &self.inner.status {
            FitStatus::Boundary { parameter } => Some(parameter.clone()),
            _ => None,
        }
    }

    /// Customers the fit used.
    #[getter]
    fn customers(&self) -> f64 {
        self.inner.customers
    }

    /// Likelihood evaluations used.
    #[getter]
    fn evaluations(&self) -> usize {
        self.inner.evaluations
    }

    /// Customers left out of the fit (see `dropped_reason`).
    #[getter]
    fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Why customers were left out, if any were.
    #[getter]
    fn dropped_reason(&self) -> Option<String> {
        self.dropped_reason.clone()
    }

    /// The time unit of the data fitted (`day`/`week`; `None` when fitted on a table).
    #[getter]
    fn unit(&self) -> Option<String> {
        self.unit.map(|u| serde_name!(&u))
    }

    /// The fit as JSON.
    fn to_json(&self) -> String {
        serde_json::to_string(&self.inner).unwrap_or_default()
    }

    /// Probability that each customer is still active (`p_alive`).
    fn probability_alive(&self, py: Python<'_>, data: Bound<'_, PyAny>) -> PyResult<Table> {
        entry(py, || {
            let source = Source::from_py(&data)?;
            let model = self.purchase_model().map_err(|e| errors::to_pyerr(py, e))?;
            let unit = self.check_unit(&source);
            run(py, move || {
                unit?;
                let (x, tx, t) = source.btyd()?;
                let rows = Customers {
                    x: &x,
                    t_x: &tx,
                    t: &t,
                };
                let p = model.probability_alive_batch(&rows)?;
                let mut cols = source.id_columns();
                cols.push(("p_alive", floats(p), false));
                table(cols, None)
            })
        })
    }

    /// Expected purchases of each customer in the next `t` time units.
    fn expected_purchases(
        &self,
        py: Python<'_>,
        data: Bound<'_, PyAny>,
        t: f64,
    ) -> PyResult<Table> {
        entry(py, || {
            let source = Source::from_py(&data)?;
            let model = self.purchase_model().map_err(|e| errors::to_pyerr(py, e))?;
            let unit = self.check_unit(&source);
            run(py, move || {
                unit?;
                let (x, tx, tt) = source.btyd()?;
                let rows = Customers {
                    x: &x,
                    t_x: &tx,
                    t: &tt,
                };
                let e = model.conditional_expected_purchases_batch(t, &rows)?;
                let mut cols = source.id_columns();
                cols.push(("expected_purchases", floats(e), false));
                table(cols, None)
            })
        })
    }

    /// Expected purchases of a new customer in `(0, t]`.
    fn expected_purchases_new(&self, py: Python<'_>, t: f64) -> PyResult<f64> {
        entry(py, || {
            let model = self.purchase_model().map_err(|e| errors::to_pyerr(py, e))?;
            run(py, move || model.expected_purchases(t))
        })
    }

    /// Expected mean spend per purchase of each customer (Gamma-Gamma fits), in currency
    /// units.
    fn expected_spend(&self, py: Python<'_>, data: Bound<'_, PyAny>) -> PyResult<Table> {
        entry(py, || {
            let source = Source::from_py(&data)?;
            let model = GammaGamma::from_fit(&self.inner).map_err(|e| errors::to_pyerr(py, e))?;
            run(py, move || {
                let (x, m) = source.spend()?;
                let s = model.conditional_expected_spend_batch(&x, &m)?;
                let mut cols = source.id_columns();
                cols.push(("expected_spend", floats(s), false));
                table(cols, None)
            })
        })
    }

    fn __repr__(&self) -> String {
        let params: Vec<String> = self
            .inner
            .params
            .iter()
            .map(|(n, v)| format!("{n}={v:.4}"))
            .collect();
        format!(
            "<qudao Fit {}: {} ({}), LL {:.2}, {} customers>",
            self.inner.model,
            params.join(", "),
            self.status(),
            self.inner.log_likelihood,
            self.inner.customers
        )
    }
}

/// The BTYD input of a source, compressed; a bad row is a data error naming it.
fn btyd_data(source: &Source) -> qudao::Result<BtydData> {
    let (x, tx, t) = source.btyd()?;
    BtydData::compress(x.into_iter().zip(tx).zip(t).map(|((a, b), c)| (a, b, c))).map_err(
        |(i, reason)| {
            qudao::Error::data(
                qudao::Location {
                    source: "data".into(),
                    line: i as u64 + 1,
                    column: None,
                    value: None,
                },
                reason.to_string(),
            )
        },
    )
}

/// Fit BG/NBD (`r, alpha, a, b`) by maximum likelihood.
#[pyfunction]
fn fit_bgnbd(py: Python<'_>, data: Bound<'_, PyAny>) -> PyResult<Fit> {
    entry(py, || {
        let source = Source::from_py(&data)?;
        let unit = source.unit();
        let inner = run(py, move || Ok(qudao::clv::fit_bgnbd(&btyd_data(&source)?)))?;
        Ok(Fit {
            inner,
            unit,
            dropped: 0,
            dropped_reason: None,
        })
    })
}

/// Fit Pareto/NBD (`r, alpha, s, beta`) by maximum likelihood.
#[pyfunction]
fn fit_pareto_nbd(py: Python<'_>, data: Bound<'_, PyAny>) -> PyResult<Fit> {
    entry(py, || {
        let source = Source::from_py(&data)?;
        let unit = source.unit();
        let inner = run(py, move || {
            Ok(qudao::clv::fit_pareto_nbd(&btyd_data(&source)?))
        })?;
        Ok(Fit {
            inner,
            unit,
            dropped: 0,
            dropped_reason: None,
        })
    })
}

/// Fit Gamma-Gamma (`p, q, gamma`) on repeat buyers. From a summary, repeat buyers whose
/// repeat value is not positive are left out and counted; a table must hold only rows with
/// `x > 0` and `mean_spend > 0` (a bad row is a data error naming it).
#[pyfunction]
fn fit_gamma_gamma(py: Python<'_>, data: Bound<'_, PyAny>) -> PyResult<Fit> {
    entry(py, || {
        let source = Source::from_py(&data)?;
        let unit = source.unit();
        let (inner, dropped) = run(py, move || {
            let (rows, dropped) = match &source {
                Source::Summary { data, summary } => {
                    // Exact: 10^exponent minor units per major unit, exponent ≤ 18.
                    let scale = 10i64.pow(u32::from(data.currency().exponent));
                    summary.spend_rows(scale)
                }
                Source::Table(input) => {
                    let (x, m) = (input.f64s("x")?, input.f64s("mean_spend")?);
                    for (i, (&a, &b)) in x.iter().zip(&m).enumerate() {
                        let bad = |column: &str, v: f64, need: &str| {
                            qudao::Error::data(
                                qudao::Location {
                                    source: "data".into(),
                                    line: i as u64 + 1,
                                    column: Some(column.into()),
                                    value: Some(v.to_string()),
                                },
                                format!("Gamma-Gamma needs {need}; filter such rows out"),
                            )
                        };
                        if !(a > 0.0 && a.is_finite()) {
                            return Err(bad("x", a, "repeat buyers (x > 0)"));
                        }
                        if !(b > 0.0 && b.is_finite()) {
                            return Err(bad("mean_spend", b, "a positive mean spend"));
                        }
                    }
                    (x.into_iter().zip(m).collect(), 0)
                }
            };
            Ok((qudao::clv::fit_gamma_gamma(&rows), dropped))
        })?;
        Ok(Fit {
            inner,
            unit,
            dropped,
            dropped_reason: (dropped > 0)
                .then(|| "repeat buyers with a zero or negative repeat value".to_owned()),
        })
    })
}

/// Discounted CLV of every customer over `steps` steps of `step` time units at
/// `discount_rate` per step, with the predictions behind it (and, for a summary, the
/// historic revenue and margin to date).
#[pyfunction]
#[pyo3(signature = (purchases, spend, data, *, step = 4.345, steps = 12, discount_rate = 0.01))]
fn clv(
    py: Python<'_>,
    purchases: PyRef<'_, Fit>,
    spend: PyRef<'_, Fit>,
    data: Bound<'_, PyAny>,
    step: f64,
    steps: u32,
    discount_rate: f64,
) -> PyResult<Table> {
    entry(py, || {
        let source = Source::from_py(&data)?;
        let model = purchases
            .purchase_model()
            .map_err(|e| errors::to_pyerr(py, e))?;
        let gg = GammaGamma::from_fit(&spend.inner).map_err(|e| errors::to_pyerr(py, e))?;
        let unit = purchases.check_unit(&source);
        run(py, move || {
            unit?;
            let options = ClvOptions {
                step,
                steps,
                discount_rate,
            };
            let (x, tx, t) = source.btyd()?;
            let (_, m) = source.spend()?;
            let rows = Customers {
                x: &x,
                t_x: &tx,
                t: &t,
            };
            let spend = gg.conditional_expected_spend_batch(&x, &m)?;
            let value = clv_batch(model.as_ref(), &rows, &spend, &options)?;
            let p_alive = model.probability_alive_batch(&rows)?;
            let horizon = f64::from(steps) * step;
            let expected = model.conditional_expected_purchases_batch(horizon, &rows)?;
            let mut cols = source.id_columns();
            let mut currency = None;
            if let Source::Summary { data, summary } = &source {
                let e = data.currency().exponent;
                let n = summary.len();
                cols.push((
                    "revenue_to_date",
                    money((0..n).map(|r| Some(i128::from(summary.monetary(r)))), e)?,
                    false,
                ));
                cols.push((
                    "margin_to_date",
                    money((0..n).map(|r| summary.margin(r).map(i128::from)), e)?,
                    true,
                ));
                currency = Some(data.currency().code.clone());
            }
            cols.push(("x", floats(x), false));
            cols.push(("t_x", floats(tx), false));
            cols.push(("T", floats(t), false));
            cols.push(("p_alive", floats(p_alive), false));
            cols.push(("expected_purchases", floats(expected), false));
            cols.push(("expected_spend", floats(spend), false));
            cols.push(("clv", floats(value), false));
            table(cols, currency.as_deref())
        })
    })
}

/// Register the classes and functions of this module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Fit>()?;
    m.add_function(wrap_pyfunction!(fit_bgnbd, m)?)?;
    m.add_function(wrap_pyfunction!(fit_pareto_nbd, m)?)?;
    m.add_function(wrap_pyfunction!(fit_gamma_gamma, m)?)?;
    m.add_function(wrap_pyfunction!(clv, m)?)?;
    Ok(())
}
