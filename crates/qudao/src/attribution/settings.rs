//! The attribution settings document: journey building, model parameters and which models run.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::document::{RuleDocument, SCHEMA_VERSION};
use crate::error::{Error, Result};

use super::Model;

/// Attribution settings (渠道归因设置), a rule document.
///
/// Every field is optional except `schema_version`; the defaults are those of
/// [`AttributionSettings::default`]. Ratios are exact decimals written as strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Attribution settings",
    description = "Channel attribution settings of the qudao library: how journeys are built from touchpoints and conversions (lookback window, expired touches, conversion rule), the parameters of the heuristic models (time-decay half-life, position weights), the Markov chain order and repeat handling, and which models run."
)]
pub struct AttributionSettings {
    /// Document schema version; this library reads 1.
    pub schema_version: u32,
    /// How far back before a conversion a touch still counts for it, in days (default 30, at
    /// least 1, at most 3650).
    #[serde(default = "default_lookback")]
    pub lookback_days: u32,
    /// What happens to touches older than the lookback window before the conversion that
    /// follows them (default `null_journey`).
    #[serde(default)]
    pub expired_touches: ExpiredTouches,
    /// Which purchases are conversions when journeys are built from a data set (default
    /// `first_purchase`).
    #[serde(default)]
    pub conversion: ConversionRule,
    /// Time-decay half-life in days (default `"7"`; more than 0, at most 3650).
    #[serde(default = "default_half_life")]
    pub half_life_days: Decimal,
    /// Position-based weights (default 0.4 / 0.2 / 0.4).
    #[serde(default)]
    pub position: PositionWeights,
    /// Markov chain options (default order 1, consecutive repeats collapsed).
    #[serde(default)]
    pub markov: MarkovOptions,
    /// The models to run, in the order the results list them (default: all seven).
    #[serde(default = "default_models")]
    pub models: Vec<Model>,
}

fn default_lookback() -> u32 {
    30
}

fn default_half_life() -> Decimal {
    Decimal::from(7)
}

fn default_models() -> Vec<Model> {
    Model::ALL.to_vec()
}

impl Default for AttributionSettings {
    fn default() -> Self {
        AttributionSettings {
            schema_version: SCHEMA_VERSION,
            lookback_days: default_lookback(),
            expired_touches: ExpiredTouches::default(),
            conversion: ConversionRule::default(),
            half_life_days: default_half_life(),
            position: PositionWeights::default(),
            markov: MarkovOptions::default(),
            models: default_models(),
        }
    }
}

impl AttributionSettings {
    /// The journey-building part of the settings.
    pub fn journey_options(&self) -> JourneyOptions {
        JourneyOptions {
            lookback_days: self.lookback_days,
            expired_touches: self.expired_touches,
            conversion: self.conversion,
        }
    }
}

/// What happens to touches older than the lookback window before the next conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpiredTouches {
    /// They form a null journey of their own (the customer was reached and did not convert
    /// within the window), one per gap between conversions.
    #[default]
    NullJourney,
    /// They are dropped (counted in the journey statistics).
    Drop,
}

/// Which purchases of a data set are conversions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversionRule {
    /// Each customer's first order (earliest day, then smallest order id): acquisition.
    #[default]
    FirstPurchase,
    /// Every order with sale lines.
    EachOrder,
}

/// How journeys are cut out of touchpoints and conversions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JourneyOptions {
    /// Lookback window in days (at least 1).
    pub lookback_days: u32,
    /// What happens to touches older than the window.
    pub expired_touches: ExpiredTouches,
    /// Which purchases are conversions (used only when building from a data set).
    pub conversion: ConversionRule,
}

impl Default for JourneyOptions {
    fn default() -> Self {
        AttributionSettings::default().journey_options()
    }
}

/// Position-based (U-shaped) weights for journeys of three or more touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionWeights {
    /// Share of the first touch (default `"0.4"`).
    pub first: Decimal,
    /// Share of all middle touches together, split equally among them (default `"0.2"`).
    pub middle: Decimal,
    /// Share of the last touch (default `"0.4"`).
    pub last: Decimal,
}

impl Default for PositionWeights {
    fn default() -> Self {
        PositionWeights {
            first: Decimal::new(4, 1),
            middle: Decimal::new(2, 1),
            last: Decimal::new(4, 1),
        }
    }
}

/// How consecutive repeats of a channel in a journey enter the Markov chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Repeats {
    /// `a > a > b` is read as `a > b` (default): at order 1 this gives the same removal
    /// effects as keeping the self-loops, and at higher orders it keeps states as sequences of
    /// distinct successive channels.
    #[default]
    Collapse,
    /// Repeats stay: self-loops at order 1, states such as `a > a` at higher orders.
    Keep,
}

/// Markov chain options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkovOptions {
    /// Order of the chain: a state is the last `order` channels (1 to 4, default 1).
    #[serde(default = "default_order")]
    pub order: u8,
    /// Consecutive repeats (default `collapse`).
    #[serde(default)]
    pub repeats: Repeats,
}

