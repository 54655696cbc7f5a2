//! Pattern detectors: undercutting, customer overlap, online undercut, channel switching and
//! inventory imbalance.
//!
//! The four line detectors share two threaded passes over the columns:
//!
//! 1. the first pass finds the first and last day of the sale lines and the highest unit price
//!    (to size the keys below), and, for channel switching, each customer's first purchase: its
//!    earliest sale line over the whole data set (ties: the lowest order id, then the lowest
//!    line), kept per worker in a dense array by customer code and merged by that order;
//! 2. the second pass counts, per worker, the sale lines of each packed key
//!    `(partner, window) | price index in basis points` for undercutting (one small map per
//!    window) and `(window, product, territory, side) | unit price` for online undercut (a
//!    dense array of cells per window with a few values inline) — both take a handful of
//!    values per cell, so the counts stay small, and rows that come roughly in date order keep
//!    one window's counts in the cache — and emits one key `(customer, window) | partner` per
//!    partner line and order for customer overlap into buckets of customers; it adds each
//!    later purchase to dense (first channel, window, channel) sums and sets its (window,
//!    channel) bit in the customer's record, next to its first purchase. Per-customer records,
//!    retail prices and online cells are read a block of lines ahead, so their cache misses
//!    overlap.
//!
//! The counts are merged and sorted per cell; medians are read off them exactly (an even count
//! takes the mean of the two middle values). Each overlap bucket is radix-sorted in the cache
//! and the pairs counted within each (customer, window) run. Nothing depends on the thread
//! count or the row order: keys are sorted, counts and sums are exact, ties are broken by ids.
//!
//! Returns are ignored by every detector here: a return is neither a price nor a purchase.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use rust_decimal::Decimal;

use crate::date::{Date, Period};
use crate::document::Label;
use crate::error::Result;
use crate::intern::{FxHashMap, NONE};
use crate::model::Presence;

use super::context::{Context, cover_days};
use super::{
    ConflictKind, Detector, Evidence, EvidenceLine, Figure, Finding, NotRun, Resolution, Window,
};

/// Windows a detector may span; more (a data set over a thousand years) and it does not run.
const MAX_WINDOWS: usize = 4096;

/// Partners of one customer, window and peer group whose pairs are counted. A customer buying
/// from more peers than this in one window is a marketplace or a data error, not a customer
/// two partners compete for; only the first partners (by code) are paired, so the work per
/// customer stays bounded.
const MAX_PAIRED: usize = 64;

/// Words of the channel-switching bitset (customers × windows × channels / 64) allowed: 512 MB.
const MAX_SWITCH_WORDS: usize = 1 << 26;

/// Pair counters held densely up to this many (windows × partners²); a map beyond.
const MAX_DENSE_PAIRS: usize = 1 << 22;

/// Run the pattern detectors.
pub(super) fn detect(cx: &Context<'_>, not_run: &mut Vec<NotRun>) -> Result<Vec<Finding>> {
    let policy = cx.policy;
    for d in [
        Detector::Undercutting,
        Detector::CustomerOverlap,
        Detector::OnlineUndercut,
        Detector::ChannelSwitching,
        Detector::Inventory,
    ] {
        if !policy.enabled(d) {
            not_run.push(NotRun {
                detector: d,
                reason: Label::new("disabled by the policy", "策略未启用"),
            });
        }
    }
    let mut out = Vec::new();
    let want = Want {
        under: policy.enabled(Detector::Undercutting),
        overlap: policy.enabled(Detector::CustomerOverlap),
        online: policy.enabled(Detector::OnlineUndercut),
        switching: policy.enabled(Detector::ChannelSwitching),
    };
    if want.under || want.overlap || want.online || want.switching {
        line_patterns(cx, want, not_run, &mut out)?;
    }
    if policy.enabled(Detector::Inventory) {
        inventory(cx, not_run, &mut out);
    }
    Ok(out)
}

/// Which line detectors run.
#[derive(Debug, Clone, Copy)]
struct Want {
    under: bool,
    overlap: bool,
    online: bool,
    switching: bool,
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/// Bits needed to hold `x` (at least 1).
fn bits(x: u64) -> u32 {
    (64 - x.leading_zeros()).max(1)
}

fn low_mask(b: u32) -> u64 {
    if b >= 64 { u64::MAX } else { (1u64 << b) - 1 }
}

/// An i128 as a Decimal (saturating at the Decimal range).
fn dec(x: i128) -> Decimal {
    Decimal::try_from_i128_with_scale(x, 0).unwrap_or(if x < 0 {
        Decimal::MIN
    } else {
        Decimal::MAX
    })
}

/// An i128 sum narrowed to i64 (saturating).
fn narrow(x: i128) -> i64 {
    i64::try_from(x).unwrap_or(if x < 0 { i64::MIN } else { i64::MAX })
}

/// A ratio as a percentage for messages: `0.05` → `5 %`.
fn pct(r: Decimal) -> String {
    format!("{} %", (r * Decimal::ONE_HUNDRED).round_dp(2).normalize())
}

/// A decimal rounded for messages.
fn show(d: Decimal, dp: u32) -> String {
    d.round_dp(dp).normalize().to_string()
}

fn last_day(p: Period) -> Date {
    p.end.add_days(-1)
}

/// Lines, units, amount and days of a group of lines.
#[derive(Debug, Clone, Copy)]
struct Acc {
    lines: u64,
    quantity: i128,
    amount: i128,
    first: i32,
    last: i32,
}

impl Default for Acc {
    fn default() -> Self {
        Acc {
            lines: 0,
            quantity: 0,
            amount: 0,
            first: i32::MAX,
            last: i32::MIN,
        }
    }
}

impl Acc {
    #[inline]
    fn add(&mut self, quantity: i64, amount: i64, day: i32) {
        self.lines += 1;
        self.quantity += i128::from(quantity);
        self.amount += i128::from(amount);
        self.first = self.first.min(day);
        self.last = self.last.max(day);
    }

    fn merge(&mut self, o: &Acc) {
        self.lines += o.lines;
        self.quantity += o.quantity;
        self.amount += o.amount;
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
    }

    fn evidence(&self, listed: Vec<EvidenceLine>) -> Evidence {
        Evidence {
            lines: self.lines,
            quantity: narrow(self.quantity),
            amount: narrow(self.amount),
            listed,
        }
    }
}

/// The calendar windows of one detector over the days of the data, with a day → window table.
#[derive(Debug)]
struct Windows {
    lo: i32,
    table: Vec<u16>,
    periods: Vec<Period>,
}

impl Windows {
    /// The windows of `kind` covering `lo..=hi`; none when there would be more than
    /// [`MAX_WINDOWS`].
    fn new(kind: Window, lo: i32, hi: i32) -> Option<Windows> {
        if lo > hi {
            return Some(Windows {
                lo,
                table: Vec::new(),
                periods: Vec::new(),
            });
        }
        let mut periods = vec![kind.of(Date(lo))];
        loop {
            let end = periods.last().map_or(i32::MAX, |p| p.end.0);
            if end > hi {
                break;
            }
            if periods.len() >= MAX_WINDOWS {
                return None;
            }
            periods.push(kind.of(Date(end)));
        }
        let mut table = Vec::with_capacity((hi - lo) as usize + 1);
        let mut w = 0usize;
        for d in lo..=hi {
            while periods[w].end.0 <= d {
                w += 1;
            }
            table.push(w as u16);
        }
        Some(Windows { lo, table, periods })
    }

    fn len(&self) -> usize {
        self.periods.len()
    }

    /// The window of a day of a sale line (always within `lo..=hi`).
    #[inline]
    fn of(&self, day: i32) -> usize {
        self.table
            .get(day.wrapping_sub(self.lo) as u32 as usize)
            .map_or(0, |&w| w as usize)
    }
}

fn too_many_windows(d: Detector, kind: Window) -> NotRun {
    let kind = format!("{kind:?}").to_lowercase();
    NotRun {
        detector: d,
        reason: Label::new(
            format!("the data spans more than {MAX_WINDOWS} {kind} windows"),
            format!("数据跨度超过 {MAX_WINDOWS} 个统计窗口（{kind}）"),
        ),
    }
}

/// LSD radix sort of `keys` on their low `bits` bits (the higher bits must be equal in every
/// key), digits of at most 11 bits; a pass whose digit is the same in every key is skipped.
/// `tmp` is scratch space. Meant for runs that fit in the cache.
fn radix_sort(keys: &mut Vec<u64>, tmp: &mut Vec<u64>, bits: u32) {
    const MAX_DIGIT: u32 = 11;
    let n = keys.len();
    if n < 2 {
        return;
    }
    if n < 256 {
        keys.sort_unstable();
        return;
    }
    let passes = bits.div_ceil(MAX_DIGIT).max(1);
    let digit = bits.div_ceil(passes).max(1);
    let buckets = 1usize << digit;
    let mask = (buckets - 1) as u64;
    let mut hist = vec![0u32; buckets * passes as usize];
    for &k in keys.iter() {
        for j in 0..passes {
            hist[j as usize * buckets + ((k >> (j * digit)) & mask) as usize] += 1;
        }
    }
    tmp.clear();
    tmp.resize(n, 0);
    for j in 0..passes {
        let h = &mut hist[j as usize * buckets..(j as usize + 1) * buckets];
        if h.iter().any(|&c| c as usize == n) {
            continue;
        }
        let mut sum = 0u32;
        for c in h.iter_mut() {
            let x = *c;
            *c = sum;
            sum += x;
        }
        let shift = j * digit;
        for &k in keys.iter() {
            let b = ((k >> shift) & mask) as usize;
            tmp[h[b] as usize] = k;
            h[b] += 1;
        }
        std::mem::swap(keys, tmp);
    }
}

/// Counts of packed `cell << vbits | value` keys: how many lines of each cell had each value,
/// kept in one map per window. Rows usually come roughly in date order, so the map of the
/// current window stays in the cache, where one map over every window would not.
#[derive(Debug, Default)]
struct Tally {
    by_window: Vec<FxHashMap<u64, u64>>,
}

impl Tally {
    fn new(windows: usize) -> Tally {
        Tally {
            by_window: (0..windows).map(|_| FxHashMap::default()).collect(),
        }
    }

    #[inline]
    fn add(&mut self, window: usize, key: u64) {
        if let Some(m) = self.by_window.get_mut(window) {
            *m.entry(key).or_insert(0) += 1;
        }
    }

    /// Adds the counts of `from`.
    fn merge(&mut self, from: Tally) {
        if self.by_window.len() < from.by_window.len() {
            self.by_window
                .resize_with(from.by_window.len(), FxHashMap::default);
        }
        for (into, from) in self.by_window.iter_mut().zip(from.by_window) {
            if into.len() < from.len() {
                let small = std::mem::replace(into, from);
                for (k, n) in small {
                    *into.entry(k).or_insert(0) += n;
                }
            } else {
                for (k, n) in from {
                    *into.entry(k).or_insert(0) += n;
                }
            }
        }
    }
}

/// Up to four distinct values of a cell and their counts (count 0: no value). 24 bytes, so
/// that a window's cells (about 21k in the sample: 200 products × 13 provinces × 8 sides) stay
/// near the core's 512 KB cache; larger values and counts, and a fifth value, go to the spill
/// map. Four values keep all but a few hundred of 10M sample lines out of the map.
#[derive(Debug, Clone, Copy, Default)]
struct Slots {
    value: [u32; SLOTS],
    count: [u16; SLOTS],
}

/// Values held inline per cell.
const SLOTS: usize = 4;

/// Cells held densely per window when a window has at most this many, 24 bytes each.
const MAX_DENSE_CELLS: u64 = 1 << 20;

/// A [`Tally`] for cells that see a few values (a product's prices in one territory, channel
/// and window): each window's cells are a dense array with [`SLOTS`] values inline, allocated
/// when the window is first seen; further values spill into a map. One lookup is an array
/// index, not a hash probe.
#[derive(Debug, Default)]
struct CellTally {
    per_window: u64,
    vbits: u32,
    /// Per window: its cells (empty until seen, or always when windows are too large).
    dense: Vec<Vec<Slots>>,
    spill: Tally,
}

impl CellTally {
    fn new(windows: usize, per_window: u64, vbits: u32) -> CellTally {
        CellTally {
            per_window: if per_window <= MAX_DENSE_CELLS {
                per_window
            } else {
                0
            },
            vbits,
            dense: (0..windows).map(|_| Vec::new()).collect(),
            spill: Tally::new(windows),
        }
    }

