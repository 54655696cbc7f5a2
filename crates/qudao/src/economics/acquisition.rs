//! The passes behind [`super::compute`].
//!
//! 1. [`FirstPurchaseState`]: each customer's first sale line by (day, order id, line), the
//!    customers with returns and the earliest line day. Partials over any split of the lines
//!    merge ([`FirstPurchaseState::merge`]) into the same state.
//! 2. [`Acquisition::new`]: the periods, and every customer's acquisition channel and
//!    period (its *cohort*).
//! 3. [`ValueState`]: per cohort and period after acquisition, the net revenue and cost of
//!    the cohort's lines; per period and sales channel, the net revenue. Sums of integers,
//!    so partials merge by addition in any order.
//! 4. [`Acquisition::finish`]: the touchpoints and channel costs (small tables, read once),
//!    then the rows.
//!
//! Two passes over the lines, because a line's cohort is known only once its customer's
//! first purchase is, and that can come in any row. Each pass is split over threads by
//! rows; the partials are merged in row order, and since every merge is exact the result
//! does not depend on the split.

use std::cmp::Ordering;
use std::ops::Range;

use rust_decimal::Decimal;

use crate::dataset::Dataset;
use crate::date::{Date, Period};
use crate::error::{Error, Result};
use crate::evaluation::{KpiValue, Missing};
use crate::intern::NONE;
use crate::transactions::TxChunk;

use super::{
    AcquisitionRow, ChannelEconomics, ClvPredictions, EconomicsCounts, EconomicsOptions, Grain,
    MoneyValue, RevenueShareRow, ValueBasis, ratio, to_i64,
};

/// A customer's first sale line so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FirstSale {
    day: i32,
    order: u32,
    line: u32,
    channel: u32,
}

const NO_SALE: FirstSale = FirstSale {
    day: i32::MAX,
    order: u32::MAX,
    line: u32::MAX,
    channel: u32::MAX,
};

/// Whether sale `a` comes before sale `b`: by day, then order id, then line.
#[inline]
fn earlier(a: &FirstSale, b: &FirstSale, dataset: &Dataset) -> bool {
    match a.day.cmp(&b.day) {
        Ordering::Less => true,
        Ordering::Greater => false,
        Ordering::Equal if b.day == i32::MAX => false,
        Ordering::Equal if a.order == b.order => a.line < b.line,
        Ordering::Equal => {
            let orders = &dataset.transactions.orders;
            match (orders.get(a.order), orders.get(b.order)) {
                (Some(x), Some(y)) if x != y => x < y,
                // Unknown codes (partials built on other data) fall back to the code.
                _ => (a.order, a.line) < (b.order, b.line),
            }
        }
    }
}

/// Pass 1 partial: first sale per customer code (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstPurchaseState {
    first: Vec<FirstSale>,
    /// Earliest day of a line (sale or return) on or before the as-of date.
    min_day: i32,
    /// Customers with a return on or before the as-of date (bitset).
    returned: Vec<u64>,
    lines_after_as_of: u64,
}

impl FirstPurchaseState {
    /// The empty state (identity of [`FirstPurchaseState::merge`]) over `customers` codes.
    pub fn new(customers: usize) -> FirstPurchaseState {
        FirstPurchaseState {
            first: vec![NO_SALE; customers],
            min_day: i32::MAX,
            returned: vec![0; customers.div_ceil(64)],
            lines_after_as_of: 0,
        }
    }

    /// Add rows `rows` of `chunk` (lines after `options.as_of` are counted and skipped).
    /// `dataset` gives the order ids that break ties of day. Customer codes must be below
    /// the state's count.
    pub fn update(
        &mut self,
        dataset: &Dataset,
        options: &EconomicsOptions,
        chunk: &TxChunk,
        rows: Range<usize>,
    ) -> Result<()> {
        let rows = rows.start.min(chunk.len())..rows.end.min(chunk.len());
        let as_of = options.as_of.0;
        let n = self.first.len();
        let (customer, date, quantity, order, line, channel) = (
            &chunk.customer[rows.clone()],
            &chunk.date[rows.clone()],
            &chunk.quantity[rows.clone()],
            &chunk.order[rows.clone()],
            &chunk.line[rows.clone()],
            &chunk.channel[rows.clone()],
        );
        if let Some(i) = customer.iter().position(|&c| c as usize >= n) {
            return Err(Error::invalid_argument(
                "chunk",
                format!(
                    "row {}: customer code {} but the state has {n} customers",
                    rows.start + i,
                    customer[i]
                ),
            ));
        }
        let mut min_day = self.min_day;
        // The first days of a block's customers are loaded together (the loads overlap).
        // A day loaded before an earlier line of the block lowered it is only larger, so
        // `d > loaded` still proves the line is not the first.
        let mut days = [i32::MAX; BLOCK];
        let mut lo = 0;
        while lo < customer.len() {
            let hi = (lo + BLOCK).min(customer.len());
            for (slot, &c) in days.iter_mut().zip(&customer[lo..hi]) {
                *slot = self.first[c as usize].day;
            }
            for i in lo..hi {
                let d = date[i];
                if d > as_of {
                    self.lines_after_as_of += 1;
                    continue;
                }
                min_day = min_day.min(d);
                let c = customer[i] as usize;
                if quantity[i] < 0 {
                    self.returned[c / 64] |= 1 << (c % 64);
                    continue;
                }
                // Most lines come after the customer's first: one comparison decides.
                if d > days[i - lo] {
                    continue;
                }
                let cur = &mut self.first[c];
                let cand = FirstSale {
                    day: d,
                    order: order[i],
                    line: line[i],
                    channel: channel[i],
                };
                if earlier(&cand, cur, dataset) {
                    *cur = cand;
                }
            }
            lo = hi;
        }
        self.min_day = min_day;
        Ok(())
    }

