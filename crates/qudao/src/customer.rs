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
//! the sorted distinct `(order, period)` pairs it saw). [`CustomerSummary::compute`] is the
//! in-memory fast path over a whole [`Dataset`]: it splits the customers into ranges, counts
//! each range's distinct pairs in a bounded buffer and never holds all pairs at once, on all
//! cores. Both paths give the same table (tested).

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::date::Date;
use crate::error::{Error, Result};
use crate::transactions::TxChunk;

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

/// Per-customer running values (struct of arrays over a customer code range).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Scalars {
    first_day: Vec<i32>,
    last_day: Vec<i32>,
    sale_lines: Vec<u32>,
    net: Vec<i64>,
    /// Sales dated in the first active period (returns there are netted at finish).
    first_period_sales: Vec<i64>,
    /// Net cost of goods, when the data has a cost column.
    cost: Vec<i64>,
    /// Customers with a line without cost (bitset).
    cost_missing: Vec<u64>,
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
            first_day: vec![NO_DAY; n],
            last_day: vec![i32::MIN; n],
            sale_lines: vec![0; n],
            net: vec![0; n],
            first_period_sales: vec![0; n],
            cost: Vec::new(),
            cost_missing: vec![0; n.div_ceil(64)],
            returns: Vec::new(),
            overflow: None,
            has_cost: false,
        }
    }

    fn ensure_cost(&mut self) {
        if !self.has_cost {
            self.has_cost = true;
            self.cost = vec![0; self.net.len()];
        }
    }

    #[inline]
    fn mark_cost_missing(&mut self, k: usize) {
        self.cost_missing[k / 64] |= 1 << (k % 64);
    }

    /// Add the lines of `c` at rows in `rows` whose customer is in `range`.
    fn update(&mut self, c: &TxChunk, rows: Range<usize>, range: &Range<u32>, o: &CustomerOptions) {
        if !c.cost.is_empty() {
            self.ensure_cost();
        }
        let (lo, hi) = (range.start, range.end);
        let as_of = o.as_of.0;
        for i in rows {
            let cust = c.customer[i];
            if cust < lo || cust >= hi {
                continue;
            }
            let d = c.date[i];
            if d > as_of {
                continue;
            }
            let k = (cust - lo) as usize;
            let amount = c.amount[i];
            let Some(net) = self.net[k].checked_add(amount) else {
                self.overflow.get_or_insert(cust);
                continue;
            };
            self.net[k] = net;
            match c.cost_of(i) {
                Some(v) => match self.cost[k].checked_add(v) {
                    Some(s) => self.cost[k] = s,
                    None => {
                        self.overflow.get_or_insert(cust);
                    }
                },
                None => self.mark_cost_missing(k),
            }
            let p = o.period.period_of(d);
            if c.quantity[i] < 0 {
                self.returns.push((cust, p, amount));
                continue;
            }
            self.sale_lines[k] += 1;
            let first = self.first_day[k];
            let first_p = if first == NO_DAY {
                i32::MAX
            } else {
                o.period.period_of(first)
            };
            if p < first_p {
                self.first_period_sales[k] = amount;
            } else if p == first_p {
                match self.first_period_sales[k].checked_add(amount) {
                    Some(s) => self.first_period_sales[k] = s,
                    None => {
                        self.overflow.get_or_insert(cust);
                    }
                }
            }
            if d < first {
                self.first_day[k] = d;
            }
            if d > self.last_day[k] {
                self.last_day[k] = d;
            }
        }
    }

    fn seal(&mut self) {
        self.returns.sort_unstable();
    }

    fn merge(&mut self, other: &Scalars, lo: u32, o: &CustomerOptions) {
        if other.has_cost {
            self.ensure_cost();
        }
        for k in 0..self.net.len() {
            let (a, b) = (self.first_day[k], other.first_day[k]);
            let pa = if a == NO_DAY {
                i32::MAX
            } else {
                o.period.period_of(a)
            };
            let pb = if b == NO_DAY {
                i32::MAX
            } else {
                o.period.period_of(b)
            };
            if pb < pa {
                self.first_period_sales[k] = other.first_period_sales[k];
            } else if pa == pb && b != NO_DAY {
                match self.first_period_sales[k].checked_add(other.first_period_sales[k]) {
                    Some(s) => self.first_period_sales[k] = s,
                    None => {
                        self.overflow.get_or_insert(lo + k as u32);
                    }
                }
            }
            self.first_day[k] = a.min(b);
            self.last_day[k] = self.last_day[k].max(other.last_day[k]);
            self.sale_lines[k] += other.sale_lines[k];
            match self.net[k].checked_add(other.net[k]) {
                Some(s) => self.net[k] = s,
                None => {
                    self.overflow.get_or_insert(lo + k as u32);
                }
            }
            if other.has_cost {
                match self.cost[k].checked_add(other.cost[k]) {
                    Some(s) => self.cost[k] = s,
                    None => {
                        self.overflow.get_or_insert(lo + k as u32);
                    }
                }
            }
        }
        for (w, o) in self.cost_missing.iter_mut().zip(&other.cost_missing) {
            *w |= o;
        }
        self.returns.extend_from_slice(&other.returns);
        self.returns.sort_unstable();
        self.overflow = match (self.overflow, other.overflow) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
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

/// Fill, per customer of `range`, the `(order, period)` pairs of its sale lines (consecutive
/// repeats skipped), given an upper bound `cap[k]` of each customer's count; then sort and
/// deduplicate each customer's slice. Returns the offsets of the raw slices and their lengths.
fn collect_pairs<'c>(
    chunks: impl Iterator<Item = &'c TxChunk>,
    range: &Range<u32>,
    cap: &[u32],
    o: &CustomerOptions,
    pairs: &mut Vec<u64>,
) -> (Vec<usize>, Vec<u32>) {
    let n = (range.end - range.start) as usize;
    let mut offsets = Vec::with_capacity(n + 1);
    let mut total = 0usize;
    for &c in &cap[..n] {
        offsets.push(total);
        total += c as usize;
    }
    offsets.push(total);
    pairs.clear();
    pairs.resize(total, 0);
    let mut len = vec![0u32; n];
    let (lo, hi) = (range.start, range.end);
    let as_of = o.as_of.0;
    for c in chunks {
        let mut prev: Option<(u32, u64)> = None;
        for i in 0..c.len() {
            let cust = c.customer[i];
            if cust < lo || cust >= hi {
                continue;
            }
            let d = c.date[i];
            if d > as_of || c.quantity[i] < 0 {
                continue;
            }
            let key = pack(c.order[i], o.period.period_of(d));
            if prev == Some((cust, key)) {
                continue;
            }
            prev = Some((cust, key));
            let k = (cust - lo) as usize;
            // The bound counts every sale line, so this slot exists.
            if len[k] < cap[k] {
                pairs[offsets[k] + len[k] as usize] = key;
                len[k] += 1;
            }
        }
    }
    for k in 0..n {
        let s = &mut pairs[offsets[k]..offsets[k] + len[k] as usize];
        s.sort_unstable();
        let mut w = 0;
        for r in 0..s.len() {
            if r == 0 || s[r] != s[w - 1] {
                s[w] = s[r];
                w += 1;
            }
        }
        len[k] = w as u32;
    }
    (offsets, len)
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
///     state.update(chunk);
/// }
/// let table = state.finish(ds).unwrap();
/// assert_eq!(table, qudao::customer::CustomerSummary::compute(ds, opts).unwrap());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerState {
    options: CustomerOptions,
    customers: u32,
    scalars: Scalars,
    sets: PairSets,
}

