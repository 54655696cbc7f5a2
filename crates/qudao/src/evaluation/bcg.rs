//! The BCG matrix (波士顿矩阵): channels — or partners, products, territories — classified by
//! growth and relative share into stars, cash cows, question marks and dogs, each with the
//! recommended action, and the movements between quadrants from one period to the next.
//!
//! The configuration is a rule document, [`BcgOptions`] (`schemas/bcg-options.schema.json`).
//! For one period and the subjects of one kind in a [`KpiTable`]:
//!
//! * **growth** is the value of the chosen growth KPI (`growth_pop` or `growth_yoy`); growth is
//!   *high* when `growth ≥ growth_threshold`;
//! * **size** is the value of the size KPI (revenue by default); the **relative share** is the
//!   size over a reference: with [`ShareBasis::LargestPeer`] the largest *other* subject (so
//!   the largest itself is measured against the second largest, as in the classic matrix);
//!   with [`ShareBasis::PeerAverage`] the mean size of all subjects with a size, itself
//!   included. Share is *high* when `relative share ≥ share_threshold`.
//!
//! | growth \ share | high share | low share |
//! |---|---|---|
//! | **high growth** | star (明星): grow | question mark (问题): invest selectively |
//! | **low growth** | cash cow (现金牛): keep | dog (瘦狗): drop if it cannot recover |
//!
//! A subject whose growth or size is missing (or was not computed), whose size is negative, or
//! which has no reference to compare with is listed as *unclassified* with the reason — never
//! guessed into a quadrant. Every subject with a non-negative size counts as a peer for the
//! reference, even when its own growth is missing.
//!
//! ```
//! use qudao::date::Period;
//! use qudao::evaluation::bcg::{BcgOptions, Quadrant};
//! use qudao::evaluation::{Kpi, KpiTable, KpiValue, Subject, SubjectKind};
//! use rust_decimal::Decimal;
//!
//! let q = Period::parse("2025-Q1")?;
//! let mut t = KpiTable::default();
//! for (id, revenue, growth) in [("A", 500, 20), ("B", 250, 2), ("C", 100, -5)] {
//!     let s = Subject { kind: SubjectKind::Channel, id: id.into() };
//!     t.set(s.clone(), q, Kpi::Revenue, KpiValue::Value(Decimal::from(revenue)));
//!     t.set(s, q, Kpi::GrowthPop, KpiValue::Value(Decimal::new(growth, 2)));
//! }
//! // Classic: growth ≥ 10 %, share relative to the largest peer ≥ 1.0.
//! let m = BcgOptions::default().classify(&t, q)?;
//! let a = m.entry("A").expect("classified");
//! assert_eq!(a.quadrant, Quadrant::Star); // 500 / 250 = 2.0, growth 20 %
//! assert_eq!(m.entry("B").map(|e| e.quadrant), Some(Quadrant::Dog)); // 250 / 500 = 0.5, 2 %
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::date::Period;
use crate::document::{Label, RuleDocument, SCHEMA_VERSION};
use crate::error::{Error, Result};

use super::{Kpi, KpiTable, KpiValue, Missing, SubjectKind};

/// The growth KPIs a matrix may use.
pub const GROWTH_KPIS: [Kpi; 2] = [Kpi::GrowthPop, Kpi::GrowthYoy];

/// The size KPIs a relative share may be computed from.
pub const SIZE_KPIS: [Kpi; 5] = [
    Kpi::Revenue,
    Kpi::Units,
    Kpi::Orders,
    Kpi::ContributionRate,
    Kpi::MarketShare,
];

/// The BCG matrix configuration (波士顿矩阵参数), a rule document.
///
/// Thresholds are exact decimals written as strings (`"0.10"` is 10 %). Both comparisons are
/// `≥`: a subject exactly at a threshold is on the high side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "BCG options",
    description = "BCG matrix (波士顿矩阵) configuration of the qudao library: which subjects, the growth KPI and threshold, the size KPI, the relative-share definition and threshold, and the recommended action per quadrant."
)]
pub struct BcgOptions {
    /// Document schema version; this library reads 1.
    pub schema_version: u32,
    /// Configuration id.
    pub id: String,
    /// The kind of subject classified (default `channel`).
    #[serde(default = "default_kind")]
    pub kind: SubjectKind,
    /// The growth KPI: `growth_pop` (default) or `growth_yoy`.
    #[serde(default = "default_growth_kpi")]
    pub growth_kpi: Kpi,
    /// Growth is high when `growth ≥ growth_threshold` (a ratio: `"0.1"` is 10 %).
    pub growth_threshold: Decimal,
    /// The KPI whose value is the subject's size for the relative share: `revenue` (default),
    /// `units`, `orders`, `contribution_rate` or `market_share`.
    #[serde(default = "default_size_kpi")]
    pub size_kpi: Kpi,
    /// What the size is compared with (default `largest_peer`).
    #[serde(default)]
    pub share: ShareBasis,
    /// Share is high when `relative share ≥ share_threshold`; must be positive (classic: 1.0).
    pub share_threshold: Decimal,
    /// The recommended action per quadrant; defaults to the domain brief's actions.
    #[serde(default)]
    pub actions: QuadrantActions,
}

