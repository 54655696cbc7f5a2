//! Channel economics (渠道经济): per acquisition channel and period, the customers acquired,
//! the conversion rate of the channel's touches, the spend, CAC, the historic and predicted
//! CLV of the customers acquired, CLV/CAC, ROI and the payback period; the share of revenue
//! by sales channel over time ([`acquisition`]); and a budget reallocation proposal
//! ([`budget`]).
//!
//! Every measure is defined once, with its unit and when it is missing, in
//! `docs/economics.md`. The short version:
//!
//! - A customer's **acquisition channel** is the master data's `acquisition_channel` when
//!   set, else the channel of its first purchase (the first sale line by day, order id,
//!   line). It is **acquired** in the period of its first purchase.
//! - **Spend** of a channel in a period is its channel costs (`ops.channel_costs`, spread
//!   over the reporting periods by days) plus the cost of its touchpoints
//!   (`ops.touchpoints`) dated in the period; both are shown.
//! - Money is exact: minor units, summed in `i128`, reported as `i64` (overflow is an
//!   error). Money per customer is in major units and ratios are plain ratios (0.25 is
//!   25 %); both are [`rust_decimal::Decimal`] rounded half-even to 6 decimals.
//! - A value that cannot be computed is a [`KpiValue::Missing`] with the reason, never 0.
//!
//! ```
//! use qudao::economics::{compute, EconomicsOptions};
//! use qudao::evaluation::kpi::Grain;
//! let data = qudao::sample::generate(&qudao::sample::SampleConfig::with_lines(3_000))?.dataset;
//! let as_of = data.summary()?.last_date.expect("lines");
//! let econ = compute(&data, &EconomicsOptions::new(as_of, Grain::Quarter), None)?;
//! let acquired: u64 = econ.totals.iter().map(|r| r.acquired).sum();
//! assert_eq!(acquired, econ.counts.customers_acquired);
//! # Ok::<(), qudao::Error>(())
//! ```

pub mod acquisition;
pub mod budget;
pub mod predicted;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::date::{Date, Period};
use crate::error::{Error, Result};
pub use crate::evaluation::kpi::Grain;
pub use crate::evaluation::{KpiValue, Missing};

pub use acquisition::{Acquisition, FirstPurchaseState, ValueState};
pub use budget::{
    AllocationLine, Bound, BudgetChannel, BudgetPlan, ChannelInput, EfficiencyInputs,
    EfficiencyMeasure, Reallocation, reallocate,
};
pub use predicted::{ClvFitSummary, ClvPredictions};

/// The decimals of every [`Decimal`] measure (rounded half-even).
pub const DECIMALS: u32 = 6;

/// Which value of the customers acquired CLV/CAC and ROI compare with the spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValueBasis {
    /// Their net revenue (sales − returns) to the as-of date, on every channel.
    HistoricRevenue,
    /// Their margin (net revenue − cost of goods) to the as-of date; missing where a line of
    /// the cohort has no cost.
    HistoricMargin,
    /// Their net revenue to the as-of date plus the predicted future value
    /// ([`ClvPredictions`]); missing without predictions or where a customer has none.
    HistoricPlusPredicted,
}

impl ValueBasis {
    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            ValueBasis::HistoricRevenue => "historic_revenue",
            ValueBasis::HistoricMargin => "historic_margin",
            ValueBasis::HistoricPlusPredicted => "historic_plus_predicted",
        }
    }

    /// Parse the snake_case name.
    pub fn parse(text: &str) -> Option<ValueBasis> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "historic_revenue" | "revenue" => Some(ValueBasis::HistoricRevenue),
            "historic_margin" | "margin" => Some(ValueBasis::HistoricMargin),
            "historic_plus_predicted" | "predicted" => Some(ValueBasis::HistoricPlusPredicted),
            _ => None,
        }
    }
}

/// What to compute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EconomicsOptions {
    /// The day the data is as of (inclusive): later lines, touches and costs are left out
    /// and counted.
    pub as_of: Date,
    /// How periods are cut. Calendar grains cover every period from the earliest line,
    /// touch or cost to `as_of`; custom periods must not overlap.
    pub grain: Grain,
    /// The value CLV/CAC and ROI use.
    pub value: ValueBasis,
    /// Decimals of the revenue shares (0..=12): the shares of a period add up to exactly 1
    /// at this precision.
    pub share_decimals: u32,
    /// Worker threads; 0 means one per available core. The result does not depend on it.
    pub threads: usize,
}

