//! Channel attribution (渠道归因): which channels earned the conversions.
//!
//! Journeys ([`Journeys`]) are built from touchpoints and conversions or from aggregated paths
//! (`a > b > c`, as the ChannelAttribution package takes them); the heuristic models (first
//! touch, last touch, linear, time decay, position-based), a Markov chain model of order 1 to 4
//! with removal effects solved from the absorbing chain, and Shapley values over channel sets
//! share the conversions and the conversion value among the channels. Every model's shares add
//! up exactly to the totals (conversions with 6 decimals, value in minor units), and the result
//! is the same whatever the row order or thread count. The exact definitions are in
//! `docs/attribution.md`.
//!
//! ```
//! use qudao::attribution::{attribute, AttributionSettings, Journeys, Model, PathRow};
//!
//! let rows = [
//!     PathRow { path: "A", conversions: 2, value: 200, nulls: 1 },
//!     PathRow { path: "B", conversions: 1, value: 100, nulls: 0 },
//!     PathRow { path: "A > B", conversions: 1, value: 100, nulls: 0 },
//! ];
//! let journeys = Journeys::from_paths(&rows, None)?;
//! let result = attribute(&journeys, &AttributionSettings::default())?;
//! let markov = result.model(Model::Markov).expect("markov ran");
//! assert_eq!(markov.credit("A").expect("A").conversions.to_string(), "2.400000");
//! assert_eq!(markov.credit("B").expect("B").value, 160);
//! # Ok::<(), qudao::Error>(())
//! ```

mod heuristic;
mod journeys;
mod markov;
mod settings;
mod shapley;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub use heuristic::heuristic;
pub use journeys::{
    ConversionInput, JourneyStats, Journeys, JourneysBuilder, PathRecord, PathRow, TouchInput,
    synthetic_journeys,
};
pub use markov::{
    MARKOV_MAX_SWEEPS, MARKOV_TOLERANCE, MarkovReport, RemovalEffect, Transition, markov,
};
pub use settings::{
    AttributionSettings, ConversionRule, ExpiredTouches, JourneyOptions, MarkovOptions,
    PositionWeights, Repeats,
};
pub use shapley::{MAX_SHAPLEY_CHANNELS, ShapleyReport, ShapleyValue, shapley};

/// Decimals of attributed conversions.
pub const CONVERSION_DECIMALS: u32 = 6;

/// An attribution model.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// All credit to the first touch.
    FirstTouch,
    /// All credit to the last touch.
    LastTouch,
    /// Equal credit to every touch (a repeated channel gets several shares).
    Linear,
    /// Credit by 0.5^(Δt / half-life), Δt from the touch to the conversion.
    TimeDecay,
    /// U-shaped: first and last touch a fixed share each, the middle touches the rest.
    PositionBased,
    /// Markov chain removal effects.
    Markov,
    /// Shapley values over channel sets.
    Shapley,
}

impl Model {
    /// Every model, in the order results list them by default.
    pub const ALL: [Model; 7] = [
        Model::FirstTouch,
        Model::LastTouch,
        Model::Linear,
        Model::TimeDecay,
        Model::PositionBased,
        Model::Markov,
        Model::Shapley,
    ];

    /// The snake_case name (`first_touch`, …, `shapley`).
    pub fn as_str(self) -> &'static str {
        match self {
            Model::FirstTouch => "first_touch",
            Model::LastTouch => "last_touch",
            Model::Linear => "linear",
            Model::TimeDecay => "time_decay",
            Model::PositionBased => "position_based",
            Model::Markov => "markov",
            Model::Shapley => "shapley",
        }
    }

    /// Parse the snake_case name.
    pub fn parse(name: &str) -> Option<Model> {
        Model::ALL
            .into_iter()
            .find(|m| m.as_str() == name.trim().to_ascii_lowercase())
    }

    /// Whether this is one of the five per-touch heuristics.
    pub fn is_heuristic(self) -> bool {
        !matches!(self, Model::Markov | Model::Shapley)
    }
}