fn default_kind() -> SubjectKind {
    SubjectKind::Channel
}

fn default_growth_kpi() -> Kpi {
    Kpi::GrowthPop
}

fn default_size_kpi() -> Kpi {
    Kpi::Revenue
}

/// What a subject's size is compared with to give its relative share.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum ShareBasis {
    /// The largest other subject of the kind in the period: `size / max(size of the others)`.
    /// The largest subject is compared with the second largest (share > 1 when it leads).
    #[default]
    LargestPeer,
    /// The mean size of all subjects of the kind with a size in the period, the subject
    /// itself included: `size / mean(size)`.
    PeerAverage,
}

/// The recommended action for each quadrant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuadrantActions {
    /// For stars (明星).
    #[serde(default = "Quadrant::star_action")]
    pub star: Label,
    /// For cash cows (现金牛).
    #[serde(default = "Quadrant::cash_cow_action")]
    pub cash_cow: Label,
    /// For question marks (问题).
    #[serde(default = "Quadrant::question_mark_action")]
    pub question_mark: Label,
    /// For dogs (瘦狗).
    #[serde(default = "Quadrant::dog_action")]
    pub dog: Label,
}

impl Default for QuadrantActions {
    fn default() -> Self {
        QuadrantActions {
            star: Quadrant::star_action(),
            cash_cow: Quadrant::cash_cow_action(),
            question_mark: Quadrant::question_mark_action(),
            dog: Quadrant::dog_action(),
        }
    }
}

impl QuadrantActions {
    /// The action for a quadrant.
    pub fn get(&self, q: Quadrant) -> &Label {
        match q {
            Quadrant::Star => &self.star,
            Quadrant::CashCow => &self.cash_cow,
            Quadrant::QuestionMark => &self.question_mark,
            Quadrant::Dog => &self.dog,
        }
    }
}

/// A BCG quadrant. Orders as star, cash cow, question mark, dog.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Quadrant {
    /// High growth, high share (明星).
    Star,
    /// Low growth, high share (现金牛).
    CashCow,
    /// High growth, low share (问题).
    QuestionMark,
    /// Low growth, low share (瘦狗).
    Dog,
}

impl Quadrant {
    /// Every quadrant, in order.
    pub const ALL: [Quadrant; 4] = [
        Quadrant::Star,
        Quadrant::CashCow,
        Quadrant::QuestionMark,
        Quadrant::Dog,
    ];

    /// The quadrant of a high/low growth and a high/low share.
    pub fn of(high_growth: bool, high_share: bool) -> Quadrant {
        match (high_growth, high_share) {
            (true, true) => Quadrant::Star,
            (false, true) => Quadrant::CashCow,
            (true, false) => Quadrant::QuestionMark,
            (false, false) => Quadrant::Dog,
        }
    }

    /// The snake_case name used in documents and tables.
    pub fn name(self) -> &'static str {
        match self {
            Quadrant::Star => "star",
            Quadrant::CashCow => "cash_cow",
            Quadrant::QuestionMark => "question_mark",
            Quadrant::Dog => "dog",
        }
    }

    /// Display name in English and Chinese.
    pub fn label(self) -> Label {
        match self {
            Quadrant::Star => Label::new("Star", "明星"),
            Quadrant::CashCow => Label::new("Cash cow", "现金牛"),
            Quadrant::QuestionMark => Label::new("Question mark", "问题"),
            Quadrant::Dog => Label::new("Dog", "瘦狗"),
        }
    }

    fn star_action() -> Label {
        Label::new(
            "Grow: invest to keep the lead and the growth",
            "发展：加大投入，保持领先和增长",
        )
    }

    fn cash_cow_action() -> Label {
        Label::new(
            "Keep: hold the share with little new investment; its cash funds stars and question marks",
            "维持：少量投入保持份额，其现金支持明星和问题渠道",
        )
    }

    fn question_mark_action() -> Label {
        Label::new(
            "Invest: build share where it can become a star",
            "投资：有选择地投入提升份额，培育为明星",
        )
    }

    fn dog_action() -> Label {
        Label::new(
            "Drop if it cannot recover: review, then reduce or exit",
            "淘汰：无法扭转的予以缩减或退出",
        )
    }
}

