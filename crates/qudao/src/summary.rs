//! The data summary: lines, orders, units, sales, returns, revenue and margin by channel,
//! partner and month.
//!
//! Computed with a mergeable [`SummaryState`]: one state per chunk (partition), merged in any
//! grouping, finished once. Money is summed in `i128` and narrowed at the end, so an overflow
//! is an error rather than a wrap.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::date::Date;
use crate::error::Result;
use crate::intern::NONE;
use crate::master::MasterData;
use crate::money::{Currency, narrow};
use crate::reject::RejectionReport;
use crate::transactions::TxChunk;

/// Running totals of one group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupState {
    lines: u64,
    return_lines: u64,
    units: i128,
    gross_sales: i128,
    returns: i128,
    cost: i128,
    lines_with_cost: u64,
    /// Distinct order codes, sorted.
    orders: Vec<u32>,
}

impl GroupState {
    #[inline]
    fn add(&mut self, c: &TxChunk, i: usize) {
        self.lines += 1;
        let amount = i128::from(c.amount[i]);
        self.units += i128::from(c.quantity[i]);
        if c.quantity[i] < 0 {
            self.return_lines += 1;
            self.returns -= amount;
        } else {
            self.gross_sales += amount;
        }
        if let Some(cost) = c.cost_of(i) {
            self.cost += i128::from(cost);
            self.lines_with_cost += 1;
        }
        let o = c.order[i];
        if self.orders.last() != Some(&o) {
            self.orders.push(o);
        }
    }

    fn seal(&mut self) {
        self.orders.sort_unstable();
        self.orders.dedup();
    }

    fn merge(&mut self, other: &GroupState) {
        self.lines += other.lines;
        self.return_lines += other.return_lines;
        self.units += other.units;
        self.gross_sales += other.gross_sales;
        self.returns += other.returns;
        self.cost += other.cost;
        self.lines_with_cost += other.lines_with_cost;
        self.orders = merge_sorted(&self.orders, &other.orders);
    }
}

fn merge_sorted(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    merge_sorted_into(a, b, &mut out);
    out
}

/// Append the union of two ascending, duplicate-free slices to `out`, ascending and without
/// duplicates (the merge step of mergeable distinct counts).
pub(crate) fn merge_sorted_into<T: Ord + Copy>(a: &[T], b: &[T], out: &mut Vec<T>) {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
}

/// Partial summary of some chunks. `new` is the identity of `merge`; merging is associative
/// and commutative, so chunks can be summarised in any grouping and order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummaryState {
    total: GroupState,
    by_channel: Vec<GroupState>,
    /// Partners by code; the last slot is direct sales (no partner).
    by_partner: Vec<GroupState>,
    by_month: BTreeMap<i32, GroupState>,
    first: Option<i32>,
    last: Option<i32>,
    /// Bitset of customers with at least one line.
    customers: Vec<u64>,
}

impl SummaryState {
    /// The empty state for data over `master`.
    pub fn new(master: &MasterData) -> Self {
        SummaryState {
            total: GroupState::default(),
            by_channel: vec![GroupState::default(); master.channels.len()],
            by_partner: vec![GroupState::default(); master.partners.len() + 1],
            by_month: BTreeMap::new(),
            first: None,
            last: None,
            customers: vec![0; master.customers.len().div_ceil(64)],
        }
    }

    /// Add one chunk's lines.
    pub fn update(&mut self, c: &TxChunk) {
        let direct = self.by_partner.len() - 1;
        // Consecutive lines mostly share a day: remember the last day's month.
        let mut month_cache: Option<(i32, i32)> = None;
        for i in 0..c.len() {
            self.total.add(c, i);
            self.by_channel[c.channel[i] as usize].add(c, i);
            let p = c.partner[i];
            let p = if p == NONE { direct } else { p as usize };
            self.by_partner[p].add(c, i);
            let d = c.date[i];
            let m = match month_cache {
                Some((cd, m)) if cd == d => m,
                _ => {
                    let m = Date(d).month_index();
                    month_cache = Some((d, m));
                    m
                }
            };
            self.by_month.entry(m).or_default().add(c, i);
            self.first = Some(self.first.map_or(d, |f| f.min(d)));
            self.last = Some(self.last.map_or(d, |l| l.max(d)));
            let cu = c.customer[i] as usize;
            if let Some(w) = self.customers.get_mut(cu / 64) {
                *w |= 1 << (cu % 64);
            }
        }
        self.seal();
    }

    fn seal(&mut self) {
        self.total.seal();
        self.by_channel.iter_mut().for_each(GroupState::seal);
        self.by_partner.iter_mut().for_each(GroupState::seal);
        self.by_month.values_mut().for_each(GroupState::seal);
    }

