//! Weighted scorecards as data (指标体系): indicator groups with weights, per indicator a KPI,
//! a direction, a normalisation to 0–100 and a weight, and an explicit policy for missing
//! values. [`Scorecard::evaluate`] turns a [`KpiTable`] into a 0–100 score and a rank per
//! subject per period, each explained indicator by indicator.
//!
//! Normalisations (the full formulas and a worked example are in
//! `docs/evaluation-scorecards.md`), with `v` the value in the indicator's good direction:
//!
//! * `min_max` — across the peers of the period: `100 · (v − min) / (max − min)`, reversed for
//!   lower-is-better; all peers equal → 50.
//! * `z_score` — `z = (v − mean) / sd` over the peers (population sd), negated for
//!   lower-is-better, mapped to `100 · Φ(z)` (the standard normal CDF: z = 0 → 50, z = 1 →
//!   84.1, z = −2 → 2.3); sd = 0 → 50.
//! * `ratio_to_target` — `ratio = v / target` (or `target / v` for lower-is-better), clamped
//!   to `[0, cap]`, scaled `100 · ratio / cap`: the cap is the ratio that earns full marks.
//! * `bands` — half-open bands `[from, to)` with points 0–100; a value outside every band
//!   scores 0 and says so.
//!
//! ```
//! use qudao::date::Period;
//! use qudao::evaluation::{Kpi, KpiTable, KpiValue, Subject, SubjectKind};
//! use qudao::evaluation::scorecard::Scorecard;
//! use rust_decimal::Decimal;
//!
//! let card = Scorecard::sample_company();
//! let mut table = KpiTable::default();
//! let q1 = Period::parse("2025-Q1")?;
//! for (id, revenue) in [("P1", 100), ("P2", 300)] {
//!     let s = Subject { kind: SubjectKind::Partner, id: id.into() };
//!     table.set(s, q1, Kpi::Revenue, KpiValue::Value(Decimal::from(revenue)));
//! }
//! // Every other KPI is absent: the sample card excludes and re-weights.
//! let run = card.evaluate(&table)?;
//! let p = &run.periods[0];
//! assert_eq!(p.scores[0].id, "P2");
//! assert_eq!(p.scores[0].rank, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Direction, Kpi, KpiTable, KpiValue, Missing, Subject, SubjectKind};
use crate::date::Period;
use crate::document::{Label, RuleDocument, SCHEMA_VERSION};
use crate::error::{Error, Result};

/// How many strengths and weaknesses each score lists in its top reasons.
pub const TOP_REASONS: usize = 3;

/// The weight tolerance when a document does not state one: weights must sum to 1 ± 0.001.
pub fn default_weight_tolerance() -> Decimal {
    Decimal::new(1, 3)
}

/// The largest weight tolerance a document may state (0.05).
pub fn max_weight_tolerance() -> Decimal {
    Decimal::new(5, 2)
}

/// A scorecard (绩效评估指标体系): weighted groups of weighted indicators over KPIs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "scorecard",
    description = "A weighted scorecard of the qudao library: indicator groups with weights, per indicator a KPI, direction, normalisation to 0–100, weight and missing-data policy."
)]
pub struct Scorecard {
    /// Document schema version; this library reads 1.
    pub schema_version: u32,
    /// Scorecard id.
    pub id: String,
    /// Display name.
    pub name: Label,
    /// What is scored: channels, partners, territories or products.
    pub subject: SubjectKind,
    /// How far the group weights, and the indicator weights of each group, may stray from a
    /// sum of 1 (default 0.001, at most 0.05).
    #[serde(default = "default_weight_tolerance")]
    pub weight_tolerance: Decimal,
    /// What to do when an indicator's KPI has no value; an indicator may override it.
    pub missing: MissingPolicy,
    /// The indicator groups; each kind at most once.
    pub groups: Vec<IndicatorGroup>,
}

/// The kind of an indicator group.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    /// Financial (财务): revenue, growth, margin, cost.
    Financial,
    /// Market (市场): share, coverage, contribution.
    Market,
    /// Customer (客户): satisfaction, complaints, retention.
    Customer,
    /// Operational (运营): delivery, inventory, cycle time.
    Operational,
    /// Anything else.
    Other,
}

