//! Line detectors: cross-region selling, diverted goods, below-floor, promotion depth and
//! vertical conflict.
//!
//! Cross-region, below-floor, promotion depth and vertical read the sale lines in one threaded
//! pass (each worker keeps its own accumulators, merged in worker order); diverted goods reads
//! the shipments and sightings only. What each one does exactly:
//!
//! - **cross_region**: a sale line of a partner in a territory none of its grants covers
//!   ([`Context::authorised`]: a grant on a province covers its cities). One finding per
//!   partner, territory and window; `exclusive_severity` when the territory lies in the
//!   exclusive grant of a partner that is neither an ancestor nor a descendant of the seller
//!   (those holders are the finding's parties). The figures give the share of the partner's
//!   sale revenue in the window that was sold there.
//! - **below_floor**: a sale line whose unit price is below `floor − tolerance` for the price
//!   rule in force ([`Context::price`]). Lines without a rule in force are not judged. One
//!   finding per seller (partner, or the company's own channels: vertical), territory and
//!   window.
//! - **promotion_depth**: a sale line whose discount off the retail price in force is deeper
//!   than the channel's maximum and than every approved promotion covering it. The test is
//!   exact: `unit_price < retail × (1 − max)` in integers. A line below the floor is reported by
//!   below_floor only (when that detector runs), never twice.
//! - **vertical**: a sale line to a customer assigned (on the line's day) to partner S, sold by
//!   a strict ancestor of S in the partner tree, or by the company's own channels when
//!   `include_company`. A sale by an unrelated partner to S's customer is not vertical: it is
//!   horizontal poaching, which customer overlap measures. One finding per seller, S and
//!   window.
//! - **diverted_goods**: a sighting of a shipped batch (the latest shipment of the batch on or
//!   before the day seen) sold by someone other than the buyer A in a territory A may not sell
//!   in, and shipments delivered outside A's territories: one finding against A per territory
//!   and window. Sightings of batches never shipped (or seen before their first shipment) are
//!   not dropped: one review finding per window counts and names them.
//!
//! Returns are never violations. Evidence lists the first `evidence_limit` lines in
//! (day, order id, line number) order — not in row order — so that the findings are the same
//! whatever the order of the rows and the number of threads.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::{Decimal, RoundingStrategy};

use crate::date::{Date, Period};
use crate::document::Label;
use crate::error::{Error, Result};
use crate::intern::{FxHashMap, NONE};
use crate::money::{Currency, narrow};
use crate::transactions::Transactions;

use super::context::{Context, PENDING};
use super::policy::within;
use super::{
    ConflictKind, Detector, Evidence, EvidenceLine, Figure, Finding, NotRun, Promotion, Resolution,
    Severity, Window,
};

const CROSS: u8 = 0;
const FLOOR: u8 = 1;
const PROMO: u8 = 2;
const VERT: u8 = 3;

/// The detectors of the line pass, by their index above.
const PASS: [Detector; 4] = [
    Detector::CrossRegion,
    Detector::BelowFloor,
    Detector::PromotionDepth,
    Detector::Vertical,
];

/// Run the line detectors.
pub(super) fn detect(cx: &Context<'_>, not_run: &mut Vec<NotRun>) -> Result<Vec<Finding>> {
    let mut on = [false; 4];
    for (i, d) in PASS.into_iter().enumerate() {
        if cx.policy.enabled(d) {
            on[i] = true;
        } else {
            not_run.push(disabled(d));
        }
    }
    if on[VERT as usize] && !cx.has_assignments {
        on[VERT as usize] = false;
        not_run.push(NotRun {
            detector: Detector::Vertical,
            reason: Label::new("no customer assignments given", "未提供客户归属数据"),
        });
    }
    let mut findings = if on.iter().any(|&x| x) {
        let setup = Setup::new(cx, on)?;
        setup.run()?
    } else {
        Vec::new()
    };
    findings.extend(diverted(cx, not_run)?);
    Ok(findings)
}

fn disabled(d: Detector) -> NotRun {
    NotRun {
        detector: d,
        reason: Label::new("disabled by the policy", "策略中已停用"),
    }
}

/// A discount maximum as the exact fraction kept of the retail price: `keep / den = 1 − max`.
#[derive(Debug, Clone, Copy)]
struct Frac {
    keep: i128,
    den: i128,
    max: Decimal,
}

impl Frac {
    /// Ratios with more than 18 decimals are rounded up at the 18th (a hair more lenient).
    fn new(max: Decimal) -> Frac {
        let mut d = max.normalize();
        if d.scale() > 18 {
            d = d
                .round_dp_with_strategy(18, RoundingStrategy::AwayFromZero)
                .normalize();
        }
        let den = 10i128.pow(d.scale());
        let num = d.mantissa().clamp(0, den);
        Frac {
            keep: den - num,
            den,
            max,
        }
    }

    /// Whether `price` is below `retail × (1 − max)`: a discount deeper than allowed.
    #[inline]
    fn too_deep(&self, price: i64, retail: i64) -> bool {
        i128::from(price) * self.den < i128::from(retail) * self.keep
    }

    /// The lowest price allowed: `ceil(retail × (1 − max))`, minor units.
    fn min_price(&self, retail: i64) -> i64 {
        let a = i128::from(retail.max(0)) * self.keep;
        let v = (a + self.den - 1) / self.den;
        i64::try_from(v).unwrap_or(i64::MAX)
    }
}

/// An approved promotion, resolved to codes.
#[derive(Debug)]
struct Promo<'p> {
    rule: &'p Promotion,
    frac: Frac,
    products: Option<Vec<bool>>,
    channels: Option<Vec<bool>>,
    territories: Option<Vec<bool>>,
    partners: Option<Vec<bool>>,
}

fn in_mask(mask: &Option<Vec<bool>>, code: u32) -> bool {
    match mask {
        None => true,
        Some(m) => m.get(code as usize).copied().unwrap_or(false),
    }
}

impl Promo<'_> {
    #[inline]
    fn covers(&self, product: u32, channel: u32, territory: u32, partner: u32, day: i32) -> bool {
        within(self.rule, Date(day))
            && in_mask(&self.products, product)
            && in_mask(&self.channels, channel)
            && in_mask(&self.territories, territory)
            && in_mask(&self.partners, partner)
    }
}

/// Resolve the approved promotions' ids once; an unknown id is an error naming its field.
fn promotions<'a>(cx: &Context<'a>) -> Result<Vec<Promo<'a>>> {
    let m = cx.master;
    let mut out = Vec::new();
    for (i, p) in cx.policy.promotion_depth.promotions.iter().enumerate() {
        let path = |field: &str, k: usize| format!("promotion_depth.promotions[{i}].{field}[{k}]");
        let unknown = |field: &str, k: usize, what: &str, id: &str| {
            Error::document(path(field, k), format!("unknown {what} {id:?}"))
        };
        let n_prod = m.products.len();
        let mut products: Option<Vec<bool>> = None;
        if !p.products.is_empty() {
            let mut mask = vec![false; n_prod];
            for (k, id) in p.products.iter().enumerate() {
                let c = m
                    .products
                    .code(id)
                    .ok_or_else(|| unknown("products", k, "product", id))?;
                mask[c as usize] = true;
            }
            products = Some(mask);
        }
        if !p.categories.is_empty() {
            let mut cats = Vec::new();
            for (k, id) in p.categories.iter().enumerate() {
                cats.push(
                    m.categories
                        .code(id)
                        .ok_or_else(|| unknown("categories", k, "category", id))?,
                );
            }
            let tree = &m.categories.tree;
            let mask = products.get_or_insert_with(|| vec![true; n_prod]);
            for (prod, x) in mask.iter_mut().enumerate() {
                let cat = m.products.category(prod as u32);
                *x = *x && cat != NONE && cats.iter().any(|&c| tree.is_within(cat, c));
            }
        }
        let mut channels = None;
        if !p.channels.is_empty() {
            let mut mask = vec![false; m.channels.len()];
            for (k, id) in p.channels.iter().enumerate() {
                let c = m
                    .channels
                    .code(id)
                    .ok_or_else(|| unknown("channels", k, "channel", id))?;
                mask[c as usize] = true;
            }
            channels = Some(mask);
        }
        let mut territories = None;
        if !p.territories.is_empty() {
            let mut listed = Vec::new();
            for (k, id) in p.territories.iter().enumerate() {
                listed.push(
                    m.territories
                        .code(id)
                        .ok_or_else(|| unknown("territories", k, "territory", id))?,
                );
            }
            let tree = &m.territories.tree;
            territories = Some(
                (0..m.territories.len() as u32)
                    .map(|t| listed.iter().any(|&l| tree.is_within(t, l)))
                    .collect(),
            );
        }
        let mut partners = None;
        if !p.partners.is_empty() {
            let mut mask = vec![false; m.partners.len()];
            for (k, id) in p.partners.iter().enumerate() {
                let c = m
                    .partners
                    .code(id)
                    .ok_or_else(|| unknown("partners", k, "partner", id))?;
                mask[c as usize] = true;
            }
            partners = Some(mask);
        }
        out.push(Promo {
            rule: p,
            frac: Frac::new(p.max_discount),
            products,
            channels,
            territories,
            partners,
        });
    }
    Ok(out)
}