    /// Combine with another partial state over the same master data.
    pub fn merge(mut self, other: &SummaryState) -> SummaryState {
        self.total.merge(&other.total);
        for (a, b) in self.by_channel.iter_mut().zip(&other.by_channel) {
            a.merge(b);
        }
        for (a, b) in self.by_partner.iter_mut().zip(&other.by_partner) {
            a.merge(b);
        }
        for (m, g) in &other.by_month {
            self.by_month.entry(*m).or_default().merge(g);
        }
        self.first = match (self.first, other.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = match (self.last, other.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for (a, b) in self.customers.iter_mut().zip(&other.customers) {
            *a |= b;
        }
        self
    }

    /// Turn the state into the report.
    pub fn finish(&self, data: &Dataset) -> Result<Summary> {
        let m = &data.master;
        let total_net = self.total.gross_sales - self.total.returns;
        let row = |key: String, name: String, g: &GroupState| -> Result<SummaryRow> {
            let net = g.gross_sales - g.returns;
            let has_cost = g.lines_with_cost == g.lines && g.lines > 0;
            Ok(SummaryRow {
                key,
                name,
                lines: g.lines,
                return_lines: g.return_lines,
                orders: g.orders.len() as u64,
                units: narrow(g.units, "units")?,
                gross_sales: narrow(g.gross_sales, "gross sales")?,
                returns: narrow(g.returns, "returns")?,
                net_revenue: narrow(net, "net revenue")?,
                cost: if has_cost {
                    Some(narrow(g.cost, "cost")?)
                } else {
                    None
                },
                gross_margin: if has_cost {
                    Some(narrow(net - g.cost, "gross margin")?)
                } else {
                    None
                },
                share_of_revenue: share(net, total_net),
            })
        };
        let mut by_channel = Vec::new();
        for (code, g) in self.by_channel.iter().enumerate() {
            if g.lines > 0 {
                let c = &m.channels.records()[code];
                by_channel.push(row(c.id.clone(), c.name.clone(), g)?);
            }
        }
        let mut by_partner = Vec::new();
        for (code, g) in self.by_partner.iter().enumerate() {
            if g.lines == 0 {
                continue;
            }
            if code == self.by_partner.len() - 1 {
                by_partner.push(row(String::new(), "(direct, no partner)".into(), g)?);
            } else {
                let p = &m.partners.records()[code];
                by_partner.push(row(p.id.clone(), p.name.clone(), g)?);
            }
        }
        let mut by_month = Vec::new();
        for (month, g) in &self.by_month {
            let start = Date::from_month_index(*month);
            let (y, mo, _) = start.ymd();
            by_month.push(row(format!("{y:04}-{mo:02}"), String::new(), g)?);
        }
        Ok(Summary {
            currency: m.currency.clone(),
            first_date: self.first.map(Date),
            last_date: self.last.map(Date),
            active_customers: self
                .customers
                .iter()
                .map(|w| u64::from(w.count_ones()))
                .sum(),
            master_counts: MasterCounts {
                territories: m.territories.len(),
                channels: m.channels.len(),
                partners: m.partners.len(),
                categories: m.categories.len(),
                products: m.products.len(),
                price_entries: m.prices.entries().len(),
                customers: m.customers.len(),
            },
            operational_counts: data
                .ops
                .counts()
                .iter()
                .map(|&(k, v)| (k.to_owned(), v))
                .collect(),
            totals: row("total".into(), "Total".into(), &self.total)?,
            by_channel,
            by_partner,
            by_month,
            rejections: data.rejections.clone(),
        })
    }
}

/// `part / whole` as a fraction rounded half-even to 6 decimals; `None` when `whole` is 0.
fn share(part: i128, whole: i128) -> Option<Decimal> {
    if whole == 0 {
        return None;
    }
    let p = Decimal::from_i128_with_scale(part, 0);
    let w = Decimal::from_i128_with_scale(whole, 0);
    p.checked_div(w)
        .map(|r| r.round_dp_with_strategy(6, RoundingStrategy::MidpointNearestEven))
}

/// One row of the summary (a channel, a partner, a month, or the total).
/// Money is in minor units of [`Summary::currency`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Channel id, partner id (empty for direct sales), month `YYYY-MM`, or `total`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Transaction lines.
    pub lines: u64,
    /// Of which returns.
    pub return_lines: u64,
    /// Distinct orders.
    pub orders: u64,
    /// Net units (returns subtracted).
    pub units: i64,
    /// Sum of sale amounts.
    pub gross_sales: i64,
    /// Sum of returned amounts, as a positive number.
    pub returns: i64,
    /// Gross sales − returns.
    pub net_revenue: i64,
    /// Net cost, when every line of the group has a cost.
    pub cost: Option<i64>,
    /// Net revenue − cost, when the cost is known.
    pub gross_margin: Option<i64>,
    /// Share of total net revenue, rounded half-even to 6 decimals; `None` if the total is 0.
    pub share_of_revenue: Option<Decimal>,
}

/// Sizes of the master tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterCounts {
    /// Territories.
    pub territories: usize,
    /// Channels.
    pub channels: usize,
    /// Partners.
    pub partners: usize,
    /// Categories.
    pub categories: usize,
    /// Products.
    pub products: usize,
    /// Price-list entries.
    pub price_entries: usize,
    /// Customers.
    pub customers: usize,
}

/// The data summary of a [`Dataset`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Currency of every amount (amounts are minor units).
    pub currency: Currency,
    /// First transaction day.
    pub first_date: Option<Date>,
    /// Last transaction day.
    pub last_date: Option<Date>,
    /// Customers with at least one line.
    pub active_customers: u64,
    /// Sizes of the master tables.
    pub master_counts: MasterCounts,
    /// Rows per operational table.
    pub operational_counts: BTreeMap<String, usize>,
    /// Totals over all lines.
    pub totals: SummaryRow,
    /// Per channel with lines, in channel order.
    pub by_channel: Vec<SummaryRow>,
    /// Per partner with lines, in partner order; direct sales last, with an empty key.
    pub by_partner: Vec<SummaryRow>,
    /// Per calendar month, ascending.
    pub by_month: Vec<SummaryRow>,
    /// What the load rejected.
    pub rejections: RejectionReport,
}

impl Summary {
    /// Summarise a data set, one state per chunk, merged in chunk order.
    pub fn compute(data: &Dataset) -> Result<Summary> {
        let state = data
            .transactions
            .chunks
            .iter()
            .map(|c| {
                let mut s = SummaryState::new(&data.master);
                s.update(c);
                s
            })
            .fold(SummaryState::new(&data.master), |acc, s| acc.merge(&s));
        state.finish(data)
    }

    /// The summary as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
