//! Channel and partner evaluation: KPIs per subject and period ([`kpi`]), weighted scorecards
//! ([`scorecard`]), partner onboarding evaluation ([`onboarding`]), the BCG matrix ([`bcg`]),
//! early warnings ([`alerts`]) and grade-change suggestions ([`grade`]).
//!
//! Everything downstream of the KPIs reads one table, [`KpiTable`]: a value or a stated
//! reason why it is missing, per (subject, period, KPI). A missing KPI is never 0.

pub mod alerts;
pub mod bcg;
pub mod grade;
pub mod kpi;
pub mod onboarding;
pub mod scorecard;

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::date::Period;

/// Whether a higher or a lower value of a KPI is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// More is better (revenue, attainment, satisfaction).
    HigherIsBetter,
    /// Less is better (cost ratio, backlog, complaints, cycle time).
    LowerIsBetter,
}

/// The unit a KPI's value is stated in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KpiUnit {
    /// Major currency units (yuan), exact.
    Money,
    /// A count (units, orders).
    Count,
    /// A ratio: 0.25 means 25 %.
    Ratio,
    /// Days.
    Days,
    /// A score on the 1–5 satisfaction scale.
    Score,
}

macro_rules! kpis {
    ($($(#[doc = $doc:literal])* $v:ident = $name:literal, $unit:ident, $dir:ident;)*) => {
        /// A key performance indicator. Each is defined once, with its formula, in
        /// `docs/evaluation.md` and in [`kpi`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum Kpi {
            $($(#[doc = $doc])* $v,)*
        }

        impl Kpi {
            /// Every KPI, in documentation order.
            pub const ALL: &'static [Kpi] = &[$(Kpi::$v,)*];

            /// The snake_case name used in documents and tables.
            pub fn name(self) -> &'static str {
                match self { $(Kpi::$v => $name,)* }
            }

            /// The unit of the value.
            pub fn unit(self) -> KpiUnit {
                match self { $(Kpi::$v => KpiUnit::$unit,)* }
            }

            /// Whether higher or lower is better.
            pub fn direction(self) -> Direction {
                match self { $(Kpi::$v => Direction::$dir,)* }
            }
        }
    };
}

kpis! {
    /// Net revenue (sales less returns), major units.
    Revenue = "revenue", Money, HigherIsBetter;
    /// Net units.
    Units = "units", Count, HigherIsBetter;
    /// Distinct orders with a sale line.
    Orders = "orders", Count, HigherIsBetter;
    /// Revenue growth over the previous period of the same length: `r / r_prev − 1`.
    GrowthPop = "growth_pop", Ratio, HigherIsBetter;
    /// Revenue growth over the same period a year earlier: `r / r_last_year − 1`.
    GrowthYoy = "growth_yoy", Ratio, HigherIsBetter;
    /// Share of the subject in the revenue of all subjects of its kind in the period.
    ContributionRate = "contribution_rate", Ratio, HigherIsBetter;
    /// Revenue over the revenue target of the period.
    TargetAttainment = "target_attainment", Ratio, HigherIsBetter;
    /// Attainment at the current pace: revenue so far, extrapolated linearly to the whole
    /// period by elapsed days, over the target.
    AttainmentAtPace = "attainment_at_pace", Ratio, HigherIsBetter;
    /// Revenue over the given market size of the subject.
    MarketShare = "market_share", Ratio, HigherIsBetter;
    /// `(revenue − cost of goods) / revenue`, over lines with a cost.
    GrossMargin = "gross_margin", Ratio, HigherIsBetter;
    /// Channel cost over revenue.
    ChannelCostRatio = "channel_cost_ratio", Ratio, LowerIsBetter;
    /// `(gross profit − channel cost) / channel cost`.
    Roi = "roi", Ratio, HigherIsBetter;
    /// Days of stock: units on hand over the daily sales rate, at the period's last count.
    InventoryTurnoverDays = "inventory_turnover_days", Days, LowerIsBetter;
    /// Share of the units on hand held in stock counts above the backlog threshold of days
    /// of cover.
    BacklogRate = "backlog_rate", Ratio, LowerIsBetter;
    /// Complaints per order.
    ComplaintRate = "complaint_rate", Ratio, LowerIsBetter;
    /// Share of complaints resolved within the SLA.
    ComplaintsResolvedInSla = "complaints_resolved_in_sla", Ratio, HigherIsBetter;
    /// Mean satisfaction score (1–5).
    MeanSatisfaction = "mean_satisfaction", Score, HigherIsBetter;
    /// Share of deliveries made on or before the promised day.
    OnTimeDeliveryRate = "on_time_delivery_rate", Ratio, HigherIsBetter;
    /// Mean days from order to delivery.
    OrderCycleTime = "order_cycle_time", Days, LowerIsBetter;
    /// Share of the period's buying customers with two or more orders in it.
    RepeatPurchaseRate = "repeat_purchase_rate", Ratio, HigherIsBetter;
    /// Share of the previous period's buying customers who bought again in this one.
    CustomerRetention = "customer_retention", Ratio, HigherIsBetter;
    /// Share of the revenue from products launched within the new-product window.
    NewProductSellThrough = "new_product_sell_through", Ratio, HigherIsBetter;
}

impl Kpi {
    /// Parse a KPI name.
    pub fn parse(name: &str) -> Option<Kpi> {
        Kpi::ALL.iter().copied().find(|k| k.name() == name)
    }
}

impl fmt::Display for Kpi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of thing is evaluated.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// A sales channel (rolled up over its sub-channels).
    Channel,
    /// A partner (rolled up over its sub-partners when asked).
    Partner,
    /// A territory (rolled up over the territories inside it).
    Territory,
    /// A product.
    Product,
}

/// A subject: its kind and its id in the master data.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Subject {
    /// Kind.
    pub kind: SubjectKind,
    /// Id as in the master data.
    pub id: String,
}