impl std::fmt::Display for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// What one model gives one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelCredit {
    /// Channel name.
    pub channel: String,
    /// Attributed conversions, with [`CONVERSION_DECIMALS`] decimals.
    pub conversions: Decimal,
    /// Attributed conversion value, minor units.
    pub value: i64,
    /// Touches of the channel in converting journeys (each journey counted as often as it
    /// converted).
    pub touches: u64,
    /// What the conversions were split by: the channel's exact share of the conversion credit
    /// (heuristics, 12 decimals), its removal effect (Markov, 12 decimals) or its Shapley
    /// value in conversions (12 decimals).
    pub basis: Decimal,
    /// What the value was split by: share of the value credit (heuristics), value-weighted
    /// removal effect (Markov), Shapley value in minor units (6 decimals).
    pub value_basis: Decimal,
}

/// One model's attribution over every channel of the journey set (channels in name order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelResult {
    /// The model.
    pub model: Model,
    /// The parameters used, in words (weights, half-life, order, …).
    pub explanation: String,
    /// Total conversions split (= the sum of the channels' conversions).
    pub total_conversions: Decimal,
    /// Total value split, minor units (= the sum of the channels' values).
    pub total_value: i64,
    /// One row per channel, in name order.
    pub channels: Vec<ChannelCredit>,
}

impl ModelResult {
    /// The row of a channel.
    pub fn credit(&self, channel: &str) -> Option<&ChannelCredit> {
        self.channels.iter().find(|c| c.channel == channel)
    }
}

/// A model that was asked for but could not run on these journeys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The model.
    pub model: Model,
    /// Why (the error the model's own function gives).
    pub reason: String,
}

/// One row of the long table of an [`Attribution`]: a model and a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributionRow {
    /// The model.
    pub model: Model,
    /// Channel name.
    pub channel: String,
    /// Attributed conversions (6 decimals).
    pub conversions: Decimal,
    /// Attributed value, minor units.
    pub value: i64,
    /// Touches in converting journeys.
    pub touches: u64,
    /// See [`ChannelCredit::basis`].
    pub basis: Decimal,
    /// See [`ChannelCredit::value_basis`].
    pub value_basis: Decimal,
}

/// Every model that was asked for, with the Markov and Shapley details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    /// The channels, in name order (the journey set's channel list).
    pub channels: Vec<String>,
    /// Conversions in the journeys.
    pub total_conversions: u64,
    /// Conversion value in the journeys, minor units.
    pub total_value: i64,
    /// Null journeys (journeys without conversion), counted.
    pub total_nulls: u64,
    /// How the journeys were built.
    pub journeys: JourneyStats,
    /// One result per model that ran, in the settings' order.
    pub models: Vec<ModelResult>,
    /// The Markov chain, when the Markov model ran.
    pub markov: Option<MarkovReport>,
    /// The Shapley values, when the Shapley model ran.
    pub shapley: Option<ShapleyReport>,
    /// Models asked for that could not run (time decay without touch times, Shapley over
    /// more than [`MAX_SHAPLEY_CHANNELS`] channels).
    pub skipped: Vec<Skipped>,
}

impl Attribution {
    /// The result of a model, if it ran.
    pub fn model(&self, model: Model) -> Option<&ModelResult> {
        self.models.iter().find(|m| m.model == model)
    }

    /// All results as one long table (model, channel), models in run order, channels in
    /// name order: easy to turn into columns.
    pub fn rows(&self) -> Vec<AttributionRow> {
        self.models
            .iter()
            .flat_map(|m| {
                m.channels.iter().map(move |c| AttributionRow {
                    model: m.model,
                    channel: c.channel.clone(),
                    conversions: c.conversions,
                    value: c.value,
                    touches: c.touches,
                    basis: c.basis,
                    value_basis: c.value_basis,
                })
            })
            .collect()
    }
}

/// Run the models the settings name over a journey set.
///
/// A model that cannot run on these journeys (time decay on journeys without touch times,
/// Shapley over more than [`MAX_SHAPLEY_CHANNELS`] converting channels) is listed in
/// [`Attribution::skipped`] with the reason; other problems are errors.
pub fn attribute(journeys: &Journeys, settings: &AttributionSettings) -> Result<Attribution> {
    use crate::document::RuleDocument;
    settings.validate()?;
    let mut out = Attribution {
        channels: journeys.channels().to_vec(),
        total_conversions: journeys.total_conversions(),
        total_value: journeys.total_value(),
        total_nulls: journeys.total_nulls(),
        journeys: journeys.stats().clone(),
        models: Vec::with_capacity(settings.models.len()),
        markov: None,
        shapley: None,
        skipped: Vec::new(),
    };
    for &model in &settings.models {
        match model {
            Model::Markov => {
                let (r, report) = markov(journeys, &settings.markov)?;
                out.models.push(r);
                out.markov = Some(report);
            }
            Model::Shapley => match shapley(journeys) {
                Ok((r, report)) => {
                    out.models.push(r);
                    out.shapley = Some(report);
                }
                Err(e @ Error::InvalidArgument { .. }) => out.skipped.push(Skipped {
                    model,
                    reason: e.to_string(),
                }),
                Err(e) => return Err(e),
            },
            Model::TimeDecay if !journeys.has_times() => out.skipped.push(Skipped {
                model,
                reason: "time decay needs touch times; these journeys have none (built from paths)"
                    .into(),
            }),
            m => out.models.push(heuristic(journeys, m, settings)?),
        }
    }
    Ok(out)
}