/// A group of indicators with its weight in the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorGroup {
    /// The group.
    pub group: GroupKind,
    /// Weight of the group, in `(0, 1]`; the groups' weights sum to 1.
    pub weight: Decimal,
    /// The indicators; at least one.
    pub indicators: Vec<Indicator>,
}

/// One indicator: a KPI, normalised to 0–100, with its weight within the group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// The KPI, by name (`revenue`, `complaint_rate`, …); each KPI at most once per card.
    pub kpi: Kpi,
    /// Whether higher or lower is better; default: the KPI's own direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// How the raw value becomes 0–100.
    pub normalisation: Normalisation,
    /// Weight within the group, in `(0, 1]`; a group's indicator weights sum to 1.
    pub weight: Decimal,
    /// Missing-data policy for this indicator; default: the scorecard's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<MissingPolicy>,
}

impl Indicator {
    /// The direction in force: the document's, else the KPI's.
    pub fn direction(&self) -> Direction {
        self.direction.unwrap_or_else(|| self.kpi.direction())
    }
}

/// How a raw KPI value becomes a 0–100 normalised value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Normalisation {
    /// `100 · (v − min) / (max − min)` across the peers of the period (reversed for
    /// lower-is-better); 50 when all peers are equal.
    MinMax,
    /// `100 · Φ(z)` with `z = (v − mean) / sd` across the peers (population sd; `−z` for
    /// lower-is-better); 50 when sd is 0.
    ZScore,
    /// `100 · min(max(ratio, 0), cap) / cap` with `ratio = v / target` (`target / v` for
    /// lower-is-better, full marks at `v ≤ 0`).
    RatioToTarget {
        /// The target value, in the KPI's unit; greater than 0.
        target: Decimal,
        /// The ratio earning full marks (e.g. 1.2); greater than 0.
        cap: Decimal,
    },
    /// Points by half-open band `[from, to)`; the direction is in the points themselves.
    Bands {
        /// The bands, ascending, contiguous: each `to` is the next `from`.
        bands: Vec<Band>,
    },
}

/// A half-open band `[from, to)` of values and the points it earns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// Lower bound, included; absent means no lower bound (first band only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Decimal>,
    /// Upper bound, excluded; absent means no upper bound (last band only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Decimal>,
    /// Points earned, 0–100.
    pub points: Decimal,
}

impl Band {
    /// Whether the band holds `v`.
    pub fn contains(&self, v: Decimal) -> bool {
        self.from.is_none_or(|f| v >= f) && self.to.is_none_or(|t| v < t)
    }
}

