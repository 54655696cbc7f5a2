//! The compiled engine and its one pass over the lines.
//!
//! A program book is compiled against the master data once: ids become codes, filters become
//! bitsets over products, channels and territories (one bit per program), and every
//! (program, enrolled partner, contributing partner) becomes a *slot* with one bucket per
//! month. The pass then reads each line once, finds the slots of the line's partner (and the
//! customer programs), tests the program's bit in three bitsets and adds the line to the
//! slot's month bucket. Settlement works on the buckets alone.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::dataset::Dataset;
use crate::date::Date;
use crate::document::RuleDocument;
use crate::error::{Error, Result};
use crate::intern::{FxHashMap, NONE};
use crate::master::MasterData;
use crate::transactions::TxChunk;

use super::program::{
    Baseline, Beneficiary, Filter, LimitScope, PayTo, Payout, Program, ProgramBook, Shape,
    TreeVolume, VolumeMeasure, Warning,
};
use super::round::RoundingMode;
use super::shape::{Compiled, Units};
use super::stage::{Classes, Stage};
use super::{CustomerSegments, Inputs};

/// Sums of one slot in one month. Money in minor units, accumulated in `i128`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Bucket {
    /// Sales amount.
    pub gross: i128,
    /// Returned amount (≤ 0).
    pub returned: i128,
    /// Net cost of the lines that have one.
    pub cost: i128,
    /// Net units.
    pub quantity: i128,
    /// Sale lines.
    pub sales: u32,
    /// Return lines.
    pub returns: u32,
    /// Lines without a cost.
    pub no_cost: u32,
    /// Lines of the partner the selection left out.
    pub excluded: u32,
    /// Returns clawed back into this month from after the period.
    pub clawed_back: u32,
}

impl Bucket {
    pub(crate) fn add(&mut self, o: &Bucket) {
        self.gross += o.gross;
        self.returned += o.returned;
        self.cost += o.cost;
        self.quantity += o.quantity;
        self.sales += o.sales;
        self.returns += o.returns;
        self.no_cost += o.no_cost;
        self.excluded += o.excluded;
        self.clawed_back += o.clawed_back;
    }

    /// The measured volume (`None` for a margin with lines lacking a cost).
    pub fn measure(&self, m: VolumeMeasure) -> Option<i128> {
        match m {
            VolumeMeasure::NetRevenue => Some(self.gross + self.returned),
            VolumeMeasure::GrossRevenue => Some(self.gross),
            VolumeMeasure::Quantity => Some(self.quantity),
            VolumeMeasure::Margin => {
                (self.no_cost == 0).then_some(self.gross + self.returned - self.cost)
            }
        }
    }
}

/// A (program, enrolled, contributor) slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    pub program: u32,
    /// Partner or customer code of the enrolled beneficiary.
    pub enrolled: u32,
    /// Partner code whose lines feed the slot (the customer, for customer programs).
    pub contributor: u32,
    /// First bucket index.
    pub base: u32,
    /// First line-rate accumulator (NONE when not line-rounded).
    pub line_base: u32,
    /// First mix accumulator (NONE without a mix gate).
    pub mix_base: u32,
}

/// A program compiled against the data.
#[derive(Debug, Clone)]
pub(crate) struct Prog {
    pub shape: Compiled,
    pub units: Units,
    /// Month index of the first bucket (validity start less the baseline's look-back).
    pub m0: i32,
    /// Months of buckets.
    pub months: i32,
    /// First and last month of validity.
    pub valid: (i32, i32),
    /// Line rates as (numerator, denominator) of `rate × rate unit` (line rounding).
    pub line_rates: Vec<(i128, i128)>,
    /// Per-line cap in the payout unit.
    pub line_cap: Option<i128>,
    /// Per product: mix categories it counts for (bit per listed category).
    pub mix: Option<Vec<u64>>,
    pub mix_n: u32,
    /// Customer-segment filter, by segment code of the caller's assignment.
    pub segments: Option<Filter>,
    /// Customer programs: member tiers enrolled (empty with everyone).
    pub member_tiers: Vec<String>,
    /// Enrolled partners (codes), sorted by id.
    pub enrolled: Vec<u32>,
    /// Clawback window in days.
    pub clawback_days: i32,
    /// Per bucket month: the first day after its calculation period.
    pub period_end: Vec<i32>,
}

/// The compiled engine. Build once per book and master data; run any number of times.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) book: ProgramBook,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) progs: Vec<Prog>,
    pub(crate) slots: Vec<Slot>,
    /// Slots of each (program, enrolled partner), contiguous: first slot and count.
    account: FxHashMap<(u32, u32), (u32, u32)>,
    /// Slots fed by each partner's lines: `slot_list[slot_start[p]..slot_start[p + 1]]`.
    slot_start: Vec<u32>,
    slot_list: Vec<u32>,
    product_ok: Vec<u64>,
    channel_ok: Vec<u64>,
    territory_ok: Vec<u64>,
    /// Products, channels and territories grouped by how the programs select them.
    pub(crate) product_classes: Classes,
    pub(crate) channel_classes: Classes,
    pub(crate) territory_classes: Classes,
    pub(crate) words: usize,
    pub(crate) n_buckets: usize,
    pub(crate) n_line: usize,
    pub(crate) n_mix: usize,
    customer_progs: Vec<u32>,
    /// Programs whose selection names customer segments.
    segment_progs: Vec<u32>,
    /// Earliest and latest month any bucket covers.
    month_range: (i32, i32),
    max_clawback: i32,
}

fn bit(v: &[u64], words: usize, code: u32, prog: usize) -> bool {
    v[code as usize * words + prog / 64] >> (prog % 64) & 1 == 1
}

fn set(v: &mut [u64], words: usize, code: usize, prog: usize, on: bool) {
    let w = &mut v[code * words + prog / 64];
    if on {
        *w |= 1 << (prog % 64);
    } else {
        *w &= !(1 << (prog % 64));
    }
}

/// Resolve a list of ids, or fail naming the path of the unknown one.
fn codes(
    path: &str,
    ids: &[String],
    lookup: impl Fn(&str) -> Option<u32>,
    what: &str,
) -> Result<Vec<u32>> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            lookup(id).ok_or_else(|| {
                Error::document(format!("{path}[{i}]"), format!("unknown {what} {id:?}"))
            })
        })
        .collect()
}

