//! The per-customer summary: first and last purchase, recency, frequency, monetary value and
//! the BTYD ("buy till you die") inputs `x`, `t_x`, `T` and the repeat value, as of a date.
//!
//! # Definitions (stated, because peers disagree)
//!
//! * Only lines dated on or before [`CustomerOptions::as_of`] count.
//! * A *purchase* is a sale line. First and last purchase are the first and last sale days.
//!   Returns never make a purchase; they net the money (monetary value is gross sales minus
//!   returns) in the period they are dated.
//! * **Frequency** is what the caller chooses ([`Frequency`]): distinct sale orders, sale lines,
//!   or distinct active periods (days or ISO weeks with at least one sale line). All three are
//!   always in the output; the choice decides which one RFM scores.
//! * **Recency** for RFM is the number of days from the last purchase to `as_of`.
//! * **BTYD** (Fader, Hardie & Lee 2005): `x` = active periods − 1 (repeat purchase periods),
//!   `t_x` = last − first purchase day, `T` = `as_of` − first purchase day, both in the
//!   caller's [`TimeUnit`] (weeks are days / 7, not calendar weeks: the CDNOW convention).
//!   The repeat value is the net value outside the first active period (sales and returns
//!   dated in later periods); its mean over `x` is the Gamma-Gamma input.
//! * Customers with only returns in the window have no purchase: they are left out and
//!   counted ([`CustomerSummary::only_returns`]).
//!
//! # Mergeable
//!
//! [`CustomerState`] is the partial state of one data partition: `new` is the identity,
//! [`CustomerState::merge`] is associative and commutative, [`CustomerState::finish`] gives the
//! table. Distinct orders and periods are counted exactly (each state keeps, per customer,
//! the sorted distinct `(order, period)` pairs it saw).
//!
//! [`CustomerSummary::compute`] is the in-memory fast path over a whole [`Dataset`], on all
//! cores: each thread owns a range of customers and scans every line once. A customer's
//! running values sit together in one 48-byte record, loaded for a group of lines before they
//! are updated so the memory waits overlap. Distinct orders are counted with a bitset over
//! the interned order codes (an order has one customer); distinct periods by counting period
//! changes, which is exact while each customer's lines arrive in date order — customers whose
//! lines do not are flagged and recounted exactly from their `(order, period)` pairs in a
//! second, bounded pass. Both paths give the same table (tested on random partitions and row
//! orders).

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::date::Date;
use crate::error::{Error, Result};
use crate::master::Customers;
use crate::transactions::TxChunk;

/// What the summary reads of one chunk of lines: implemented by the data set's
/// [`TxChunk`] and by the lean [`crate::lines::LineChunk`], so both run the same code.
pub(crate) trait SummaryLines: Sync {
    /// Number of lines.
    fn len(&self) -> usize;
    /// Customer codes.
    fn customer(&self) -> &[u32];
    /// Days.
    fn date(&self) -> &[i32];
    /// Net amounts, minor units (negative on returns).
    fn amount(&self) -> &[i64];
    /// Order codes.
    fn order(&self) -> &[u32];
    /// Whether line `i` is a return.
    fn is_return(&self, i: usize) -> bool;
    /// Cost of goods of line `i`, if it has one.
    fn cost_of(&self, i: usize) -> Option<i64>;
    /// Whether the chunk has a cost column at all.
    fn has_cost(&self) -> bool;
}

impl SummaryLines for TxChunk {
    #[inline]
    fn len(&self) -> usize {
        TxChunk::len(self)
    }
    #[inline]
    fn customer(&self) -> &[u32] {
        &self.customer
    }
    #[inline]
    fn date(&self) -> &[i32] {
        &self.date
    }
    #[inline]
    fn amount(&self) -> &[i64] {
        &self.amount
    }
    #[inline]
    fn order(&self) -> &[u32] {
        &self.order
    }
    #[inline]
    fn is_return(&self, i: usize) -> bool {
        self.quantity[i] < 0
    }
    #[inline]
    fn cost_of(&self, i: usize) -> Option<i64> {
        TxChunk::cost_of(self, i)
    }
    #[inline]
    fn has_cost(&self) -> bool {
        !self.cost.is_empty()
    }
}

/// What RFM frequency counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Distinct sale orders.
    DistinctOrders,
    /// Sale lines.
    OrderLines,
    /// Distinct active periods (see [`CustomerOptions::period`]).
    ActivePeriods,
}

impl Frequency {
    /// Parse `distinct_orders` / `order_lines` / `active_periods`.
    pub fn parse(text: &str) -> Option<Frequency> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "distinct_orders" | "orders" => Some(Frequency::DistinctOrders),
            "order_lines" | "lines" => Some(Frequency::OrderLines),
            "active_periods" | "periods" => Some(Frequency::ActivePeriods),
            _ => None,
        }
    }
}