    /// Merge another partial over the same customers. `dataset` gives the order ids.
    pub fn merge(&mut self, other: &FirstPurchaseState, dataset: &Dataset) -> Result<()> {
        if self.first.len() != other.first.len() {
            return Err(Error::invalid_argument(
                "other",
                "states to merge must have the same customer count",
            ));
        }
        for (a, b) in self.first.iter_mut().zip(&other.first) {
            if earlier(b, a, dataset) {
                *a = *b;
            }
        }
        for (a, b) in self.returned.iter_mut().zip(&other.returned) {
            *a |= b;
        }
        self.min_day = self.min_day.min(other.min_day);
        self.lines_after_as_of += other.lines_after_as_of;
        Ok(())
    }
}

/// Most cohort × period cells (channels × periods × (periods + 1) / 2).
const MAX_CELLS: usize = 50_000_000;
/// Lines whose cohorts are looked up together.
const BLOCK: usize = 256;
/// Most days between the first and the last period.
const MAX_DAYS: i32 = 200_000;

/// Every customer's acquisition channel and period, and the periods (see the module docs).
#[derive(Debug, Clone)]
pub struct Acquisition {
    options: EconomicsOptions,
    periods: Vec<Period>,
    /// First day of the day table.
    lo: i32,
    /// Period index of each day from `lo`, or NONE.
    day_period: Vec<u32>,
    channels: usize,
    customers: usize,
    /// Cohort (`channel · periods + period`) per customer, or NONE.
    cohort: Vec<u32>,
    /// First cell of each cohort.
    cell_start: Vec<u32>,
    /// First cell and acquisition period of each cohort.
    cohort_cells: Vec<(u32, u32)>,
    cells: usize,
    /// Customers acquired and from the master's channel, per cohort.
    acquired: Vec<u64>,
    from_master: Vec<u64>,
    /// First purchase day per customer (`i32::MAX` when none).
    first_day: Vec<i32>,
    /// Acquisition channel per customer, or NONE.
    acq_channel: Vec<u32>,
    counts: EconomicsCounts,
}

/// Pass 2 partial: value per cohort and period after acquisition, revenue per period and
/// sales channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueState {
    /// Per (cohort, offset): net revenue, cost of goods, lines without a cost.
    cells: Vec<(i128, i128, u64)>,
    /// Per (period, sales channel): net revenue.
    shares: Vec<i128>,
    /// Lines per sales channel.
    channel_lines: Vec<u64>,
    /// Lines on or before the as-of date in no period.
    outside: u64,
}

impl ValueState {
    /// Merge another partial of the same [`Acquisition`].
    pub fn merge(&mut self, other: &ValueState) {
        for (a, b) in self.cells.iter_mut().zip(&other.cells) {
            a.0 += b.0;
            a.1 += b.1;
            a.2 += b.2;
        }
        for (a, b) in self.shares.iter_mut().zip(&other.shares) {
            *a += b;
        }
        for (a, b) in self.channel_lines.iter_mut().zip(&other.channel_lines) {
            *a += b;
        }
        self.outside += other.outside;
    }
}

/// The calendar periods of `months` months from the one holding `start` to the one holding
/// `end`.
fn calendar_periods(start: Date, end: Date, months: i32) -> Vec<Period> {
    let first = start.month_index();
    let first = first - first.rem_euclid(months);
    let last = end.month_index();
    let mut out = Vec::new();
    let mut m = first;
    while m <= last {
        out.push(Period {
            start: Date::from_month_index(m),
            end: Date::from_month_index(m + months),
        });
        m += months;
    }
    out
}