    /// Counts `n` lines of `value` in `cell` (of window `w`).
    #[inline]
    fn add(&mut self, w: usize, cell: u64, value: u64, n: u64) {
        if self.per_window > 0
            && let Some(cells) = self.dense.get_mut(w)
        {
            if cells.is_empty() {
                cells.resize(self.per_window as usize, Slots::default());
            }
            let at = cell.wrapping_sub(w as u64 * self.per_window) as usize;
            if let Some(s) = cells.get_mut(at)
                && let (Ok(v), Ok(n)) = (u32::try_from(value), u16::try_from(n))
            {
                for k in 0..SLOTS {
                    if s.count[k] == 0 {
                        s.value[k] = v;
                        s.count[k] = n;
                        return;
                    }
                    if s.value[k] == v {
                        if let Some(sum) = s.count[k].checked_add(n) {
                            s.count[k] = sum;
                            return;
                        }
                        break;
                    }
                }
            }
        }
        if let Some(m) = self.spill.by_window.get_mut(w) {
            *m.entry(cell << self.vbits | value).or_insert(0) += n;
        }
    }

    /// Reads the slot of `cell` (of window `w`), allocating the window's cells, so that a
    /// later [`CellTally::add`] finds it in the cache; returns a count to keep the read.
    #[inline]
    fn touch(&mut self, w: usize, cell: u64) -> u32 {
        if self.per_window == 0 || cell == u64::MAX {
            return 0;
        }
        let Some(cells) = self.dense.get_mut(w) else {
            return 0;
        };
        if cells.is_empty() {
            cells.resize(self.per_window as usize, Slots::default());
        }
        let at = cell.wrapping_sub(w as u64 * self.per_window) as usize;
        cells.get(at).map_or(0, |s| u32::from(s.count[0]))
    }

    /// Adds the counts of `from` (laid out alike).
    fn merge(&mut self, from: CellTally) {
        let base = self.per_window;
        for (w, cells) in from.dense.into_iter().enumerate() {
            for (at, s) in cells.into_iter().enumerate() {
                for k in 0..SLOTS {
                    if s.count[k] > 0 {
                        let cell = w as u64 * base + at as u64;
                        self.add(w, cell, u64::from(s.value[k]), u64::from(s.count[k]));
                    }
                }
            }
        }
        self.spill.merge(from.spill);
    }

    /// All counts as a [`Tally`] (keys `cell << vbits | value`).
    fn into_tally(self) -> Tally {
        let mut t = self.spill;
        for (w, cells) in self.dense.into_iter().enumerate() {
            let Some(m) = t.by_window.get_mut(w) else {
                continue;
            };
            for (at, s) in cells.into_iter().enumerate() {
                let cell = w as u64 * self.per_window + at as u64;
                for k in 0..SLOTS {
                    if s.count[k] > 0 {
                        *m.entry(cell << self.vbits | u64::from(s.value[k]))
                            .or_insert(0) += u64::from(s.count[k]);
                    }
                }
            }
        }
        t
    }
}

/// Per cell (`key >> vbits`, ascending) of the merged tallies: the cell, its count and twice
/// the median of its values (`key & mask`): the two middle values added (the same one twice
/// for an odd count).
fn tally_medians(tally: &Tally, vbits: u32) -> Vec<(u64, u64, u128)> {
    let mask = low_mask(vbits);
    let mut sorted: Vec<(u64, u64)> = tally
        .by_window
        .iter()
        .flat_map(|m| m.iter().map(|(&k, &n)| (k, n)))
        .collect();
    sorted.sort_unstable();
    let mut out = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let cell = sorted[i].0 >> vbits;
        let mut j = i;
        let mut n = 0u64;
        while j < sorted.len() && sorted[j].0 >> vbits == cell {
            n += sorted[j].1;
            j += 1;
        }
        // Positions (0-based) of the two middle values.
        let (lo, hi) = ((n - 1) / 2, n / 2);
        let (mut a, mut b) = (None, 0u64);
        let mut seen = 0u64;
        for &(k, c) in &sorted[i..j] {
            seen += c;
            if a.is_none() && seen > lo {
                a = Some(k & mask);
            }
            if seen > hi {
                b = k & mask;
                break;
            }
        }
        out.push((cell, n, u128::from(a.unwrap_or(b)) + u128::from(b)));
        i = j;
    }
    out
}

/// The order of two order codes by their ids (numeric ids by number).
fn order_cmp(cx: &Context<'_>, a: u32, b: u32) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let orders = &cx.data.transactions.orders;
    match (orders.get(a), orders.get(b)) {
        (Some(x), Some(y)) => x.cmp(y).then(a.cmp(&b)),
        _ => a.cmp(&b),
    }
}

// ---------------------------------------------------------------------------------------------
// Pass 1: day range, highest price, first purchases

/// A customer's first purchase, less its day (kept apart, see [`Scan`]).
#[derive(Debug, Clone, Copy)]
struct First {
    order: u32,
    line: u32,
    channel: u32,
}

const NO_FIRST: First = First {
    order: NONE,
    line: u32::MAX,
    channel: NONE,
};

/// Whether the purchase `(day a, a)` comes before `(day b, b)`: earlier day, then lower order
/// id, then lower line.
#[inline]
fn earlier(cx: &Context<'_>, (da, a): (i32, &First), (db, b): (i32, &First)) -> bool {
    match da.cmp(&db) {
        Ordering::Less => true,
        Ordering::Greater => false,
        Ordering::Equal => match order_cmp(cx, a.order, b.order) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => a.line < b.line,
        },
    }
}

/// Lines handled together by the passes that look up one record per customer: the records of
/// a block are read first, in a loop of independent loads whose cache misses overlap, and the
/// lines are then handled against the copies.
const BLOCK: usize = 64;

/// The result of pass 1. Each customer's first purchase is split into its day (`first_day`,
/// read for every line) and the rest (`first`, touched only when the day ties or improves), so
/// the array every line reads is a quarter of the size.
#[derive(Debug)]
struct Scan {
    lo: i32,
    hi: i32,
    max_price: i64,
    first_day: Vec<i32>,
    first: Vec<First>,
}

fn first_pass(
    cx: &Context<'_>,
    ranges: &[Vec<(usize, usize, usize)>],
    firsts: bool,
) -> Result<Scan> {
    let chunks = cx.chunks();
    let n_cust = if firsts { cx.master.customers.len() } else { 0 };
    let parts = cx.par_map(ranges, |runs| {
        let mut s = Scan {
            lo: i32::MAX,
            hi: i32::MIN,
            max_price: 0,
            first_day: vec![i32::MAX; n_cust],
            first: vec![NO_FIRST; n_cust],
        };
        let mut seen = [i32::MIN; BLOCK];
        for &(ci, a, b) in runs {
            let c = &chunks[ci];
            let mut start = a;
            while start < b {
                let end = (start + BLOCK).min(b);
                for (k, i) in (start..end).enumerate() {
                    seen[k] = s
                        .first_day
                        .get(c.customer[i] as usize)
                        .copied()
                        .unwrap_or(i32::MIN);
                }
                for (k, i) in (start..end).enumerate() {
                    if c.quantity[i] < 0 {
                        continue;
                    }
                    let d = c.date[i];
                    s.lo = s.lo.min(d);
                    s.hi = s.hi.max(d);
                    s.max_price = s.max_price.max(c.unit_price[i]);
                    // Days only decrease, so the copy rules out most lines; the rest re-read.
                    if d > seen[k] {
                        continue;
                    }
                    let cu = c.customer[i] as usize;
                    if let (Some(fd), Some(f)) = (s.first_day.get_mut(cu), s.first.get_mut(cu))
                        && d <= *fd
                    {
                        let cand = First {
                            order: c.order[i],
                            line: c.line[i],
                            channel: c.channel[i],
                        };
                        if earlier(cx, (d, &cand), (*fd, f)) {
                            *fd = d;
                            *f = cand;
                        }
                    }
                }
                start = end;
            }
        }
        s
    })?;
    let mut it = parts.into_iter();
    let mut all = it.next().unwrap_or(Scan {
        lo: i32::MAX,
        hi: i32::MIN,
        max_price: 0,
        first_day: Vec::new(),
        first: Vec::new(),
    });
    for s in it {
        all.lo = all.lo.min(s.lo);
        all.hi = all.hi.max(s.hi);
        all.max_price = all.max_price.max(s.max_price);
        for (((fd, f), gd), g) in all
            .first_day
            .iter_mut()
            .zip(all.first.iter_mut())
            .zip(&s.first_day)
            .zip(&s.first)
        {
            if *gd <= *fd && earlier(cx, (*gd, g), (*fd, f)) {
                *fd = *gd;
                *f = *g;
            }
        }
    }
    Ok(all)
}

// ---------------------------------------------------------------------------------------------
// Layouts of the keys of pass 2

/// Undercutting: lines counted per key `(partner × windows + window) << vbits | index in basis
/// points`.
#[derive(Debug)]
struct UnderPlan {
    win: Windows,
    vbits: u32,
}

/// Customer overlap: key `(customer × windows + window) << pbits | partner`, kept in buckets of
/// `2^shift` cells (`cell >> shift`), each small enough to sort in the cache.
#[derive(Debug)]
struct OverlapPlan {
    win: Windows,
    n_cust: u64,
    pbits: u32,
    shift: u32,
    buckets: usize,
}

/// Online undercut: lines counted per key `cell << vbits | unit price`, cell
/// `((window × products + product) × territories + territory) × sides + side` with side 0 for
/// the offline channels together and `1 + k` for the k-th online channel. The window comes
/// first so that one window's cells lie together (see [`CellTally`]).
#[derive(Debug)]
struct OnlinePlan {
    win: Windows,
    /// Territory code → index of its ancestor-or-self at the level, or NONE.
    terr: Vec<u32>,
    /// Territory index → code.
    terr_code: Vec<u32>,
    /// Channel code → side, or NONE.
    side: Vec<u32>,
    /// Side → channel code (side 0: NONE).
    side_channel: Vec<u32>,
    n_sides: u64,
    n_prod: u64,
    vbits: u32,
}

impl OnlinePlan {
    /// Cells per window.
    fn per_window(&self) -> u64 {
        self.n_prod * self.terr_code.len() as u64 * self.n_sides
    }

    #[inline]
    fn cell(&self, product: u32, territory: u32, channel: u32, day: i32) -> Option<u64> {
        let t = *self.terr.get(territory as usize)?;
        let s = *self.side.get(channel as usize)?;
        if t == NONE || s == NONE {
            return None;
        }
        if u64::from(product) >= self.n_prod {
            return None;
        }
        let nt = self.terr_code.len() as u64;
        Some(
            ((self.win.of(day) as u64 * self.n_prod + u64::from(product)) * nt + u64::from(t))
                * self.n_sides
                + u64::from(s),
        )
    }
}

/// A customer's record for pass 2: its first purchase's order and channel (NONE: no first
/// purchase) and, when the (window, channel) bitset fits one word, that word, so that a line
/// touches one record.
#[derive(Debug)]
struct Cust {
    order: u32,
    channel: u32,
    bits: AtomicU64,
}

/// Channel switching: sums per (first channel, window, channel) and a per-customer bitset of
/// (window, channel): in [`Cust::bits`] when `stride` is 1, else `stride` words per customer
/// in `words`.
#[derive(Debug)]
struct SwitchPlan {
    win: Windows,
    cust: Vec<Cust>,
    n_chan: usize,
    stride: usize,
    words: Vec<AtomicU64>,
}

impl SwitchPlan {
    /// The bitset words of customer `c`.
    #[inline]
    fn words(&self, c: usize) -> &[AtomicU64] {
        if self.stride == 1 {
            self.cust
                .get(c)
                .map_or(&[], |x| std::slice::from_ref(&x.bits))
        } else {
            self.words
                .get(c * self.stride..(c + 1) * self.stride)
                .unwrap_or(&[])
        }
    }
}

#[derive(Debug)]
struct Plans {
    under: Option<UnderPlan>,
    overlap: Option<OverlapPlan>,
    online: Option<OnlinePlan>,
    switching: Option<SwitchPlan>,
}