/// Check a band table at `path` (`…bands`): non-empty, points in 0–100, `from < to`, no gap
/// and no overlap, open ends only at the ends.
pub fn validate_bands(path: &str, bands: &[Band]) -> Result<()> {
    if bands.is_empty() {
        return Err(Error::document(path, "give at least one band"));
    }
    for (i, b) in bands.iter().enumerate() {
        let at = format!("{path}[{i}]");
        if b.points < Decimal::ZERO || b.points > Decimal::ONE_HUNDRED {
            return Err(Error::document(
                format!("{at}.points"),
                format!("{} is outside 0–100", b.points),
            ));
        }
        if let (Some(f), Some(t)) = (b.from, b.to)
            && f >= t
        {
            return Err(Error::document(
                format!("{at}.to"),
                format!("band [{f}, {t}) is empty: `to` must be above `from`"),
            ));
        }
        if i > 0 && b.from.is_none() {
            return Err(Error::document(
                format!("{at}.from"),
                "only the first band may omit `from`",
            ));
        }
        if i + 1 < bands.len() && b.to.is_none() {
            return Err(Error::document(
                format!("{at}.to"),
                "only the last band may omit `to`",
            ));
        }
        if i > 0
            && let (Some(prev_to), Some(from)) = (bands[i - 1].to, b.from)
        {
            if prev_to < from {
                return Err(Error::document(
                    format!("{at}.from"),
                    format!(
                        "gap: {path}[{}].to is {prev_to} but this band starts at {from}; values in [{prev_to}, {from}) would score nothing",
                        i - 1
                    ),
                ));
            }
            if prev_to > from {
                return Err(Error::document(
                    format!("{at}.from"),
                    format!(
                        "overlap: {path}[{}] runs to {prev_to} but this band starts at {from}; bands must be ascending and must not overlap",
                        i - 1
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// What to do when an indicator's KPI has no value for a subject and period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MissingPolicy {
    /// The evaluation fails, naming subject, period and KPI.
    Error,
    /// The indicator is left out and the weights of what remains are scaled to sum to 1
    /// (first within the group; a group left empty gives its weight to the other groups).
    ExcludeAndReweight,
    /// The median of the peers' values in the period stands in for the value; with no peer
    /// value the indicator is excluded and re-weighted instead.
    PeerMedian,
}

/// What happened to an indicator of one subject in one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum MissingAction {
    /// The value was there; nothing was done.
    None,
    /// Missing; left out and the other weights scaled up.
    Excluded,
    /// Missing; the peers' median stood in.
    PeerMedian {
        /// The median used.
        median: Decimal,
        /// How many peer values it was taken over.
        peers: usize,
    },
    /// Missing under the peer-median policy, but no peer had a value: left out instead.
    ExcludedNoPeers,
}

/// One indicator's part in a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorScore {
    /// The KPI.
    pub kpi: Kpi,
    /// Its group.
    pub group: GroupKind,
    /// The direction in force.
    pub direction: Direction,
    /// The value in the KPI table, if any.
    pub raw: Option<Decimal>,
    /// Why there is no raw value (`not computed` when the table has no entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<Missing>,
    /// The value normalised: raw, or the stand-in; `None` when excluded.
    pub used: Option<Decimal>,
    /// The normalised value, 0–100; `None` when excluded.
    pub normalised: Option<f64>,
    /// The weight the document gives (group weight × indicator weight).
    pub weight: f64,
    /// The weight after re-weighting; the effective weights of a score sum to 1.
    pub effective_weight: f64,
    /// `effective_weight × normalised`: points of the score from this indicator.
    pub contribution: f64,
    /// What the missing-data policy did.
    pub action: MissingAction,
    /// Anything else worth saying (a value outside every band).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An indicator that helped or hurt a score most, against the peers' average.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The KPI.
    pub kpi: Kpi,
    /// The subject's contribution (points).
    pub contribution: f64,
    /// The mean contribution of this indicator over the scored peers of the period.
    pub peer_average: f64,
    /// `contribution − peer_average`.
    pub delta: f64,
}

/// The score of one subject in one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubjectScore {
    /// The subject's id.
    pub id: String,
    /// Score, 0–100: the sum of the contributions.
    pub score: f64,
    /// Rank in the period, 1 = best; equal scores are ordered by id.
    pub rank: usize,
    /// Every indicator, in document order.
    pub indicators: Vec<IndicatorScore>,
    /// Up to [`TOP_REASONS`] indicators above the peer average, largest gain first.
    pub strengths: Vec<Reason>,
    /// Up to [`TOP_REASONS`] indicators below the peer average, largest loss first.
    pub weaknesses: Vec<Reason>,
}

/// A subject that could not be scored in a period: every indicator was excluded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unscored {
    /// The subject's id.
    pub id: String,
    /// Every indicator with its missing reason and action.
    pub indicators: Vec<IndicatorScore>,
}

/// The scores of one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodScores {
    /// The period.
    pub period: Period,
    /// Scored subjects, by rank.
    pub scores: Vec<SubjectScore>,
    /// Subjects with no indicator left, by id.
    pub unscored: Vec<Unscored>,
}

impl PeriodScores {
    /// The score of a subject.
    pub fn get(&self, id: &str) -> Option<&SubjectScore> {
        self.scores.iter().find(|s| s.id == id)
    }
}

/// A scorecard evaluated over a KPI table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorecardRun {
    /// The scorecard id.
    pub scorecard: String,
    /// The kind of subject scored.
    pub subject: SubjectKind,
    /// Per period, ascending.
    pub periods: Vec<PeriodScores>,
}

