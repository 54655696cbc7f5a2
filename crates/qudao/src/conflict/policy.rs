//! The conflict policy document: which detectors run, their thresholds, approved promotions
//! and the escalation ladder.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::date::{Date, Period};
use crate::document::{Label, RuleDocument, SCHEMA_VERSION};
use crate::error::{Error, Result};
use crate::model::TerritoryLevel;

use super::{Resolution, Severity};

/// The conflict policy (渠道冲突管理规则), a rule document.
///
/// Every detector section is optional: a missing section runs the detector with its defaults;
/// `enabled = false` turns it off. Ratios are exact decimals written as strings (`"0.05"` is
/// 5 %); money is in major units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Conflict policy",
    description = "Channel conflict (渠道冲突) policy of the qudao library: the detectors (cross-region selling, diverted goods, price floor, promotion depth, undercutting, customer overlap, vertical, online undercut, channel switching, inventory), their thresholds, approved promotions and the escalation ladder of resolutions."
)]
pub struct ConflictPolicy {
    /// Document schema version; this library reads 1.
    pub schema_version: u32,
    /// Policy id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Label>,
    /// How line findings are grouped in time: one finding per partner, territory and window
    /// (default `month`).
    #[serde(default = "Window::month")]
    pub window: Window,
    /// Evidence lines listed per finding (all are counted); default 20, at most 10,000.
    #[serde(default = "default_evidence_limit")]
    pub evidence_limit: u32,
    /// Resolution by repeat count: the step with the largest `after` not above the number of
    /// earlier windows with a finding of the same detector against the same partner applies;
    /// a high or critical finding goes one step further. Default: warn, then deduct rebate
    /// from the first repeat, suspend from the third, terminate from the sixth.
    #[serde(default = "default_escalation")]
    pub escalation: Vec<EscalationStep>,
    /// Cross-region selling from sale lines.
    #[serde(default)]
    pub cross_region: CrossRegionRule,
    /// Cross-region selling traced through shipments.
    #[serde(default)]
    pub diverted_goods: DivertedGoodsRule,
    /// Sales below the floor price.
    #[serde(default)]
    pub below_floor: BelowFloorRule,
    /// Promotion depth.
    #[serde(default)]
    pub promotion_depth: PromotionRule,
    /// Sustained undercutting.
    #[serde(default)]
    pub undercutting: UndercuttingRule,
    /// Customer overlap between peers.
    #[serde(default)]
    pub customer_overlap: OverlapRule,
    /// Vertical conflict.
    #[serde(default)]
    pub vertical: VerticalRule,
    /// Online prices undercutting offline.
    #[serde(default)]
    pub online_undercut: OnlineUndercutRule,
    /// Channel switching after the first purchase.
    #[serde(default)]
    pub channel_switching: SwitchingRule,
    /// Inventory imbalance between peers.
    #[serde(default)]
    pub inventory: InventoryRule,
}

/// A calendar window findings are grouped or measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// A calendar month.
    Month,
    /// A calendar quarter.
    Quarter,
    /// A calendar half-year.
    HalfYear,
    /// A calendar year.
    Year,
}

impl Window {
    fn month() -> Window {
        Window::Month
    }

    fn quarter() -> Window {
        Window::Quarter
    }

    fn year() -> Window {
        Window::Year
    }

    /// The window holding `day`.
    pub fn of(self, day: Date) -> Period {
        let months = match self {
            Window::Month => 1,
            Window::Quarter => 3,
            Window::HalfYear => 6,
            Window::Year => 12,
        };
        let i = day.month_index();
        let first = i - i.rem_euclid(months);
        Period {
            start: Date::from_month_index(first),
            end: Date::from_month_index(first + months),
        }
    }
}

fn default_evidence_limit() -> u32 {
    20
}

/// One step of the escalation ladder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationStep {
    /// Applies from this many earlier windows with a finding.
    pub after: u32,
    /// The resolution suggested (`warn`, `deduct_rebate`, `suspend` or `terminate`).
    pub resolution: Resolution,
}

