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
//! 2. The other channels get weights `w = round(e / e_max · 10^9)` (at least 1): integers,
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
use crate::evaluation::{KpiValue, Missing};

use super::{ChannelEconomics, round6};

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
        if self.id.trim().is_empty() {
            return Err(Error::document("id", "empty id"));
        }
        if let Some(name) = &self.name {
            name.validate("name")?;
        }
        if self.total < 0 {
            return Err(Error::document(
                "total",
                format!("{} is negative", self.total),
            ));
        }
        if self.channels.is_empty() {
            return Err(Error::document("channels", "needs at least one channel"));
        }
        if self.channels.len() > MAX_CHANNELS {
            return Err(Error::document(
                "channels",
                format!("more than {MAX_CHANNELS} channels"),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        let (mut sum_min, mut sum_max, mut all_max) = (0i128, 0i128, true);
        for (i, c) in self.channels.iter().enumerate() {
            let path = format!("channels[{i}]");
            if c.channel.trim().is_empty() {
                return Err(Error::document(
                    format!("{path}.channel"),
                    "empty channel id",
                ));
            }
            if !seen.insert(c.channel.as_str()) {
                return Err(Error::document(
                    format!("{path}.channel"),
                    format!("channel {:?} is listed twice", c.channel),
                ));
            }
            if c.min < 0 {
                return Err(Error::document(
                    format!("{path}.min"),
                    format!("{} is negative", c.min),
                ));
            }
            if let Some(max) = c.max {
                if max < 0 {
                    return Err(Error::document(
                        format!("{path}.max"),
                        format!("{max} is negative"),
                    ));
                }
                if max < c.min {
                    return Err(Error::document(
                        format!("{path}.max"),
                        format!("{max} is below the minimum {}", c.min),
                    ));
                }
                sum_max += i128::from(max);
            } else {
                all_max = false;
            }
            if let Some(e) = c.efficiency
                && e.is_sign_negative()
                && !e.is_zero()
            {
                return Err(Error::document(
                    format!("{path}.efficiency"),
                    format!("{e} is negative"),
                ));
            }
            sum_min += i128::from(c.min);
        }
        let total = i128::from(self.total);
        if sum_min > total {
            return Err(Error::document(
                "total",
                format!(
                    "{} is less than the channels' minimums, which add up to {sum_min}",
                    self.total
                ),
            ));
        }
        if all_max && sum_max < total {
            return Err(Error::document(
                "total",
                format!(
                    "{} is more than the channels' maximums, which add up to {sum_max}",
                    self.total
                ),
            ));
        }
        Ok(())
    }
}

/// Most channels in a plan (keeps the exact sums within `i128`).
const MAX_CHANNELS: usize = 1_000;

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
    /// What its efficiency alone would give it, minor units (rounded half-even to 6
    /// decimals): the budget left after the minimums of the channels without an efficiency,
    /// times its weight over the sum of the weights.
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
    plan.validate()?;
    let total = i128::from(plan.total);
    let n = plan.channels.len();
    // Efficiency per channel.
    let eff: Vec<KpiValue> = plan
        .channels
        .iter()
        .map(|c| efficiency(plan.measure, c, inputs.channels.get(&c.channel)))
        .collect::<Result<_>>()?;
    let positive: Vec<Option<Decimal>> = eff
        .iter()
        .map(|e| e.value().filter(|v| *v > Decimal::ZERO))
        .collect();
    let hi: Vec<i128> = plan
        .channels
        .iter()
        .map(|c| c.max.map_or(total, |m| i128::from(m).min(total)))
        .collect();
    let lo: Vec<i128> = plan.channels.iter().map(|c| i128::from(c.min)).collect();
    let active: Vec<usize> = (0..n).filter(|&i| positive[i].is_some()).collect();
    let idle: Vec<usize> = (0..n).filter(|&i| positive[i].is_none()).collect();
    let e_max = active
        .iter()
        .filter_map(|&i| positive[i])
        .max()
        .unwrap_or(Decimal::ONE);
    let e_sum: Decimal = active
        .iter()
        .filter_map(|&i| positive[i])
        .try_fold(Decimal::ZERO, |a, b| a.checked_add(b))
        .ok_or_else(|| Error::overflow("the sum of the efficiencies"))?;
    let mut weight = vec![0i128; n];
    for &i in &active {
        let e = positive[i].unwrap_or(Decimal::ZERO);
        let w = e
            .checked_div(e_max)
            .and_then(|r| r.checked_mul(Decimal::from(WEIGHT_SCALE)))
            .map(|r| r.round_dp(0))
            .ok_or_else(|| Error::overflow("an efficiency weight"))?;
        weight[i] = w.mantissa().max(1);
    }
    let mut notes = Vec::new();
    let idle_min: i128 = idle.iter().map(|&i| lo[i]).sum();
    let rest = total - idle_min;
    let capacity: i128 = active.iter().map(|&i| hi[i]).sum();
    let ids: Vec<&str> = plan.channels.iter().map(|c| c.channel.as_str()).collect();
    let mut amount = vec![0i128; n];
    let mut bound = vec![Bound::NoEfficiency; n];
    if active.is_empty() {
        notes.push(format!(
            "no channel has a positive efficiency: every channel gets its minimum and the rest ({}) is spread evenly",
            total - lo.iter().sum::<i128>()
        ));
        let items: Vec<Item> = idle
            .iter()
            .map(|&i| Item {
                w: 1,
                lo: lo[i],
                hi: hi[i],
            })
            .collect();
        let (alloc, _) = fill(
            total,
            &items,
            &idle.iter().map(|&i| ids[i]).collect::<Vec<_>>(),
        );
        for (k, &i) in idle.iter().enumerate() {
            amount[i] = alloc[k];
        }
    } else if rest > capacity {
        for &i in &active {
            amount[i] = hi[i];
            bound[i] = Bound::Max;
        }
        let left = rest - capacity;
        notes.push(format!(
            "the channels with an efficiency take at most {capacity} (minor units) in all; the other {left} is spread evenly over the channels without one"
        ));
        let items: Vec<Item> = idle
            .iter()
            .map(|&i| Item {
                w: 1,
                lo: lo[i],
                hi: hi[i],
            })
            .collect();
        let (alloc, _) = fill(
            idle_min + left,
            &items,
            &idle.iter().map(|&i| ids[i]).collect::<Vec<_>>(),
        );
        for (k, &i) in idle.iter().enumerate() {
            amount[i] = alloc[k];
        }
    } else {
        for &i in &idle {
            amount[i] = lo[i];
        }
        let items: Vec<Item> = active
            .iter()
            .map(|&i| Item {
                w: weight[i],
                lo: lo[i],
                hi: hi[i],
            })
            .collect();
        let (alloc, level) = fill(
            rest,
            &items,
            &active.iter().map(|&i| ids[i]).collect::<Vec<_>>(),
        );
        for (k, &i) in active.iter().enumerate() {
            amount[i] = alloc[k];
            // λ·w against the bounds, exactly: λ = num / den.
            let x = level.0 * weight[i];
            bound[i] = if x < lo[i] * level.1 {
                Bound::Min
            } else if x > hi[i] * level.1 {
                Bound::Max
            } else {
                Bound::Free
            };
        }
        notes.push(format!(
            "{rest} (minor units: the budget less the minimums of the {} channels without an efficiency) spread over the {} channels with one, in proportion to it",
            idle.len(),
            active.len()
        ));
    }
    let mut lines = Vec::with_capacity(n);
    for (i, c) in plan.channels.iter().enumerate() {
        let (share, before) = match positive[i] {
            Some(e) => {
                let share = e
                    .checked_div(e_sum)
                    .map(|r| KpiValue::Value(round6(r)))
                    .ok_or_else(|| Error::overflow("a share of efficiency"))?;
                let before = super::ratio(
                    rest * weight[i],
                    active.iter().map(|&j| weight[j]).sum(),
                    0,
                    "an amount before bounds",
                )?;
                (share, before)
            }
            None => {
                let why = KpiValue::Missing(Missing::Other {
                    detail: "no positive efficiency".into(),
                });
                (why.clone(), why)
            }
        };
        let a = i64::try_from(amount[i]).map_err(|_| Error::overflow("an allocation"))?;
        let current = inputs
            .channels
            .get(&c.channel)
            .and_then(|x| x.current_spend);
        lines.push(AllocationLine {
            channel: c.channel.clone(),
            efficiency: eff[i].clone(),
            share_before_bounds: share,
            amount_before_bounds: before,
            min: c.min,
            max: c.max,
            bound: bound[i],
            amount: a,
            current_spend: current,
            change: current.and_then(|s| a.checked_sub(s)),
        });
    }
    Ok(Reallocation {
        plan: plan.id.clone(),
        total: plan.total,
        measure: plan.measure,
        lines,
        notes,
    })
}