impl EconomicsOptions {
    /// Options as of a day at a grain: historic margin as the value, shares to 4 decimals,
    /// all cores.
    pub fn new(as_of: Date, grain: Grain) -> Self {
        EconomicsOptions {
            as_of,
            grain,
            value: ValueBasis::HistoricMargin,
            share_decimals: 4,
            threads: 0,
        }
    }
}

/// An amount of money in minor units, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoneyValue {
    /// The amount, minor units.
    Value(i64),
    /// No amount, with the reason.
    Missing(Missing),
}

impl MoneyValue {
    /// The amount, if there is one.
    pub fn value(&self) -> Option<i64> {
        match self {
            MoneyValue::Value(v) => Some(*v),
            MoneyValue::Missing(_) => None,
        }
    }
}

/// The economics of one acquisition channel in one period (or, in
/// [`ChannelEconomics::totals`], over all periods). Definitions in `docs/economics.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcquisitionRow {
    /// Channel id.
    pub channel: String,
    /// The period; `None` in the totals over all periods.
    pub period: Option<Period>,
    /// Customers acquired: first purchase in the period, acquisition channel this one.
    pub acquired: u64,
    /// Of which the acquisition channel comes from the master data (the rest from the
    /// channel of the first purchase).
    pub acquired_from_master: u64,
    /// Prospects touched: distinct customers with a touch of this channel in the period on
    /// or before the day of their first purchase (or without a purchase to the as-of date).
    pub touched: u64,
    /// Of the prospects touched, those who made a first purchase on or before the as-of
    /// date (on any channel).
    pub converted: u64,
    /// Of the converted, those whose acquisition channel is this one.
    pub converted_acquired: u64,
    /// `converted / touched` (ratio).
    pub conversion_rate: KpiValue,
    /// `converted_acquired / touched` (ratio).
    pub acquisition_conversion_rate: KpiValue,
    /// Channel costs of the period, minor units.
    pub channel_cost: i64,
    /// Touchpoint costs of the period, minor units.
    pub touch_cost: i64,
    /// `channel_cost + touch_cost`, minor units.
    pub spend: i64,
    /// `spend / acquired`, major units.
    pub cac: KpiValue,
    /// Net revenue of the customers acquired, on every channel, to the as-of date, minor
    /// units.
    pub revenue: i64,
    /// Their margin (net revenue − cost of goods), minor units; missing when a line has no
    /// cost.
    pub margin: MoneyValue,
    /// Historic CLV: `revenue / acquired`, major units.
    pub revenue_per_customer: KpiValue,
    /// Historic CLV on margin: `margin / acquired`, major units.
    pub margin_per_customer: KpiValue,
    /// Predicted future value of the customers acquired (sum of the predictions), minor
    /// units; missing without predictions or where a customer has none.
    pub predicted: MoneyValue,
    /// Predicted CLV: `predicted / acquired`, major units.
    pub predicted_per_customer: KpiValue,
    /// The value of [`ChannelEconomics::value_basis`], minor units.
    pub value: MoneyValue,
    /// `value / acquired`, major units: the CLV that CLV/CAC uses.
    pub clv: KpiValue,
    /// `value / spend` (= CLV / CAC), ratio.
    pub clv_cac: KpiValue,
    /// `(value − spend) / spend`, ratio.
    pub roi: KpiValue,
    /// Periods from the acquisition period until the cohort's cumulative margin (revenue
    /// where a line has no cost) covers the spend: 0 when the acquisition period itself
    /// covers it. Missing when not yet, without spend, and in the totals.
    pub payback_periods: KpiValue,
    /// Whether the payback uses revenue because some line of the cohort has no cost.
    pub payback_on_revenue: bool,
}

/// One sales channel's net revenue and share in one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevenueShareRow {
    /// The period.
    pub period: Period,
    /// Sales channel id (the channel on the lines, not rolled up).
    pub channel: String,
    /// Net revenue (sales − returns) of the channel's lines in the period, minor units.
    pub revenue: i64,
    /// Share of the period's net revenue, to [`EconomicsOptions::share_decimals`]; the
    /// shares of a period add up to exactly 1 (largest remainder, ties by channel id).
    /// Missing when the period's net revenue is not positive.
    pub share: KpiValue,
}