/// Why a KPI has no value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Missing {
    /// The denominator is zero (no revenue, no orders, no cost, no target…).
    ZeroDenominator {
        /// What was zero.
        what: String,
    },
    /// An input table has no rows for this subject and period.
    NoData {
        /// The table or input.
        input: String,
    },
    /// The KPI does not apply to this kind of subject.
    NotApplicable,
    /// Any other reason, stated.
    Other {
        /// The reason.
        detail: String,
    },
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Missing::ZeroDenominator { what } => write!(f, "{what} is zero"),
            Missing::NoData { input } => write!(f, "no {input} data"),
            Missing::NotApplicable => f.write_str("does not apply"),
            Missing::Other { detail } => f.write_str(detail),
        }
    }
}

/// A KPI value, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KpiValue {
    /// The value, in the KPI's unit.
    Value(Decimal),
    /// No value, with the reason.
    Missing(Missing),
}

impl KpiValue {
    /// The value, if there is one.
    pub fn value(&self) -> Option<Decimal> {
        match self {
            KpiValue::Value(v) => Some(*v),
            KpiValue::Missing(_) => None,
        }
    }
}

/// KPI values per (subject, period, KPI). Subjects, periods and KPIs iterate in sorted order,
/// so anything computed from the table is deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KpiTable {
    /// The periods, sorted.
    pub periods: Vec<Period>,
    /// Values by subject, then period, then KPI. Serialised as a list of
    /// `{kind, id, values: {period: {kpi: value}}}`, since JSON keys must be strings.
    #[serde(with = "by_subject")]
    pub values: BTreeMap<Subject, BTreeMap<Period, BTreeMap<Kpi, KpiValue>>>,
}

/// Values of one subject.
type SubjectValues = BTreeMap<Period, BTreeMap<Kpi, KpiValue>>;

/// Serde of [`KpiTable::values`] as a list.
mod by_subject {
    use super::*;
    use serde::{Deserializer, Serializer};

    #[derive(Serialize)]
    struct Ref<'a> {
        kind: SubjectKind,
        id: &'a str,
        values: &'a SubjectValues,
    }

    #[derive(Deserialize)]
    struct Owned {
        kind: SubjectKind,
        id: String,
        values: SubjectValues,
    }

    pub fn serialize<S: Serializer>(
        v: &BTreeMap<Subject, SubjectValues>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|(k, values)| Ref {
            kind: k.kind,
            id: &k.id,
            values,
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<Subject, SubjectValues>, D::Error> {
        let rows = Vec::<Owned>::deserialize(d)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    Subject {
                        kind: r.kind,
                        id: r.id,
                    },
                    r.values,
                )
            })
            .collect())
    }
}

impl KpiTable {
    /// One value; `None` when the table has no entry at all for it (it was not computed).
    pub fn get(&self, subject: &Subject, period: Period, kpi: Kpi) -> Option<&KpiValue> {
        self.values.get(subject)?.get(&period)?.get(&kpi)
    }

    /// Set one value.
    pub fn set(&mut self, subject: Subject, period: Period, kpi: Kpi, value: KpiValue) {
        if let Err(i) = self.periods.binary_search(&period) {
            self.periods.insert(i, period);
        }
        self.values
            .entry(subject)
            .or_default()
            .entry(period)
            .or_default()
            .insert(kpi, value);
    }

    /// The subjects of one kind, sorted by id.
    pub fn subjects(&self, kind: SubjectKind) -> impl Iterator<Item = &Subject> {
        self.values.keys().filter(move |s| s.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kpi_names_round_trip_and_are_unique() {
        let mut names: Vec<&str> = Kpi::ALL.iter().map(|k| k.name()).collect();
        for k in Kpi::ALL {
            assert_eq!(Kpi::parse(k.name()), Some(*k));
            let json = serde_json::to_string(k).expect("serialises");
            assert_eq!(json, format!("\"{}\"", k.name()));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Kpi::ALL.len());
        assert_eq!(Kpi::parse("nope"), None);
    }

    #[test]
    fn table_keeps_periods_sorted() {
        let mut t = KpiTable::default();
        let s = Subject {
            kind: SubjectKind::Partner,
            id: "P1".into(),
        };
        let q2 = Period::parse("2025-Q2").expect("period");
        let q1 = Period::parse("2025-Q1").expect("period");
        t.set(s.clone(), q2, Kpi::Revenue, KpiValue::Value(Decimal::ONE));
        t.set(
            s.clone(),
            q1,
            Kpi::GrowthPop,
            KpiValue::Missing(Missing::NoData {
                input: "transactions".into(),
            }),
        );
        assert_eq!(t.periods, vec![q1, q2]);
        assert_eq!(
            t.get(&s, q2, Kpi::Revenue).and_then(KpiValue::value),
            Some(Decimal::ONE)
        );
        assert_eq!(t.get(&s, q1, Kpi::Revenue), None);
        assert_eq!(t.subjects(SubjectKind::Partner).count(), 1);
        // JSON round trip (subjects are listed, since JSON keys must be strings).
        let json = serde_json::to_string(&t).expect("serialises");
        assert!(json.contains(r#""kind":"partner","id":"P1""#), "{json}");
        let back: KpiTable = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, t);
    }
}