/// Bitset of a tree filter: node selected when inside an include (or no includes) and not
/// inside an exclude.
fn tree_filter(
    out: &mut [u64],
    words: usize,
    prog: usize,
    n: usize,
    include: &[u32],
    exclude: &[u32],
    within: impl Fn(u32, u32) -> bool,
) {
    for c in 0..n {
        let code = c as u32;
        let inc = include.is_empty() || include.iter().any(|&a| within(code, a));
        let exc = exclude.iter().any(|&a| within(code, a));
        set(out, words, c, prog, inc && !exc);
    }
}

/// `rate × unit` as an integer fraction, for exact per-line rounding.
fn fraction(d: Decimal) -> Result<(i128, i128)> {
    let scale = d.scale();
    let den = 10i128
        .checked_pow(scale)
        .ok_or_else(|| Error::overflow("a line rate"))?;
    Ok((d.mantissa(), den))
}

/// `v × num / den` rounded by `mode`, in integers (sign-symmetric).
pub(crate) fn round_div(v: i128, num: i128, den: i128, mode: RoundingMode) -> Option<i128> {
    // The common case in 64 bits: several times faster than 128-bit arithmetic.
    if let (Ok(v), Ok(n), Ok(d)) = (i64::try_from(v), i64::try_from(num), u64::try_from(den))
        && let Some(p) = v.checked_mul(n)
        && d > 0
    {
        let a = p.unsigned_abs();
        let (q, r) = (a / d, a % d);
        let up = match mode {
            RoundingMode::Truncate => false,
            RoundingMode::AwayFromZero => r > 0,
            RoundingMode::HalfUp => r >= d - r,
            RoundingMode::HalfDown => r > d - r,
            RoundingMode::HalfEven => r > d - r || (r == d - r && q % 2 == 1),
        };
        let q = i128::from(q) + i128::from(up);
        return Some(if p < 0 { -q } else { q });
    }
    round_div_wide(v, num, den, mode)
}

/// [`round_div`] in 128 bits.
fn round_div_wide(v: i128, num: i128, den: i128, mode: RoundingMode) -> Option<i128> {
    let p = v.checked_mul(num)?;
    let neg = p < 0;
    let a = p.unsigned_abs();
    let d = den.unsigned_abs();
    // 64-bit division when both fit: the common case, and several times faster.
    let (q, r) = match (u64::try_from(a), u64::try_from(d)) {
        (Ok(a), Ok(d)) => (u128::from(a / d), u128::from(a % d)),
        _ => (a / d, a % d),
    };
    let up = match mode {
        RoundingMode::Truncate => false,
        RoundingMode::AwayFromZero => r > 0,
        RoundingMode::HalfUp => 2 * r >= d,
        RoundingMode::HalfDown => 2 * r > d,
        RoundingMode::HalfEven => 2 * r > d || (2 * r == d && q % 2 == 1),
    };
    let q = i128::try_from(q + u128::from(up)).ok()?;
    Some(if neg { -q } else { q })
}