impl Default for BcgOptions {
    /// The classic matrix on channels: `growth_pop ≥ 10 %`, revenue share relative to the
    /// largest peer `≥ 1.0`.
    fn default() -> Self {
        BcgOptions {
            schema_version: SCHEMA_VERSION,
            id: "bcg-classic".into(),
            kind: SubjectKind::Channel,
            growth_kpi: Kpi::GrowthPop,
            growth_threshold: Decimal::new(10, 2),
            size_kpi: Kpi::Revenue,
            share: ShareBasis::LargestPeer,
            share_threshold: Decimal::ONE,
            actions: QuadrantActions::default(),
        }
    }
}

/// What a subject's relative share was computed against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareReference {
    /// The peer compared with ([`ShareBasis::LargestPeer`]); `None` for the peer average.
    pub peer: Option<String>,
    /// The reference size: the peer's size, or the mean size.
    pub value: Decimal,
}

/// One classified subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BcgEntry {
    /// Subject id.
    pub subject: String,
    /// The quadrant.
    pub quadrant: Quadrant,
    /// The growth KPI's value.
    pub growth: Decimal,
    /// Whether `growth ≥ growth_threshold`.
    pub high_growth: bool,
    /// The size KPI's value.
    pub size: Decimal,
    /// What the size was compared with.
    pub reference: ShareReference,
    /// `size / reference.value`.
    pub relative_share: Decimal,
    /// Whether `relative_share ≥ share_threshold`.
    pub high_share: bool,
    /// The recommended action for the quadrant.
    pub action: Label,
}

/// Why a subject could not be classified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum NotClassified {
    /// The growth or size KPI has no value: `missing` is the table's reason, or `None` when
    /// the table has no entry for it (it was not computed).
    MissingKpi {
        /// The KPI.
        kpi: Kpi,
        /// Why it is missing; `None`: not computed.
        missing: Option<Missing>,
    },
    /// The size is negative (e.g. returns above sales); a share of it means nothing.
    NegativeSize {
        /// The size KPI.
        kpi: Kpi,
        /// Its value.
        value: Decimal,
    },
    /// There is nothing to compare the size with.
    NoReference {
        /// Why: no other subject with a positive size, or a mean size of zero.
        detail: String,
    },
}

impl std::fmt::Display for NotClassified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotClassified::MissingKpi { kpi, missing: None } => {
                write!(f, "{kpi} was not computed")
            }
            NotClassified::MissingKpi {
                kpi,
                missing: Some(m),
            } => write!(f, "{kpi} is missing: {m}"),
            NotClassified::NegativeSize { kpi, value } => write!(f, "{kpi} is negative ({value})"),
            NotClassified::NoReference { detail } => f.write_str(detail),
        }
    }
}

/// A subject that could not be classified, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unclassified {
    /// Subject id.
    pub subject: String,
    /// Why.
    pub reason: NotClassified,
}

/// The matrix for one kind of subject and one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BcgMatrix {
    /// The kind of subject.
    pub kind: SubjectKind,
    /// The period.
    pub period: Period,
    /// The growth KPI.
    pub growth_kpi: Kpi,
    /// The growth threshold (`≥` is high).
    pub growth_threshold: Decimal,
    /// The size KPI.
    pub size_kpi: Kpi,
    /// The share definition.
    pub share: ShareBasis,
    /// The share threshold (`≥` is high).
    pub share_threshold: Decimal,
    /// Classified subjects, by quadrant (star, cash cow, question mark, dog), then subject id.
    pub entries: Vec<BcgEntry>,
    /// Subjects that could not be classified, by subject id.
    pub unclassified: Vec<Unclassified>,
}

impl BcgMatrix {
    /// The entry of a subject, if it was classified.
    pub fn entry(&self, subject: &str) -> Option<&BcgEntry> {
        self.entries.iter().find(|e| e.subject == subject)
    }

    /// The entries of one quadrant, by subject id.
    pub fn quadrant(&self, q: Quadrant) -> impl Iterator<Item = &BcgEntry> {
        self.entries.iter().filter(move |e| e.quadrant == q)
    }
}

/// A subject that changed quadrant between two periods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    /// Subject id.
    pub subject: String,
    /// The earlier period.
    pub from_period: Period,
    /// Its quadrant then.
    pub from: Quadrant,
    /// The later period.
    pub to_period: Period,
    /// Its quadrant now.
    pub to: Quadrant,
}