fn default_escalation() -> Vec<EscalationStep> {
    [
        (0, Resolution::Warn),
        (1, Resolution::DeductRebate),
        (3, Resolution::Suspend),
        (6, Resolution::Terminate),
    ]
    .into_iter()
    .map(|(after, resolution)| EscalationStep { after, resolution })
    .collect()
}

fn yes() -> bool {
    true
}

macro_rules! severity_default {
    ($name:ident, $sev:ident) => {
        fn $name() -> Severity {
            Severity::$sev
        }
    };
}
severity_default!(low, Low);
severity_default!(medium, Medium);
severity_default!(high, High);

/// Cross-region selling (窜货) from the sale lines: a sale line of a partner in a territory none
/// of its grants covers. One finding per partner, territory and window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CrossRegionRule {
    /// Run the detector (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Severity of a finding (default `medium`).
    #[serde(default = "medium")]
    pub severity: Severity,
    /// Severity when the territory lies in another partner's exclusive grant and that partner
    /// is neither an ancestor nor a descendant of the seller (default `high`).
    #[serde(default = "high")]
    pub exclusive_severity: Severity,
}

impl Default for CrossRegionRule {
    fn default() -> Self {
        CrossRegionRule {
            enabled: true,
            severity: Severity::Medium,
            exclusive_severity: Severity::High,
        }
    }
}

/// Goods shipped to a partner that turn up where it may not sell: a sighting of a batch sold
/// by another partner (or an unknown seller) in a territory the buyer holds no grant for, or a
/// shipment delivered outside the buyer's territories. One finding against the buyer per
/// territory and window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DivertedGoodsRule {
    /// Run the detector (default true; it reports "not run" without shipments).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Severity of a finding (default `high`).
    #[serde(default = "high")]
    pub severity: Severity,
}

impl Default for DivertedGoodsRule {
    fn default() -> Self {
        DivertedGoodsRule {
            enabled: true,
            severity: Severity::High,
        }
    }
}

/// Sales below the floor price in force ([`crate::master::PriceList::lookup`]). Lines without a
/// price rule in force are not judged. One finding per seller, territory and window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BelowFloorRule {
    /// Run the detector (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Severity of a finding (default `medium`).
    #[serde(default = "medium")]
    pub severity: Severity,
    /// A unit price counts as below the floor only when `price < floor − tolerance` (major
    /// units, default 0).
    #[serde(default)]
    pub tolerance: Decimal,
}

impl Default for BelowFloorRule {
    fn default() -> Self {
        BelowFloorRule {
            enabled: true,
            severity: Severity::Medium,
            tolerance: Decimal::ZERO,
        }
    }
}

/// Promotion depth: the discount of a sale line off the unified retail price in force,
/// `1 − unit price / retail price`, must not exceed the allowed maximum — the channel's, or
/// the default — unless an approved promotion covers the line and allows it. One finding per
/// seller, territory and window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PromotionRule {
    /// Run the detector (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Severity of a finding (default `low`).
    #[serde(default = "low")]
    pub severity: Severity,
    /// The deepest discount allowed without a promotion (default `0.3`).
    #[serde(default = "default_max_discount")]
    pub max_discount: Decimal,
    /// Channel-specific maxima, replacing the default for that channel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<ChannelDiscount>,
    /// Approved promotions (促销审批).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub promotions: Vec<Promotion>,
}

fn default_max_discount() -> Decimal {
    Decimal::new(3, 1)
}

impl Default for PromotionRule {
    fn default() -> Self {
        PromotionRule {
            enabled: true,
            severity: Severity::Low,
            max_discount: default_max_discount(),
            channels: Vec::new(),
            promotions: Vec::new(),
        }
    }
}

/// A channel's own discount maximum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelDiscount {
    /// Channel id.
    pub channel: String,
    /// The deepest discount allowed on it without a promotion.
    pub max_discount: Decimal,
}

