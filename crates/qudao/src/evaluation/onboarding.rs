//! Partner onboarding evaluation (合作伙伴评估): hard gates on qualifications and weighted
//! criteria on market resources and brand alignment, written as an [`OnboardingPolicy`]
//! document and applied to a partner's [`Onboarding`] attributes.
//!
//! A candidate passes when every gate holds and the score reaches the pass score. A gate on
//! an attribute that was not provided fails with the reason "not provided"; a criterion on
//! one scores 0 and says so. Formulas and a worked example: `docs/evaluation-scorecards.md`.
//!
//! ```
//! use qudao::evaluation::onboarding::OnboardingPolicy;
//! use qudao::model::Onboarding;
//! use rust_decimal::Decimal;
//!
//! let policy = OnboardingPolicy::sample_company();
//! let candidate = Onboarding {
//!     licence_held: true,
//!     years_in_industry: Some(2),
//!     registered_capital: Some(Decimal::from(2_000_000)),
//!     ..Onboarding::default()
//! };
//! let result = policy.evaluate(&candidate);
//! assert!(!result.passed);
//! assert_eq!(result.failed_gates[0].id, "years"); // 2 years < 3
//! ```

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::scorecard::{
    Band, check_sum, check_weight, default_weight_tolerance, max_weight_tolerance, validate_bands,
};
use crate::document::{Label, RuleDocument, SCHEMA_VERSION};
use crate::error::{Error, Result};
use crate::master::MasterData;
use crate::model::Onboarding;

/// An onboarding policy: gates every candidate must pass and weighted criteria scored 0–100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "onboarding policy",
    description = "Partner onboarding evaluation (合作伙伴评估) of the qudao library: hard gates, weighted criteria with normalisation, and a pass score."
)]
pub struct OnboardingPolicy {
    /// Document schema version; this library reads 1.
    pub schema_version: u32,
    /// Policy id.
    pub id: String,
    /// Display name.
    pub name: Label,
    /// Hard gates (资质): all must hold.
    #[serde(default)]
    pub gates: Vec<Gate>,
    /// Weighted criteria; their weights sum to 1.
    pub criteria: Vec<Criterion>,
    /// The least score (0–100) that passes, with every gate held.
    pub pass_score: Decimal,
    /// How far the criteria weights may stray from a sum of 1 (default 0.001, at most 0.05).
    #[serde(default = "default_weight_tolerance")]
    pub weight_tolerance: Decimal,
}

/// An onboarding attribute of a partner ([`Onboarding`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Attribute {
    /// Holds a business licence: 1 if so, 0 if not; never missing.
    LicenceHeld,
    /// Years in the industry.
    YearsInIndustry,
    /// Registered capital, major units.
    RegisteredCapital,
    /// Team size (people).
    TeamSize,
    /// Regional market share, a fraction in `[0, 1]`.
    RegionalMarketShare,
    /// Key accounts reached.
    CustomerResources,
    /// Mean of the brand-alignment answers (1–5); missing with no answers, invalid with an
    /// answer outside 1–5.
    BrandAlignment,
}

impl Attribute {
    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Attribute::LicenceHeld => "licence_held",
            Attribute::YearsInIndustry => "years_in_industry",
            Attribute::RegisteredCapital => "registered_capital",
            Attribute::TeamSize => "team_size",
            Attribute::RegionalMarketShare => "regional_market_share",
            Attribute::CustomerResources => "customer_resources",
            Attribute::BrandAlignment => "brand_alignment",
        }
    }

    /// The attribute's value in `o`, or why there is none (`not provided`, or an invalid
    /// brand-alignment answer).
    pub fn value(self, o: &Onboarding) -> std::result::Result<Decimal, String> {
        let provided = |v: Option<Decimal>| v.ok_or_else(|| "not provided".to_string());
        match self {
            Attribute::LicenceHeld => Ok(if o.licence_held {
                Decimal::ONE
            } else {
                Decimal::ZERO
            }),
            Attribute::YearsInIndustry => provided(o.years_in_industry.map(Decimal::from)),
            Attribute::RegisteredCapital => provided(o.registered_capital),
            Attribute::TeamSize => provided(o.team_size.map(Decimal::from)),
            Attribute::RegionalMarketShare => provided(o.regional_market_share),
            Attribute::CustomerResources => provided(o.customer_resources.map(Decimal::from)),
            Attribute::BrandAlignment => {
                if o.brand_alignment.is_empty() {
                    return Err("not provided".into());
                }
                if let Some((i, a)) = o
                    .brand_alignment
                    .iter()
                    .enumerate()
                    .find(|(_, a)| !(1..=5).contains(*a))
                {
                    return Err(format!("answer {} is {a}, outside 1–5", i + 1));
                }
                let sum: u32 = o.brand_alignment.iter().map(|&a| u32::from(a)).sum();
                Ok(Decimal::from(sum) / Decimal::from(o.brand_alignment.len()))
            }
        }
    }
}

