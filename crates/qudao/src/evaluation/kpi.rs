//! The KPIs of every channel, partner, territory and product, per period, in one pass over the
//! transactions plus the operational tables.
//!
//! Every KPI of [`Kpi::ALL`] is filled for every subject of the requested kinds and every
//! period: a value, or [`KpiValue::Missing`] with the reason. The formulas, units and
//! directions are in `docs/evaluation.md` ("KPIs"); the short version:
//!
//! - **Periods.** [`Grain::Month`], [`Grain::Quarter`] and [`Grain::Year`] give the calendar
//!   periods that overlap `[from, to)` (whole periods, not clipped); [`Grain::Custom`] gives
//!   its periods as they are (`from` and `to` are then not used). The *previous period* of a
//!   period made of whole months is the same number of months just before it; of any other
//!   period, the same number of days just before it. *A year earlier* is the same calendar
//!   span one year back.
//! - **Subjects.** Channels and territories are always rolled up over their trees (a region
//!   counts the lines of every city in it). Partners are rolled up over their sub-partners
//!   (general agent → distributor → retailer) only when [`KpiOptions::roll_up`] is set;
//!   otherwise a partner is its own lines. Products are not rolled up.
//! - **Missing, never 0.** A period that does not overlap the transactions' date range has no
//!   transaction KPI ([`Missing::NoData`]); a subject that sold nothing in a covered period
//!   has revenue 0 (that is a fact, not a gap). Ratios with a zero denominator are
//!   [`Missing::ZeroDenominator`]; KPIs whose input table is empty are [`Missing::NoData`];
//!   KPIs that do not apply to a kind ([`applies`]) are [`Missing::NotApplicable`]; a
//!   negative channel cost, target or market size makes the KPIs that use it
//!   [`Missing::Other`] naming the value.
//! - **Exact.** Money is summed in `i128` minor units and reported in major units exactly;
//!   every other value is rounded half-even to 6 decimals.
//!
//! The pass: each line is read once and added to dense per (subject, slice) accumulators,
//! where the slices are the elementary day ranges cut by every period boundary (so any
//! period, its previous period and its year-earlier period are sums of slices). Distinct
//! orders and the customer KPIs (repeat purchase, retention) are counted per customer: sale
//! lines are grouped by customer with a counting sort and each customer's orders are walked
//! once. Both halves are [`KpiState`] partials that merge by addition, so the work is split
//! over threads (and could be split over partitions) with a deterministic result.
//!
//! ```
//! use qudao::evaluation::kpi::{compute, Grain, KpiOptions};
//! use qudao::evaluation::{Kpi, Subject, SubjectKind};
//! use qudao::Date;
//! let data = qudao::sample::generate(&qudao::sample::SampleConfig::with_lines(3_000))?.dataset;
//! let from = Date::from_ymd(2025, 1, 1).expect("date");
//! let to = Date::from_ymd(2025, 4, 1).expect("date");
//! let mut options = KpiOptions::new(from, to, Grain::Month);
//! options.kinds = vec![SubjectKind::Channel];
//! let table = compute(&data, &options)?;
//! assert_eq!(table.periods.len(), 3);
//! let web = Subject { kind: SubjectKind::Channel, id: "TMALL".into() };
//! let rev = table.get(&web, table.periods[0], Kpi::Revenue).expect("computed");
//! assert!(rev.value().is_some());
//! # Ok::<(), qudao::Error>(())
//! ```

use std::collections::BTreeMap;
use std::ops::Range;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::date::{Date, Period};
use crate::error::{Error, Result};
use crate::intern::{FxHashMap, NONE};
use crate::ops::{Measure, TargetSubject};
use crate::transactions::TxChunk;

use super::{Kpi, KpiTable, KpiValue, Missing, Subject, SubjectKind};

/// How the periods of a KPI table are cut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grain {
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
    /// Calendar years.
    Year,
    /// These periods, as given (they may have any length and may overlap).
    Custom(Vec<Period>),
}

/// The size of a subject's market in a period, for [`Kpi::MarketShare`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketSize {
    /// Whose market.
    pub subject: Subject,
    /// The period it is stated for.
    pub period: Period,
    /// Market size, minor units.
    pub value: i64,
}

/// What to compute: periods, subjects and the parameters of some KPIs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KpiOptions {
    /// How periods are cut.
    pub grain: Grain,
    /// First day of the range (inclusive); not used by [`Grain::Custom`].
    pub from: Date,
    /// First day after the range (exclusive); not used by [`Grain::Custom`].
    pub to: Date,
    /// The day the data is as of (inclusive), for [`Kpi::AttainmentAtPace`] and for what is
    /// still pending (complaints within their SLA, deliveries not yet due).
    pub as_of: Date,
    /// The kinds of subject to compute (every subject of each kind in the master data).
    pub kinds: Vec<SubjectKind>,
    /// Roll partners up over their sub-partners. Channels and territories are always rolled
    /// up over their trees; products never are.
    pub roll_up: bool,
    /// Market sizes, for [`Kpi::MarketShare`].
    pub market_size: Vec<MarketSize>,
    /// A stock count is a backlog when it covers more than this many days of sales.
    pub backlog_days: Decimal,
    /// A complaint is handled in time when it is resolved within this many hours.
    pub complaint_sla_hours: i64,
    /// A line is of a new product when the product was launched at most this many days
    /// before the line's day (the product's `launched` date in the master data).
    pub new_product_days: i32,
    /// Worker threads; 0 means one per available core.
    pub threads: usize,
}

impl KpiOptions {
    /// Options for `[from, to)` at a grain: as of the day before `to`, every kind of subject,
    /// partners not rolled up, no market sizes, backlog above 60 days of cover, a 24-hour
    /// complaint SLA, products new for 180 days, all cores.
    pub fn new(from: Date, to: Date, grain: Grain) -> Self {
        KpiOptions {
            grain,
            from,
            to,
            as_of: to.add_days(-1),
            kinds: vec![
                SubjectKind::Channel,
                SubjectKind::Partner,
                SubjectKind::Territory,
                SubjectKind::Product,
            ],
            roll_up: false,
            market_size: Vec::new(),
            backlog_days: Decimal::from(60),
            complaint_sla_hours: 24,
            new_product_days: 180,
            threads: 0,
        }
    }
}

/// Whether a KPI applies to a kind of subject. Where it does not, the table holds
/// [`Missing::NotApplicable`]:
/// targets exist for partners and channels; channel costs for channels; inventory is counted
/// per partner and product; complaints, satisfaction scores and deliveries name a partner
/// and a channel; new-product sell-through is a share of a subject's mix, so not of a product.
pub fn applies(kind: SubjectKind, kpi: Kpi) -> bool {
    use SubjectKind::*;
    match kpi {
        Kpi::TargetAttainment | Kpi::AttainmentAtPace => matches!(kind, Partner | Channel),
        Kpi::ChannelCostRatio | Kpi::Roi => kind == Channel,
        Kpi::InventoryTurnoverDays | Kpi::BacklogRate => matches!(kind, Partner | Product),
        Kpi::ComplaintRate
        | Kpi::ComplaintsResolvedInSla
        | Kpi::MeanSatisfaction
        | Kpi::OnTimeDeliveryRate
        | Kpi::OrderCycleTime => matches!(kind, Partner | Channel),
        Kpi::NewProductSellThrough => kind != Product,
        _ => true,
    }
}

