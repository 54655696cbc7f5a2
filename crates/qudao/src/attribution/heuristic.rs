//! The per-touch heuristics: first touch, last touch, linear, time decay, position-based.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::error::{Error, Result};

use super::settings::AttributionSettings;
use super::{Journeys, Model, ModelResult, converting_touches, ratio, split};

/// Fixed point of a journey's shares: the touches of a journey share `SCALE` units.
pub(crate) const SCALE: u64 = 1_000_000_000_000;

/// One heuristic model over a journey set.
///
/// Each converting journey's conversions and value are shared among its touches (weights
/// below), in fixed point: a journey's touches get integer shares of 10^12 that add up to
/// 10^12 exactly (each share rounded down, the residue, under one unit per touch, to the last
/// touch). Per channel the shares are summed exactly (integers), and the total conversions
/// and value are split in proportion to those sums (largest remainder, ties by channel name).
///
/// - first touch / last touch: the one touch gets everything;
/// - linear: 1/len each (a channel touched twice gets two shares);
/// - time decay: 0.5^(Δt/h) normalised within the journey, Δt the touch's age and h the
///   half-life `settings.half_life_days`; needs touch times;
/// - position-based: one touch gets everything, two touches half each, more touches
///   `first`, `last` and `middle / (len - 2)` each from `settings.position`.
///
/// Errors for `Model::Markov` and `Model::Shapley` (they have their own functions), for time
/// decay without touch times, and for invalid weights.
pub fn heuristic(
    journeys: &Journeys,
    model: Model,
    settings: &AttributionSettings,
) -> Result<ModelResult> {
    let n_ch = journeys.channels().len();
    let explanation;
    let mut weights = Weights::First;
    match model {
        Model::FirstTouch => {
            explanation =
                "first touch: the first touch of each journey gets its conversions and value"
                    .to_owned();
        }
        Model::LastTouch => {
            weights = Weights::Last;
            explanation =
                "last touch: the last touch of each journey gets its conversions and value"
                    .to_owned();
        }
        Model::Linear => {
            weights = Weights::Linear;
            explanation =
                "linear: each touch gets 1/len of its journey (repeats get several shares)"
                    .to_owned();
        }
        Model::TimeDecay => {
            let h = settings.half_life_days;
            if h <= Decimal::ZERO {
                return Err(Error::invalid_argument(
                    "half_life_days",
                    format!("{h} is not more than 0"),
                ));
            }
            if !journeys.has_times() {
                return Err(Error::invalid_argument(
                    "journeys",
                    "time decay needs touch times; these journeys have none (built from paths)",
                ));
            }
            let secs = (h * Decimal::from(86_400))
                .to_f64()
                .unwrap_or(f64::INFINITY);
            weights = Weights::Decay(secs);
            explanation = format!(
                "time decay: weight 0.5^(Δt / {h} days), Δt from the touch to the conversion, normalised within each journey"
            );
        }
        Model::PositionBased => {
            let p = settings.position;
            p.validate("position.")?;
            let part =
                |d: Decimal| -> u64 { (d * Decimal::from(SCALE)).trunc().to_u64().unwrap_or(0) };
            weights = Weights::Position {
                first: part(p.first),
                last: part(p.last),
            };
            explanation = format!(
                "position-based: first {} / middle {} / last {} (one touch gets all, two touches half each)",
                p.first, p.middle, p.last
            );
        }
        Model::Markov | Model::Shapley => {
            return Err(Error::invalid_argument(
                "model",
                format!("`{model}` is not a heuristic; call its own function"),
            ));
        }
    }
    let mut conv_credit = vec![0u128; n_ch];
    let mut value_credit = vec![0u128; n_ch];
    let mut shares: Vec<u64> = Vec::with_capacity(16);
    let mut w: Vec<f64> = Vec::with_capacity(16);
    for j in 0..journeys.len() {
        let conv = journeys.conversions()[j];
        if conv == 0 {
            continue;
        }
        let value = journeys.values()[j] as u128;
        let path = journeys.path(j);
        let len = path.len();
        match weights {
            Weights::First => {
                let c = path[0] as usize;
                conv_credit[c] += u128::from(conv) * u128::from(SCALE);
                value_credit[c] += value * u128::from(SCALE);
                continue;
            }
            Weights::Last => {
                let c = path[len - 1] as usize;
                conv_credit[c] += u128::from(conv) * u128::from(SCALE);
                value_credit[c] += value * u128::from(SCALE);
                continue;
            }
            Weights::Linear => {
                shares.clear();
                shares.resize(len, SCALE / len as u64);
            }
            Weights::Decay(h) => {
                let ages = journeys.ages(j).unwrap_or_default();
                let youngest = ages.iter().copied().min().unwrap_or(0);
                w.clear();
                // Relative to the youngest touch (weight 1), so no weight underflows to 0.
                w.extend(ages.iter().map(|&a| (-((a - youngest) as f64) / h).exp2()));
                let sum: f64 = w.iter().sum();
                shares.clear();
                shares.extend(w.iter().map(|&x| ((x / sum) * SCALE as f64) as u64));
            }
            Weights::Position { first, last } => {
                shares.clear();
                match len {
                    1 => shares.push(SCALE),
                    2 => shares.extend([SCALE / 2, SCALE / 2]),
                    _ => {
                        let middle = (SCALE - first - last) / (len as u64 - 2);
                        shares.push(first);
                        shares.extend(std::iter::repeat_n(middle, len - 2));
                        shares.push(last);
                    }
                }
            }
        }
        let given: u64 = shares.iter().sum();
        shares[len - 1] += SCALE.saturating_sub(given);
        for (&c, &s) in path.iter().zip(&shares) {
            conv_credit[c as usize] += u128::from(conv) * u128::from(s);
            value_credit[c as usize] += value * u128::from(s);
        }
    }
    let conv_den = u128::from(journeys.total_conversions()) * u128::from(SCALE);
    let value_den = journeys.total_value() as u128 * u128::from(SCALE);
    let basis = conv_credit
        .iter()
        .map(|&c| ratio(c, conv_den, 12))
        .collect::<Result<Vec<_>>>()?;
    let value_basis = value_credit
        .iter()
        .map(|&c| ratio(c, value_den, 12))
        .collect::<Result<Vec<_>>>()?;
    split(
        journeys,
        model,
        explanation,
        &conv_credit,
        &value_credit,
        &converting_touches(journeys),
        basis,
        value_basis,
    )
}

#[derive(Debug, Clone, Copy)]
enum Weights {
    First,
    Last,
    Linear,
    Decay(f64),
    Position { first: u64, last: u64 },
}
