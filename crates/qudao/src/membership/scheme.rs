//! The tier scheme document: tiers, points, expiry and review, validated with field paths.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::document::{Label, RuleDocument};
use crate::error::{Error, Result};

/// Most tiers a scheme may have (tier numbers are `u8` in results).
pub const MAX_TIERS: usize = 64;

/// A member tier scheme (会员等级方案): how customers enter tiers, what each tier gives and
/// how points are earned, expire and are reviewed.
///
/// ```
/// use qudao::membership::TierScheme;
/// let scheme = TierScheme::builtin_default();
/// let ids: Vec<&str> = scheme.tiers.iter().map(|t| t.id.as_str()).collect();
/// assert_eq!(ids, ["regular", "silver", "gold", "diamond"]);
/// assert_eq!(scheme.tiers[2].benefits.discount_rate.to_string(), "0.10");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "tier scheme",
    description = "A member tier scheme (会员等级方案) of the qudao library: tiers entered by rolling spend or points balance, points earning, expiry and downgrade review."
)]
pub struct TierScheme {
    /// Document schema version; this library reads 1.
    pub schema_version: u32,
    /// Scheme id.
    pub id: String,
    /// Display name.
    pub name: Label,
    /// ISO 4217 code of the currency thresholds and earning are counted in; must be the
    /// data's currency.
    pub currency: String,
    /// What decides a customer's tier.
    pub basis: Basis,
    /// Tiers from lowest to highest; the first has threshold 0 and is where everyone starts.
    pub tiers: Vec<Tier>,
    /// How points are earned.
    pub points: PointsRule,
    /// When earned points expire.
    pub expiry: Expiry,
    /// When downgrades happen.
    pub review: Review,
}

/// What decides the tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Basis {
    /// Net spend (sales minus returns, each counted on its own day) over the last
    /// `window_days` days, today included; thresholds are minor currency units.
    RollingSpend {
        /// Window length in days (1..=3660).
        window_days: u32,
    },
    /// The points balance; thresholds are points.
    PointsBalance,
}

/// One tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// Tier id, e.g. `gold`.
    pub id: String,
    /// Display label.
    pub label: Label,
    /// Basis value from which the tier applies: minor units of spend, or points. The first
    /// tier's is 0; strictly ascending.
    pub threshold: i64,
    /// Points multiplier of the tier (≥ 0), default 1.
    #[serde(default = "one")]
    pub earn_multiplier: Decimal,
    /// What the tier gives.
    #[serde(default)]
    pub benefits: Benefits,
}

fn one() -> Decimal {
    Decimal::ONE
}

/// Benefits of a tier (listed for display and for pricing elsewhere; points are not affected).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Benefits {
    /// Discount on price, in [0, 1): `0.10` is 10 % off.
    #[serde(default)]
    pub discount_rate: Decimal,
    /// Birthday offer, if any.
    #[serde(default)]
    pub birthday_offer: Option<Label>,
    /// Whether the tier gets priority service.
    #[serde(default)]
    pub priority_service: bool,
    /// Other benefits (exclusive events, customisation, …).
    #[serde(default)]
    pub other: Vec<Label>,
}

/// How points are earned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PointsRule {
    /// Points per one major currency unit (one yuan), before the tier multiplier (≥ 0).
    pub per_unit: Decimal,
    /// How fractional points are rounded.
    pub rounding: PointsRounding,
    /// Where rounding happens (only `per_order` today).
    #[serde(default)]
    pub rounding_point: RoundingPoint,
    /// Which tier's multiplier the purchase that crosses a threshold earns at.
    pub crossing_purchase: CrossingPurchase,
}

/// Rounding of points. It is applied to the non-negative points of an order or of a
/// returned amount; a reversal is the negated rounding of the returned amount, so signs are
/// symmetric and a full return reverses exactly what the order earned. (For non-negative
/// values `truncate` and `floor` agree.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PointsRounding {
    /// Drop the fraction (the usual rule).
    Truncate,
    /// Round down.
    Floor,
    /// Round to nearest, halves away from zero.
    HalfUp,
    /// Round to nearest, halves to even.
    HalfEven,
}