/// Compute every KPI for every subject of the requested kinds and every period.
pub fn compute(dataset: &Dataset, options: &KpiOptions) -> Result<KpiTable> {
    let plan = KpiPlan::new(dataset, options)?;
    plan.run(dataset, options.threads)
}

const KINDS: [SubjectKind; 4] = [
    SubjectKind::Channel,
    SubjectKind::Partner,
    SubjectKind::Territory,
    SubjectKind::Product,
];
const CH: usize = 0;
const PA: usize = 1;
const TE: usize = 2;
const PR: usize = 3;

fn kind_index(k: SubjectKind) -> usize {
    match k {
        SubjectKind::Channel => CH,
        SubjectKind::Partner => PA,
        SubjectKind::Territory => TE,
        SubjectKind::Product => PR,
    }
}

/// Sums of the lines of one leaf subject in one slice. Money in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Acc {
    revenue: i128,
    units: i128,
    /// Net amount of the lines that have a cost.
    cost_revenue: i128,
    /// Cost of goods of those lines.
    cost: i128,
    /// Net amount of the lines of new products.
    new_revenue: i128,
    lines: u64,
    cost_lines: u64,
}

impl Acc {
    #[inline]
    fn add_line(&mut self, amount: i128, qty: i128, cost: Option<i64>, new: bool) {
        self.revenue += amount;
        self.units += qty;
        self.lines += 1;
        if let Some(c) = cost {
            self.cost_revenue += amount;
            self.cost += i128::from(c);
            self.cost_lines += 1;
        }
        if new {
            self.new_revenue += amount;
        }
    }

    fn merge(&mut self, o: &Acc) {
        self.revenue += o.revenue;
        self.units += o.units;
        self.cost_revenue += o.cost_revenue;
        self.cost += o.cost;
        self.new_revenue += o.new_revenue;
        self.lines += o.lines;
        self.cost_lines += o.cost_lines;
    }
}

/// Customer counts of one subject in one customer period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Cust {
    /// Customers with a sale line.
    buyers: u64,
    /// Of which with two or more distinct orders.
    repeaters: u64,
    /// Distinct orders with a sale line.
    orders: u64,
    /// Customers who also bought in the previous period.
    retained: u64,
}

impl Cust {
    fn merge(&mut self, o: &Cust) {
        self.buyers += o.buyers;
        self.repeaters += o.repeaters;
        self.orders += o.orders;
        self.retained += o.retained;
    }
}

/// A partial KPI state: line sums per (leaf subject, slice) and customer counts per
/// (subject, period). Line sums add over any partition of the lines
/// ([`KpiPlan::add_lines`]); customer counts add over any partition of the customers
/// ([`KpiPlan::add_customers`]). [`KpiState::merge`] is associative and commutative with
/// [`KpiPlan::empty_state`] as its identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiState {
    acc: [Vec<Acc>; 4],
    cust: [Vec<Cust>; 4],
    first: i32,
    last: i32,
}

impl KpiState {
    /// Combine with another partial of the same plan.
    pub fn merge(&mut self, other: &KpiState) {
        for k in 0..4 {
            for (a, b) in self.acc[k].iter_mut().zip(&other.acc[k]) {
                a.merge(b);
            }
            for (a, b) in self.cust[k].iter_mut().zip(&other.cust[k]) {
                a.merge(b);
            }
        }
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
    }
}

/// Where the ancestors (or the subject itself) of each leaf code of a kind are.
#[derive(Debug, Clone, Default)]
struct Anc {
    off: Vec<u32>,
    list: Vec<u32>,
}