impl Acquisition {
    /// Resolve acquisition channels and periods from the merged first-purchase state.
    pub fn new(
        dataset: &Dataset,
        options: &EconomicsOptions,
        first: &FirstPurchaseState,
    ) -> Result<Acquisition> {
        if options.share_decimals > 12 {
            return Err(Error::invalid_argument(
                "options.share_decimals",
                format!("{} is more than 12", options.share_decimals),
            ));
        }
        let m = &dataset.master;
        let n = m.customers.len();
        if first.first.len() != n {
            return Err(Error::invalid_argument(
                "first",
                format!(
                    "the state has {} customers, the data set {n}",
                    first.first.len()
                ),
            ));
        }
        let as_of = options.as_of;
        let ops = &dataset.ops;
        // The periods run from the earliest line, touch or cost on or before the as-of date.
        let start = [
            first.min_day,
            ops.touchpoints
                .iter()
                .map(|t| t.time.date().0)
                .filter(|&d| d <= as_of.0)
                .min()
                .unwrap_or(i32::MAX),
            ops.channel_costs
                .iter()
                .map(|c| c.period.start.0)
                .filter(|&d| d <= as_of.0)
                .min()
                .unwrap_or(i32::MAX),
        ]
        .into_iter()
        .min()
        .filter(|&d| d != i32::MAX)
        .map_or(as_of, Date);
        if as_of.0 - start.0 > MAX_DAYS {
            return Err(Error::invalid_argument(
                "options.as_of",
                format!("the data starts {start}, more than {MAX_DAYS} days before {as_of}"),
            ));
        }
        let periods = match &options.grain {
            Grain::Month => calendar_periods(start, as_of, 1),
            Grain::Quarter => calendar_periods(start, as_of, 3),
            Grain::Year => calendar_periods(start, as_of, 12),
            Grain::Custom(ps) => {
                if ps.is_empty() {
                    return Err(Error::invalid_argument(
                        "options.grain",
                        "a custom grain needs at least one period",
                    ));
                }
                let mut v = ps.clone();
                v.sort_unstable();
                for w in v.windows(2) {
                    if w[1].start < w[0].end {
                        return Err(Error::invalid_argument(
                            "options.grain",
                            format!("periods {} and {} overlap", w[0], w[1]),
                        ));
                    }
                }
                v
            }
        };
        let (lo, hi) = match (periods.first(), periods.last()) {
            (Some(a), Some(b)) => (a.start.0, b.end.0),
            _ => (as_of.0, as_of.0),
        };
        if hi - lo > MAX_DAYS {
            return Err(Error::invalid_argument(
                "options.grain",
                format!("the periods span more than {MAX_DAYS} days"),
            ));
        }
        let mut day_period = vec![NONE; (hi - lo) as usize];
        for (k, p) in periods.iter().enumerate() {
            for d in p.start.0..p.end.0 {
                day_period[(d - lo) as usize] = k as u32;
            }
        }
        let np = periods.len();
        let nc = m.channels.len();
        let cells = nc
            .checked_mul(np)
            .and_then(|x| x.checked_mul(np + 1))
            .map(|x| x / 2)
            .filter(|&x| x <= MAX_CELLS && nc * np < NONE as usize)
            .ok_or_else(|| {
                Error::invalid_argument(
                    "options.grain",
                    format!(
                        "{nc} channels × {np} periods is too many cohorts; use a coarser grain"
                    ),
                )
            })?;
        let mut cell_start = Vec::with_capacity(nc * np);
        let mut at = 0u32;
        for _ in 0..nc {
            for a in 0..np {
                cell_start.push(at);
                at += (np - a) as u32;
            }
        }
        let mut counts = EconomicsCounts {
            lines_after_as_of: first.lines_after_as_of,
            ..EconomicsCounts::default()
        };
        let mut cohort = vec![NONE; n];
        let mut acquired = vec![0u64; nc * np];
        let mut from_master = vec![0u64; nc * np];
        let mut first_day = vec![i32::MAX; n];
        let mut acq_channel = vec![NONE; n];
        for (k, f) in first.first.iter().enumerate() {
            if f.day == i32::MAX {
                if first.returned[k / 64] >> (k % 64) & 1 == 1 {
                    counts.only_returns += 1;
                }
                continue;
            }
            let master_ch = m.customers.acquisition_channel(k as u32);
            let (ch, master) = if master_ch != NONE {
                (master_ch, true)
            } else {
                (f.channel, false)
            };
            if ch as usize >= nc {
                return Err(Error::invalid_argument(
                    "first",
                    format!("customer code {k}: channel code {ch} out of range"),
                ));
            }
            first_day[k] = f.day;
            acq_channel[k] = ch;
            counts.customers_acquired += 1;
            counts.acquired_from_master += u64::from(master);
            let p = day_period
                .get((f.day - lo) as usize)
                .copied()
                .filter(|_| f.day >= lo)
                .unwrap_or(NONE);
            if p == NONE {
                counts.acquired_outside_periods += 1;
                continue;
            }
            let c = ch as usize * np + p as usize;
            cohort[k] = c as u32;
            acquired[c] += 1;
            from_master[c] += u64::from(master);
        }
        let cohort_cells = cell_start
            .iter()
            .enumerate()
            .map(|(k, &c)| (c, (k % np) as u32))
            .collect();
        Ok(Acquisition {
            cohort_cells,
            options: options.clone(),
            periods,
            lo,
            day_period,
            channels: nc,
            customers: n,
            cohort,
            cell_start,
            cells,
            acquired,
            from_master,
            first_day,
            acq_channel,
            counts,
        })
    }

