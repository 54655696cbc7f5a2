//! Grade changes (等级调整): rules as data that turn scorecard results and KPI values over N
//! consecutive periods into promotion, demotion and review suggestions for partners, each
//! with its evidence.
//!
//! A rule looks at the last `periods` consecutive periods of its period length (month,
//! quarter, half year, year) ending at the evaluation period — the latest such period of the
//! inputs, or the one given — and holds for a partner when every condition holds in every one
//! of them. Filters on the partner's cooperation model and current grade come from the master
//! data. Formulas and a worked example: `docs/evaluation-scorecards.md`.
//!
//! ```
//! use qudao::evaluation::grade::GradeRules;
//! let rules = GradeRules::sample_company();
//! assert!(rules.rules.iter().any(|r| r.id == "ga-eligible"));
//! ```

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::scorecard::ScorecardRun;
use super::{Kpi, KpiTable, KpiValue, Subject, SubjectKind};
use crate::date::Period;
use crate::document::{Label, RuleDocument, SCHEMA_VERSION};
use crate::error::{Error, Result};
use crate::master::MasterData;
use crate::model::CooperationModel;

/// Most consecutive periods a rule may look back over.
pub const MAX_PERIODS: u32 = 120;

/// A set of grade rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "grade rules",
    description = "Grade-change rules of the qudao library: conditions on scorecard results and KPIs over consecutive periods, filtered by cooperation model and current grade, suggesting promotion, demotion or review."
)]
pub struct GradeRules {
    /// Document schema version; this library reads 1.
    pub schema_version: u32,
    /// Rule set id.
    pub id: String,
    /// Display name.
    pub name: Label,
    /// The scorecard id whose results the `score` and `rank` conditions read; when given, a
    /// run of another scorecard is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scorecard: Option<String>,
    /// The rules, in the order their suggestions are listed per partner.
    pub rules: Vec<GradeRule>,
}

/// The length of the periods a rule counts.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PeriodLength {
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
    /// Calendar half years.
    HalfYear,
    /// Calendar years.
    Year,
}

impl PeriodLength {
    /// The length of a period, if it is a calendar month, quarter, half year or year.
    pub fn of(period: Period) -> Option<PeriodLength> {
        let (y, m, d) = period.start.ymd();
        let (ey, em, ed) = period.end.ymd();
        if d != 1 || ed != 1 {
            return None;
        }
        match ((ey - y) * 12 + em as i32 - m as i32, m) {
            (1, _) => Some(PeriodLength::Month),
            (3, 1 | 4 | 7 | 10) => Some(PeriodLength::Quarter),
            (6, 1 | 7) => Some(PeriodLength::HalfYear),
            (12, 1) => Some(PeriodLength::Year),
            _ => None,
        }
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GradeRule {
    /// Rule id, unique in the set.
    pub id: String,
    /// Display label.
    pub label: Label,
    /// Only partners of these cooperation models; empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<CooperationModel>,
    /// Only partners whose current grade is one of these; empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grades: Vec<String>,
    /// The length of the periods counted.
    pub period: PeriodLength,
    /// How many consecutive periods, ending at the evaluation period, must satisfy every
    /// condition (1 to 120).
    pub periods: u32,
    /// The conditions; all must hold in each of the periods.
    pub conditions: Vec<Condition>,
    /// What to suggest.
    pub outcome: Outcome,
}

/// A condition on one measure in one period. Give at least one bound; all given must hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// What is tested.
    pub of: Measure,
    /// Value ≥ this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<Decimal>,
    /// Value > this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<Decimal>,
    /// Value ≤ this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<Decimal>,
    /// Value < this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<Decimal>,
}

impl Condition {
    /// Whether `v` satisfies every bound.
    pub fn holds(&self, v: Decimal) -> bool {
        self.at_least.is_none_or(|b| v >= b)
            && self.above.is_none_or(|b| v > b)
            && self.at_most.is_none_or(|b| v <= b)
            && self.below.is_none_or(|b| v < b)
    }