impl Anc {
    #[inline]
    fn of(&self, leaf: u32) -> &[u32] {
        let l = leaf as usize;
        match (self.off.get(l), self.off.get(l + 1)) {
            (Some(&a), Some(&b)) => &self.list[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// The spans (slice ranges) one reported period needs.
#[derive(Debug, Clone, Copy)]
struct Spans {
    cur: (u32, u32),
    prev: (u32, u32),
    yoy: (u32, u32),
    prev_period: Period,
    yoy_period: Period,
    /// Elapsed days at `as_of` and the span so far, when the period is under way.
    so_far: Option<(i32, (u32, u32))>,
    /// Customer period of this period and of its previous period.
    cp: u32,
    cp_prev: u32,
}

/// A compiled KPI request over one data set: periods, slices, subjects and lookups.
#[derive(Debug, Clone)]
pub struct KpiPlan {
    options: KpiOptions,
    periods: Vec<Period>,
    spans: Vec<Spans>,
    /// Slice boundaries (day numbers), ascending.
    bounds: Vec<i32>,
    /// Slice of each day from `bounds[0]`, or NONE when no span needs the day.
    day_slice: Vec<u32>,
    /// Customer periods per slice (offsets into `slice_cps`).
    slice_cp_off: Vec<u32>,
    slice_cps: Vec<u32>,
    /// Reported periods per slice.
    slice_req_off: Vec<u32>,
    slice_reqs: Vec<u32>,
    /// Customer periods: the reported periods and their previous periods.
    n_cp: usize,
    cp_prev: Vec<u32>,
    active: [bool; 4],
    /// Leaf codes per kind (partners: one more for direct sales).
    leaves: [usize; 4],
    /// Subjects per kind.
    subjects: [usize; 4],
    anc: [Anc; 4],
    /// Launch day of each product, or `i32::MIN`.
    launched: Vec<i32>,
    any_launch: bool,
}

fn round6(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(6, RoundingStrategy::MidpointNearestEven)
}

fn dec(v: i128, scale: u32, what: &str) -> Result<Decimal> {
    Decimal::try_from_i128_with_scale(v, scale).map_err(|_| Error::overflow(what.to_owned()))
}

/// `num / den` rounded to 6 decimals, or the reason there is none.
fn ratio(num: i128, den: i128, what: &str) -> Result<KpiValue> {
    if den == 0 {
        return Ok(KpiValue::Missing(Missing::ZeroDenominator {
            what: what.into(),
        }));
    }
    let n = dec(num, 0, what)?;
    let d = dec(den, 0, what)?;
    n.checked_div(d)
        .map(|r| KpiValue::Value(round6(r)))
        .ok_or_else(|| Error::overflow(what.to_owned()))
}

fn missing(m: Missing) -> KpiValue {
    KpiValue::Missing(m)
}

fn no_data(input: &str) -> KpiValue {
    missing(Missing::NoData {
        input: input.into(),
    })
}

fn whole_months(p: Period) -> Option<i32> {
    let (_, _, d0) = p.start.ymd();
    let (_, _, d1) = p.end.ymd();
    (d0 == 1 && d1 == 1).then(|| p.end.month_index() - p.start.month_index())
}

/// The period of the same length just before `p` (whole months stay whole months).
pub fn previous_period(p: Period) -> Period {
    match whole_months(p) {
        Some(n) => Period {
            start: Date::from_month_index(p.start.month_index() - n),
            end: p.start,
        },
        None => Period {
            start: p.start.add_days(-p.days()),
            end: p.start,
        },
    }
}

fn year_back(d: Date) -> Date {
    let (y, m, day) = d.ymd();
    Date::from_ymd(y - 1, m, day)
        .or_else(|_| Date::from_ymd(y - 1, m, day.saturating_sub(1)))
        .unwrap_or(d.add_days(-365))
}

/// The same calendar span one year before `p`.
pub fn year_earlier(p: Period) -> Period {
    match whole_months(p) {
        Some(_) => Period {
            start: Date::from_month_index(p.start.month_index() - 12),
            end: Date::from_month_index(p.end.month_index() - 12),
        },
        None => {
            let start = year_back(p.start);
            let end = year_back(p.end).max(start.add_days(1));
            Period { start, end }
        }
    }
}

/// The calendar periods of a grain overlapping `[from, to)`.
fn grain_periods(options: &KpiOptions) -> Result<Vec<Period>> {
    let months = match &options.grain {
        Grain::Custom(ps) => {
            if ps.is_empty() {
                return Err(Error::invalid_argument(
                    "options.grain",
                    "a custom grain needs at least one period",
                ));
            }
            let mut v = ps.clone();
            v.sort_unstable();
            v.dedup();
            return Ok(v);
        }
        Grain::Month => 1,
        Grain::Quarter => 3,
        Grain::Year => 12,
    };
    if options.to <= options.from {
        return Err(Error::invalid_argument(
            "options.to",
            format!(
                "must be after options.from ({} is not after {})",
                options.to, options.from
            ),
        ));
    }
    let first = options.from.month_index();
    let first = first - first.rem_euclid(months);
    let last = options.to.add_days(-1).month_index();
    if (last - first) / months > 100_000 {
        return Err(Error::invalid_argument(
            "options.from",
            "more than 100,000 periods",
        ));
    }
    let mut out = Vec::new();
    let mut m = first;
    while m <= last {
        out.push(Period {
            start: Date::from_month_index(m),
            end: Date::from_month_index(m + months),
        });
        m += months;
    }
    Ok(out)
}

fn flatten(lists: Vec<Vec<u32>>) -> (Vec<u32>, Vec<u32>) {
    let mut off = Vec::with_capacity(lists.len() + 1);
    let mut flat = Vec::new();
    off.push(0);
    for l in lists {
        flat.extend(l);
        off.push(flat.len() as u32);
    }
    (off, flat)
}

#[inline]
fn slice_of(off: &[u32], list: &[u32], i: usize) -> std::ops::Range<usize> {
    match (off.get(i), off.get(i + 1)) {
        (Some(&a), Some(&b)) if a <= b && (b as usize) <= list.len() => a as usize..b as usize,
        _ => 0..0,
    }
}

/// Customer records of sale lines, `[customer, order, slice, leaf per active kind]` each,
/// in line order; a line repeating the previous record (the lines of one order mostly do)
/// is not appended again, as it would change no count.
#[derive(Debug, Clone, Default)]
struct Records {
    kinds: Vec<usize>,
    scratch: Vec<u32>,
    data: Vec<u32>,
}

impl Records {
    fn new(plan: &KpiPlan) -> Records {
        let kinds: Vec<usize> = (0..4).filter(|&k| plan.active[k]).collect();
        Records {
            scratch: vec![0; 3 + kinds.len()],
            kinds,
            data: Vec::new(),
        }
    }

    fn count_into(&self, hist: &mut [u32]) {
        for rec in self.data.chunks_exact(self.scratch.len()) {
            if let Some(n) = hist.get_mut(rec[0] as usize) {
                *n = n.saturating_add(1);
            }
        }
    }

    fn histogram(&self, customers: usize) -> Vec<u32> {
        let mut h = vec![0u32; customers];
        self.count_into(&mut h);
        h
    }
}

impl KpiPlan {
    /// Compile a request: check the options, cut the periods into slices, resolve market
    /// sizes. Bad options are errors naming the option.
    pub fn new(dataset: &Dataset, options: &KpiOptions) -> Result<KpiPlan> {
        let m = &dataset.master;
        if options.backlog_days <= Decimal::ZERO {
            return Err(Error::invalid_argument(
                "options.backlog_days",
                format!("must be positive, not {}", options.backlog_days),
            ));
        }
        if options.complaint_sla_hours < 0 {
            return Err(Error::invalid_argument(
                "options.complaint_sla_hours",
                format!("must not be negative, not {}", options.complaint_sla_hours),
            ));
        }
        if options.new_product_days < 0 {
            return Err(Error::invalid_argument(
                "options.new_product_days",
                format!("must not be negative, not {}", options.new_product_days),
            ));
        }
        for (i, ms) in options.market_size.iter().enumerate() {
            if subject_code(dataset, &ms.subject).is_none() {
                return Err(Error::invalid_argument(
                    format!("options.market_size[{i}].subject.id"),
                    format!("no {:?} with id {:?}", ms.subject.kind, ms.subject.id),
                ));
            }
        }
        let periods = grain_periods(options)?;
        let as_of_end = options.as_of.add_days(1);
        // Boundaries of every span any period needs.
        let mut bounds = Vec::new();
        for p in &periods {
            let pp = previous_period(*p);
            let yp = year_earlier(*p);
            bounds.extend([p.start.0, p.end.0, pp.start.0, yp.start.0, yp.end.0]);
            if p.start < as_of_end && as_of_end < p.end {
                bounds.push(as_of_end.0);
            }
        }
        bounds.sort_unstable();
        bounds.dedup();
        let n_days = (bounds[bounds.len() - 1] - bounds[0]) as usize;
        if n_days > 4_000_000 {
            return Err(Error::invalid_argument(
                "options.grain",
                "the periods span more than 4,000,000 days",
            ));
        }
        let idx = |d: Date| -> u32 { bounds.partition_point(|&b| b < d.0) as u32 };
        let n_slices = bounds.len() - 1;
        let mut used = vec![false; n_slices];
        // Customer periods: reported periods and their previous periods, deduplicated.
        let mut cps: Vec<Period> = Vec::new();
        for p in &periods {
            cps.push(*p);
            cps.push(previous_period(*p));
        }
        cps.sort_unstable();
        cps.dedup();
        let cp_index = |p: Period| cps.binary_search(&p).map_or(NONE, |i| i as u32);
        let mut spans = Vec::with_capacity(periods.len());
        for p in &periods {
            let pp = previous_period(*p);
            let yp = year_earlier(*p);
            let elapsed = (as_of_end.0 - p.start.0).clamp(0, p.days());
            let so_far = (elapsed > 0).then(|| {
                let end = p.start.add_days(elapsed);
                (elapsed, (idx(p.start), idx(end)))
            });
            let s = Spans {
                cur: (idx(p.start), idx(p.end)),
                prev: (idx(pp.start), idx(pp.end)),
                yoy: (idx(yp.start), idx(yp.end)),
                prev_period: pp,
                yoy_period: yp,
                so_far,
                cp: cp_index(*p),
                cp_prev: cp_index(pp),
            };
            for r in [s.cur, s.prev, s.yoy] {
                used[r.0 as usize..r.1 as usize]
                    .iter_mut()
                    .for_each(|u| *u = true);
            }
            spans.push(s);
        }
        let mut cp_prev = vec![NONE; cps.len()];
        for s in &spans {
            cp_prev[s.cp as usize] = s.cp_prev;
        }
        let mut slice_cps = vec![Vec::new(); n_slices];
        for (ci, p) in cps.iter().enumerate() {
            for l in &mut slice_cps[idx(p.start) as usize..idx(p.end) as usize] {
                l.push(ci as u32);
            }
        }
        let mut slice_reqs = vec![Vec::new(); n_slices];
        for (pi, s) in spans.iter().enumerate() {
            for l in &mut slice_reqs[s.cur.0 as usize..s.cur.1 as usize] {
                l.push(pi as u32);
            }
        }
        let mut day_slice = vec![NONE; n_days];
        for (si, w) in bounds.windows(2).enumerate() {
            if used[si] {
                let (a, b) = ((w[0] - bounds[0]) as usize, (w[1] - bounds[0]) as usize);
                day_slice[a..b].iter_mut().for_each(|d| *d = si as u32);
            }
        }
        let (slice_cp_off, slice_cps) = flatten(slice_cps);
        let (slice_req_off, slice_reqs) = flatten(slice_reqs);

        let mut active = [false; 4];
        for k in &options.kinds {
            active[kind_index(*k)] = true;
        }
        let np = m.partners.len();
        let subjects = [m.channels.len(), np, m.territories.len(), m.products.len()];
        let mut leaves = subjects;
        leaves[PA] += 1;
        let tree_anc = |tree: &crate::tree::Tree, n: usize, rolled: bool| -> Anc {
            let lists = (0..n)
                .map(|c| {
                    if rolled {
                        tree.ancestors(c as u32).collect()
                    } else {
                        vec![c as u32]
                    }
                })
                .collect();
            let (off, list) = flatten(lists);
            Anc { off, list }
        };
        let mut anc = [
            tree_anc(&m.channels.tree, subjects[CH], true),
            tree_anc(&m.partners.tree, np, options.roll_up),
            tree_anc(&m.territories.tree, subjects[TE], true),
            {
                let (off, list) = flatten((0..subjects[PR] as u32).map(|c| vec![c]).collect());
                Anc { off, list }
            },
        ];
        // Direct sales: a partner leaf with no subject.
        let last = anc[PA].off.last().copied().unwrap_or(0);
        anc[PA].off.push(last);
        for k in 0..4 {
            if !active[k] {
                leaves[k] = 0;
                anc[k] = Anc::default();
            }
        }
        let launched: Vec<i32> = m
            .products
            .records()
            .iter()
            .map(|p| p.launched.map_or(i32::MIN, |d| d.0))
            .collect();
        let any_launch = launched.iter().any(|&d| d != i32::MIN);
        Ok(KpiPlan {
            options: options.clone(),
            periods,
            spans,
            bounds,
            day_slice,
            slice_cp_off,
            slice_cps,
            slice_req_off,
            slice_reqs,
            n_cp: cps.len(),
            cp_prev,
            active,
            leaves,
            subjects,
            anc,
            launched,
            any_launch,
        })
    }

    /// The reported periods, sorted.
    pub fn periods(&self) -> &[Period] {
        &self.periods
    }

    fn n_slices(&self) -> usize {
        self.bounds.len() - 1
    }

    /// The identity partial.
    pub fn empty_state(&self) -> KpiState {
        let ns = self.n_slices();
        KpiState {
            acc: std::array::from_fn(|k| vec![Acc::default(); self.leaves[k] * ns]),
            cust: std::array::from_fn(|k| {
                let n = if self.active[k] { self.subjects[k] } else { 0 };
                vec![Cust::default(); n * self.n_cp]
            }),
            first: i32::MAX,
            last: i32::MIN,
        }
    }

    #[inline]
    fn slice(&self, day: i32) -> u32 {
        let off = i64::from(day) - i64::from(self.bounds[0]);
        if off < 0 {
            return NONE;
        }
        self.day_slice.get(off as usize).copied().unwrap_or(NONE)
    }

    #[inline]
    fn counts_for_customers(&self, slice: u32) -> bool {
        let s = slice as usize;
        matches!((self.slice_cp_off.get(s), self.slice_cp_off.get(s + 1)), (Some(a), Some(b)) if a < b)
    }

    /// Add rows `rows` of a chunk to the line sums of a partial.
    pub fn add_lines(&self, state: &mut KpiState, chunk: &TxChunk, rows: Range<usize>) {
        self.add_rows(state, chunk, rows, None);
    }

    fn add_rows(
        &self,
        st: &mut KpiState,
        c: &TxChunk,
        rows: Range<usize>,
        mut recs: Option<&mut Records>,
    ) {
        let ns = self.n_slices();
        let hi = rows.end.min(c.len());
        let np = self.subjects[PA] as u32;
        let new_days = i64::from(self.options.new_product_days);
        let [a_ch, a_pa, a_te, a_pr] = &mut st.acc;
        let mut first = st.first;
        let mut last = st.last;
        for i in rows.start..hi {
            let d = c.date[i];
            first = first.min(d);
            last = last.max(d);
            let s = self.slice(d);
            if s == NONE {
                continue;
            }
            let s = s as usize;
            let amount = i128::from(c.amount[i]);
            let qty = c.quantity[i];
            let cost = c.cost_of(i);
            let product = c.product[i];
            let launched = self
                .launched
                .get(product as usize)
                .copied()
                .unwrap_or(i32::MIN);
            let age = i64::from(d) - i64::from(launched);
            let new = launched != i32::MIN && (0..=new_days).contains(&age);
            let q = i128::from(qty);
            if let Some(a) = a_ch.get_mut(c.channel[i] as usize * ns + s) {
                a.add_line(amount, q, cost, new);
            }
            if !a_pa.is_empty() {
                let p = c.partner[i];
                let p = if p == NONE { np } else { p };
                if let Some(a) = a_pa.get_mut(p as usize * ns + s) {
                    a.add_line(amount, q, cost, new);
                }
            }
            if let Some(a) = a_te.get_mut(c.territory[i] as usize * ns + s) {
                a.add_line(amount, q, cost, new);
            }
            if let Some(a) = a_pr.get_mut(product as usize * ns + s) {
                a.add_line(amount, q, cost, new);
            }
            if let Some(r) = recs.as_deref_mut()
                && qty >= 0
            {
                self.emit(r, c, i, s as u32);
            }
        }
        st.first = first;
        st.last = last;
    }

    /// Add the customer counts (distinct orders, buyers, repeat buyers, retained buyers) of
    /// the customers with codes in `customers`, reading every line of the data set.
    pub fn add_customers(&self, state: &mut KpiState, dataset: &Dataset, customers: Range<u32>) {
        let mut r = Records::new(self);
        for c in &dataset.transactions.chunks {
            for i in 0..c.len() {
                if customers.contains(&c.customer[i]) && c.quantity[i] >= 0 {
                    let s = self.slice(c.date[i]);
                    if s != NONE {
                        self.emit(&mut r, c, i, s);
                    }
                }
            }
        }
        let hist = r.histogram(dataset.master.customers.len());
        self.customer_part(state, &[r], customers, &hist);
    }

    /// Append the customer record of sale line `i` (in slice `s`), unless it repeats the
    /// previous record or names no subject.
    #[inline]
    fn emit(&self, r: &mut Records, c: &TxChunk, i: usize, s: u32) {
        if !self.counts_for_customers(s) {
            return;
        }
        let np = self.subjects[PA] as u32;
        let rec = &mut r.scratch;
        rec[0] = c.customer[i];
        rec[1] = c.order[i];
        rec[2] = s;
        let mut any = false;
        for (j, &k) in r.kinds.iter().enumerate() {
            let leaf = match k {
                CH => c.channel[i],
                PA => {
                    let p = c.partner[i];
                    if p == NONE { np } else { p }
                }
                TE => c.territory[i],
                _ => c.product[i],
            };
            any |= !self.anc[k].of(leaf).is_empty();
            rec[3 + j] = leaf;
        }
        let w = rec.len();
        if !any || (r.data.len() >= w && r.data[r.data.len() - w..] == rec[..]) {
            return;
        }
        r.data.extend_from_slice(rec);
    }

    /// The customer half for customers `lo..hi` from record streams; `hist` counts each
    /// customer's records over all streams.
    fn customer_part(
        &self,
        st: &mut KpiState,
        streams: &[Records],
        range: Range<u32>,
        hist: &[u32],
    ) {
        let lo = range.start as usize;
        let hi = (range.end as usize).min(hist.len());
        if lo >= hi {
            return;
        }
        let kinds: Vec<usize> = (0..4).filter(|&k| self.active[k]).collect();
        let width = 3 + kinds.len();
        // Records without the customer, grouped by customer (a counting sort).
        let stride = width - 1;
        let mut start = Vec::with_capacity(hi - lo + 1);
        let mut total = 0usize;
        for &n in &hist[lo..hi] {
            start.push(total);
            total += n as usize * stride;
        }
        start.push(total);
        let mut cursor = start.clone();
        let mut recs = vec![0u32; total];
        for r in streams {
            for rec in r.data.chunks_exact(width) {
                let cu = rec[0] as usize;
                if cu < lo || cu >= hi {
                    continue;
                }
                let k = cu - lo;
                let at = cursor[k];
                if at + stride > start[k + 1] {
                    continue;
                }
                recs[at..at + stride].copy_from_slice(&rec[1..]);
                cursor[k] = at + stride;
            }
        }
        let ncp = self.n_cp;
        #[derive(Clone, Copy)]
        struct Stamp {
            cust: u32,
            order: u32,
            n: u32,
        }
        let blank = Stamp {
            cust: NONE,
            order: NONE,
            n: 0,
        };
        let mut stamps: [Vec<Stamp>; 4] = std::array::from_fn(|k| vec![blank; st.cust[k].len()]);
        let mut touched: Vec<(usize, usize)> = Vec::new();
        let mut perm: Vec<(u32, usize)> = Vec::new();
        for k in 0..hi - lo {
            let (a, b) = (start[k], cursor[k]);
            if a == b {
                continue;
            }
            let cust = (lo + k) as u32;
            let rs = &recs[a..b];
            // Walk the records by order so that one order's records come together.
            perm.clear();
            perm.extend(rs.chunks_exact(stride).enumerate().map(|(i, r)| (r[0], i)));
            if !perm.is_sorted_by_key(|x| x.0) {
                perm.sort_unstable();
            }
            touched.clear();
            for &(_, ri) in &perm {
                let r = &rs[ri * stride..(ri + 1) * stride];
                let (order, slice) = (r[0], r[1]);
                let cps =
                    &self.slice_cps[slice_of(&self.slice_cp_off, &self.slice_cps, slice as usize)];
                for (j, &kk) in kinds.iter().enumerate() {
                    for &subj in self.anc[kk].of(r[2 + j]) {
                        for &cp in cps {
                            let i = subj as usize * ncp + cp as usize;
                            let (Some(sp), Some(cn)) =
                                (stamps[kk].get_mut(i), st.cust[kk].get_mut(i))
                            else {
                                continue;
                            };
                            if sp.cust != cust {
                                *sp = Stamp { cust, order, n: 1 };
                                cn.buyers += 1;
                                cn.orders += 1;
                                touched.push((kk, i));
                            } else if sp.order != order {
                                sp.order = order;
                                sp.n += 1;
                                cn.orders += 1;
                                if sp.n == 2 {
                                    cn.repeaters += 1;
                                }
                            }
                        }
                    }
                }
            }
            for &(kk, i) in &touched {
                let cp = i % ncp;
                let prev = self.cp_prev[cp];
                if prev == NONE {
                    continue;
                }
                let pi = i - cp + prev as usize;
                if stamps[kk].get(pi).is_some_and(|s| s.cust == cust)
                    && let Some(cn) = st.cust[kk].get_mut(i)
                {
                    cn.retained += 1;
                }
            }
        }
    }

    /// Run both halves over the data set on `threads` threads (0: one per core) and finish.
    pub fn run(&self, dataset: &Dataset, threads: usize) -> Result<KpiTable> {
        let state = self.state(dataset, threads)?;
        self.finish(dataset, &state)
    }

    /// Both halves, merged.
    pub fn state(&self, dataset: &Dataset, threads: usize) -> Result<KpiState> {
        let chunks = &dataset.transactions.chunks;
        let ranges = crate::transactions::split_rows(chunks, threads);
        let threads = ranges.len();
        let n_cust = dataset.master.customers.len();
        let lines_part = |r: &Vec<(usize, usize, usize)>| -> (KpiState, Records) {
            let mut st = self.empty_state();
            let mut recs = Records::new(self);
            for &(ci, lo, hi) in r {
                self.add_rows(&mut st, &chunks[ci], lo..hi, Some(&mut recs));
            }
            (st, recs)
        };
        let parts: Vec<(KpiState, Records)> = par_map(&ranges, threads, lines_part)?;
        let mut state = self.empty_state();
        let mut hist = vec![0u32; n_cust];
        let mut streams = Vec::with_capacity(parts.len());
        for (s, r) in parts {
            state.merge(&s);
            r.count_into(&mut hist);
            streams.push(r);
        }
        // Customer ranges of about equal numbers of records.
        let records: u64 = hist.iter().map(|&n| u64::from(n)).sum();
        let per = records.div_ceil(threads as u64).max(1);
        let mut cranges: Vec<Range<u32>> = Vec::new();
        let mut lo = 0usize;
        let mut acc = 0u64;
        for (c, &n) in hist.iter().enumerate() {
            acc += u64::from(n);
            if acc >= per && cranges.len() + 1 < threads {
                cranges.push(lo as u32..(c + 1) as u32);
                lo = c + 1;
                acc = 0;
            }
        }
        cranges.push(lo as u32..n_cust as u32);
        let cust_part = |r: &Range<u32>| -> KpiState {
            let mut st = self.empty_state();
            st.acc = Default::default();
            self.customer_part(&mut st, &streams, r.clone(), &hist);
            st
        };
        for s in par_map(&cranges, threads, cust_part)? {
            for k in 0..4 {
                for (a, b) in state.cust[k].iter_mut().zip(&s.cust[k]) {
                    a.merge(b);
                }
            }
        }
        Ok(state)
    }
}

/// Map `f` over `items` on up to `threads` scoped threads, results in item order.
fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Result<Vec<R>> {
    if threads <= 1 || items.len() <= 1 {
        return Ok(items.iter().map(f).collect());
    }
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items.iter().map(|it| s.spawn(move || f(it))).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| Error::invalid_argument("threads", "a worker thread panicked"))
            })
            .collect()
    })
}

