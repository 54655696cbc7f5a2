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

/// Shapley attribution (see `docs/attribution.md`).
pub fn shapley(journeys: &Journeys) -> Result<(ModelResult, ShapleyReport)> {
    let _ = journeys;
    Err(Error::invalid_argument(
        "model",
        "shapley: not implemented yet",
    ))
}