/// Weights are efficiencies relative to the largest, times this.
const WEIGHT_SCALE: i64 = 1_000_000_000;

/// A channel's efficiency under `measure`, or why there is none.
fn efficiency(
    measure: EfficiencyMeasure,
    c: &BudgetChannel,
    input: Option<&ChannelInput>,
) -> Result<KpiValue> {
    let no = |what: &str| KpiValue::Missing(Missing::NoData { input: what.into() });
    Ok(match measure {
        EfficiencyMeasure::Given => c
            .efficiency
            .map_or_else(|| no("efficiency"), KpiValue::Value),
        EfficiencyMeasure::ClvCac => input
            .and_then(|x| x.clv_cac)
            .map_or_else(|| no("CLV/CAC"), KpiValue::Value),
        EfficiencyMeasure::Roi => input
            .and_then(|x| x.roi)
            .map_or_else(|| no("ROI"), KpiValue::Value),
        EfficiencyMeasure::AttributedValuePerSpend => {
            match (
                input.and_then(|x| x.attributed_value),
                input.and_then(|x| x.current_spend),
            ) {
                (None, _) => no("attributed value"),
                (_, None) => no("current spend"),
                (Some(v), Some(s)) => match super::ratio(
                    i128::from(v),
                    i128::from(s),
                    0,
                    "attributed value per spend",
                )? {
                    KpiValue::Missing(Missing::ZeroDenominator { .. }) => {
                        KpiValue::Missing(Missing::ZeroDenominator {
                            what: "current spend".into(),
                        })
                    }
                    v => v,
                },
            }
        }
    })
}

