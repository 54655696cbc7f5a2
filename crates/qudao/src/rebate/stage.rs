//! Staging: the pass's fast path for partner programs.
//!
//! Adding every line straight to every slot it feeds costs one cache miss per slot per line
//! (a partner feeds a dozen or more slots, and the buckets of a large book do not fit in any
//! cache). But whether a line is selected by a program depends only on its product, channel,
//! territory and customer segment, so lines that agree on those *classes* feed exactly the
//! same slots. The pass therefore first adds each line to a small cell keyed by (partner,
//! product class, channel class, territory class, segment class, month), and spreads every
//! cell to its slots once at the end. The result is the same [`Partial`] as adding line by
//! line (`tests::staged_pass_equals_line_by_line` checks it): sums are exact integers, and
//! the per-line parts that do not add up linearly — per-line rounding and the mix volumes —
//! are computed per line, per program, in the cell.
//!
//! Classes are computed once per engine (products, channels, territories) and once per pass
//! (customer segments): two entities are in one class when every program treats them alike.

use crate::error::{Error, Result};
use crate::intern::{FxHashMap, NONE};
use crate::transactions::TxChunk;

use super::engine::{Bucket, Engine, Partial, PassContext};

/// Entities grouped by how the programs select them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Classes {
    /// Class of each entity code.
    pub of: Vec<u32>,
    /// Program bitset of each class (`words` per class).
    pub masks: Vec<u64>,
    /// One entity of each class (for the mix bits of products).
    pub first: Vec<u32>,
}

impl Classes {
    /// Group `n` entities by `key(code)`, whose first `words` words are the program bitset.
    pub(crate) fn new(n: usize, words: usize, key: impl Fn(usize) -> Vec<u64>) -> Classes {
        let mut index: FxHashMap<Vec<u64>, u32> = FxHashMap::default();
        let mut c = Classes::default();
        for e in 0..n {
            let k = key(e);
            let next = index.len() as u32;
            let id = *index.entry(k.clone()).or_insert_with(|| {
                c.masks.extend_from_slice(&k[..words]);
                c.first.push(e as u32);
                next
            });
            c.of.push(id);
        }
        c
    }

    /// Everything in one class whose programs all pass.
    pub(crate) fn all(n: usize, words: usize) -> Classes {
        Classes {
            of: vec![0; n],
            masks: vec![u64::MAX; words],
            first: vec![0],
        }
    }

    fn mask(&self, class: u32, words: usize) -> &[u64] {
        let a = class as usize * words;
        &self.masks[a..a + words]
    }
}

/// Sums of the lines of one cell in one month, in `i64` while they fit; a cell about to
/// overflow is spread to its slots first and restarted.
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    gross: i64,
    returned: i64,
    cost: i64,
    quantity: i64,
    sales: u32,
    returns: u32,
    no_cost: u32,
}

impl Cell {
    fn is_empty(&self) -> bool {
        self.sales == 0 && self.returns == 0
    }

    /// Add one line; `false` (and nothing added) when a sum would overflow.
    fn add(&mut self, amount: i64, quantity: i64, cost: Option<i64>) -> bool {
        let is_ret = quantity < 0;
        let (gross, returned) = if is_ret {
            (Some(self.gross), self.returned.checked_add(amount))
        } else {
            (self.gross.checked_add(amount), Some(self.returned))
        };
        let (Some(gross), Some(returned), Some(cost_sum), Some(q), Some(lines)) = (
            gross,
            returned,
            self.cost.checked_add(cost.unwrap_or(0)),
            self.quantity.checked_add(quantity),
            self.sales.checked_add(self.returns),
        ) else {
            return false;
        };
        if lines == u32::MAX {
            return false;
        }
        self.gross = gross;
        self.returned = returned;
        self.cost = cost_sum;
        self.quantity = q;
        self.sales += u32::from(!is_ret);
        self.returns += u32::from(is_ret);
        self.no_cost += u32::from(cost.is_none());
        true
    }

    fn bucket(&self) -> Bucket {
        Bucket {
            gross: i128::from(self.gross),
            returned: i128::from(self.returned),
            cost: i128::from(self.cost),
            quantity: i128::from(self.quantity),
            sales: self.sales,
            returns: self.returns,
            no_cost: self.no_cost,
            excluded: 0,
            clawed_back: 0,
        }
    }
}

/// A per-line accumulator a cell keeps for one program: its line rates, or its mix volume.
#[derive(Debug, Clone, Copy)]
struct Extra {
    program: u32,
    /// Offset in the group's accumulators.
    off: u32,
    /// Line-rate accumulators (0 without line rounding).
    rates: u32,
    /// Whether one mix-volume accumulator follows the rates.
    mix: bool,
}