impl ScorecardRun {
    /// The scores of a period.
    pub fn period(&self, period: Period) -> Option<&PeriodScores> {
        self.periods.iter().find(|p| p.period == period)
    }

    /// The score of a subject in a period.
    pub fn score(&self, id: &str, period: Period) -> Option<&SubjectScore> {
        self.period(period)?.get(id)
    }
}

impl Scorecard {
    /// The sample company's partner scorecard (`crates/qudao/evaluation/sample-scorecard.toml`):
    /// financial 40 %, market 20 %, customer 20 %, operational 20 %.
    ///
    /// ```
    /// let card = qudao::evaluation::scorecard::Scorecard::sample_company();
    /// assert_eq!(card.groups.len(), 4);
    /// ```
    pub fn sample_company() -> Scorecard {
        const TEXT: &str = include_str!("../../evaluation/sample-scorecard.toml");
        // The file is checked by a test; an empty card here would fail that test.
        Scorecard::from_toml(TEXT).unwrap_or_else(|_| Scorecard {
            schema_version: SCHEMA_VERSION,
            id: String::new(),
            name: Label::default(),
            subject: SubjectKind::Partner,
            weight_tolerance: default_weight_tolerance(),
            missing: MissingPolicy::Error,
            groups: Vec::new(),
        })
    }

    /// The KPIs the card reads, in document order.
    pub fn kpis(&self) -> Vec<Kpi> {
        self.indicators().map(|(_, _, _, ind)| ind.kpi).collect()
    }

    fn indicators(&self) -> impl Iterator<Item = (usize, usize, &IndicatorGroup, &Indicator)> {
        self.groups.iter().enumerate().flat_map(|(gi, g)| {
            g.indicators
                .iter()
                .enumerate()
                .map(move |(ii, ind)| (gi, ii, g, ind))
        })
    }

    /// Score every subject of the card's kind in every period of the table in which the
    /// subject has any entry.
    pub fn evaluate(&self, table: &KpiTable) -> Result<ScorecardRun> {
        self.evaluate_where(table, |_| true)
    }

    /// Like [`Scorecard::evaluate`], over the subjects `keep` accepts only (they are also the
    /// only peers for min–max, z-score and the median).
    pub fn evaluate_where(
        &self,
        table: &KpiTable,
        keep: impl Fn(&Subject) -> bool,
    ) -> Result<ScorecardRun> {
        self.validate()?;
        let mut periods = Vec::new();
        for &period in &table.periods {
            let subjects: Vec<&Subject> = table
                .subjects(self.subject)
                .filter(|s| keep(s))
                .filter(|s| {
                    table
                        .values
                        .get(*s)
                        .is_some_and(|p| p.contains_key(&period))
                })
                .collect();
            if subjects.is_empty() {
                continue;
            }
            periods.push(self.evaluate_period(table, period, &subjects)?);
        }
        Ok(ScorecardRun {
            scorecard: self.id.clone(),
            subject: self.subject,
            periods,
        })
    }