impl std::fmt::Display for Attribute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A hard gate. On `licence_held` it takes no threshold and means "a licence is held"; on
/// any other attribute give `at_least`, `at_most` or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    /// Gate id, unique in the policy.
    pub id: String,
    /// The attribute tested.
    pub attribute: Attribute,
    /// The value must be at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<Decimal>,
    /// The value must be at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<Decimal>,
}

impl Gate {
    /// The threshold as text: `held`, `≥ 3`, `≤ 10`, `≥ 3 and ≤ 10`.
    pub fn threshold(&self) -> String {
        match (self.at_least, self.at_most) {
            (Some(a), Some(b)) => format!("≥ {a} and ≤ {b}"),
            (Some(a), None) => format!("≥ {a}"),
            (None, Some(b)) => format!("≤ {b}"),
            (None, None) => "held".into(),
        }
    }
}

/// A weighted criterion (市场资源, 品牌认同).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Criterion id, unique in the policy.
    pub id: String,
    /// The attribute scored.
    pub attribute: Attribute,
    /// Weight, in `(0, 1]`; the criteria's weights sum to 1.
    pub weight: Decimal,
    /// How the value becomes 0–100 points.
    pub normalisation: CriterionScale,
}

/// How a criterion's value becomes 0–100 points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum CriterionScale {
    /// `100 · (v − min) / (max − min)` clamped to 0–100; `min > max` scores lower values
    /// higher.
    Linear {
        /// The value scoring 0.
        min: Decimal,
        /// The value scoring 100.
        max: Decimal,
    },
    /// Points by half-open band `[from, to)`, as in scorecards; outside every band: 0.
    Bands {
        /// The bands, ascending and contiguous.
        bands: Vec<Band>,
    },
}

impl CriterionScale {
    /// Points for `v`, 0–100, and a note when `v` lies outside every band.
    pub fn points(&self, v: Decimal) -> (Decimal, Option<String>) {
        match self {
            CriterionScale::Linear { min, max } => {
                let (lo, hi) = if min < max {
                    (*min, *max)
                } else {
                    (*max, *min)
                };
                let c = v.clamp(lo, hi);
                // Checked: a policy built in code may skip validation.
                let frac = match (c.checked_sub(*min), max.checked_sub(*min)) {
                    (Some(num), Some(den)) => num.checked_div(den).unwrap_or(Decimal::ZERO).abs(),
                    _ => Decimal::ZERO,
                };
                (
                    (frac.min(Decimal::ONE) * Decimal::ONE_HUNDRED)
                        .clamp(Decimal::ZERO, Decimal::ONE_HUNDRED),
                    None,
                )
            }
            CriterionScale::Bands { bands } => match bands.iter().find(|b| b.contains(v)) {
                Some(b) => (b.points, None),
                None => (
                    Decimal::ZERO,
                    Some(format!("{v} is outside every band: 0 points")),
                ),
            },
        }
    }
}

/// How one gate came out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateOutcome {
    /// Gate id.
    pub id: String,
    /// The attribute.
    pub attribute: Attribute,
    /// Whether it held.
    pub passed: bool,
    /// The candidate's value, if provided.
    pub value: Option<Decimal>,
    /// The threshold as text (`≥ 3`, `held`).
    pub threshold: String,
    /// Why it failed (`not provided`, `2 < 3`); `None` when it held.
    pub reason: Option<String>,
}