/// A time unit: days or weeks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// Days.
    Day,
    /// Weeks: as a measure, 7 days; as a period, an ISO week (Monday to Sunday).
    Week,
}

impl TimeUnit {
    /// Parse `day` / `week`.
    pub fn parse(text: &str) -> Option<TimeUnit> {
        match text.trim().to_ascii_lowercase().as_str() {
            "day" | "days" | "d" => Some(TimeUnit::Day),
            "week" | "weeks" | "w" => Some(TimeUnit::Week),
            _ => None,
        }
    }

    /// The period a day falls in: the day itself, or its ISO week number since 1969-12-29.
    #[inline]
    pub fn period_of(self, day: i32) -> i32 {
        match self {
            TimeUnit::Day => day,
            // 1970-01-01 was a Thursday: day −3 is a Monday.
            TimeUnit::Week => (day + 3).div_euclid(7),
        }
    }

    /// A number of days in this unit.
    #[inline]
    pub fn measure(self, days: i32) -> f64 {
        match self {
            TimeUnit::Day => f64::from(days),
            TimeUnit::Week => f64::from(days) / 7.0,
        }
    }
}

/// How to summarise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerOptions {
    /// The summary date: lines after it are ignored; recency and `T` run to it.
    pub as_of: Date,
    /// What RFM frequency counts. No default on purpose: say which.
    pub frequency: Frequency,
    /// What one active period is (for [`Frequency::ActivePeriods`] and BTYD `x`).
    pub period: TimeUnit,
    /// The unit of BTYD `t_x` and `T`.
    pub unit: TimeUnit,
}

impl CustomerOptions {
    /// Options with `frequency`, daily periods and weekly BTYD times (the CDNOW convention).
    pub fn new(as_of: Date, frequency: Frequency) -> CustomerOptions {
        CustomerOptions {
            as_of,
            frequency,
            period: TimeUnit::Day,
            unit: TimeUnit::Week,
        }
    }
}

impl schemars::JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "description": "A calendar day, YYYY-MM-DD."
        })
    }
}

const NO_DAY: i32 = i32::MAX;

/// One customer's values (48 bytes, kept together: lines arrive in any customer order, so one
/// record touched per line instead of one array per field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerValues {
    /// Net value (sales − returns), minor units.
    pub net: i64,
    /// Net value in the first active period, minor units (after [`CustomerSummary`] is built;
    /// sales only while running).
    pub first_period_value: i64,
    /// Net cost of goods of the lines that have one, minor units.
    pub cost: i64,
    /// First purchase day ([`i32::MAX`] when none).
    pub first_day: i32,
    /// Last purchase day.
    pub last_day: i32,
    /// Sale lines.
    pub lines: u32,
    /// Distinct sale orders.
    pub orders: u32,
    /// Distinct active periods.
    pub active_periods: u32,
    flags: u32,
}

/// A line without cost was seen.
const COST_MISSING: u32 = 1;
/// Lines arrived out of date order: periods must be recounted from pairs.
const RECOUNT: u32 = 2;

impl Default for CustomerValues {
    fn default() -> Self {
        CustomerValues {
            net: 0,
            first_period_value: 0,
            cost: 0,
            first_day: NO_DAY,
            last_day: i32::MIN,
            lines: 0,
            orders: 0,
            active_periods: 0,
            flags: 0,
        }
    }
}

impl CustomerValues {
    /// Whether the customer made a purchase.
    pub fn purchased(&self) -> bool {
        self.first_day != NO_DAY
    }

    /// Whether every line had a cost.
    pub fn cost_complete(&self) -> bool {
        self.flags & COST_MISSING == 0
    }

    /// Add one line's money and dates (not the distinct counts). Returns `false` on overflow.
    #[inline(always)]
    fn add(
        &mut self,
        day: i32,
        period: i32,
        amount: i64,
        cost: Option<i64>,
        unit: TimeUnit,
    ) -> bool {
        let mut ok = true;
        match self.net.checked_add(amount) {
            Some(v) => self.net = v,
            None => ok = false,
        }
        match cost {
            Some(v) => match self.cost.checked_add(v) {
                Some(s) => self.cost = s,
                None => ok = false,
            },
            None => self.flags |= COST_MISSING,
        }
        // Returns pass `i32::MIN` as their period: they net the money only.
        if period == i32::MIN {
            return ok;
        }
        self.add_sale(day, period, amount, unit) && ok
    }

    /// The sale part of [`CustomerValues::add`]: line count, first/last day, first-period sales.
    #[inline(always)]
    fn add_sale(&mut self, day: i32, period: i32, amount: i64, unit: TimeUnit) -> bool {
        let mut ok = true;
        self.lines += 1;
        let first_p = if self.first_day == NO_DAY {
            i32::MAX
        } else {
            unit.period_of(self.first_day)
        };
        if period < first_p {
            self.first_period_value = amount;
        } else if period == first_p {
            match self.first_period_value.checked_add(amount) {
                Some(s) => self.first_period_value = s,
                None => ok = false,
            }
        }
        self.first_day = self.first_day.min(day);
        self.last_day = self.last_day.max(day);
        ok
    }
}

