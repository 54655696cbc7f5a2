//! Channel conflict (渠道冲突): detectors that find cross-region selling, price violations,
//! horizontal, vertical and multi-channel conflict and inventory imbalance in the data, explain
//! each finding, and feed the rebate engine's penalties.
//!
//! The detectors are configured by a rule document, [`ConflictPolicy`]
//! (`schemas/conflict-policy.schema.json`). [`detect`] runs every enabled detector over a
//! [`Dataset`] (plus optional [`ConflictInputs`]: customer assignments, shipments and batch
//! sightings) and returns a [`ConflictReport`]:
//!
//! | detector | kind | finds |
//! |---|---|---|
//! | [`Detector::CrossRegion`] | horizontal | sale lines of a partner in a territory it holds no grant for (a grant on a province covers its cities); stronger when the territory is another network's exclusive territory |
//! | [`Detector::DivertedGoods`] | horizontal | goods shipped to partner A sold by another partner where A may not sell, or shipped to an address outside A's territories |
//! | [`Detector::BelowFloor`] | horizontal or vertical | sale lines below the floor price in force for the product, channel, territory and day |
//! | [`Detector::PromotionDepth`] | horizontal or vertical | discounts off the unified retail price deeper than allowed, outside an approved promotion or beyond its depth |
//! | [`Detector::Undercutting`] | horizontal | a partner whose median price index is below its peers' by more than the gap over a window |
//! | [`Detector::CustomerOverlap`] | horizontal | two partners at the same level and channel sharing a large share of their customers |
//! | [`Detector::Vertical`] | vertical | a parent partner or the company's own channels selling to customers assigned to a sub-partner |
//! | [`Detector::OnlineUndercut`] | multi-channel | online prices of a product in a territory below the offline prices there beyond a tolerance |
//! | [`Detector::ChannelSwitching`] | multi-channel | customers first won by one channel whose later spend went mostly to another |
//! | [`Detector::Inventory`] | horizontal | a partner with a backlog of a product while a peer in its region is out of it: a transfer suggestion |
//!
//! Every [`Finding`] is serde data with a stable id built from what it is about (detector,
//! partner, territory, product, period), so a host can record its decisions on it and find it
//! again in the next run. Returns are never violations. Findings against a partner become
//! [`rebate::Finding`]s with [`ConflictReport::penalty_findings`]; those the host waived are
//! marked so and never penalised.
//!
//! ```
//! use qudao::conflict::{self, ConflictInputs, ConflictPolicy, Detector};
//! use qudao::sample::{generate, SampleConfig};
//! let sample = generate(&SampleConfig::with_lines(20_000))?;
//! let report = conflict::detect(
//!     &sample.dataset,
//!     &ConflictPolicy::sample_company(),
//!     &ConflictInputs::default(),
//! )?;
//! // The planted cross-region partner is found, and only it.
//! let cross: Vec<_> = report.of(Detector::CrossRegion).collect();
//! assert!(!cross.is_empty());
//! assert!(cross.iter().all(|f| f.partner.as_deref() == Some(&*sample.planted.cross_region_partner)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod context;
mod lines;
mod patterns;
mod policy;

pub use policy::{
    BelowFloorRule, ChannelDiscount, ConflictPolicy, CrossRegionRule, DivertedGoodsRule,
    EscalationStep, InventoryRule, OnlineUndercutRule, OverlapRule, Promotion, PromotionRule,
    SwitchingRule, UndercuttingRule, VerticalRule, Window,
};

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::date::{Date, Period};
use crate::document::Label;
use crate::error::Result;
use crate::rebate;

/// A conflict detector. Orders as listed in the module table; names are snake case
/// (`cross_region`, …) and are the finding kinds rebate penalties match on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Detector {
    /// Cross-region selling (窜货) from the sale lines.
    CrossRegion,
    /// Cross-region selling traced through shipments: batches and ship-to addresses.
    DivertedGoods,
    /// Sales below the floor price (低于最低限价).
    BelowFloor,
    /// Unauthorised promotion depth (未经批准的促销折扣).
    PromotionDepth,
    /// Sustained undercutting of peers (低价竞争).
    Undercutting,
    /// Two partners at the same level competing for the same customers (横向冲突).
    CustomerOverlap,
    /// A parent partner or the company selling to a sub-partner's customers (纵向冲突).
    Vertical,
    /// Online prices undercutting offline prices (线上线下价格冲突).
    OnlineUndercut,
    /// Customers switching channel after their first purchase (渠道蚕食).
    ChannelSwitching,
    /// Backlog at one partner while a peer is out of stock (库存冲突).
    Inventory,
}