fn subject_code(data: &Dataset, s: &Subject) -> Option<u32> {
    let m = &data.master;
    match s.kind {
        SubjectKind::Channel => m.channels.code(&s.id),
        SubjectKind::Partner => m.partners.code(&s.id),
        SubjectKind::Territory => m.territories.code(&s.id),
        SubjectKind::Product => m.products.code(&s.id),
    }
}

/// Amounts stated per period (targets, costs, market sizes) for one subject.
type Stated = Vec<(Period, i64)>;

/// The stated amount for `p`: the rows whose period lies inside `p`, when together they
/// cover `p` exactly (rows for the same period add up); `None` when they do not.
fn stated_for(rows: &[(Period, i64)], p: Period) -> Option<i128> {
    let mut inside: Vec<(Period, i64)> = rows
        .iter()
        .copied()
        .filter(|(q, _)| p.start <= q.start && q.end <= p.end)
        .collect();
    if inside.is_empty() {
        return None;
    }
    inside.sort_unstable();
    let mut at = p.start;
    let mut prev: Option<Period> = None;
    let mut sum = 0i128;
    for (q, v) in inside {
        sum += i128::from(v);
        if prev == Some(q) {
            continue;
        }
        if q.start != at {
            return None;
        }
        at = q.end;
        prev = Some(q);
    }
    (at == p.end).then_some(sum)
}