/// Per-customer running values over a customer code range.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Scalars {
    acc: Vec<CustomerValues>,
    /// Returns: `(customer, period, amount)`, sorted at seal.
    returns: Vec<(u32, i32, i64)>,
    /// The first customer whose sums overflowed, if any.
    overflow: Option<u32>,
    /// Whether any input had a cost column.
    has_cost: bool,
}

impl Scalars {
    fn new(n: usize) -> Scalars {
        Scalars {
            acc: vec![CustomerValues::default(); n],
            returns: Vec::new(),
            overflow: None,
            has_cost: false,
        }
    }

    fn note_overflow(&mut self, cust: u32) {
        self.overflow = Some(self.overflow.map_or(cust, |o| o.min(cust)));
    }

    /// Add every line of `c` (the partition path: distinct counts come from pairs).
    fn update(&mut self, c: &TxChunk, o: &CustomerOptions) {
        self.has_cost |= !c.cost.is_empty();
        let unit = o.period;
        for i in 0..c.len() {
            let d = c.date[i];
            if d > o.as_of.0 {
                continue;
            }
            let cust = c.customer[i];
            let amount = c.amount[i];
            let p = unit.period_of(d);
            let is_return = c.quantity[i] < 0;
            let a = &mut self.acc[cust as usize];
            let ok = if is_return {
                a.add(d, i32::MIN, amount, c.cost_of(i), unit)
            } else {
                a.add(d, p, amount, c.cost_of(i), unit)
            };
            if is_return {
                self.returns.push((cust, p, amount));
            }
            if !ok {
                self.note_overflow(cust);
            }
        }
    }

    fn merge(&mut self, other: &Scalars, o: &CustomerOptions) {
        self.has_cost |= other.has_cost;
        let period = |d: i32| {
            if d == NO_DAY {
                i32::MAX
            } else {
                o.period.period_of(d)
            }
        };
        for (k, (a, b)) in self.acc.iter_mut().zip(&other.acc).enumerate() {
            let (pa, pb) = (period(a.first_day), period(b.first_day));
            let mut ok = true;
            if pb < pa {
                a.first_period_value = b.first_period_value;
            } else if pa == pb && b.first_day != NO_DAY {
                match a.first_period_value.checked_add(b.first_period_value) {
                    Some(s) => a.first_period_value = s,
                    None => ok = false,
                }
            }
            a.first_day = a.first_day.min(b.first_day);
            a.last_day = a.last_day.max(b.last_day);
            a.lines += b.lines;
            a.flags |= b.flags;
            match (a.net.checked_add(b.net), a.cost.checked_add(b.cost)) {
                (Some(n), Some(c)) => (a.net, a.cost) = (n, c),
                _ => ok = false,
            }
            if !ok {
                let cust = k as u32;
                self.overflow = Some(self.overflow.map_or(cust, |x| x.min(cust)));
            }
        }
        self.returns.extend_from_slice(&other.returns);
        self.returns.sort_unstable();
        if let Some(c) = other.overflow {
            self.note_overflow(c);
        }
    }
}

/// Distinct `(order, period)` pairs per customer, compressed sparse rows; each customer's
/// slice is sorted and free of duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct PairSets {
    /// `offsets[k]..offsets[k + 1]` is customer `k`'s slice.
    offsets: Vec<usize>,
    pairs: Vec<u64>,
}

#[inline]
fn pack(order: u32, period: i32) -> u64 {
    (u64::from(order) << 32) | u64::from(period as u32)
}

#[inline]
fn period_of_pair(pair: u64) -> i32 {
    pair as u32 as i32
}