    fn evaluate_period(
        &self,
        table: &KpiTable,
        period: Period,
        subjects: &[&Subject],
    ) -> Result<PeriodScores> {
        let inds: Vec<(usize, usize, &IndicatorGroup, &Indicator)> = self.indicators().collect();
        // raw[s][k]: the value or why not.
        let raw: Vec<Vec<std::result::Result<Decimal, Missing>>> = subjects
            .iter()
            .map(|s| {
                inds.iter()
                    .map(|(_, _, _, ind)| match table.get(s, period, ind.kpi) {
                        Some(KpiValue::Value(v)) => Ok(*v),
                        Some(KpiValue::Missing(m)) => Err(m.clone()),
                        None => Err(Missing::Other {
                            detail: "not computed".into(),
                        }),
                    })
                    .collect()
            })
            .collect();
        let peers: Vec<Peers> = (0..inds.len())
            .map(|k| Peers::of(raw.iter().filter_map(|r| r[k].as_ref().ok().copied())))
            .collect();

        let mut scored = Vec::new();
        let mut unscored = Vec::new();
        for (si, s) in subjects.iter().enumerate() {
            let mut out = Vec::with_capacity(inds.len());
            for (k, &(gi, ii, g, ind)) in inds.iter().enumerate() {
                let policy = ind.missing.unwrap_or(self.missing);
                let (used, action, missing) = match &raw[si][k] {
                    Ok(v) => (Some(*v), MissingAction::None, None),
                    Err(m) => match policy {
                        MissingPolicy::Error => {
                            return Err(Error::invalid_argument(
                                "kpis",
                                format!(
                                    "{} {:?}, {period}: {} is missing ({m}) and the missing-data policy of groups[{gi}].indicators[{ii}] is `error`",
                                    kind_name(self.subject),
                                    s.id,
                                    ind.kpi,
                                ),
                            ));
                        }
                        MissingPolicy::ExcludeAndReweight => {
                            (None, MissingAction::Excluded, Some(m.clone()))
                        }
                        MissingPolicy::PeerMedian => match peers[k].median {
                            Some(median) => (
                                Some(median),
                                MissingAction::PeerMedian {
                                    median,
                                    peers: peers[k].count,
                                },
                                Some(m.clone()),
                            ),
                            None => (None, MissingAction::ExcludedNoPeers, Some(m.clone())),
                        },
                    },
                };
                let (normalised, note) = match used {
                    Some(v) => {
                        let (n, note) = normalise(ind, v, &peers[k]);
                        (Some(n), note)
                    }
                    None => (None, None),
                };
                out.push(IndicatorScore {
                    kpi: ind.kpi,
                    group: g.group,
                    direction: ind.direction(),
                    raw: raw[si][k].as_ref().ok().copied(),
                    missing,
                    used,
                    normalised,
                    weight: to_f64(g.weight) * to_f64(ind.weight),
                    effective_weight: 0.0,
                    contribution: 0.0,
                    action,
                    note,
                });
            }
            // Effective weights: within each group scale the present indicators to the
            // group's weight; scale the present groups to 1.
            let mut group_sum: BTreeMap<usize, Decimal> = BTreeMap::new();
            for (k, &(gi, _, _, ind)) in inds.iter().enumerate() {
                if out[k].normalised.is_some() {
                    *group_sum.entry(gi).or_default() += ind.weight;
                }
            }
            let groups_present: Decimal = group_sum.keys().map(|&gi| self.groups[gi].weight).sum();
            if groups_present <= Decimal::ZERO {
                unscored.push(Unscored {
                    id: s.id.clone(),
                    indicators: out,
                });
                continue;
            }
            let mut score = 0.0;
            for (k, &(gi, _, g, ind)) in inds.iter().enumerate() {
                let (Some(n), Some(&gs)) = (out[k].normalised, group_sum.get(&gi)) else {
                    continue;
                };
                let w =
                    to_f64(g.weight) / to_f64(groups_present) * (to_f64(ind.weight) / to_f64(gs));
                out[k].effective_weight = w;
                out[k].contribution = w * n;
                score += w * n;
            }
            scored.push(SubjectScore {
                id: s.id.clone(),
                score: score.clamp(0.0, 100.0),
                rank: 0,
                indicators: out,
                strengths: Vec::new(),
                weaknesses: Vec::new(),
            });
        }
        scored.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        // Top reasons against the average contribution over the scored subjects.
        let n = scored.len().max(1) as f64;
        let averages: Vec<f64> = (0..inds.len())
            .map(|k| {
                scored
                    .iter()
                    .map(|s| s.indicators[k].contribution)
                    .sum::<f64>()
                    / n
            })
            .collect();
        for (i, s) in scored.iter_mut().enumerate() {
            s.rank = i + 1;
            let mut reasons: Vec<Reason> = s
                .indicators
                .iter()
                .zip(&averages)
                .map(|(ind, &avg)| Reason {
                    kpi: ind.kpi,
                    contribution: ind.contribution,
                    peer_average: avg,
                    delta: ind.contribution - avg,
                })
                .collect();
            reasons.sort_by(|a, b| b.delta.total_cmp(&a.delta).then_with(|| a.kpi.cmp(&b.kpi)));
            s.strengths = reasons
                .iter()
                .filter(|r| r.delta > 1e-9)
                .take(TOP_REASONS)
                .cloned()
                .collect();
            reasons.sort_by(|a, b| a.delta.total_cmp(&b.delta).then_with(|| a.kpi.cmp(&b.kpi)));
            s.weaknesses = reasons
                .into_iter()
                .filter(|r| r.delta < -1e-9)
                .take(TOP_REASONS)
                .collect();
        }
        Ok(PeriodScores {
            period,
            scores: scored,
            unscored,
        })
    }
}