/// A channel to fill: weight and bounds.
#[derive(Debug, Clone, Copy)]
struct Item {
    w: i128,
    lo: i128,
    hi: i128,
}

/// `clamp(λ·w, lo, hi)` with the `λ` at which they add up to `total` (which must lie in
/// `[Σlo, Σhi]`), rounded to integers by largest remainder (ties by `ids`). Returns the
/// amounts and `λ` as `(numerator, denominator)`.
fn fill(total: i128, items: &[Item], ids: &[&str]) -> (Vec<i128>, (i128, i128)) {
    if items.is_empty() {
        return (Vec::new(), (0, 1));
    }
    // Breakpoints lo/w and hi/w, ascending (rationals compared by cross-multiplying).
    let mut bps: Vec<(i128, i128)> = items
        .iter()
        .flat_map(|it| [(it.lo, it.w), (it.hi, it.w)])
        .collect();
    bps.sort_by(|a, b| (a.0 * b.1).cmp(&(b.0 * a.1)));
    bps.dedup_by(|a, b| a.0 * b.1 == b.0 * a.1);
    // S(p/q) · q.
    let sum_at = |p: i128, q: i128| -> i128 {
        items
            .iter()
            .map(|it| (p * it.w).clamp(it.lo * q, it.hi * q))
            .sum()
    };
    let mut level = None;
    for (j, &(p, q)) in bps.iter().enumerate() {
        let s = sum_at(p, q);
        if s == total * q {
            level = Some((p, q));
            break;
        }
        if s > total * q {
            // Strictly inside (bps[j−1], bps[j]): the free channels are those whose range
            // spans the segment.
            let (p0, q0) = if j == 0 { (p, q) } else { bps[j - 1] };
            let mut fixed = 0i128;
            let mut free_w = 0i128;
            for it in items {
                if it.hi * q0 <= p0 * it.w {
                    fixed += it.hi;
                } else if it.lo * q >= p * it.w {
                    fixed += it.lo;
                } else {
                    free_w += it.w;
                }
            }
            level = Some((total - fixed, free_w.max(1)));
            break;
        }
    }
    let (p, q) = level.unwrap_or_else(|| bps.last().copied().unwrap_or((0, 1)));
    let exact: Vec<i128> = items
        .iter()
        .map(|it| (p * it.w).clamp(it.lo * q, it.hi * q))
        .collect();
    let mut out: Vec<i128> = exact.iter().map(|x| x.div_euclid(q)).collect();
    let given: i128 = out.iter().sum();
    let mut rem: Vec<(i128, usize)> = exact
        .iter()
        .enumerate()
        .map(|(k, x)| (x.rem_euclid(q), k))
        .collect();
    rem.sort_by(|a, b| b.0.cmp(&a.0).then(ids[a.1].cmp(ids[b.1])));
    for &(r, k) in rem.iter().take((total - given).max(0) as usize) {
        if r > 0 {
            out[k] += 1;
        }
    }
    (out, (p, q))
}