/// The lines of one partner that every program treats alike.
#[derive(Debug, Clone)]
struct Group {
    partner: u32,
    /// Program bitset of the group's lines.
    mask: Vec<u64>,
    /// A product of the group's product class (for mix bits).
    product: u32,
    extras: Vec<Extra>,
    /// First accumulator of the group in each month's `acc`.
    acc_off: usize,
}

/// One thread's staging state.
pub(crate) struct Stage {
    index: FxHashMap<[u32; 5], u32>,
    /// Group of each (partner, classes) when that table is small: the key's dense position
    /// (see [`Stage::slot`]), NONE until seen. Empty when the hash map is used instead.
    dense: Vec<u32>,
    /// Class counts: products, channels, territories, segments.
    dims: [usize; 4],
    groups: Vec<Group>,
    /// First month staged.
    m_lo: i32,
    /// Per month: a cell per group.
    cells: Vec<Vec<Cell>>,
    /// Per month: the groups' per-line accumulators.
    acc: Vec<Vec<i128>>,
    acc_len: usize,
}

impl Stage {
    pub(crate) fn new(m_lo: i32, months: usize, partners: usize, dims: [usize; 4]) -> Stage {
        /// Entries of the dense table at most (1 MiB of group numbers).
        const DENSE_MAX: usize = 1 << 18;
        let size = dims
            .iter()
            .try_fold(partners, |a, &d| a.checked_mul(d))
            .filter(|&n| n <= DENSE_MAX);
        Stage {
            index: FxHashMap::default(),
            dense: size.map_or_else(Vec::new, |n| vec![NONE; n]),
            dims,
            groups: Vec::new(),
            m_lo,
            cells: vec![Vec::new(); months],
            acc: vec![Vec::new(); months],
            acc_len: 0,
        }
    }
}

impl Stage {
    /// The dense position of a key, if the table is dense.
    #[inline]
    fn slot(&self, key: &[u32; 5]) -> Option<usize> {
        if self.dense.is_empty() {
            return None;
        }
        let [d0, d1, d2, d3] = self.dims;
        let [p, a, b, c, d] = key.map(|k| k as usize);
        Some((((p * d0 + a) * d1 + b) * d2 + c) * d3 + d).filter(|&i| i < self.dense.len())
    }
}

impl Engine {
    /// Stage line `i` of `c` (a partner's line of month `m`, attributed to every program).
    #[inline]
    pub(crate) fn stage_line(
        &self,
        ctx: &PassContext<'_>,
        c: &TxChunk,
        i: usize,
        m: i32,
        sg: &mut Stage,
        st: &mut Partial,
    ) -> Result<()> {
        let p = c.partner[i];
        let key = [
            p,
            self.product_classes.of[c.product[i] as usize],
            self.channel_classes.of[c.channel[i] as usize],
            self.territory_classes.of[c.territory[i] as usize],
            ctx.segment_classes
                .of
                .get(c.customer[i] as usize)
                .copied()
                .unwrap_or(0),
        ];
        let g = match sg.slot(&key) {
            Some(at) => match sg.dense[at] {
                NONE => {
                    let g = self.new_group(ctx, key, sg);
                    sg.dense[at] = g as u32;
                    g
                }
                g => g as usize,
            },
            None => match sg.index.get(&key) {
                Some(&g) => g as usize,
                None => self.new_group(ctx, key, sg),
            },
        };
        let rel = (m - sg.m_lo) as usize;
        let amount = c.amount[i];
        let quantity = c.quantity[i];
        let cost = c.cost_of(i);
        let cells = &mut sg.cells[rel];
        if cells.len() <= g {
            cells.resize(sg.groups.len(), Cell::default());
        }
        if !cells[g].add(amount, quantity, cost) {
            let cell = std::mem::take(&mut cells[g]);
            self.spread(&sg.groups[g], m, &cell, &[], st);
            if !cells[g].add(amount, quantity, cost) {
                return Err(Error::overflow("a rebate volume"));
            }
        }
        let group = &sg.groups[g];
        if !group.extras.is_empty() {
            let acc = &mut sg.acc[rel];
            if acc.len() < sg.acc_len {
                acc.resize(sg.acc_len, 0);
            }
            let mut line = Cell::default();
            line.add(amount, quantity, cost);
            let line = line.bucket();
            for x in &group.extras {
                let pi = x.program as usize;
                let off = group.acc_off + x.off as usize;
                let n = x.rates as usize;
                if n > 0 {
                    self.add_line(pi, &line, &mut acc[off..off + n])?;
                }
                if x.mix {
                    let v = line
                        .measure(self.book.programs[pi].measure)
                        .unwrap_or(i128::from(amount));
                    acc[off + n] += v;
                }
            }
        }
        Ok(())
    }