/// Window indices of days, from the first window holding a line.
#[derive(Debug)]
struct Windows {
    window: Window,
    months: i32,
    /// Month index of the first window's first month.
    base: i32,
    /// First day of the table.
    d0: i32,
    /// Window index per day from `d0` (empty when the dates span too long: computed then).
    table: Vec<u32>,
    count: usize,
}

impl Windows {
    fn new(window: Window, range: Option<(Date, Date)>) -> Windows {
        let months = match window {
            Window::Month => 1,
            Window::Quarter => 3,
            Window::HalfYear => 6,
            Window::Year => 12,
        };
        let (lo, hi) = range.unwrap_or((Date(0), Date(0)));
        let base = window.of(lo).start.month_index();
        let count = ((hi.month_index() - base).div_euclid(months) + 1).max(1) as usize;
        let span = i64::from(hi.0) - i64::from(lo.0) + 1;
        let mut w = Windows {
            window,
            months,
            base,
            d0: lo.0,
            table: Vec::new(),
            count,
        };
        if span <= 400_000 {
            w.table = (lo.0..=hi.0).map(|d| w.compute(d)).collect();
        }
        w
    }

    fn compute(&self, day: i32) -> u32 {
        (Date(day).month_index() - self.base).div_euclid(self.months) as u32
    }

    #[inline]
    fn index(&self, day: i32) -> u32 {
        let off = i64::from(day) - i64::from(self.d0);
        match usize::try_from(off).ok().and_then(|o| self.table.get(o)) {
            Some(&w) => w,
            None => self.compute(day),
        }
    }

    fn period(&self, index: u32) -> Period {
        let first = self.base + index as i32 * self.months;
        self.window.of(Date::from_month_index(first))
    }
}

/// One line behind a finding, with what orders it.
#[derive(Debug, Clone, Copy)]
struct Ev {
    date: i32,
    order: u32,
    line: u32,
    chunk: u32,
    row: u32,
    /// The price the line was held against, or `i64::MIN` for none.
    reference: i64,
}

/// Evidence order: day, order id, line number (then row position, for duplicates only).
fn cmp_ev(tx: &Transactions, a: &Ev, b: &Ev) -> Ordering {
    a.date
        .cmp(&b.date)
        .then_with(|| {
            if a.order == b.order {
                return Ordering::Equal;
            }
            match (tx.orders.get(a.order), tx.orders.get(b.order)) {
                (Some(x), Some(y)) => x.cmp(y),
                (None, None) => a.order.cmp(&b.order),
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
            }
        })
        .then(a.line.cmp(&b.line))
        .then((a.chunk, a.row).cmp(&(b.chunk, b.row)))
}

/// The first `limit` lines in evidence order: candidates are buffered up to twice the limit,
/// then sorted and cut; later candidates not before the last kept one are refused at once.
#[derive(Debug, Default)]
struct Picks {
    v: Vec<Ev>,
    threshold: Option<Ev>,
}

impl Picks {
    #[inline]
    fn offer(&mut self, e: Ev, limit: usize, tx: &Transactions) {
        if limit == 0 {
            return;
        }
        if let Some(t) = &self.threshold
            && cmp_ev(tx, &e, t) != Ordering::Less
        {
            return;
        }
        self.v.push(e);
        if self.v.len() >= 2 * limit {
            self.compact(limit, tx);
        }
    }

    fn compact(&mut self, limit: usize, tx: &Transactions) {
        self.v.sort_unstable_by(|a, b| cmp_ev(tx, a, b));
        self.v.truncate(limit);
        if self.v.len() == limit {
            self.threshold = self.v.last().copied();
        }
    }
}

/// The deepest line of a price finding: `gap / base` below the reference.
#[derive(Debug, Clone, Copy)]
struct Deep {
    gap: i64,
    base: i64,
    price: i64,
    /// Floor (below_floor) or allowed maximum discount (promotion_depth).
    allowed: Decimal,
    reference: i64,
}

impl Deep {
    /// Total order: deeper ratio, then larger base, then smaller allowance.
    fn deeper_than(&self, o: &Deep) -> bool {
        let a = i128::from(self.gap) * i128::from(o.base);
        let b = i128::from(o.gap) * i128::from(self.base);
        a.cmp(&b)
            .then(self.base.cmp(&o.base))
            .then(o.allowed.cmp(&self.allowed))
            .then(o.reference.cmp(&self.reference))
            == Ordering::Greater
    }
}

/// What a finding accumulates.
#[derive(Debug)]
struct Acc {
    lines: u64,
    qty: i64,
    amount: i128,
    first: i32,
    last: i32,
    channels: Vec<u32>,
    picks: Picks,
    deep: Option<Deep>,
    /// Promotion depth: lines no promotion covers, lines beyond the covering promotions.
    outside: u64,
    beyond: u64,
    promos: Vec<u32>,
}

impl Acc {
    fn new() -> Acc {
        Acc {
            lines: 0,
            qty: 0,
            amount: 0,
            first: i32::MAX,
            last: i32::MIN,
            channels: Vec::new(),
            picks: Picks::default(),
            deep: None,
            outside: 0,
            beyond: 0,
            promos: Vec::new(),
        }
    }

    fn take_deep(&mut self, d: Deep) {
        if self.deep.is_none_or(|x| d.deeper_than(&x)) {
            self.deep = Some(d);
        }
    }

    fn merge(&mut self, o: Acc, limit: usize, tx: &Transactions) {
        self.lines += o.lines;
        self.qty = self.qty.saturating_add(o.qty);
        self.amount += o.amount;
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
        for c in o.channels {
            if !self.channels.contains(&c) {
                self.channels.push(c);
            }
        }
        for e in o.picks.v {
            self.picks.offer(e, limit, tx);
        }
        if let Some(d) = o.deep {
            self.take_deep(d);
        }
        self.outside += o.outside;
        self.beyond += o.beyond;
        for p in o.promos {
            if !self.promos.contains(&p) {
                self.promos.push(p);
            }
        }
    }
}

/// (detector, seller or NONE, territory — or the assigned partner for vertical —, window).
type Key = (u8, u32, u32, u32);

/// Sale revenue per partner and window, for the cross-region share.
#[derive(Debug)]
struct Revenue {
    windows: usize,
    dense: Vec<i128>,
    sparse: FxHashMap<(u32, u32), i128>,
}

impl Revenue {
    fn new(partners: usize, windows: usize, used: bool) -> Revenue {
        let cells = partners.saturating_mul(windows);
        Revenue {
            windows,
            dense: if used && cells <= 4_000_000 {
                vec![0; cells]
            } else {
                Vec::new()
            },
            sparse: FxHashMap::default(),
        }
    }

    #[inline]
    fn add(&mut self, partner: u32, window: u32, amount: i64) {
        let i = partner as usize * self.windows + window as usize;
        if (window as usize) < self.windows
            && let Some(x) = self.dense.get_mut(i)
        {
            *x += i128::from(amount);
            return;
        }
        *self.sparse.entry((partner, window)).or_insert(0) += i128::from(amount);
    }

    fn get(&self, partner: u32, window: u32) -> i128 {
        let i = partner as usize * self.windows + window as usize;
        let dense = if (window as usize) < self.windows {
            self.dense.get(i).copied().unwrap_or(0)
        } else {
            0
        };
        dense + self.sparse.get(&(partner, window)).copied().unwrap_or(0)
    }

    fn merge(&mut self, o: Revenue) {
        for (a, b) in self.dense.iter_mut().zip(o.dense) {
            *a += b;
        }
        for (k, v) in o.sparse {
            *self.sparse.entry(k).or_insert(0) += v;
        }
    }
}

/// One worker's state.
#[derive(Debug)]
struct Part {
    accs: FxHashMap<Key, Acc>,
    revenue: Revenue,
}

/// Everything the line pass needs, resolved once.
struct Setup<'c, 'a> {
    cx: &'c Context<'a>,
    on: [bool; 4],
    limit: usize,
    /// `below_floor.tolerance` in minor units, rounded down (a gap must exceed it).
    tolerance: i64,
    /// Per channel code: its discount maximum.
    chan_frac: Vec<Frac>,
    default_frac: Frac,
    promos: Vec<Promo<'a>>,
    windows: Windows,
    n_part: usize,
}

impl<'c, 'a> Setup<'c, 'a> {
    fn new(cx: &'c Context<'a>, on: [bool; 4]) -> Result<Setup<'c, 'a>> {
        let m = cx.master;
        let policy = cx.policy;
        let exp = u32::from(m.currency.exponent);
        let tol = policy.below_floor.tolerance * Decimal::from(10i64.pow(exp));
        let tolerance = tol.floor().try_into().unwrap_or(i64::MAX);
        let default_frac = Frac::new(policy.promotion_depth.max_discount);
        let mut chan_frac = vec![default_frac; m.channels.len()];
        let mut promos = Vec::new();
        if on[PROMO as usize] {
            for (i, c) in policy.promotion_depth.channels.iter().enumerate() {
                let code = m.channels.code(&c.channel).ok_or_else(|| {
                    Error::document(
                        format!("promotion_depth.channels[{i}].channel"),
                        format!("unknown channel {:?}", c.channel),
                    )
                })?;
                chan_frac[code as usize] = Frac::new(c.max_discount);
            }
            promos = promotions(cx)?;
        }
        Ok(Setup {
            cx,
            on,
            limit: policy.evidence_limit as usize,
            tolerance,
            chan_frac,
            default_frac,
            promos,
            windows: Windows::new(policy.window, cx.data.transactions.date_range()),
            n_part: m.partners.len(),
        })
    }