/// Split `total` in proportion to `weights`: each part is its exact share rounded down, the
/// units left go one each to the largest remainders, ties to the lower index (channels are in
/// name order, so ties go by channel name). All-zero weights split equally.
pub(crate) fn allocate(total: u128, weights: &[u128]) -> Vec<u128> {
    if weights.is_empty() {
        return Vec::new();
    }
    // The callers' weights sum far below 2^127; should they not, halving them all keeps the
    // proportions to far better than one unit.
    let mut scaled;
    let mut w = weights;
    let sum = loop {
        match w.iter().try_fold(0u128, |a, &x| a.checked_add(x)) {
            Some(s) => break s,
            None => {
                scaled = w.iter().map(|x| x >> 1).collect::<Vec<_>>();
                w = &scaled;
            }
        }
    };
    if sum == 0 {
        scaled = vec![1u128; w.len()];
        let n = scaled.len() as u128;
        return allocate_exact(total, &scaled, n);
    }
    allocate_exact(total, w, sum)
}

fn allocate_exact(total: u128, weights: &[u128], sum: u128) -> Vec<u128> {
    let mut parts = Vec::with_capacity(weights.len());
    let mut rems = Vec::with_capacity(weights.len());
    let mut given = 0u128;
    for (i, &w) in weights.iter().enumerate() {
        let (q, r) = mul_div_rem(total, w, sum);
        parts.push(q);
        rems.push((r, i));
        given += q;
    }
    let mut left = total - given;
    if left > 0 {
        rems.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, i) in &rems {
            if left == 0 {
                break;
            }
            parts[i] += 1;
            left -= 1;
        }
    }
    parts
}

/// `a × b / c` and its remainder, exactly (256-bit intermediate). `c` must not be zero.
pub(crate) fn mul_div_rem(a: u128, b: u128, c: u128) -> (u128, u128) {
    if let Some(p) = a.checked_mul(b) {
        return (p / c, p % c);
    }
    // 256-bit product as (hi, lo).
    let (a1, a0) = (a >> 64, a & u128::from(u64::MAX));
    let (b1, b0) = (b >> 64, b & u128::from(u64::MAX));
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & u128::from(u64::MAX)) + (p10 & u128::from(u64::MAX));
    let lo = (p00 & u128::from(u64::MAX)) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    // Shift-subtract division of (hi, lo) by c; the quotient fits in 128 bits when b ≤ c.
    let mut rem = 0u128;
    let mut q = 0u128;
    for i in (0..256).rev() {
        let bit = if i >= 128 {
            (hi >> (i - 128)) & 1
        } else {
            (lo >> i) & 1
        };
        let carry = rem >> 127;
        rem = (rem << 1) | bit;
        if carry == 1 || rem >= c {
            rem = rem.wrapping_sub(c);
            if i < 128 {
                q |= 1 << i;
            }
        }
    }
    (q, rem)
}

/// `num / den` rounded half up to `scale` decimals, as a Decimal (0 when `den` is 0).
pub(crate) fn ratio(num: u128, den: u128, scale: u32) -> Result<Decimal> {
    if den == 0 {
        return Ok(Decimal::ZERO);
    }
    let (q, r) = mul_div_rem(num, 10u128.pow(scale), den);
    let q = if r >= den - r { q + 1 } else { q };
    let q = i128::try_from(q).map_err(|_| Error::overflow("attribution ratio"))?;
    Decimal::try_from_i128_with_scale(q, scale).map_err(|_| Error::overflow("attribution ratio"))
}