    fn new_group(&self, ctx: &PassContext<'_>, key: [u32; 5], sg: &mut Stage) -> usize {
        let w = self.words;
        let [p, pc, cc, tc, sc] = key;
        let mut mask = self.product_classes.mask(pc, w).to_vec();
        for (k, word) in mask.iter_mut().enumerate() {
            *word &= self.channel_classes.mask(cc, w)[k]
                & self.territory_classes.mask(tc, w)[k]
                & ctx.segment_classes.mask(sc, w)[k];
        }
        let mut extras: Vec<Extra> = Vec::new();
        let mut off = 0u32;
        for slot in self.partner_slots(p) {
            let pi = slot.program as usize;
            let prog = &self.progs[pi];
            let selected = mask[pi / 64] >> (pi % 64) & 1 == 1;
            let wants = !prog.line_rates.is_empty() || prog.mix.is_some();
            if !selected || !wants || extras.iter().any(|x| x.program == slot.program) {
                continue;
            }
            let rates = prog.line_rates.len() as u32;
            let mix = prog.mix.is_some();
            extras.push(Extra {
                program: slot.program,
                off,
                rates,
                mix,
            });
            off += rates + u32::from(mix);
        }
        let g = sg.groups.len();
        sg.groups.push(Group {
            partner: p,
            mask,
            product: self.product_classes.first[pc as usize],
            extras,
            acc_off: sg.acc_len,
        });
        sg.acc_len += off as usize;
        sg.index.insert(key, g as u32);
        g
    }

    /// Spread every staged cell to its slots and empty the stage.
    pub(crate) fn flush(&self, sg: &mut Stage, st: &mut Partial) {
        for rel in 0..sg.cells.len() {
            let m = sg.m_lo + rel as i32;
            let cells = std::mem::take(&mut sg.cells[rel]);
            let acc = std::mem::take(&mut sg.acc[rel]);
            for (g, cell) in cells.iter().enumerate() {
                if cell.is_empty() {
                    continue;
                }
                let group = &sg.groups[g];
                let a = group.acc_off.min(acc.len());
                self.spread(group, m, cell, &acc[a..], st);
            }
        }
    }