impl Engine {
    /// Compile a validated book against the master data. Unknown partners, products,
    /// categories, channels or territories and a currency other than the data's are errors
    /// naming the field path.
    pub fn new(book: ProgramBook, master: &MasterData) -> Result<Engine> {
        book.validate()?;
        if book.currency != master.currency.code {
            return Err(Error::document(
                "currency",
                format!(
                    "the book counts in {} but the data is in {}",
                    book.currency, master.currency.code
                ),
            ));
        }
        let exponent = master.currency.exponent;
        let np = book.programs.len();
        let words = np.div_ceil(64).max(1);
        let n_products = master.products.len();
        let n_channels = master.channels.entities.len();
        let n_territories = master.territories.entities.len();
        let mut product_ok = vec![0u64; n_products * words];
        let mut channel_ok = vec![0u64; n_channels * words];
        let mut territory_ok = vec![0u64; n_territories * words];
        let mut progs = Vec::with_capacity(np);
        let mut customer_progs = Vec::new();
        let mut segment_progs = Vec::new();
        let partners = &master.partners;
        let n_partners = partners.entities.len();
        let mut month_range = (i32::MAX, i32::MIN);
        let mut max_clawback = 0;
        for (pi, prog) in book.programs.iter().enumerate() {
            let p = format!("programs[{pi}]");
            let sel = &prog.selection;
            let s = format!("{p}.selection");
            let products = |f: &[String], k: &str| {
                codes(
                    &format!("{s}.products.{k}"),
                    f,
                    |x| master.products.code(x),
                    "product",
                )
            };
            let inc = products(&sel.products.include, "include")?;
            let exc = products(&sel.products.exclude, "exclude")?;
            let cats = |f: &[String], k: &str| {
                codes(
                    &format!("{s}.categories.{k}"),
                    f,
                    |x| master.categories.entities.code(x),
                    "category",
                )
            };
            let cinc = cats(&sel.categories.include, "include")?;
            let cexc = cats(&sel.categories.exclude, "exclude")?;
            let ctree = &master.categories.tree;
            for prod in 0..n_products {
                let code = prod as u32;
                let cat = master.products.category(code);
                let ok = (inc.is_empty() || inc.contains(&code))
                    && !exc.contains(&code)
                    && (cinc.is_empty() || cinc.iter().any(|&a| ctree.is_within(cat, a)))
                    && !cexc.iter().any(|&a| ctree.is_within(cat, a));
                set(&mut product_ok, words, prod, pi, ok);
            }
            let chans = |f: &[String], k: &str| {
                codes(
                    &format!("{s}.channels.{k}"),
                    f,
                    |x| master.channels.entities.code(x),
                    "channel",
                )
            };
            let (chi, che) = (
                chans(&sel.channels.include, "include")?,
                chans(&sel.channels.exclude, "exclude")?,
            );
            tree_filter(
                &mut channel_ok,
                words,
                pi,
                n_channels,
                &chi,
                &che,
                |a, b| master.channels.tree.is_within(a, b),
            );
            let terrs = |f: &[String], k: &str| {
                codes(
                    &format!("{s}.territories.{k}"),
                    f,
                    |x| master.territories.entities.code(x),
                    "territory",
                )
            };
            let (ti, te) = (
                terrs(&sel.territories.include, "include")?,
                terrs(&sel.territories.exclude, "exclude")?,
            );
            tree_filter(
                &mut territory_ok,
                words,
                pi,
                n_territories,
                &ti,
                &te,
                |a, b| master.territories.tree.is_within(a, b),
            );
            let segments =
                (!sel.customer_segments.is_open()).then(|| sel.customer_segments.clone());
            if segments.is_some() {
                segment_progs.push(pi as u32);
            }
            let mix = match &prog.gates.mix {
                Some(m) => {
                    let cs = codes(
                        &format!("{p}.gates.mix.categories"),
                        &m.categories,
                        |x| master.categories.entities.code(x),
                        "category",
                    )?;
                    Some(
                        (0..n_products)
                            .map(|prod| {
                                let cat = master.products.category(prod as u32);
                                cs.iter().enumerate().fold(0u64, |acc, (k, &c)| {
                                    if ctree.is_within(cat, c) {
                                        acc | 1 << k
                                    } else {
                                        acc
                                    }
                                })
                            })
                            .collect(),
                    )
                }
                None => None,
            };
            let units = Units::new(prog.measure, prog.payout == Payout::Points, exponent);
            let shape = Compiled::new(&prog.shape, units)?;
            let line_rates = if prog.rounding.point == super::program::RoundingPoint::Line {
                let unit = match prog.shape {
                    Shape::PerUnit { .. } => Decimal::ONE,
                    _ => units.rate,
                };
                let raw = match &shape {
                    Compiled::PerUnit { amount } => vec![*amount],
                    other => other.line_rates(),
                };
                raw.into_iter()
                    .map(|r| {
                        let eff = r
                            .checked_mul(unit)
                            .ok_or_else(|| Error::overflow("a line rate"))?;
                        fraction(eff.normalize())
                    })
                    .collect::<Result<Vec<_>>>()?
            } else {
                Vec::new()
            };
            let mut line_cap = None;
            for (li, l) in prog.limits.iter().enumerate() {
                if l.scope == LimitScope::Line
                    && let Some(m) = l.max
                {
                    let v = m
                        .checked_mul(units.amount)
                        .ok_or_else(|| Error::overflow("a cap"))?;
                    if v.fract() != Decimal::ZERO {
                        return Err(Error::document(
                            format!("{p}.limits[{li}].max"),
                            format!("{m} has more decimals than the currency's minor unit"),
                        ));
                    }
                    line_cap = v.to_i128();
                }
            }
            let lookback = match &prog.shape {
                Shape::Growth { baseline, .. } => match baseline {
                    Baseline::SamePeriodLastYear => 12,
                    Baseline::PreviousPeriod => {
                        prog.calendar.period.months().unwrap_or_else(|| {
                            prog.valid_to.month_index() - prog.valid_from.month_index() + 1
                        })
                    }
                },
                _ => 0,
            };
            let valid = (prog.valid_from.month_index(), prog.valid_to.month_index());
            let m0 = valid.0 - lookback;
            month_range = (month_range.0.min(m0), month_range.1.max(valid.1));
            max_clawback = max_clawback.max(prog.returns.clawback_days as i32);
            // Enrolment.
            let pa = &prog.participants;
            let mut enrolled = Vec::new();
            if prog.beneficiary == Beneficiary::Partner {
                let pp = format!("{p}.participants");
                let ids = codes(
                    &format!("{pp}.partners"),
                    &pa.partners,
                    |x| partners.code(x),
                    "partner",
                )?;
                let under = codes(
                    &format!("{pp}.under"),
                    &pa.under,
                    |x| partners.code(x),
                    "partner",
                )?;
                let terr = codes(
                    &format!("{pp}.territories"),
                    &pa.territories,
                    |x| master.territories.entities.code(x),
                    "territory",
                )?;
                let ch = codes(
                    &format!("{pp}.channels"),
                    &pa.channels,
                    |x| master.channels.entities.code(x),
                    "channel",
                )?;
                for (gi, g) in pa.grades.iter().enumerate() {
                    if !partners.records().iter().any(|r| &r.grade == g) {
                        return Err(Error::document(
                            format!("{pp}.grades[{gi}]"),
                            format!("no partner has grade {g:?}"),
                        ));
                    }
                }
                for code in 0..n_partners as u32 {
                    let rec = &partners.records()[code as usize];
                    let ok = (ids.is_empty() || ids.contains(&code))
                        && (pa.grades.is_empty() || pa.grades.contains(&rec.grade))
                        && (pa.models.is_empty() || pa.models.contains(&rec.model))
                        && (terr.is_empty()
                            || partners.grants(code).iter().any(|&(t, _)| {
                                terr.iter()
                                    .any(|&a| master.territories.tree.is_within(t, a))
                            }))
                        && (ch.is_empty() || {
                            let c = partners.channel(code);
                            c != NONE && ch.iter().any(|&a| master.channels.tree.is_within(c, a))
                        })
                        && (under.is_empty()
                            || under
                                .iter()
                                .any(|&a| a != code && partners.tree.is_within(code, a)));
                    if ok {
                        enrolled.push(code);
                    }
                }
                enrolled.sort_by(|&a, &b| partners.id(a).cmp(partners.id(b)));
            } else {
                customer_progs.push(pi as u32);
            }
            progs.push(Prog {
                shape,
                units,
                m0,
                months: valid.1 - m0 + 1,
                valid,
                line_rates,
                line_cap,
                mix_n: prog
                    .gates
                    .mix
                    .as_ref()
                    .map_or(0, |m| m.categories.len() as u32),
                mix,
                segments,
                member_tiers: pa.member_tiers.clone(),
                enrolled,
                clawback_days: prog.returns.clawback_days as i32,
                period_end: Vec::new(),
            });
            let pi = progs.len() - 1;
            let ends: Vec<i32> = (m0..=valid.1)
                .map(|m| {
                    let (_, end) = period_months(&progs[pi], prog, m);
                    Date::from_month_index(end + 1).0
                })
                .collect();
            progs[pi].period_end = ends;
        }
        // Slots.
        let mut slots = Vec::new();
        let (mut n_buckets, mut n_line, mut n_mix) = (0usize, 0usize, 0usize);
        for (pi, prog) in book.programs.iter().enumerate() {
            let cp = &progs[pi];
            for &e in &cp.enrolled {
                let mut contributors = vec![e];
                if prog.participants.volume == TreeVolume::WithDescendants {
                    for d in 0..n_partners as u32 {
                        if d != e && partners.tree.is_within(d, e) {
                            contributors.push(d);
                        }
                    }
                    contributors.sort_by(|&a, &b| partners.id(a).cmp(partners.id(b)));
                }
                for d in contributors {
                    let months = cp.months as usize;
                    let slot = Slot {
                        program: pi as u32,
                        enrolled: e,
                        contributor: d,
                        base: u32::try_from(n_buckets)
                            .map_err(|_| Error::overflow("rebate slots"))?,
                        line_base: if cp.line_rates.is_empty() {
                            NONE
                        } else {
                            n_line as u32
                        },
                        mix_base: if cp.mix.is_none() { NONE } else { n_mix as u32 },
                    };
                    n_buckets += months;
                    n_line += months * cp.line_rates.len();
                    n_mix += months * cp.mix_n as usize;
                    slots.push(slot);
                }
            }
        }
        if n_buckets > (1 << 31) {
            return Err(Error::invalid_argument(
                "book",
                "more than 2^31 partner-month buckets; split the book",
            ));
        }
        let mut account: FxHashMap<(u32, u32), (u32, u32)> = FxHashMap::default();
        for (s, slot) in slots.iter().enumerate() {
            account
                .entry((slot.program, slot.enrolled))
                .or_insert((s as u32, 0))
                .1 += 1;
        }
        let mut per_partner: Vec<Vec<u32>> = vec![Vec::new(); n_partners];
        for (s, slot) in slots.iter().enumerate() {
            per_partner[slot.contributor as usize].push(s as u32);
        }
        let mut slot_start = Vec::with_capacity(n_partners + 1);
        let mut slot_list = Vec::with_capacity(slots.len());
        slot_start.push(0u32);
        for v in &per_partner {
            slot_list.extend_from_slice(v);
            slot_start.push(slot_list.len() as u32);
        }
        let warnings = book.warnings();
        // A product's class also carries its mix bits, so a cell knows its mix categories.
        let mix_progs: Vec<&Vec<u64>> = progs.iter().filter_map(|p| p.mix.as_ref()).collect();
        let product_classes = Classes::new(n_products, words, |e| {
            let mut k = product_ok[e * words..(e + 1) * words].to_vec();
            k.extend(mix_progs.iter().map(|m| m[e]));
            k
        });
        let channel_classes = Classes::new(n_channels, words, |e| {
            channel_ok[e * words..(e + 1) * words].to_vec()
        });
        let territory_classes = Classes::new(n_territories, words, |e| {
            territory_ok[e * words..(e + 1) * words].to_vec()
        });
        Ok(Engine {
            book,
            warnings,
            progs,
            slots,
            account,
            slot_start,
            slot_list,
            words,
            product_ok,
            channel_ok,
            territory_ok,
            product_classes,
            channel_classes,
            territory_classes,
            n_buckets,
            n_line,
            n_mix,
            customer_progs,
            segment_progs,
            month_range,
            max_clawback,
        })
    }