/// Fill the `(order, period)` pairs of the sale lines of the customers `wanted` says (codes
/// `base..base + capacity.len()`), into slots sized by `capacity` (an upper bound: the
/// customer's sale lines); consecutive repeats are skipped. Then sort and deduplicate each
/// slot. Returns each slot's `(start, len)`.
fn collect_pairs<'c, L: SummaryLines + 'c>(
    chunks: impl Iterator<Item = &'c L>,
    base: u32,
    capacity: &[u32],
    wanted: impl Fn(u32) -> bool,
    o: &CustomerOptions,
    pairs: &mut Vec<u64>,
) -> Vec<(usize, usize)> {
    let n = capacity.len();
    // (next write position, end) per customer, together so a line touches one place.
    let mut slots: Vec<(usize, usize)> = Vec::with_capacity(n);
    let mut total = 0usize;
    for &c in capacity {
        let end = total + c as usize;
        slots.push((total, end));
        total = end;
    }
    pairs.clear();
    pairs.resize(total, 0);
    let width = n as u32;
    let as_of = o.as_of.0;
    let unit = o.period;
    for c in chunks {
        let (customer, date, order) = (c.customer(), c.date(), c.order());
        let mut prev: Option<(u32, u64)> = None;
        for i in 0..c.len() {
            let cust = customer[i];
            if cust.wrapping_sub(base) >= width || !wanted(cust) {
                continue;
            }
            let d = date[i];
            if d > as_of || c.is_return(i) {
                continue;
            }
            let key = pack(order[i], unit.period_of(d));
            if prev == Some((cust, key)) {
                continue;
            }
            prev = Some((cust, key));
            let slot = &mut slots[(cust - base) as usize];
            // The slot holds every sale line of the customer, so there is room.
            if slot.0 < slot.1 {
                pairs[slot.0] = key;
                slot.0 += 1;
            }
        }
    }
    let mut start = 0usize;
    let mut out = Vec::with_capacity(n);
    for &(written, end) in &slots {
        let s = &mut pairs[start..written];
        s.sort_unstable();
        let mut w = 0;
        for r in 0..s.len() {
            if r == 0 || s[r] != s[w - 1] {
                s[w] = s[r];
                w += 1;
            }
        }
        out.push((start, w));
        start = end;
    }
    out
}

/// Distinct orders and distinct periods of a sorted, deduplicated pair slice.
fn count_distinct(pairs: &[u64], scratch: &mut Vec<i32>) -> (u32, u32) {
    let mut orders = 0u32;
    let mut last_order = None;
    scratch.clear();
    for &p in pairs {
        let order = (p >> 32) as u32;
        if last_order != Some(order) {
            orders += 1;
            last_order = Some(order);
        }
        scratch.push(period_of_pair(p));
    }
    scratch.sort_unstable();
    scratch.dedup();
    (orders, scratch.len() as u32)
}

/// The partial per-customer summary of some data partitions (see the module docs).
///
/// ```
/// use qudao::customer::{CustomerOptions, CustomerState, Frequency};
/// use qudao::Date;
/// let sample = qudao::sample::generate(&qudao::sample::SampleConfig::with_lines(2_000)).unwrap();
/// let ds = &sample.dataset;
/// let as_of = Date::from_ymd(2025, 12, 31).unwrap();
/// let opts = CustomerOptions::new(as_of, Frequency::DistinctOrders);
/// let mut state = CustomerState::new(ds.master.customers.len(), opts);
/// for chunk in &ds.transactions.chunks {
///     state.update(chunk).unwrap();
/// }
/// let table = state.finish(ds).unwrap();
/// assert_eq!(table, qudao::customer::CustomerSummary::compute(ds, opts).unwrap());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerState {
    options: CustomerOptions,
    scalars: Scalars,
    sets: PairSets,
}

impl CustomerState {
    /// The empty state (identity of [`CustomerState::merge`]) over `customers` customer codes.
    pub fn new(customers: usize, options: CustomerOptions) -> CustomerState {
        CustomerState {
            options,
            scalars: Scalars::new(customers),
            sets: PairSets {
                offsets: vec![0; customers + 1],
                pairs: Vec::new(),
            },
        }
    }

    /// The options.
    pub fn options(&self) -> &CustomerOptions {
        &self.options
    }

    fn customers(&self) -> usize {
        self.scalars.acc.len()
    }

    /// Add one chunk (partition) of lines. Customer codes must be below the state's count.
    pub fn update(&mut self, chunk: &TxChunk) -> Result<()> {
        let n = self.customers();
        if let Some(i) = chunk.customer.iter().position(|&c| c as usize >= n) {
            return Err(Error::invalid_argument(
                "chunk",
                format!(
                    "row {i}: customer code {} but the state has {n} customers",
                    chunk.customer[i]
                ),
            ));
        }
        let mut part = Scalars::new(n);
        part.update(chunk, &self.options);
        part.returns.sort_unstable();
        let capacity: Vec<u32> = part.acc.iter().map(|a| a.lines).collect();
        let mut pairs = Vec::new();
        let slots = collect_pairs(
            std::iter::once(chunk),
            0,
            &capacity,
            |_| true,
            &self.options,
            &mut pairs,
        );
        let mut sets = PairSets {
            offsets: Vec::with_capacity(n + 1),
            pairs: Vec::new(),
        };
        for &(start, len) in &slots {
            sets.offsets.push(sets.pairs.len());
            sets.pairs.extend_from_slice(&pairs[start..start + len]);
        }
        sets.offsets.push(sets.pairs.len());
        let other = CustomerState {
            options: self.options,
            scalars: part,
            sets,
        };
        // Merging keeps one code path for combining, whatever the partitioning.
        self.merge_from(&other);
        Ok(())
    }