    /// The periods, ascending.
    pub fn periods(&self) -> &[Period] {
        &self.periods
    }

    /// A customer's acquisition channel and period index, if it was acquired in a period.
    pub fn cohort_of(&self, customer: u32) -> Option<(u32, usize)> {
        let c = *self.cohort.get(customer as usize)?;
        (c != NONE).then(|| {
            let np = self.periods.len();
            ((c as usize / np) as u32, c as usize % np)
        })
    }

    #[inline]
    fn period_of(&self, day: i32) -> u32 {
        if day < self.lo {
            return NONE;
        }
        self.day_period
            .get((day - self.lo) as usize)
            .copied()
            .unwrap_or(NONE)
    }

    /// The empty pass-2 state (identity of [`ValueState::merge`]).
    pub fn value_state(&self) -> ValueState {
        ValueState {
            cells: vec![(0, 0, 0); self.cells],
            shares: vec![0; self.periods.len() * self.channels],
            channel_lines: vec![0; self.channels],
            outside: 0,
        }
    }

    /// Add rows `rows` of `chunk` to a pass-2 state. Customer and channel codes must be
    /// those of the data set this was made for.
    pub fn add_lines(
        &self,
        state: &mut ValueState,
        chunk: &TxChunk,
        rows: Range<usize>,
    ) -> Result<()> {
        let rows = rows.start.min(chunk.len())..rows.end.min(chunk.len());
        let as_of = self.options.as_of.0;
        let np = self.periods.len();
        let nc = self.channels;
        if state.cells.len() != self.cells || state.shares.len() != np * nc {
            return Err(Error::invalid_argument(
                "state",
                "the state was made for another acquisition",
            ));
        }
        let (customer, date, amount, channel) = (
            &chunk.customer[rows.clone()],
            &chunk.date[rows.clone()],
            &chunk.amount[rows.clone()],
            &chunk.channel[rows.clone()],
        );
        if let Some(i) = (0..customer.len())
            .find(|&i| customer[i] as usize >= self.customers || channel[i] as usize >= nc)
        {
            return Err(Error::invalid_argument(
                "chunk",
                format!(
                    "row {}: customer code {} or channel code {} out of range",
                    rows.start + i,
                    customer[i],
                    channel[i]
                ),
            ));
        }
        // Cohorts are looked up a block at a time: independent loads, so the memory waits
        // overlap instead of adding up.
        let mut cohorts = [NONE; BLOCK];
        let mut lo = 0;
        while lo < customer.len() {
            let hi = (lo + BLOCK).min(customer.len());
            for (slot, &c) in cohorts.iter_mut().zip(&customer[lo..hi]) {
                *slot = self.cohort[c as usize];
            }
            for i in lo..hi {
                let d = date[i];
                if d > as_of {
                    continue;
                }
                let p = self.period_of(d);
                if p == NONE {
                    state.outside += 1;
                    continue;
                }
                let ch = channel[i] as usize;
                let amt = i128::from(amount[i]);
                state.shares[p as usize * nc + ch] += amt;
                state.channel_lines[ch] += 1;
                let k = cohorts[i - lo];
                if k == NONE {
                    continue;
                }
                let (start, a) = self.cohort_cells[k as usize];
                // A return dated before the first purchase counts in the acquisition period.
                let offset = p.saturating_sub(a);
                let cell = &mut state.cells[(start + offset) as usize];
                cell.0 += amt;
                match chunk.cost_of(rows.start + i) {
                    Some(v) => cell.1 += i128::from(v),
                    None => cell.2 += 1,
                }
            }
            lo = hi;
        }
        Ok(())
    }