    fn frac_of(&self, channel: u32) -> Frac {
        self.chan_frac
            .get(channel as usize)
            .copied()
            .unwrap_or(self.default_frac)
    }

    /// The best covering promotion of a line, if any: (index, its fraction).
    fn best_promo(
        &self,
        product: u32,
        channel: u32,
        territory: u32,
        partner: u32,
        day: i32,
    ) -> Option<(u32, Frac)> {
        let mut best: Option<(u32, Frac)> = None;
        for (i, p) in self.promos.iter().enumerate() {
            if p.covers(product, channel, territory, partner, day)
                && best.is_none_or(|(_, f)| p.frac.max > f.max)
            {
                best = Some((i as u32, p.frac));
            }
        }
        best
    }

    /// The worker's pass over its rows.
    fn part(&self, runs: &[(usize, usize, usize)]) -> Part {
        let cx = self.cx;
        let tx = &cx.data.transactions;
        let tree = &cx.master.partners.hierarchy.tree;
        let [cross_on, floor_on, promo_on, vert_on] = self.on;
        let price_on = floor_on || promo_on;
        let include_company = cx.policy.vertical.include_company;
        let mut part = Part {
            accs: FxHashMap::default(),
            revenue: Revenue::new(self.n_part, self.windows.count, cross_on),
        };
        let limit = self.limit;
        let n_part = self.n_part as u32;
        for &(ci, lo, hi) in runs {
            let c = &cx.chunks()[ci];
            let (date, partner, territory) = (&c.date[..], &c.partner[..], &c.territory[..]);
            let (product, channel, customer) = (&c.product[..], &c.channel[..], &c.customer[..]);
            let (quantity, unit_price, amount) =
                (&c.quantity[..], &c.unit_price[..], &c.amount[..]);
            let (order, line) = (&c.order[..], &c.line[..]);
            for row in lo..hi {
                let q = quantity[row];
                if q < 0 {
                    continue;
                }
                let p = partner[row];
                if p != NONE && p >= n_part {
                    continue;
                }
                let day = date[row];
                let t = territory[row];
                let w = self.windows.index(day);
                let ch = channel[row];
                let add = |accs: &mut FxHashMap<Key, Acc>,
                           det: u8,
                           seller: u32,
                           terr: u32,
                           reference: i64,
                           deep: Option<Deep>|
                 -> (u8, u32, u32, u32) {
                    let key = (det, seller, terr, w);
                    let acc = accs.entry(key).or_insert_with(Acc::new);
                    acc.lines += 1;
                    acc.qty = acc.qty.saturating_add(q);
                    acc.amount += i128::from(amount[row]);
                    acc.first = acc.first.min(day);
                    acc.last = acc.last.max(day);
                    if !acc.channels.contains(&ch) {
                        acc.channels.push(ch);
                    }
                    let e = Ev {
                        date: day,
                        order: order[row],
                        line: line[row],
                        chunk: ci as u32,
                        row: row as u32,
                        reference,
                    };
                    acc.picks.offer(e, limit, tx);
                    if let Some(d) = deep {
                        acc.take_deep(d);
                    }
                    key
                };
                if cross_on && p != NONE {
                    part.revenue.add(p, w, amount[row]);
                    if !cx.authorised(p, t) {
                        add(&mut part.accs, CROSS, p, t, i64::MIN, None);
                    }
                }
                if price_on
                    && let Some((retail, floor)) = cx.price(product[row], channel[row], t, day)
                {
                    let up = unit_price[row];
                    if floor_on && i128::from(up) < i128::from(floor) - i128::from(self.tolerance) {
                        let deep = Deep {
                            gap: floor - up,
                            base: floor,
                            price: up,
                            allowed: Decimal::ZERO,
                            reference: floor,
                        };
                        add(&mut part.accs, FLOOR, p, t, floor, Some(deep));
                    } else if promo_on && retail > 0 {
                        let frac = self.frac_of(ch);
                        if frac.too_deep(up, retail) {
                            let best = self.best_promo(product[row], ch, t, p, day);
                            let allowed = match best {
                                Some((_, f)) if f.max > frac.max => f,
                                _ => frac,
                            };
                            if allowed.too_deep(up, retail) {
                                let reference = allowed.min_price(retail);
                                let deep = Deep {
                                    gap: retail - up,
                                    base: retail,
                                    price: up,
                                    allowed: allowed.max,
                                    reference,
                                };
                                let key = add(&mut part.accs, PROMO, p, t, reference, Some(deep));
                                let Some(acc) = part.accs.get_mut(&key) else {
                                    continue;
                                };
                                match best {
                                    Some((i, _)) => {
                                        acc.beyond += 1;
                                        if !acc.promos.contains(&i) {
                                            acc.promos.push(i);
                                        }
                                    }
                                    None => acc.outside += 1,
                                }
                            }
                        }
                    }
                }
                if vert_on && let Some(list) = cx.assignments.get(customer[row] as usize) {
                    for (k, a) in list.iter().enumerate() {
                        let s = a.partner;
                        if a.from.0 <= day
                            && day <= a.to.0
                            && s != p
                            && (if p == NONE {
                                include_company
                            } else {
                                tree.is_within(s, p)
                            })
                            && !list[..k]
                                .iter()
                                .any(|b| b.partner == s && b.from.0 <= day && day <= b.to.0)
                        {
                            add(&mut part.accs, VERT, p, s, i64::MIN, None);
                        }
                    }
                }
            }
        }
        part
    }

    fn run(&self) -> Result<Vec<Finding>> {
        let cx = self.cx;
        let tx = &cx.data.transactions;
        let ranges = cx.ranges();
        let parts = cx.par_map(&ranges, |r| self.part(r))?;
        let mut accs: BTreeMap<Key, Acc> = BTreeMap::new();
        let mut revenue = Revenue::new(self.n_part, self.windows.count, self.on[0]);
        for part in parts {
            revenue.merge(part.revenue);
            for (k, a) in part.accs {
                match accs.get_mut(&k) {
                    Some(x) => x.merge(a, self.limit, tx),
                    None => {
                        accs.insert(k, a);
                    }
                }
            }
        }
        let mut findings = Vec::with_capacity(accs.len());
        for (key, mut acc) in accs {
            acc.picks.compact(self.limit.max(1), tx);
            acc.picks.v.truncate(self.limit);
            findings.push(self.finding(key, acc, &revenue)?);
        }
        Ok(findings)
    }