/// An approved promotion: within its days and filters, discounts up to `max_discount` are
/// allowed. Empty filters match everything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    /// Promotion id, quoted in findings.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Label>,
    /// First day.
    pub from: Date,
    /// Last day, inclusive.
    pub to: Date,
    /// The deepest discount allowed during the promotion.
    pub max_discount: Decimal,
    /// Products (ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
    /// Categories (ids; a category covers its sub-categories).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Channels (ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    /// Territories (ids; a territory covers those within it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub territories: Vec<String>,
    /// Partners (ids; none listed: every seller, the company's own channels included).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<String>,
}

/// Sustained undercutting: per window, a partner's median price index (unit price over the
/// retail price in force, per sale line) below the median of its peers' medians by more than
/// `gap`. Peers: partners on the same channel at the same depth of the partner tree with at
/// least `min_lines` priced sale lines in the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UndercuttingRule {
    /// Run the detector (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Severity of a finding (default `medium`).
    #[serde(default = "medium")]
    pub severity: Severity,
    /// The window (default `quarter`).
    #[serde(default = "Window::quarter")]
    pub window: Window,
    /// Flag when `median < peer median × (1 − gap)` (default `0.05`).
    #[serde(default = "default_gap")]
    pub gap: Decimal,
    /// Priced sale lines a partner needs in the window to be judged or to count as a peer
    /// (default 30).
    #[serde(default = "default_min_lines")]
    pub min_lines: u32,
    /// Other peers needed to judge a partner (default 3).
    #[serde(default = "default_min_peers")]
    pub min_peers: u32,
}

fn default_gap() -> Decimal {
    Decimal::new(5, 2)
}

fn default_min_lines() -> u32 {
    30
}

fn default_min_peers() -> u32 {
    3
}

impl Default for UndercuttingRule {
    fn default() -> Self {
        UndercuttingRule {
            enabled: true,
            severity: Severity::Medium,
            window: Window::Quarter,
            gap: default_gap(),
            min_lines: default_min_lines(),
            min_peers: default_min_peers(),
        }
    }
}

/// Horizontal conflict over customers: two partners at the same depth of the partner tree
/// and on the same channel whose shared customers in a window make up at least `threshold`
/// of the smaller customer base (and number at least `min_shared`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OverlapRule {
    /// Run the detector (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Severity of a finding (default `low`).
    #[serde(default = "low")]
    pub severity: Severity,
    /// The window (default `quarter`).
    #[serde(default = "Window::quarter")]
    pub window: Window,
    /// Flag when `shared / min(customers of A, customers of B) ≥ threshold` (default `0.3`).
    #[serde(default = "default_overlap")]
    pub threshold: Decimal,
    /// Shared customers needed (default 20).
    #[serde(default = "default_min_shared")]
    pub min_shared: u32,
}

fn default_overlap() -> Decimal {
    Decimal::new(3, 1)
}

fn default_min_shared() -> u32 {
    20
}

impl Default for OverlapRule {
    fn default() -> Self {
        OverlapRule {
            enabled: true,
            severity: Severity::Low,
            window: Window::Quarter,
            threshold: default_overlap(),
            min_shared: default_min_shared(),
        }
    }
}

/// Vertical conflict: sale lines to a customer assigned to a partner, sold by one of that
/// partner's ancestors (or, with `include_company`, by the company's own channels — lines
/// without a partner). One finding per seller, assigned partner and window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerticalRule {
    /// Run the detector (default true; it reports "not run" without assignments).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Severity of a finding (default `medium`).
    #[serde(default = "medium")]
    pub severity: Severity,
    /// Count the company's own sales to assigned customers too (default true).
    #[serde(default = "yes")]
    pub include_company: bool,
}

impl Default for VerticalRule {
    fn default() -> Self {
        VerticalRule {
            enabled: true,
            severity: Severity::Medium,
            include_company: true,
        }
    }
}