fn default_order() -> u8 {
    1
}

impl Default for MarkovOptions {
    fn default() -> Self {
        MarkovOptions {
            order: 1,
            repeats: Repeats::Collapse,
        }
    }
}

impl MarkovOptions {
    /// An error naming `path` unless the order is 1 to 4.
    pub fn validate(&self, path: &str) -> Result<()> {
        if !(1..=4).contains(&self.order) {
            return Err(Error::document(
                format!("{path}order"),
                format!("{} is not an order from 1 to 4", self.order),
            ));
        }
        Ok(())
    }
}

/// Largest number of decimals a position weight may have (the fixed point of the shares).
const WEIGHT_DECIMALS: u32 = 12;

impl PositionWeights {
    /// An error naming `path` unless the weights are non-negative, have at most 12 decimals
    /// and add up to 1.
    pub fn validate(&self, path: &str) -> Result<()> {
        for (name, w) in [
            ("first", self.first),
            ("middle", self.middle),
            ("last", self.last),
        ] {
            if w.is_sign_negative() && !w.is_zero() {
                return Err(Error::document(
                    format!("{path}{name}"),
                    format!("{w} is negative"),
                ));
            }
            if w.normalize().scale() > WEIGHT_DECIMALS {
                return Err(Error::document(
                    format!("{path}{name}"),
                    format!("{w} has more than {WEIGHT_DECIMALS} decimals"),
                ));
            }
        }
        let sum = self.first + self.middle + self.last;
        if sum != Decimal::ONE {
            return Err(Error::document(
                path.trim_end_matches('.'),
                format!("first + middle + last is {sum}, not 1"),
            ));
        }
        Ok(())
    }
}

impl RuleDocument for AttributionSettings {
    const KIND: &'static str = "attribution settings";

    fn schema_version(&self) -> u32 {
        self.schema_version
    }

    fn validate(&self) -> Result<()> {
        if self.lookback_days == 0 || self.lookback_days > 3650 {
            return Err(Error::document(
                "lookback_days",
                format!("{} is not from 1 to 3650 days", self.lookback_days),
            ));
        }
        if self.half_life_days <= Decimal::ZERO || self.half_life_days > Decimal::from(3650) {
            return Err(Error::document(
                "half_life_days",
                format!(
                    "{} is not more than 0 and at most 3650 days",
                    self.half_life_days
                ),
            ));
        }
        self.position.validate("position.")?;
        self.markov.validate("markov.")?;
        if self.models.is_empty() {
            return Err(Error::document("models", "names no model"));
        }
        for (i, m) in self.models.iter().enumerate() {
            if self.models[..i].contains(m) {
                return Err(Error::document(
                    format!("models[{i}]"),
                    format!("`{}` is listed twice", m.as_str()),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_from_a_bare_document() {
        let s = AttributionSettings::from_json(r#"{"schema_version": 1}"#).expect("parses");
        assert_eq!(s, AttributionSettings::default());
        assert_eq!(s.models.len(), 7);
        assert_eq!(s.markov.order, 1);
    }

    #[test]
    fn bad_values_name_their_path() {
        let e = AttributionSettings::from_json(r#"{"schema_version": 1, "lookback_days": 0}"#)
            .expect_err("zero lookback");
        assert!(e.to_string().starts_with("lookback_days:"), "{e}");
        let e = AttributionSettings::from_json(r#"{"schema_version": 1, "markov": {"order": 5}}"#)
            .expect_err("order 5");
        assert!(e.to_string().starts_with("markov.order:"), "{e}");
        let e = AttributionSettings::from_json(
            r#"{"schema_version": 1, "position": {"first": "0.5", "middle": "0.2", "last": "0.4"}}"#,
        )
        .expect_err("sum 1.1");
        assert!(e.to_string().contains("1.1"), "{e}");
        let e = AttributionSettings::from_json(
            r#"{"schema_version": 1, "position": {"first": "-0.1", "middle": "0.7", "last": "0.4"}}"#,
        )
        .expect_err("negative");
        assert!(e.to_string().starts_with("position.first:"), "{e}");
        let e = AttributionSettings::from_json(
            r#"{"schema_version": 1, "models": ["linear", "linear"]}"#,
        )
        .expect_err("twice");
        assert!(e.to_string().starts_with("models[1]:"), "{e}");
        let e = AttributionSettings::from_json(r#"{"schema_version": 1, "half_life_days": "0"}"#)
            .expect_err("zero half-life");
        assert!(e.to_string().starts_with("half_life_days:"), "{e}");
        let e = AttributionSettings::from_json(r#"{"schema_version": 1, "lookbak_days": 3}"#)
            .expect_err("typo");
        assert!(e.to_string().contains("lookbak_days"), "{e}");
    }
}
