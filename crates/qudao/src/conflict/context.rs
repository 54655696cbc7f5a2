//! What every detector shares: resolved inputs, a dense price index, the authorisation matrix,
//! evidence lines, and the final pass over the findings (ids, repeats, resolutions, order).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::dataset::Dataset;
use crate::date::{Date, Period};
use crate::document::Label;
use crate::error::{Error, Result};
use crate::intern::NONE;
use crate::master::MasterData;
use crate::model::TerritoryLevel;
use crate::transactions::TxChunk;

use super::{
    Cause, CauseKind, ConflictInputs, ConflictPolicy, Detector, EvidenceLine, Finding, Resolution,
    Scanned,
};

/// Detectors whose findings against a partner are violations the escalation ladder applies to.
const VIOLATIONS: [Detector; 6] = [
    Detector::CrossRegion,
    Detector::DivertedGoods,
    Detector::BelowFloor,
    Detector::PromotionDepth,
    Detector::Undercutting,
    Detector::Vertical,
];

/// A customer's assignment, resolved to codes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Assigned {
    pub partner: u32,
    pub from: Date,
    /// Inclusive.
    pub to: Date,
}

/// A shipment, resolved to codes.
#[derive(Debug, Clone)]
pub(crate) struct ShipmentRow {
    pub batch: String,
    pub product: u32,
    pub partner: u32,
    pub date: Date,
    pub quantity: i64,
    pub ship_to: u32,
}

/// A sighting, resolved to codes.
#[derive(Debug, Clone)]
pub(crate) struct SightingRow {
    pub batch: String,
    pub date: Date,
    pub territory: u32,
    pub seller: u32,
    pub quantity: i64,
}

/// One resolved price interval of a (product, channel class, territory class) cell.
#[derive(Debug, Clone, Copy)]
struct Seg {
    from: i32,
    /// Inclusive.
    to: i32,
    retail: i64,
    floor: i64,
}

/// The price rule in force for every (product, channel, territory, day), resolved once.
///
/// A price rule names a channel or none, and a territory or none. Two channels no rule names
/// are priced alike, and a territory is priced like its deepest ancestor-or-self that some
/// rule names; so the cells are products × named channels (+1) × named territories (+1), each
/// holding the day intervals of the rule that [`crate::master::PriceList::lookup`] picks.
#[derive(Debug)]
struct PriceIndex {
    chan_class: Vec<u32>,
    terr_class: Vec<u32>,
    n_chan: usize,
    n_terr: usize,
    /// Cell `c` holds `segs[offsets[c]..offsets[c + 1]]`; empty when the index is too large.
    offsets: Vec<u32>,
    segs: Vec<Seg>,
    dense: bool,
}

/// More cells than this and prices are looked up line by line.
const MAX_CELLS: usize = 8_000_000;