    /// The bounds as text: `score ≥ 85`, `revenue ≥ 50000 and < 90000`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(b) = self.at_least {
            parts.push(format!("≥ {b}"));
        }
        if let Some(b) = self.above {
            parts.push(format!("> {b}"));
        }
        if let Some(b) = self.at_most {
            parts.push(format!("≤ {b}"));
        }
        if let Some(b) = self.below {
            parts.push(format!("< {b}"));
        }
        format!("{} {}", self.of, parts.join(" and "))
    }
}

/// What a condition reads: the scorecard score, the rank, or a KPI value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// The scorecard score (0–100) in the period.
    Score,
    /// The scorecard rank in the period (1 = best).
    Rank,
    /// A KPI value from the KPI table: `{ kpi = "revenue" }`.
    Kpi(Kpi),
}

impl std::fmt::Display for Measure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Measure::Score => f.write_str("score"),
            Measure::Rank => f.write_str("rank"),
            Measure::Kpi(k) => write!(f, "{k}"),
        }
    }
}

/// What a rule suggests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// Promote to a grade (a partner already there gets no suggestion).
    Promote {
        /// The grade, as the master data writes grades (`A`, `general_agent`).
        to: String,
    },
    /// Demote to a grade (a partner already there gets no suggestion).
    Demote {
        /// The grade.
        to: String,
    },
    /// Put the partner up for review (考核).
    Review,
}

/// The kind of a suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    /// Promotion.
    Promote,
    /// Demotion.
    Demote,
    /// Review.
    Review,
}

/// The value a condition read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// The condition, as text (`score ≥ 85`).
    pub condition: String,
    /// What was read.
    pub measure: Measure,
    /// The value (a score is a decimal rounded to 6 places; a rank an integer).
    pub value: Decimal,
}

/// The evidence of one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodEvidence {
    /// The period.
    pub period: Period,
    /// One observation per condition, in rule order.
    pub values: Vec<Observation>,
}

/// A suggestion for one partner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The partner id.
    pub partner: String,
    /// The rule id.
    pub rule: String,
    /// The rule's label.
    pub label: Label,
    /// Promotion, demotion or review.
    pub kind: SuggestionKind,
    /// The current grade.
    pub from: String,
    /// The suggested grade (none for a review).
    pub to: Option<String>,
    /// The periods that satisfied the rule, oldest first, with the values read.
    pub evidence: Vec<PeriodEvidence>,
}

/// The suggestions of a rule set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradeReport {
    /// The evaluation period per period length used by the rules, ascending.
    pub as_of: Vec<Period>,
    /// Suggestions by partner id, then rule order.
    pub suggestions: Vec<Suggestion>,
    /// Partners in the inputs but not in the master data (not evaluated), by id.
    pub not_in_master: Vec<String>,
}

/// The inputs of [`GradeRules::suggest`].
#[derive(Debug, Clone, Copy)]
pub struct GradeInputs<'a> {
    /// Partners with their cooperation model and current grade.
    pub master: &'a MasterData,
    /// KPI values per partner and period.
    pub kpis: &'a KpiTable,
    /// Partner scorecard results; needed by `score` and `rank` conditions.
    pub scores: Option<&'a ScorecardRun>,
    /// The evaluation period: a rule's window ends at the latest period of its length that
    /// ends on or before this one's end. Default: the latest period of that length in the
    /// inputs.
    pub as_of: Option<Period>,
}

impl GradeRules {
    /// The sample company's grade rules (`crates/qudao/evaluation/sample-grade-rules.toml`).
    pub fn sample_company() -> GradeRules {
        const TEXT: &str = include_str!("../../evaluation/sample-grade-rules.toml");
        // The file is checked by a test; an empty set here would fail that test.
        GradeRules::from_toml(TEXT).unwrap_or_else(|_| GradeRules {
            schema_version: SCHEMA_VERSION,
            id: String::new(),
            name: Label::default(),
            scorecard: None,
            rules: Vec::new(),
        })
    }