/// Operational sums of one subject in one reported period.
#[derive(Debug, Clone, Default)]
struct OpsAcc {
    complaints: u64,
    due: u64,
    in_sla: u64,
    scores: u64,
    score_sum: u64,
    deliveries_due: u64,
    on_time: u64,
    delivered: u64,
    cycle_days: i64,
    stock_counts: u64,
    /// Units on hand over all counts, and over the counts that are a backlog.
    stock_units: i128,
    backlog_units: i128,
    on_hand: i128,
    rate: Decimal,
    has_latest: bool,
}

impl KpiPlan {
    fn req_periods(&self, day: i32) -> &[u32] {
        let s = self.slice(day);
        if s == NONE {
            return &[];
        }
        &self.slice_reqs[slice_of(&self.slice_req_off, &self.slice_reqs, s as usize)]
    }

    /// Operational sums per kind, subject and reported period.
    fn ops(&self, data: &Dataset) -> [Vec<OpsAcc>; 4] {
        let np = self.periods.len();
        let mut out: [Vec<OpsAcc>; 4] = std::array::from_fn(|k| {
            let n = if self.active[k] { self.subjects[k] } else { 0 };
            vec![OpsAcc::default(); n * np]
        });
        let ops = &data.ops;
        let as_of_end = self.options.as_of.add_days(1);
        let as_of_secs = i64::from(as_of_end.0) * 86_400;
        let sla = self.options.complaint_sla_hours.saturating_mul(3600);
        // Subjects of an event: the partner's (rolled) and the channel's (rolled).
        let subjects = |partner: u32, channel: u32| {
            let p = if partner == NONE || !self.active[PA] {
                &[][..]
            } else {
                self.anc[PA].of(partner)
            };
            let c = if channel == NONE || !self.active[CH] {
                &[][..]
            } else {
                self.anc[CH].of(channel)
            };
            (p, c)
        };
        macro_rules! each {
            ($out:ident, $partner:expr, $channel:expr, $day:expr, |$a:ident| $body:block) => {{
                let (ps, cs) = subjects($partner, $channel);
                for &pi in self.req_periods($day) {
                    for &s in ps {
                        if let Some($a) = $out[PA].get_mut(s as usize * np + pi as usize) $body
                    }
                    for &s in cs {
                        if let Some($a) = $out[CH].get_mut(s as usize * np + pi as usize) $body
                    }
                }
            }};
        }
        for c in &ops.complaints {
            let opened = c.opened.0;
            let deadline = opened.saturating_add(sla);
            let in_sla = c.resolved.is_some_and(|r| r.0 <= deadline);
            // Not resolved and not yet due at as_of: pending, left out of the SLA share.
            let due = c.resolved.is_some() || deadline < as_of_secs;
            each!(out, c.partner, c.channel, c.opened.date().0, |a| {
                a.complaints += 1;
                if due {
                    a.due += 1;
                }
                if in_sla {
                    a.in_sla += 1;
                }
            });
        }
        for s in &ops.satisfaction {
            each!(out, s.partner, s.channel, s.date.0, |a| {
                a.scores += 1;
                a.score_sum += u64::from(s.score);
            });
        }
        for d in &ops.deliveries {
            let due = d.delivered.is_some() || d.promised < self.options.as_of;
            let on_time = d.delivered.is_some_and(|x| x <= d.promised);
            let cycle = d.delivered.map(|x| i64::from(x.0 - d.ordered.0));
            each!(out, d.partner, d.channel, d.ordered.0, |a| {
                if due {
                    a.deliveries_due += 1;
                }
                if on_time {
                    a.on_time += 1;
                }
                if let Some(days) = cycle {
                    a.delivered += 1;
                    a.cycle_days += days;
                }
            });
        }
        // Inventory: every count in the period for the backlog rate; the last count of each
        // (partner, product) in the period for the days of stock.
        let backlog_days = self.options.backlog_days;
        let mut latest: BTreeMap<(u32, u32, u32), (Date, i64, Decimal)> = BTreeMap::new();
        for s in &ops.inventory {
            let units = i128::from(s.on_hand.max(0));
            let over = if s.daily_sales_rate > Decimal::ZERO {
                backlog_days
                    .checked_mul(s.daily_sales_rate)
                    .is_some_and(|lim| Decimal::from(s.on_hand) > lim)
            } else {
                s.on_hand > 0
            };
            let ps: &[u32] = if self.active[PA] && s.partner != NONE {
                self.anc[PA].of(s.partner)
            } else {
                &[]
            };
            for &pi in self.req_periods(s.date.0) {
                for &p in ps {
                    if let Some(a) = out[PA].get_mut(p as usize * np + pi as usize) {
                        a.stock_counts += 1;
                        a.stock_units += units;
                        a.backlog_units += if over { units } else { 0 };
                    }
                }
                if self.active[PR]
                    && let Some(a) = out[PR].get_mut(s.product as usize * np + pi as usize)
                {
                    a.stock_counts += 1;
                    a.stock_units += units;
                    a.backlog_units += if over { units } else { 0 };
                }
                let key = (s.partner, s.product, pi);
                let cand = (s.date, s.on_hand, s.daily_sales_rate);
                match latest.get_mut(&key) {
                    Some(v) if *v >= cand => {}
                    Some(v) => *v = cand,
                    None => {
                        latest.insert(key, cand);
                    }
                }
            }
        }
        for ((partner, product, pi), (_, on_hand, rate)) in latest {
            let ps: &[u32] = if self.active[PA] && partner != NONE {
                self.anc[PA].of(partner)
            } else {
                &[]
            };
            let add = |a: &mut OpsAcc| {
                a.on_hand += i128::from(on_hand);
                a.rate += rate;
                a.has_latest = true;
            };
            for &p in ps {
                if let Some(a) = out[PA].get_mut(p as usize * np + pi as usize) {
                    add(a);
                }
            }
            if self.active[PR]
                && let Some(a) = out[PR].get_mut(product as usize * np + pi as usize)
            {
                add(a);
            }
        }
        out
    }

