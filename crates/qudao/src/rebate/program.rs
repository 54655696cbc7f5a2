//! The program book document: rebate and incentive programs as data, validated with field
//! paths, with warnings for tables that are legal but probably not what was meant.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::document::{Label, RuleDocument, SCHEMA_VERSION};
use crate::error::{Error, Result};
use crate::model::CooperationModel;

use super::round::RoundingMode;

/// Most programs one book may hold (program masks are bitsets).
pub const MAX_PROGRAMS: usize = 4096;

/// Most bands a tier table or growth table may have.
pub const MAX_BANDS: usize = 64;

/// A book of rebate and incentive programs (返利与激励方案): every program of one company in one
/// currency, with the stacking groups that say how programs combine.
///
/// Money in the book (tier bounds on money measures, fixed amounts, caps) is written in
/// **major units** as exact decimals (`"1000000"` is ¥1,000,000.00); rates are decimals
/// (`"0.02"` is 2 %). Quantities are units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "rebate program book",
    description = "Rebate and incentive programs (返利与激励方案) of the qudao library: who takes part, which business counts, the calculation shape, caps, penalties, rounding and how programs stack."
)]
pub struct ProgramBook {
    /// Document schema version; this library reads 1.
    pub schema_version: u32,
    /// Book id.
    pub id: String,
    /// ISO 4217 code of every amount in the book; must be the data's currency.
    pub currency: String,
    /// Stacking groups. A program outside any group is simply added.
    #[serde(default)]
    pub groups: Vec<StackingGroup>,
    /// The programs.
    pub programs: Vec<Program>,
}

/// A stacking group: programs that compete or combine for the same beneficiary and period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StackingGroup {
    /// Group id, referenced by [`Program::group`].
    pub id: String,
    /// How the group's programs combine.
    pub combine: Combine,
}

/// How the programs of a group combine. Programs are always taken in the total order
/// (priority descending, then id ascending), so no runtime tie is left to chance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// Only the program paying the most is paid; equal amounts go to the first in order.
    ExclusiveBest,
    /// Only the first program in order that pays anything is paid.
    ExclusiveByPriority,
    /// Every program is paid.
    Additive,
    /// Every program is paid, each computed on the base less the rebates of the programs
    /// before it (money measures only).
    Compounding,
}

/// One program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// Program id, unique in the book.
    pub id: String,
    /// Display name.
    pub name: Label,
    /// First day the program counts business (the first of a month).
    pub valid_from: Date,
    /// Last day the program counts business (the last of a month).
    pub valid_to: Date,
    /// Who is paid: partners (default) or customers.
    #[serde(default)]
    pub beneficiary: Beneficiary,
    /// Calculation periods and partial settlements.
    pub calendar: Calendar,
    /// Who takes part.
    #[serde(default)]
    pub participants: Participants,
    /// Which business counts.
    #[serde(default)]
    pub selection: Selection,
    /// What is measured.
    pub measure: VolumeMeasure,
    /// How the rebate is computed from the measured volume.
    #[serde(deserialize_with = "shape_with_path")]
    pub shape: Shape,
    /// Conditions that must hold for anything to be paid.
    #[serde(default)]
    pub gates: Gates,
    /// Caps and floors.
    #[serde(default)]
    pub limits: Vec<Limit>,
    /// Deductions triggered by findings (e.g. cross-region selling).
    #[serde(default)]
    pub penalties: Vec<Penalty>,
    /// How and where amounts are rounded.
    pub rounding: RoundingRule,
    /// How returns after the period are treated.
    #[serde(default)]
    pub returns: ReturnsRule,
    /// Stacking group id, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Priority in the group: higher comes first.
    #[serde(default)]
    pub priority: i32,
    /// Pay money (default) or member points.
    #[serde(default)]
    pub payout: Payout,
}

/// Who a program pays.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Beneficiary {
    /// Channel partners: volume is the partner's own lines (or its tree's).
    #[default]
    Partner,
    /// Customers: volume is the customer's purchases through any partner or channel.
    Customer,
}

/// What a program pays out.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Payout {
    /// Money in the book's currency.
    #[default]
    Money,
    /// Member points (customer programs): rates are points per major currency unit or per
    /// unit; fixed amounts are points. See [`super::Settlement::points_awards`].
    Points,
}

/// A calendar period length. Periods are calendar-aligned (quarters start in January, April,
/// July, October) and clipped to the program's validity.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PeriodLength {
    /// A calendar month.
    Month,
    /// A calendar quarter.
    Quarter,
    /// A calendar half-year.
    HalfYear,
    /// A calendar year.
    Year,
    /// The whole validity as one period.
    Program,
}

impl PeriodLength {
    /// Months per period (`None` for [`PeriodLength::Program`]).
    pub fn months(self) -> Option<i32> {
        match self {
            PeriodLength::Month => Some(1),
            PeriodLength::Quarter => Some(3),
            PeriodLength::HalfYear => Some(6),
            PeriodLength::Year => Some(12),
            PeriodLength::Program => None,
        }
    }
}

/// When volume is evaluated and when money is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    /// The calculation period: the shape is evaluated on each period's volume, and the
    /// period's last day is its final settlement.
    pub period: PeriodLength,
    /// Partial settlements inside a period (e.g. monthly inside a year): each pays what is due
    /// so far; the final settlement trues up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial: Option<PeriodLength>,
}