/// How one criterion came out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionOutcome {
    /// Criterion id.
    pub id: String,
    /// The attribute.
    pub attribute: Attribute,
    /// The candidate's value, if provided.
    pub value: Option<Decimal>,
    /// Points, 0–100.
    pub points: f64,
    /// The weight.
    pub weight: f64,
    /// `weight × points`: points of the score.
    pub contribution: f64,
    /// Why it scored 0 without a value, or that the value lies outside every band.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The evaluation of one candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnboardingResult {
    /// The partner id, for a partner of the master data; `None` for a bare candidate.
    pub partner: Option<String>,
    /// Every gate held and the score reached the pass score.
    pub passed: bool,
    /// The gates that failed, in policy order.
    pub failed_gates: Vec<GateOutcome>,
    /// Every gate, in policy order.
    pub gates: Vec<GateOutcome>,
    /// Score, 0–100.
    pub score: f64,
    /// The pass score of the policy.
    pub pass_score: f64,
    /// Every criterion, largest contribution first (ties by policy order).
    pub criteria: Vec<CriterionOutcome>,
}

impl OnboardingPolicy {
    /// The sample company's policy (`crates/qudao/evaluation/sample-onboarding.toml`): a
    /// licence, 3 years in the industry and ¥1,000,000 of registered capital as gates;
    /// regional market share, customer resources, team size and brand alignment weighted; 60
    /// to pass.
    ///
    /// ```
    /// let policy = qudao::evaluation::onboarding::OnboardingPolicy::sample_company();
    /// assert_eq!(policy.gates.len(), 3);
    /// ```
    pub fn sample_company() -> OnboardingPolicy {
        const TEXT: &str = include_str!("../../evaluation/sample-onboarding.toml");
        // The file is checked by a test; an empty policy here would fail that test.
        OnboardingPolicy::from_toml(TEXT).unwrap_or_else(|_| OnboardingPolicy {
            schema_version: SCHEMA_VERSION,
            id: String::new(),
            name: Label::default(),
            gates: Vec::new(),
            criteria: Vec::new(),
            pass_score: Decimal::ONE_HUNDRED,
            weight_tolerance: default_weight_tolerance(),
        })
    }

    /// Evaluate a candidate (a partner not yet in the master data, or any attributes).
    pub fn evaluate(&self, candidate: &Onboarding) -> OnboardingResult {
        let gates: Vec<GateOutcome> = self
            .gates
            .iter()
            .map(|g| gate_outcome(g, candidate))
            .collect();
        let mut score = Decimal::ZERO;
        let mut criteria: Vec<(usize, CriterionOutcome)> = self
            .criteria
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (value, points, note) = match c.attribute.value(candidate) {
                    Ok(v) => {
                        let (p, note) = c.normalisation.points(v);
                        (Some(v), p, note)
                    }
                    Err(why) => (None, Decimal::ZERO, Some(format!("{why}: scores 0"))),
                };
                let contribution = c.weight.checked_mul(points).unwrap_or(Decimal::ZERO);
                score = score.checked_add(contribution).unwrap_or(score);
                (
                    i,
                    CriterionOutcome {
                        id: c.id.clone(),
                        attribute: c.attribute,
                        value,
                        points: to_f64(points),
                        weight: to_f64(c.weight),
                        contribution: to_f64(contribution),
                        note,
                    },
                )
            })
            .collect();
        criteria.sort_by(|(ia, a), (ib, b)| {
            b.contribution
                .total_cmp(&a.contribution)
                .then_with(|| ia.cmp(ib))
        });
        let score = score.clamp(Decimal::ZERO, Decimal::ONE_HUNDRED);
        let failed_gates: Vec<GateOutcome> = gates.iter().filter(|g| !g.passed).cloned().collect();
        OnboardingResult {
            partner: None,
            passed: failed_gates.is_empty() && score >= self.pass_score,
            failed_gates,
            gates,
            score: to_f64(score),
            pass_score: to_f64(self.pass_score),
            criteria: criteria.into_iter().map(|(_, c)| c).collect(),
        }
    }

    /// Evaluate every partner of the master data on its recorded attributes, by partner id.
    pub fn evaluate_partners(&self, master: &MasterData) -> Vec<OnboardingResult> {
        let mut out: Vec<OnboardingResult> = master
            .partners
            .records()
            .iter()
            .map(|p| {
                let mut r = self.evaluate(&p.onboarding);
                r.partner = Some(p.id.clone());
                r
            })
            .collect();
        out.sort_by(|a, b| a.partner.cmp(&b.partner));
        out
    }
}