/// What was counted, left out or decided, so the tables can be checked against the data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EconomicsCounts {
    /// Customers with a sale line on or before the as-of date.
    pub customers_acquired: u64,
    /// Of which the acquisition channel comes from the master data.
    pub acquired_from_master: u64,
    /// Customers acquired whose first purchase lies in no period (custom grains only).
    pub acquired_outside_periods: u64,
    /// Customers with lines to the as-of date but only returns: never acquired.
    pub only_returns: u64,
    /// Transaction lines dated after the as-of date (left out).
    pub lines_after_as_of: u64,
    /// Transaction lines in no period (custom grains only; left out of the shares).
    pub lines_outside_periods: u64,
    /// Touchpoints dated after the as-of date (left out).
    pub touches_after_as_of: u64,
    /// Touchpoints in no period (custom grains only; left out).
    pub touches_outside_periods: u64,
    /// Touchpoints dated after the customer's first purchase day: their cost is spend, but
    /// the customer is no prospect.
    pub touches_after_first_purchase: u64,
    /// Channel costs whose period starts after the as-of date (left out), minor units.
    pub channel_cost_after_as_of: i64,
    /// Channel cost falling on days of no period (left out), minor units.
    pub channel_cost_outside_periods: i64,
}

/// The channel economics of a data set: per acquisition channel and period, per channel
/// over all periods, and the revenue share of each sales channel per period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelEconomics {
    /// The as-of day.
    pub as_of: Date,
    /// Currency code of every amount.
    pub currency: String,
    /// Decimals of the currency (minor units per major unit = 10^exponent).
    pub exponent: u8,
    /// The value CLV/CAC and ROI use.
    pub value_basis: ValueBasis,
    /// What made the predictions, when they were given.
    pub predictions: Option<String>,
    /// The periods, ascending.
    pub periods: Vec<Period>,
    /// Per acquisition channel and period, channels in id order, then periods. Every
    /// channel with anything acquired, touched or spent has a row for every period.
    pub rows: Vec<AcquisitionRow>,
    /// Per channel over all periods (same channels, same order; `period` is `None`).
    pub totals: Vec<AcquisitionRow>,
    /// Per period, then sales channel id: every channel with a line in the data.
    pub revenue_share: Vec<RevenueShareRow>,
    /// Counts of what was left out or decided.
    pub counts: EconomicsCounts,
}

/// Compute the channel economics of `dataset` (two passes over the lines on
/// `options.threads` threads; see [`acquisition`]). `predictions` are per-customer predicted
/// future values, e.g. from [`ClvPredictions::fit`].
pub fn compute(
    dataset: &Dataset,
    options: &EconomicsOptions,
    predictions: Option<&ClvPredictions>,
) -> Result<ChannelEconomics> {
    acquisition::run(dataset, options, predictions)
}

/// Round half-even to [`DECIMALS`].
pub(crate) fn round6(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(DECIMALS, RoundingStrategy::MidpointNearestEven)
}

/// `num / den` rounded, or the reason there is none. `scale` divides the numerator by
/// `10^scale` (minor → major units).
pub(crate) fn ratio(num: i128, den: i128, scale: u32, what: &str) -> Result<KpiValue> {
    if den == 0 {
        return Ok(KpiValue::Missing(Missing::ZeroDenominator {
            what: what.into(),
        }));
    }
    let n = Decimal::try_from_i128_with_scale(num, scale)
        .map_err(|_| Error::overflow(format!("the numerator of {what}")))?;
    let d = Decimal::try_from_i128_with_scale(den, 0)
        .map_err(|_| Error::overflow(format!("the denominator of {what}")))?;
    n.checked_div(d)
        .map(|r| KpiValue::Value(round6(r)))
        .ok_or_else(|| Error::overflow(what.to_owned()))
}

/// An `i128` sum as `i64` minor units, or an overflow error naming it.
pub(crate) fn to_i64(v: i128, what: impl FnOnce() -> String) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::overflow(what()))
}