impl CustomerState {
    /// The empty state (identity of [`CustomerState::merge`]) over `customers` customer codes.
    pub fn new(customers: usize, options: CustomerOptions) -> CustomerState {
        CustomerState {
            options,
            customers: customers as u32,
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

    /// Add one chunk (partition) of lines.
    pub fn update(&mut self, chunk: &TxChunk) {
        let range = 0..self.customers;
        let mut part = Scalars::new(self.customers as usize);
        part.update(chunk, 0..chunk.len(), &range, &self.options);
        let mut pairs = Vec::new();
        let (offsets, len) = collect_pairs(
            std::iter::once(chunk),
            &range,
            &part.sale_lines,
            &self.options,
            &mut pairs,
        );
        part.seal();
        let mut sets = PairSets {
            offsets: Vec::with_capacity(offsets.len()),
            pairs: Vec::new(),
        };
        for k in 0..self.customers as usize {
            sets.offsets.push(sets.pairs.len());
            sets.pairs
                .extend_from_slice(&pairs[offsets[k]..offsets[k] + len[k] as usize]);
        }
        sets.offsets.push(sets.pairs.len());
        let other = CustomerState {
            options: self.options,
            customers: self.customers,
            scalars: part,
            sets,
        };
        // Merging keeps one code path for combining, whatever the partitioning.
        self.merge_from(&other);
    }

    /// Merge another partition's state. Both must have the same options and customer count.
    pub fn merge(mut self, other: &CustomerState) -> Result<CustomerState> {
        if self.options != other.options || self.customers != other.customers {
            return Err(Error::invalid_argument(
                "other",
                "states to merge must have the same options and customer count",
            ));
        }
        self.merge_from(other);
        Ok(self)
    }

    fn merge_from(&mut self, other: &CustomerState) {
        self.scalars.merge(&other.scalars, 0, &self.options);
        let n = self.customers as usize;
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
            let (mut i, mut j) = (0, 0);
            while i < x.len() && j < y.len() {
                match x[i].cmp(&y[j]) {
                    std::cmp::Ordering::Less => {
                        out.pairs.push(x[i]);
                        i += 1;
                    }
                    std::cmp::Ordering::Greater => {
                        out.pairs.push(y[j]);
                        j += 1;
                    }
                    std::cmp::Ordering::Equal => {
                        out.pairs.push(x[i]);
                        i += 1;
                        j += 1;
                    }
                }
            }
            out.pairs.extend_from_slice(&x[i..]);
            out.pairs.extend_from_slice(&y[j..]);
        }
        out.offsets.push(out.pairs.len());
        self.sets = out;
    }

    /// The table. `dataset` gives the customer ids (rows are in id order).
    pub fn finish(&self, dataset: &Dataset) -> Result<CustomerSummary> {
        let n = self.customers as usize;
        let mut orders = vec![0u32; n];
        let mut periods = vec![0u32; n];
        let mut scratch = Vec::new();
        for k in 0..n {
            let s = &self.sets.pairs[self.sets.offsets[k]..self.sets.offsets[k + 1]];
            (orders[k], periods[k]) = count_distinct(s, &mut scratch);
        }
        CustomerSummary::assemble(dataset, self.options, &self.scalars, &orders, &periods)
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
/// customer id order. Columns are public vectors of equal length.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerSummary {
    /// The options used.
    pub options: Option<CustomerOptions>,
    /// Customer code (into the master data's customers).
    pub customer: Vec<u32>,
    /// First purchase day.
    pub first_day: Vec<i32>,
    /// Last purchase day.
    pub last_day: Vec<i32>,
    /// Distinct sale orders.
    pub orders: Vec<u32>,
    /// Sale lines.
    pub lines: Vec<u32>,
    /// Distinct active periods.
    pub active_periods: Vec<u32>,
    /// Net value (sales − returns), minor units.
    pub monetary: Vec<i64>,
    /// Net value in the first active period, minor units.
    pub first_period_value: Vec<i64>,
    /// Net cost of goods, minor units; empty when the data has no cost column.
    pub cost: Vec<i64>,
    /// Rows whose cost is incomplete (some line had no cost), as row indices.
    pub cost_incomplete: Vec<u32>,
    /// Customer codes with lines in the window but only returns (left out, counted).
    pub only_returns: Vec<u32>,
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
    /// pairs per thread); the result does not depend on either.
    pub fn compute_with(
        dataset: &Dataset,
        options: CustomerOptions,
        threads: usize,
        pair_budget: usize,
    ) -> Result<CustomerSummary> {
        let n = dataset.master.customers.len();
        let threads = threads.clamp(1, 64).min(n.max(1));
        let chunks = &dataset.transactions.chunks;
        // Split customers into one contiguous range per thread; each thread scans all lines
        // and keeps its own customers, so no state is duplicated and nothing is merged.
        let bounds: Vec<u32> = (0..=threads).map(|t| (n * t / threads) as u32).collect();
        let pair_budget = pair_budget.max(1);
        let parts: Vec<(Scalars, Vec<u32>, Vec<u32>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let range = bounds[t]..bounds[t + 1];
                    s.spawn(move || summarise_range(chunks, range, &options, pair_budget))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let mut scalars = Scalars::new(0);
        let mut orders = Vec::with_capacity(n);
        let mut periods = Vec::with_capacity(n);
        for (s, o, p) in parts {
            scalars.append(s);
            orders.extend(o);
            periods.extend(p);
        }
        scalars.seal();
        Self::assemble(dataset, options, &scalars, &orders, &periods)
    }

    fn assemble(
        dataset: &Dataset,
        options: CustomerOptions,
        s: &Scalars,
        orders: &[u32],
        periods: &[u32],
    ) -> Result<CustomerSummary> {
        let customers = &dataset.master.customers;
        if let Some(c) = s.overflow {
            return Err(Error::overflow(format!(
                "the net value of customer `{}`",
                customers.id(c)
            )));
        }
        // Returns in the first active period net that period's value.
        let mut first_value = s.first_period_sales.clone();
        let mut only_returns = Vec::new();
        for &(c, p, amount) in &s.returns {
            let k = c as usize;
            let first = s.first_day[k];
            if first == NO_DAY {
                if only_returns.last() != Some(&c) {
                    only_returns.push(c);
                }
            } else if options.period.period_of(first) == p {
                first_value[k] = first_value[k]
                    .checked_add(amount)
                    .ok_or_else(|| Error::overflow("a first-period value"))?;
            }
        }
        let order = customers.id_order();
        let rows: Vec<u32> = order
            .iter()
            .copied()
            .filter(|&c| s.first_day[c as usize] != NO_DAY)
            .collect();
        let pick32 = |v: &[i32]| -> Vec<i32> { rows.iter().map(|&c| v[c as usize]).collect() };
        let picku = |v: &[u32]| -> Vec<u32> { rows.iter().map(|&c| v[c as usize]).collect() };
        let pick64 = |v: &[i64]| -> Vec<i64> { rows.iter().map(|&c| v[c as usize]).collect() };
        let cost_incomplete = if s.has_cost {
            rows.iter()
                .enumerate()
                .filter(|&(_, &c)| s.cost_missing[c as usize / 64] >> (c % 64) & 1 == 1)
                .map(|(r, _)| r as u32)
                .collect()
        } else {
            Vec::new()
        };
        Ok(CustomerSummary {
            options: Some(options),
            first_day: pick32(&s.first_day),
            last_day: pick32(&s.last_day),
            orders: picku(orders),
            lines: picku(&s.sale_lines),
            active_periods: picku(periods),
            monetary: pick64(&s.net),
            first_period_value: pick64(&first_value),
            cost: if s.has_cost {
                pick64(&s.cost)
            } else {
                Vec::new()
            },
            cost_incomplete,
            only_returns,
            customer: rows,
        })
    }

    /// Number of rows (customers with a purchase).
    pub fn len(&self) -> usize {
        self.customer.len()
    }

    /// Whether no customer purchased on or before the date.
    pub fn is_empty(&self) -> bool {
        self.customer.is_empty()
    }

    fn opts(&self) -> CustomerOptions {
        self.options
            .unwrap_or_else(|| CustomerOptions::new(Date(0), Frequency::DistinctOrders))
    }

    /// Recency in days of row `r`.
    #[inline]
    pub fn recency_days(&self, r: usize) -> i32 {
        self.opts().as_of.0 - self.last_day[r]
    }

    /// Frequency of row `r` under the chosen rule.
    #[inline]
    pub fn frequency(&self, r: usize) -> u32 {
        match self.opts().frequency {
            Frequency::DistinctOrders => self.orders[r],
            Frequency::OrderLines => self.lines[r],
            Frequency::ActivePeriods => self.active_periods[r],
        }
    }

    /// Margin to date of row `r`, when the cost is complete.
    pub fn margin(&self, r: usize) -> Option<i64> {
        if self.cost.is_empty() || self.cost_incomplete.binary_search(&(r as u32)).is_ok() {
            return None;
        }
        self.monetary[r].checked_sub(self.cost[r])
    }

    /// BTYD `(x, t_x, T)` of row `r` in the options' unit.
    pub fn btyd(&self, r: usize) -> (u32, f64, f64) {
        let o = self.opts();
        (
            self.active_periods[r].saturating_sub(1),
            o.unit.measure(self.last_day[r] - self.first_day[r]),
            o.unit.measure(o.as_of.0 - self.first_day[r]),
        )
    }

    /// Net value outside the first active period of row `r`, minor units.
    pub fn repeat_value(&self, r: usize) -> i64 {
        self.monetary[r].saturating_sub(self.first_period_value[r])
    }

    /// Row `r` spelled out.
    pub fn row(&self, dataset: &Dataset, r: usize) -> CustomerRow {
        let (x, t_x, t) = self.btyd(r);
        CustomerRow {
            customer: dataset.master.customers.id(self.customer[r]).to_owned(),
            first_purchase: Date(self.first_day[r]),
            last_purchase: Date(self.last_day[r]),
            recency_days: self.recency_days(r),
            frequency: self.frequency(r),
            orders: self.orders[r],
            lines: self.lines[r],
            active_periods: self.active_periods[r],
            monetary: self.monetary[r],
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

impl Scalars {
    /// Append the scalars of the next customer range.
    fn append(&mut self, other: Scalars) {
        let base = self.net.len();
        let n = other.net.len();
        if other.has_cost {
            self.ensure_cost();
        }
        if self.has_cost {
            if other.has_cost {
                self.cost.extend(other.cost);
            } else {
                self.cost.resize(base + n, 0);
            }
        }
        self.cost_missing.resize((base + n).div_ceil(64), 0);
        for k in 0..n {
            if other.cost_missing[k / 64] >> (k % 64) & 1 == 1 {
                self.mark_cost_missing(base + k);
            }
        }
        self.first_day.extend(other.first_day);
        self.last_day.extend(other.last_day);
        self.sale_lines.extend(other.sale_lines);
        self.net.extend(other.net);
        self.first_period_sales.extend(other.first_period_sales);
        self.returns.extend(other.returns);
        self.overflow = match (self.overflow, other.overflow) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// Pairs per thread held at once by the fast path (8 bytes each).
const PAIR_BUDGET: usize = 1 << 21;

/// Summarise the customers of `range` over all chunks: scalars, distinct orders, periods.
fn summarise_range(
    chunks: &[TxChunk],
    range: Range<u32>,
    o: &CustomerOptions,
    pair_budget: usize,
) -> (Scalars, Vec<u32>, Vec<u32>) {
    let n = (range.end - range.start) as usize;
    let mut s = Scalars::new(n);
    for c in chunks {
        s.update(c, 0..c.len(), &range, o);
    }
    let mut orders = vec![0u32; n];
    let mut periods = vec![0u32; n];
    let mut pairs = Vec::new();
    let mut scratch = Vec::new();
    // Sub-ranges whose sale lines fit the pair budget (a customer with more lines than the
    // budget gets a sub-range of its own).
    let mut start = 0usize;
    while start < n {
        let mut end = start;
        let mut total = 0usize;
        while end < n && (end == start || total + s.sale_lines[end] as usize <= pair_budget) {
            total += s.sale_lines[end] as usize;
            end += 1;
        }
        let sub = range.start + start as u32..range.start + end as u32;
        let (offsets, len) = collect_pairs(
            chunks.iter(),
            &sub,
            &s.sale_lines[start..end],
            o,
            &mut pairs,
        );
        for k in 0..end - start {
            let slice = &pairs[offsets[k]..offsets[k] + len[k] as usize];
            (orders[start + k], periods[start + k]) = count_distinct(slice, &mut scratch);
        }
        start = end;
    }
    (s, orders, periods)
}