impl Detector {
    /// Every detector, in order.
    pub const ALL: [Detector; 10] = [
        Detector::CrossRegion,
        Detector::DivertedGoods,
        Detector::BelowFloor,
        Detector::PromotionDepth,
        Detector::Undercutting,
        Detector::CustomerOverlap,
        Detector::Vertical,
        Detector::OnlineUndercut,
        Detector::ChannelSwitching,
        Detector::Inventory,
    ];

    /// The snake-case name (`cross_region`), as in documents, ids and penalty rules.
    pub fn as_str(self) -> &'static str {
        match self {
            Detector::CrossRegion => "cross_region",
            Detector::DivertedGoods => "diverted_goods",
            Detector::BelowFloor => "below_floor",
            Detector::PromotionDepth => "promotion_depth",
            Detector::Undercutting => "undercutting",
            Detector::CustomerOverlap => "customer_overlap",
            Detector::Vertical => "vertical",
            Detector::OnlineUndercut => "online_undercut",
            Detector::ChannelSwitching => "channel_switching",
            Detector::Inventory => "inventory",
        }
    }

    /// A detector by its snake-case name.
    pub fn parse(name: &str) -> Option<Detector> {
        Detector::ALL.into_iter().find(|d| d.as_str() == name)
    }

    /// A short bilingual name.
    pub fn label(self) -> Label {
        let (en, zh) = match self {
            Detector::CrossRegion => ("Cross-region selling", "窜货"),
            Detector::DivertedGoods => ("Diverted goods", "货品窜流"),
            Detector::BelowFloor => ("Below the floor price", "低于最低限价"),
            Detector::PromotionDepth => ("Unauthorised promotion depth", "违规促销折扣"),
            Detector::Undercutting => ("Undercutting peers", "低价竞争"),
            Detector::CustomerOverlap => ("Customer overlap", "客户争夺"),
            Detector::Vertical => ("Selling to a sub-partner's customers", "纵向抢客"),
            Detector::OnlineUndercut => ("Online undercuts offline", "线上低价冲击线下"),
            Detector::ChannelSwitching => ("Channel switching", "渠道蚕食"),
            Detector::Inventory => ("Inventory imbalance", "库存冲突"),
        };
        Label::new(en, zh)
    }
}

impl std::fmt::Display for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of conflict, as the domain names them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// Between partners at the same level (横向).
    Horizontal,
    /// Between levels: a parent partner or the company against a partner (纵向).
    Vertical,
    /// Between channels, e.g. online against offline (多渠道).
    MultiChannel,
}

/// How serious a finding is. Orders from low to critical.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look.
    Low,
    /// A violation.
    Medium,
    /// A serious violation (e.g. invading another partner's exclusive territory).
    High,
    /// Threatens the channel system.
    Critical,
}

impl Severity {
    /// One step up (critical stays critical).
    pub fn raised(self) -> Severity {
        match self {
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }
}

/// What the policy suggests doing about a finding. The host decides.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Look into it; nobody is at fault yet (patterns between channels or peers).
    Review,
    /// Move stock from the partner with the backlog to the peer that is out of it.
    Transfer,
    /// A written warning (警告).
    Warn,
    /// Deduct rebates (扣减返利), through the programs' penalty rules.
    DeductRebate,
    /// Suspend the cooperation (暂停合作).
    Suspend,
    /// End the cooperation (终止合作).
    Terminate,
}

impl Resolution {
    /// The suggested action in both languages.
    pub fn label(self) -> Label {
        let (en, zh) = match self {
            Resolution::Review => ("review", "核查"),
            Resolution::Transfer => ("transfer stock", "调货"),
            Resolution::Warn => ("warn", "警告"),
            Resolution::DeductRebate => ("deduct rebate", "扣减返利"),
            Resolution::Suspend => ("suspend", "暂停合作"),
            Resolution::Terminate => ("terminate", "终止合作"),
        };
        Label::new(en, zh)
    }
}

/// Why a violation likely happened, where the data can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CauseKind {
    /// The partner held a backlog the month before: selling off excess stock.
    Overstock,
    /// The partner's stock was normal the month before: likely deliberate.
    NoOverstock,
    /// No inventory snapshots for the partner the month before.
    Unknown,
}

/// The likely cause of a violation, with what it rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Cause {
    /// The cause.
    pub kind: CauseKind,
    /// What it rests on, e.g. "SKU0001: 1,200 units on hand, 180 days of cover on 2025-06-30".
    pub note: Label,
}