/// How an enrolled partner's volume is counted, for partner trees.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TreeVolume {
    /// The partner's own lines only.
    #[default]
    Own,
    /// The partner's lines and those of every partner below it (a general agent's program
    /// over its whole network).
    WithDescendants,
}

/// Who is paid when volume is pooled over a partner tree.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PayTo {
    /// The enrolled partner gets the whole rebate.
    #[default]
    Enrolled,
    /// The rebate, computed on the pooled volume, is split among the partners whose lines
    /// made it, in proportion to their volume (largest remainder, ties by partner id).
    Contributors,
}

/// Who takes part. Every criterion given must hold (AND); within a list any entry may match
/// (OR). Give at least one criterion, or `everyone = true`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Participants {
    /// Enrol every partner (or every customer, for customer programs).
    #[serde(default)]
    pub everyone: bool,
    /// Partner ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<String>,
    /// Partner grades (free text, as in the master data).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grades: Vec<String>,
    /// Cooperation models.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<CooperationModel>,
    /// Territories: the partner holds a grant inside one of these (hierarchy-aware).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub territories: Vec<String>,
    /// Channels: the partner's channel is one of these or below one (hierarchy-aware).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    /// Partner trees: partners strictly below one of these partners.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub under: Vec<String>,
    /// Member tiers (customer programs), as in the customers' `member_tier`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub member_tiers: Vec<String>,
    /// Own lines, or the partner's whole tree.
    #[serde(default)]
    pub volume: TreeVolume,
    /// With a pooled tree volume: who is paid.
    #[serde(default)]
    pub pay_to: PayTo,
}

/// An include/exclude list. An empty `include` includes everything; `exclude` wins.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Ids to include (with everything below them, for trees).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Ids to exclude (with everything below them, for trees).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

impl Filter {
    /// Whether the filter selects everything.
    pub fn is_open(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }
}

/// Which business volume counts (业务量口径).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    /// Products by id.
    #[serde(default)]
    pub products: Filter,
    /// Products by category (category tree).
    #[serde(default)]
    pub categories: Filter,
    /// Lines by channel (channel tree).
    #[serde(default)]
    pub channels: Filter,
    /// Lines by the territory they were sold in (territory tree).
    #[serde(default)]
    pub territories: Filter,
    /// Lines by the customer's segment, as assigned by the caller
    /// ([`super::Inputs::segments`], e.g. RFM segments).
    #[serde(default)]
    pub customer_segments: Filter,
}

/// What is measured. Returns always net the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VolumeMeasure {
    /// Sales amount minus returned amount.
    NetRevenue,
    /// Sales amount; returns are not subtracted.
    GrossRevenue,
    /// Units sold minus units returned.
    Quantity,
    /// Net revenue minus net cost; lines without a cost make the margin unknown.
    Margin,
}

impl VolumeMeasure {
    /// Whether the measure is money (bounds in major units) rather than units.
    pub fn is_money(self) -> bool {
        !matches!(self, VolumeMeasure::Quantity)
    }

    /// The spelling in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            VolumeMeasure::NetRevenue => "net_revenue",
            VolumeMeasure::GrossRevenue => "gross_revenue",
            VolumeMeasure::Quantity => "quantity",
            VolumeMeasure::Margin => "margin",
        }
    }
}

/// A band of a tier table: volume in `[from, to)`; the last band may leave `to` open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// Lower bound, included.
    pub from: Decimal,
    /// Upper bound, excluded; only the last band may omit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Decimal>,
    /// Rate of the band.
    pub rate: Decimal,
}

/// A point of an interpolated rate curve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CurvePoint {
    /// Volume.
    pub volume: Decimal,
    /// Rate at that volume.
    pub rate: Decimal,
}

/// One target level: attainment from which it pays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetLevel {
    /// Attainment (volume ÷ target) from which the level pays, compared with `≥`: `1` is
    /// 100 %.
    pub attainment: Decimal,
    /// Rate on the whole volume, or …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Decimal>,
    /// … a fixed bonus (major units).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
}

/// The baseline of a growth rebate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Baseline {
    /// The period of the same length just before.
    PreviousPeriod,
    /// The same months one year earlier.
    SamePeriodLastYear,
}

/// How growth is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrowthMeasure {
    /// Volume − adjusted baseline, in volume units.
    Absolute,
    /// (Volume − adjusted baseline) ÷ adjusted baseline: `0.1` is 10 %.
    Percent,
}

/// What a growth rebate's rate applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrowthBase {
    /// The volume above the adjusted baseline.
    Increment,
    /// The whole volume of the period.
    Whole,
}