fn to_f64(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

fn gate_outcome(g: &Gate, o: &Onboarding) -> GateOutcome {
    let threshold = g.threshold();
    let (value, reason) = match g.attribute.value(o) {
        Err(why) => (None, Some(why)),
        Ok(v) => {
            let reason = if g.attribute == Attribute::LicenceHeld
                && g.at_least.is_none()
                && g.at_most.is_none()
            {
                (v < Decimal::ONE).then(|| "no licence held".to_string())
            } else if let Some(a) = g.at_least.filter(|a| v < *a) {
                Some(format!("{v} < {a}"))
            } else {
                g.at_most.filter(|b| v > *b).map(|b| format!("{v} > {b}"))
            };
            (Some(v), reason)
        }
    };
    GateOutcome {
        id: g.id.clone(),
        attribute: g.attribute,
        passed: reason.is_none(),
        value,
        threshold,
        reason,
    }
}

impl RuleDocument for OnboardingPolicy {
    const KIND: &'static str = "onboarding policy";

    fn schema_version(&self) -> u32 {
        self.schema_version
    }

    fn validate(&self) -> Result<()> {
        self.check_version()?;
        if self.id.trim().is_empty() {
            return Err(Error::document("id", "empty id"));
        }
        self.name.validate("name")?;
        let tol = self.weight_tolerance;
        if tol < Decimal::ZERO || tol > max_weight_tolerance() {
            return Err(Error::document(
                "weight_tolerance",
                format!("{tol} is outside [0, {}]", max_weight_tolerance()),
            ));
        }
        if self.pass_score < Decimal::ZERO || self.pass_score > Decimal::ONE_HUNDRED {
            return Err(Error::document(
                "pass_score",
                format!("{} is outside 0–100", self.pass_score),
            ));
        }
        let mut ids = std::collections::BTreeMap::new();
        for (i, g) in self.gates.iter().enumerate() {
            let p = format!("gates[{i}]");
            if g.id.trim().is_empty() {
                return Err(Error::document(format!("{p}.id"), "empty id"));
            }
            if let Some(prev) = ids.insert(g.id.as_str(), p.clone()) {
                return Err(Error::document(
                    format!("{p}.id"),
                    format!("id {:?} is already used by {prev}", g.id),
                ));
            }
            let none = g.at_least.is_none() && g.at_most.is_none();
            if g.attribute == Attribute::LicenceHeld && !none {
                return Err(Error::document(
                    format!("{p}.at_least"),
                    "a licence_held gate takes no threshold: it means a licence is held",
                ));
            }
            if g.attribute != Attribute::LicenceHeld && none {
                return Err(Error::document(
                    p,
                    format!("give at_least, at_most or both for {}", g.attribute),
                ));
            }
            if let (Some(a), Some(b)) = (g.at_least, g.at_most)
                && a > b
            {
                return Err(Error::document(
                    format!("{p}.at_most"),
                    format!("{b} is below at_least {a}: no value could pass"),
                ));
            }
        }
        if self.criteria.is_empty() {
            return Err(Error::document("criteria", "give at least one criterion"));
        }
        for (i, c) in self.criteria.iter().enumerate() {
            let p = format!("criteria[{i}]");
            if c.id.trim().is_empty() {
                return Err(Error::document(format!("{p}.id"), "empty id"));
            }
            if let Some(prev) = ids.insert(c.id.as_str(), p.clone()) {
                return Err(Error::document(
                    format!("{p}.id"),
                    format!("id {:?} is already used by {prev}", c.id),
                ));
            }
            check_weight(&format!("{p}.weight"), c.weight)?;
            match &c.normalisation {
                CriterionScale::Linear { min, max } => {
                    if min == max {
                        return Err(Error::document(
                            format!("{p}.normalisation.max"),
                            format!("min and max are both {min}"),
                        ));
                    }
                    if max.checked_sub(*min).is_none() {
                        return Err(Error::document(
                            format!("{p}.normalisation.max"),
                            "max − min is out of range",
                        ));
                    }
                }
                CriterionScale::Bands { bands } => {
                    validate_bands(&format!("{p}.normalisation.bands"), bands)?;
                }
            }
        }
        check_sum(
            "criteria",
            "criteria weights",
            self.criteria.iter().map(|c| c.weight),
            tol,
        )
    }
}