    /// The slots of one (program, enrolled partner) account.
    pub(crate) fn account_slots(&self, program: u32, enrolled: u32) -> &[Slot] {
        match self.account.get(&(program, enrolled)) {
            Some(&(first, n)) => &self.slots[first as usize..(first + n) as usize],
            None => &[],
        }
    }

    /// The slots a partner's lines feed.
    pub(crate) fn partner_slots(&self, partner: u32) -> impl Iterator<Item = &Slot> {
        let p = partner as usize;
        let range = match (self.slot_start.get(p), self.slot_start.get(p + 1)) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        };
        self.slot_list[range]
            .iter()
            .map(|&s| &self.slots[s as usize])
    }

    /// The book the engine was built from.
    pub fn book(&self) -> &ProgramBook {
        &self.book
    }

    /// Warnings found on the book (see [`ProgramBook::warnings`]).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Partner codes enrolled in a program (sorted by partner id).
    pub fn enrolled(&self, program: usize) -> &[u32] {
        self.progs.get(program).map_or(&[], |p| &p.enrolled)
    }

    /// Whether line `i` of `c` passes program `prog`'s selection.
    #[inline]
    fn selected(&self, prog: usize, c: &TxChunk, i: usize, seg: &SegmentBits) -> bool {
        let w = self.words;
        bit(&self.product_ok, w, c.product[i], prog)
            && bit(&self.channel_ok, w, c.channel[i], prog)
            && bit(&self.territory_ok, w, c.territory[i], prog)
            && seg.ok(prog, c.customer[i])
    }
}

/// Per program with a segment filter: which customers pass.
pub(crate) struct SegmentBits {
    /// Program → index into `pass`, or NONE.
    index: Vec<u32>,
    pass: Vec<Vec<bool>>,
}

impl SegmentBits {
    fn ok(&self, prog: usize, customer: u32) -> bool {
        match self.index[prog] {
            NONE => true,
            k => self.pass[k as usize]
                .get(customer as usize)
                .copied()
                .unwrap_or(false),
        }
    }
}

/// The partial state of one partition of lines: buckets, per-line rate accumulators, mix
/// volumes, customer-program buckets and the returns waiting for their sale's day.
/// [`Partial::merge`] adds two partitions; the result does not depend on how the lines were
/// split.
#[derive(Debug, Clone, Default)]
pub struct Partial {
    pub(crate) buckets: Vec<Bucket>,
    pub(crate) line: Vec<i128>,
    pub(crate) mix: Vec<i128>,
    /// Customer programs: (program, customer, month) → bucket, line accumulators, mix.
    pub(crate) customers: FxHashMap<(u32, u32, i32), CustomerCell>,
    /// Returns naming an original order: (chunk, row).
    pub(crate) pending: Vec<(u32, u32)>,
    /// Referral volume per (program, referral index).
    pub(crate) referral: FxHashMap<(u32, u32), i128>,
    /// Lines read, and lines outside every program's months or after the as-of date.
    pub(crate) lines_read: u64,
    pub(crate) lines_skipped: u64,
}