    /// Turn a merged partial into the table.
    pub fn finish(&self, data: &Dataset, st: &KpiState) -> Result<KpiTable> {
        let m = &data.master;
        let ns = self.n_slices();
        let exp = u32::from(m.currency.exponent);
        let ops = self.ops(data);
        let np = self.periods.len();
        // Stated amounts.
        let mut targets: FxHashMap<(usize, u32), Stated> = FxHashMap::default();
        for t in &data.ops.targets {
            if t.measure != Measure::Revenue {
                continue;
            }
            let k = match t.subject_kind {
                TargetSubject::Partner => PA,
                TargetSubject::Channel => CH,
            };
            targets
                .entry((k, t.subject))
                .or_default()
                .push((t.period, t.value));
        }
        let mut costs: FxHashMap<u32, Stated> = FxHashMap::default();
        for c in &data.ops.channel_costs {
            costs.entry(c.channel).or_default().push((c.period, c.cost));
        }
        let mut markets: FxHashMap<(usize, u32), Stated> = FxHashMap::default();
        for ms in &self.options.market_size {
            if let Some(code) = subject_code(data, &ms.subject) {
                markets
                    .entry((kind_index(ms.subject.kind), code))
                    .or_default()
                    .push((ms.period, ms.value));
            }
        }
        let covered = |p: Period| st.first <= st.last && p.start.0 <= st.last && p.end.0 > st.first;
        let mut table = KpiTable {
            periods: self.periods.clone(),
            values: BTreeMap::new(),
        };
        for k in 0..4 {
            if !self.active[k] {
                continue;
            }
            let kind = KINDS[k];
            let n_sub = self.subjects[k];
            // Roll leaf sums up to subjects.
            let mut rolled = vec![Acc::default(); n_sub * ns];
            let mut total = vec![Acc::default(); ns];
            for leaf in 0..self.leaves[k] {
                let row = &st.acc[k][leaf * ns..(leaf + 1) * ns];
                let subs = self.anc[k].of(leaf as u32);
                if k != PA || leaf < n_sub {
                    for (t, a) in total.iter_mut().zip(row) {
                        t.merge(a);
                    }
                }
                for &s in subs {
                    for (t, a) in rolled[s as usize * ns..(s as usize + 1) * ns]
                        .iter_mut()
                        .zip(row)
                    {
                        t.merge(a);
                    }
                }
            }
            let sum = |rows: &[Acc], (a, b): (u32, u32)| {
                let mut out = Acc::default();
                for x in &rows[a as usize..b as usize] {
                    out.merge(x);
                }
                out
            };
            for code in 0..n_sub {
                let id = match kind {
                    SubjectKind::Channel => m.channels.id(code as u32),
                    SubjectKind::Partner => m.partners.id(code as u32),
                    SubjectKind::Territory => m.territories.id(code as u32),
                    SubjectKind::Product => m.products.id(code as u32),
                };
                let rows = &rolled[code * ns..(code + 1) * ns];
                let mut per_period = BTreeMap::new();
                for (pi, (p, sp)) in self.periods.iter().zip(&self.spans).enumerate() {
                    let cur = sum(rows, sp.cur);
                    let cust = st.cust[k]
                        .get(code * self.n_cp + sp.cp as usize)
                        .copied()
                        .unwrap_or_default();
                    let cust_prev = (sp.cp_prev != NONE)
                        .then(|| st.cust[k].get(code * self.n_cp + sp.cp_prev as usize))
                        .flatten()
                        .copied()
                        .unwrap_or_default();
                    let o = ops[k].get(code * np + pi).cloned().unwrap_or_default();
                    let ctx = Ctx {
                        plan: self,
                        data,
                        code: code as u32,
                        period: *p,
                        cur: &cur,
                        prev: &sum(rows, sp.prev),
                        yoy: &sum(rows, sp.yoy),
                        so_far: sp.so_far.map(|(e, r)| (e, sum(rows, r))),
                        total: &sum(&total, sp.cur),
                        cust: &cust,
                        cust_prev: &cust_prev,
                        ops: &o,
                        exp,
                        covered: covered(*p),
                        prev_covered: covered(sp.prev_period),
                        yoy_covered: covered(sp.yoy_period),
                        targets: targets.get(&(k, code as u32)),
                        costs: &costs,
                        market: markets.get(&(k, code as u32)),
                    };
                    let mut values = BTreeMap::new();
                    for &kpi in Kpi::ALL {
                        let v = if applies(kind, kpi) {
                            ctx.value(kpi)?
                        } else {
                            missing(Missing::NotApplicable)
                        };
                        values.insert(kpi, v);
                    }
                    per_period.insert(*p, values);
                }
                table.values.insert(
                    Subject {
                        kind,
                        id: id.to_owned(),
                    },
                    per_period,
                );
            }
        }
        Ok(table)
    }
}