impl PriceIndex {
    fn new(m: &MasterData) -> PriceIndex {
        let tree = &m.territories.tree;
        let n_products = m.products.len();
        let mut named_chan: Vec<u32> = Vec::new();
        let mut named_terr: Vec<u32> = Vec::new();
        for p in 0..n_products as u32 {
            for r in m.prices.rules(p) {
                if r.channel != NONE {
                    named_chan.push(r.channel);
                }
                if r.territory != NONE {
                    named_terr.push(r.territory);
                }
            }
        }
        named_chan.sort_unstable();
        named_chan.dedup();
        named_terr.sort_unstable();
        named_terr.dedup();
        let mut chan_class = vec![0u32; m.channels.len()];
        for (k, &c) in named_chan.iter().enumerate() {
            if let Some(x) = chan_class.get_mut(c as usize) {
                *x = k as u32 + 1;
            }
        }
        let terr_class: Vec<u32> = (0..m.territories.len() as u32)
            .map(|t| {
                std::iter::once(t)
                    .chain(tree.ancestors(t))
                    .find_map(|a| named_terr.binary_search(&a).ok())
                    .map_or(0, |k| k as u32 + 1)
            })
            .collect();
        let n_chan = named_chan.len() + 1;
        let n_terr = named_terr.len() + 1;
        let cells = n_products.saturating_mul(n_chan).saturating_mul(n_terr);
        let mut index = PriceIndex {
            chan_class,
            terr_class,
            n_chan,
            n_terr,
            offsets: Vec::new(),
            segs: Vec::new(),
            dense: cells <= MAX_CELLS,
        };
        if !index.dense {
            return index;
        }
        index.offsets.reserve(cells + 1);
        index.offsets.push(0);
        let mut breaks: Vec<i32> = Vec::new();
        for p in 0..n_products as u32 {
            let rules = m.prices.rules(p);
            breaks.clear();
            for r in rules {
                breaks.push(r.valid_from.0);
                breaks.push(r.valid_to.0.saturating_add(1));
            }
            breaks.sort_unstable();
            breaks.dedup();
            for cc in 0..n_chan {
                let channel = if cc == 0 { NONE } else { named_chan[cc - 1] };
                for tc in 0..n_terr {
                    let territory = if tc == 0 { NONE } else { named_terr[tc - 1] };
                    let start = index.segs.len();
                    for w in breaks.windows(2) {
                        let Some(r) = m.prices.lookup(tree, p, channel, territory, Date(w[0]))
                        else {
                            continue;
                        };
                        let seg = Seg {
                            from: w[0],
                            to: w[1] - 1,
                            retail: r.retail_price,
                            floor: r.floor_price,
                        };
                        let fresh = index.segs.len() == start;
                        match index.segs.last_mut() {
                            Some(last)
                                if !fresh
                                    && last.to.checked_add(1) == Some(seg.from)
                                    && last.retail == seg.retail
                                    && last.floor == seg.floor =>
                            {
                                last.to = seg.to;
                            }
                            _ => index.segs.push(seg),
                        }
                    }
                    index.offsets.push(index.segs.len() as u32);
                }
            }
        }
        index
    }

    #[inline]
    fn resolve(
        &self,
        m: &MasterData,
        product: u32,
        channel: u32,
        territory: u32,
        day: i32,
    ) -> Option<(i64, i64)> {
        if !self.dense {
            return m
                .prices
                .lookup(&m.territories.tree, product, channel, territory, Date(day))
                .map(|r| (r.retail_price, r.floor_price));
        }
        let cc = self.chan_class.get(channel as usize).copied().unwrap_or(0) as usize;
        let tc = self
            .terr_class
            .get(territory as usize)
            .copied()
            .unwrap_or(0) as usize;
        let cell = (product as usize * self.n_chan + cc) * self.n_terr + tc;
        let (lo, hi) = (
            *self.offsets.get(cell)? as usize,
            *self.offsets.get(cell + 1)? as usize,
        );
        self.segs[lo..hi]
            .iter()
            .find(|s| s.from <= day && day <= s.to)
            .map(|s| (s.retail, s.floor))
    }
}

/// Everything the detectors share for one run.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    pub data: &'a Dataset,
    pub policy: &'a ConflictPolicy,
    pub master: &'a MasterData,
    /// Worker threads asked for (0 = all cores).
    pub threads: usize,
    prices: PriceIndex,
    /// Bit `partner * n_terr + territory`: the partner may sell there.
    authorised: Vec<u64>,
    n_terr: usize,
    /// Per territory: partners with an exclusive grant covering it.
    exclusive: Vec<Vec<u32>>,
    /// Per customer: assignments (empty without any).
    pub assignments: Vec<Vec<Assigned>>,
    /// Whether any assignment was given.
    pub has_assignments: bool,
    pub shipments: Vec<ShipmentRow>,
    pub sightings: Vec<SightingRow>,
    /// Per partner: inventory snapshot indices into `data.ops.inventory`, by date.
    snapshots: Vec<Vec<u32>>,
    scanned: Scanned,
}

fn resolve_code(
    table: &str,
    row: usize,
    field: &str,
    what: &str,
    id: &str,
    code: Option<u32>,
) -> Result<u32> {
    code.ok_or_else(|| {
        Error::invalid_argument(
            format!("{table}[{row}].{field}"),
            format!("unknown {what} {id:?}"),
        )
    })
}