    /// Add one cell of month `m` to the slots of its group's partner; `acc` holds the
    /// group's per-line accumulators (empty when they were already spread).
    fn spread(&self, group: &Group, m: i32, cell: &Cell, acc: &[i128], st: &mut Partial) {
        let b = cell.bucket();
        let lines = cell.sales + cell.returns;
        for slot in self.partner_slots(group.partner) {
            let pi = slot.program as usize;
            let prog = &self.progs[pi];
            let rel = m - prog.m0;
            if rel < 0 || rel >= prog.months {
                continue;
            }
            let bi = slot.base as usize + rel as usize;
            if group.mask[pi / 64] >> (pi % 64) & 1 == 0 {
                st.buckets[bi].excluded += lines;
                continue;
            }
            st.buckets[bi].add(&b);
            let Some(x) = group.extras.iter().find(|x| x.program == slot.program) else {
                continue;
            };
            let off = x.off as usize;
            let Some(vals) = acc.get(off..off + x.rates as usize + usize::from(x.mix)) else {
                continue;
            };
            let n = x.rates as usize;
            if slot.line_base != NONE && n > 0 {
                let o = slot.line_base as usize + rel as usize * n;
                for (t, v) in st.line[o..o + n].iter_mut().zip(&vals[..n]) {
                    *t += v;
                }
            }
            if let (Some(mix), true) = (&prog.mix, slot.mix_base != NONE && x.mix) {
                let k_n = prog.mix_n as usize;
                let o = slot.mix_base as usize + rel as usize * k_n;
                let bits = mix[group.product as usize];
                for k in 0..k_n {
                    if bits >> k & 1 == 1 {
                        st.mix[o + k] += vals[n];
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::RuleDocument;
    use crate::rebate::{CustomerSegments, Inputs, ProgramBook};

    /// Programs that exercise every part of a cell: line rounding (rates and per unit, with a
    /// line cap), a mix gate, filters on every dimension and on customer segments, a tree
    /// program over a network, partner exclusions and a customer program.
    const BOOK: &str = r#"
schema_version = 1
id = "stage-check"
currency = "CNY"

[[programs]]
id = "line-flat"
name = { en = "Line flat", zh = "Line flat" }
valid_from = "2024-01-01"
valid_to = "2025-12-31"
calendar = { period = "quarter" }
participants = { everyone = true }
selection = { categories = { include = ["TEA"] }, channels = { exclude = ["FRANCHISE"] } }
measure = "net_revenue"
shape = { kind = "flat_rate", rate = "0.0137" }
rounding = { mode = "half_even", point = "line" }
returns = { clawback_days = 20 }
limits = [{ scope = "line", max = "3" }]

[[programs]]
id = "line-unit"
name = { en = "Line per unit", zh = "Line per unit" }
valid_from = "2025-01-01"
valid_to = "2025-12-31"
calendar = { period = "year", partial = "month" }
participants = { models = ["distribution"] }
selection = { territories = { include = ["CN-E"] } }
measure = "quantity"
shape = { kind = "per_unit", amount = "0.35" }
rounding = { mode = "half_up", point = "line" }

[[programs]]
id = "mix"
name = { en = "Mix", zh = "Mix" }
valid_from = "2025-01-01"
valid_to = "2025-12-31"
calendar = { period = "quarter" }
participants = { everyone = true }
measure = "margin"
gates = { mix = { categories = ["TEA", "WARE", "SNACK"], at_least = 2 } }
shape = { kind = "flat_rate", rate = "0.02" }
rounding = { mode = "half_up", point = "period" }

[[programs]]
id = "segments"
name = { en = "Segments", zh = "Segments" }
valid_from = "2025-01-01"
valid_to = "2025-12-31"
calendar = { period = "month" }
participants = { everyone = true }
selection = { customer_segments = { include = ["gold"] } }
measure = "gross_revenue"
shape = { kind = "flat_rate", rate = "0.01" }
rounding = { mode = "half_up", point = "period" }

[[programs]]
id = "network"
name = { en = "Network", zh = "Network" }
valid_from = "2024-07-01"
valid_to = "2025-06-30"
calendar = { period = "quarter" }
participants = { partners = ["GA01", "GA02"], volume = "with_descendants" }
selection = { categories = { exclude = ["GIFT"] } }
measure = "net_revenue"
shape = { kind = "flat_rate", rate = "0.01" }
rounding = { mode = "half_up", point = "period" }
returns = { clawback_days = 45 }

[[programs]]
id = "cash-back"
name = { en = "Cash back", zh = "Cash back" }
valid_from = "2025-01-01"
valid_to = "2025-12-31"
beneficiary = "customer"
calendar = { period = "month" }
participants = { everyone = true }
measure = "net_revenue"
shape = { kind = "flat_rate", rate = "0.01" }
rounding = { mode = "truncate", point = "line" }
"#;

    #[test]
    fn staged_pass_equals_line_by_line() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sample");
        let data = crate::ingest::csv::load_dir(&dir, &Default::default()).expect("sample loads");
        let book = ProgramBook::from_toml(BOOK).expect("book loads");
        let engine = Engine::new(book, &data.master).expect("compiles");
        let customers = &data.master.customers;
        let segments = CustomerSegments::from_pairs((0..customers.len() as u32).map(|c| {
            let seg = if c % 3 == 0 { "gold" } else { "other" };
            (customers.id(c).to_string(), seg)
        }));
        let inputs = Inputs {
            segments: Some(&segments),
            ..Inputs::default()
        };
        let as_of = "2025-12-31".parse().expect("date");
        let ctx = engine.context(&data, as_of, &inputs).expect("context");
        let direct = engine.run_pass_with(&ctx, 1, false).expect("line by line");
        assert!(direct.buckets.iter().any(|b| b.excluded > 0));
        assert!(direct.line.iter().any(|&v| v != 0));
        assert!(direct.mix.iter().any(|&v| v != 0));
        assert!(
            direct.buckets.iter().any(|b| b.clawed_back > 0),
            "some returns are clawed back into their sale's period"
        );
        for threads in [1, 2, 3] {
            let ctx = engine.context(&data, as_of, &inputs).expect("context");
            let staged = engine.run_pass_with(&ctx, threads, true).expect("staged");
            assert_eq!(staged.buckets, direct.buckets, "{threads} threads");
            assert_eq!(staged.line, direct.line, "{threads} threads");
            assert_eq!(staged.mix, direct.mix, "{threads} threads");
            assert_eq!(staged.customers, direct.customers, "{threads} threads");
            assert_eq!(
                (staged.lines_read, staged.lines_skipped),
                (direct.lines_read, direct.lines_skipped)
            );
        }
    }

    #[test]
    fn a_cell_restarts_instead_of_overflowing() {
        let mut c = Cell::default();
        assert!(c.add(i64::MAX - 1, 1, Some(5)));
        assert!(!c.add(2, 1, None), "the gross would overflow i64");
        assert_eq!((c.gross, c.sales, c.no_cost), (i64::MAX - 1, 1, 0));
        assert!(c.add(-7, -1, None), "a return goes to its own sum");
        assert_eq!(
            (c.returned, c.returns, c.no_cost, c.quantity),
            (-7, 1, 1, 0)
        );
    }
}