    /// The tables, from the merged pass-2 state, the touchpoints and channel costs of
    /// `dataset`, and the predictions if given.
    pub fn finish(
        &self,
        dataset: &Dataset,
        state: &ValueState,
        predictions: Option<&ClvPredictions>,
    ) -> Result<ChannelEconomics> {
        let m = &dataset.master;
        let np = self.periods.len();
        let nc = self.channels;
        if m.channels.len() != nc || m.customers.len() != self.customers {
            return Err(Error::invalid_argument(
                "dataset",
                "not the data set the acquisition was made for",
            ));
        }
        if state.cells.len() != self.cells || state.shares.len() != np * nc {
            return Err(Error::invalid_argument(
                "state",
                "the state was made for another acquisition",
            ));
        }
        let as_of = self.options.as_of;
        let mut counts = self.counts.clone();
        counts.lines_outside_periods = state.outside;
        let mut active = vec![false; nc];
        for (c, &a) in self.acquired.iter().enumerate() {
            if a > 0 {
                active[c / np.max(1)] = true;
            }
        }

        // Touchpoints: cost per (channel, period); prospects per (channel, period, customer).
        let mut touch_cost = vec![0i128; nc * np];
        let mut prospects: Vec<(u32, u32, u32)> = Vec::new();
        for (i, t) in dataset.ops.touchpoints.iter().enumerate() {
            if t.channel as usize >= nc {
                return Err(Error::invalid_argument(
                    format!("dataset.ops.touchpoints[{i}].channel"),
                    format!("channel code {} out of range", t.channel),
                ));
            }
            if t.customer as usize >= self.customers {
                return Err(Error::invalid_argument(
                    format!("dataset.ops.touchpoints[{i}].customer"),
                    format!("customer code {} out of range", t.customer),
                ));
            }
            if t.cost < 0 {
                return Err(Error::invalid_argument(
                    format!("dataset.ops.touchpoints[{i}].cost"),
                    format!("{} is negative", t.cost),
                ));
            }
            let day = t.time.date();
            if day > as_of {
                counts.touches_after_as_of += 1;
                continue;
            }
            let p = self.period_of(day.0);
            if p == NONE {
                counts.touches_outside_periods += 1;
                continue;
            }
            active[t.channel as usize] = true;
            touch_cost[t.channel as usize * np + p as usize] += i128::from(t.cost);
            if day.0 <= self.first_day[t.customer as usize] {
                prospects.push((t.channel, p, t.customer));
            } else {
                counts.touches_after_first_purchase += 1;
            }
        }
        prospects.sort_unstable();
        prospects.dedup();
        // (touched, converted, converted here) per (channel, period) and per channel.
        let mut conv = vec![(0u64, 0u64, 0u64); nc * np];
        for &(ch, p, c) in &prospects {
            let e = &mut conv[ch as usize * np + p as usize];
            e.0 += 1;
            if self.first_day[c as usize] != i32::MAX {
                e.1 += 1;
                if self.acq_channel[c as usize] == ch {
                    e.2 += 1;
                }
            }
        }
        let mut by_customer: Vec<(u32, u32)> =
            prospects.iter().map(|&(ch, _, c)| (ch, c)).collect();
        by_customer.dedup();
        let mut conv_total = vec![(0u64, 0u64, 0u64); nc];
        for &(ch, c) in &by_customer {
            let e = &mut conv_total[ch as usize];
            e.0 += 1;
            if self.first_day[c as usize] != i32::MAX {
                e.1 += 1;
                if self.acq_channel[c as usize] == ch {
                    e.2 += 1;
                }
            }
        }

        // Channel costs, spread over the periods by days.
        let mut channel_cost = vec![0i128; nc * np];
        let mut outside_cost = 0i128;
        let mut after_cost = 0i128;
        for (i, cost) in dataset.ops.channel_costs.iter().enumerate() {
            if cost.channel as usize >= nc {
                return Err(Error::invalid_argument(
                    format!("dataset.ops.channel_costs[{i}].channel"),
                    format!("channel code {} out of range", cost.channel),
                ));
            }
            if cost.cost < 0 {
                return Err(Error::invalid_argument(
                    format!("dataset.ops.channel_costs[{i}].cost"),
                    format!("{} is negative", cost.cost),
                ));
            }
            if cost.period.start > as_of {
                after_cost += i128::from(cost.cost);
                continue;
            }
            active[cost.channel as usize] = true;
            let parts = self.spread(cost.period, cost.cost);
            for (p, v) in parts {
                match p {
                    Some(p) => channel_cost[cost.channel as usize * np + p] += v,
                    None => outside_cost += v,
                }
            }
        }
        counts.channel_cost_after_as_of =
            to_i64(after_cost, || "channel costs after the as-of date".into())?;
        counts.channel_cost_outside_periods =
            to_i64(outside_cost, || "channel costs outside the periods".into())?;

        // Predictions per cohort: sum and customers without one.
        let mut predicted = vec![(0i128, 0u64); nc * np];
        if let Some(pr) = predictions {
            for (k, &c) in self.cohort.iter().enumerate() {
                if c == NONE {
                    continue;
                }
                let e = &mut predicted[c as usize];
                match pr.get(k as u32) {
                    Some(v) => e.0 += i128::from(v),
                    None => e.1 += 1,
                }
            }
        }

        let mut order: Vec<u32> = (0..nc as u32).filter(|&c| active[c as usize]).collect();
        order.sort_unstable_by(|&a, &b| m.channels.id(a).cmp(m.channels.id(b)));
        let exp = u32::from(m.currency.exponent);
        let mut rows = Vec::with_capacity(order.len() * np);
        let mut totals = Vec::with_capacity(order.len());
        for &ch in &order {
            let id = m.channels.id(ch);
            let mut total = Cohort::default();
            for p in 0..np {
                let c = ch as usize * np + p;
                let cells = &state.cells
                    [self.cell_start[c] as usize..self.cell_start[c] as usize + (np - p)];
                let cohort = Cohort {
                    acquired: self.acquired[c],
                    from_master: self.from_master[c],
                    touched: conv[c],
                    channel_cost: channel_cost[c],
                    touch_cost: touch_cost[c],
                    revenue: cells.iter().map(|x| x.0).sum(),
                    cost: cells.iter().map(|x| x.1).sum(),
                    no_cost_lines: cells.iter().map(|x| x.2).sum(),
                    predicted: predicted[c],
                };
                total.add(&cohort);
                let payback = payback(&cohort, cells);
                rows.push(cohort.row(
                    id,
                    Some(self.periods[p]),
                    exp,
                    self.options.value,
                    predictions.is_some(),
                    payback,
                )?);
            }
            total.touched = conv_total[ch as usize];
            let payback = (
                KpiValue::Missing(Missing::NotApplicable),
                total.no_cost_lines > 0,
            );
            totals.push(total.row(
                id,
                None,
                exp,
                self.options.value,
                predictions.is_some(),
                payback,
            )?);
        }
        let revenue_share = self.shares(dataset, state)?;
        Ok(ChannelEconomics {
            as_of,
            currency: m.currency.code.clone(),
            exponent: m.currency.exponent,
            value_basis: self.options.value,
            predictions: predictions.map(|p| p.source.clone()),
            periods: self.periods.clone(),
            rows,
            totals,
            revenue_share,
            counts,
        })
    }