/// Matrices for several periods and the movements between consecutive ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BcgReport {
    /// One matrix per period, in period order.
    pub matrices: Vec<BcgMatrix>,
    /// Quadrant changes between each period and the next one given, by later period, then
    /// subject id. Subjects unclassified in either period do not move.
    pub movements: Vec<Movement>,
}

/// The quadrant changes from one matrix to another: subjects classified in both whose
/// quadrant differs, by subject id.
pub fn movements(from: &BcgMatrix, to: &BcgMatrix) -> Vec<Movement> {
    let before: BTreeMap<&str, Quadrant> = from
        .entries
        .iter()
        .map(|e| (e.subject.as_str(), e.quadrant))
        .collect();
    let mut out: Vec<Movement> = to
        .entries
        .iter()
        .filter_map(|e| {
            let was = *before.get(e.subject.as_str())?;
            (was != e.quadrant).then(|| Movement {
                subject: e.subject.clone(),
                from_period: from.period,
                from: was,
                to_period: to.period,
                to: e.quadrant,
            })
        })
        .collect();
    out.sort_by(|a, b| a.subject.cmp(&b.subject));
    out
}

enum Size {
    Value(Decimal),
    Negative(Decimal),
    Missing(Option<Missing>),
}

fn lookup(table: &KpiTable, subject: &super::Subject, period: Period, kpi: Kpi) -> Size {
    match table.get(subject, period, kpi) {
        Some(KpiValue::Value(v)) if v.is_sign_negative() && !v.is_zero() => Size::Negative(*v),
        Some(KpiValue::Value(v)) => Size::Value(*v),
        Some(KpiValue::Missing(m)) => Size::Missing(Some(m.clone())),
        None => Size::Missing(None),
    }
}

impl BcgOptions {
    /// The sample company's configuration (`crates/qudao/evaluation/sample-bcg.toml`):
    /// channels, year-over-year revenue growth ≥ 10 %, revenue share relative to the channel
    /// average ≥ 1.0.
    ///
    /// ```
    /// let o = qudao::evaluation::bcg::BcgOptions::sample_company();
    /// assert_eq!(o.id, "minghe-bcg");
    /// ```
    pub fn sample_company() -> BcgOptions {
        const TEXT: &str = include_str!("../../evaluation/sample-bcg.toml");
        // The file is checked by a test; the classic options here would fail that test.
        BcgOptions::from_toml(TEXT).unwrap_or_default()
    }