/// Multi-channel price conflict: per product, territory (rolled up to `territory_level`) and
/// window, the median unit price of sale lines on online channels below the median on
/// offline channels by more than `tolerance`. One finding per online channel that undercuts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnlineUndercutRule {
    /// Run the detector (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Severity of a finding (default `low`).
    #[serde(default = "low")]
    pub severity: Severity,
    /// The window (default `quarter`).
    #[serde(default = "Window::quarter")]
    pub window: Window,
    /// Flag when `online median < offline median × (1 − tolerance)` (default `0.1`).
    #[serde(default = "default_tolerance")]
    pub tolerance: Decimal,
    /// Territories are compared at this level (default `province`); lines in territories above
    /// it are left out.
    #[serde(default = "default_level")]
    pub territory_level: TerritoryLevel,
    /// Sale lines needed on each side (default 20).
    #[serde(default = "default_min_side")]
    pub min_lines: u32,
}

fn default_tolerance() -> Decimal {
    Decimal::new(1, 1)
}

fn default_level() -> TerritoryLevel {
    TerritoryLevel::Province
}

fn default_min_side() -> u32 {
    20
}

impl Default for OnlineUndercutRule {
    fn default() -> Self {
        OnlineUndercutRule {
            enabled: true,
            severity: Severity::Low,
            window: Window::Quarter,
            tolerance: default_tolerance(),
            territory_level: default_level(),
            min_lines: default_min_side(),
        }
    }
}

/// Channel switching (cannibalisation): among the customers whose first purchase in the data
/// was on channel A and who bought again in the window, the share of their later net revenue
/// that went to channel B ≠ A. Flagged when `share ≥ threshold` and at least `min_customers`
/// such customers bought on B.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchingRule {
    /// Run the detector (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Severity of a finding (default `low`).
    #[serde(default = "low")]
    pub severity: Severity,
    /// The window (default `year`).
    #[serde(default = "Window::year")]
    pub window: Window,
    /// Flag when the share of later revenue going to one other channel reaches this (default
    /// `0.5`).
    #[serde(default = "default_switch")]
    pub threshold: Decimal,
    /// Switching customers needed (default 30).
    #[serde(default = "default_min_customers")]
    pub min_customers: u32,
}

fn default_switch() -> Decimal {
    Decimal::new(5, 1)
}

fn default_min_customers() -> u32 {
    30
}

impl Default for SwitchingRule {
    fn default() -> Self {
        SwitchingRule {
            enabled: true,
            severity: Severity::Low,
            window: Window::Year,
            threshold: default_switch(),
            min_customers: default_min_customers(),
        }
    }
}

/// Inventory imbalance, from the dataset's inventory snapshots: cover days are
/// `on hand / daily sales rate`. On a snapshot day, a partner with more than `backlog_days` of
/// cover of a product, while a peer (a partner with a grant in the same territory at
/// `territory_level`) holds none of it but sells it, gets a transfer suggestion: the units above
/// `target_days` of its own cover, up to what brings the peers to `target_days`. The same
/// backlog threshold tells overstock-driven cross-region selling from the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryRule {
    /// Run the detector (default true; it reports "not run" without snapshots).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Severity of a finding (default `low`).
    #[serde(default = "low")]
    pub severity: Severity,
    /// Cover above this is a backlog (default 60 days).
    #[serde(default = "default_backlog")]
    pub backlog_days: u32,
    /// Cover a transfer aims at on both sides (default 30 days); below `backlog_days`.
    #[serde(default = "default_target")]
    pub target_days: u32,
    /// Peers share a territory at this level (default `region`).
    #[serde(default = "default_region")]
    pub territory_level: TerritoryLevel,
}

fn default_backlog() -> u32 {
    60
}

fn default_target() -> u32 {
    30
}

fn default_region() -> TerritoryLevel {
    TerritoryLevel::Region
}