    /// Apply the rules to every partner of the master data that appears in the inputs.
    pub fn suggest(&self, inputs: &GradeInputs<'_>) -> Result<GradeReport> {
        self.validate()?;
        let uses_scores = self.rules.iter().any(|r| {
            r.conditions
                .iter()
                .any(|c| matches!(c.of, Measure::Score | Measure::Rank))
        });
        if let Some(run) = inputs.scores {
            if run.subject != SubjectKind::Partner {
                return Err(Error::invalid_argument(
                    "scores",
                    format!("the run scores {:?}, not partners", run.subject),
                ));
            }
            if let Some(want) = &self.scorecard
                && &run.scorecard != want
            {
                return Err(Error::invalid_argument(
                    "scores",
                    format!(
                        "the rules read scorecard {want:?}, the run is of {:?}",
                        run.scorecard
                    ),
                ));
            }
        } else if uses_scores {
            return Err(Error::invalid_argument(
                "scores",
                "the rules have score or rank conditions; give the scorecard run",
            ));
        }
        // Every period known to the inputs.
        let mut all: Vec<Period> = inputs.kpis.periods.clone();
        if let Some(run) = inputs.scores {
            all.extend(run.periods.iter().map(|p| p.period));
        }
        all.sort_unstable();
        all.dedup();
        // Partners in the inputs.
        let mut ids: Vec<&str> = inputs
            .kpis
            .subjects(SubjectKind::Partner)
            .map(|s| s.id.as_str())
            .collect();
        if let Some(run) = inputs.scores {
            for p in &run.periods {
                ids.extend(p.scores.iter().map(|s| s.id.as_str()));
            }
        }
        ids.sort_unstable();
        ids.dedup();

        // The window of each rule: `periods` consecutive periods of its length.
        let mut as_of = Vec::new();
        let windows: Vec<Option<Vec<Period>>> = self
            .rules
            .iter()
            .map(|r| {
                let w = window(&all, r.period, r.periods, inputs.as_of);
                if let Some(last) = w.as_ref().and_then(|w| w.last()) {
                    as_of.push(*last);
                }
                w
            })
            .collect();
        as_of.sort_unstable();
        as_of.dedup();

        let mut suggestions = Vec::new();
        let mut not_in_master = Vec::new();
        for id in ids {
            let Some(partner) = inputs
                .master
                .partners
                .code(id)
                .and_then(|c| inputs.master.partners.get(c))
            else {
                not_in_master.push(id.to_string());
                continue;
            };
            let subject = Subject {
                kind: SubjectKind::Partner,
                id: id.to_string(),
            };
            for (rule, win) in self.rules.iter().zip(&windows) {
                let Some(win) = win else { continue };
                if !rule.models.is_empty() && !rule.models.contains(&partner.model) {
                    continue;
                }
                if !rule.grades.is_empty() && !rule.grades.contains(&partner.grade) {
                    continue;
                }
                let (kind, to) = match &rule.outcome {
                    Outcome::Promote { to } => (SuggestionKind::Promote, Some(to.clone())),
                    Outcome::Demote { to } => (SuggestionKind::Demote, Some(to.clone())),
                    Outcome::Review => (SuggestionKind::Review, None),
                };
                if to.as_deref() == Some(partner.grade.as_str()) {
                    continue;
                }
                let mut evidence = Vec::with_capacity(win.len());
                let holds = win.iter().all(|&period| {
                    let mut values = Vec::with_capacity(rule.conditions.len());
                    for c in &rule.conditions {
                        let Some(v) = read(c.of, &subject, period, inputs) else {
                            return false;
                        };
                        if !c.holds(v) {
                            return false;
                        }
                        values.push(Observation {
                            condition: c.describe(),
                            measure: c.of,
                            value: v,
                        });
                    }
                    evidence.push(PeriodEvidence { period, values });
                    true
                });
                if holds {
                    suggestions.push(Suggestion {
                        partner: id.to_string(),
                        rule: rule.id.clone(),
                        label: rule.label.clone(),
                        kind,
                        from: partner.grade.clone(),
                        to,
                        evidence,
                    });
                }
            }
        }
        Ok(GradeReport {
            as_of,
            suggestions,
            not_in_master,
        })
    }
}

/// The last `n` periods of `length` ending at the evaluation period, if they are consecutive.
fn window(
    all: &[Period],
    length: PeriodLength,
    n: u32,
    as_of: Option<Period>,
) -> Option<Vec<Period>> {
    let of_len: Vec<Period> = all
        .iter()
        .copied()
        .filter(|p| PeriodLength::of(*p) == Some(length))
        .filter(|p| as_of.is_none_or(|a| p.end <= a.end))
        .collect();
    let n = n as usize;
    if n == 0 || of_len.len() < n {
        return None;
    }
    let w = of_len[of_len.len() - n..].to_vec();
    w.windows(2)
        .all(|pair| pair[0].end == pair[1].start)
        .then_some(w)
}