/// Micro-conversions as a Decimal with [`CONVERSION_DECIMALS`] decimals.
pub(crate) fn micro(units: u128) -> Result<Decimal> {
    let v = i128::try_from(units).map_err(|_| Error::overflow("attributed conversions"))?;
    Decimal::try_from_i128_with_scale(v, CONVERSION_DECIMALS)
        .map_err(|_| Error::overflow("attributed conversions"))
}

/// Build a model result from per-channel split weights: conversions in proportion to
/// `conv_weights`, value in proportion to `value_weights`.
#[expect(
    clippy::too_many_arguments,
    reason = "one internal helper shared by the three model families"
)]
pub(crate) fn split(
    journeys: &Journeys,
    model: Model,
    explanation: String,
    conv_weights: &[u128],
    value_weights: &[u128],
    touches: &[u64],
    basis: Vec<Decimal>,
    value_basis: Vec<Decimal>,
) -> Result<ModelResult> {
    let total_conv = u128::from(journeys.total_conversions()) * 10u128.pow(CONVERSION_DECIMALS);
    let total_value = journeys.total_value();
    let value_total = u128::try_from(total_value).map_err(|_| Error::overflow("total value"))?;
    let conv = allocate(total_conv, conv_weights);
    let value = allocate(value_total, value_weights);
    let mut channels = Vec::with_capacity(conv.len());
    for (c, name) in journeys.channels().iter().enumerate() {
        channels.push(ChannelCredit {
            channel: name.clone(),
            conversions: micro(conv[c])?,
            value: i64::try_from(value[c]).map_err(|_| Error::overflow("attributed value"))?,
            touches: touches[c],
            basis: basis[c],
            value_basis: value_basis[c],
        });
    }
    Ok(ModelResult {
        model,
        explanation,
        total_conversions: micro(total_conv)?,
        total_value,
        channels,
    })
}

/// Touches per channel in converting journeys, each journey counted as often as it converted.
pub(crate) fn converting_touches(journeys: &Journeys) -> Vec<u64> {
    let mut t = vec![0u64; journeys.channels().len()];
    for j in 0..journeys.len() {
        let c = journeys.conversions()[j];
        if c == 0 {
            continue;
        }
        for &ch in journeys.path(j) {
            t[ch as usize] = t[ch as usize].saturating_add(c);
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocate_adds_up_and_breaks_ties_by_index() {
        // 100 over 1:1:1 → 33.33 each; the one unit left goes to index 0.
        assert_eq!(allocate(100, &[1, 1, 1]), [34, 33, 33]);
        // 10 over 3:0:7 is exact.
        assert_eq!(allocate(10, &[3, 0, 7]), [3, 0, 7]);
        // All zero: equal split.
        assert_eq!(allocate(5, &[0, 0]), [3, 2]);
        // 1 over 1:2 → 0.33, 0.67: the larger remainder wins.
        assert_eq!(allocate(1, &[1, 2]), [0, 1]);
        assert!(allocate(7, &[]).is_empty());
        // Weights whose sum leaves u128 are halved until it fits: still 1 : 1.
        assert_eq!(allocate(10, &[u128::MAX, u128::MAX]), [5, 5]);
    }

    #[test]
    fn mul_div_is_exact_beyond_128_bits() {
        let a = u128::MAX / 3;
        // (a × 6) / 9 = a × 2 / 3, exact because a is a multiple of 1 (check with a small identity).
        let (q, r) = mul_div_rem(a, 6, 9);
        assert_eq!(q, a / 3 * 2 + (a % 3) * 2 / 3);
        assert!(r < 9);
        let big = 1u128 << 100;
        assert_eq!(mul_div_rem(big, big, big), (big, 0));
        assert_eq!(mul_div_rem(big + 1, big, big), (big + 1, 0));
        assert_eq!(mul_div_rem(3 << 90, 5 << 90, 1 << 120), (15 << 60, 0));
    }

    #[test]
    fn ratio_rounds_half_up() {
        assert_eq!(ratio(1, 3, 2).expect("fits").to_string(), "0.33");
        assert_eq!(ratio(2, 3, 2).expect("fits").to_string(), "0.67");
        assert_eq!(ratio(1, 8, 2).expect("fits").to_string(), "0.13");
        assert_eq!(ratio(5, 0, 2).expect("fits"), Decimal::ZERO);
    }

    #[test]
    fn model_names_round_trip() {
        for m in Model::ALL {
            assert_eq!(Model::parse(m.as_str()), Some(m));
        }
        assert_eq!(Model::parse("bogus"), None);
    }
}