impl Default for InventoryRule {
    fn default() -> Self {
        InventoryRule {
            enabled: true,
            severity: Severity::Low,
            backlog_days: default_backlog(),
            target_days: default_target(),
            territory_level: default_region(),
        }
    }
}

impl Default for ConflictPolicy {
    /// Every detector with its defaults.
    fn default() -> Self {
        ConflictPolicy {
            schema_version: SCHEMA_VERSION,
            id: "default".into(),
            name: None,
            window: Window::Month,
            evidence_limit: default_evidence_limit(),
            escalation: default_escalation(),
            cross_region: CrossRegionRule::default(),
            diverted_goods: DivertedGoodsRule::default(),
            below_floor: BelowFloorRule::default(),
            promotion_depth: PromotionRule::default(),
            undercutting: UndercuttingRule::default(),
            customer_overlap: OverlapRule::default(),
            vertical: VerticalRule::default(),
            online_undercut: OnlineUndercutRule::default(),
            channel_switching: SwitchingRule::default(),
            inventory: InventoryRule::default(),
        }
    }
}

const SAMPLE: &str = include_str!("../../conflict/sample-policy.toml");

impl ConflictPolicy {
    /// The sample company's policy (`crates/qudao/conflict/sample-policy.toml`), for the demo
    /// and the docs.
    pub fn sample_company() -> ConflictPolicy {
        ConflictPolicy::from_toml(SAMPLE).unwrap_or_default()
    }

    /// Whether a detector is enabled.
    pub fn enabled(&self, d: super::Detector) -> bool {
        use super::Detector as D;
        match d {
            D::CrossRegion => self.cross_region.enabled,
            D::DivertedGoods => self.diverted_goods.enabled,
            D::BelowFloor => self.below_floor.enabled,
            D::PromotionDepth => self.promotion_depth.enabled,
            D::Undercutting => self.undercutting.enabled,
            D::CustomerOverlap => self.customer_overlap.enabled,
            D::Vertical => self.vertical.enabled,
            D::OnlineUndercut => self.online_undercut.enabled,
            D::ChannelSwitching => self.channel_switching.enabled,
            D::Inventory => self.inventory.enabled,
        }
    }

    /// The severity configured for a detector (before escalation).
    pub fn severity(&self, d: super::Detector) -> Severity {
        use super::Detector as D;
        match d {
            D::CrossRegion => self.cross_region.severity,
            D::DivertedGoods => self.diverted_goods.severity,
            D::BelowFloor => self.below_floor.severity,
            D::PromotionDepth => self.promotion_depth.severity,
            D::Undercutting => self.undercutting.severity,
            D::CustomerOverlap => self.customer_overlap.severity,
            D::Vertical => self.vertical.severity,
            D::OnlineUndercut => self.online_undercut.severity,
            D::ChannelSwitching => self.channel_switching.severity,
            D::Inventory => self.inventory.severity,
        }
    }

    /// The resolution the escalation ladder gives after `repeats` earlier windows, one step
    /// further for high and critical findings.
    pub fn escalate(&self, repeats: u32, severity: Severity) -> Resolution {
        let mut i = self
            .escalation
            .iter()
            .rposition(|s| s.after <= repeats)
            .unwrap_or(0);
        if severity >= Severity::High && i + 1 < self.escalation.len() {
            i += 1;
        }
        self.escalation
            .get(i)
            .map_or(Resolution::Warn, |s| s.resolution)
    }
}

fn ratio(path: &str, v: Decimal, open_zero: bool) -> Result<()> {
    if v < Decimal::ZERO || v > Decimal::ONE || (open_zero && v.is_zero()) {
        let range = if open_zero { "(0, 1]" } else { "[0, 1]" };
        return Err(Error::document(
            path,
            format!("{v} is not a ratio in {range} (\"0.05\" is 5 %)"),
        ));
    }
    Ok(())
}