/// How a rebate is computed from the period's volume `V` (the measure over the selection).
/// Each formula is exact in decimals; rounding follows [`RoundingRule`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Shape {
    /// `V × rate`.
    FlatRate {
        /// Rate.
        rate: Decimal,
    },
    /// `amount`, when `V > 0` and the gates hold.
    FixedAmount {
        /// Amount (major units, or points).
        amount: Decimal,
    },
    /// `units × amount`; the measure must be `quantity`.
    PerUnit {
        /// Amount per net unit (major units, or points).
        amount: Decimal,
    },
    /// All-units tiers: `V × rate(k)` where band `k` holds `V`, retroactive to the first unit
    /// of the period. Below the first band: nothing.
    AllUnits {
        /// Bands `[from, to)`, contiguous, ascending.
        tiers: Vec<Band>,
    },
    /// Marginal tiers: `Σₖ rate(k) × (min(V, to(k)) − from(k))⁺`, each band at its own rate.
    Marginal {
        /// Bands `[from, to)`, contiguous, ascending.
        tiers: Vec<Band>,
    },
    /// Interpolated: `V × r(V)` where `r` is linear between the points; nothing below the
    /// first point, the last rate above the last.
    Interpolated {
        /// Points, volumes strictly ascending.
        points: Vec<CurvePoint>,
    },
    /// Target attainment: `a = V ÷ target`; the highest level with `a ≥ attainment` pays
    /// `V × rate` or its fixed amount. With `missed_charge`, missing every level at the final
    /// settlement charges that amount.
    Target {
        /// The target per period (major units or units); without it, the partner's targets
        /// from the data set (summed over the period's months, measure revenue or units).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<Decimal>,
        /// Levels, attainment strictly ascending.
        levels: Vec<TargetLevel>,
        /// Charged (as a negative amount) when the final attainment misses every level.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        missed_charge: Option<Decimal>,
    },
    /// Growth over a baseline: `B = baseline × baseline_factor`; growth `g = V − B`
    /// (absolute) or `(V − B) ÷ B` (percent); the band of `g` gives the rate, applied to
    /// `V − B` (increment) or to `V` (whole). A zero baseline gives no percent growth.
    Growth {
        /// Which earlier period is the baseline.
        baseline: Baseline,
        /// Multiplier of the baseline (e.g. `1.05` after a 5 % price increase); default 1.
        #[serde(default = "one")]
        baseline_factor: Decimal,
        /// Absolute or percent growth.
        growth: GrowthMeasure,
        /// What the rate applies to.
        on: GrowthBase,
        /// Bands of growth `[from, to)` with their rates.
        tiers: Vec<Band>,
    },
    /// Referral reward (customer programs): for each referral given to the run
    /// ([`super::Referral`]), when the referred customer's volume within `within_days` days
    /// from the referral day (inclusive) reaches `min_volume`, the referrer gets `referrer` and
    /// the referred customer gets `referred`, in the period where the window ends.
    Referral {
        /// Reward of the referrer (major units or points).
        referrer: Decimal,
        /// Reward of the new customer (major units or points).
        referred: Decimal,
        /// Volume the referred customer must reach in the window.
        min_volume: Decimal,
        /// Window length in days (1..=366).
        within_days: u32,
    },
}

fn one() -> Decimal {
    Decimal::ONE
}

/// Fields of a shape that hold numbers.
const NUMERIC: &[&str] = &[
    "rate",
    "from",
    "to",
    "amount",
    "attainment",
    "volume",
    "target",
    "baseline_factor",
    "missed_charge",
    "referrer",
    "referred",
    "min_volume",
];

/// The first numeric field of a shape that is not a number: (path inside the shape, value).
fn non_number(v: &serde_json::Value, path: &str) -> Option<(String, String)> {
    use serde_json::Value;
    match v {
        Value::Object(m) => m.iter().find_map(|(k, x)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if NUMERIC.contains(&k.as_str()) {
                match x {
                    Value::Number(_) | Value::Null => None,
                    Value::String(t) if t.trim().parse::<Decimal>().is_ok() => None,
                    other => Some((p, other.to_string())),
                }
            } else {
                non_number(x, &p)
            }
        }),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, x)| non_number(x, &format!("{path}[{i}]"))),
        _ => None,
    }
}

/// Deserialize a shape so that a rate or bound that is not a number is reported at its own
/// field path (`shape.tiers[1].rate`), which a tagged enum alone cannot do.
fn shape_with_path<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Shape, D::Error> {
    use serde::de::Error as _;
    let v = serde_json::Value::deserialize(d)?;
    if let Some((path, shown)) = non_number(&v, "") {
        return Err(D::Error::custom(format!(
            "{}{path}{}{shown} is not a number",
            crate::document::SUBPATH,
            crate::document::SUBPATH
        )));
    }
    serde_json::from_value(v).map_err(D::Error::custom)
}

impl Shape {
    /// The shape's name as written in documents.
    pub fn kind(&self) -> &'static str {
        match self {
            Shape::FlatRate { .. } => "flat_rate",
            Shape::FixedAmount { .. } => "fixed_amount",
            Shape::PerUnit { .. } => "per_unit",
            Shape::AllUnits { .. } => "all_units",
            Shape::Marginal { .. } => "marginal",
            Shape::Interpolated { .. } => "interpolated",
            Shape::Target { .. } => "target",
            Shape::Growth { .. } => "growth",
            Shape::Referral { .. } => "referral",
        }
    }

    /// The rates a line-rounded program accumulates per line, when the shape is linear in the
    /// lines once the rate is known (`None` for shapes that cannot be rounded per line).
    pub fn line_rates(&self) -> Option<Vec<Decimal>> {
        match self {
            Shape::FlatRate { rate } => Some(vec![*rate]),
            Shape::PerUnit { amount } => Some(vec![*amount]),
            Shape::AllUnits { tiers } => Some(tiers.iter().map(|b| b.rate).collect()),
            Shape::Target { levels, .. } if levels.iter().all(|l| l.amount.is_none()) => {
                Some(levels.iter().filter_map(|l| l.rate).collect())
            }
            _ => None,
        }
    }
}