/// The value of a measure for a partner in a period; `None` when there is none.
fn read(
    m: Measure,
    subject: &Subject,
    period: Period,
    inputs: &GradeInputs<'_>,
) -> Option<Decimal> {
    match m {
        Measure::Kpi(k) => match inputs.kpis.get(subject, period, k)? {
            KpiValue::Value(v) => Some(*v),
            KpiValue::Missing(_) => None,
        },
        Measure::Score => {
            let s = inputs.scores?.score(&subject.id, period)?;
            Decimal::from_f64(s.score).map(|d| d.round_dp(6))
        }
        Measure::Rank => {
            let s = inputs.scores?.score(&subject.id, period)?;
            Decimal::from_usize(s.rank)
        }
    }
}

impl RuleDocument for GradeRules {
    const KIND: &'static str = "grade rules";

    fn schema_version(&self) -> u32 {
        self.schema_version
    }

    fn validate(&self) -> Result<()> {
        self.check_version()?;
        if self.id.trim().is_empty() {
            return Err(Error::document("id", "empty id"));
        }
        self.name.validate("name")?;
        if self.rules.is_empty() {
            return Err(Error::document("rules", "give at least one rule"));
        }
        let mut ids = std::collections::BTreeMap::new();
        for (i, r) in self.rules.iter().enumerate() {
            let p = format!("rules[{i}]");
            if r.id.trim().is_empty() {
                return Err(Error::document(format!("{p}.id"), "empty id"));
            }
            if let Some(prev) = ids.insert(r.id.as_str(), i) {
                return Err(Error::document(
                    format!("{p}.id"),
                    format!("id {:?} is already rules[{prev}]", r.id),
                ));
            }
            r.label.validate(&format!("{p}.label"))?;
            if r.periods == 0 || r.periods > MAX_PERIODS {
                return Err(Error::document(
                    format!("{p}.periods"),
                    format!("{} is outside 1–{MAX_PERIODS}", r.periods),
                ));
            }
            if r.conditions.is_empty() {
                return Err(Error::document(
                    format!("{p}.conditions"),
                    "give at least one condition",
                ));
            }
            for (j, c) in r.conditions.iter().enumerate() {
                let cp = format!("{p}.conditions[{j}]");
                let bounds = [c.at_least, c.above, c.at_most, c.below];
                if bounds.iter().all(Option::is_none) {
                    return Err(Error::document(
                        cp,
                        "give at least one of at_least, above, at_most, below",
                    ));
                }
                if empty_range(c) {
                    return Err(Error::document(
                        cp,
                        format!("no value satisfies {}", c.describe()),
                    ));
                }
            }
            if let Outcome::Promote { to } | Outcome::Demote { to } = &r.outcome
                && to.trim().is_empty()
            {
                return Err(Error::document(format!("{p}.outcome.to"), "empty grade"));
            }
            for (j, g) in r.grades.iter().enumerate() {
                if g.trim().is_empty() {
                    return Err(Error::document(format!("{p}.grades[{j}]"), "empty grade"));
                }
            }
        }
        Ok(())
    }
}

/// Whether no value can satisfy the bounds of a condition.
fn empty_range(c: &Condition) -> bool {
    // The tightest lower and upper bounds, each with whether it is strict.
    let lower = [(c.at_least, false), (c.above, true)]
        .into_iter()
        .filter_map(|(b, strict)| b.map(|b| (b, strict)))
        .max_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let upper = [(c.at_most, false), (c.below, true)]
        .into_iter()
        .filter_map(|(b, strict)| b.map(|b| (b, strict)))
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    match (lower, upper) {
        (Some((lo, ls)), Some((hi, hs))) => lo > hi || (lo == hi && (ls || hs)),
        _ => false,
    }
}

impl Observation {
    /// The value as f64 (for plots and tables).
    pub fn value_f64(&self) -> f64 {
        self.value.to_f64().unwrap_or(0.0)
    }
}