/// A number behind a finding, with the threshold it was held against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Figure {
    /// What it is (`overlap_share`, `median_price_index`, `cover_days`, …).
    pub name: String,
    /// Its value (ratios as fractions: `0.35` is 35 %; money in major units).
    pub value: Decimal,
    /// The threshold it crossed, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Decimal>,
    /// `ratio`, `days`, `units`, `lines`, `customers`, `partners`, `peers`, `sightings`, `shipments`,
    /// `batches` or the currency code.
    pub unit: String,
}

impl Figure {
    /// A figure.
    pub fn new(
        name: impl Into<String>,
        value: Decimal,
        threshold: Option<Decimal>,
        unit: impl Into<String>,
    ) -> Figure {
        Figure {
            name: name.into(),
            value,
            threshold,
            unit: unit.into(),
        }
    }
}

/// One transaction line behind a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EvidenceLine {
    /// Order id.
    pub order: String,
    /// Line number within the order.
    pub line: u32,
    /// Day of the sale.
    pub date: Date,
    /// Selling partner, or none for the company's own channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
    /// Channel id.
    pub channel: String,
    /// Customer id (empty when the line names none).
    pub customer: String,
    /// Product id.
    pub product: String,
    /// Territory id.
    pub territory: String,
    /// Units sold.
    pub quantity: i64,
    /// Unit price, minor units.
    pub unit_price: i64,
    /// Line amount, minor units.
    pub amount: i64,
    /// The price the line was held against (floor, or allowed minimum), minor units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_price: Option<i64>,
}

/// What a finding rests on: how many lines and how much, and the first lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// Lines behind the finding (all of them, not only those listed).
    pub lines: u64,
    /// Their units.
    pub quantity: i64,
    /// Their amount, minor units.
    pub amount: i64,
    /// The first lines by (day, order id, line), up to the policy's `evidence_limit`: the
    /// same whatever the row order or thread count.
    pub listed: Vec<EvidenceLine>,
}

/// One conflict found: what, who, where, when, how serious, on what evidence, why, and what to
/// do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable id: `detector/partner/territory/product/period` with `-` for what the finding is
    /// not about (e.g. `cross_region/DS012/CN-ZJ-NB/-/2025-07`); counterpart partners are
    /// appended with `+` where they tell two findings apart.
    pub id: String,
    /// The detector that found it.
    pub detector: Detector,
    /// Horizontal, vertical or multi-channel.
    pub kind: ConflictKind,
    /// The partner the finding is against; none when it is against the company's own channels
    /// or names no culprit (overlaps, channel patterns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
    /// Other partners involved: the holder of an invaded exclusive territory, the sub-partner
    /// whose customers were taken, the overlapping peers, the peers out of stock.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<String>,
    /// Channels involved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    /// Territory, when the finding is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub territory: Option<String>,
    /// Product, when the finding is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The period the finding covers.
    #[schemars(with = "String")]
    pub period: Period,
    /// First day of the evidence; a rebate penalty counts in the settlement period holding it.
    pub first_day: Date,
    /// Last day of the evidence.
    pub last_day: Date,
    /// How serious.
    pub severity: Severity,
    /// Earlier periods (in this run) with a finding of the same detector against the same
    /// partner; drives the escalation ladder.
    pub repeats: u32,
    /// The suggested resolution.
    pub resolution: Resolution,
    /// One sentence in each language.
    pub message: Label,
    /// The numbers behind it, each with its threshold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub figures: Vec<Figure>,
    /// The lines behind it (empty for findings on figures only).
    pub evidence: Evidence,
    /// The likely cause, where the data can tell (cross-region findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
}

impl Finding {
    /// The stable id from its parts: `detector/partner/territory/product/period`, `-` for
    /// none, then `+party` for each party given.
    pub fn make_id(
        detector: Detector,
        partner: Option<&str>,
        territory: Option<&str>,
        product: Option<&str>,
        period: Period,
        parties: &[&str],
    ) -> String {
        let mut id = format!(
            "{}/{}/{}/{}/{}",
            detector.as_str(),
            partner.unwrap_or("-"),
            territory.unwrap_or("-"),
            product.unwrap_or("-"),
            period
        );
        for p in parties {
            id.push('+');
            id.push_str(p);
        }
        id
    }
}

/// A detector that did not run, and why (disabled, or its inputs are missing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NotRun {
    /// The detector.
    pub detector: Detector,
    /// Why, in both languages.
    pub reason: Label,
}