fn plans(cx: &Context<'_>, want: Want, scan: Scan, not_run: &mut Vec<NotRun>) -> Plans {
    let p = cx.policy;
    let m = cx.master;
    let (lo, hi) = (scan.lo, scan.hi);
    let n_part = m.partners.len() as u64;
    let max_price = scan.max_price.max(0) as u64;
    let too_big = |d: Detector, what: &str, zh: &str| NotRun {
        detector: d,
        reason: Label::new(
            format!("{what}: too many to count exactly"),
            format!("{zh}过多，无法精确统计"),
        ),
    };
    let mut plans = Plans {
        under: None,
        overlap: None,
        online: None,
        switching: None,
    };
    if want.under && n_part > 0 {
        match Windows::new(p.undercutting.window, lo, hi) {
            None => not_run.push(too_many_windows(
                Detector::Undercutting,
                p.undercutting.window,
            )),
            Some(win) => {
                let slots = n_part * win.len().max(1) as u64;
                let vbits = bits(max_price.saturating_mul(10_000));
                let b = bits(slots - 1) + vbits;
                if b > 64 || max_price > (u64::MAX >> 14) {
                    not_run.push(too_big(
                        Detector::Undercutting,
                        "partners × windows × price indices",
                        "伙伴 × 窗口 × 价格指数",
                    ));
                } else {
                    plans.under = Some(UnderPlan { win, vbits });
                }
            }
        }
    }
    if want.overlap && n_part > 0 {
        match Windows::new(p.customer_overlap.window, lo, hi) {
            None => not_run.push(too_many_windows(
                Detector::CustomerOverlap,
                p.customer_overlap.window,
            )),
            Some(win) => {
                let n_cust = m.customers.len() as u64;
                let cells = n_cust.saturating_mul(win.len().max(1) as u64);
                let pbits = bits(n_part - 1);
                let b = bits(cells.saturating_sub(1)) + pbits;
                if b > 64 || cells == u64::MAX {
                    not_run.push(too_big(
                        Detector::CustomerOverlap,
                        "windows × customers × partners",
                        "窗口 × 客户 × 伙伴",
                    ));
                } else {
                    // About 512 buckets of 2^shift cells.
                    let shift = bits(cells.saturating_sub(1)).saturating_sub(9);
                    plans.overlap = Some(OverlapPlan {
                        win,
                        n_cust,
                        pbits,
                        shift,
                        buckets: ((cells.saturating_sub(1) >> shift) + 1) as usize,
                    });
                }
            }
        }
    }
    if want.online {
        let r = &p.online_undercut;
        match Windows::new(r.window, lo, hi) {
            None => not_run.push(too_many_windows(Detector::OnlineUndercut, r.window)),
            Some(win) => {
                let n_terr = m.territories.len();
                let mut terr_code: Vec<u32> = (0..n_terr as u32)
                    .filter(|&t| {
                        m.territories
                            .get(t)
                            .is_some_and(|x| x.level == r.territory_level)
                    })
                    .collect();
                terr_code.sort_unstable();
                let mut terr = vec![NONE; n_terr];
                for (t, slot) in terr.iter_mut().enumerate() {
                    if let Some(a) = cx.territory_at(t as u32, r.territory_level)
                        && let Ok(k) = terr_code.binary_search(&a)
                    {
                        *slot = k as u32;
                    }
                }
                let n_chan = m.channels.len();
                let mut side = vec![NONE; n_chan];
                let mut side_channel = vec![NONE];
                for (c, s) in side.iter_mut().enumerate() {
                    match m.channels.get(c as u32).map(|x| x.presence) {
                        Some(Presence::Offline) => *s = 0,
                        Some(Presence::Online) => {
                            *s = side_channel.len() as u32;
                            side_channel.push(c as u32);
                        }
                        None => {}
                    }
                }
                let n_sides = side_channel.len() as u64;
                let cells = (m.products.len() as u64)
                    .saturating_mul(terr_code.len() as u64)
                    .saturating_mul(win.len().max(1) as u64)
                    .saturating_mul(n_sides);
                let vbits = bits(max_price);
                let b = bits(cells.saturating_sub(1)) + vbits;
                if n_sides > 1 && !terr_code.is_empty() && cells > 0 {
                    if b > 64 || cells == u64::MAX {
                        not_run.push(too_big(
                            Detector::OnlineUndercut,
                            "products × territories × windows × channels × prices",
                            "产品 × 区域 × 窗口 × 渠道 × 价格",
                        ));
                    } else {
                        plans.online = Some(OnlinePlan {
                            win,
                            terr,
                            terr_code,
                            side,
                            side_channel,
                            n_sides,
                            n_prod: m.products.len() as u64,
                            vbits,
                        });
                    }
                }
            }
        }
    }
    if want.switching {
        let r = &p.channel_switching;
        match Windows::new(r.window, lo, hi) {
            None => not_run.push(too_many_windows(Detector::ChannelSwitching, r.window)),
            Some(win) => {
                let n_chan = m.channels.len();
                let stride = (win.len() * n_chan).div_ceil(64);
                let words = scan.first_day.len().saturating_mul(stride);
                if words > MAX_SWITCH_WORDS {
                    not_run.push(too_big(
                        Detector::ChannelSwitching,
                        "customers × windows × channels",
                        "客户 × 窗口 × 渠道",
                    ));
                } else {
                    let cust = scan
                        .first_day
                        .iter()
                        .zip(&scan.first)
                        .map(|(&day, f)| Cust {
                            order: f.order,
                            channel: if day == i32::MAX { NONE } else { f.channel },
                            bits: AtomicU64::new(0),
                        })
                        .collect();
                    let words = if stride == 1 { 0 } else { words };
                    plans.switching = Some(SwitchPlan {
                        win,
                        cust,
                        n_chan,
                        stride,
                        words: (0..words).map(|_| AtomicU64::new(0)).collect(),
                    });
                }
            }
        }
    }
    plans
}

// ---------------------------------------------------------------------------------------------
// Pass 2

/// One worker's share of pass 2.
#[derive(Debug, Default)]
struct Part {
    under: Tally,
    under_acc: Vec<Acc>,
    /// Overlap keys by bucket.
    overlap: Vec<Vec<u64>>,
    online: CellTally,
    switch_acc: Vec<Acc>,
}

fn second_pass(
    cx: &Context<'_>,
    ranges: &[Vec<(usize, usize, usize)>],
    pl: &Plans,
) -> Result<Vec<Part>> {
    let chunks = cx.chunks();
    let n_part = cx.master.partners.len();
    cx.par_map(ranges, |runs| {
        let mut st = Part::default();
        if let Some(u) = &pl.under {
            st.under_acc = vec![Acc::default(); n_part * u.win.len()];
            st.under = Tally::new(u.win.len());
        }
        if let Some(on) = &pl.online {
            st.online = CellTally::new(on.win.len(), on.per_window(), on.vbits);
        }
        if let Some(o) = &pl.overlap {
            // Room for every line of the worker, spread evenly, so buckets seldom grow.
            let lines: usize = runs.iter().map(|&(_, a, b)| b - a).sum();
            let each = lines / o.buckets.max(1) + lines / o.buckets.max(1) / 8 + 16;
            st.overlap = (0..o.buckets).map(|_| Vec::with_capacity(each)).collect();
        }
        if let Some(s) = &pl.switching {
            st.switch_acc = vec![Acc::default(); s.n_chan * s.win.len() * s.n_chan];
        }
        // Read ahead for a block (see BLOCK): the first purchase (order, channel) of each line's
        // customer, its retail price, and its online cell (whose slot is touched, so it is in
        // the cache when counted).
        let mut firsts = [(NONE, NONE); BLOCK];
        let mut retail = [0i64; BLOCK];
        let mut cells = [u64::MAX; BLOCK];
        for &(ci, a, b) in runs {
            let c = &chunks[ci];
            let mut start = a;
            while start < b {
                let end = (start + BLOCK).min(b);
                if let Some(s) = &pl.switching {
                    for (k, i) in (start..end).enumerate() {
                        firsts[k] = s
                            .cust
                            .get(c.customer[i] as usize)
                            .map_or((NONE, NONE), |f| (f.order, f.channel));
                    }
                }
                if pl.under.is_some() {
                    for (k, i) in (start..end).enumerate() {
                        retail[k] = if (c.partner[i] as usize) < n_part {
                            cx.price(c.product[i], c.channel[i], c.territory[i], c.date[i])
                                .map_or(0, |(r, _)| r)
                        } else {
                            0
                        };
                    }
                }
                if let Some(on) = &pl.online {
                    let mut touched = 0u32;
                    for (k, i) in (start..end).enumerate() {
                        let day = c.date[i];
                        cells[k] = on
                            .cell(c.product[i], c.territory[i], c.channel[i], day)
                            .unwrap_or(u64::MAX);
                        touched ^= st.online.touch(on.win.of(day), cells[k]);
                    }
                    std::hint::black_box(touched);
                }
                for (k, i) in (start..end).enumerate() {
                    let q = c.quantity[i];
                    if q < 0 {
                        continue;
                    }
                    let day = c.date[i];
                    let partner = c.partner[i];
                    let customer = c.customer[i];
                    let channel = c.channel[i];
                    let price = c.unit_price[i].max(0) as u64;
                    if let Some(u) = &pl.under
                        && (partner as usize) < n_part
                        && retail[k] > 0
                    {
                        // The price is at most the highest price, and that times 10 000 fits.
                        let bp = price.saturating_mul(10_000) / retail[k] as u64;
                        let w = u.win.of(day);
                        let slot = (partner as usize * u.win.len() + w) as u64;
                        st.under.add(w, slot << u.vbits | bp);
                        st.under_acc[slot as usize].add(q, c.amount[i], day);
                    }
                    if let Some(o) = &pl.overlap
                        && (partner as usize) < n_part
                        && u64::from(customer) < o.n_cust
                    {
                        let cell = u64::from(customer) * o.win.len() as u64 + o.win.of(day) as u64;
                        let key = cell << o.pbits | u64::from(partner);
                        // The lines of one order come together and give the same key.
                        if let Some(v) = st.overlap.get_mut((cell >> o.shift) as usize)
                            && v.last() != Some(&key)
                        {
                            v.push(key);
                        }
                    }
                    if let Some(on) = &pl.online
                        && cells[k] != u64::MAX
                    {
                        st.online.add(on.win.of(day), cells[k], price, 1);
                    }
                    let (first_order, first_channel) = firsts[k];
                    if let Some(s) = &pl.switching
                        && (first_channel as usize) < s.n_chan
                        && c.order[i] != first_order
                        && (channel as usize) < s.n_chan
                    {
                        let w = s.win.of(day);
                        let k = (first_channel as usize * s.win.len() + w) * s.n_chan
                            + channel as usize;
                        st.switch_acc[k].add(q, c.amount[i], day);
                        let bit = w * s.n_chan + channel as usize;
                        let word = if s.stride == 1 {
                            s.cust.get(customer as usize).map(|f| &f.bits)
                        } else {
                            s.words.get(customer as usize * s.stride + bit / 64)
                        };
                        let m = 1u64 << (bit % 64);
                        if let Some(word) = word
                            && word.load(AtomicOrdering::Relaxed) & m == 0
                        {
                            word.fetch_or(m, AtomicOrdering::Relaxed);
                        }
                    }
                }
                start = end;
            }
        }
        st
    })
}