    /// A cost over `period` split by days over the periods (`None`: days in no period),
    /// largest remainder with ties to the earlier period, so the parts add up to `cost`.
    fn spread(&self, period: Period, cost: i64) -> Vec<(Option<usize>, i128)> {
        let days = i128::from(period.days().max(1));
        let mut parts: Vec<(Option<usize>, i128)> = Vec::new();
        let mut inside = 0i128;
        let first = self.periods.partition_point(|p| p.end <= period.start);
        for (k, p) in self.periods.iter().enumerate().skip(first) {
            if p.start >= period.end {
                break;
            }
            let overlap = p.end.0.min(period.end.0) - p.start.0.max(period.start.0);
            if overlap > 0 {
                parts.push((Some(k), i128::from(overlap)));
                inside += i128::from(overlap);
            }
        }
        if inside < days {
            parts.push((None, days - inside));
        }
        let cost = i128::from(cost);
        let mut rem: Vec<(i128, usize)> = Vec::with_capacity(parts.len());
        let mut given = 0i128;
        for (j, part) in parts.iter_mut().enumerate() {
            let num = cost * part.1;
            part.1 = num / days;
            given += part.1;
            rem.push((num % days, j));
        }
        rem.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, j) in rem.iter().take((cost - given) as usize) {
            parts[j].1 += 1;
        }
        parts
    }

    /// Revenue shares per period, largest remainder.
    fn shares(&self, dataset: &Dataset, state: &ValueState) -> Result<Vec<RevenueShareRow>> {
        let m = &dataset.master;
        let nc = self.channels;
        let mut order: Vec<u32> = (0..nc as u32)
            .filter(|&c| state.channel_lines[c as usize] > 0)
            .collect();
        order.sort_unstable_by(|&a, &b| m.channels.id(a).cmp(m.channels.id(b)));
        let d = self.options.share_decimals;
        let scale = 10i128.pow(d);
        let mut out = Vec::with_capacity(order.len() * self.periods.len());
        for (p, period) in self.periods.iter().enumerate() {
            let rev = &state.shares[p * nc..(p + 1) * nc];
            let mut revenue = Vec::with_capacity(order.len());
            for &c in &order {
                revenue.push(to_i64(rev[c as usize], || {
                    format!("the revenue of channel {} in {period}", m.channels.id(c))
                })?);
            }
            let total: i128 = order.iter().map(|&c| rev[c as usize]).sum();
            let shares: Vec<KpiValue> = if total <= 0 {
                let why = if total == 0 {
                    Missing::ZeroDenominator {
                        what: "the period's net revenue".into(),
                    }
                } else {
                    Missing::Other {
                        detail: "the period's net revenue is negative".into(),
                    }
                };
                vec![KpiValue::Missing(why); order.len()]
            } else {
                let mut floors = Vec::with_capacity(order.len());
                let mut rem = Vec::with_capacity(order.len());
                let mut given = 0i128;
                for (j, &c) in order.iter().enumerate() {
                    let num = rev[c as usize] * scale;
                    let f = num.div_euclid(total);
                    given += f;
                    floors.push(f);
                    rem.push((num.rem_euclid(total), j));
                }
                // Channels are in id order, so equal remainders go to the smaller id.
                rem.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                for &(_, j) in rem.iter().take((scale - given).max(0) as usize) {
                    floors[j] += 1;
                }
                floors
                    .into_iter()
                    .map(|f| {
                        Decimal::try_from_i128_with_scale(f, d)
                            .map(KpiValue::Value)
                            .map_err(|_| Error::overflow("a revenue share"))
                    })
                    .collect::<Result<_>>()?
            };
            for ((&c, r), s) in order.iter().zip(revenue).zip(shares) {
                out.push(RevenueShareRow {
                    period: *period,
                    channel: m.channels.id(c).to_owned(),
                    revenue: r,
                    share: s,
                });
            }
        }
        Ok(out)
    }
}