    /// Merge another partition's state. Both must have the same options and customer count.
    pub fn merge(mut self, other: &CustomerState) -> Result<CustomerState> {
        if self.options != other.options || self.customers() != other.customers() {
            return Err(Error::invalid_argument(
                "other",
                "states to merge must have the same options and customer count",
            ));
        }
        self.merge_from(other);
        Ok(self)
    }

    fn merge_from(&mut self, other: &CustomerState) {
        self.scalars.merge(&other.scalars, &self.options);
        let n = self.customers();
        let (a, b) = (&self.sets, &other.sets);
        let mut out = PairSets {
            offsets: Vec::with_capacity(n + 1),
            pairs: Vec::with_capacity(a.pairs.len() + b.pairs.len()),
        };
        for k in 0..n {
            out.offsets.push(out.pairs.len());
            let (x, y) = (
                &a.pairs[a.offsets[k]..a.offsets[k + 1]],
                &b.pairs[b.offsets[k]..b.offsets[k + 1]],
            );
            crate::summary::merge_sorted_into(x, y, &mut out.pairs);
        }
        out.offsets.push(out.pairs.len());
        self.sets = out;
    }

    /// The table. `dataset` gives the customer ids (rows are in id order).
    pub fn finish(&self, dataset: &Dataset) -> Result<CustomerSummary> {
        let mut s = self.scalars.clone();
        let mut scratch = Vec::new();
        for (k, a) in s.acc.iter_mut().enumerate() {
            let p = &self.sets.pairs[self.sets.offsets[k]..self.sets.offsets[k + 1]];
            (a.orders, a.active_periods) = count_distinct(p, &mut scratch);
            a.flags &= !RECOUNT;
        }
        CustomerSummary::assemble(&dataset.master.customers, self.options, s)
    }
}

/// One customer's row of a [`CustomerSummary`], with the derived values spelled out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRow {
    /// Customer id.
    pub customer: String,
    /// First purchase day.
    pub first_purchase: Date,
    /// Last purchase day.
    pub last_purchase: Date,
    /// Days from the last purchase to the summary date.
    pub recency_days: i32,
    /// Frequency under the chosen rule.
    pub frequency: u32,
    /// Distinct sale orders.
    pub orders: u32,
    /// Sale lines.
    pub lines: u32,
    /// Distinct active periods.
    pub active_periods: u32,
    /// Net value (sales − returns), minor units: the monetary value and revenue to date.
    pub monetary: i64,
    /// Net value minus net cost of goods, minor units, when every line has a cost.
    pub margin: Option<i64>,
    /// BTYD repeat purchase periods.
    pub x: u32,
    /// BTYD time of the last purchase since the first, in the unit.
    pub t_x: f64,
    /// BTYD age at the summary date, in the unit.
    pub t: f64,
    /// Net value outside the first active period, minor units.
    pub repeat_value: i64,
}

/// The per-customer table: one row per customer with a purchase on or before the date, in
/// customer id order. Read it by row with the accessors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSummary {
    options: CustomerOptions,
    /// Values by customer code.
    values: Vec<CustomerValues>,
    /// Customer codes of the rows, in id order.
    rows: Vec<u32>,
    has_cost: bool,
    only_returns: Vec<u32>,
}