fn kind_name(kind: SubjectKind) -> &'static str {
    match kind {
        SubjectKind::Channel => "channel",
        SubjectKind::Partner => "partner",
        SubjectKind::Territory => "territory",
        SubjectKind::Product => "product",
    }
}

fn to_f64(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// The peers' values of one indicator in one period.
#[derive(Debug, Default)]
struct Peers {
    count: usize,
    min: f64,
    max: f64,
    mean: f64,
    sd: f64,
    median: Option<Decimal>,
}

impl Peers {
    fn of(values: impl Iterator<Item = Decimal>) -> Peers {
        let mut v: Vec<Decimal> = values.collect();
        if v.is_empty() {
            return Peers::default();
        }
        v.sort_unstable();
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            let (a, b) = (v[n / 2 - 1], v[n / 2]);
            // (a + b) / 2 without overflow at the ends of the range.
            a / Decimal::TWO + b / Decimal::TWO
        };
        let f: Vec<f64> = v.iter().map(|d| to_f64(*d)).collect();
        let mean = f.iter().sum::<f64>() / n as f64;
        let var = f.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        Peers {
            count: n,
            min: f[0],
            max: f[n - 1],
            mean,
            sd: var.sqrt(),
            median: Some(median),
        }
    }
}

fn normalise(ind: &Indicator, value: Decimal, peers: &Peers) -> (f64, Option<String>) {
    let higher = ind.direction() == Direction::HigherIsBetter;
    let v = to_f64(value);
    let n = match &ind.normalisation {
        Normalisation::MinMax => {
            // The value itself may be a stand-in median, always inside [min, max].
            let (lo, hi) = (peers.min.min(v), peers.max.max(v));
            if hi - lo <= 0.0 {
                50.0
            } else if higher {
                100.0 * (v - lo) / (hi - lo)
            } else {
                100.0 * (hi - v) / (hi - lo)
            }
        }
        Normalisation::ZScore => {
            if peers.sd <= 0.0 || !peers.sd.is_finite() {
                50.0
            } else {
                let z = (v - peers.mean) / peers.sd;
                100.0 * std_normal_cdf(if higher { z } else { -z })
            }
        }
        Normalisation::RatioToTarget { target, cap } => {
            let (t, c) = (to_f64(*target), to_f64(*cap));
            let ratio = if higher {
                v / t
            } else if v <= 0.0 {
                c
            } else {
                t / v
            };
            100.0 * ratio.clamp(0.0, c) / c
        }
        Normalisation::Bands { bands } => match bands.iter().find(|b| b.contains(value)) {
            Some(b) => to_f64(b.points),
            None => {
                return (
                    0.0,
                    Some(format!("{value} is outside every band: 0 points")),
                );
            }
        },
    };
    (
        if n.is_finite() {
            n.clamp(0.0, 100.0)
        } else {
            0.0
        },
        None,
    )
}