/// One customer-program cell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CustomerCell {
    pub bucket: Bucket,
    pub line: Vec<i128>,
    pub mix: Vec<i128>,
}

impl Partial {
    /// Add another partition's state.
    pub fn merge(&mut self, other: Partial) {
        if self.buckets.is_empty() {
            self.buckets = other.buckets;
            self.line = other.line;
            self.mix = other.mix;
        } else {
            for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
                a.add(b);
            }
            for (a, b) in self.line.iter_mut().zip(&other.line) {
                *a += b;
            }
            for (a, b) in self.mix.iter_mut().zip(&other.mix) {
                *a += b;
            }
        }
        for (k, v) in other.customers {
            let e = self.customers.entry(k).or_default();
            e.bucket.add(&v.bucket);
            add_vec(&mut e.line, &v.line);
            add_vec(&mut e.mix, &v.mix);
        }
        for (k, v) in other.referral {
            *self.referral.entry(k).or_default() += v;
        }
        self.pending.extend(other.pending);
        self.lines_read += other.lines_read;
        self.lines_skipped += other.lines_skipped;
    }
}

fn add_vec(a: &mut Vec<i128>, b: &[i128]) {
    if a.len() < b.len() {
        a.resize(b.len(), 0);
    }
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// The sale day of every order, for clawing returns back to their sale's period. Orders with
/// lines on several days keep the earliest.
pub(crate) struct SaleDays {
    dense: Vec<std::sync::atomic::AtomicI32>,
    sparse: std::sync::Mutex<FxHashMap<u32, i32>>,
}

impl SaleDays {
    fn new(orders: usize) -> SaleDays {
        SaleDays {
            dense: (0..orders)
                .map(|_| std::sync::atomic::AtomicI32::new(i32::MAX))
                .collect(),
            sparse: std::sync::Mutex::new(FxHashMap::default()),
        }
    }

    #[inline]
    fn record(&self, order: u32, day: i32) {
        if let Some(a) = self.dense.get(order as usize) {
            a.fetch_min(day, std::sync::atomic::Ordering::Relaxed);
        } else if let Ok(mut m) = self.sparse.lock() {
            let e = m.entry(order).or_insert(i32::MAX);
            *e = (*e).min(day);
        }
    }

    pub(crate) fn get(&self, order: u32) -> Option<i32> {
        let d = match self.dense.get(order as usize) {
            Some(a) => a.load(std::sync::atomic::Ordering::Relaxed),
            None => self
                .sparse
                .lock()
                .ok()
                .and_then(|m| m.get(&order).copied())
                .unwrap_or(i32::MAX),
        };
        (d != i32::MAX).then_some(d)
    }
}

/// Which programs a line is applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attribution {
    /// Every program (an ordinary line).
    All,
    /// A return put back into its sale month: programs whose clawback window holds it.
    Clawback,
    /// A return in its own month: programs that did not claw it back into this sale month.
    NotClawedBackFrom(i32),
}

/// What the pass needs besides the engine.
pub(crate) struct PassContext<'a> {
    pub dataset: &'a Dataset,
    pub segments: SegmentBits,
    /// Customers grouped by the segment filters they pass.
    pub segment_classes: Classes,
    /// Customer code → member-tier pass per customer program index.
    pub customer_ok: Vec<Vec<bool>>,
    /// Referred customer code → referral indexes.
    pub referred: FxHashMap<u32, Vec<u32>>,
    pub referrals: Vec<(u32, i32)>,
    pub sale_days: SaleDays,
    /// First day counted and first day after.
    pub days: (i32, i32),
}