impl PointsRounding {
    pub(crate) fn strategy(self) -> RoundingStrategy {
        match self {
            PointsRounding::Truncate => RoundingStrategy::ToZero,
            PointsRounding::Floor => RoundingStrategy::ToNegativeInfinity,
            PointsRounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            PointsRounding::HalfEven => RoundingStrategy::MidpointNearestEven,
        }
    }
}

/// Where points are rounded.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RoundingPoint {
    /// Once per sale order and day (the sum of its sale lines), and once per return order,
    /// original order and day.
    #[default]
    PerOrder,
}

/// Which tier the purchase that crosses a threshold earns at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CrossingPurchase {
    /// At the tier the customer had before the purchase.
    EarnsAtOldTier,
    /// At the tier the purchase reaches (needs a spend basis).
    EarnsAtNewTier,
}

/// When earned points expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Expiry {
    /// Never.
    None,
    /// At the end of the month `months` months after the month of earning: points earned on
    /// 2025-03-10 with 12 months are usable through 2026-03-31 and expire at the start of
    /// 2026-04-01.
    EndOfMonth {
        /// Months (1..=1200).
        months: u32,
    },
    /// `days` days after earning: points earned on day d expire at the start of d + days.
    Days {
        /// Days (1..=36600).
        days: u32,
    },
}

impl Expiry {
    /// The first day on which points earned on `earned` are no longer usable (`None`: never).
    ///
    /// ```
    /// use qudao::membership::Expiry;
    /// let d = |s: &str| s.parse::<qudao::Date>().unwrap();
    /// let e = Expiry::EndOfMonth { months: 12 };
    /// assert_eq!(e.expires_on(d("2025-03-10")), Some(d("2026-04-01")));
    /// ```
    pub fn expires_on(self, earned: Date) -> Option<Date> {
        match self {
            Expiry::None => None,
            Expiry::EndOfMonth { months } => Some(Date::from_month_index(
                earned.month_index() + months as i32 + 1,
            )),
            Expiry::Days { days } => Some(earned.add_days(days as i32)),
        }
    }
}

/// Downgrade reviews: every `every_months` months from `anchor` (anchor included; a day
/// past the end of a month means its last day). Upgrades never wait for a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// Months between reviews (1..=120).
    pub every_months: u32,
    /// The first review date (`YYYY-MM-DD`).
    #[schemars(with = "String", extend("format" = "date"))]
    pub anchor: Date,
}

impl Review {
    /// The `k`-th review date (k = 0 is the anchor).
    fn nth(self, k: i64) -> Date {
        add_months(self.anchor, k * i64::from(self.every_months))
    }

    /// The first review on or after `day`.
    ///
    /// ```
    /// use qudao::membership::Review;
    /// let d = |s: &str| s.parse::<qudao::Date>().unwrap();
    /// let r = Review { every_months: 12, anchor: d("2025-01-01") };
    /// assert_eq!(r.on_or_after(d("2025-06-30")), d("2026-01-01"));
    /// assert_eq!(r.on_or_after(d("2020-06-30")), d("2025-01-01"));
    /// ```
    pub fn on_or_after(self, day: Date) -> Date {
        if day <= self.anchor {
            return self.anchor;
        }
        let months = i64::from(day.month_index() - self.anchor.month_index());
        let mut k = months / i64::from(self.every_months.max(1));
        while self.nth(k) < day {
            k += 1;
        }
        self.nth(k)
    }
}

/// `date` plus `months` months, clamped to the end of the target month.
fn add_months(date: Date, months: i64) -> Date {
    let (_, _, d) = date.ymd();
    let idx = i64::from(date.month_index()) + months;
    let idx = idx.clamp(i64::from(i32::MIN / 2), i64::from(i32::MAX / 2)) as i32;
    let first = Date::from_month_index(idx);
    let next = Date::from_month_index(idx + 1);
    let last_day = next.0 - first.0;
    first.add_days((d as i32).min(last_day) - 1)
}