impl CustomerSummary {
    /// Summarise `dataset` as of `options.as_of`, on all cores.
    ///
    /// ```
    /// use qudao::customer::{CustomerOptions, CustomerSummary, Frequency};
    /// let sample = qudao::sample::generate(&qudao::sample::SampleConfig::with_lines(2_000)).unwrap();
    /// let as_of = qudao::Date::from_ymd(2025, 12, 31).unwrap();
    /// let t = CustomerSummary::compute(&sample.dataset, CustomerOptions::new(as_of, Frequency::DistinctOrders)).unwrap();
    /// let row = t.row(&sample.dataset, 0);
    /// assert!(row.orders >= 1 && row.x + 1 == row.active_periods);
    /// ```
    pub fn compute(dataset: &Dataset, options: CustomerOptions) -> Result<CustomerSummary> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::compute_with(dataset, options, threads, PAIR_BUDGET)
    }

    /// [`CustomerSummary::compute`] with an explicit thread count and pair-buffer size (in
    /// pairs per thread, for the recount of customers whose lines are out of date order);
    /// the result does not depend on either.
    pub fn compute_with(
        dataset: &Dataset,
        options: CustomerOptions,
        threads: usize,
        pair_budget: usize,
    ) -> Result<CustomerSummary> {
        Self::compute_over(
            &dataset.transactions.chunks,
            &dataset.master.customers,
            dataset.transactions.orders.len(),
            options,
            threads,
            pair_budget,
        )
    }

    /// The fast path over any chunks of lines whose customer codes index `customers` and
    /// whose order codes are below `order_codes` (when they are not, orders are counted
    /// from pairs instead).
    pub(crate) fn compute_over<L: SummaryLines>(
        chunks: &[L],
        customers: &Customers,
        order_codes: usize,
        options: CustomerOptions,
        threads: usize,
        pair_budget: usize,
    ) -> Result<CustomerSummary> {
        let n = customers.len();
        // The largest code first (a branch-free pass the compiler vectorises); the position
        // only when it is out of range.
        for c in chunks {
            let largest = c.customer().iter().copied().max().unwrap_or(0);
            if (largest as usize) < n {
                continue;
            }
            if let Some(i) = c.customer().iter().position(|&x| x as usize >= n) {
                return Err(Error::invalid_argument(
                    "dataset",
                    format!("row {i}: customer code {} out of range", c.customer()[i]),
                ));
            }
        }
        let threads = threads.clamp(1, 64).min(n.max(1));
        // Interned order codes are dense: a bitset of them counts distinct orders exactly.
        let dense_orders = order_codes > 0
            && chunks.iter().all(|c| {
                c.order()
                    .iter()
                    .copied()
                    .max()
                    .is_none_or(|o| (o as usize) < order_codes)
            });
        let mut values = vec![CustomerValues::default(); n];
        let mut returns = Vec::new();
        let mut overflow: Option<u32> = None;
        // One contiguous customer range per thread; each scans all lines and keeps its own.
        let mut parts: Vec<(u32, &mut [CustomerValues])> = Vec::with_capacity(threads);
        let mut rest = values.as_mut_slice();
        let mut base = 0u32;
        for t in 0..threads {
            let end = n * (t + 1) / threads;
            let (mine, tail) = rest.split_at_mut(end - base as usize);
            parts.push((base, mine));
            base = end as u32;
            rest = tail;
        }
        let pair_budget = pair_budget.max(1);
        let results: Vec<RangeResult> = std::thread::scope(|s| {
            let handles: Vec<_> = parts
                .into_iter()
                .map(|(base, acc)| {
                    s.spawn(move || {
                        summarise_range(
                            chunks,
                            base,
                            acc,
                            &options,
                            dense_orders.then_some(order_codes),
                            pair_budget,
                        )
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        for (r, o) in results {
            returns.extend(r);
            if let Some(c) = o {
                overflow = Some(overflow.map_or(c, |x| x.min(c)));
            }
        }
        returns.sort_unstable();
        let scalars = Scalars {
            acc: values,
            returns,
            overflow,
            has_cost: chunks.iter().any(|c| c.has_cost()),
        };
        Self::assemble(customers, options, scalars)
    }

    fn assemble(
        customers: &Customers,
        options: CustomerOptions,
        mut s: Scalars,
    ) -> Result<CustomerSummary> {
        if let Some(c) = s.overflow {
            return Err(Error::overflow(format!(
                "the net value of customer `{}`",
                customers.id(c)
            )));
        }
        // Returns in the first active period net that period's value (a sorted side list:
        // a return seen before its customer's first sale could not be placed in one pass).
        let mut only_returns = Vec::new();
        for &(c, p, amount) in &s.returns {
            let a = &mut s.acc[c as usize];
            if a.first_day == NO_DAY {
                if only_returns.last() != Some(&c) {
                    only_returns.push(c);
                }
            } else if options.period.period_of(a.first_day) == p {
                a.first_period_value = a
                    .first_period_value
                    .checked_add(amount)
                    .ok_or_else(|| Error::overflow("a first-period value"))?;
            }
        }
        let rows: Vec<u32> = customers
            .id_order()
            .iter()
            .copied()
            .filter(|&c| s.acc[c as usize].first_day != NO_DAY)
            .collect();
        Ok(CustomerSummary {
            options,
            values: s.acc,
            rows,
            has_cost: s.has_cost,
            only_returns,
        })
    }

    /// The options used.
    pub fn options(&self) -> &CustomerOptions {
        &self.options
    }

    /// Number of rows (customers with a purchase).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no customer purchased on or before the date.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Customer codes (into the master data's customers) with lines in the window but only
    /// returns: left out of the rows, and counted here.
    pub fn only_returns(&self) -> &[u32] {
        &self.only_returns
    }

    /// The customer codes of the rows, in id order.
    pub fn codes(&self) -> &[u32] {
        &self.rows
    }

    /// All values of row `r`.
    #[inline]
    pub fn values(&self, r: usize) -> &CustomerValues {
        &self.values[self.rows[r] as usize]
    }

    /// Customer code of row `r`.
    #[inline]
    pub fn code(&self, r: usize) -> u32 {
        self.rows[r]
    }

    /// First purchase day of row `r`.
    #[inline]
    pub fn first_day(&self, r: usize) -> i32 {
        self.values(r).first_day
    }

    /// Last purchase day of row `r`.
    #[inline]
    pub fn last_day(&self, r: usize) -> i32 {
        self.values(r).last_day
    }

    /// Distinct sale orders of row `r`.
    #[inline]
    pub fn orders(&self, r: usize) -> u32 {
        self.values(r).orders
    }

    /// Sale lines of row `r`.
    #[inline]
    pub fn lines(&self, r: usize) -> u32 {
        self.values(r).lines
    }

    /// Distinct active periods of row `r`.
    #[inline]
    pub fn active_periods(&self, r: usize) -> u32 {
        self.values(r).active_periods
    }

    /// Net value (monetary, revenue to date) of row `r`, minor units.
    #[inline]
    pub fn monetary(&self, r: usize) -> i64 {
        self.values(r).net
    }

    /// Net value in the first active period of row `r`, minor units.
    #[inline]
    pub fn first_period_value(&self, r: usize) -> i64 {
        self.values(r).first_period_value
    }

    /// Recency in days of row `r`.
    #[inline]
    pub fn recency_days(&self, r: usize) -> i32 {
        self.options.as_of.0 - self.last_day(r)
    }

    /// Frequency of row `r` under the chosen rule.
    #[inline]
    pub fn frequency(&self, r: usize) -> u32 {
        let v = self.values(r);
        match self.options.frequency {
            Frequency::DistinctOrders => v.orders,
            Frequency::OrderLines => v.lines,
            Frequency::ActivePeriods => v.active_periods,
        }
    }

    /// Margin to date of row `r` (net value − net cost), when every line had a cost.
    pub fn margin(&self, r: usize) -> Option<i64> {
        let v = self.values(r);
        if !self.has_cost || !v.cost_complete() {
            return None;
        }
        v.net.checked_sub(v.cost)
    }

    /// BTYD `(x, t_x, T)` of row `r` in the options' unit.
    pub fn btyd(&self, r: usize) -> (u32, f64, f64) {
        let v = self.values(r);
        let o = &self.options;
        (
            v.active_periods.saturating_sub(1),
            o.unit.measure(v.last_day - v.first_day),
            o.unit.measure(o.as_of.0 - v.first_day),
        )
    }

    /// Net value outside the first active period of row `r`, minor units.
    pub fn repeat_value(&self, r: usize) -> i64 {
        let v = self.values(r);
        v.net.saturating_sub(v.first_period_value)
    }

    /// Mean repeat spend of row `r` in major units: the repeat value over `x`, the
    /// Gamma-Gamma input of a prediction. 0 when the customer has no repeat purchase or its
    /// repeat value is not positive (the model then predicts what it expects of a customer
    /// without observed positive spend).
    pub fn mean_repeat_spend(&self, r: usize, minor_per_major: i64) -> f64 {
        let (x, _, _) = self.btyd(r);
        let v = self.repeat_value(r);
        if x == 0 || v <= 0 {
            return 0.0;
        }
        v as f64 / minor_per_major.max(1) as f64 / f64::from(x)
    }

    /// Row `r` spelled out.
    pub fn row(&self, dataset: &Dataset, r: usize) -> CustomerRow {
        let (x, t_x, t) = self.btyd(r);
        CustomerRow {
            customer: dataset.master.customers.id(self.code(r)).to_owned(),
            first_purchase: Date(self.first_day(r)),
            last_purchase: Date(self.last_day(r)),
            recency_days: self.recency_days(r),
            frequency: self.frequency(r),
            orders: self.orders(r),
            lines: self.lines(r),
            active_periods: self.active_periods(r),
            monetary: self.monetary(r),
            margin: self.margin(r),
            x,
            t_x,
            t,
            repeat_value: self.repeat_value(r),
        }
    }

    /// The BTYD model input for every row (see [`crate::clv::BtydData::compress`]).
    pub fn btyd_rows(&self) -> impl Iterator<Item = (f64, f64, f64)> + '_ {
        (0..self.len()).map(|r| {
            let (x, t_x, t) = self.btyd(r);
            (f64::from(x), t_x, t)
        })
    }

    /// Gamma-Gamma input: `(x, mean repeat value in major units)` for repeat buyers with a
    /// positive repeat value, and the number of repeat buyers left out because their repeat
    /// value was zero or negative.
    pub fn spend_rows(&self, minor_per_major: i64) -> (Vec<(f64, f64)>, u64) {
        let scale = minor_per_major.max(1) as f64;
        let mut rows = Vec::new();
        let mut dropped = 0;
        for r in 0..self.len() {
            let (x, _, _) = self.btyd(r);
            if x == 0 {
                continue;
            }
            let v = self.repeat_value(r);
            if v <= 0 {
                dropped += 1;
                continue;
            }
            rows.push((f64::from(x), v as f64 / scale / f64::from(x)));
        }
        (rows, dropped)
    }
}

/// What a customer range leaves besides its records: its returns `(customer, period,
/// amount)` and the first overflowing customer.
type RangeResult = (Vec<(u32, i32, i64)>, Option<u32>);

/// Pairs per thread held at once by the recount (8 bytes each).
pub(crate) const PAIR_BUDGET: usize = 1 << 21;

/// Lines whose records are loaded together before they are updated.
const GROUP: usize = 64;

/// Summarise the customers `base..base + acc.len()` over all chunks into `acc`; returns the
/// range's returns and the first overflowing customer.
fn summarise_range<L: SummaryLines>(
    chunks: &[L],
    base: u32,
    acc: &mut [CustomerValues],
    o: &CustomerOptions,
    dense_orders: Option<usize>,
    pair_budget: usize,
) -> RangeResult {
    let width = acc.len() as u32;
    let as_of = o.as_of.0;
    let unit = o.period;
    let mut returns = Vec::new();
    let mut overflow: Option<u32> = None;
    let mut seen_orders = dense_orders.map(|n| vec![0u64; n.div_ceil(64)]);
    let mut group: Vec<u32> = Vec::with_capacity(GROUP);
    for c in chunks {
        let (customer, date, amount, order) = (c.customer(), c.date(), c.amount(), c.order());
        let mut start = 0;
        while start < c.len() {
            let end = (start + 4 * GROUP).min(c.len());
            // Pick this stretch's lines and load their records: independent loads, so the
            // memory waits overlap instead of adding up.
            group.clear();
            let mut touch = 0u32;
            for i in start..end {
                let k = customer[i].wrapping_sub(base);
                if k < width && date[i] <= as_of {
                    group.push(i as u32);
                    // Both ends: a 48-byte record may straddle two cache lines.
                    let rec = &acc[k as usize];
                    touch ^= rec.flags ^ rec.net as u32;
                }
            }
            std::hint::black_box(touch);
            for &i in &group {
                let i = i as usize;
                let cust = customer[i];
                let d = date[i];
                let a = &mut acc[(cust - base) as usize];
                let p = unit.period_of(d);
                let amt = amount[i];
                let ok = if c.is_return(i) {
                    returns.push((cust, p, amt));
                    a.add(d, i32::MIN, amt, c.cost_of(i), unit)
                } else {
                    // Distinct periods by counting changes: exact while the customer's lines
                    // come in date order; otherwise recounted below.
                    if a.lines == 0 {
                        a.active_periods = 1;
                    } else {
                        let last = unit.period_of(a.last_day);
                        if p > last {
                            a.active_periods += 1;
                        } else if p < last {
                            a.flags |= RECOUNT;
                        }
                    }
                    match &mut seen_orders {
                        Some(bits) => {
                            let ord = order[i] as usize;
                            let (w, b) = (ord / 64, 1u64 << (ord % 64));
                            if bits[w] & b == 0 {
                                bits[w] |= b;
                                a.orders += 1;
                            }
                        }
                        None => a.flags |= RECOUNT,
                    }
                    a.add(d, p, amt, c.cost_of(i), unit)
                };
                if !ok {
                    overflow = Some(overflow.map_or(cust, |x| x.min(cust)));
                }
            }
            start = end;
        }
    }
    // Exact recount of the flagged customers from their (order, period) pairs, in
    // sub-ranges whose lines fit the pair budget.
    let n = acc.len();
    let mut pairs = Vec::new();
    let mut scratch = Vec::new();
    let mut start = 0usize;
    while start < n {
        let mut end = start;
        let mut total = 0usize;
        let mut any = false;
        while end < n {
            let need = if acc[end].flags & RECOUNT != 0 {
                acc[end].lines as usize
            } else {
                0
            };
            if any && total + need > pair_budget {
                break;
            }
            any |= need > 0;
            total += need;
            end += 1;
        }
        if any {
            let capacity: Vec<u32> = acc[start..end]
                .iter()
                .map(|a| if a.flags & RECOUNT != 0 { a.lines } else { 0 })
                .collect();
            let flagged: Vec<u64> = {
                let mut b = vec![0u64; capacity.len().div_ceil(64)];
                for (k, &c) in capacity.iter().enumerate() {
                    if c > 0 {
                        b[k / 64] |= 1 << (k % 64);
                    }
                }
                b
            };
            let sub_base = base + start as u32;
            let slots = collect_pairs(
                chunks.iter(),
                sub_base,
                &capacity,
                |cust| {
                    let k = (cust - sub_base) as usize;
                    flagged[k / 64] >> (k % 64) & 1 == 1
                },
                o,
                &mut pairs,
            );
            for (k, &(s, len)) in slots.iter().enumerate() {
                let a = &mut acc[start + k];
                if a.flags & RECOUNT != 0 {
                    (a.orders, a.active_periods) = count_distinct(&pairs[s..s + len], &mut scratch);
                    a.flags &= !RECOUNT;
                }
            }
        }
        start = end;
    }
    (returns, overflow)
}