/// Sums of one cohort (or of a channel over all periods).
#[derive(Debug, Clone, Copy, Default)]
struct Cohort {
    acquired: u64,
    from_master: u64,
    /// Touched, converted, converted here.
    touched: (u64, u64, u64),
    channel_cost: i128,
    touch_cost: i128,
    revenue: i128,
    cost: i128,
    no_cost_lines: u64,
    /// Sum of predictions and customers without one.
    predicted: (i128, u64),
}

/// Periods until the cumulative margin (revenue where a line has no cost) covers the spend,
/// and whether revenue was used.
fn payback(c: &Cohort, cells: &[(i128, i128, u64)]) -> (KpiValue, bool) {
    let on_revenue = c.no_cost_lines > 0;
    let spend = c.channel_cost + c.touch_cost;
    if spend == 0 {
        return (
            KpiValue::Missing(Missing::Other {
                detail: "no spend to pay back".into(),
            }),
            on_revenue,
        );
    }
    let mut cum = 0i128;
    for (k, cell) in cells.iter().enumerate() {
        cum += if on_revenue { cell.0 } else { cell.0 - cell.1 };
        if cum >= spend {
            return (KpiValue::Value(Decimal::from(k as u64)), on_revenue);
        }
    }
    (
        KpiValue::Missing(Missing::Other {
            detail: "not paid back by the as-of date".into(),
        }),
        on_revenue,
    )
}

impl Cohort {
    fn add(&mut self, o: &Cohort) {
        self.acquired += o.acquired;
        self.from_master += o.from_master;
        self.channel_cost += o.channel_cost;
        self.touch_cost += o.touch_cost;
        self.revenue += o.revenue;
        self.cost += o.cost;
        self.no_cost_lines += o.no_cost_lines;
        self.predicted.0 += o.predicted.0;
        self.predicted.1 += o.predicted.1;
    }