    fn finding(&self, key: Key, acc: Acc, revenue: &Revenue) -> Result<Finding> {
        let cx = self.cx;
        let m = cx.master;
        let cur = &m.currency;
        let (det, seller, terr, w) = key;
        let period = self.windows.period(w);
        let detector = PASS[det as usize];
        let partner = cx.partner_id(seller);
        let first_day = Date(acc.first);
        let last_day = Date(acc.last);
        let amount = narrow(acc.amount, "evidence amount")?;
        let mut channels: Vec<String> = acc
            .channels
            .iter()
            .filter(|&&c| c != NONE && (c as usize) < m.channels.len())
            .map(|&c| m.channels.id(c).to_string())
            .collect();
        channels.sort();
        let listed: Vec<EvidenceLine> = acc
            .picks
            .v
            .iter()
            .map(|e| {
                let r = (e.reference != i64::MIN).then_some(e.reference);
                cx.evidence_line(e.chunk as usize, e.row as usize, r)
            })
            .collect();
        let evidence = Evidence {
            lines: acc.lines,
            quantity: acc.qty,
            amount,
            listed,
        };
        let terr_id = (det != VERT && terr != NONE).then(|| m.territories.id(terr).to_string());
        let who = partner
            .clone()
            .unwrap_or_else(|| "The company's own channels".into());
        let who_zh = partner.clone().unwrap_or_else(|| "公司直营渠道".into());
        let money_s = money(cur, amount);
        let where_en = terr_id
            .as_deref()
            .map_or(String::new(), |t| format!(" in {t}"));
        let where_zh = terr_id
            .as_deref()
            .map_or(String::new(), |t| format!("在 {t} "));
        let mut figures = vec![
            Figure::new("lines", Decimal::from(acc.lines), None, "lines"),
            Figure::new("amount", cur.to_decimal(amount), None, cur.code.clone()),
        ];
        let base = Finding {
            id: String::new(),
            detector,
            kind: ConflictKind::Horizontal,
            partner: partner.clone(),
            parties: Vec::new(),
            channels,
            territory: terr_id.clone(),
            product: None,
            period,
            first_day,
            last_day,
            severity: cx.policy.severity(detector),
            repeats: 0,
            resolution: if partner.is_some() {
                PENDING
            } else {
                Resolution::Review
            },
            message: Label::new("", ""),
            figures: Vec::new(),
            evidence,
            cause: None,
        };
        let n = acc.lines;
        let n_lines = count(n, "line", "lines");
        let f = match det {
            CROSS => {
                let mut holders: Vec<&str> = cx
                    .exclusive_holders(terr)
                    .iter()
                    .filter(|&&q| !cx.same_line(q, seller))
                    .map(|&q| m.partners.id(q))
                    .collect();
                holders.sort_unstable();
                holders.dedup();
                let severity = if holders.is_empty() {
                    cx.policy.cross_region.severity
                } else {
                    cx.policy.cross_region.exclusive_severity
                };
                let mut grants: Vec<&str> = m
                    .partners
                    .grants(seller)
                    .iter()
                    .map(|&(g, _)| m.territories.id(g))
                    .collect();
                grants.sort_unstable();
                let grants = if grants.is_empty() {
                    "none".to_string()
                } else {
                    grants.join(", ")
                };
                let total = revenue.get(seller, w);
                let share = ratio(acc.amount, total, RoundingStrategy::MidpointNearestEven);
                figures.push(Figure::new("out_of_territory_share", share, None, "ratio"));
                let (excl_en, excl_zh) = if holders.is_empty() {
                    (String::new(), String::new())
                } else {
                    (
                        format!("; it is the exclusive territory of {}", holders.join(", ")),
                        format!("；该区域为 {} 的独家区域", holders.join("、")),
                    )
                };
                let t = terr_id.as_deref().unwrap_or("-");
                let pct_s = pct(share);
                Finding {
                    id: Finding::make_id(
                        detector,
                        partner.as_deref(),
                        terr_id.as_deref(),
                        None,
                        period,
                        &[],
                    ),
                    severity,
                    parties: holders.iter().map(|s| s.to_string()).collect(),
                    message: Label::new(
                        format!(
                            "{who} sold {n_lines} ({money_s}) in {t}, outside its territories ({grants}): {pct_s} of its sales in {period}{excl_en}"
                        ),
                        format!(
                            "{who_zh} 在授权区域（{grants}）之外的 {t} 销售 {n} 行（{money_s}），占其 {period} 销售额的 {pct_s}{excl_zh}"
                        ),
                    ),
                    cause: Some(cx.cause(seller, first_day)),
                    figures,
                    ..base
                }
            }
            FLOOR => {
                let kind = if seller == NONE {
                    ConflictKind::Vertical
                } else {
                    ConflictKind::Horizontal
                };
                let (gap_s, detail_en, detail_zh) = match acc.deep {
                    Some(d) => {
                        let gap = ratio(
                            i128::from(d.gap),
                            i128::from(d.base),
                            RoundingStrategy::AwayFromZero,
                        );
                        figures.push(Figure::new("deepest_gap_below_floor", gap, None, "ratio"));
                        let threshold = d.reference.saturating_sub(self.tolerance);
                        figures.push(Figure::new(
                            "unit_price_at_deepest_gap",
                            cur.to_decimal(d.price),
                            Some(cur.to_decimal(threshold)),
                            cur.code.clone(),
                        ));
                        (
                            pct(gap),
                            format!(
                                " ({} at a floor of {})",
                                money(cur, d.price),
                                money(cur, d.reference)
                            ),
                            format!(
                                "（单价 {}，限价 {}）",
                                money(cur, d.price),
                                money(cur, d.reference)
                            ),
                        )
                    }
                    None => (pct(Decimal::ZERO), String::new(), String::new()),
                };
                Finding {
                    id: Finding::make_id(
                        detector,
                        partner.as_deref(),
                        terr_id.as_deref(),
                        None,
                        period,
                        &[],
                    ),
                    kind,
                    message: Label::new(
                        format!(
                            "{who} sold {n_lines} ({money_s}) below the floor price{where_en}, down to {gap_s} under the floor{detail_en}"
                        ),
                        format!(
                            "{who_zh} {where_zh}有 {n} 行（{money_s}）低于最低限价，最多低于限价 {gap_s}{detail_zh}"
                        ),
                    ),
                    figures,
                    ..base
                }
            }
            PROMO => {
                let kind = if seller == NONE {
                    ConflictKind::Vertical
                } else {
                    ConflictKind::Horizontal
                };
                let mut deepest = Decimal::ZERO;
                if let Some(d) = acc.deep {
                    deepest = ratio(
                        i128::from(d.gap),
                        i128::from(d.base),
                        RoundingStrategy::AwayFromZero,
                    );
                    figures.push(Figure::new(
                        "deepest_discount",
                        deepest,
                        Some(d.allowed),
                        "ratio",
                    ));
                }
                let mut promos = acc.promos.clone();
                promos.sort_unstable();
                let mut parts_en = Vec::new();
                let mut parts_zh = Vec::new();
                if acc.outside > 0 {
                    parts_en.push(format!("{} outside any approved promotion", acc.outside));
                    parts_zh.push(format!("{} 行不在任何已批准促销内", acc.outside));
                }
                if acc.beyond > 0 {
                    let named: Vec<String> = promos
                        .iter()
                        .filter_map(|&i| self.promos.get(i as usize))
                        .map(|p| format!("{}'s {}", p.rule.id, pct(p.frac.max)))
                        .collect();
                    let named_zh: Vec<String> = promos
                        .iter()
                        .filter_map(|&i| self.promos.get(i as usize))
                        .map(|p| format!("{} 的 {}", p.rule.id, pct(p.frac.max)))
                        .collect();
                    parts_en.push(format!(
                        "{} beyond promotion {}",
                        acc.beyond,
                        named.join(", ")
                    ));
                    parts_zh.push(format!("{} 行超出促销 {}", acc.beyond, named_zh.join("、")));
                }
                let allowed_s = acc
                    .deep
                    .map_or(String::new(), |d| format!(" (allowed {})", pct(d.allowed)));
                let allowed_zh = acc
                    .deep
                    .map_or(String::new(), |d| format!("（允许 {}）", pct(d.allowed)));
                let deepest_s = pct(deepest);
                Finding {
                    id: Finding::make_id(
                        detector,
                        partner.as_deref(),
                        terr_id.as_deref(),
                        None,
                        period,
                        &[],
                    ),
                    kind,
                    message: Label::new(
                        format!(
                            "{who} discounted {n_lines} ({money_s}){where_en} up to {deepest_s} off the retail price{allowed_s}: {}",
                            parts_en.join("; ")
                        ),
                        format!(
                            "{who_zh} {where_zh}有 {n} 行（{money_s}）折扣最深达零售价的 {deepest_s}{allowed_zh}：{}",
                            parts_zh.join("；")
                        ),
                    ),
                    figures,
                    ..base
                }
            }
            _ => {
                let sub = m.partners.id(terr).to_string();
                let (en, zh) = if seller == NONE {
                    (
                        format!(
                            "The company's own channels sold {n_lines} ({money_s}) to customers assigned to partner {sub} in {period}"
                        ),
                        format!(
                            "公司直营渠道在 {period} 向归属 {sub} 的客户销售 {n} 行（{money_s}）"
                        ),
                    )
                } else {
                    (
                        format!(
                            "{who} sold {n_lines} ({money_s}) to customers assigned to its sub-partner {sub} in {period}"
                        ),
                        format!(
                            "{who_zh} 在 {period} 向其下级 {sub} 的归属客户销售 {n} 行（{money_s}）"
                        ),
                    )
                };
                Finding {
                    id: Finding::make_id(detector, partner.as_deref(), None, None, period, &[&sub]),
                    kind: ConflictKind::Vertical,
                    parties: vec![sub],
                    territory: None,
                    message: Label::new(en, zh),
                    figures,
                    ..base
                }
            }
        };
        Ok(f)
    }
}

/// `num / den` as an exact decimal rounded to 6 places (0 when `den` is 0).
fn ratio(num: i128, den: i128, strategy: RoundingStrategy) -> Decimal {
    if den == 0 {
        return Decimal::ZERO;
    }
    let (Ok(n), Ok(d)) = (
        Decimal::try_from_i128_with_scale(num, 0),
        Decimal::try_from_i128_with_scale(den, 0),
    ) else {
        return Decimal::ZERO;
    };
    n.checked_div(d)
        .map_or(Decimal::ZERO, |r| r.round_dp_with_strategy(6, strategy))
        .normalize()
}

/// `1 line`, `2 lines`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `1 unit`, `-3 units`.
fn units(n: i64) -> String {
    format!("{n} {}", if n == 1 { "unit" } else { "units" })
}

/// A ratio as a percentage with one decimal: `0.185` → `18.5 %`.
fn pct(r: Decimal) -> String {
    format!(
        "{} %",
        (r * Decimal::ONE_HUNDRED)
            .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
            .normalize()
    )
}

/// Minor units as money with thousands separators: `¥3,456.00`, `USD 12.50`.
fn money(cur: &Currency, minor: i64) -> String {
    let text = cur.format(minor);
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let prefix = if cur.code == "CNY" {
        "¥".to_string()
    } else {
        format!("{} ", cur.code)
    };
    match frac {
        Some(f) => format!("{sign}{prefix}{grouped}.{f}"),
        None => format!("{sign}{prefix}{grouped}"),
    }
}