impl TierScheme {
    /// The built-in example (`schemes/tiers-default.toml`): regular / silver / gold / diamond
    /// by net spend over 365 days in CNY, gold with 10 % off.
    pub fn builtin_default() -> TierScheme {
        // Parsed and validated by a unit test; a failure here is a bug in the bundled file.
        TierScheme::from_toml(DEFAULT_TOML)
            .unwrap_or_else(|e| unreachable!("the bundled tier scheme is invalid: {e}"))
    }

    /// Points per major currency unit for each tier: `per_unit × earn_multiplier`.
    pub fn rates(&self) -> Result<Vec<Decimal>> {
        self.tiers
            .iter()
            .enumerate()
            .map(|(i, t)| {
                self.points
                    .per_unit
                    .checked_mul(t.earn_multiplier)
                    .ok_or_else(|| {
                        Error::document(
                            format!("tiers[{i}].earn_multiplier"),
                            "per_unit × earn_multiplier is too large",
                        )
                    })
            })
            .collect()
    }

    /// The highest tier whose threshold `basis` reaches (the first tier for negative values).
    pub fn tier_for(&self, basis: i128) -> usize {
        self.tiers
            .partition_point(|t| i128::from(t.threshold) <= basis)
            .saturating_sub(1)
    }
}

/// The text of `schemes/tiers-default.toml`.
pub const DEFAULT_TOML: &str = include_str!("../../schemes/tiers-default.toml");

fn nonempty(path: &str, text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Error::document(path, "must not be empty"));
    }
    Ok(())
}

impl RuleDocument for TierScheme {
    const KIND: &'static str = "tier scheme";

    fn schema_version(&self) -> u32 {
        self.schema_version
    }