fn not_empty(path: &str, v: &str) -> Result<()> {
    if v.trim().is_empty() {
        return Err(Error::document(path, "must not be empty"));
    }
    Ok(())
}

impl RuleDocument for ConflictPolicy {
    const KIND: &'static str = "conflict policy";

    fn schema_version(&self) -> u32 {
        self.schema_version
    }

    fn validate(&self) -> Result<()> {
        not_empty("id", &self.id)?;
        if self.evidence_limit > 10_000 {
            return Err(Error::document(
                "evidence_limit",
                format!("{} is more than 10000", self.evidence_limit),
            ));
        }
        if self.escalation.is_empty() {
            return Err(Error::document(
                "escalation",
                "needs at least one step (e.g. { after = 0, resolution = \"warn\" })",
            ));
        }
        for (i, s) in self.escalation.iter().enumerate() {
            let path = format!("escalation[{i}]");
            if i == 0 && s.after != 0 {
                return Err(Error::document(
                    format!("{path}.after"),
                    "the first step must start at 0",
                ));
            }
            if i > 0 && s.after <= self.escalation[i - 1].after {
                return Err(Error::document(
                    format!("{path}.after"),
                    format!(
                        "{} does not follow {}: steps go up strictly",
                        s.after,
                        self.escalation[i - 1].after
                    ),
                ));
            }
            if matches!(s.resolution, Resolution::Review | Resolution::Transfer) {
                return Err(Error::document(
                    format!("{path}.resolution"),
                    "must be warn, deduct_rebate, suspend or terminate",
                ));
            }
        }
        if self.below_floor.tolerance < Decimal::ZERO {
            return Err(Error::document(
                "below_floor.tolerance",
                format!("{} is negative", self.below_floor.tolerance),
            ));
        }
        let p = &self.promotion_depth;
        ratio("promotion_depth.max_discount", p.max_discount, false)?;
        for (i, c) in p.channels.iter().enumerate() {
            not_empty(
                &format!("promotion_depth.channels[{i}].channel"),
                &c.channel,
            )?;
            ratio(
                &format!("promotion_depth.channels[{i}].max_discount"),
                c.max_discount,
                false,
            )?;
            if p.channels[..i].iter().any(|o| o.channel == c.channel) {
                return Err(Error::document(
                    format!("promotion_depth.channels[{i}].channel"),
                    format!("channel {} is listed twice", c.channel),
                ));
            }
        }
        for (i, pr) in p.promotions.iter().enumerate() {
            let path = format!("promotion_depth.promotions[{i}]");
            not_empty(&format!("{path}.id"), &pr.id)?;
            if p.promotions[..i].iter().any(|o| o.id == pr.id) {
                return Err(Error::document(
                    format!("{path}.id"),
                    format!("promotion id {} is used twice", pr.id),
                ));
            }
            if pr.to < pr.from {
                return Err(Error::document(
                    format!("{path}.to"),
                    format!("{} is before from ({})", pr.to, pr.from),
                ));
            }
            ratio(&format!("{path}.max_discount"), pr.max_discount, false)?;
        }
        let u = &self.undercutting;
        ratio("undercutting.gap", u.gap, true)?;
        if u.min_lines == 0 {
            return Err(Error::document(
                "undercutting.min_lines",
                "must be at least 1",
            ));
        }
        if u.min_peers == 0 {
            return Err(Error::document(
                "undercutting.min_peers",
                "must be at least 1",
            ));
        }
        let o = &self.customer_overlap;
        ratio("customer_overlap.threshold", o.threshold, true)?;
        if o.min_shared == 0 {
            return Err(Error::document(
                "customer_overlap.min_shared",
                "must be at least 1",
            ));
        }
        let m = &self.online_undercut;
        ratio("online_undercut.tolerance", m.tolerance, false)?;
        if m.min_lines == 0 {
            return Err(Error::document(
                "online_undercut.min_lines",
                "must be at least 1",
            ));
        }
        let s = &self.channel_switching;
        ratio("channel_switching.threshold", s.threshold, true)?;
        if s.min_customers == 0 {
            return Err(Error::document(
                "channel_switching.min_customers",
                "must be at least 1",
            ));
        }
        let inv = &self.inventory;
        if inv.target_days == 0 {
            return Err(Error::document(
                "inventory.target_days",
                "must be at least 1",
            ));
        }
        if inv.backlog_days <= inv.target_days {
            return Err(Error::document(
                "inventory.backlog_days",
                format!(
                    "{} must be above target_days ({})",
                    inv.backlog_days, inv.target_days
                ),
            ));
        }
        Ok(())
    }
}