/// The standard normal CDF Φ(z) = (1 + erf(z/√2)) / 2, to about 1e-14: erf by its Taylor
/// series for |z/√2| < 3, erfc by its continued fraction beyond. Φ(0) = 0.5 exactly and
/// Φ(−z) = 1 − Φ(z).
pub fn std_normal_cdf(z: f64) -> f64 {
    if z.is_nan() {
        return 0.5;
    }
    let x = z / std::f64::consts::SQRT_2;
    let ax = x.abs();
    if ax < 3.0 {
        // erf(x) = 2/√π · Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
        let x2 = x * x;
        let mut term = x; // (−1)ⁿ x^(2n+1) / n!
        let mut sum = x;
        for n in 1..200 {
            term *= -x2 / f64::from(n);
            let add = term / f64::from(2 * n + 1);
            sum += add;
            if add.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        let erf = 2.0 / std::f64::consts::PI.sqrt() * sum;
        return (0.5 * (1.0 + erf)).clamp(0.0, 1.0);
    }
    // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated
    // from the tail.
    let mut f = ax;
    for k in (1..=60).rev() {
        f = ax + f64::from(k) / 2.0 / f;
    }
    let erfc = (-ax * ax).exp() / std::f64::consts::PI.sqrt() / f;
    if x > 0.0 {
        1.0 - 0.5 * erfc
    } else {
        0.5 * erfc
    }
}

impl RuleDocument for Scorecard {
    const KIND: &'static str = "scorecard";

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
        if self.groups.is_empty() {
            return Err(Error::document("groups", "give at least one group"));
        }
        let mut seen_groups: BTreeMap<GroupKind, usize> = BTreeMap::new();
        let mut seen_kpis: BTreeMap<Kpi, String> = BTreeMap::new();
        for (gi, g) in self.groups.iter().enumerate() {
            let gp = format!("groups[{gi}]");
            if let Some(prev) = seen_groups.insert(g.group, gi) {
                return Err(Error::document(
                    format!("{gp}.group"),
                    format!("group {:?} is already groups[{prev}]", g.group),
                ));
            }
            check_weight(&format!("{gp}.weight"), g.weight)?;
            if g.indicators.is_empty() {
                return Err(Error::document(
                    format!("{gp}.indicators"),
                    "empty group: give at least one indicator",
                ));
            }
            for (ii, ind) in g.indicators.iter().enumerate() {
                let ip = format!("{gp}.indicators[{ii}]");
                if let Some(prev) = seen_kpis.insert(ind.kpi, ip.clone()) {
                    return Err(Error::document(
                        format!("{ip}.kpi"),
                        format!("KPI {} is already scored at {prev}", ind.kpi),
                    ));
                }
                check_weight(&format!("{ip}.weight"), ind.weight)?;
                match &ind.normalisation {
                    Normalisation::MinMax | Normalisation::ZScore => {}
                    Normalisation::RatioToTarget { target, cap } => {
                        if *target <= Decimal::ZERO {
                            return Err(Error::document(
                                format!("{ip}.normalisation.target"),
                                format!("{target}: the target must be above 0"),
                            ));
                        }
                        if *cap <= Decimal::ZERO {
                            return Err(Error::document(
                                format!("{ip}.normalisation.cap"),
                                format!("{cap}: the cap must be above 0"),
                            ));
                        }
                    }
                    Normalisation::Bands { bands } => {
                        validate_bands(&format!("{ip}.normalisation.bands"), bands)?;
                    }
                }
            }
            check_sum(
                &format!("{gp}.indicators"),
                "indicator weights",
                g.indicators.iter().map(|i| i.weight),
                tol,
            )?;
        }
        check_sum(
            "groups",
            "group weights",
            self.groups.iter().map(|g| g.weight),
            tol,
        )
    }
}

/// A weight must lie in `(0, 1]`.
pub(crate) fn check_weight(path: &str, w: Decimal) -> Result<()> {
    if w <= Decimal::ZERO || w > Decimal::ONE {
        return Err(Error::document(path, format!("{w} is outside (0, 1]")));
    }
    Ok(())
}

/// Weights must sum to 1 within `tol`.
pub(crate) fn check_sum(
    path: &str,
    what: &str,
    weights: impl Iterator<Item = Decimal>,
    tol: Decimal,
) -> Result<()> {
    let mut sum = Decimal::ZERO;
    for w in weights {
        sum = sum
            .checked_add(w)
            .ok_or_else(|| Error::document(path, format!("{what} overflow")))?;
    }
    if (sum - Decimal::ONE).abs() > tol {
        return Err(Error::document(
            path,
            format!("{what} sum to {sum}, not 1 (tolerance {tol})"),
        ));
    }
    Ok(())
}