fn line_patterns(
    cx: &Context<'_>,
    want: Want,
    not_run: &mut Vec<NotRun>,
    out: &mut Vec<Finding>,
) -> Result<()> {
    let ranges = cx.ranges();
    let scan = first_pass(cx, &ranges, want.switching)?;
    if scan.lo > scan.hi {
        return Ok(());
    }
    let pl = plans(cx, want, scan, not_run);
    let mut parts = second_pass(cx, &ranges, &pl)?;
    if let Some(u) = &pl.under {
        let mut tally = Tally::default();
        let mut acc = vec![Acc::default(); parts.first().map_or(0, |p| p.under_acc.len())];
        for p in &mut parts {
            tally.merge(std::mem::take(&mut p.under));
            for (a, b) in acc.iter_mut().zip(&p.under_acc) {
                a.merge(b);
            }
        }
        undercutting(cx, u, tally_medians(&tally, u.vbits), &acc, out);
    }
    if let Some(o) = &pl.overlap {
        // The buckets split into contiguous ranges, one per worker.
        let n = ranges.len().max(1);
        let shares: Vec<(usize, usize)> = (0..n)
            .map(|k| (o.buckets * k / n, o.buckets * (k + 1) / n))
            .collect();
        let parts = &parts;
        let counted = cx.par_map(&shares, |&(a, b)| overlap_counts(cx, o, parts, a..b))?;
        overlap(cx, o, counted, out);
    }
    for p in &mut parts {
        p.overlap = Vec::new();
    }
    if let Some(on) = &pl.online {
        let mut it = parts.iter_mut().map(|p| std::mem::take(&mut p.online));
        let mut tally = it.next().unwrap_or_default();
        for t in it {
            tally.merge(t);
        }
        let tally = tally.into_tally();
        online(cx, on, &ranges, tally_medians(&tally, on.vbits), out)?;
    }
    if let Some(s) = &pl.switching {
        let mut acc = vec![Acc::default(); parts.first().map_or(0, |p| p.switch_acc.len())];
        for p in &parts {
            for (a, b) in acc.iter_mut().zip(&p.switch_acc) {
                a.merge(b);
            }
        }
        switching(cx, s, &acc, out);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Undercutting

/// A partner's peer group: depth in the partner tree and fixed channel.
fn peer_class(cx: &Context<'_>, p: u32) -> (u16, u32) {
    let parts = &cx.master.partners;
    (parts.hierarchy.tree.depth(p), parts.channel(p))
}

/// The median of twice-medians, times four: the two middle values added.
fn median4(sorted: &[u128]) -> u128 {
    let n = sorted.len();
    sorted[(n - 1) / 2] + sorted[n / 2]
}

fn undercutting(
    cx: &Context<'_>,
    u: &UnderPlan,
    runs: Vec<(u64, u64, u128)>,
    acc: &[Acc],
    out: &mut Vec<Finding>,
) {
    let rule = &cx.policy.undercutting;
    let m = cx.master;
    let nw = u.win.len() as u64;
    // (window, class) → [(partner, lines, twice the median)], partners ascending.
    type Members = Vec<(u32, u64, u128)>;
    let mut groups: BTreeMap<(u64, (u16, u32)), Members> = BTreeMap::new();
    for (slot, n, m2) in runs {
        if n < u64::from(rule.min_lines) {
            continue;
        }
        let (p, w) = ((slot / nw) as u32, slot % nw);
        groups
            .entry((w, peer_class(cx, p)))
            .or_default()
            .push((p, n, m2));
    }
    let one_minus_gap = Decimal::ONE - rule.gap;
    for ((w, (_, channel)), members) in groups {
        if members.len() <= rule.min_peers as usize {
            continue;
        }
        let period = u.win.periods[w as usize];
        for (k, &(p, n, m2)) in members.iter().enumerate() {
            let mut others: Vec<u128> = members
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != k)
                .map(|(_, x)| x.2)
                .collect();
            others.sort_unstable();
            // index = m2 / 20000; peer median = m4 / 40000.
            let median = dec(m2 as i128) / Decimal::from(20_000);
            let peer = dec(median4(&others) as i128) / Decimal::from(40_000);
            let threshold = peer * one_minus_gap;
            if median >= threshold {
                continue;
            }
            let id = m.partners.id(p).to_string();
            let peers: Vec<String> = {
                let mut v: Vec<String> = members
                    .iter()
                    .filter(|x| x.0 != p)
                    .map(|x| m.partners.id(x.0).to_string())
                    .collect();
                v.sort();
                v
            };
            let a = acc
                .get(p as usize * u.win.len() + w as usize)
                .copied()
                .unwrap_or_default();
            let (first_day, last_day) = if a.lines > 0 {
                (Date(a.first), Date(a.last))
            } else {
                (period.start, last_day(period))
            };
            let mi = show(median, 4);
            let pm = show(peer, 4);
            let th = show(threshold, 4);
            out.push(Finding {
                id: Finding::make_id(Detector::Undercutting, Some(&id), None, None, period, &[]),
                detector: Detector::Undercutting,
                kind: ConflictKind::Horizontal,
                partner: Some(id.clone()),
                channels: if channel == NONE {
                    Vec::new()
                } else {
                    vec![m.channels.id(channel).to_string()]
                },
                territory: None,
                product: None,
                period,
                first_day,
                last_day,
                severity: rule.severity,
                repeats: 0,
                resolution: super::context::PENDING,
                message: Label::new(
                    format!(
                        "{id} sold at a median price index of {mi} of the retail price in {period}, more than {} below the median {pm} of its {} peers (same level and channel): threshold {th}, {n} priced sale lines",
                        pct(rule.gap),
                        peers.len()
                    ),
                    format!(
                        "{id} 在 {period} 的成交价中位数为零售价的 {mi}，比 {} 家同级同渠道伙伴的中位数 {pm} 低 {} 以上（阈值 {th}），共 {n} 行有价销售",
                        peers.len(),
                        pct(rule.gap)
                    ),
                ),
                figures: vec![
                    Figure::new("median_price_index", median, Some(threshold), "ratio"),
                    Figure::new("peer_median", peer, None, "ratio"),
                    Figure::new(
                        "lines",
                        Decimal::from(n),
                        Some(Decimal::from(rule.min_lines)),
                        "lines",
                    ),
                    Figure::new(
                        "peers",
                        Decimal::from(peers.len() as u64),
                        Some(Decimal::from(rule.min_peers)),
                        "partners",
                    ),
                ],
                parties: peers,
                evidence: a.evidence(Vec::new()),
                cause: None,
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Customer overlap

/// Pair counts, dense or in a map.
#[derive(Debug)]
enum Pairs {
    Dense(Vec<u32>),
    Sparse(FxHashMap<u64, u32>),
}

impl Pairs {
    fn new(n: usize) -> Pairs {
        if n <= MAX_DENSE_PAIRS {
            Pairs::Dense(vec![0; n])
        } else {
            Pairs::Sparse(FxHashMap::default())
        }
    }

    #[inline]
    fn add(&mut self, i: u64, by: u32) {
        match self {
            Pairs::Dense(v) => {
                if let Some(x) = v.get_mut(i as usize) {
                    *x += by;
                }
            }
            Pairs::Sparse(m) => *m.entry(i).or_insert(0) += by,
        }
    }

    fn merge(&mut self, o: &Pairs) {
        o.each(|i, n| self.add(i, n));
    }

    fn each(&self, mut f: impl FnMut(u64, u32)) {
        match self {
            Pairs::Dense(v) => {
                for (i, &n) in v.iter().enumerate() {
                    if n > 0 {
                        f(i as u64, n);
                    }
                }
            }
            Pairs::Sparse(m) => {
                for (&i, &n) in m {
                    f(i, n);
                }
            }
        }
    }
}

/// Over the buckets `range` of every worker: distinct customers per (window, partner) and
/// shared customers per (window, partner, partner) of one peer class.
fn overlap_counts(
    cx: &Context<'_>,
    o: &OverlapPlan,
    parts: &[Part],
    range: std::ops::Range<usize>,
) -> (Vec<u32>, Pairs) {
    let n_part = cx.master.partners.len();
    let nw = o.win.len();
    let class: Vec<(u16, u32)> = (0..n_part as u32).map(|p| peer_class(cx, p)).collect();
    let mut customers = vec![0u32; nw * n_part];
    let mut pairs = Pairs::new(nw.saturating_mul(n_part).saturating_mul(n_part));
    let pmask = low_mask(o.pbits);
    let mut group: Vec<u32> = Vec::new();
    let mut keys: Vec<u64> = Vec::new();
    let mut tmp: Vec<u64> = Vec::new();
    for d in range {
        keys.clear();
        for p in parts {
            if let Some(v) = p.overlap.get(d) {
                keys.extend_from_slice(v);
            }
        }
        // Keys of a bucket differ only in their low shift + pbits bits.
        radix_sort(&mut keys, &mut tmp, o.shift + o.pbits);
        keys.dedup();
        let mut i = 0;
        while i < keys.len() {
            let cell = keys[i] >> o.pbits;
            let w = (cell % nw as u64) as usize;
            group.clear();
            while i < keys.len() && keys[i] >> o.pbits == cell {
                group.push((keys[i] & pmask) as u32);
                i += 1;
            }
            for &p in &group {
                customers[w * n_part + p as usize] += 1;
            }
            if group.len() < 2 {
                continue;
            }
            // Peer classes of the group, partners ascending within each.
            group.sort_unstable_by_key(|&p| (class[p as usize], p));
            let mut s = 0;
            while s < group.len() {
                let c = class[group[s] as usize];
                let mut e = s + 1;
                while e < group.len() && class[group[e] as usize] == c {
                    e += 1;
                }
                let members = &group[s..e.min(s + MAX_PAIRED)];
                for (x, &a) in members.iter().enumerate() {
                    for &b in &members[x + 1..] {
                        let idx = ((w * n_part + a as usize) * n_part + b as usize) as u64;
                        pairs.add(idx, 1);
                    }
                }
                s = e;
            }
        }
    }
    (customers, pairs)
}

fn overlap(
    cx: &Context<'_>,
    o: &OverlapPlan,
    counted: Vec<(Vec<u32>, Pairs)>,
    out: &mut Vec<Finding>,
) {
    let rule = &cx.policy.customer_overlap;
    let m = cx.master;
    let n_part = m.partners.len();
    let mut it = counted.into_iter();
    let Some((mut customers, mut pairs)) = it.next() else {
        return;
    };
    for (c, p) in it {
        for (a, b) in customers.iter_mut().zip(&c) {
            *a += b;
        }
        pairs.merge(&p);
    }
    let mut found: Vec<(u64, u32)> = Vec::new();
    pairs.each(|i, n| {
        if n >= rule.min_shared {
            found.push((i, n));
        }
    });
    found.sort_unstable();
    for (i, shared) in found {
        let i = i as usize;
        let b = (i % n_part) as u32;
        let a = (i / n_part % n_part) as u32;
        let w = i / n_part / n_part;
        let ca = customers[w * n_part + a as usize];
        let cb = customers[w * n_part + b as usize];
        let smaller = ca.min(cb).max(1);
        let share = Decimal::from(shared) / Decimal::from(smaller);
        if share < rule.threshold {
            continue;
        }
        let period = o.win.periods[w];
        let (mut ia, mut ib) = (m.partners.id(a).to_string(), m.partners.id(b).to_string());
        let (mut na, mut nb) = (ca, cb);
        if ib < ia {
            std::mem::swap(&mut ia, &mut ib);
            std::mem::swap(&mut na, &mut nb);
        }
        let channel = m.partners.channel(a);
        let depth = m.partners.hierarchy.tree.depth(a);
        out.push(Finding {
            id: Finding::make_id(
                Detector::CustomerOverlap,
                None,
                None,
                None,
                period,
                &[&ia, &ib],
            ),
            detector: Detector::CustomerOverlap,
            kind: ConflictKind::Horizontal,
            partner: None,
            parties: vec![ia.clone(), ib.clone()],
            channels: if channel == NONE {
                Vec::new()
            } else {
                vec![m.channels.id(channel).to_string()]
            },
            territory: None,
            product: None,
            period,
            first_day: period.start,
            last_day: last_day(period),
            severity: rule.severity,
            repeats: 0,
            resolution: Resolution::Review,
            message: Label::new(
                format!(
                    "{ia} and {ib} (level {}, same channel) shared {shared} customers in {period}: {} of the smaller customer base ({} and {} customers; threshold {})",
                    depth + 1,
                    pct(share),
                    na,
                    nb,
                    pct(rule.threshold)
                ),
                format!(
                    "{ia} 与 {ib}（第 {} 级，同渠道）在 {period} 共有 {shared} 位相同客户，占较小一方客户数的 {}（客户数 {} 与 {}；阈值 {}）",
                    depth + 1,
                    pct(share),
                    na,
                    nb,
                    pct(rule.threshold)
                ),
            ),
            figures: vec![
                Figure::new("overlap_share", share, Some(rule.threshold), "ratio"),
                Figure::new(
                    "shared_customers",
                    Decimal::from(shared),
                    Some(Decimal::from(rule.min_shared)),
                    "customers",
                ),
                Figure::new(format!("customers:{ia}"), Decimal::from(na), None, "customers"),
                Figure::new(format!("customers:{ib}"), Decimal::from(nb), None, "customers"),
            ],
            evidence: Evidence::default(),
            cause: None,
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Online undercut

/// An online channel's median in a cell below the offline median there.
#[derive(Debug)]
struct Undercut {
    /// Cell of the online side.
    cell: u64,
    online: (u64, u128),
    offline: (u64, u128),
}

fn online(
    cx: &Context<'_>,
    on: &OnlinePlan,
    ranges: &[Vec<(usize, usize, usize)>],
    runs: Vec<(u64, u64, u128)>,
    out: &mut Vec<Finding>,
) -> Result<()> {
    let rule = &cx.policy.online_undercut;
    let min = u64::from(rule.min_lines);
    let keep = Decimal::ONE - rule.tolerance;
    let mut flagged: Vec<Undercut> = Vec::new();
    // Runs are sorted by cell; a group's offline side (0) comes first.
    let mut i = 0;
    while i < runs.len() {
        let group = runs[i].0 / on.n_sides;
        let mut j = i;
        while j < runs.len() && runs[j].0 / on.n_sides == group {
            j += 1;
        }
        let cells = &runs[i..j];
        i = j;
        let Some(&(c0, n_off, off2)) = cells.first() else {
            continue;
        };
        if c0 % on.n_sides != 0 || n_off < min {
            continue;
        }
        for &(cell, n, m2) in &cells[1..] {
            // online median < offline median × (1 − tolerance), both as twice-medians.
            if n >= min && dec(m2 as i128) < dec(off2 as i128) * keep {
                flagged.push(Undercut {
                    cell,
                    online: (n, m2),
                    offline: (n_off, off2),
                });
            }
        }
    }
    if flagged.is_empty() {
        return Ok(());
    }
    // The evidence: the online lines of each flagged cell, and the offline channels seen in
    // its (product, territory, window).
    let index: FxHashMap<u64, usize> = flagged
        .iter()
        .enumerate()
        .map(|(k, f)| (f.cell, k))
        .collect();
    let groups: FxHashMap<u64, usize> = flagged
        .iter()
        .enumerate()
        .map(|(k, f)| (f.cell / on.n_sides, k))
        .collect();
    let limit = cx.policy.evidence_limit as usize;
    let chunks = cx.chunks();
    type Found = (Vec<Acc>, Vec<Vec<EvidenceLine>>, Vec<Vec<u32>>);
    let parts: Vec<Found> = cx.par_map(ranges, |runs| {
        let mut acc = vec![Acc::default(); flagged.len()];
        let mut listed: Vec<Vec<EvidenceLine>> = vec![Vec::new(); flagged.len()];
        let mut offline: Vec<Vec<u32>> = vec![Vec::new(); flagged.len()];
        for &(ci, a, b) in runs {
            let c = &chunks[ci];
            for r in a..b {
                if c.quantity[r] < 0 {
                    continue;
                }
                let Some(cell) = on.cell(c.product[r], c.territory[r], c.channel[r], c.date[r])
                else {
                    continue;
                };
                if cell % on.n_sides == 0 {
                    if let Some(&g) = groups.get(&(cell / on.n_sides))
                        && !offline[g].contains(&c.channel[r])
                    {
                        offline[g].push(c.channel[r]);
                    }
                } else if let Some(&k) = index.get(&cell) {
                    acc[k].add(c.quantity[r], c.amount[r], c.date[r]);
                    if listed[k].len() < limit {
                        listed[k].push(cx.evidence_line(ci, r, None));
                    }
                }
            }
        }
        (acc, listed, offline)
    })?;
    let mut acc = vec![Acc::default(); flagged.len()];
    let mut listed: Vec<Vec<EvidenceLine>> = vec![Vec::new(); flagged.len()];
    let mut offline: Vec<Vec<u32>> = vec![Vec::new(); flagged.len()];
    for (pa, pl, po) in parts {
        for k in 0..flagged.len() {
            acc[k].merge(&pa[k]);
            let room = limit.saturating_sub(listed[k].len());
            listed[k].extend(pl[k].iter().take(room).cloned());
            offline[k].extend(&po[k]);
        }
    }
    let m = cx.master;
    let cur = cx.data.currency();
    let nt = on.terr_code.len() as u64;
    for (k, f) in flagged.iter().enumerate() {
        let side = (f.cell % on.n_sides) as usize;
        let rest = f.cell / on.n_sides;
        let t = on.terr_code[(rest % nt) as usize];
        let product = ((rest / nt) % on.n_prod) as u32;
        let w = (rest / nt / on.n_prod) as usize;
        let period = on.win.periods[w];
        let channel = on.side_channel[side];
        let (pid, tid, cid) = (
            m.products.id(product).to_string(),
            m.territories.id(t).to_string(),
            m.channels.id(channel).to_string(),
        );
        let mut off = std::mem::take(&mut offline[k]);
        // The group's offline channels are those of any of its flagged cells.
        for (j, g) in flagged.iter().enumerate() {
            if j != k && g.cell / on.n_sides == f.cell / on.n_sides {
                off.extend(&offline[j]);
            }
        }
        let mut off_ids: Vec<String> = off.iter().map(|&c| m.channels.id(c).to_string()).collect();
        off_ids.sort();
        off_ids.dedup();
        // Twice-medians in minor units → medians in major units.
        let minor = cur.to_decimal(1) / Decimal::TWO;
        let on_med = dec(f.online.1 as i128) * minor;
        let off_med = dec(f.offline.1 as i128) * minor;
        let threshold = off_med * keep;
        let a = acc[k];
        let (first_day, last_day_) = if a.lines > 0 {
            (Date(a.first), Date(a.last))
        } else {
            (period.start, last_day(period))
        };
        let mut channels = vec![cid.clone()];
        channels.extend(off_ids.iter().cloned());
        // Flagged cells have on_med < off_med × (1 − tolerance), so off_med > 0.
        let drop = Decimal::ONE - on_med / off_med;
        out.push(Finding {
            id: Finding::make_id(
                Detector::OnlineUndercut,
                None,
                Some(&tid),
                Some(&pid),
                period,
                &[&cid],
            ),
            detector: Detector::OnlineUndercut,
            kind: ConflictKind::MultiChannel,
            partner: None,
            parties: Vec::new(),
            channels,
            territory: Some(tid.clone()),
            product: Some(pid.clone()),
            period,
            first_day,
            last_day: last_day_,
            severity: rule.severity,
            repeats: 0,
            resolution: Resolution::Review,
            message: Label::new(
                format!(
                    "{pid} in {tid}, {period}: median price {} on {cid} ({} lines) is {} below the offline median {} ({} lines, {}); tolerance {}, threshold {}",
                    show(on_med, 2),
                    f.online.0,
                    pct(drop.round_dp(4)),
                    show(off_med, 2),
                    f.offline.0,
                    off_ids.join(", "),
                    pct(rule.tolerance),
                    show(threshold, 2)
                ),
                format!(
                    "{pid} 在 {tid}（{period}）：{cid} 成交价中位数 {}（{} 行）比线下中位数 {}（{} 行，{}）低 {}；容差 {}，阈值 {}",
                    show(on_med, 2),
                    f.online.0,
                    show(off_med, 2),
                    f.offline.0,
                    off_ids.join("、"),
                    pct(drop.round_dp(4)),
                    pct(rule.tolerance),
                    show(threshold, 2)
                ),
            ),
            figures: vec![
                Figure::new("online_median", on_med, Some(threshold), cur.code.clone()),
                Figure::new("offline_median", off_med, None, cur.code.clone()),
                Figure::new(
                    "online_lines",
                    Decimal::from(f.online.0),
                    Some(Decimal::from(rule.min_lines)),
                    "lines",
                ),
                Figure::new(
                    "offline_lines",
                    Decimal::from(f.offline.0),
                    Some(Decimal::from(rule.min_lines)),
                    "lines",
                ),
            ],
            evidence: a.evidence(std::mem::take(&mut listed[k])),
            cause: None,
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Channel switching

fn switching(cx: &Context<'_>, s: &SwitchPlan, acc: &[Acc], out: &mut Vec<Finding>) {
    let rule = &cx.policy.channel_switching;
    let m = cx.master;
    let cur = cx.data.currency();
    let (nw, nc) = (s.win.len(), s.n_chan);
    // Distinct customers per (first channel, window, channel) and per (first channel, window).
    let mut buyers = vec![0u32; nc * nw * nc];
    let mut any = vec![0u32; nc * nw];
    for (c, f) in s.cust.iter().enumerate() {
        if f.channel as usize >= nc {
            continue;
        }
        let a = f.channel as usize;
        let words = s.words(c);
        let mut last_w = usize::MAX;
        for (wi, word) in words.iter().enumerate() {
            let mut x = word.load(AtomicOrdering::Relaxed);
            while x != 0 {
                let bit = wi * 64 + x.trailing_zeros() as usize;
                x &= x - 1;
                let (w, b) = (bit / nc, bit % nc);
                buyers[(a * nw + w) * nc + b] += 1;
                if w != last_w {
                    any[a * nw + w] += 1;
                    last_w = w;
                }
            }
        }
    }
    for a in 0..nc {
        for w in 0..nw {
            let row = &acc[(a * nw + w) * nc..(a * nw + w + 1) * nc];
            let total: i128 = row.iter().map(|x| x.amount).sum();
            if total <= 0 {
                continue;
            }
            for (b, x) in row.iter().enumerate() {
                let n = buyers[(a * nw + w) * nc + b];
                if b == a || n < rule.min_customers || x.amount <= 0 {
                    continue;
                }
                let share = dec(x.amount) / dec(total);
                if share < rule.threshold {
                    continue;
                }
                let period = s.win.periods[w];
                let (ia, ib) = (
                    m.channels.id(a as u32).to_string(),
                    m.channels.id(b as u32).to_string(),
                );
                let all = any[a * nw + w];
                let rev_b = cur.format(narrow(x.amount));
                let rev_t = cur.format(narrow(total));
                out.push(Finding {
                    id: Finding::make_id(
                        Detector::ChannelSwitching,
                        None,
                        None,
                        None,
                        period,
                        &[&ia, &ib],
                    ),
                    detector: Detector::ChannelSwitching,
                    kind: ConflictKind::MultiChannel,
                    partner: None,
                    parties: Vec::new(),
                    channels: vec![ia.clone(), ib.clone()],
                    territory: None,
                    product: None,
                    period,
                    first_day: Date(x.first),
                    last_day: Date(x.last),
                    severity: rule.severity,
                    repeats: 0,
                    resolution: Resolution::Review,
                    message: Label::new(
                        format!(
                            "Customers first won on {ia} spent {} of their later revenue in {period} on {ib}: {rev_b} of {rev_t} {}, {n} of {all} returning customers (threshold {}, at least {} customers)",
                            pct(share.round_dp(4)),
                            cur.code,
                            pct(rule.threshold),
                            rule.min_customers
                        ),
                        format!(
                            "首购于 {ia} 的客户在 {period} 的后续消费有 {} 流向 {ib}：{rev_b} / {rev_t} {}，{all} 位回购客户中 {n} 位（阈值 {}，至少 {} 位客户）",
                            pct(share.round_dp(4)),
                            cur.code,
                            pct(rule.threshold),
                            rule.min_customers
                        ),
                    ),
                    figures: vec![
                        Figure::new("switch_share", share, Some(rule.threshold), "ratio"),
                        Figure::new(
                            "switching_customers",
                            Decimal::from(n),
                            Some(Decimal::from(rule.min_customers)),
                            "customers",
                        ),
                        Figure::new(
                            "returning_customers",
                            Decimal::from(all),
                            None,
                            "customers",
                        ),
                        Figure::new(
                            "revenue_switched",
                            cur.to_decimal(narrow(x.amount)),
                            None,
                            cur.code.clone(),
                        ),
                        Figure::new(
                            "later_revenue",
                            cur.to_decimal(narrow(total)),
                            None,
                            cur.code.clone(),
                        ),
                    ],
                    evidence: x.evidence(Vec::new()),
                    cause: None,
                });
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Inventory

fn inventory(cx: &Context<'_>, not_run: &mut Vec<NotRun>, out: &mut Vec<Finding>) {
    let inv = &cx.data.ops.inventory;
    if inv.is_empty() {
        not_run.push(NotRun {
            detector: Detector::Inventory,
            reason: Label::new("no inventory snapshots", "无库存盘点数据"),
        });
        return;
    }
    let rule = &cx.policy.inventory;
    let m = cx.master;
    let n_part = m.partners.len();
    let backlog = Decimal::from(rule.backlog_days);
    let target = Decimal::from(rule.target_days);
    // Each partner's territories at the level.
    let regions: Vec<Vec<u32>> = (0..n_part as u32)
        .map(|p| {
            let mut v: Vec<u32> = m
                .partners
                .grants(p)
                .iter()
                .filter_map(|&(g, _)| cx.territory_at(g, rule.territory_level))
                .collect();
            v.sort_by(|&a, &b| m.territories.id(a).cmp(m.territories.id(b)));
            v.dedup();
            v
        })
        .collect();
    // Snapshots by (date, product, partner); a repeated count keeps the last row.
    let mut rows: Vec<usize> = (0..inv.len())
        .filter(|&i| (inv[i].partner as usize) < n_part)
        .collect();
    rows.sort_by_key(|&i| (inv[i].date, inv[i].product, inv[i].partner, i));
    rows.dedup_by(|later, earlier| {
        let (x, y) = (&inv[*later], &inv[*earlier]);
        if (x.date, x.product, x.partner) == (y.date, y.product, y.partner) {
            *earlier = *later;
            true
        } else {
            false
        }
    });
    let to_units = |d: Decimal| i64::try_from(d).unwrap_or(i64::MAX);
    // (partner id, product id, month) → the finding of the latest snapshot day in the month.
    let mut found: BTreeMap<(String, String, Date), Finding> = BTreeMap::new();
    let mut s = 0;
    while s < rows.len() {
        let key = (inv[rows[s]].date, inv[rows[s]].product);
        let mut e = s + 1;
        while e < rows.len() && (inv[rows[e]].date, inv[rows[e]].product) == key {
            e += 1;
        }
        let group = &rows[s..e];
        s = e;
        let out_of_stock: Vec<usize> = group
            .iter()
            .copied()
            .filter(|&i| inv[i].on_hand <= 0 && inv[i].daily_sales_rate > Decimal::ZERO)
            .collect();
        if out_of_stock.is_empty() {
            continue;
        }
        for &x in group {
            let snap = &inv[x];
            let Some(cover) = cover_days(snap.on_hand, snap.daily_sales_rate) else {
                continue;
            };
            if cover <= backlog {
                continue;
            }
            let mine = &regions[snap.partner as usize];
            // Peers out of stock sharing a territory; the territory: the first shared one.
            let mut peers: Vec<(String, i64)> = Vec::new();
            let mut shared: Option<u32> = None;
            for &y in &out_of_stock {
                let peer = &inv[y];
                if peer.partner == snap.partner {
                    continue;
                }
                let Some(&t) = mine
                    .iter()
                    .find(|t| regions[peer.partner as usize].contains(t))
                else {
                    continue;
                };
                if shared.is_none_or(|s| m.territories.id(t) < m.territories.id(s)) {
                    shared = Some(t);
                }
                let need =
                    to_units((target * peer.daily_sales_rate).ceil()).saturating_sub(peer.on_hand);
                peers.push((m.partners.id(peer.partner).to_string(), need));
            }
            let Some(territory) = shared else {
                continue;
            };
            peers.sort();
            let surplus = snap
                .on_hand
                .saturating_sub(to_units((target * snap.daily_sales_rate).floor()));
            let need: i64 = peers.iter().fold(0i64, |a, p| a.saturating_add(p.1));
            let transfer = surplus.min(need);
            if transfer <= 0 {
                continue;
            }
            let (pid, prod, tid) = (
                m.partners.id(snap.partner).to_string(),
                m.products.id(snap.product).to_string(),
                m.territories.id(territory).to_string(),
            );
            let period = Window::Month.of(snap.date);
            let names: Vec<&str> = peers.iter().map(|p| p.0.as_str()).collect();
            let cover_s = show(cover, 1);
            let mut figures = vec![
                Figure::new("cover_days", cover, Some(backlog), "days"),
                Figure::new("on_hand", Decimal::from(snap.on_hand), None, "units"),
                Figure::new("daily_sales_rate", snap.daily_sales_rate, None, "units"),
                Figure::new("transfer", Decimal::from(transfer), None, "units"),
            ];
            for (peer, need) in &peers {
                figures.push(Figure::new(
                    format!("shortfall:{peer}"),
                    Decimal::from(*need),
                    None,
                    "units",
                ));
            }
            let f = Finding {
                id: Finding::make_id(
                    Detector::Inventory,
                    Some(&pid),
                    Some(&tid),
                    Some(&prod),
                    period,
                    &[],
                ),
                detector: Detector::Inventory,
                kind: ConflictKind::Horizontal,
                partner: Some(pid.clone()),
                parties: peers.iter().map(|p| p.0.clone()).collect(),
                channels: Vec::new(),
                territory: Some(tid.clone()),
                product: Some(prod.clone()),
                period,
                first_day: snap.date,
                last_day: snap.date,
                severity: rule.severity,
                repeats: 0,
                resolution: Resolution::Transfer,
                message: Label::new(
                    format!(
                        "On {} {pid} held {} units of {prod}, {cover_s} days of cover (backlog above {} days), while {} in {tid} had none but sell it: transfer {transfer} units (to {} days of cover on both sides)",
                        snap.date,
                        snap.on_hand,
                        rule.backlog_days,
                        names.join(", "),
                        rule.target_days
                    ),
                    format!(
                        "{} {pid} 持有 {prod} {} 件，可售 {cover_s} 天（积压线 {} 天），而 {tid} 的 {} 已断货仍在销售：建议调货 {transfer} 件（双方均按 {} 天可售量）",
                        snap.date,
                        snap.on_hand,
                        rule.backlog_days,
                        names.join("、"),
                        rule.target_days
                    ),
                ),
                figures,
                evidence: Evidence::default(),
                cause: None,
            };
            found.insert((pid, prod, period.start), f);
        }
    }
    out.extend(found.into_values());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conflict::{ConflictInputs, ConflictPolicy, ConflictReport};
    use crate::dataset::{Dataset, DatasetBuilder, TxInput};
    use crate::master::{MasterData, MasterDocument};
    use crate::ops::InventorySnapshot;
    use crate::reject::Strictness;
    use crate::transactions::TxKind;

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    fn dn(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    /// Territories CN > regions E, W > provinces ZJ, JS (E), SC (W) > cities HZ, NB (ZJ),
    /// NJ (JS), CD (SC). Offline channels DIST and SHOP, online WEB and LIVE. GA (root, DIST)
    /// over D1–D5 (DIST) and O1 (SHOP); products G1 (retail 100.00) and B1 (retail 50.00) priced,
    /// X1 without a price; customers C00–C99.
    fn master() -> MasterData {
        let customers: Vec<String> = (0..100)
            .map(|i| format!("{{\"id\": \"C{i:02}\"}}"))
            .collect();
        let json = format!(
            r#"{{
      "territories": [{{"id": "CN", "level": "country"}},
        {{"id": "E", "level": "region", "parent": "CN"}}, {{"id": "W", "level": "region", "parent": "CN"}},
        {{"id": "ZJ", "level": "province", "parent": "E"}}, {{"id": "JS", "level": "province", "parent": "E"}},
        {{"id": "SC", "level": "province", "parent": "W"}},
        {{"id": "HZ", "level": "city", "parent": "ZJ"}}, {{"id": "NB", "level": "city", "parent": "ZJ"}},
        {{"id": "NJ", "level": "city", "parent": "JS"}}, {{"id": "CD", "level": "city", "parent": "SC"}}],
      "channels": [{{"id": "DIST", "kind": "distribution", "presence": "offline", "role": "main"}},
        {{"id": "SHOP", "kind": "retail_terminal", "presence": "offline", "role": "auxiliary"}},
        {{"id": "WEB", "kind": "platform_ecommerce", "presence": "online", "role": "auxiliary"}},
        {{"id": "LIVE", "kind": "live_stream", "presence": "online", "role": "auxiliary"}}],
      "partners": [
        {{"id": "GA", "model": "distribution", "channel": "DIST", "territories": [{{"territory": "E"}}, {{"territory": "W"}}]}},
        {{"id": "D1", "model": "distribution", "parent": "GA", "channel": "DIST", "territories": [{{"territory": "ZJ"}}]}},
        {{"id": "D2", "model": "distribution", "parent": "GA", "channel": "DIST", "territories": [{{"territory": "ZJ"}}]}},
        {{"id": "D3", "model": "distribution", "parent": "GA", "channel": "DIST", "territories": [{{"territory": "JS"}}]}},
        {{"id": "D4", "model": "distribution", "parent": "GA", "channel": "DIST", "territories": [{{"territory": "JS"}}]}},
        {{"id": "D5", "model": "distribution", "parent": "GA", "channel": "DIST", "territories": [{{"territory": "SC"}}]}},
        {{"id": "O1", "model": "franchise", "parent": "GA", "channel": "SHOP", "territories": [{{"territory": "ZJ"}}]}}],
      "categories": [{{"id": "tea"}}],
      "products": [{{"id": "G1", "category": "tea", "list_price": "100.00"}},
        {{"id": "B1", "category": "tea", "list_price": "50.00"}},
        {{"id": "X1", "category": "tea", "list_price": "10.00"}}],
      "prices": [{{"product": "G1", "retail_price": "100.00", "floor_price": "50.00"}},
        {{"product": "B1", "retail_price": "50.00", "floor_price": "25.00"}}],
      "customers": [{}]}}"#,
            customers.join(", ")
        );
        MasterData::new(MasterDocument::from_json(&json).expect("json")).expect("master")
    }

    /// One line: order, day, customer, partner ("" for the company), channel, product,
    /// territory, quantity (negative: a return of `original`), unit price in minor units.
    #[derive(Clone, Copy)]
    struct L {
        order: &'static str,
        date: &'static str,
        customer: &'static str,
        partner: &'static str,
        channel: &'static str,
        product: &'static str,
        territory: &'static str,
        qty: i64,
        price: i64,
        original: Option<&'static str>,
    }

    #[expect(clippy::too_many_arguments, reason = "one line's fields")]
    fn l(
        order: &'static str,
        date: &'static str,
        customer: &'static str,
        partner: &'static str,
        channel: &'static str,
        product: &'static str,
        territory: &'static str,
        price: i64,
    ) -> L {
        L {
            order,
            date,
            customer,
            partner,
            channel,
            product,
            territory,
            qty: 1,
            price,
            original: None,
        }
    }

    fn ret(of: L, order: &'static str) -> L {
        L {
            order,
            qty: -1,
            original: Some(of.order),
            ..of
        }
    }

    fn data(lines: &[L], inventory: Vec<InventorySnapshot>) -> Dataset {
        let mut b = DatasetBuilder::new(master(), Strictness::Strict);
        let mut no: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
        for (i, x) in lines.iter().enumerate() {
            let n = no.entry(x.order).or_insert(0);
            *n += 1;
            b.push(
                &TxInput {
                    order: x.order,
                    line: *n,
                    date: d(x.date),
                    customer: x.customer,
                    partner: (!x.partner.is_empty()).then_some(x.partner),
                    channel: x.channel,
                    product: x.product,
                    territory: x.territory,
                    kind: if x.qty < 0 {
                        TxKind::Return
                    } else {
                        TxKind::Sale
                    },
                    quantity: x.qty,
                    unit_price: x.price,
                    amount: x.qty * x.price,
                    cost: None,
                    original_order: x.original,
                },
                i as u64 + 2,
            )
            .expect("valid row");
        }
        b.ops_mut().inventory = inventory;
        b.finish().expect("dataset")
    }

    /// The default policy with only `on` enabled.
    fn only(on: Detector) -> ConflictPolicy {
        let mut p = ConflictPolicy::default();
        p.cross_region.enabled = on == Detector::CrossRegion;
        p.diverted_goods.enabled = on == Detector::DivertedGoods;
        p.below_floor.enabled = on == Detector::BelowFloor;
        p.promotion_depth.enabled = on == Detector::PromotionDepth;
        p.undercutting.enabled = on == Detector::Undercutting;
        p.customer_overlap.enabled = on == Detector::CustomerOverlap;
        p.vertical.enabled = on == Detector::Vertical;
        p.online_undercut.enabled = on == Detector::OnlineUndercut;
        p.channel_switching.enabled = on == Detector::ChannelSwitching;
        p.inventory.enabled = on == Detector::Inventory;
        p
    }

    fn run(data: &Dataset, p: &ConflictPolicy, threads: usize) -> ConflictReport {
        crate::conflict::detect(
            data,
            p,
            &ConflictInputs {
                threads,
                ..Default::default()
            },
        )
        .expect("detect")
    }

    fn figure(f: &Finding, name: &str) -> (Decimal, Option<Decimal>) {
        let x = f
            .figures
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("{name} in {:?}", f.figures));
        (x.value, x.threshold)
    }

    /// Q1 2025, G1 at retail 100.00 (10000 minor), indices in basis points:
    /// D1 10000 9500 9000 10000 → sorted 9000 9500 10000 10000, even: (9500+10000)/2 = 0.975;
    /// D2 10000 10000 9000 → 1.0; D3 9500 ×3 → 0.95;
    /// D4 9800 9600 10000 9000 → sorted 9000 9600 9800 10000: (9600+9800)/2 = 0.97;
    /// D5 G1 8000 8500 9000, B1 4500 of 5000 (9000) → 8000 8500 9000 9000: (8500+9000)/2 =
    /// 0.875; its return at 1.00 and its X1 line (no price rule) are left out (with the return
    /// the median would be 0.85).
    /// O1 (same depth, channel SHOP) and GA (depth 0) are cheap but have no peers.
    fn undercut_lines() -> Vec<L> {
        let mut v = Vec::new();
        let mut add = |order: &'static str, partner: &'static str, product, price| {
            v.push(l(
                order,
                "2025-02-10",
                "C01",
                partner,
                "DIST",
                product,
                "HZ",
                price,
            ));
        };
        for (k, p) in [10000, 9500, 9000, 10000].into_iter().enumerate() {
            add(["a1", "a2", "a3", "a4"][k], "D1", "G1", p);
        }
        for (k, p) in [10000, 10000, 9000].into_iter().enumerate() {
            add(["b1", "b2", "b3"][k], "D2", "G1", p);
        }
        for o in ["c1", "c2", "c3"] {
            add(o, "D3", "G1", 9500);
        }
        for (k, p) in [9800, 9600, 10000, 9000].into_iter().enumerate() {
            add(["d1", "d2", "d3", "d4"][k], "D4", "G1", p);
        }
        add("e1", "D5", "G1", 8000);
        add("e2", "D5", "G1", 8500);
        add("e3", "D5", "B1", 4500);
        add("e4", "D5", "X1", 1);
        for o in ["f1", "f2", "f3"] {
            add(o, "O1", "G1", 5000);
            add(o, "GA", "G1", 5000);
        }
        let sold = l("e5", "2025-02-10", "C01", "D5", "DIST", "G1", "HZ", 9000);
        v.push(sold);
        v.push(L {
            price: 100,
            ..ret(sold, "e6")
        });
        v
    }

    #[test]
    fn undercutting_flags_the_cheap_partner_against_its_peers() {
        let data = data(&undercut_lines(), Vec::new());
        let mut p = only(Detector::Undercutting);
        p.undercutting.min_lines = 3;
        let r = run(&data, &p, 1);
        let found: Vec<&Finding> = r.of(Detector::Undercutting).collect();
        assert_eq!(found.len(), 1, "{found:#?}");
        let f = found[0];
        assert_eq!(f.id, "undercutting/D5/-/-/2025-Q1");
        assert_eq!(f.partner.as_deref(), Some("D5"));
        assert_eq!(f.parties, ["D1", "D2", "D3", "D4"]);
        assert_eq!(f.channels, ["DIST"]);
        assert_eq!(f.kind, ConflictKind::Horizontal);
        assert_eq!(f.resolution, Resolution::Warn);
        // Others' medians 0.95 0.97 0.975 1.0: peer median (0.97 + 0.975) / 2 = 0.9725;
        // threshold 0.9725 × 0.95 = 0.923875.
        assert_eq!(
            figure(f, "median_price_index"),
            (dn("0.875"), Some(dn("0.923875")))
        );
        assert_eq!(figure(f, "peer_median").0, dn("0.9725"));
        assert_eq!(figure(f, "lines").0, dn("4"));
        assert_eq!(figure(f, "peers").0, dn("4"));
        assert_eq!(f.evidence.lines, 4);
        assert_eq!(f.evidence.amount, 8000 + 8500 + 4500 + 9000);
        assert_eq!(f.first_day, d("2025-02-10"));
        assert!(f.message.en.contains("0.875") && f.message.zh.contains("0.9725"));
    }

    #[test]
    fn undercutting_gates_on_lines_and_peers() {
        let data = data(&undercut_lines(), Vec::new());
        // D2 and D3 have 3 priced lines: with 4 needed D1, D4 and D5 remain, 2 peers each.
        let mut p = only(Detector::Undercutting);
        p.undercutting.min_lines = 4;
        assert_eq!(run(&data, &p, 1).findings.len(), 0);
        // Five partners qualify: D5 has 4 others, enough for 4 peers but not for 5.
        p.undercutting.min_lines = 3;
        p.undercutting.min_peers = 4;
        assert_eq!(run(&data, &p, 1).findings.len(), 1);
        p.undercutting.min_peers = 5;
        assert_eq!(run(&data, &p, 1).findings.len(), 0);
    }

    /// Q1 2025: D1 sells to C00–C05 (C03 twice), D2 to C03–C08: 3 shared of 6 and 6, a share
    /// of exactly 0.5. D3 sells to C00, C01 (2 shared with D1) and takes returns from C03–C05,
    /// which do not count. O1 (channel SHOP) and GA (depth 0) sell to C00–C05: other peer
    /// groups.
    fn overlap_lines() -> Vec<L> {
        const C: [&str; 9] = [
            "C00", "C01", "C02", "C03", "C04", "C05", "C06", "C07", "C08",
        ];
        const O: [&str; 9] = ["o0", "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8"];
        let mut v = Vec::new();
        for (k, c) in C.iter().enumerate() {
            let sale = |partner: &'static str, channel: &'static str| {
                l(O[k], "2025-01-15", c, partner, channel, "G1", "HZ", 10000)
            };
            if k <= 5 {
                v.push(sale("D1", "DIST"));
                v.push(sale("O1", "SHOP"));
                v.push(sale("GA", "DIST"));
            }
            if k >= 3 {
                v.push(sale("D2", "DIST"));
            }
            if k <= 1 {
                v.push(sale("D3", "DIST"));
            }
        }
        v.push(l(
            "o9",
            "2025-02-15",
            "C03",
            "D1",
            "DIST",
            "G1",
            "HZ",
            10000,
        ));
        const R: [&str; 3] = ["r3", "r4", "r5"];
        for k in 3..=5 {
            let sold = l(O[k], "2025-01-15", C[k], "D3", "DIST", "B1", "NJ", 5000);
            v.push(sold);
            v.push(ret(sold, R[k - 3]));
        }
        v
    }

    #[test]
    fn customer_overlap_flags_at_the_threshold() {
        // D3's B1 sales to C03–C05 count (they were bought, then returned), their returns do
        // not add anything.
        let data = data(&overlap_lines(), Vec::new());
        let mut p = only(Detector::CustomerOverlap);
        p.customer_overlap.min_shared = 3;
        p.customer_overlap.threshold = dn("0.5");
        let r = run(&data, &p, 1);
        let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
        // D1: C00–C05 (6); D2: C03–C08 (6); D3: C00 C01 C03 C04 C05 (5).
        // D1–D2: 3 / min(6, 6) = 0.5 (at the threshold: flagged); D1–D3: 5 / 5 = 1;
        // D2–D3: C03 C04 C05 = 3 / 5 = 0.6.
        assert_eq!(
            ids,
            [
                "customer_overlap/-/-/-/2025-Q1+D1+D2",
                "customer_overlap/-/-/-/2025-Q1+D1+D3",
                "customer_overlap/-/-/-/2025-Q1+D2+D3"
            ]
        );
        let f = &r.findings[0];
        assert_eq!(f.parties, ["D1", "D2"]);
        assert_eq!(f.partner, None);
        assert_eq!(f.resolution, Resolution::Review);
        assert_eq!(figure(f, "overlap_share"), (dn("0.5"), Some(dn("0.5"))));
        assert_eq!(figure(f, "shared_customers").0, dn("3"));
        assert_eq!(figure(f, "customers:D1").0, dn("6"));
        assert_eq!(figure(&r.findings[2], "overlap_share").0, dn("0.6"));
        // Just above 0.5: only the pairs above it.
        p.customer_overlap.threshold = dn("0.51");
        let r = run(&data, &p, 1);
        assert_eq!(r.findings.len(), 2);
        // min_shared 4: D1–D3 (5 shared) only.
        p.customer_overlap.threshold = dn("0.5");
        p.customer_overlap.min_shared = 4;
        let r = run(&data, &p, 1);
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].parties, ["D1", "D3"]);
    }

    #[test]
    fn customer_overlap_ignores_returns() {
        // Only D3's returned B1 lines would link D3 to C03–C05: as returns alone (their sales
        // in another quarter) they do not count.
        let mut v: Vec<L> = overlap_lines()
            .into_iter()
            .filter(|x| !(x.partner == "D3" && x.product == "B1"))
            .collect();
        for (k, c) in ["C03", "C04", "C05"].into_iter().enumerate() {
            let sold = l(
                ["s3", "s4", "s5"][k],
                "2024-12-20",
                c,
                "D3",
                "DIST",
                "B1",
                "NJ",
                5000,
            );
            v.push(sold);
            v.push(L {
                date: "2025-01-20",
                ..ret(sold, ["t3", "t4", "t5"][k])
            });
        }
        let data = data(&v, Vec::new());
        let mut p = only(Detector::CustomerOverlap);
        p.customer_overlap.min_shared = 2;
        p.customer_overlap.threshold = dn("0.5");
        let r = run(&data, &p, 1);
        let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
        // D3 in Q1: C00, C01 → with D1: 2 / 2 = 1 (flagged); D2: none shared. 2024-Q4: D3 alone.
        assert_eq!(
            ids,
            [
                "customer_overlap/-/-/-/2025-Q1+D1+D2",
                "customer_overlap/-/-/-/2025-Q1+D1+D3"
            ]
        );
    }

    /// G1 in ZJ, Q1 2025: offline DIST (HZ) 100.00 100.00 90.00 and SHOP (NB) 100.00 →
    /// sorted 90 100 100 100, median 100.00; WEB (HZ) 90.00 ×3 → median 90.00 = 100 × 0.9
    /// exactly (not flagged); LIVE (NB) `live` and 100.00 (whose return is ignored).
    /// JS: WEB 50.00 twice, no offline. Lines in region E lie above the province level.
    fn online_lines(live: [i64; 3]) -> Vec<L> {
        let mut v = vec![
            l("a1", "2025-01-05", "C01", "D1", "DIST", "G1", "HZ", 10000),
            l("a2", "2025-01-06", "C02", "D1", "DIST", "G1", "HZ", 10000),
            l("a3", "2025-02-05", "C03", "D1", "DIST", "G1", "HZ", 9000),
            l("a4", "2025-03-05", "C04", "O1", "SHOP", "G1", "NB", 10000),
            l("w1", "2025-01-07", "C05", "", "WEB", "G1", "HZ", 9000),
            l("w2", "2025-01-08", "C06", "", "WEB", "G1", "HZ", 9000),
            l("w3", "2025-01-09", "C07", "", "WEB", "G1", "HZ", 9000),
            l("v1", "2025-02-07", "C08", "", "LIVE", "G1", "NB", live[0]),
            l("v2", "2025-02-08", "C09", "", "LIVE", "G1", "NB", live[1]),
            l("v3", "2025-02-09", "C10", "", "LIVE", "G1", "NB", live[2]),
            l("j1", "2025-02-09", "C11", "", "WEB", "G1", "NJ", 5000),
            l("j2", "2025-02-09", "C12", "", "WEB", "G1", "NJ", 5000),
            l("e1", "2025-02-09", "C13", "", "LIVE", "G1", "E", 100),
            l("e2", "2025-02-09", "C14", "", "LIVE", "G1", "E", 100),
            l("e3", "2025-02-09", "C15", "", "LIVE", "G1", "E", 100),
        ];
        let sold = l("v4", "2025-02-10", "C16", "", "LIVE", "G1", "NB", 100);
        v.push(L {
            price: 10000,
            ..sold
        });
        v.push(L {
            price: 10000,
            ..ret(sold, "v5")
        });
        v
    }

    #[test]
    fn online_undercut_flags_beyond_the_tolerance_only() {
        let mut p = only(Detector::OnlineUndercut);
        p.online_undercut.min_lines = 3;
        // LIVE with v4 (100.00): 80 89 95 100 → (89 + 95) / 2 = 92.00, above 90.00.
        let r = run(&data(&online_lines([8900, 8000, 9500]), Vec::new()), &p, 1);
        assert_eq!(r.findings.len(), 0, "{:#?}", r.findings);
        // LIVE 80 85 89 100 → (85 + 89) / 2 = 87.00 < 90.00.
        let r = run(&data(&online_lines([8900, 8000, 8500]), Vec::new()), &p, 1);
        let found: Vec<&Finding> = r.of(Detector::OnlineUndercut).collect();
        assert_eq!(found.len(), 1, "{found:#?}");
        let f = found[0];
        assert_eq!(f.id, "online_undercut/-/ZJ/G1/2025-Q1+LIVE");
        assert_eq!(f.channels, ["LIVE", "DIST", "SHOP"]);
        assert_eq!(f.territory.as_deref(), Some("ZJ"));
        assert_eq!(f.product.as_deref(), Some("G1"));
        assert_eq!(f.kind, ConflictKind::MultiChannel);
        assert_eq!(f.resolution, Resolution::Review);
        assert_eq!(figure(f, "online_median"), (dn("87"), Some(dn("90"))));
        assert_eq!(figure(f, "offline_median").0, dn("100"));
        assert_eq!(figure(f, "online_lines").0, dn("4"));
        assert_eq!(figure(f, "offline_lines").0, dn("4"));
        // The four LIVE sale lines, in row order; the return is not among them.
        assert_eq!(f.evidence.lines, 4);
        assert_eq!(f.evidence.amount, 8900 + 8000 + 8500 + 10000);
        let orders: Vec<&str> = f.evidence.listed.iter().map(|e| e.order.as_str()).collect();
        assert_eq!(orders, ["v1", "v2", "v3", "v4"]);
        assert_eq!(
            (f.first_day, f.last_day),
            (d("2025-02-07"), d("2025-02-10"))
        );
    }

    #[test]
    fn online_undercut_at_exactly_the_tolerance_is_not_flagged() {
        // WEB's median 90.00 is exactly 100.00 × (1 − 0.1); LIVE made the same: 90 90 90 100.
        let mut p = only(Detector::OnlineUndercut);
        p.online_undercut.min_lines = 3;
        let r = run(&data(&online_lines([9000, 9000, 9000]), Vec::new()), &p, 1);
        assert_eq!(r.findings.len(), 0);
        // A tolerance of 0.09 puts the threshold at 91.00: WEB (90) and LIVE (90) undercut.
        p.online_undercut.tolerance = dn("0.09");
        let r = run(&data(&online_lines([9000, 9000, 9000]), Vec::new()), &p, 1);
        let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "online_undercut/-/ZJ/G1/2025-Q1+LIVE",
                "online_undercut/-/ZJ/G1/2025-Q1+WEB"
            ]
        );
    }

    /// First purchases: C20–C23 on SHOP in 2024 (C23's first order "k23a" has two lines;
    /// its second order "k23b" the same day on WEB is a later purchase). 2025 later revenue of
    /// SHOP-first customers: WEB 300 (C20) + 200 (C21), SHOP 100 (C20) + 100 (C22): total 700,
    /// WEB 500 / 700 = 5/7 by 2 customers. C21's WEB return is ignored. C30 is first won on
    /// WEB 2025-02-01 by order "m30a", with "m30b" on SHOP the same day (a tie broken by the
    /// order id); C31 first on WEB, later SHOP 100: WEB-first later revenue all on SHOP, by 2
    /// customers.
    fn switching_lines() -> Vec<L> {
        let s = |o, date, c, ch, price| l(o, date, c, "", ch, "G1", "HZ", price);
        let web21 = s("n21", "2025-05-01", "C21", "WEB", 20000);
        vec![
            s("k20", "2024-06-01", "C20", "SHOP", 5000),
            s("k21", "2024-06-02", "C21", "SHOP", 5000),
            s("k22", "2024-06-03", "C22", "SHOP", 5000),
            s("k23a", "2024-06-04", "C23", "SHOP", 5000),
            s("k23a", "2024-06-04", "C23", "SHOP", 5000),
            s("k23b", "2024-06-04", "C23", "WEB", 5000),
            s("n20", "2025-03-01", "C20", "WEB", 30000),
            s("n20b", "2025-04-01", "C20", "SHOP", 10000),
            web21,
            ret(web21, "n21r"),
            s("n22", "2025-06-01", "C22", "SHOP", 10000),
            s("m30b", "2025-02-01", "C30", "SHOP", 1000),
            s("m30a", "2025-02-01", "C30", "WEB", 1000),
            s("m31", "2025-02-02", "C31", "WEB", 1000),
            s("m31b", "2025-03-02", "C31", "SHOP", 10000),
        ]
    }

    #[test]
    fn channel_switching_shares() {
        let mut p = only(Detector::ChannelSwitching);
        p.channel_switching.min_customers = 2;
        let r = run(&data(&switching_lines(), Vec::new()), &p, 1);
        let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
        // 2024: SHOP-first later revenue is C23's WEB 50.00 only — 1 customer, not enough.
        assert_eq!(
            ids,
            [
                "channel_switching/-/-/-/2025+SHOP+WEB",
                "channel_switching/-/-/-/2025+WEB+SHOP"
            ]
        );
        let f = &r.findings[0];
        assert_eq!(f.channels, ["SHOP", "WEB"]);
        assert_eq!(
            figure(f, "switch_share"),
            (dn("500") / dn("700"), Some(dn("0.5")))
        );
        assert_eq!(figure(f, "revenue_switched").0, dn("500"));
        assert_eq!(figure(f, "later_revenue").0, dn("700"));
        assert_eq!(figure(f, "switching_customers").0, dn("2"));
        assert_eq!(figure(f, "returning_customers").0, dn("3"));
        assert_eq!(f.evidence.lines, 2);
        assert_eq!(
            (f.first_day, f.last_day),
            (d("2025-03-01"), d("2025-05-01"))
        );
        // WEB → SHOP: C30's "m30b" (10.00) and C31's 100.00, all of the WEB-first later revenue.
        let g = &r.findings[1];
        assert_eq!(figure(g, "switch_share").0, dn("1"));
        assert_eq!(figure(g, "revenue_switched").0, dn("110"));
        // A threshold above 5/7 leaves the WEB → SHOP finding only.
        p.channel_switching.threshold = dn("0.72");
        assert_eq!(
            run(&data(&switching_lines(), Vec::new()), &p, 1)
                .findings
                .len(),
            1
        );
    }

    fn snap(
        partner: &str,
        product: &str,
        date: &str,
        on_hand: i64,
        rate: &str,
    ) -> InventorySnapshot {
        let m = master();
        InventorySnapshot {
            partner: m.partners.code(partner).expect("partner"),
            product: m.products.code(product).expect("product"),
            date: d(date),
            on_hand,
            daily_sales_rate: dn(rate),
        }
    }

    #[test]
    fn inventory_transfer_quantity() {
        let inv = vec![
            // G1 on 2025-03-31: D1 (ZJ, region E) 500 units at 2.5 a day = 200 days of cover;
            // surplus 500 − floor(30 × 2.5 = 75) = 425. D2 (ZJ) out: ceil(30 × 1.2 = 36) − 0 =
            // 36; D3 (JS, also E) at −3: ceil(30 × 0.7 = 21) + 3 = 24; D5 (SC, region W) is in
            // another region; D4 sells none. Transfer min(425, 36 + 24) = 60.
            snap("D1", "G1", "2025-03-31", 500, "2.5"),
            snap("D2", "G1", "2025-03-31", 0, "1.2"),
            snap("D3", "G1", "2025-03-31", -3, "0.7"),
            snap("D4", "G1", "2025-03-31", 0, "0"),
            snap("D5", "G1", "2025-03-31", 0, "5"),
            // An earlier count the same month: the latest day of the month is kept.
            snap("D1", "G1", "2025-03-15", 520, "2.5"),
            snap("D2", "G1", "2025-03-15", 0, "1"),
            // B1: D4 (JS) 62 units at 1 a day, 62 days > 60: surplus 62 − 30 = 32; D3 out at
            // 0.5 a day needs 15: transfer 15.
            snap("D4", "B1", "2025-03-31", 62, "1"),
            snap("D3", "B1", "2025-03-31", 0, "0.5"),
            // D1 holds a backlog of B1 but no peer is out of it: no finding.
            snap("D1", "B1", "2025-04-30", 900, "1"),
            snap("D2", "B1", "2025-04-30", 10, "1"),
        ];
        let data = data(&undercut_lines(), inv);
        let r = run(&data, &only(Detector::Inventory), 1);
        let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            ["inventory/D1/E/G1/2025-03", "inventory/D4/E/B1/2025-03"]
        );
        let f = &r.findings[0];
        assert_eq!(f.partner.as_deref(), Some("D1"));
        assert_eq!(f.parties, ["D2", "D3"]);
        assert_eq!(f.resolution, Resolution::Transfer);
        assert_eq!(
            (f.first_day, f.last_day),
            (d("2025-03-31"), d("2025-03-31"))
        );
        assert_eq!(figure(f, "cover_days"), (dn("200"), Some(dn("60"))));
        assert_eq!(figure(f, "transfer").0, dn("60"));
        assert_eq!(figure(f, "shortfall:D2").0, dn("36"));
        assert_eq!(figure(f, "shortfall:D3").0, dn("24"));
        assert!(f.message.en.contains("transfer 60 units"));
        assert_eq!(figure(&r.findings[1], "transfer").0, dn("15"));
    }

    #[test]
    fn disabled_detectors_and_missing_snapshots_do_not_run() {
        let data = data(&undercut_lines(), Vec::new());
        let r = run(&data, &only(Detector::Inventory), 1);
        let reasons: Vec<(Detector, &str)> = r
            .not_run
            .iter()
            .map(|n| (n.detector, n.reason.en.as_str()))
            .collect();
        for d in [
            Detector::Undercutting,
            Detector::CustomerOverlap,
            Detector::OnlineUndercut,
            Detector::ChannelSwitching,
        ] {
            assert!(
                reasons.contains(&(d, "disabled by the policy")),
                "{reasons:?}"
            );
        }
        assert!(reasons.contains(&(Detector::Inventory, "no inventory snapshots")));
    }

    /// Everything above in one data set (order ids prefixed per scenario).
    fn all_lines() -> Vec<L> {
        fn tag(prefix: &str, v: Vec<L>, date: Option<&'static str>) -> Vec<L> {
            let name =
                |o: &str| -> &'static str { Box::leak(format!("{prefix}{o}").into_boxed_str()) };
            v.into_iter()
                .map(|x| L {
                    order: name(x.order),
                    original: x.original.map(name),
                    date: date.unwrap_or(x.date),
                    ..x
                })
                .collect()
        }
        let mut v = tag("u", undercut_lines(), None);
        v.extend(tag("o", overlap_lines(), Some("2025-07-15")));
        v.extend(tag(
            "m",
            online_lines([8900, 8000, 8500]),
            Some("2025-11-03"),
        ));
        v.extend(tag("s", switching_lines(), None));
        v
    }

    fn all_policy() -> ConflictPolicy {
        let mut p = ConflictPolicy::default();
        p.cross_region.enabled = false;
        p.below_floor.enabled = false;
        p.promotion_depth.enabled = false;
        p.vertical.enabled = false;
        p.undercutting.min_lines = 3;
        p.customer_overlap.min_shared = 2;
        p.online_undercut.min_lines = 3;
        p.channel_switching.min_customers = 2;
        p
    }

    #[test]
    fn the_same_whatever_the_row_order() {
        let lines = all_lines();
        let mut rev = lines.clone();
        rev.reverse();
        // Reversed, a return would precede its sale: keep each return after it.
        let (returns, mut sales): (Vec<L>, Vec<L>) = rev.into_iter().partition(|x| x.qty < 0);
        sales.extend(returns);
        let p = all_policy();
        let a = run(&data(&lines, Vec::new()), &p, 1);
        let mut b = run(&data(&sales, Vec::new()), &p, 3);
        assert!(a.findings.len() >= 5, "{:#?}", a.findings);
        // Listed evidence follows the row order; compare it as a set.
        for f in &mut b.findings {
            f.evidence.listed.reverse();
        }
        assert_eq!(a.findings, b.findings);
    }

    #[test]
    fn sample_company() {
        let sample = crate::sample::generate(&crate::sample::SampleConfig::with_lines(140_000))
            .expect("sample");
        let mut p = ConflictPolicy::sample_company();
        p.cross_region.enabled = false;
        p.below_floor.enabled = false;
        p.promotion_depth.enabled = false;
        p.vertical.enabled = false;
        p.diverted_goods.enabled = false;
        let one = run(&sample.dataset, &p, 1);
        let three = run(&sample.dataset, &p, 3);
        assert_eq!(one, three, "1 and 3 threads");
        let planted = &sample.planted;
        for f in &one.findings {
            eprintln!("{} | {:?} | {}", f.id, f.partner, f.message.en);
        }
        // Against a partner: only the planted below-floor partner may be found undercutting,
        // and only the planted overstocked partner holds the backlog of an inventory finding.
        for f in one.of(Detector::Undercutting) {
            assert_eq!(
                f.partner.as_deref(),
                Some(&*planted.below_floor_partner),
                "{f:#?}"
            );
        }
        for f in one.of(Detector::Inventory) {
            assert_eq!(
                f.partner.as_deref(),
                Some(&*planted.overstocked_partner),
                "{f:#?}"
            );
            assert_eq!(
                f.product.as_deref(),
                Some(&*planted.overstocked_product),
                "{f:#?}"
            );
        }
        assert!(one.of(Detector::Inventory).count() > 0);
    }
}