/// Is `day` within the inclusive range of a promotion?
pub(crate) fn within(p: &Promotion, day: Date) -> bool {
    p.from <= day && day <= p.to
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_policy_parses() {
        let p = ConflictPolicy::from_toml(SAMPLE).expect("sample parses");
        assert_eq!(p.id, "minghe-conflict");
        assert_eq!(ConflictPolicy::sample_company(), p);
    }

    #[test]
    fn windows_hold_their_day() {
        let d = Date::from_ymd(2025, 8, 17).expect("date");
        assert_eq!(Window::Month.of(d).to_string(), "2025-08");
        assert_eq!(Window::Quarter.of(d).to_string(), "2025-Q3");
        assert_eq!(Window::HalfYear.of(d).to_string(), "2025-H2");
        assert_eq!(Window::Year.of(d).to_string(), "2025");
    }

    #[test]
    fn window_of_is_a_calendar_period() {
        let d = Date::from_ymd(2024, 12, 31).expect("date");
        let p: Period = Window::Quarter.of(d);
        assert!(p.contains(d));
        assert_eq!(p.days(), 92);
    }

    #[test]
    fn escalation_follows_the_ladder() {
        let p = ConflictPolicy::default();
        assert_eq!(p.escalate(0, Severity::Medium), Resolution::Warn);
        assert_eq!(p.escalate(1, Severity::Medium), Resolution::DeductRebate);
        assert_eq!(p.escalate(2, Severity::Medium), Resolution::DeductRebate);
        assert_eq!(p.escalate(0, Severity::High), Resolution::DeductRebate);
        assert_eq!(p.escalate(4, Severity::Low), Resolution::Suspend);
        assert_eq!(p.escalate(9, Severity::Critical), Resolution::Terminate);
    }

    #[test]
    fn bad_documents_name_the_field() {
        let cases = [
            (
                "schema_version = 1\nid = \"x\"\n[undercutting]\ngap = \"1.5\"",
                "undercutting.gap",
            ),
            (
                "schema_version = 1\nid = \"x\"\n[inventory]\nbacklog_days = 20",
                "inventory.backlog_days",
            ),
            (
                "schema_version = 1\nid = \"x\"\n[[promotion_depth.promotions]]\nid = \"p\"\nfrom = \"2025-02-01\"\nto = \"2025-01-01\"\nmax_discount = \"0.4\"",
                "promotion_depth.promotions[0].to",
            ),
            (
                "schema_version = 1\nid = \"x\"\nescalation = [{ after = 1, resolution = \"warn\" }]",
                "escalation[0].after",
            ),
            (
                "schema_version = 1\nid = \"x\"\nescalation = [{ after = 0, resolution = \"transfer\" }]",
                "escalation[0].resolution",
            ),
            ("schema_version = 1\nid = \" \"", "id"),
            ("schema_version = 2\nid = \"x\"", "schema_version"),
            (
                "schema_version = 1\nid = \"x\"\n[cross_region]\nseverity = \"huge\"",
                "cross_region.severity",
            ),
        ];
        for (text, path) in cases {
            let e = ConflictPolicy::from_toml(text).expect_err(text).to_string();
            assert!(e.contains(path), "{text}: {e} does not name {path}");
        }
    }
}