/// How much data the detectors read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Scanned {
    /// Transaction lines read.
    pub lines: u64,
    /// Sale lines among them.
    pub sale_lines: u64,
    /// Return lines among them (never violations).
    pub return_lines: u64,
}

/// Everything a run found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConflictReport {
    /// Id of the policy applied.
    pub policy: String,
    /// The findings, by detector, period, partner, territory, product and id.
    pub findings: Vec<Finding>,
    /// Detectors that did not run, and why.
    pub not_run: Vec<NotRun>,
    /// What was read.
    pub scanned: Scanned,
}

impl ConflictReport {
    /// The findings of one detector.
    pub fn of(&self, detector: Detector) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.detector == detector)
    }

    /// A finding by id.
    pub fn get(&self, id: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.id == id)
    }

    /// Findings per detector (detectors without findings are left out).
    pub fn counts(&self) -> BTreeMap<Detector, usize> {
        let mut out = BTreeMap::new();
        for f in &self.findings {
            *out.entry(f.detector).or_insert(0) += 1;
        }
        out
    }

    /// The findings against a partner, as the rebate engine's [`rebate::Finding`]s (kind =
    /// detector name, dated on the first day of the evidence). Findings whose id is in
    /// `waived` are marked waived, so penalty rules skip them.
    pub fn penalty_findings<S: AsRef<str>>(&self, waived: &[S]) -> Vec<rebate::Finding> {
        let waived: std::collections::HashSet<&str> = waived.iter().map(AsRef::as_ref).collect();
        self.findings
            .iter()
            .filter_map(|f| {
                let partner = f.partner.clone()?;
                Some(rebate::Finding {
                    id: f.id.clone(),
                    kind: f.detector.as_str().into(),
                    partner,
                    date: f.first_day,
                    waived: waived.contains(f.id.as_str()),
                })
            })
            .collect()
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A customer assigned to a partner (客户归属), for the vertical detector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Assignment {
    /// Customer id.
    pub customer: String,
    /// The partner the customer is assigned to.
    pub partner: String,
    /// First day of the assignment (none: always).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Date>,
    /// Last day of the assignment, inclusive (none: open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
}

/// Goods the company shipped to a partner, for the diverted-goods detector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Shipment {
    /// Batch or serial number on the goods (防窜货码).
    pub batch: String,
    /// Product id.
    pub product: String,
    /// The partner that bought the goods.
    pub partner: String,
    /// Day shipped.
    pub date: Date,
    /// Units shipped.
    pub quantity: i64,
    /// Territory the goods were delivered to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_to: Option<String>,
}

/// Goods of a batch seen on sale (a scanned code, a market inspection, a sale line with its
/// batch), for the diverted-goods detector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Sighting {
    /// Batch or serial number.
    pub batch: String,
    /// Day seen.
    pub date: Date,
    /// Territory where the goods were sold.
    pub territory: String,
    /// The partner selling them, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller: Option<String>,
    /// Units seen.
    #[serde(default = "one")]
    pub quantity: i64,
}

fn one() -> i64 {
    1
}

/// What the detectors take besides the dataset and the policy. Inventory comes from the
/// dataset's operational tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConflictInputs<'a> {
    /// Customer assignments, for [`Detector::Vertical`].
    pub assignments: &'a [Assignment],
    /// Shipments, for [`Detector::DivertedGoods`].
    pub shipments: &'a [Shipment],
    /// Sightings of shipped batches, for [`Detector::DivertedGoods`].
    pub sightings: &'a [Sighting],
    /// Worker threads for the passes (0 = all cores). The result does not depend on it.
    pub threads: usize,
}

/// Run every enabled detector of `policy` over `data`.
///
/// Errors when an input names an unknown customer, partner, product or territory (with the
/// table, row and field), or when a window does not fit the dates.
pub fn detect(
    data: &Dataset,
    policy: &ConflictPolicy,
    inputs: &ConflictInputs<'_>,
) -> Result<ConflictReport> {
    let cx = context::Context::new(data, policy, inputs)?;
    let mut not_run = Vec::new();
    let mut findings = lines::detect(&cx, &mut not_run)?;
    findings.extend(patterns::detect(&cx, &mut not_run)?);
    cx.finish(&mut findings);
    not_run.sort_by_key(|n| n.detector);
    Ok(ConflictReport {
        policy: policy.id.clone(),
        findings,
        not_run,
        scanned: cx.scanned(),
    })
}