    fn row(
        &self,
        channel: &str,
        period: Option<Period>,
        exp: u32,
        basis: ValueBasis,
        have_predictions: bool,
        payback: (KpiValue, bool),
    ) -> Result<AcquisitionRow> {
        let what = |m: &str| match period {
            Some(p) => format!("the {m} of channel {channel} in {p}"),
            None => format!("the {m} of channel {channel}"),
        };
        let spend = self.channel_cost + self.touch_cost;
        let acquired = i128::from(self.acquired);
        let margin = if self.no_cost_lines > 0 {
            Err(Missing::Other {
                detail: format!(
                    "{} lines of the customers acquired have no cost",
                    self.no_cost_lines
                ),
            })
        } else {
            Ok(self.revenue - self.cost)
        };
        let predicted = if !have_predictions {
            Err(Missing::NoData {
                input: "predictions".into(),
            })
        } else if self.predicted.1 > 0 {
            Err(Missing::Other {
                detail: format!(
                    "{} of {} customers acquired have no prediction",
                    self.predicted.1, self.acquired
                ),
            })
        } else {
            Ok(self.predicted.0)
        };
        let value = match basis {
            ValueBasis::HistoricRevenue => Ok(self.revenue),
            ValueBasis::HistoricMargin => margin.clone(),
            ValueBasis::HistoricPlusPredicted => predicted.clone().map(|p| self.revenue + p),
        };
        let per_customer = |v: &std::result::Result<i128, Missing>, m: &str| -> Result<KpiValue> {
            match v {
                Ok(v) => ratio(*v, acquired, exp, &what(m)),
                Err(e) => Ok(KpiValue::Missing(e.clone())),
            }
        };
        let money = |v: &std::result::Result<i128, Missing>, m: &str| -> Result<MoneyValue> {
            match v {
                Ok(v) => Ok(MoneyValue::Value(to_i64(*v, || what(m))?)),
                Err(e) => Ok(MoneyValue::Missing(e.clone())),
            }
        };
        let missing_denominator = |v: KpiValue| match v {
            KpiValue::Missing(Missing::ZeroDenominator { .. }) => {
                KpiValue::Missing(Missing::ZeroDenominator {
                    what: "customers acquired".into(),
                })
            }
            v => v,
        };
        let over_spend =
            |v: &std::result::Result<i128, Missing>, minus: i128, m: &str| -> Result<KpiValue> {
                match v {
                    Ok(v) => ratio(*v - minus, spend, 0, &what(m)).map(|r| match r {
                        KpiValue::Missing(Missing::ZeroDenominator { .. }) => {
                            KpiValue::Missing(Missing::ZeroDenominator {
                                what: "spend".into(),
                            })
                        }
                        r => r,
                    }),
                    Err(e) => Ok(KpiValue::Missing(e.clone())),
                }
            };
        let rate = |num: u64| -> Result<KpiValue> {
            ratio(
                i128::from(num),
                i128::from(self.touched.0),
                0,
                &what("conversion rate"),
            )
            .map(|r| match r {
                KpiValue::Missing(Missing::ZeroDenominator { .. }) => {
                    KpiValue::Missing(Missing::ZeroDenominator {
                        what: "prospects touched".into(),
                    })
                }
                r => r,
            })
        };
        Ok(AcquisitionRow {
            channel: channel.to_owned(),
            period,
            acquired: self.acquired,
            acquired_from_master: self.from_master,
            touched: self.touched.0,
            converted: self.touched.1,
            converted_acquired: self.touched.2,
            conversion_rate: rate(self.touched.1)?,
            acquisition_conversion_rate: rate(self.touched.2)?,
            channel_cost: to_i64(self.channel_cost, || what("channel cost"))?,
            touch_cost: to_i64(self.touch_cost, || what("touch cost"))?,
            spend: to_i64(spend, || what("spend"))?,
            cac: missing_denominator(ratio(spend, acquired, exp, &what("CAC"))?),
            revenue: to_i64(self.revenue, || what("revenue"))?,
            margin: money(&margin, "margin")?,
            revenue_per_customer: missing_denominator(per_customer(
                &Ok(self.revenue),
                "revenue per customer",
            )?),
            margin_per_customer: missing_denominator(per_customer(&margin, "margin per customer")?),
            predicted: money(&predicted, "predicted value")?,
            predicted_per_customer: missing_denominator(per_customer(&predicted, "predicted CLV")?),
            value: money(&value, "value")?,
            clv: missing_denominator(per_customer(&value, "CLV")?),
            clv_cac: over_spend(&value, 0, "CLV/CAC")?,
            roi: over_spend(&value, spend, "ROI")?,
            payback_periods: payback.0,
            payback_on_revenue: payback.1,
        })
    }
}

/// Both passes on `options.threads` threads.
pub(crate) fn run(
    dataset: &Dataset,
    options: &EconomicsOptions,
    predictions: Option<&ClvPredictions>,
) -> Result<ChannelEconomics> {
    let chunks = &dataset.transactions.chunks;
    let ranges = crate::transactions::split_rows(chunks, options.threads);
    let n = dataset.master.customers.len();
    let firsts = par_map(&ranges, |rs| {
        let mut s = FirstPurchaseState::new(n);
        for &(c, lo, hi) in rs {
            s.update(dataset, options, &chunks[c], lo..hi)?;
        }
        Ok(s)
    })?;
    let mut first = FirstPurchaseState::new(n);
    for s in &firsts {
        first.merge(s, dataset)?;
    }
    drop(firsts);
    let acq = Acquisition::new(dataset, options, &first)?;
    drop(first);
    let values = par_map(&ranges, |rs| {
        let mut s = acq.value_state();
        for &(c, lo, hi) in rs {
            acq.add_lines(&mut s, &chunks[c], lo..hi)?;
        }
        Ok(s)
    })?;
    let mut state = acq.value_state();
    for s in &values {
        state.merge(s);
    }
    acq.finish(dataset, &state, predictions)
}

/// `f` over `items` on one scoped thread each (the first on this one); results in order.
fn par_map<I: Sync, T: Send>(items: &[I], f: impl Fn(&I) -> Result<T> + Sync) -> Result<Vec<T>> {
    if items.len() <= 1 {
        return items.iter().map(&f).collect();
    }
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items[1..].iter().map(|it| s.spawn(move || f(it))).collect();
        let mut out = vec![f(&items[0])];
        for h in handles {
            out.push(h.join().unwrap_or_else(|_| {
                Err(Error::invalid_argument(
                    "threads",
                    "a worker thread panicked",
                ))
            }));
        }
        out.into_iter().collect()
    })
}