impl<'a> Context<'a> {
    pub fn new(
        data: &'a Dataset,
        policy: &'a ConflictPolicy,
        inputs: &ConflictInputs<'_>,
    ) -> Result<Context<'a>> {
        let m = &data.master;
        let tree = &m.territories.tree;
        let n_terr = m.territories.len();
        let n_part = m.partners.len();
        let mut authorised = vec![0u64; (n_part * n_terr).div_ceil(64)];
        let mut exclusive: Vec<Vec<u32>> = vec![Vec::new(); n_terr];
        for p in 0..n_part as u32 {
            for &(g, excl) in m.partners.grants(p) {
                for t in 0..n_terr as u32 {
                    if tree.is_within(t, g) {
                        let bit = p as usize * n_terr + t as usize;
                        authorised[bit / 64] |= 1 << (bit % 64);
                        if excl && !exclusive[t as usize].contains(&p) {
                            exclusive[t as usize].push(p);
                        }
                    }
                }
            }
        }
        let mut assignments: Vec<Vec<Assigned>> = Vec::new();
        if !inputs.assignments.is_empty() {
            assignments = vec![Vec::new(); m.customers.len()];
            for (i, a) in inputs.assignments.iter().enumerate() {
                let c = resolve_code(
                    "assignments",
                    i,
                    "customer",
                    "customer",
                    &a.customer,
                    m.customers.code(&a.customer),
                )?;
                let p = resolve_code(
                    "assignments",
                    i,
                    "partner",
                    "partner",
                    &a.partner,
                    m.partners.code(&a.partner),
                )?;
                let from = a.from.unwrap_or(Date(i32::MIN));
                let to = a.to.unwrap_or(Date(i32::MAX));
                if to < from {
                    return Err(Error::invalid_argument(
                        format!("assignments[{i}].to"),
                        format!("{to} is before from ({from})"),
                    ));
                }
                assignments[c as usize].push(Assigned {
                    partner: p,
                    from,
                    to,
                });
            }
        }
        let mut shipments = Vec::with_capacity(inputs.shipments.len());
        for (i, s) in inputs.shipments.iter().enumerate() {
            if s.batch.is_empty() {
                return Err(Error::invalid_argument(
                    format!("shipments[{i}].batch"),
                    "must not be empty",
                ));
            }
            if s.quantity <= 0 {
                return Err(Error::invalid_argument(
                    format!("shipments[{i}].quantity"),
                    format!("{} is not a positive quantity", s.quantity),
                ));
            }
            shipments.push(ShipmentRow {
                batch: s.batch.clone(),
                product: resolve_code(
                    "shipments",
                    i,
                    "product",
                    "product",
                    &s.product,
                    m.products.code(&s.product),
                )?,
                partner: resolve_code(
                    "shipments",
                    i,
                    "partner",
                    "partner",
                    &s.partner,
                    m.partners.code(&s.partner),
                )?,
                date: s.date,
                quantity: s.quantity,
                ship_to: match &s.ship_to {
                    Some(t) => resolve_code(
                        "shipments",
                        i,
                        "ship_to",
                        "territory",
                        t,
                        m.territories.code(t),
                    )?,
                    None => NONE,
                },
            });
        }
        let mut sightings = Vec::with_capacity(inputs.sightings.len());
        for (i, s) in inputs.sightings.iter().enumerate() {
            if s.quantity <= 0 {
                return Err(Error::invalid_argument(
                    format!("sightings[{i}].quantity"),
                    format!("{} is not a positive quantity", s.quantity),
                ));
            }
            sightings.push(SightingRow {
                batch: s.batch.clone(),
                date: s.date,
                territory: resolve_code(
                    "sightings",
                    i,
                    "territory",
                    "territory",
                    &s.territory,
                    m.territories.code(&s.territory),
                )?,
                seller: match &s.seller {
                    Some(p) => {
                        resolve_code("sightings", i, "seller", "partner", p, m.partners.code(p))?
                    }
                    None => NONE,
                },
                quantity: s.quantity,
            });
        }
        let inv = &data.ops.inventory;
        let mut snapshots: Vec<Vec<u32>> = vec![Vec::new(); n_part];
        for (i, s) in inv.iter().enumerate() {
            if let Some(v) = snapshots.get_mut(s.partner as usize) {
                v.push(i as u32);
            }
        }
        for v in &mut snapshots {
            v.sort_by_key(|&i| (inv[i as usize].date, inv[i as usize].product, i));
        }
        let mut scanned = Scanned::default();
        for c in &data.transactions.chunks {
            let returns = (0..c.len()).filter(|&i| c.is_return(i)).count() as u64;
            scanned.lines += c.len() as u64;
            scanned.return_lines += returns;
        }
        scanned.sale_lines = scanned.lines - scanned.return_lines;
        Ok(Context {
            data,
            policy,
            master: m,
            threads: inputs.threads,
            prices: PriceIndex::new(m),
            authorised,
            n_terr,
            exclusive,
            has_assignments: !inputs.assignments.is_empty(),
            assignments,
            shipments,
            sightings,
            snapshots,
            scanned,
        })
    }

    /// What the run read.
    pub fn scanned(&self) -> Scanned {
        self.scanned
    }

    /// The transaction chunks.
    pub fn chunks(&self) -> &'a [TxChunk] {
        &self.data.transactions.chunks
    }

    /// The rows split for the worker threads: per worker, runs of (chunk, first row, row
    /// after), in row order.
    pub fn ranges(&self) -> Vec<Vec<(usize, usize, usize)>> {
        crate::transactions::split_rows(self.chunks(), self.threads)
    }

    /// `f` over `items` on one thread each, results in order.
    pub fn par_map<T: Sync, R: Send>(
        &self,
        items: &[T],
        f: impl Fn(&T) -> R + Sync,
    ) -> Result<Vec<R>> {
        if items.len() <= 1 {
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

    /// The (retail, floor) price in force, minor units, or none when no rule is in force.
    #[inline]
    pub fn price(
        &self,
        product: u32,
        channel: u32,
        territory: u32,
        day: i32,
    ) -> Option<(i64, i64)> {
        self.prices
            .resolve(self.master, product, channel, territory, day)
    }

    /// Whether `partner` may sell in `territory` (a grant covers the territories within it).
    /// A line without a territory is never cross-region.
    #[inline]
    pub fn authorised(&self, partner: u32, territory: u32) -> bool {
        if territory == NONE || territory as usize >= self.n_terr {
            return true;
        }
        let bit = partner as usize * self.n_terr + territory as usize;
        self.authorised
            .get(bit / 64)
            .is_some_and(|w| w & (1 << (bit % 64)) != 0)
    }

    /// Partners with an exclusive grant covering `territory`.
    pub fn exclusive_holders(&self, territory: u32) -> &[u32] {
        self.exclusive
            .get(territory as usize)
            .map_or(&[], Vec::as_slice)
    }

    /// Whether `a` and `b` are in one line of the partner tree (equal, or one an ancestor of
    /// the other).
    pub fn same_line(&self, a: u32, b: u32) -> bool {
        let t = &self.master.partners.hierarchy.tree;
        t.is_within(a, b) || t.is_within(b, a)
    }

    /// The ancestor-or-self of `territory` at `level`, if it has one.
    pub fn territory_at(&self, territory: u32, level: TerritoryLevel) -> Option<u32> {
        if territory == NONE {
            return None;
        }
        let terr = &self.master.territories;
        std::iter::once(territory)
            .chain(terr.tree.ancestors(territory))
            .find(|&t| terr.get(t).is_some_and(|x| x.level == level))
    }

    /// Partner id, or none for [`NONE`].
    pub fn partner_id(&self, p: u32) -> Option<String> {
        (p != NONE).then(|| self.master.partners.id(p).to_string())
    }

    /// One evidence line.
    pub fn evidence_line(&self, chunk: usize, row: usize, reference: Option<i64>) -> EvidenceLine {
        let c = &self.chunks()[chunk];
        let m = self.master;
        let code_or_empty = |code: u32, f: &dyn Fn(u32) -> String| {
            if code == NONE { String::new() } else { f(code) }
        };
        EvidenceLine {
            order: self.data.transactions.order_id(c.order[row]),
            line: c.line[row],
            date: Date(c.date[row]),
            partner: self.partner_id(c.partner[row]),
            channel: code_or_empty(c.channel[row], &|x| m.channels.id(x).to_string()),
            customer: code_or_empty(c.customer[row], &|x| m.customers.id(x).to_string()),
            product: code_or_empty(c.product[row], &|x| m.products.id(x).to_string()),
            territory: code_or_empty(c.territory[row], &|x| m.territories.id(x).to_string()),
            quantity: c.quantity[row],
            unit_price: c.unit_price[row],
            amount: c.amount[row],
            reference_price: reference,
        }
    }

    /// Why a partner likely sold outside its territory: its inventory the month before
    /// `first_day`'s month. Overstock when a snapshot in that month shows more than
    /// `inventory.backlog_days` of cover of a product.
    pub fn cause(&self, partner: u32, first_day: Date) -> Cause {
        let inv = &self.data.ops.inventory;
        let month = Period::month_of(Date::from_month_index(first_day.month_index() - 1));
        let backlog = Decimal::from(self.policy.inventory.backlog_days);
        let in_month: Vec<&crate::ops::InventorySnapshot> = self
            .snapshots
            .get(partner as usize)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&i| &inv[i as usize])
            .filter(|s| month.contains(s.date))
            .collect();
        if in_month.is_empty() {
            return Cause {
                kind: CauseKind::Unknown,
                note: Label::new(
                    format!("no inventory snapshot in {month}"),
                    format!("{month} 无库存盘点数据"),
                ),
            };
        }
        let worst = in_month
            .iter()
            .filter_map(|s| cover_days(s.on_hand, s.daily_sales_rate).map(|c| (c, *s)))
            .filter(|(c, _)| *c > backlog)
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.product.cmp(&a.1.product)));
        match worst {
            Some((cover, s)) => {
                let product = self.master.products.id(s.product);
                let cover = cover.round_dp(0);
                Cause {
                    kind: CauseKind::Overstock,
                    note: Label::new(
                        format!(
                            "overstocked the month before: {product} {} units on hand, {cover} days of cover on {} (backlog above {backlog} days)",
                            s.on_hand, s.date
                        ),
                        format!(
                            "上月库存积压：{product} 库存 {} 件，可售 {cover} 天（{}，积压线 {backlog} 天）",
                            s.on_hand, s.date
                        ),
                    ),
                }
            }
            None => Cause {
                kind: CauseKind::NoOverstock,
                note: Label::new(
                    format!(
                        "stock was normal in {month} ({} snapshots, none above {backlog} days of cover): likely deliberate",
                        in_month.len()
                    ),
                    format!(
                        "{month} 库存正常（{} 次盘点均未超过 {backlog} 天）：疑似恶意窜货",
                        in_month.len()
                    ),
                ),
            },
        }
    }

    /// Ids, repeats, resolutions and order: run once over every detector's findings.
    ///
    /// Detectors fill everything but `repeats` (0) and, for violations against a partner,
    /// `resolution` (set here from the escalation ladder).
    pub fn finish(&self, findings: &mut [Finding]) {
        let mut windows: BTreeMap<(Detector, String), Vec<Date>> = BTreeMap::new();
        for f in findings.iter() {
            if let Some(p) = &f.partner {
                windows
                    .entry((f.detector, p.clone()))
                    .or_default()
                    .push(f.period.start);
            }
        }
        for v in windows.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        for f in findings.iter_mut() {
            let Some(p) = &f.partner else { continue };
            let starts = windows
                .get(&(f.detector, p.clone()))
                .map_or(&[][..], Vec::as_slice);
            f.repeats = starts.partition_point(|&d| d < f.period.start) as u32;
            if VIOLATIONS.contains(&f.detector) {
                f.resolution = self.policy.escalate(f.repeats, f.severity);
            }
        }
        findings.sort_by(|a, b| {
            (a.detector, a.period.start, a.period.end)
                .cmp(&(b.detector, b.period.start, b.period.end))
                .then_with(|| a.partner.cmp(&b.partner))
                .then_with(|| a.territory.cmp(&b.territory))
                .then_with(|| a.product.cmp(&b.product))
                .then_with(|| a.id.cmp(&b.id))
        });
        // Ids are unique by construction; keep them so if a detector ever repeats one.
        let mut seen: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        for f in findings.iter_mut() {
            let n = seen.entry(f.id.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                f.id = format!("{}#{}", f.id, n);
            }
        }
    }
}

/// `on_hand / daily_sales_rate`, or none when nothing sells.
pub(crate) fn cover_days(on_hand: i64, rate: Decimal) -> Option<Decimal> {
    if rate <= Decimal::ZERO {
        return None;
    }
    Decimal::from(on_hand).checked_div(rate)
}

/// The placeholder resolution detectors put on violations; [`Context::finish`] replaces it.
pub(crate) const PENDING: Resolution = Resolution::Warn;