/// Everything one (subject, period) cell needs.
struct Ctx<'a> {
    plan: &'a KpiPlan,
    data: &'a Dataset,
    code: u32,
    period: Period,
    cur: &'a Acc,
    prev: &'a Acc,
    yoy: &'a Acc,
    so_far: Option<(i32, Acc)>,
    total: &'a Acc,
    cust: &'a Cust,
    cust_prev: &'a Cust,
    ops: &'a OpsAcc,
    exp: u32,
    covered: bool,
    prev_covered: bool,
    yoy_covered: bool,
    targets: Option<&'a Stated>,
    costs: &'a FxHashMap<u32, Stated>,
    market: Option<&'a Stated>,
}

impl Ctx<'_> {
    fn growth(&self, base: &Acc, covered: bool, what: &str) -> Result<KpiValue> {
        if !covered {
            return Ok(no_data(&format!("transactions of {what}")));
        }
        if base.revenue < 0 {
            return Ok(missing(Missing::Other {
                detail: format!("the revenue of {what} is negative"),
            }));
        }
        ratio(
            self.cur.revenue - base.revenue,
            base.revenue,
            &format!("revenue of {what}"),
        )
    }

    /// The channel cost of the subject's channel subtree in the period.
    fn channel_cost(&self) -> std::result::Result<i128, KpiValue> {
        let tree = &self.data.master.channels.tree;
        let mut found = false;
        let mut sum = 0i128;
        let mut codes: Vec<&u32> = self.costs.keys().collect();
        codes.sort_unstable();
        for &ch in codes {
            if !tree.is_within(ch, self.code) {
                continue;
            }
            let rows = &self.costs[&ch];
            if let Some((q, v)) = rows
                .iter()
                .find(|(q, v)| *v < 0 && self.period.start <= q.start && q.end <= self.period.end)
            {
                return Err(missing(Missing::Other {
                    detail: format!(
                        "the channel cost of {} for {q} is negative ({})",
                        self.data.master.channels.id(ch),
                        self.data.master.currency.format(*v)
                    ),
                }));
            }
            if let Some(v) = stated_for(rows, self.period) {
                found = true;
                sum += v;
            }
        }
        if found {
            Ok(sum)
        } else {
            Err(no_data("channel costs"))
        }
    }

    fn target(&self) -> std::result::Result<i128, KpiValue> {
        let Some(rows) = self.targets else {
            return Err(no_data("revenue targets"));
        };
        match stated_for(rows, self.period) {
            None => Err(no_data("revenue targets")),
            Some(t) if t < 0 => Err(missing(Missing::Other {
                detail: format!(
                    "the revenue target is negative ({})",
                    format_money(t, self.exp)
                ),
            })),
            Some(t) => Ok(t),
        }
    }

    fn value(&self, kpi: Kpi) -> Result<KpiValue> {
        let tx = |v: Result<KpiValue>| -> Result<KpiValue> {
            if self.covered {
                v
            } else {
                Ok(no_data("transactions"))
            }
        };
        let c = self.cur;
        let o = self.ops;
        let table_empty = |n: usize, what: &str| (n == 0).then(|| no_data(what));
        let ops = &self.data.ops;
        Ok(match kpi {
            Kpi::Revenue => tx(dec(c.revenue, self.exp, "revenue").map(KpiValue::Value))?,
            Kpi::Units => tx(dec(c.units, 0, "units").map(KpiValue::Value))?,
            Kpi::Orders => tx(Ok(KpiValue::Value(Decimal::from(self.cust.orders))))?,
            Kpi::GrowthPop => tx(self.growth(self.prev, self.prev_covered, "the previous period"))?,
            Kpi::GrowthYoy => tx(self.growth(self.yoy, self.yoy_covered, "a year earlier"))?,
            Kpi::ContributionRate => tx(ratio(c.revenue, self.total.revenue, "total revenue"))?,
            Kpi::TargetAttainment => match self.target() {
                Err(v) => v,
                Ok(t) => tx(ratio(c.revenue, t, "revenue target"))?,
            },
            Kpi::AttainmentAtPace => match (self.target(), &self.so_far) {
                (Err(v), _) => v,
                (Ok(_), None) => missing(Missing::Other {
                    detail: format!("the period has not started by {}", self.plan.options.as_of),
                }),
                (Ok(t), Some((elapsed, sf))) => tx(ratio(
                    sf.revenue * i128::from(self.period.days()),
                    t * i128::from(*elapsed),
                    "revenue target",
                ))?,
            },
            Kpi::MarketShare => match self.market.and_then(|r| stated_for(r, self.period)) {
                None => no_data("market size"),
                Some(v) if v < 0 => missing(Missing::Other {
                    detail: format!(
                        "the market size is negative ({})",
                        format_money(v, self.exp)
                    ),
                }),
                Some(v) => tx(ratio(c.revenue, v, "market size"))?,
            },
            Kpi::GrossMargin => {
                if c.cost_lines == 0 && c.lines > 0 {
                    no_data("cost of goods")
                } else {
                    tx(ratio(
                        c.cost_revenue - c.cost,
                        c.cost_revenue,
                        "revenue of lines with a cost",
                    ))?
                }
            }
            Kpi::ChannelCostRatio => match self.channel_cost() {
                Err(v) => v,
                Ok(cost) => tx(ratio(cost, c.revenue, "revenue"))?,
            },
            Kpi::Roi => match self.channel_cost() {
                Err(v) => v,
                Ok(_) if c.cost_lines < c.lines => missing(Missing::Other {
                    detail: format!(
                        "{} of {} lines have no cost of goods",
                        c.lines - c.cost_lines,
                        c.lines
                    ),
                }),
                Ok(cost) => tx(ratio(c.revenue - c.cost - cost, cost, "channel cost"))?,
            },
            Kpi::InventoryTurnoverDays => {
                if !o.has_latest {
                    no_data("inventory")
                } else if o.rate.is_zero() {
                    missing(Missing::ZeroDenominator {
                        what: "daily sales rate".into(),
                    })
                } else {
                    let on_hand = dec(o.on_hand, 0, "units on hand")?;
                    match on_hand.checked_div(o.rate) {
                        Some(d) => KpiValue::Value(round6(d)),
                        None => return Err(Error::overflow("inventory turnover days")),
                    }
                }
            }
            Kpi::BacklogRate => {
                if o.stock_counts == 0 {
                    no_data("inventory")
                } else {
                    ratio(o.backlog_units, o.stock_units, "units on hand")?
                }
            }
            Kpi::ComplaintRate => match table_empty(ops.complaints.len(), "complaints") {
                Some(v) => v,
                None => tx(ratio(
                    i128::from(o.complaints),
                    i128::from(self.cust.orders),
                    "orders",
                ))?,
            },
            Kpi::ComplaintsResolvedInSla => {
                if o.complaints == 0 {
                    no_data("complaints")
                } else {
                    ratio(i128::from(o.in_sla), i128::from(o.due), "complaints due")?
                }
            }
            Kpi::MeanSatisfaction => {
                if o.scores == 0 {
                    no_data("satisfaction")
                } else {
                    ratio(
                        i128::from(o.score_sum),
                        i128::from(o.scores),
                        "satisfaction scores",
                    )?
                }
            }
            Kpi::OnTimeDeliveryRate => {
                if o.deliveries_due == 0 && o.delivered == 0 {
                    no_data("deliveries")
                } else {
                    ratio(
                        i128::from(o.on_time),
                        i128::from(o.deliveries_due),
                        "deliveries due",
                    )?
                }
            }
            Kpi::OrderCycleTime => {
                if o.delivered == 0 {
                    no_data("deliveries")
                } else {
                    ratio(
                        i128::from(o.cycle_days),
                        i128::from(o.delivered),
                        "deliveries",
                    )?
                }
            }
            Kpi::RepeatPurchaseRate => tx(ratio(
                i128::from(self.cust.repeaters),
                i128::from(self.cust.buyers),
                "buying customers",
            ))?,
            Kpi::CustomerRetention => {
                if !self.prev_covered {
                    tx(Ok(no_data("transactions of the previous period")))?
                } else {
                    tx(ratio(
                        i128::from(self.cust.retained),
                        i128::from(self.cust_prev.buyers),
                        "buying customers of the previous period",
                    ))?
                }
            }
            Kpi::NewProductSellThrough => {
                if !self.plan.any_launch {
                    no_data("product launch dates")
                } else {
                    tx(ratio(c.new_revenue, c.revenue, "revenue"))?
                }
            }
        })
    }
}

fn format_money(v: i128, exp: u32) -> String {
    crate::money::format_minor(v, exp as u8)
}
