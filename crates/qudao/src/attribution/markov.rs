//! Markov chain attribution with removal effects solved from the absorbing chain.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

use super::settings::{MarkovOptions, Repeats};
use super::{Journeys, ModelResult};

/// The Markov chain behind a Markov attribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkovReport {
    /// Order of the chain.
    pub order: u8,
    /// How consecutive repeats were read.
    pub repeats: Repeats,
    /// Transient states, named `a` or `a > b` (the last channels seen), in name order.
    pub states: Vec<String>,
    /// Every transition seen, with its count and probability; `(start)`, `(conversion)` and
    /// `(null)` name the start and the two absorbing states.
    pub transitions: Vec<Transition>,
    /// Probability that a journey converts, from the chain (12 decimals).
    pub conversion_probability: Decimal,
    /// Expected conversion value per journey from the chain, minor units (6 decimals).
    pub expected_value: Decimal,
    /// Per channel: the chain without it and the removal effects.
    pub removals: Vec<RemovalEffect>,
    /// Gauss–Seidel sweeps of the slowest solve.
    pub sweeps: u32,
}

/// One transition of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// From state.
    pub from: String,
    /// To state.
    pub to: String,
    /// Journeys that made it (each journey weighted by its conversions plus nulls).
    pub count: u64,
    /// count / all transitions out of `from` (12 decimals).
    pub probability: Decimal,
}

/// A channel's removal effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovalEffect {
    /// Channel name.
    pub channel: String,
    /// Conversion probability when every state holding the channel leads to null (12 decimals).
    pub conversion_probability: Decimal,
    /// 1 − that / the full chain's probability (12 decimals).
    pub removal_effect: Decimal,
    /// Expected value per journey without the channel, minor units (6 decimals).
    pub expected_value: Decimal,
    /// 1 − that / the full chain's expected value (12 decimals).
    pub value_removal_effect: Decimal,
}

/// Markov chain attribution (see `docs/attribution.md`).
pub fn markov(journeys: &Journeys, options: &MarkovOptions) -> Result<(ModelResult, MarkovReport)> {
    options.validate("markov.")?;
    let _ = journeys;
    Err(Error::invalid_argument(
        "model",
        "markov: not implemented yet",
    ))
}