/// A product-mix gate: the beneficiary must buy from at least `at_least` of `categories`
/// (positive net volume in the category, or below it, within the selection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MixGate {
    /// Category ids (at most 64).
    pub categories: Vec<String>,
    /// How many must be bought from.
    pub at_least: u32,
}

/// Conditions for any payment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gates {
    /// Minimum period volume (`V ≥ min_volume`), major units or units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_volume: Option<Decimal>,
    /// Product mix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mix: Option<MixGate>,
}

/// What a cap or floor bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LimitScope {
    /// Each transaction line's rebate (rounding point `line` only).
    Line,
    /// Each settlement's payment.
    Settlement,
    /// Each period's rebate.
    Period,
    /// The beneficiary's total over the whole program.
    Program,
}

/// A cap (`max`) and/or floor (`min`) in major units (or points). A floor only lifts an
/// amount that is already positive: it guarantees a minimum to whoever qualifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// What is bounded.
    pub scope: LimitScope,
    /// Cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Decimal>,
    /// Floor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Decimal>,
}

/// A deduction triggered by findings (from conflict detection or the host) against the
/// beneficiary or, for pooled programs, any contributor, dated inside the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Penalty {
    /// Penalty id, for statements.
    pub id: String,
    /// Finding kinds that trigger it (e.g. `cross_region`, `below_floor`).
    pub on: Vec<String>,
    /// Amount deducted per finding (major units).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_violation: Option<Decimal>,
    /// Share of the period's rebate deducted when any finding applies (`0.2` is 20 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<Decimal>,
    /// Any finding voids the period's rebate.
    #[serde(default)]
    pub lose_eligibility: bool,
}

/// Where rounding happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundingPoint {
    /// Each line's rebate is rounded, then summed (flat rate, per unit, all-units and
    /// rate-only target shapes: the rate is known once the period's tier is).
    Line,
    /// Each settlement's payment is rounded: `round(E(tₖ) − E(tₖ₋₁))` of the exact
    /// cumulative entitlement `E`.
    Settlement,
    /// The period's cumulative entitlement is rounded: each settlement pays
    /// `round(E(tₖ)) − paid`, so the payments add up to `round(E(final))`.
    Period,
}

/// Rounding: mode and point, always stated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundingRule {
    /// Mode (every mode is symmetric in sign, so a return rounds like its sale).
    pub mode: RoundingMode,
    /// Point.
    pub point: RoundingPoint,
}

/// Returns arriving after the period of their sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnsRule {
    /// A return dated after the end of the period of its original sale, and no more than
    /// this many days after it, is clawed back from that period (a delta on its settlement);
    /// later returns net the period they are dated in. Default 90.
    pub clawback_days: u32,
}

impl Default for ReturnsRule {
    fn default() -> Self {
        ReturnsRule { clawback_days: 90 }
    }
}

/// Something legal but probably unintended in a book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Field path.
    pub path: String,
    /// What looks wrong.
    pub message: String,
}

fn nonempty(path: &str, text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Error::document(path, "must not be empty"));
    }
    Ok(())
}

fn non_negative(path: &str, v: Decimal) -> Result<()> {
    if v.is_sign_negative() && !v.is_zero() {
        return Err(Error::document(path, format!("{v} is negative")));
    }
    Ok(())
}

fn rate(path: &str, v: Decimal) -> Result<()> {
    non_negative(path, v)?;
    if v > Decimal::from(1000) {
        return Err(Error::document(
            path,
            format!("{v} is not a plausible rate (more than 1000)"),
        ));
    }
    Ok(())
}

fn unique_ids<'a>(path: &str, ids: impl Iterator<Item = &'a String>) -> Result<()> {
    let mut seen: Vec<&str> = Vec::new();
    for (i, id) in ids.enumerate() {
        nonempty(&format!("{path}[{i}]"), id)?;
        if let Some(j) = seen.iter().position(|s| *s == id) {
            return Err(Error::document(
                format!("{path}[{i}]"),
                format!("{id:?} is also at {path}[{j}]"),
            ));
        }
        seen.push(id);
    }
    Ok(())
}