impl Engine {
    pub(crate) fn context<'a>(
        &self,
        dataset: &'a Dataset,
        as_of: Date,
        inputs: &Inputs<'_>,
    ) -> Result<PassContext<'a>> {
        let master = &dataset.master;
        if master.currency.code != self.book.currency {
            return Err(Error::invalid_argument(
                "dataset",
                format!(
                    "the data is in {} but the book counts in {}",
                    master.currency.code, self.book.currency
                ),
            ));
        }
        let n_customers = master.customers.len();
        let mut index = vec![NONE; self.progs.len()];
        let mut pass = Vec::new();
        if !self.segment_progs.is_empty() {
            let Some(seg) = inputs.segments else {
                let p = self.segment_progs[0] as usize;
                return Err(Error::invalid_argument(
                    "segments",
                    format!(
                        "program {:?} selects by customer segment; pass the customers' segments",
                        self.book.programs[p].id
                    ),
                ));
            };
            for &p in &self.segment_progs {
                let Some(f) = &self.progs[p as usize].segments else {
                    continue;
                };
                index[p as usize] = pass.len() as u32;
                pass.push(segment_pass(seg, f, master, n_customers));
            }
        }
        let mut customer_ok = Vec::new();
        for &p in &self.customer_progs {
            let prog = &self.progs[p as usize];
            let everyone = self.book.programs[p as usize].participants.everyone;
            customer_ok.push(
                (0..n_customers as u32)
                    .map(|c| {
                        everyone
                            || master
                                .customers
                                .member_tier(c)
                                .is_some_and(|t| prog.member_tiers.iter().any(|m| m == t))
                    })
                    .collect(),
            );
        }
        let mut referred: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        let mut referrals = Vec::new();
        for (i, r) in inputs.referrals.iter().enumerate() {
            let code = |id: &str, what: &str| {
                master.customers.code(id).ok_or_else(|| {
                    Error::invalid_argument(
                        format!("referrals[{i}].{what}"),
                        format!("unknown customer {id:?}"),
                    )
                })
            };
            let referrer = code(&r.referrer, "referrer")?;
            let new = code(&r.referred, "referred")?;
            if referrer == new {
                return Err(Error::invalid_argument(
                    format!("referrals[{i}]"),
                    "a customer cannot refer themself",
                ));
            }
            if referred.contains_key(&new) {
                return Err(Error::invalid_argument(
                    format!("referrals[{i}].referred"),
                    format!("{:?} is referred twice", r.referred),
                ));
            }
            referred.insert(new, vec![i as u32]);
            referrals.push((referrer, r.date.0));
        }
        let (m0, m1) = self.month_range;
        let first = Date::from_month_index(m0).0;
        let after = Date::from_month_index(m1 + 1).0 + self.max_clawback;
        let words = self.words;
        let segment_classes = if pass.is_empty() {
            Classes::all(0, words)
        } else {
            Classes::new(n_customers, words, |c| {
                let mut k = vec![u64::MAX; words];
                for (pi, &ix) in index.iter().enumerate() {
                    if ix != NONE && !pass[ix as usize][c] {
                        k[pi / 64] &= !(1 << (pi % 64));
                    }
                }
                k
            })
        };
        Ok(PassContext {
            dataset,
            segment_classes,
            segments: SegmentBits { index, pass },
            customer_ok,
            referred,
            referrals,
            sale_days: SaleDays::new(dataset.transactions.orders.len()),
            days: (first, after.min(as_of.0 + 1)),
        })
    }

    pub(crate) fn empty_partial(&self) -> Partial {
        Partial {
            buckets: vec![Bucket::default(); self.n_buckets],
            line: vec![0; self.n_line],
            mix: vec![0; self.n_mix],
            ..Partial::default()
        }
    }

    /// The one pass over rows `lo..hi` of chunk `ci`. Partner programs go through the
    /// stage `sg` (see [`super::stage`]) unless it is `None`, then line by line.
    pub(crate) fn pass(
        &self,
        ctx: &PassContext<'_>,
        ci: usize,
        lo: usize,
        hi: usize,
        mut sg: Option<&mut Stage>,
        st: &mut Partial,
    ) -> Result<()> {
        let c = &ctx.dataset.transactions.chunks[ci];
        let (first, after) = ctx.days;
        let m_first = Date(first).month_index();
        // Month of each day in range.
        let months: Vec<i32> = (first..after).map(|d| Date(d).month_index()).collect();
        let has_orig = !c.original_order.is_empty();
        for i in lo..hi {
            st.lines_read += 1;
            let d = c.date[i];
            if d < first || d >= after {
                st.lines_skipped += 1;
                continue;
            }
            let q = c.quantity[i];
            if q >= 0 {
                ctx.sale_days.record(c.order[i], d);
            } else if has_orig && c.original_order[i] != NONE {
                st.pending.push((ci as u32, i as u32));
                continue;
            }
            let m = months[(d - first) as usize];
            debug_assert!(m >= m_first);
            match sg.as_deref_mut() {
                Some(sg) => {
                    let p = c.partner[i];
                    if self.partner_slots(p).next().is_some() {
                        self.stage_line(ctx, c, i, m, sg, st)?;
                    }
                    if !self.customer_progs.is_empty() {
                        self.apply_customers(ctx, c, i, m, Attribution::All, st)?;
                    }
                }
                None => self.apply(ctx, c, i, m, Attribution::All, st)?,
            }
        }
        Ok(())
    }

    /// Add line `i` to every slot it feeds, in month `m`.
    pub(crate) fn apply(
        &self,
        ctx: &PassContext<'_>,
        c: &TxChunk,
        i: usize,
        m: i32,
        attr: Attribution,
        st: &mut Partial,
    ) -> Result<()> {
        self.apply_partners(ctx, c, i, m, attr, st)?;
        self.apply_customers(ctx, c, i, m, attr, st)
    }

    /// The line as a bucket of its own.
    fn line_bucket(c: &TxChunk, i: usize, clawed: bool) -> Bucket {
        let amount = i128::from(c.amount[i]);
        let q = i128::from(c.quantity[i]);
        let cost = c.cost_of(i);
        let is_ret = q < 0;
        Bucket {
            gross: if is_ret { 0 } else { amount },
            returned: if is_ret { amount } else { 0 },
            cost: cost.map_or(0, i128::from),
            quantity: q,
            sales: u32::from(!is_ret),
            returns: u32::from(is_ret),
            no_cost: u32::from(cost.is_none()),
            excluded: 0,
            clawed_back: u32::from(clawed),
        }
    }

    fn takes(&self, attr: Attribution, pi: usize, m: i32, day: i32) -> bool {
        match attr {
            Attribution::All => true,
            Attribution::Clawback => self.clawback_applies(pi, m, day),
            Attribution::NotClawedBackFrom(sm) => !self.clawback_applies(pi, sm, day),
        }
    }

    /// Add line `i` to the partner slots it feeds, in month `m`.
    fn apply_partners(
        &self,
        ctx: &PassContext<'_>,
        c: &TxChunk,
        i: usize,
        m: i32,
        attr: Attribution,
        st: &mut Partial,
    ) -> Result<()> {
        let takes = |pi: usize| self.takes(attr, pi, m, c.date[i]);
        let p = c.partner[i];
        let amount = i128::from(c.amount[i]);
        let line = Self::line_bucket(c, i, attr == Attribution::Clawback);
        if p != NONE && (p as usize) + 1 < self.slot_start.len() {
            let (a, b) = (
                self.slot_start[p as usize] as usize,
                self.slot_start[p as usize + 1] as usize,
            );
            for &s in &self.slot_list[a..b] {
                let slot = self.slots[s as usize];
                let pi = slot.program as usize;
                let prog = &self.progs[pi];
                if !takes(pi) {
                    continue;
                }
                let rel = m - prog.m0;
                if rel < 0 || rel >= prog.months {
                    continue;
                }
                let bi = slot.base as usize + rel as usize;
                if !self.selected(pi, c, i, &ctx.segments) {
                    st.buckets[bi].excluded += 1;
                    continue;
                }
                st.buckets[bi].add(&line);
                if slot.line_base != NONE {
                    let n = prog.line_rates.len();
                    let off = slot.line_base as usize + rel as usize * n;
                    self.add_line(pi, &line, &mut st.line[off..off + n])?;
                }
                if let (Some(mix), true) = (&prog.mix, slot.mix_base != NONE) {
                    let n = prog.mix_n as usize;
                    let off = slot.mix_base as usize + rel as usize * n;
                    let bits = mix[c.product[i] as usize];
                    let v = line
                        .measure(self.book.programs[pi].measure)
                        .unwrap_or(amount);
                    for k in 0..n {
                        if bits >> k & 1 == 1 {
                            st.mix[off + k] += v;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Add line `i` to the customer programs it feeds, in month `m`.
    pub(crate) fn apply_customers(
        &self,
        ctx: &PassContext<'_>,
        c: &TxChunk,
        i: usize,
        m: i32,
        attr: Attribution,
        st: &mut Partial,
    ) -> Result<()> {
        if self.customer_progs.is_empty() {
            return Ok(());
        }
        let line = Self::line_bucket(c, i, attr == Attribution::Clawback);
        let amount = i128::from(c.amount[i]);
        let takes = |pi: usize| self.takes(attr, pi, m, c.date[i]);
        for (k, &pi) in self.customer_progs.iter().enumerate() {
            let pi = pi as usize;
            let prog = &self.progs[pi];
            let cust = c.customer[i];
            if !ctx.customer_ok[k]
                .get(cust as usize)
                .copied()
                .unwrap_or(false)
                || !self.selected(pi, c, i, &ctx.segments)
            {
                continue;
            }
            if !takes(pi) {
                continue;
            }
            if let Compiled::Referral { within_days, .. } = prog.shape {
                if let Some(refs) = ctx.referred.get(&cust) {
                    for &r in refs {
                        let start = ctx.referrals[r as usize].1;
                        let d = c.date[i];
                        if d >= start && d <= start + within_days as i32 {
                            let v = line.measure(self.book.programs[pi].measure).unwrap_or(0);
                            *st.referral.entry((pi as u32, r)).or_default() += v;
                        }
                    }
                }
                continue;
            }
            let rel = m - prog.m0;
            if rel < 0 || rel >= prog.months {
                continue;
            }
            let cell = st.customers.entry((pi as u32, cust, m)).or_default();
            cell.bucket.add(&line);
            if !prog.line_rates.is_empty() {
                cell.line.resize(prog.line_rates.len(), 0);
                self.add_line(pi, &line, &mut cell.line)?;
            }
            if let Some(mix) = &prog.mix {
                cell.mix.resize(prog.mix_n as usize, 0);
                let bits = mix[c.product[i] as usize];
                let v = line
                    .measure(self.book.programs[pi].measure)
                    .unwrap_or(amount);
                for (k, acc) in cell.mix.iter_mut().enumerate() {
                    if bits >> k & 1 == 1 {
                        *acc += v;
                    }
                }
            }
        }
        Ok(())
    }

    /// A clawed-back return feeds program `pi` only if it is dated after the end of the
    /// period of its sale month `m`, within the clawback window.
    fn clawback_applies(&self, pi: usize, m: i32, return_day: i32) -> bool {
        let prog = &self.progs[pi];
        let end = match prog.period_end.get((m - prog.m0) as usize) {
            Some(&e) if m >= prog.m0 => e,
            _ => self.period_end_day(pi, m),
        };
        return_day >= end && return_day < end + self.progs[pi].clawback_days
    }

    /// First day after the calculation period of program `pi` holding month `m`.
    pub(crate) fn period_end_day(&self, pi: usize, m: i32) -> i32 {
        let (_, end) = self.period_months(pi, m);
        Date::from_month_index(end + 1).0
    }

    /// First and last month of the calculation period of program `pi` holding month `m`
    /// (clipped to validity).
    pub(crate) fn period_months(&self, pi: usize, m: i32) -> (i32, i32) {
        period_months(&self.progs[pi], &self.book.programs[pi], m)
    }

    pub(crate) fn add_line(&self, pi: usize, line: &Bucket, acc: &mut [i128]) -> Result<()> {
        let prog = &self.progs[pi];
        let p = &self.book.programs[pi];
        let Some(v) = line.measure(p.measure) else {
            return Ok(());
        };
        for (k, &(num, den)) in prog.line_rates.iter().enumerate() {
            let mut r = round_div(v, num, den, p.rounding.mode)
                .ok_or_else(|| Error::overflow("a line rebate"))?;
            if let Some(cap) = prog.line_cap {
                r = r.clamp(-cap, cap);
            }
            acc[k] += r;
        }
        Ok(())
    }

    /// Resolve the pending returns of a merged state: each is added to the month of its sale
    /// for programs whose clawback window holds it, and to its own month for the others.
    ///
    /// A return that no program of its partner claws back is an ordinary line of its own
    /// month, and goes through the stage (when `staged`) like the pass's lines.
    pub(crate) fn resolve_pending(
        &self,
        ctx: &PassContext<'_>,
        st: &mut Partial,
        staged: bool,
    ) -> Result<()> {
        let mut pending = std::mem::take(&mut st.pending);
        pending.sort_unstable();
        let mut stage = if staged { self.stage_for(ctx) } else { None };
        let (first, _) = ctx.days;
        for &(ci, i) in &pending {
            let c = &ctx.dataset.transactions.chunks[ci as usize];
            let i = i as usize;
            let d = c.date[i];
            let own = Date(d).month_index();
            let sale = ctx.sale_days.get(c.original_order[i]).filter(|&s| s <= d);
            let sm = match sale {
                Some(s) if s >= first => Some(Date(s).month_index()),
                _ => None,
            };
            let clawed = sm.is_some_and(|sm| {
                self.partner_slots(c.partner[i])
                    .any(|sl| self.clawback_applies(sl.program as usize, sm, d))
            });
            match (sm, stage.as_mut()) {
                (Some(sm), _) if clawed => {
                    self.apply(ctx, c, i, sm, Attribution::Clawback, st)?;
                    self.apply(ctx, c, i, own, Attribution::NotClawedBackFrom(sm), st)?;
                }
                (sm, Some(sg)) => {
                    if self.partner_slots(c.partner[i]).next().is_some() {
                        self.stage_line(ctx, c, i, own, sg, st)?;
                    }
                    if let Some(sm) = sm {
                        self.apply_customers(ctx, c, i, sm, Attribution::Clawback, st)?;
                        let attr = Attribution::NotClawedBackFrom(sm);
                        self.apply_customers(ctx, c, i, own, attr, st)?;
                    } else {
                        self.apply_customers(ctx, c, i, own, Attribution::All, st)?;
                    }
                }
                (Some(sm), None) => {
                    self.apply(ctx, c, i, sm, Attribution::Clawback, st)?;
                    self.apply(ctx, c, i, own, Attribution::NotClawedBackFrom(sm), st)?;
                }
                (None, None) => self.apply(ctx, c, i, own, Attribution::All, st)?,
            }
        }
        if let Some(sg) = &mut stage {
            self.flush(sg, st);
        }
        Ok(())
    }

    /// A stage covering the pass's months (`None` when it covers no day).
    fn stage_for(&self, ctx: &PassContext<'_>) -> Option<Stage> {
        let (first, after) = ctx.days;
        (after > first).then(|| {
            let m_lo = Date(first).month_index();
            let m_hi = Date(after - 1).month_index();
            let dims = [
                self.product_classes.first.len(),
                self.channel_classes.first.len(),
                self.territory_classes.first.len(),
                ctx.segment_classes.first.len(),
            ];
            let partners = self.slot_start.len().saturating_sub(1);
            Stage::new(m_lo, (m_hi - m_lo + 1) as usize, partners, dims)
        })
    }

    /// Run the pass over the whole data set on `threads` threads (0 = all cores) and resolve
    /// the returns.
    pub(crate) fn run_pass(&self, ctx: &PassContext<'_>, threads: usize) -> Result<Partial> {
        self.run_pass_with(ctx, threads, true)
    }

    /// [`Engine::run_pass`], staged (the fast path) or line by line (the reference).
    pub(crate) fn run_pass_with(
        &self,
        ctx: &PassContext<'_>,
        threads: usize,
        staged: bool,
    ) -> Result<Partial> {
        let chunks = &ctx.dataset.transactions.chunks;
        let ranges = crate::transactions::split_rows(chunks, threads);
        let threads = ranges.len();
        let results: Vec<Result<Partial>> = if threads == 1 {
            vec![self.pass_ranges(ctx, &ranges[0], staged)]
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = ranges
                    .iter()
                    .map(|r| s.spawn(move || self.pass_ranges(ctx, r, staged)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(Error::invalid_argument(
                                "threads",
                                "a worker thread panicked",
                            ))
                        })
                    })
                    .collect()
            })
        };
        let mut st: Option<Partial> = None;
        for r in results {
            let p = r?;
            match &mut st {
                None => st = Some(p),
                Some(s) => s.merge(p),
            }
        }
        let mut st = st.unwrap_or_else(|| self.empty_partial());
        self.resolve_pending(ctx, &mut st, staged)?;
        Ok(st)
    }

    fn pass_ranges(
        &self,
        ctx: &PassContext<'_>,
        ranges: &[(usize, usize, usize)],
        staged: bool,
    ) -> Result<Partial> {
        let mut st = self.empty_partial();
        let mut stage = if staged { self.stage_for(ctx) } else { None };
        for &(ci, lo, hi) in ranges {
            self.pass(ctx, ci, lo, hi, stage.as_mut(), &mut st)?;
        }
        if let Some(sg) = &mut stage {
            self.flush(sg, &mut st);
        }
        Ok(st)
    }
}

/// First and last month of the calculation period of `program` holding month `m` (clipped
/// to validity).
fn period_months(prog: &Prog, program: &Program, m: i32) -> (i32, i32) {
    let (v0, v1) = prog.valid;
    match program.calendar.period.months() {
        None => (v0, v1),
        Some(len) => {
            let start = m - m.rem_euclid(len);
            (start.max(v0), (start + len - 1).min(v1))
        }
    }
}

fn segment_pass(seg: &CustomerSegments, f: &Filter, master: &MasterData, n: usize) -> Vec<bool> {
    let mut out = vec![false; n];
    for (id, name) in seg.pairs() {
        if let Some(c) = master.customers.code(id) {
            let inc = f.include.is_empty() || f.include.iter().any(|x| x == name);
            let exc = f.exclude.iter().any(|x| x == name);
            out[c as usize] = inc && !exc;
        }
    }
    if f.include.is_empty() {
        // Customers without a segment pass an exclude-only filter.
        let assigned: std::collections::HashSet<&str> = seg.pairs().map(|(id, _)| id).collect();
        for c in 0..n as u32 {
            if !assigned.contains(master.customers.id(c)) {
                out[c as usize] = true;
            }
        }
    }
    out
}

impl Program {
    /// Whether the program pays partners through a pooled tree split among contributors.
    pub fn pays_contributors(&self) -> bool {
        self.participants.volume == TreeVolume::WithDescendants
            && self.participants.pay_to == PayTo::Contributors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_64_bit_path_agrees_with_the_128_bit_path() {
        let modes = [
            RoundingMode::HalfUp,
            RoundingMode::HalfDown,
            RoundingMode::HalfEven,
            RoundingMode::Truncate,
            RoundingMode::AwayFromZero,
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            // xorshift: amounts up to ±2^40, rates as n / 10^k and n / odd.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = (x >> 24) as i128 - (1 << 39);
            let num = (x % 100_003) as i128;
            let den = [1i128, 10, 100, 1000, 10_000, 7, 999_983][(x % 7) as usize];
            for m in modes {
                assert_eq!(
                    round_div(v, num, den, m),
                    round_div_wide(v, num, den, m),
                    "{v} × {num}/{den} {m:?}"
                );
            }
        }
        // Beyond 64 bits the wide path answers.
        let big = 1i128 << 70;
        assert_eq!(round_div(big, 3, 2, RoundingMode::Truncate), Some(3 << 69));
    }

    #[test]
    fn integer_rounding_matches_decimal_rounding() {
        let modes = [
            RoundingMode::HalfUp,
            RoundingMode::HalfDown,
            RoundingMode::HalfEven,
            RoundingMode::Truncate,
            RoundingMode::AwayFromZero,
        ];
        for v in [-1005i128, -1000, -15, -5, 0, 5, 15, 25, 1005, 123_457] {
            for (num, den) in [(15i128, 1000i128), (1, 2), (3, 10), (7, 1)] {
                for m in modes {
                    let exact = Decimal::from_i128_with_scale(v * num, 0)
                        / Decimal::from_i128_with_scale(den, 0);
                    let want = m.round(exact).ok().map(i128::from);
                    assert_eq!(round_div(v, num, den, m), want, "{v} × {num}/{den} {m:?}");
                    assert_eq!(
                        round_div_wide(v, num, den, m),
                        want,
                        "{v} × {num}/{den} {m:?}"
                    );
                }
            }
        }
    }
}