    /// Classify the subjects of [`BcgOptions::kind`] in `table` for `period`.
    ///
    /// Errors if the options are invalid (see [`RuleDocument::validate`]) or a sum of sizes
    /// overflows.
    pub fn classify(&self, table: &KpiTable, period: Period) -> Result<BcgMatrix> {
        self.validate()?;
        let mut unclassified = Vec::new();
        // Sizes of every subject with a usable size: the peers.
        let mut sizes: Vec<(&str, Decimal)> = Vec::new();
        let mut candidates = Vec::new();
        for s in table.subjects(self.kind) {
            match lookup(table, s, period, self.size_kpi) {
                Size::Value(v) => {
                    sizes.push((s.id.as_str(), v));
                    candidates.push((s, v));
                }
                Size::Negative(value) => unclassified.push(Unclassified {
                    subject: s.id.clone(),
                    reason: NotClassified::NegativeSize {
                        kpi: self.size_kpi,
                        value,
                    },
                }),
                Size::Missing(missing) => unclassified.push(Unclassified {
                    subject: s.id.clone(),
                    reason: NotClassified::MissingKpi {
                        kpi: self.size_kpi,
                        missing,
                    },
                }),
            }
        }
        // The two largest, size descending then id ascending.
        let mut ranked = sizes.clone();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let mean = if sizes.is_empty() {
            None
        } else {
            let mut sum = Decimal::ZERO;
            for (_, v) in &sizes {
                sum = sum
                    .checked_add(*v)
                    .ok_or_else(|| Error::overflow("the sum of BCG sizes"))?;
            }
            sum.checked_div(Decimal::from(sizes.len()))
        };

        let mut entries = Vec::new();
        for (s, size) in candidates {
            let reference = match self.share {
                ShareBasis::LargestPeer => {
                    let peer = ranked.iter().find(|(id, _)| *id != s.id.as_str());
                    match peer {
                        Some((id, v)) if v.is_sign_positive() && !v.is_zero() => {
                            Ok(ShareReference {
                                peer: Some((*id).to_string()),
                                value: *v,
                            })
                        }
                        Some((id, v)) => Err(format!(
                            "the largest other {} ({id}) has {} {v}, not positive",
                            kind_name(self.kind),
                            self.size_kpi
                        )),
                        None => Err(format!(
                            "no other {} has a {} to compare with",
                            kind_name(self.kind),
                            self.size_kpi
                        )),
                    }
                }
                ShareBasis::PeerAverage => match mean {
                    Some(m) if m.is_sign_positive() && !m.is_zero() => Ok(ShareReference {
                        peer: None,
                        value: m,
                    }),
                    _ => Err(format!(
                        "the mean {} of the {}s is zero",
                        self.size_kpi,
                        kind_name(self.kind)
                    )),
                },
            };
            let reference = match reference {
                Ok(r) => r,
                Err(detail) => {
                    unclassified.push(Unclassified {
                        subject: s.id.clone(),
                        reason: NotClassified::NoReference { detail },
                    });
                    continue;
                }
            };
            let growth = match table.get(s, period, self.growth_kpi) {
                Some(KpiValue::Value(v)) => *v,
                Some(KpiValue::Missing(m)) => {
                    unclassified.push(Unclassified {
                        subject: s.id.clone(),
                        reason: NotClassified::MissingKpi {
                            kpi: self.growth_kpi,
                            missing: Some(m.clone()),
                        },
                    });
                    continue;
                }
                None => {
                    unclassified.push(Unclassified {
                        subject: s.id.clone(),
                        reason: NotClassified::MissingKpi {
                            kpi: self.growth_kpi,
                            missing: None,
                        },
                    });
                    continue;
                }
            };
            let relative_share = size
                .checked_div(reference.value)
                .ok_or_else(|| Error::overflow("a BCG relative share"))?
                .normalize();
            let high_growth = growth >= self.growth_threshold;
            let high_share = relative_share >= self.share_threshold;
            let quadrant = Quadrant::of(high_growth, high_share);
            entries.push(BcgEntry {
                subject: s.id.clone(),
                quadrant,
                growth,
                high_growth,
                size,
                reference,
                relative_share,
                high_share,
                action: self.actions.get(quadrant).clone(),
            });
        }
        entries.sort_by(|a, b| {
            a.quadrant
                .cmp(&b.quadrant)
                .then_with(|| a.subject.cmp(&b.subject))
        });
        unclassified.sort_by(|a, b| a.subject.cmp(&b.subject));
        Ok(BcgMatrix {
            kind: self.kind,
            period,
            growth_kpi: self.growth_kpi,
            growth_threshold: self.growth_threshold,
            size_kpi: self.size_kpi,
            share: self.share,
            share_threshold: self.share_threshold,
            entries,
            unclassified,
        })
    }

    /// Classify each of `periods` (sorted, duplicates dropped) and report the quadrant
    /// changes between each period and the next.
    ///
    /// Errors as [`BcgOptions::classify`].
    pub fn analyze(&self, table: &KpiTable, periods: &[Period]) -> Result<BcgReport> {
        let mut ps = periods.to_vec();
        ps.sort_unstable();
        ps.dedup();
        let matrices = ps
            .iter()
            .map(|p| self.classify(table, *p))
            .collect::<Result<Vec<_>>>()?;
        let movements = matrices
            .windows(2)
            .flat_map(|w| movements(&w[0], &w[1]))
            .collect();
        Ok(BcgReport {
            matrices,
            movements,
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

impl RuleDocument for BcgOptions {
    const KIND: &'static str = "BCG options";

    fn schema_version(&self) -> u32 {
        self.schema_version
    }

    fn validate(&self) -> Result<()> {
        self.check_version()?;
        if self.id.trim().is_empty() {
            return Err(Error::document("id", "empty id"));
        }
        if !GROWTH_KPIS.contains(&self.growth_kpi) {
            return Err(Error::document(
                "growth_kpi",
                format!(
                    "{} is not a growth KPI; use growth_pop or growth_yoy",
                    self.growth_kpi
                ),
            ));
        }
        if !SIZE_KPIS.contains(&self.size_kpi) {
            return Err(Error::document(
                "size_kpi",
                format!(
                    "{} is not a size; use revenue, units, orders, contribution_rate or market_share",
                    self.size_kpi
                ),
            ));
        }
        if self.share_threshold <= Decimal::ZERO {
            return Err(Error::document(
                "share_threshold",
                format!(
                    "{} is not positive; a relative share is never negative, so every subject would have a high share",
                    self.share_threshold
                ),
            ));
        }
        self.actions.star.validate("actions.star")?;
        self.actions.cash_cow.validate("actions.cash_cow")?;
        self.actions
            .question_mark
            .validate("actions.question_mark")?;
        self.actions.dog.validate("actions.dog")?;
        Ok(())
    }
}
