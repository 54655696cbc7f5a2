//! Budget reallocation: a total budget spread over channels in proportion to a chosen
//! efficiency measure, within per-channel minimums and maximums, summing exactly to the
//! budget, with the reasoning per channel.
//!
//! # The algorithm
//!
//! 1. Each channel's efficiency `e` comes from the plan's measure: attributed value per
//!    spend, CLV/CAC or ROI from the [`EfficiencyInputs`], or the plan's own `efficiency`
//!    ([`EfficiencyMeasure::Given`]). A channel whose efficiency is missing, zero or
//!    negative gets its minimum and takes no part in the spreading.
//! 2. The other channels get weights `w = round(e / e_max · 10^12)` (at least 1): integers,
//!    so every later step is exact.
//! 3. The amounts are `clamp(λ·w, min, max)` with the one level `λ` at which they add up to
//!    what is left after step 1. This is what fixing the channels that break a bound at
//!    that bound and spreading the rest again, until none breaks one, arrives at; it is
//!    found directly by walking the breakpoints `min/w` and `max/w` in order.
//! 4. If the channels with an efficiency cannot take the whole budget (their maximums are
//!    too low), the rest is spread evenly (equal weights) over the channels without an
//!    efficiency, above their minimums and within their maximums.
//! 5. The exact amounts are rationals; each is rounded down to a minor unit and the units
//!    left over go one each to the largest remainders (ties by channel id), so the amounts
//!    add up to the budget exactly and stay within the bounds.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::document::{Label, RuleDocument};
use crate::error::{Error, Result};
use crate::evaluation::KpiValue;

use super::ChannelEconomics;

/// How efficient a channel is, as the caller chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EfficiencyMeasure {
    /// Attributed value (from an attribution model) per unit of current spend.
    AttributedValuePerSpend,
    /// CLV / CAC of the channel over all periods.
    ClvCac,
    /// ROI of the channel over all periods.
    Roi,
    /// The plan's own `efficiency` per channel.
    Given,
}

/// One channel of a budget plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetChannel {
    /// Channel id.
    pub channel: String,
    /// Least amount, minor units (default 0).
    #[serde(default)]
    pub min: i64,
    /// Most amount, minor units; none means no limit but the budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// The efficiency, for [`EfficiencyMeasure::Given`] (a decimal string, e.g. `"2.5"`);
    /// not used by the other measures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency: Option<Decimal>,
}

/// A budget plan (预算分配方案), a rule document: the total, the channels with their bounds,
/// and the efficiency measure the budget follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Budget plan",
    description = "Channel budget reallocation plan of the qudao library: the total budget in minor units, per channel a minimum and maximum, and the efficiency measure the budget is spread by (attributed value per spend, CLV/CAC, ROI or a given efficiency per channel)."
)]
pub struct BudgetPlan {
    /// Document schema version; this library reads 1.
    pub schema_version: u32,
    /// Plan id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Label>,
    /// The total budget, minor units.
    pub total: i64,
    /// What the budget follows.
    pub measure: EfficiencyMeasure,
    /// The channels to spread it over (each once).
    pub channels: Vec<BudgetChannel>,
}

impl RuleDocument for BudgetPlan {
    const KIND: &'static str = "budget plan";

    fn schema_version(&self) -> u32 {
        self.schema_version
    }

    fn validate(&self) -> Result<()> {
        Err(Error::document(
            "",
            "budget plan validation is not implemented yet",
        ))
    }
}

/// One channel's inputs to the efficiency measures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelInput {
    /// Channel id.
    pub channel: String,
    /// Current spend, minor units (the change of each allocation is shown against it; the
    /// denominator of attributed value per spend).
    pub current_spend: Option<i64>,
    /// Attributed value, minor units (from an attribution model).
    pub attributed_value: Option<i64>,
    /// CLV / CAC.
    pub clv_cac: Option<Decimal>,
    /// ROI.
    pub roi: Option<Decimal>,
}

/// The inputs of the efficiency measures, per channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EfficiencyInputs {
    /// By channel id.
    pub channels: BTreeMap<String, ChannelInput>,
}

impl EfficiencyInputs {
    /// Current spend, CLV/CAC and ROI of every channel from the totals of channel economics.
    pub fn from_economics(economics: &ChannelEconomics) -> EfficiencyInputs {
        let mut out = EfficiencyInputs::default();
        for r in &economics.totals {
            out.channels.insert(
                r.channel.clone(),
                ChannelInput {
                    channel: r.channel.clone(),
                    current_spend: Some(r.spend),
                    attributed_value: None,
                    clv_cac: r.clv_cac.value(),
                    roi: r.roi.value(),
                },
            );
        }
        out
    }

    /// Set a channel's attributed value, minor units (adding the channel if needed).
    pub fn set_attributed(&mut self, channel: &str, value: i64) {
        self.entry(channel).attributed_value = Some(value);
    }

    /// Set a channel's current spend, minor units (adding the channel if needed).
    pub fn set_current_spend(&mut self, channel: &str, spend: i64) {
        self.entry(channel).current_spend = Some(spend);
    }

    fn entry(&mut self, channel: &str) -> &mut ChannelInput {
        self.channels
            .entry(channel.to_owned())
            .or_insert_with(|| ChannelInput {
                channel: channel.to_owned(),
                current_spend: None,
                attributed_value: None,
                clv_cac: None,
                roi: None,
            })
    }
}

/// Which bound, if any, decided a channel's amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// In proportion to its efficiency, within its bounds.
    Free,
    /// Held at its minimum: its share was below it.
    Min,
    /// Held at its maximum: its share was above it.
    Max,
    /// No positive efficiency: its minimum (plus an even part of what the channels with an
    /// efficiency could not take).
    NoEfficiency,
}

/// One channel's allocation and the reasoning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationLine {
    /// Channel id.
    pub channel: String,
    /// Its efficiency under the measure, or why there is none.
    pub efficiency: KpiValue,
    /// Its share of the total efficiency of the channels with one, before bounds (ratio).
    pub share_before_bounds: KpiValue,
    /// `total × share_before_bounds`, minor units, rounded half-even to 6 decimals.
    pub amount_before_bounds: KpiValue,
    /// The minimum, minor units.
    pub min: i64,
    /// The maximum, minor units (none: no limit).
    pub max: Option<i64>,
    /// Which bound decided it.
    pub bound: Bound,
    /// The allocation, minor units.
    pub amount: i64,
    /// The current spend, minor units, when known.
    pub current_spend: Option<i64>,
    /// `amount − current_spend`, minor units.
    pub change: Option<i64>,
}

/// A budget reallocation proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reallocation {
    /// The plan id.
    pub plan: String,
    /// The total budget, minor units (= the sum of the amounts).
    pub total: i64,
    /// The measure followed.
    pub measure: EfficiencyMeasure,
    /// Per channel, in the plan's order.
    pub lines: Vec<AllocationLine>,
    /// What happened, in words (levels, leftovers).
    pub notes: Vec<String>,
}

/// Spread the plan's budget (see the module docs). `inputs` supplies the measures other than
/// [`EfficiencyMeasure::Given`] and the current spend.
pub fn reallocate(plan: &BudgetPlan, inputs: &EfficiencyInputs) -> Result<Reallocation> {
    let _ = (plan, inputs);
    Err(Error::invalid_argument(
        "plan",
        "reallocate is not implemented yet",
    ))
}
