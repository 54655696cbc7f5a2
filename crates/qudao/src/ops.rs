//! Operational tables: targets, channel costs, inventory snapshots, service events and
//! marketing touchpoints. Small next to the transactions, so held as rows with resolved codes.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::date::{Date, Period, Timestamp};

/// Whose target a [`Target`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetSubject {
    /// A partner's target.
    Partner,
    /// A channel's target.
    Channel,
}

/// What a target measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Net revenue, minor units.
    Revenue,
    /// Net units.
    Units,
    /// Number of orders.
    Orders,
}

impl Measure {
    /// Parse the data spelling.
    pub fn parse(text: &str) -> Option<Measure> {
        match text.trim().to_ascii_lowercase().as_str() {
            "revenue" => Some(Measure::Revenue),
            "units" => Some(Measure::Units),
            "orders" => Some(Measure::Orders),
            _ => None,
        }
    }
}

/// A sales target (销售目标) of a partner or channel for a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Partner or channel.
    pub subject_kind: TargetSubject,
    /// Partner or channel code.
    pub subject: u32,
    /// The period.
    pub period: Period,
    /// The measure.
    pub measure: Measure,
    /// The target value: minor units for revenue, a count otherwise.
    pub value: i64,
}

/// What a channel cost in a period (for cost ratio and ROI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelCost {
    /// Channel code.
    pub channel: u32,
    /// The period.
    pub period: Period,
    /// Cost, minor units.
    pub cost: i64,
}

/// A partner's stock of a product on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InventorySnapshot {
    /// Partner code.
    pub partner: u32,
    /// Product code.
    pub product: u32,
    /// Day of the count.
    pub date: Date,
    /// Units on hand.
    pub on_hand: i64,
    /// Average units sold per day around the snapshot.
    pub daily_sales_rate: Decimal,
}

/// A customer complaint with its opening and resolution times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complaint {
    /// Complaint id.
    pub id: String,
    /// Partner code or `NONE`.
    pub partner: u32,
    /// Channel code or `NONE`.
    pub channel: u32,
    /// Customer code or `NONE`.
    pub customer: u32,
    /// When it was opened.
    pub opened: Timestamp,
    /// When it was resolved, if it was.
    pub resolved: Option<Timestamp>,
}

/// A satisfaction score given by a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Satisfaction {
    /// Partner code or `NONE`.
    pub partner: u32,
    /// Channel code or `NONE`.
    pub channel: u32,
    /// Customer code or `NONE`.
    pub customer: u32,
    /// Day of the survey.
    pub date: Date,
    /// Score on a 1–5 scale.
    pub score: u8,
}

/// A delivery: when it was ordered, promised and made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Order id as in the transactions.
    pub order: String,
    /// Partner code or `NONE`.
    pub partner: u32,
    /// Channel code or `NONE`.
    pub channel: u32,
    /// Day ordered.
    pub ordered: Date,
    /// Day promised.
    pub promised: Date,
    /// Day delivered, if it was.
    pub delivered: Option<Date>,
}

/// A marketing touchpoint of a customer with a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touchpoint {
    /// Customer code.
    pub customer: u32,
    /// When.
    pub time: Timestamp,
    /// Channel code.
    pub channel: u32,
    /// Cost of the touch, minor units.
    pub cost: i64,
}

/// All operational tables of a data set.
#[derive(Debug, Clone, Default)]
pub struct Operational {
    /// Sales targets.
    pub targets: Vec<Target>,
    /// Channel costs.
    pub channel_costs: Vec<ChannelCost>,
    /// Inventory snapshots.
    pub inventory: Vec<InventorySnapshot>,
    /// Complaints.
    pub complaints: Vec<Complaint>,
    /// Satisfaction scores.
    pub satisfaction: Vec<Satisfaction>,
    /// Deliveries.
    pub deliveries: Vec<Delivery>,
    /// Marketing touchpoints.
    pub touchpoints: Vec<Touchpoint>,
}

impl Operational {
    /// Row counts per table, by table name.
    pub fn counts(&self) -> [(&'static str, usize); 7] {
        [
            ("targets", self.targets.len()),
            ("channel_costs", self.channel_costs.len()),
            ("inventory", self.inventory.len()),
            ("complaints", self.complaints.len()),
            ("satisfaction", self.satisfaction.len()),
            ("deliveries", self.deliveries.len()),
            ("touchpoints", self.touchpoints.len()),
        ]
    }
}