/// What a diverted-goods finding gathers for one buyer, territory and window.
#[derive(Debug, Default)]
struct Div<'s> {
    sightings: u64,
    shipments: u64,
    units: i64,
    first: i32,
    last: i32,
    batches: BTreeSet<&'s str>,
    products: BTreeSet<u32>,
    sellers: BTreeSet<u32>,
    unknown_sellers: u64,
}

impl Div<'_> {
    fn day(&mut self, d: i32) {
        if self.sightings + self.shipments == 0 {
            self.first = d;
            self.last = d;
        } else {
            self.first = self.first.min(d);
            self.last = self.last.max(d);
        }
    }
}

/// Diverted goods: sightings of shipped batches and ship-to addresses.
fn diverted(cx: &Context<'_>, not_run: &mut Vec<NotRun>) -> Result<Vec<Finding>> {
    let detector = Detector::DivertedGoods;
    if !cx.policy.enabled(detector) {
        not_run.push(disabled(detector));
        return Ok(Vec::new());
    }
    if cx.shipments.is_empty() {
        not_run.push(NotRun {
            detector,
            reason: Label::new("no shipments given", "未提供发货数据"),
        });
        return Ok(Vec::new());
    }
    let m = cx.master;
    let window = cx.policy.window;
    let mut by_batch: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in cx.shipments.iter().enumerate() {
        by_batch.entry(s.batch.as_str()).or_default().push(i);
    }
    for v in by_batch.values_mut() {
        v.sort_by_key(|&i| (cx.shipments[i].date, i));
    }
    let mut accs: BTreeMap<(u32, u32, Date), Div<'_>> = BTreeMap::new();
    let mut unknown: BTreeMap<Date, Div<'_>> = BTreeMap::new();
    for s in &cx.sightings {
        let shipped = by_batch.get(s.batch.as_str()).and_then(|v| {
            let k = v.partition_point(|&i| cx.shipments[i].date <= s.date);
            k.checked_sub(1).map(|k| &cx.shipments[v[k]])
        });
        let Some(sh) = shipped else {
            let d = unknown.entry(window.of(s.date).start).or_default();
            d.day(s.date.0);
            d.sightings += 1;
            d.units = d.units.saturating_add(s.quantity);
            d.batches.insert(&s.batch);
            continue;
        };
        let a = sh.partner;
        if s.seller == a || cx.authorised(a, s.territory) {
            continue;
        }
        let d = accs
            .entry((a, s.territory, window.of(s.date).start))
            .or_default();
        d.day(s.date.0);
        d.sightings += 1;
        d.units = d.units.saturating_add(s.quantity);
        d.batches.insert(&s.batch);
        d.products.insert(sh.product);
        if s.seller == NONE {
            d.unknown_sellers += 1;
        } else {
            d.sellers.insert(s.seller);
        }
    }
    for sh in &cx.shipments {
        if sh.ship_to == NONE || cx.authorised(sh.partner, sh.ship_to) {
            continue;
        }
        let d = accs
            .entry((sh.partner, sh.ship_to, window.of(sh.date).start))
            .or_default();
        d.day(sh.date.0);
        d.shipments += 1;
        d.units = d.units.saturating_add(sh.quantity);
        d.batches.insert(&sh.batch);
        d.products.insert(sh.product);
    }
    let batch_list = |b: &BTreeSet<&str>| {
        let mut s: Vec<&str> = b.iter().take(5).copied().collect();
        if b.len() > 5 {
            s.push("…");
        }
        s.join(", ")
    };
    let mut out = Vec::new();
    for ((a, t, start), d) in accs {
        let period = window.of(start);
        let pid = m.partners.id(a).to_string();
        let tid = m.territories.id(t).to_string();
        let mut grants: Vec<&str> = m
            .partners
            .grants(a)
            .iter()
            .map(|&(g, _)| m.territories.id(g))
            .collect();
        grants.sort_unstable();
        let grants = if grants.is_empty() {
            "none".to_string()
        } else {
            grants.join(", ")
        };
        let mut parties: Vec<String> = d
            .sellers
            .iter()
            .map(|&s| m.partners.id(s).to_string())
            .collect();
        parties.sort();
        let batches = batch_list(&d.batches);
        let products: Vec<&str> = d.products.iter().map(|&p| m.products.id(p)).collect();
        let products = products.join(", ");
        let mut en = Vec::new();
        let mut zh = Vec::new();
        if d.sightings > 0 {
            let by = if parties.is_empty() {
                "by an unknown seller".to_string()
            } else if d.unknown_sellers > 0 {
                format!("by {} and unknown sellers", parties.join(", "))
            } else {
                format!("by {}", parties.join(", "))
            };
            let by_zh = if parties.is_empty() {
                "未知卖家".to_string()
            } else if d.unknown_sellers > 0 {
                format!("{} 及未知卖家", parties.join("、"))
            } else {
                parties.join("、")
            };
            en.push(format!(
                "{} sold {by}",
                count(d.sightings, "sighting", "sightings")
            ));
            zh.push(format!("{} 次发现由 {by_zh} 销售", d.sightings));
        }
        if d.shipments > 0 {
            en.push(format!(
                "{} delivered there",
                count(d.shipments, "shipment", "shipments")
            ));
            zh.push(format!("{} 批发货送达该地", d.shipments));
        }
        let first_day = Date(d.first);
        out.push(Finding {
            id: Finding::make_id(detector, Some(&pid), Some(&tid), None, period, &[]),
            detector,
            kind: ConflictKind::Horizontal,
            partner: Some(pid.clone()),
            parties,
            channels: Vec::new(),
            territory: Some(tid.clone()),
            product: None,
            period,
            first_day,
            last_day: Date(d.last),
            severity: cx.policy.diverted_goods.severity,
            repeats: 0,
            resolution: PENDING,
            message: Label::new(
                format!(
                    "Goods shipped to {pid} turned up in {tid}, outside its territories ({grants}): {} ({} of {products}; batches {batches})",
                    en.join("; "),
                    units(d.units)
                ),
                format!(
                    "发往 {pid} 的货品出现在其授权区域（{grants}）之外的 {tid}：{}（{products} 共 {} 件；批号 {batches}）",
                    zh.join("；"),
                    d.units
                ),
            ),
            figures: vec![
                Figure::new("sightings", Decimal::from(d.sightings), None, "sightings"),
                Figure::new("shipments", Decimal::from(d.shipments), None, "shipments"),
                Figure::new("units", Decimal::from(d.units), None, "units"),
                Figure::new("batches", Decimal::from(d.batches.len()), None, "batches"),
            ],
            evidence: Evidence {
                lines: 0,
                quantity: d.units,
                amount: 0,
                listed: Vec::new(),
            },
            cause: Some(cx.cause(a, first_day)),
        });
    }
    for (start, d) in unknown {
        let period = window.of(start);
        let batches = batch_list(&d.batches);
        out.push(Finding {
            id: Finding::make_id(detector, None, None, None, period, &[]),
            detector,
            kind: ConflictKind::Horizontal,
            partner: None,
            parties: Vec::new(),
            channels: Vec::new(),
            territory: None,
            product: None,
            period,
            first_day: Date(d.first),
            last_day: Date(d.last),
            severity: Severity::Low,
            repeats: 0,
            resolution: Resolution::Review,
            message: Label::new(
                format!(
                    "{} ({}) of batches with no shipment on or before the day seen, in {period}: {batches}; check the shipment records",
                    count(d.sightings, "sighting", "sightings"),
                    units(d.units)
                ),
                format!(
                    "{period} 有 {} 次发现（{} 件）的批号在发现日之前没有发货记录：{batches}；请核对发货数据",
                    d.sightings, d.units
                ),
            ),
            figures: vec![
                Figure::new("sightings", Decimal::from(d.sightings), None, "sightings"),
                Figure::new("units", Decimal::from(d.units), None, "units"),
                Figure::new("batches", Decimal::from(d.batches.len()), None, "batches"),
            ],
            evidence: Evidence {
                lines: 0,
                quantity: d.units,
                amount: 0,
                listed: Vec::new(),
            },
            cause: None,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use rust_decimal::Decimal;

    use super::super::{
        Assignment, ConflictInputs, ConflictKind, ConflictPolicy, ConflictReport, Detector,
        Finding, Promotion, Resolution, Severity, Shipment, Sighting,
    };
    use crate::dataset::{Dataset, DatasetBuilder, TxInput};
    use crate::date::Date;
    use crate::master::{MasterData, MasterDocument};
    use crate::reject::Strictness;
    use crate::transactions::TxKind;

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    fn dec(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    /// CN ⊃ ZJ ⊃ {HZ, NB}, CN ⊃ JS ⊃ NJ, CN ⊃ AH ⊃ HF. Partner tree GA → {D1 → R1, D2}; X is
    /// another network with AH exclusive. GA holds JS exclusive.
    ///
    /// G1 (green tea): general 100/80 until 2025-06-30, then 110/90 to year end; on LIVE
    /// 100/60 all year; in NJ 100/85 until 2025-06-30. B1 (black tea): 50/40 in March 2025
    /// only.
    fn master() -> MasterData {
        MasterData::new(
            MasterDocument::from_json(
                r#"{
      "territories": [{"id": "CN", "level": "country"},
                      {"id": "ZJ", "level": "province", "parent": "CN"},
                      {"id": "HZ", "level": "city", "parent": "ZJ"},
                      {"id": "NB", "level": "city", "parent": "ZJ"},
                      {"id": "JS", "level": "province", "parent": "CN"},
                      {"id": "NJ", "level": "city", "parent": "JS"},
                      {"id": "AH", "level": "province", "parent": "CN"},
                      {"id": "HF", "level": "city", "parent": "AH"}],
      "channels": [{"id": "DIST", "kind": "distribution", "presence": "offline", "role": "main"},
                   {"id": "WEB", "kind": "direct", "presence": "online", "role": "auxiliary"},
                   {"id": "LIVE", "kind": "live_stream", "presence": "online", "role": "auxiliary"}],
      "partners": [{"id": "GA", "model": "distribution", "channel": "DIST",
                    "territories": [{"territory": "ZJ"}, {"territory": "JS", "exclusive": true}]},
                   {"id": "D1", "model": "distribution", "parent": "GA", "channel": "DIST",
                    "territories": [{"territory": "ZJ"}]},
                   {"id": "D2", "model": "distribution", "parent": "GA", "channel": "DIST",
                    "territories": [{"territory": "JS"}]},
                   {"id": "R1", "model": "distribution", "parent": "D1", "channel": "DIST",
                    "territories": [{"territory": "HZ"}]},
                   {"id": "X", "model": "distribution", "channel": "DIST",
                    "territories": [{"territory": "AH", "exclusive": true}]}],
      "categories": [{"id": "tea"}, {"id": "green", "parent": "tea"}, {"id": "black", "parent": "tea"}],
      "products": [{"id": "G1", "category": "green", "list_price": "100.00"},
                   {"id": "B1", "category": "black", "list_price": "50.00"}],
      "prices": [
        {"product": "G1", "retail_price": "100.00", "floor_price": "80.00",
         "valid_from": "2025-01-01", "valid_to": "2025-06-30"},
        {"product": "G1", "retail_price": "110.00", "floor_price": "90.00",
         "valid_from": "2025-07-01", "valid_to": "2025-12-31"},
        {"product": "G1", "channel": "LIVE", "retail_price": "100.00", "floor_price": "60.00",
         "valid_from": "2025-01-01", "valid_to": "2025-12-31"},
        {"product": "G1", "territory": "NJ", "retail_price": "100.00", "floor_price": "85.00",
         "valid_from": "2025-01-01", "valid_to": "2025-06-30"},
        {"product": "B1", "retail_price": "50.00", "floor_price": "40.00",
         "valid_from": "2025-03-01", "valid_to": "2025-03-31"}],
      "customers": [{"id": "C1"}, {"id": "C2"}, {"id": "C3"}, {"id": "C4"}]}"#,
            )
            .expect("json"),
        )
        .expect("master")
    }

    /// One line: order, day, partner ("" for the company, on WEB), territory, unit price in
    /// fen; product G1, channel DIST, customer C1, one unit unless changed.
    #[derive(Clone, Copy)]
    struct L<'a> {
        order: &'a str,
        line: u32,
        date: &'a str,
        partner: &'a str,
        channel: &'a str,
        product: &'a str,
        territory: &'a str,
        customer: &'a str,
        qty: i64,
        price: i64,
        original: Option<&'a str>,
    }

    fn l<'a>(
        order: &'a str,
        date: &'a str,
        partner: &'a str,
        territory: &'a str,
        price: i64,
    ) -> L<'a> {
        L {
            order,
            line: 1,
            date,
            partner,
            channel: if partner.is_empty() { "WEB" } else { "DIST" },
            product: "G1",
            territory,
            customer: "C1",
            qty: 1,
            price,
            original: None,
        }
    }

    fn data(lines: &[L<'_>]) -> Dataset {
        let mut b = DatasetBuilder::new(master(), Strictness::Strict);
        for (i, x) in lines.iter().enumerate() {
            b.push(
                &TxInput {
                    order: x.order,
                    line: x.line,
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
        b.finish().expect("dataset")
    }

    fn run(data: &Dataset, policy: &ConflictPolicy, inputs: &ConflictInputs<'_>) -> ConflictReport {
        super::super::detect(data, policy, inputs).expect("detect")
    }

    fn of(r: &ConflictReport, det: Detector) -> Vec<&Finding> {
        r.of(det).collect()
    }

    fn ids(r: &ConflictReport, det: Detector) -> Vec<&str> {
        r.of(det).map(|f| f.id.as_str()).collect()
    }

    fn listed(f: &Finding) -> Vec<(String, u32)> {
        f.evidence
            .listed
            .iter()
            .map(|e| (e.order.clone(), e.line))
            .collect()
    }

    #[test]
    fn cross_region_is_hierarchy_aware() {
        let rows = [
            // R1 in HZ, its own city; D1 in NB, a city inside its province: both fine.
            l("O1", "2025-02-03", "R1", "HZ", 10_000),
            l("O2", "2025-02-03", "D1", "NB", 10_000),
            // D1 in NJ (a city of the sibling province JS): cross-region. JS is GA's exclusive
            // territory, but GA is D1's own parent: plain severity, no parties.
            l("O3", "2025-02-04", "D1", "NJ", 10_000),
            // D1 in HF, inside X's exclusive AH: X is another network, so high severity.
            L {
                qty: 2,
                ..l("O4", "2025-02-05", "D1", "HF", 10_000)
            },
            // A return of one of those two units is never a violation.
            L {
                qty: -1,
                original: Some("O4"),
                ..l("O5", "2025-02-06", "D1", "HF", 10_000)
            },
            // The company's own channel sells anywhere.
            l("O6", "2025-02-06", "", "HF", 10_000),
        ];
        let r = run(
            &data(&rows),
            &ConflictPolicy::default(),
            &ConflictInputs::default(),
        );
        assert_eq!(
            ids(&r, Detector::CrossRegion),
            [
                "cross_region/D1/HF/-/2025-02",
                "cross_region/D1/NJ/-/2025-02"
            ]
        );
        let hf = r.get("cross_region/D1/HF/-/2025-02").expect("HF");
        assert_eq!(hf.severity, Severity::High);
        assert_eq!(hf.parties, ["X"]);
        assert_eq!(hf.kind, ConflictKind::Horizontal);
        // One sale line of 2 units, ¥200.00; D1 sold ¥100 + ¥100 + ¥200 = ¥400 in February:
        // half of it in HF. The return is neither evidence nor revenue.
        assert_eq!(
            (hf.evidence.lines, hf.evidence.quantity, hf.evidence.amount),
            (1, 2, 20_000)
        );
        assert_eq!(listed(hf), [("O4".to_string(), 1)]);
        let share = hf
            .figures
            .iter()
            .find(|f| f.name == "out_of_territory_share");
        assert_eq!(share.map(|f| f.value), Some(dec("0.5")));
        assert_eq!(
            (hf.first_day, hf.last_day),
            (d("2025-02-05"), d("2025-02-05"))
        );
        assert!(hf.cause.is_some());
        assert!(
            hf.message.en.contains("outside its territories (ZJ)"),
            "{}",
            hf.message.en
        );
        assert!(
            hf.message.en.contains("exclusive territory of X"),
            "{}",
            hf.message.en
        );
        assert!(hf.message.zh.contains("HF"));
        let nj = r.get("cross_region/D1/NJ/-/2025-02").expect("NJ");
        assert_eq!(nj.severity, Severity::Medium);
        assert!(nj.parties.is_empty());
        assert_eq!(nj.figures[2].value, dec("0.25"));
        assert_eq!(nj.resolution, Resolution::Warn, "first window: warn");
        assert_eq!(nj.repeats, 0);
    }

    #[test]
    fn price_list_validity_boundaries() {
        let b1 = |order, date, price| L {
            product: "B1",
            ..l(order, date, "R1", "HZ", price)
        };
        let rows = [
            // B1's rule is valid 2025-03-01..=2025-03-31, floor ¥40: the first and the last
            // day are judged against it; the day after has no rule and is not judged.
            b1("O1", "2025-03-01", 3_900),
            b1("O2", "2025-03-31", 3_900),
            b1("O3", "2025-04-01", 100),
            // A return at ¥39 is never a violation.
            L {
                qty: -1,
                original: Some("O1"),
                ..b1("O4", "2025-03-15", 3_900)
            },
            // G1 at ¥85: above the ¥80 floor on the last day of the first rule, below the ¥90
            // floor of the next rule on its first day.
            l("O5", "2025-06-30", "R1", "HZ", 8_500),
            l("O6", "2025-07-01", "R1", "HZ", 8_500),
            // The company's own channel below the floor: a vertical finding without a culprit.
            l("O7", "2025-07-02", "", "HZ", 8_000),
        ];
        let r = run(
            &data(&rows),
            &ConflictPolicy::default(),
            &ConflictInputs::default(),
        );
        assert_eq!(
            ids(&r, Detector::BelowFloor),
            [
                "below_floor/R1/HZ/-/2025-03",
                "below_floor/-/HZ/-/2025-07",
                "below_floor/R1/HZ/-/2025-07"
            ]
        );
        let mar = r.get("below_floor/R1/HZ/-/2025-03").expect("march");
        assert_eq!(listed(mar), [("O1".to_string(), 1), ("O2".to_string(), 1)]);
        assert_eq!(mar.evidence.listed[0].reference_price, Some(4_000));
        // (40 − 39) / 40 = 2.5 % under the floor.
        assert_eq!(mar.figures[2].value, dec("0.025"));
        assert_eq!(mar.kind, ConflictKind::Horizontal);
        let jul = r.get("below_floor/R1/HZ/-/2025-07").expect("july");
        assert_eq!(listed(jul), [("O6".to_string(), 1)]);
        assert_eq!(jul.evidence.listed[0].reference_price, Some(9_000));
        let company = r.get("below_floor/-/HZ/-/2025-07").expect("company");
        assert_eq!(company.partner, None);
        assert_eq!(company.kind, ConflictKind::Vertical);
        assert_eq!(company.resolution, Resolution::Review);

        // A tolerance of ¥1.00: a gap of exactly ¥1 is not below `floor − tolerance`.
        let mut p = ConflictPolicy::default();
        p.below_floor.tolerance = dec("1");
        let r = run(&data(&rows), &p, &ConflictInputs::default());
        assert_eq!(
            ids(&r, Detector::BelowFloor),
            ["below_floor/-/HZ/-/2025-07", "below_floor/R1/HZ/-/2025-07"]
        );
    }

    #[test]
    fn a_line_below_the_floor_is_not_also_a_promotion_depth_finding() {
        let mut p = ConflictPolicy::default();
        p.promotion_depth.max_discount = dec("0.1");
        let rows = [
            // 15 % off ¥100, above the ¥80 floor: too deep a discount.
            l("O1", "2025-02-03", "R1", "HZ", 8_500),
            // 25 % off, below the floor: below_floor only.
            l("O2", "2025-02-04", "R1", "HZ", 7_500),
        ];
        let r = run(&data(&rows), &p, &ConflictInputs::default());
        let promo = of(&r, Detector::PromotionDepth);
        assert_eq!(promo.len(), 1);
        assert_eq!(listed(promo[0]), [("O1".to_string(), 1)]);
        let floor = of(&r, Detector::BelowFloor);
        assert_eq!(floor.len(), 1);
        assert_eq!(listed(floor[0]), [("O2".to_string(), 1)]);
        // With below_floor off, promotion depth reports both.
        p.below_floor.enabled = false;
        let r = run(&data(&rows), &p, &ConflictInputs::default());
        assert_eq!(of(&r, Detector::PromotionDepth)[0].evidence.lines, 2);
        assert!(
            r.not_run
                .iter()
                .any(|n| n.detector == Detector::BelowFloor
                    && n.reason.en == "disabled by the policy")
        );
    }

    fn promotion(id: &str, from: &str, to: &str, max: &str) -> Promotion {
        Promotion {
            id: id.into(),
            name: None,
            from: d(from),
            to: d(to),
            max_discount: dec(max),
            products: Vec::new(),
            categories: Vec::new(),
            channels: Vec::new(),
            territories: Vec::new(),
            partners: Vec::new(),
        }
    }

    fn promo_policy() -> ConflictPolicy {
        let mut p = ConflictPolicy::default();
        let rule = &mut p.promotion_depth;
        rule.max_discount = dec("0.1");
        rule.channels = vec![super::super::ChannelDiscount {
            channel: "LIVE".into(),
            max_discount: dec("0.2"),
        }];
        let mut spring = promotion("spring", "2025-02-10", "2025-02-20", "0.15");
        spring.categories = vec!["tea".into()];
        spring.channels = vec!["DIST".into()];
        spring.territories = vec!["ZJ".into()];
        let mut black = promotion("black-only", "2025-02-01", "2025-02-28", "0.5");
        black.products = vec!["B1".into()];
        let mut d2 = promotion("d2-only", "2025-02-01", "2025-02-28", "0.5");
        d2.partners = vec!["D2".into()];
        rule.promotions = vec![spring, black, d2];
        p
    }

    #[test]
    fn promotions_allow_discounts_within_their_days_filters_and_depth() {
        let live = |order, date, price| L {
            channel: "LIVE",
            ..l(order, date, "R1", "HZ", price)
        };
        let rows = [
            // Inside spring (tea ⊃ green, DIST, ZJ ⊃ HZ), exactly its 15 %: allowed.
            l("O1", "2025-02-15", "R1", "HZ", 8_500),
            // 16 %: beyond spring's 15 %.
            l("O2", "2025-02-16", "R1", "HZ", 8_400),
            // 12 % after spring ended: outside any promotion (black-only is for B1, d2-only for
            // D2).
            l("O3", "2025-02-25", "R1", "HZ", 8_800),
            // D2 in NJ (retail ¥100, floor ¥85 there) at 14 %: d2-only allows it.
            l("O4", "2025-02-15", "D2", "NJ", 8_600),
            // GA in NJ at 14 %: spring is for ZJ only, d2-only for D2: outside.
            l("O5", "2025-02-15", "GA", "NJ", 8_600),
            // LIVE allows 20 % by itself: 15 % is fine, 25 % is not (spring is DIST only).
            live("O6", "2025-02-15", 8_500),
            live("O7", "2025-02-15", 7_500),
        ];
        let r = run(&data(&rows), &promo_policy(), &ConflictInputs::default());
        assert_eq!(
            ids(&r, Detector::PromotionDepth),
            [
                "promotion_depth/GA/NJ/-/2025-02",
                "promotion_depth/R1/HZ/-/2025-02"
            ]
        );
        assert!(of(&r, Detector::BelowFloor).is_empty());
        let r1 = r.get("promotion_depth/R1/HZ/-/2025-02").expect("R1");
        assert_eq!(
            listed(r1),
            [
                ("O7".to_string(), 1),
                ("O2".to_string(), 1),
                ("O3".to_string(), 1)
            ],
            "day, then order id"
        );
        // Minimum allowed prices: 80 % of ¥100 (LIVE's 20 %), 85 % (spring's 15 %), 90 % (the
        // default 10 %).
        let refs: Vec<Option<i64>> = r1
            .evidence
            .listed
            .iter()
            .map(|e| e.reference_price)
            .collect();
        assert_eq!(refs, [Some(8_000), Some(8_500), Some(9_000)]);
        let deepest = r1
            .figures
            .iter()
            .find(|f| f.name == "deepest_discount")
            .expect("deepest");
        assert_eq!(
            (deepest.value, deepest.threshold),
            (dec("0.25"), Some(dec("0.2")))
        );
        assert!(
            r1.message.en.contains("2 outside any approved promotion"),
            "{}",
            r1.message.en
        );
        assert!(
            r1.message.en.contains("1 beyond promotion spring's 15 %"),
            "{}",
            r1.message.en
        );
        assert_eq!(r1.severity, Severity::Low);
        let ga = r.get("promotion_depth/GA/NJ/-/2025-02").expect("GA");
        assert_eq!(listed(ga), [("O5".to_string(), 1)]);
    }

    #[test]
    fn an_unknown_id_in_a_promotion_names_its_field() {
        let mut p = promo_policy();
        p.promotion_depth.promotions[0].categories = vec!["tea".into(), "coffee".into()];
        let e = super::super::detect(
            &data(&[l("O1", "2025-02-15", "R1", "HZ", 10_000)]),
            &p,
            &ConflictInputs::default(),
        )
        .expect_err("unknown category");
        assert!(
            e.to_string()
                .contains("promotion_depth.promotions[0].categories[1]"),
            "{e}"
        );
    }

    #[test]
    fn vertical_needs_assignments_and_an_ancestor_or_the_company() {
        let to_c3 = |order, date, partner| L {
            customer: "C3",
            ..l(
                order,
                date,
                partner,
                if partner == "D2" { "NJ" } else { "HZ" },
                10_000,
            )
        };
        let rows = [
            // C3 belongs to R1 in the first half of 2025.
            to_c3("O1", "2025-02-03", "D1"), // R1's parent: vertical
            to_c3("O2", "2025-02-04", "GA"), // R1's grandparent: vertical
            to_c3("O3", "2025-02-05", ""),   // the company: vertical
            to_c3("O4", "2025-02-06", "D2"), // unrelated peer: horizontal poaching, not vertical
            to_c3("O5", "2025-02-07", "R1"), // R1 itself
            to_c3("O6", "2025-07-05", "D1"), // after the assignment ended
        ];
        let data = data(&rows);
        let r = run(
            &data,
            &ConflictPolicy::default(),
            &ConflictInputs::default(),
        );
        assert!(of(&r, Detector::Vertical).is_empty());
        let why = r.not_run.iter().find(|n| n.detector == Detector::Vertical);
        assert_eq!(
            why.map(|n| n.reason.en.as_str()),
            Some("no customer assignments given")
        );

        let assignments = [Assignment {
            customer: "C3".into(),
            partner: "R1".into(),
            from: Some(d("2025-01-01")),
            to: Some(d("2025-06-30")),
        }];
        let inputs = ConflictInputs {
            assignments: &assignments,
            ..Default::default()
        };
        let r = run(&data, &ConflictPolicy::default(), &inputs);
        assert_eq!(
            ids(&r, Detector::Vertical),
            [
                "vertical/-/-/-/2025-02+R1",
                "vertical/D1/-/-/2025-02+R1",
                "vertical/GA/-/-/2025-02+R1"
            ]
        );
        for f in of(&r, Detector::Vertical) {
            assert_eq!(f.kind, ConflictKind::Vertical);
            assert_eq!(f.parties, ["R1"]);
            assert_eq!(f.evidence.lines, 1);
        }
        let company = r.get("vertical/-/-/-/2025-02+R1").expect("company");
        assert_eq!(company.resolution, Resolution::Review);
        assert_eq!(listed(company), [("O3".to_string(), 1)]);

        let mut p = ConflictPolicy::default();
        p.vertical.include_company = false;
        let r = run(&data, &p, &inputs);
        assert_eq!(ids(&r, Detector::Vertical).len(), 2);
    }

    #[test]
    fn diverted_goods_from_sightings_and_ship_to() {
        let data = data(&[l("O1", "2025-02-03", "R1", "HZ", 10_000)]);
        let r = run(
            &data,
            &ConflictPolicy::default(),
            &ConflictInputs::default(),
        );
        let why = r
            .not_run
            .iter()
            .find(|n| n.detector == Detector::DivertedGoods);
        assert_eq!(
            why.map(|n| n.reason.en.as_str()),
            Some("no shipments given")
        );

        let ship = |batch: &str, partner: &str, date: &str, to: &str| Shipment {
            batch: batch.into(),
            product: "G1".into(),
            partner: partner.into(),
            date: d(date),
            quantity: 10,
            ship_to: Some(to.into()),
        };
        let seen = |batch: &str, date: &str, territory: &str, seller: Option<&str>| Sighting {
            batch: batch.into(),
            date: d(date),
            territory: territory.into(),
            seller: seller.map(Into::into),
            quantity: 1,
        };
        let shipments = [
            ship("B-1", "D1", "2025-01-10", "HZ"),
            // Delivered to NB, outside D2's JS: a finding against D2.
            ship("B-2", "D2", "2025-01-10", "NB"),
            // Shipped twice: to D1, later to R1.
            ship("B-3", "D1", "2025-01-05", "HZ"),
            ship("B-3", "R1", "2025-02-01", "HZ"),
        ];
        let sightings = [
            // In NB, inside D1's ZJ: fine whoever sells it.
            seen("B-1", "2025-02-01", "NB", Some("R1")),
            // In NJ, sold by D2 and by someone unknown: against D1.
            seen("B-1", "2025-02-03", "NJ", Some("D2")),
            seen("B-1", "2025-02-04", "NJ", None),
            // D1 itself selling in NJ is cross_region's business (from its sale lines).
            seen("B-1", "2025-02-05", "NJ", Some("D1")),
            // B-3 before R1's shipment was D1's; after it, R1's (not authorised in NB).
            seen("B-3", "2025-01-20", "NJ", None),
            seen("B-3", "2025-02-10", "NB", None),
            // Never shipped, or seen before its first shipment: counted, not dropped.
            seen("ZZ", "2025-02-11", "HZ", None),
            seen("B-2", "2025-01-05", "NJ", None),
        ];
        let inputs = ConflictInputs {
            shipments: &shipments,
            sightings: &sightings,
            ..Default::default()
        };
        let r = run(&data, &ConflictPolicy::default(), &inputs);
        assert_eq!(
            ids(&r, Detector::DivertedGoods),
            [
                "diverted_goods/-/-/-/2025-01",
                "diverted_goods/D1/NJ/-/2025-01",
                "diverted_goods/D2/NB/-/2025-01",
                "diverted_goods/-/-/-/2025-02",
                "diverted_goods/D1/NJ/-/2025-02",
                "diverted_goods/R1/NB/-/2025-02"
            ]
        );
        let feb = r.get("diverted_goods/D1/NJ/-/2025-02").expect("D1 feb");
        assert_eq!(feb.parties, ["D2"]);
        assert_eq!(feb.severity, Severity::High);
        assert_eq!(feb.figures[0].value, dec("2"), "two sightings");
        assert_eq!(
            (feb.first_day, feb.last_day),
            (d("2025-02-03"), d("2025-02-04"))
        );
        assert!(
            feb.message.en.contains("by D2 and unknown sellers"),
            "{}",
            feb.message.en
        );
        assert!(feb.evidence.listed.is_empty());
        let d2 = r.get("diverted_goods/D2/NB/-/2025-01").expect("D2");
        assert_eq!((d2.figures[1].value, d2.evidence.quantity), (dec("1"), 10));
        let unknown = r.get("diverted_goods/-/-/-/2025-02").expect("unknown");
        assert_eq!(unknown.resolution, Resolution::Review);
        assert!(
            unknown.message.en.starts_with("1 sighting (1 unit)"),
            "{}",
            unknown.message.en
        );
        assert!(unknown.message.en.contains("ZZ"));
    }

    #[test]
    fn evidence_is_limited_and_the_same_whatever_the_row_order() {
        let rows = [
            l("O3", "2025-02-04", "D1", "NJ", 10_000),
            l("O1", "2025-02-05", "D1", "NJ", 10_000),
            L {
                line: 2,
                ..l("O2", "2025-02-04", "D1", "NJ", 10_000)
            },
            l("O2", "2025-02-04", "D1", "NJ", 10_000),
            l("O9", "2025-02-01", "R1", "HZ", 10_000),
        ];
        let p = ConflictPolicy {
            evidence_limit: 2,
            ..Default::default()
        };
        let forward = run(&data(&rows), &p, &ConflictInputs::default());
        let f = forward
            .get("cross_region/D1/NJ/-/2025-02")
            .expect("finding");
        // All four counted; the first two by (day, order id, line) listed.
        assert_eq!(f.evidence.lines, 4);
        assert_eq!(listed(f), [("O2".to_string(), 1), ("O2".to_string(), 2)]);
        let mut reversed = rows;
        reversed.reverse();
        let backward = run(&data(&reversed), &p, &ConflictInputs::default());
        assert_eq!(forward, backward);
    }

    #[test]
    fn the_sample_gives_exactly_the_planted_lines_on_any_thread_count() {
        let sample = crate::sample::generate(&crate::sample::SampleConfig::with_lines(200_000))
            .expect("sample");
        let mut policy = ConflictPolicy::sample_company();
        policy.evidence_limit = 10_000;
        let run_on = |threads| {
            run(
                &sample.dataset,
                &policy,
                &ConflictInputs {
                    threads,
                    ..Default::default()
                },
            )
        };
        let r = run_on(1);
        let planted = &sample.planted;
        let keyset = |v: &[crate::sample::PlantedLine]| -> BTreeSet<(String, u32)> {
            v.iter().map(|p| (p.order.clone(), p.line)).collect()
        };
        for (det, who, lines) in [
            (
                Detector::CrossRegion,
                &planted.cross_region_partner,
                &planted.cross_region,
            ),
            (
                Detector::BelowFloor,
                &planted.below_floor_partner,
                &planted.below_floor,
            ),
        ] {
            let found = of(&r, det);
            assert!(!found.is_empty(), "{det}");
            assert!(
                found
                    .iter()
                    .all(|f| f.partner.as_deref() == Some(who.as_str())),
                "{det}"
            );
            let n: u64 = found.iter().map(|f| f.evidence.lines).sum();
            assert_eq!(n, lines.len() as u64, "{det}");
            let seen: BTreeSet<(String, u32)> = found.iter().flat_map(|f| listed(f)).collect();
            assert_eq!(seen, keyset(lines), "{det}");
        }
        assert!(of(&r, Detector::PromotionDepth).is_empty());
        assert!(of(&r, Detector::Vertical).is_empty());
        assert_eq!(run_on(3), r, "1 and 3 threads");
    }

    #[test]
    fn the_dense_price_index_agrees_with_the_price_list() {
        let sample = crate::sample::generate(&crate::sample::SampleConfig::with_lines(50_000))
            .expect("sample");
        let data = &sample.dataset;
        let policy = ConflictPolicy::default();
        let cx = super::Context::new(data, &policy, &ConflictInputs::default()).expect("context");
        let m = &data.master;
        let change = sample.planted.price_change.expect("a price change");
        let (mut by_channel, mut by_territory, mut before, mut after, mut none) = (0, 0, 0, 0, 0);
        for c in &data.transactions.chunks {
            for i in 0..c.len() {
                let (p, ch, t, day) = (c.product[i], c.channel[i], c.territory[i], c.date[i]);
                let rule = m.prices.lookup(&m.territories.tree, p, ch, t, Date(day));
                let want = rule.map(|r| (r.retail_price, r.floor_price));
                assert_eq!(cx.price(p, ch, t, day), want, "line {i}");
                match rule {
                    None => none += 1,
                    Some(r) => {
                        by_channel += usize::from(r.channel != crate::intern::NONE);
                        by_territory += usize::from(r.territory != crate::intern::NONE);
                        if day < change.0 {
                            before += 1;
                        } else {
                            after += 1;
                        }
                    }
                }
            }
        }
        assert!(
            by_channel > 0 && by_territory > 0,
            "{by_channel} {by_territory}"
        );
        assert!(before > 0 && after > 0, "{before} {after} {none}");
    }
}