    fn validate(&self) -> Result<()> {
        self.check_version()?;
        nonempty("id", &self.id)?;
        self.name.validate("name")?;
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Error::document(
                "currency",
                format!("{:?} is not a three-letter ISO 4217 code", self.currency),
            ));
        }
        if let Basis::RollingSpend { window_days } = self.basis
            && !(1..=3660).contains(&window_days)
        {
            return Err(Error::document(
                "basis.window_days",
                format!("{window_days}; give 1 to 3660 days"),
            ));
        }
        if self.tiers.is_empty() {
            return Err(Error::document("tiers", "give at least one tier"));
        }
        if self.tiers.len() > MAX_TIERS {
            return Err(Error::document(
                "tiers",
                format!("{} tiers; at most {MAX_TIERS}", self.tiers.len()),
            ));
        }
        for (i, t) in self.tiers.iter().enumerate() {
            let p = format!("tiers[{i}]");
            nonempty(&format!("{p}.id"), &t.id)?;
            if let Some(j) = self.tiers[..i].iter().position(|o| o.id == t.id) {
                return Err(Error::document(
                    format!("{p}.id"),
                    format!("{:?} is also the id of tiers[{j}]", t.id),
                ));
            }
            t.label.validate(&format!("{p}.label"))?;
            if i == 0 && t.threshold != 0 {
                return Err(Error::document(
                    format!("{p}.threshold"),
                    format!("{}; the first tier starts at 0", t.threshold),
                ));
            }
            if i > 0 && t.threshold <= self.tiers[i - 1].threshold {
                return Err(Error::document(
                    format!("{p}.threshold"),
                    format!(
                        "{} is not above the previous tier's {}; thresholds must be strictly ascending",
                        t.threshold,
                        self.tiers[i - 1].threshold
                    ),
                ));
            }
            if t.earn_multiplier < Decimal::ZERO {
                return Err(Error::document(
                    format!("{p}.earn_multiplier"),
                    format!("{} is negative", t.earn_multiplier),
                ));
            }
            let b = &t.benefits;
            if b.discount_rate < Decimal::ZERO || b.discount_rate >= Decimal::ONE {
                return Err(Error::document(
                    format!("{p}.benefits.discount_rate"),
                    format!("{} is outside [0, 1)", b.discount_rate),
                ));
            }
            if let Some(l) = &b.birthday_offer {
                l.validate(&format!("{p}.benefits.birthday_offer"))?;
            }
            for (k, l) in b.other.iter().enumerate() {
                l.validate(&format!("{p}.benefits.other[{k}]"))?;
            }
        }
        if self.points.per_unit < Decimal::ZERO {
            return Err(Error::document(
                "points.per_unit",
                format!("{} is negative", self.points.per_unit),
            ));
        }
        if self.points.crossing_purchase == CrossingPurchase::EarnsAtNewTier
            && self.basis == Basis::PointsBalance
        {
            return Err(Error::document(
                "points.crossing_purchase",
                "earns_at_new_tier needs a rolling_spend basis: with a points basis the crossing \
                 would depend on the points the purchase earns",
            ));
        }
        self.rates()?;
        match self.expiry {
            Expiry::None => {}
            Expiry::EndOfMonth { months } if !(1..=1200).contains(&months) => {
                return Err(Error::document(
                    "expiry.months",
                    format!("{months}; give 1 to 1200"),
                ));
            }
            Expiry::Days { days } if !(1..=36600).contains(&days) => {
                return Err(Error::document(
                    "expiry.days",
                    format!("{days}; give 1 to 36600"),
                ));
            }
            _ => {}
        }
        if !(1..=120).contains(&self.review.every_months) {
            return Err(Error::document(
                "review.every_months",
                format!("{}; give 1 to 120", self.review.every_months),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    #[test]
    fn json_schema_file_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../schemas/tier-scheme.schema.json"
        );
        let schema = format!("{}\n", TierScheme::json_schema());
        if std::env::var_os("QUDAO_BLESS").is_some_and(|v| v == "1") {
            std::fs::create_dir_all(std::path::Path::new(path).parent().expect("parent"))
                .expect("mkdir");
            std::fs::write(path, &schema).expect("write schema");
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == schema,
            "{path} is out of date; regenerate with\n    QUDAO_BLESS=1 cargo test -p qudao --lib membership\nand commit it"
        );
    }

    #[test]
    fn builtin_default_parses_in_every_format() {
        let s = TierScheme::builtin_default();
        assert_eq!(s.tiers[2].benefits.discount_rate, Decimal::new(10, 2));
        assert_eq!(s.basis, Basis::RollingSpend { window_days: 365 });
        assert_eq!(
            s.rates().expect("rates"),
            ["1", "1.2", "1.5", "2"].map(|r| r.parse::<Decimal>().expect("dec"))
        );
        let json = s.to_json();
        assert_eq!(TierScheme::from_json(&json).expect("json"), s);
        let yaml = serde_norway::to_string(&s).expect("yaml");
        assert_eq!(TierScheme::from_yaml(&yaml).expect("yaml"), s);
    }

    fn with(f: impl FnOnce(&mut serde_json::Value)) -> Result<TierScheme> {
        let mut v: serde_json::Value =
            serde_json::from_str(&TierScheme::builtin_default().to_json()).expect("json");
        f(&mut v);
        TierScheme::from_json(&v.to_string())
    }

    fn path_of(r: Result<TierScheme>) -> String {
        match r {
            Err(Error::Document { path, .. }) => path,
            other => panic!("expected a document error, got {other:?}"),
        }
    }

    #[test]
    fn validation_names_field_paths() {
        use serde_json::json;
        type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;
        let cases: Vec<(Edit, &str)> = vec![
            (
                Box::new(|v| v["tiers"][0]["threshold"] = json!(5)),
                "tiers[0].threshold",
            ),
            (
                Box::new(|v| v["tiers"][2]["threshold"] = json!(200000)),
                "tiers[2].threshold",
            ),
            (
                Box::new(|v| v["tiers"][3]["id"] = json!("gold")),
                "tiers[3].id",
            ),
            (
                Box::new(|v| v["tiers"][1]["benefits"]["discount_rate"] = json!("1")),
                "tiers[1].benefits.discount_rate",
            ),
            (
                Box::new(|v| v["tiers"][1]["earn_multiplier"] = json!("-0.5")),
                "tiers[1].earn_multiplier",
            ),
            (
                Box::new(|v| v["tiers"][1]["label"]["zh"] = json!("")),
                "tiers[1].label.zh",
            ),
            (
                Box::new(|v| {
                    v["basis"] = json!({"kind": "points_balance"});
                    v["points"]["crossing_purchase"] = json!("earns_at_new_tier");
                }),
                "points.crossing_purchase",
            ),
            (
                Box::new(|v| v["expiry"] = json!({"kind": "end_of_month", "months": 0})),
                "expiry.months",
            ),
            (
                Box::new(|v| v["basis"] = json!({"kind": "rolling_spend", "window_days": 0})),
                "basis.window_days",
            ),
            (
                Box::new(|v| v["review"]["every_months"] = json!(0)),
                "review.every_months",
            ),
            (
                Box::new(|v| v["review"]["anchor"] = json!("2025-02-30")),
                "review.anchor",
            ),
            (
                Box::new(|v| v["points"]["rounding"] = json!("ceil")),
                "points.rounding",
            ),
            (
                Box::new(|v| v["points"]["per_unit"] = json!("-1")),
                "points.per_unit",
            ),
            (Box::new(|v| v["tiers"] = json!([])), "tiers"),
            (
                Box::new(|v| v["tiers"][1]["benefits"]["colour"] = json!("red")),
                "tiers[1].benefits.colour",
            ),
            (Box::new(|v| v["currency"] = json!("cny")), "currency"),
            (
                Box::new(|v| v["schema_version"] = json!(2)),
                "schema_version",
            ),
        ];
        for (f, want) in cases {
            let got = path_of(with(f));
            assert_eq!(got, want);
        }
    }

    #[test]
    fn expiry_and_review_dates() {
        let e = Expiry::EndOfMonth { months: 12 };
        assert_eq!(e.expires_on(d("2025-03-10")), Some(d("2026-04-01")));
        assert_eq!(e.expires_on(d("2025-12-31")), Some(d("2027-01-01")));
        assert_eq!(
            Expiry::Days { days: 30 }.expires_on(d("2025-01-31")),
            Some(d("2025-03-02"))
        );
        assert_eq!(Expiry::None.expires_on(d("2025-01-31")), None);
        let r = Review {
            every_months: 1,
            anchor: d("2025-01-31"),
        };
        // Clamped to each month's end, counted from the anchor (not chained).
        assert_eq!(r.on_or_after(d("2025-02-01")), d("2025-02-28"));
        assert_eq!(r.on_or_after(d("2025-03-01")), d("2025-03-31"));
        assert_eq!(r.on_or_after(d("2025-03-31")), d("2025-03-31"));
        let r = Review {
            every_months: 12,
            anchor: d("2025-01-01"),
        };
        assert_eq!(r.on_or_after(d("2026-01-01")), d("2026-01-01"));
        assert_eq!(r.on_or_after(d("2026-01-02")), d("2027-01-01"));
    }

    #[test]
    fn rounding_rules() {
        let x = Decimal::new(25, 1); // 2.5
        let r = |p: PointsRounding| x.round_dp_with_strategy(0, p.strategy()).to_string();
        assert_eq!(r(PointsRounding::Truncate), "2");
        assert_eq!(r(PointsRounding::Floor), "2");
        assert_eq!(r(PointsRounding::HalfUp), "3");
        assert_eq!(r(PointsRounding::HalfEven), "2");
    }
}
