//! Per-customer predicted future values (minor units), given or fitted, for the predicted CLV
//! of the customers a channel acquired.
//!
//! Predictions are held in exact minor units so that a cohort's sum does not depend on the
//! order it is added in. [`ClvPredictions::fit`] is the convenience the CLI uses: BG/NBD for
//! the purchases and Gamma-Gamma for the spend per purchase, fitted on the customer summary
//! as of a date, and the discounted CLV sum of [`crate::clv::predict::clv_batch`] over a
//! horizon, rounded half-even to minor units.

use serde::{Deserialize, Serialize};

use crate::clv::Fit;
use crate::clv::predict::ClvOptions;
use crate::dataset::Dataset;
use crate::date::Date;
use crate::error::{Error, Result};

/// Predicted future value per customer, minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClvPredictions {
    /// What made the predictions (model, parameters, horizon), shown in the result.
    pub source: String,
    /// By customer code; `None` where there is no prediction.
    values: Vec<Option<i64>>,
}

/// The fits behind [`ClvPredictions::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClvFitSummary {
    /// The BG/NBD fit of the purchases.
    pub purchases: Fit,
    /// The Gamma-Gamma fit of the spend per purchase.
    pub spend: Fit,
    /// The horizon and discounting.
    pub options: ClvOptions,
    /// Repeat buyers left out of the Gamma-Gamma fit (no positive repeat spend).
    pub spend_rows_dropped: u64,
    /// Customers with a purchase to the as-of date (each has a prediction).
    pub customers: u64,
}

impl ClvPredictions {
    /// Predictions by customer code (`values[code]`), for `dataset`'s customers.
    pub fn from_codes(source: impl Into<String>, values: Vec<Option<i64>>) -> ClvPredictions {
        ClvPredictions {
            source: source.into(),
            values,
        }
    }

    /// Predictions as two columns: customer ids and values in minor units. Errors name the
    /// row of an unknown or repeated customer id.
    pub fn from_ids<'a>(
        dataset: &Dataset,
        source: impl Into<String>,
        customers: impl IntoIterator<Item = &'a str>,
        values: &[i64],
    ) -> Result<ClvPredictions> {
        let cs = &dataset.master.customers;
        let mut out = vec![None; cs.len()];
        let mut n = 0usize;
        for (i, id) in customers.into_iter().enumerate() {
            n = i + 1;
            let Some(&v) = values.get(i) else {
                return Err(Error::invalid_argument(
                    "values",
                    format!("has {i} rows but the customers have more"),
                ));
            };
            let code = cs.code(id).ok_or_else(|| {
                Error::invalid_argument(
                    format!("customers[{i}]"),
                    format!("unknown customer {id:?}"),
                )
            })?;
            let slot = &mut out[code as usize];
            if slot.is_some() {
                return Err(Error::invalid_argument(
                    format!("customers[{i}]"),
                    format!("customer {id:?} is given twice"),
                ));
            }
            *slot = Some(v);
        }
        if values.len() != n {
            return Err(Error::invalid_argument(
                "values",
                format!("has {} rows, the customers {n}", values.len()),
            ));
        }
        Ok(ClvPredictions {
            source: source.into(),
            values: out,
        })
    }

    /// Fit BG/NBD and Gamma-Gamma on the customers as of `as_of` (distinct orders, daily
    /// active periods, weekly time: the CDNOW convention) and predict each customer's
    /// discounted future value over `options`' horizon, rounded half-even to minor units.
    pub fn fit(
        dataset: &Dataset,
        as_of: Date,
        options: &ClvOptions,
    ) -> Result<(ClvPredictions, ClvFitSummary)> {
        use crate::clv::predict::{
            BgNbd, Customers, GammaGamma, Rounding, clv_batch, to_minor_units,
        };
        use crate::customer::{CustomerOptions, CustomerSummary, Frequency};
        let summary = CustomerSummary::compute(
            dataset,
            CustomerOptions::new(as_of, Frequency::DistinctOrders),
        )?;
        let btyd = crate::clv::BtydData::compress(summary.btyd_rows()).map_err(|(row, e)| {
            Error::invalid_argument(
                "dataset",
                format!(
                    "customer {}: BTYD input {e}",
                    dataset.master.customers.id(summary.code(row))
                ),
            )
        })?;
        let purchases = crate::clv::fit_bgnbd(&btyd);
        let exponent = dataset.master.currency.exponent;
        let minor = 10i64.pow(u32::from(exponent));
        let (spend_rows, dropped) = summary.spend_rows(minor);
        let spend = crate::clv::fit_gamma_gamma(&spend_rows);
        let model = BgNbd::from_fit(&purchases)?;
        let gg = GammaGamma::from_fit(&spend)?;
        let n = summary.len();
        let (mut x, mut t_x, mut t, mut mean) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for r in 0..n {
            let (xr, txr, tr) = summary.btyd(r);
            x.push(f64::from(xr));
            t_x.push(txr);
            t.push(tr);
            mean.push(summary.mean_repeat_spend(r, minor));
        }
        let per_purchase = gg.conditional_expected_spend_batch(&x, &mean)?;
        let values = clv_batch(
            &model,
            &Customers {
                x: &x,
                t_x: &t_x,
                t: &t,
            },
            &per_purchase,
            options,
        )?;
        let mut out = vec![None; dataset.master.customers.len()];
        for (r, v) in values.iter().enumerate() {
            out[summary.code(r) as usize] = Some(to_minor_units(*v, exponent, Rounding::HalfEven)?);
        }
        let p = |f: &Fit| {
            f.params
                .iter()
                .map(|(k, v)| format!("{k} {v:.4}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let source = format!(
            "BG/NBD ({}) × Gamma-Gamma ({}) as of {as_of}: {} steps of {} weeks, discount {} per step",
            p(&purchases),
            p(&spend),
            options.steps,
            options.step,
            options.discount_rate
        );
        Ok((
            ClvPredictions {
                source,
                values: out,
            },
            ClvFitSummary {
                purchases,
                spend,
                options: options.clone(),
                spend_rows_dropped: dropped,
                customers: n as u64,
            },
        ))
    }

    /// The prediction of a customer code.
    pub fn get(&self, customer: u32) -> Option<i64> {
        self.values.get(customer as usize).copied().flatten()
    }

    /// Number of customers with a prediction.
    pub fn len(&self) -> usize {
        self.values.iter().filter(|v| v.is_some()).count()
    }

    /// Whether no customer has a prediction.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
