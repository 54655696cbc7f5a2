//! Shapley values over channel sets.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

use super::{Journeys, ModelResult};

/// Most converting channels the exact Shapley computation takes (2^15 coalitions).
pub const MAX_SHAPLEY_CHANNELS: usize = 15;

/// The Shapley values behind a Shapley attribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShapleyReport {
    /// The players: channels of converting journeys, in name order.
    pub players: Vec<String>,
    /// Per player, its Shapley values.
    pub values: Vec<ShapleyValue>,
}

/// A channel's Shapley values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShapleyValue {
    /// Channel name.
    pub channel: String,
    /// Shapley value of v(S) = conversions of journeys whose channel set ⊆ S (12 decimals).
    pub conversions: Decimal,
    /// Shapley value of the same with conversion value, minor units (6 decimals).
    pub value: Decimal,
}

/// Shapley attribution.
///
/// The players are the channels of converting journeys (others get nothing). The worth of a
/// set S of channels is v(S) = the conversions (value) of the journeys whose channel set lies
/// within S, and a channel's Shapley value is
/// φᵢ = Σ_{S ∌ i} |S|! (n − |S| − 1)! / n! · (v(S ∪ {i}) − v(S)), computed exactly in
/// integers (subset sums over the 2ⁿ coalitions). The φᵢ add up to v(all) = the totals; the
/// conversions (value) are split in proportion to the exact φᵢ (largest remainder, ties by
/// channel name). More than [`MAX_SHAPLEY_CHANNELS`] players is an error naming the count.
pub fn shapley(journeys: &Journeys) -> Result<(ModelResult, ShapleyReport)> {
    let n_ch = journeys.channels().len();
    let mut player = vec![u32::MAX; n_ch];
    let mut players: Vec<usize> = Vec::new();
    for j in 0..journeys.len() {
        if journeys.conversions()[j] == 0 {
            continue;
        }
        for &c in journeys.path(j) {
            player[c as usize] = 0;
        }
    }
    for (c, p) in player.iter_mut().enumerate() {
        if *p == 0 {
            *p = players.len() as u32;
            players.push(c);
        }
    }
    let n = players.len();
    if n > MAX_SHAPLEY_CHANNELS {
        return Err(Error::invalid_argument(
            "journeys",
            format!(
                "exact Shapley values take at most {MAX_SHAPLEY_CHANNELS} channels; the converting journeys have {n}"
            ),
        ));
    }
    // Worth of exactly each channel set, then of every set within it (subset sums).
    let size = 1usize << n;
    let mut conv = vec![0u128; size];
    let mut value = vec![0u128; size];
    for j in 0..journeys.len() {
        let c = journeys.conversions()[j];
        if c == 0 {
            continue;
        }
        let mask = journeys
            .path(j)
            .iter()
            .fold(0usize, |m, &ch| m | (1 << player[ch as usize]));
        conv[mask] += u128::from(c);
        value[mask] += journeys.values()[j] as u128;
    }
    for i in 0..n {
        for m in 0..size {
            if m & (1 << i) != 0 {
                conv[m] += conv[m ^ (1 << i)];
                value[m] += value[m ^ (1 << i)];
            }
        }
    }
    let fact: Vec<u128> = (0..=n as u128)
        .scan(1u128, |f, k| {
            if k > 0 {
                *f *= k;
            }
            Some(*f)
        })
        .collect();
    // n! · φᵢ, exactly.
    let mut w_conv = vec![0u128; n_ch];
    let mut w_value = vec![0u128; n_ch];
    for i in 0..n {
        let bit = 1usize << i;
        let (mut wc, mut wv) = (0u128, 0u128);
        for m in 0..size {
            if m & bit != 0 {
                continue;
            }
            let s = m.count_ones() as usize;
            let coef = fact[s] * fact[n - s - 1];
            wc += coef * (conv[m | bit] - conv[m]);
            wv += coef * (value[m | bit] - value[m]);
        }
        w_conv[players[i]] = wc;
        w_value[players[i]] = wv;
    }
    let nf = fact[n];
    let mut values = Vec::with_capacity(n);
    let mut basis = Vec::with_capacity(n_ch);
    let mut value_basis = Vec::with_capacity(n_ch);
    for c in 0..n_ch {
        let b = super::ratio(w_conv[c], nf, 12)?;
        let vb = super::ratio(w_value[c], nf, 6)?;
        if player[c] != u32::MAX {
            values.push(ShapleyValue {
                channel: journeys.channels()[c].clone(),
                conversions: b,
                value: vb,
            });
        }
        basis.push(b);
        value_basis.push(vb);
    }
    let result = super::split(
        journeys,
        super::Model::Shapley,
        format!(
            "shapley: exact Shapley values of v(S) = conversions (value) of journeys whose channels all lie in S, over {n} channels"
        ),
        &w_conv,
        &w_value,
        &super::converting_touches(journeys),
        basis,
        value_basis,
    )?;
    let report = ShapleyReport {
        players: players
            .iter()
            .map(|&c| journeys.channels()[c].clone())
            .collect(),
        values,
    };
    Ok((result, report))
}