/// Check a band table: contiguous half-open bands `[from, to)` from a non-negative start.
fn bands(path: &str, tiers: &[Band], allow_negative: bool) -> Result<()> {
    if tiers.is_empty() {
        return Err(Error::document(path, "give at least one band"));
    }
    if tiers.len() > MAX_BANDS {
        return Err(Error::document(
            path,
            format!("{} bands; at most {MAX_BANDS}", tiers.len()),
        ));
    }
    for (i, b) in tiers.iter().enumerate() {
        let p = format!("{path}[{i}]");
        if !allow_negative {
            non_negative(&format!("{p}.from"), b.from)?;
        }
        rate(&format!("{p}.rate"), b.rate)?;
        match b.to {
            Some(to) if to <= b.from => {
                return Err(Error::document(
                    format!("{p}.to"),
                    format!("{to} is not above `from` {}; bands are [from, to)", b.from),
                ));
            }
            None if i + 1 < tiers.len() => {
                return Err(Error::document(
                    format!("{p}.to"),
                    "only the last band may be open-ended",
                ));
            }
            _ => {}
        }
        if i > 0 {
            let prev_to = tiers[i - 1].to.unwrap_or(b.from);
            if b.from > prev_to {
                return Err(Error::document(
                    format!("{p}.from"),
                    format!(
                        "{} leaves a gap after {path}[{}] which ends at {prev_to}; bands are half-open [from, to), so this band should start at {prev_to}",
                        b.from,
                        i - 1
                    ),
                ));
            }
            if b.from < prev_to {
                return Err(Error::document(
                    format!("{p}.from"),
                    format!(
                        "{} overlaps {path}[{}] which runs to {prev_to}; bands are half-open [from, to), so this band should start at {prev_to}",
                        b.from,
                        i - 1
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn band_warnings(path: &str, tiers: &[Band], out: &mut Vec<Warning>) {
    for i in 1..tiers.len() {
        if tiers[i].rate < tiers[i - 1].rate {
            out.push(Warning {
                path: format!("{path}[{i}].rate"),
                message: format!(
                    "rate {} is below the previous band's {}: rates are not monotone, so more volume can pay less",
                    tiers[i].rate,
                    tiers[i - 1].rate
                ),
            });
        }
    }
    if let Some(last) = tiers.last()
        && let Some(to) = last.to
    {
        out.push(Warning {
            path: format!("{path}[{}].to", tiers.len() - 1),
            message: format!(
                "the last band ends at {to}: volume at or above it falls off a cliff and earns nothing; leave `to` out to keep the last rate"
            ),
        });
    }
}

impl Program {
    fn validate_at(&self, p: &str, book: &ProgramBook) -> Result<()> {
        nonempty(&format!("{p}.id"), &self.id)?;
        self.name.validate(&format!("{p}.name"))?;
        let (_, _, d) = self.valid_from.ymd();
        if d != 1 {
            return Err(Error::document(
                format!("{p}.valid_from"),
                format!(
                    "{} is not the first day of a month; programs count whole months",
                    self.valid_from
                ),
            ));
        }
        if self.valid_to.add_days(1).ymd().2 != 1 {
            return Err(Error::document(
                format!("{p}.valid_to"),
                format!(
                    "{} is not the last day of a month; programs count whole months",
                    self.valid_to
                ),
            ));
        }
        if self.valid_to < self.valid_from {
            return Err(Error::document(
                format!("{p}.valid_to"),
                format!("{} is before valid_from {}", self.valid_to, self.valid_from),
            ));
        }
        if let Some(partial) = self.calendar.partial {
            let ok = match (partial.months(), self.calendar.period.months()) {
                (Some(a), Some(b)) => a < b && b % a == 0,
                (Some(_), None) => true,
                _ => false,
            };
            if !ok {
                return Err(Error::document(
                    format!("{p}.calendar.partial"),
                    format!(
                        "{:?} does not divide the {:?} period into shorter settlements",
                        partial, self.calendar.period
                    ),
                ));
            }
        }
        let pa = &self.participants;
        match self.beneficiary {
            Beneficiary::Partner => {
                let any = pa.everyone
                    || !pa.partners.is_empty()
                    || !pa.grades.is_empty()
                    || !pa.models.is_empty()
                    || !pa.territories.is_empty()
                    || !pa.channels.is_empty()
                    || !pa.under.is_empty();
                if !any {
                    return Err(Error::document(
                        format!("{p}.participants"),
                        "name at least one criterion (partners, grades, models, territories, channels, under) or set everyone = true",
                    ));
                }
                if !pa.member_tiers.is_empty() {
                    return Err(Error::document(
                        format!("{p}.participants.member_tiers"),
                        "member tiers select customers; this program pays partners",
                    ));
                }
                if pa.pay_to == PayTo::Contributors && pa.volume != TreeVolume::WithDescendants {
                    return Err(Error::document(
                        format!("{p}.participants.pay_to"),
                        "paying contributors needs volume = \"with_descendants\"",
                    ));
                }
            }
            Beneficiary::Customer => {
                if !pa.everyone && pa.member_tiers.is_empty() {
                    return Err(Error::document(
                        format!("{p}.participants"),
                        "a customer program needs member_tiers or everyone = true",
                    ));
                }
                let partner_only = !pa.partners.is_empty()
                    || !pa.grades.is_empty()
                    || !pa.models.is_empty()
                    || !pa.territories.is_empty()
                    || !pa.channels.is_empty()
                    || !pa.under.is_empty()
                    || pa.volume != TreeVolume::Own
                    || pa.pay_to != PayTo::Enrolled;
                if partner_only {
                    return Err(Error::document(
                        format!("{p}.participants"),
                        "partner criteria do not apply to a customer program; select business with `selection` instead",
                    ));
                }
                if matches!(self.shape, Shape::Target { target: None, .. }) {
                    return Err(Error::document(
                        format!("{p}.shape.target"),
                        "customers have no targets in the data; give the target",
                    ));
                }
            }
        }
        if self.payout == Payout::Points && self.beneficiary != Beneficiary::Customer {
            return Err(Error::document(
                format!("{p}.payout"),
                "points are paid to customers only",
            ));
        }
        for (name, f) in [
            ("products", &self.selection.products),
            ("categories", &self.selection.categories),
            ("channels", &self.selection.channels),
            ("territories", &self.selection.territories),
            ("customer_segments", &self.selection.customer_segments),
        ] {
            unique_ids(&format!("{p}.selection.{name}.include"), f.include.iter())?;
            unique_ids(&format!("{p}.selection.{name}.exclude"), f.exclude.iter())?;
        }
        let sp = format!("{p}.shape");
        match &self.shape {
            Shape::FlatRate { rate: r } => rate(&format!("{sp}.rate"), *r)?,
            Shape::FixedAmount { amount } => non_negative(&format!("{sp}.amount"), *amount)?,
            Shape::PerUnit { amount } => {
                non_negative(&format!("{sp}.amount"), *amount)?;
                if self.measure != VolumeMeasure::Quantity {
                    return Err(Error::document(
                        format!("{p}.measure"),
                        "a per_unit shape pays per unit: the measure must be \"quantity\"",
                    ));
                }
            }
            Shape::AllUnits { tiers } | Shape::Marginal { tiers } => {
                bands(&format!("{sp}.tiers"), tiers, false)?
            }
            Shape::Interpolated { points } => {
                if points.len() < 2 {
                    return Err(Error::document(
                        format!("{sp}.points"),
                        "give at least two points to interpolate between",
                    ));
                }
                for (i, pt) in points.iter().enumerate() {
                    non_negative(&format!("{sp}.points[{i}].volume"), pt.volume)?;
                    rate(&format!("{sp}.points[{i}].rate"), pt.rate)?;
                    if i > 0 && pt.volume <= points[i - 1].volume {
                        return Err(Error::document(
                            format!("{sp}.points[{i}].volume"),
                            format!(
                                "{} is not above the previous point's {}; volumes must be strictly ascending",
                                pt.volume,
                                points[i - 1].volume
                            ),
                        ));
                    }
                }
            }
            Shape::Target {
                target,
                levels,
                missed_charge,
            } => {
                if let Some(t) = target
                    && *t <= Decimal::ZERO
                {
                    return Err(Error::document(
                        format!("{sp}.target"),
                        format!("{t}; a target must be positive"),
                    ));
                }
                if target.is_none() && self.measure == VolumeMeasure::Margin {
                    return Err(Error::document(
                        format!("{sp}.target"),
                        "the data's targets are revenue or units, not margin; give the target",
                    ));
                }
                if levels.is_empty() {
                    return Err(Error::document(
                        format!("{sp}.levels"),
                        "give at least one level",
                    ));
                }
                for (i, l) in levels.iter().enumerate() {
                    let lp = format!("{sp}.levels[{i}]");
                    non_negative(&format!("{lp}.attainment"), l.attainment)?;
                    match (l.rate, l.amount) {
                        (Some(r), None) => rate(&format!("{lp}.rate"), r)?,
                        (None, Some(a)) => non_negative(&format!("{lp}.amount"), a)?,
                        _ => {
                            return Err(Error::document(
                                lp,
                                "give either `rate` or `amount`, not both or neither",
                            ));
                        }
                    }
                    if i > 0 && l.attainment <= levels[i - 1].attainment {
                        return Err(Error::document(
                            format!("{lp}.attainment"),
                            format!(
                                "{} is not above the previous level's {}; levels must be strictly ascending",
                                l.attainment,
                                levels[i - 1].attainment
                            ),
                        ));
                    }
                }
                if let Some(c) = missed_charge {
                    non_negative(&format!("{sp}.missed_charge"), *c)?;
                }
            }
            Shape::Growth {
                baseline_factor,
                tiers,
                growth,
                ..
            } => {
                if *baseline_factor <= Decimal::ZERO {
                    return Err(Error::document(
                        format!("{sp}.baseline_factor"),
                        format!("{baseline_factor}; must be positive"),
                    ));
                }
                bands(&format!("{sp}.tiers"), tiers, true)?;
                let _ = growth;
            }
            Shape::Referral {
                referrer,
                referred,
                min_volume,
                within_days,
            } => {
                non_negative(&format!("{sp}.referrer"), *referrer)?;
                non_negative(&format!("{sp}.referred"), *referred)?;
                non_negative(&format!("{sp}.min_volume"), *min_volume)?;
                if !(1..=366).contains(within_days) {
                    return Err(Error::document(
                        format!("{sp}.within_days"),
                        format!("{within_days}; give 1 to 366 days"),
                    ));
                }
                if self.beneficiary != Beneficiary::Customer {
                    return Err(Error::document(
                        format!("{p}.beneficiary"),
                        "referral rewards are paid to customers: set beneficiary = \"customer\"",
                    ));
                }
                if self.group.is_some() {
                    return Err(Error::document(
                        format!("{p}.group"),
                        "referral rewards are per referral and do not stack with volume programs",
                    ));
                }
            }
        }
        if let Some(m) = self.gates.min_volume {
            non_negative(&format!("{p}.gates.min_volume"), m)?;
        }
        if let Some(mix) = &self.gates.mix {
            unique_ids(&format!("{p}.gates.mix.categories"), mix.categories.iter())?;
            if mix.categories.len() > 64 {
                return Err(Error::document(
                    format!("{p}.gates.mix.categories"),
                    format!("{} categories; at most 64", mix.categories.len()),
                ));
            }
            if mix.at_least == 0 || mix.at_least as usize > mix.categories.len() {
                return Err(Error::document(
                    format!("{p}.gates.mix.at_least"),
                    format!(
                        "{}; give 1 to {} (the number of categories listed)",
                        mix.at_least,
                        mix.categories.len()
                    ),
                ));
            }
        }
        let mut scopes = Vec::new();
        for (i, l) in self.limits.iter().enumerate() {
            let lp = format!("{p}.limits[{i}]");
            if scopes.contains(&l.scope) {
                return Err(Error::document(
                    format!("{lp}.scope"),
                    format!("a second {:?} limit; give one per scope", l.scope),
                ));
            }
            scopes.push(l.scope);
            if l.max.is_none() && l.min.is_none() {
                return Err(Error::document(lp, "give `max`, `min` or both"));
            }
            if let Some(m) = l.max {
                non_negative(&format!("{lp}.max"), m)?;
            }
            if let Some(m) = l.min {
                non_negative(&format!("{lp}.min"), m)?;
                if matches!(l.scope, LimitScope::Line | LimitScope::Program) {
                    return Err(Error::document(
                        format!("{lp}.min"),
                        "a floor applies per settlement or per period",
                    ));
                }
            }
            if let (Some(lo), Some(hi)) = (l.min, l.max)
                && lo > hi
            {
                return Err(Error::document(
                    format!("{lp}.min"),
                    format!("{lo} is above max {hi}"),
                ));
            }
            if l.scope == LimitScope::Line && self.rounding.point != RoundingPoint::Line {
                return Err(Error::document(
                    format!("{lp}.scope"),
                    "a per-line cap needs rounding point \"line\" (the rebate is then computed per line)",
                ));
            }
        }
        unique_ids(
            &format!("{p}.penalties"),
            self.penalties.iter().map(|x| &x.id),
        )
        .map_err(|e| match e {
            Error::Document { path, message } => Error::document(format!("{path}.id"), message),
            other => other,
        })?;
        for (i, pen) in self.penalties.iter().enumerate() {
            let pp = format!("{p}.penalties[{i}]");
            if pen.on.is_empty() {
                return Err(Error::document(
                    format!("{pp}.on"),
                    "name the finding kinds that trigger it",
                ));
            }
            unique_ids(&format!("{pp}.on"), pen.on.iter())?;
            if pen.per_violation.is_none() && pen.share.is_none() && !pen.lose_eligibility {
                return Err(Error::document(
                    pp,
                    "give per_violation, share or lose_eligibility",
                ));
            }
            if let Some(a) = pen.per_violation {
                non_negative(&format!("{pp}.per_violation"), a)?;
            }
            if let Some(s) = pen.share
                && (s.is_sign_negative() || s > Decimal::ONE)
            {
                return Err(Error::document(
                    format!("{pp}.share"),
                    format!("{s}; give a share between 0 and 1"),
                ));
            }
        }
        if self.rounding.point == RoundingPoint::Line && self.shape.line_rates().is_none() {
            return Err(Error::document(
                format!("{p}.rounding.point"),
                format!(
                    "a {} shape cannot be rounded per line (its amount is not a rate times each line); use \"settlement\" or \"period\"",
                    self.shape.kind()
                ),
            ));
        }
        if let Some(g) = &self.group {
            let Some(group) = book.groups.iter().find(|x| &x.id == g) else {
                return Err(Error::document(
                    format!("{p}.group"),
                    format!("no stacking group {g:?} in `groups`"),
                ));
            };
            if group.combine == Combine::Compounding && !self.measure.is_money() {
                return Err(Error::document(
                    format!("{p}.measure"),
                    format!(
                        "group {g:?} compounds (each program on the base less earlier rebates): its programs need a money measure"
                    ),
                ));
            }
        }
        Ok(())
    }

    fn warnings_at(&self, p: &str, out: &mut Vec<Warning>) {
        match &self.shape {
            Shape::AllUnits { tiers } | Shape::Marginal { tiers } => {
                band_warnings(&format!("{p}.shape.tiers"), tiers, out);
                if let Some(min) = self.gates.min_volume {
                    for (i, b) in tiers.iter().enumerate() {
                        if let Some(to) = b.to
                            && to <= min
                        {
                            out.push(Warning {
                                path: format!("{p}.shape.tiers[{i}]"),
                                message: format!(
                                    "unreachable: the band ends at {to}, below gates.min_volume {min}"
                                ),
                            });
                        }
                    }
                }
                if let Some(cap) = self
                    .limits
                    .iter()
                    .find(|l| l.scope == LimitScope::Period)
                    .and_then(|l| l.max)
                {
                    for (i, b) in tiers.iter().enumerate() {
                        let floor_pay = b.from * b.rate;
                        if i > 0
                            && b.rate > Decimal::ZERO
                            && floor_pay >= cap
                            && self.measure.is_money()
                        {
                            out.push(Warning {
                                path: format!("{p}.shape.tiers[{i}]"),
                                message: format!(
                                    "unreachable: the period cap {cap} is already met at the band's start ({} × {})",
                                    b.from, b.rate
                                ),
                            });
                        }
                    }
                }
            }
            Shape::Growth { tiers, .. } => band_warnings(&format!("{p}.shape.tiers"), tiers, out),
            Shape::Interpolated { points } => {
                for i in 1..points.len() {
                    if points[i].rate < points[i - 1].rate {
                        out.push(Warning {
                            path: format!("{p}.shape.points[{i}].rate"),
                            message: format!(
                                "rate {} is below the previous point's {}: rates are not monotone",
                                points[i].rate,
                                points[i - 1].rate
                            ),
                        });
                    }
                }
            }
            Shape::Target { levels, .. } => {
                for i in 1..levels.len() {
                    if let (Some(a), Some(b)) = (levels[i - 1].rate, levels[i].rate)
                        && b < a
                    {
                        out.push(Warning {
                            path: format!("{p}.shape.levels[{i}].rate"),
                            message: format!(
                                "rate {b} is below the previous level's {a}: rates are not monotone"
                            ),
                        });
                    }
                }
            }
            _ => {}
        }
    }
}

impl ProgramBook {
    /// The sample company's programs for 2025 (`crates/qudao/programs/sample-programs.toml`):
    /// a quarterly all-units volume rebate for distributors with a cross-region penalty, a
    /// network override for general agents, a growth rebate for agents, a franchise target
    /// bonus and member points.
    ///
    /// ```
    /// let book = qudao::rebate::ProgramBook::sample_company();
    /// assert_eq!(book.programs.len(), 5);
    /// ```
    pub fn sample_company() -> ProgramBook {
        const TEXT: &str = include_str!("../../programs/sample-programs.toml");
        // The file is checked by a test; an empty book here would fail that test.
        ProgramBook::from_toml(TEXT).unwrap_or_else(|_| ProgramBook {
            schema_version: SCHEMA_VERSION,
            id: String::new(),
            currency: String::new(),
            groups: Vec::new(),
            programs: Vec::new(),
        })
    }

    /// Warnings: tables that are legal but probably not meant (non-monotone rates,
    /// unreachable tiers, a cliff above the last band, equal priorities in an exclusive
    /// group). Returned, never printed.
    pub fn warnings(&self) -> Vec<Warning> {
        let mut out = Vec::new();
        for (i, prog) in self.programs.iter().enumerate() {
            prog.warnings_at(&format!("programs[{i}]"), &mut out);
        }
        for (gi, g) in self.groups.iter().enumerate() {
            if !matches!(
                g.combine,
                Combine::ExclusiveBest | Combine::ExclusiveByPriority
            ) {
                continue;
            }
            let members: Vec<(usize, &Program)> = self
                .programs
                .iter()
                .enumerate()
                .filter(|(_, p)| p.group.as_deref() == Some(g.id.as_str()))
                .collect();
            for (a, &(i, pi)) in members.iter().enumerate() {
                for &(j, pj) in &members[a + 1..] {
                    if pi.priority == pj.priority {
                        out.push(Warning {
                            path: format!("programs[{j}].priority"),
                            message: format!(
                                "programs[{i}] ({:?}) and programs[{j}] ({:?}) of exclusive group {:?} (groups[{gi}]) share priority {}; the id decides ({:?} first)",
                                pi.id,
                                pj.id,
                                g.id,
                                pi.priority,
                                pi.id.as_str().min(pj.id.as_str())
                            ),
                        });
                    }
                }
            }
        }
        out
    }

    /// The program with an id.
    pub fn program(&self, id: &str) -> Option<&Program> {
        self.programs.iter().find(|p| p.id == id)
    }
}

impl RuleDocument for ProgramBook {
    const KIND: &'static str = "rebate program book";

    fn schema_version(&self) -> u32 {
        self.schema_version
    }

    fn validate(&self) -> Result<()> {
        self.check_version()?;
        nonempty("id", &self.id)?;
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Error::document(
                "currency",
                format!("{:?} is not a three-letter ISO 4217 code", self.currency),
            ));
        }
        unique_ids("groups", self.groups.iter().map(|g| &g.id)).map_err(|e| match e {
            Error::Document { path, message } => Error::document(format!("{path}.id"), message),
            other => other,
        })?;
        if self.programs.is_empty() {
            return Err(Error::document("programs", "give at least one program"));
        }
        if self.programs.len() > MAX_PROGRAMS {
            return Err(Error::document(
                "programs",
                format!("{} programs; at most {MAX_PROGRAMS}", self.programs.len()),
            ));
        }
        unique_ids("programs", self.programs.iter().map(|p| &p.id)).map_err(|e| match e {
            Error::Document { path, message } => Error::document(format!("{path}.id"), message),
            other => other,
        })?;
        for (i, prog) in self.programs.iter().enumerate() {
            prog.validate_at(&format!("programs[{i}]"), self)?;
        }
        for (gi, g) in self.groups.iter().enumerate() {
            let members: Vec<(usize, &Program)> = self
                .programs
                .iter()
                .enumerate()
                .filter(|(_, p)| p.group.as_deref() == Some(g.id.as_str()))
                .collect();
            if let Some(&(i0, first)) = members.first() {
                for &(j, p) in &members[1..] {
                    if p.calendar != first.calendar
                        || p.beneficiary != first.beneficiary
                        || p.payout != first.payout
                    {
                        return Err(Error::document(
                            format!("programs[{j}].calendar"),
                            format!(
                                "programs of group {:?} (groups[{gi}]) must share calendar, beneficiary and payout to be compared period by period; programs[{i0}] differs",
                                g.id
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}
