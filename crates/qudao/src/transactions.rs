//! Sales transactions, held column-wise (struct of arrays) in chunks.
//!
//! A chunk is a data partition: aggregations keep one partial state per chunk and merge them,
//! so the same code can run per partition on a distributed engine. Ids are dense `u32` codes
//! into the master data, dates are day numbers, money is `i64` minor units.

use crate::column::{Bitmap, Column};
use crate::date::Date;
use crate::error::Location;
use crate::intern::{FxHashMap, Interner, NONE};
use crate::reject::{RejectReason, Rejection, RejectionReport, Sink, Strictness};

/// Whether a line is a sale or a return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxKind {
    /// A sale: positive quantity, non-negative amount.
    Sale,
    /// A return: negative quantity, non-positive amount, optionally naming the original order.
    Return,
}

impl TxKind {
    /// Parse `sale` / `return` (case-insensitive, surrounding spaces allowed).
    ///
    /// ```
    /// use qudao::TxKind;
    /// assert_eq!(TxKind::parse("sale"), Some(TxKind::Sale));
    /// assert_eq!(TxKind::parse(" Return "), Some(TxKind::Return));
    /// assert_eq!(TxKind::parse("SALE"), Some(TxKind::Sale));
    /// assert_eq!(TxKind::parse("refund"), None);
    /// ```
    pub fn parse(text: &str) -> Option<TxKind> {
        // The usual spellings first, without allocating: this runs once per line.
        match text {
            "sale" => return Some(TxKind::Sale),
            "return" => return Some(TxKind::Return),
            _ => {}
        }
        let t = text.trim();
        if t.eq_ignore_ascii_case("sale") {
            Some(TxKind::Sale)
        } else if t.eq_ignore_ascii_case("return") {
            Some(TxKind::Return)
        } else {
            None
        }
    }

    /// The data spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TxKind::Sale => "sale",
            TxKind::Return => "return",
        }
    }
}

/// One partition of the transaction table. Every column has [`TxChunk::len`] values.
///
/// The kind of a line is not stored: a line is a return exactly when its quantity is
/// negative (ingestion checks that the stated kind agrees).
#[derive(Debug, Clone, Default)]
pub struct TxChunk {
    /// Order code (into [`Transactions::orders`]).
    pub order: Column<u32>,
    /// Line number within the order.
    pub line: Column<u32>,
    /// Day of the transaction.
    pub date: Column<i32>,
    /// Customer code.
    pub customer: Column<u32>,
    /// Partner code, or [`NONE`] for direct sales.
    pub partner: Column<u32>,
    /// Channel code.
    pub channel: Column<u32>,
    /// Product code.
    pub product: Column<u32>,
    /// Territory code where the sale happened.
    pub territory: Column<u32>,
    /// Units; negative on returns.
    pub quantity: Column<i64>,
    /// Unit price charged, minor units (never negative).
    pub unit_price: Column<i64>,
    /// Net amount of the line, minor units; negative on returns.
    pub amount: Column<i64>,
    /// Cost of goods of the line, minor units (meaningful where `cost_valid` says so).
    pub cost: Column<i64>,
    /// Which lines have a cost; `None` means all do (or there is no cost column at all when
    /// `cost` is empty).
    pub cost_valid: Option<Bitmap>,
    /// For returns: the original order's code, or [`NONE`].
    pub original_order: Column<u32>,
}

impl TxChunk {
    /// Number of lines.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether the chunk has no lines.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The cost of line `i`, if known.
    #[inline]
    pub fn cost_of(&self, i: usize) -> Option<i64> {
        cost_at(&self.cost, self.cost_valid.as_ref(), i)
    }

    /// Whether line `i` is a return.
    #[inline]
    pub fn is_return(&self, i: usize) -> bool {
        self.quantity[i] < 0
    }

    /// Bytes held by the columns.
    pub fn value_bytes(&self) -> usize {
        self.order.value_bytes()
            + self.line.value_bytes()
            + self.date.value_bytes()
            + self.customer.value_bytes()
            + self.partner.value_bytes()
            + self.channel.value_bytes()
            + self.product.value_bytes()
            + self.territory.value_bytes()
            + self.quantity.value_bytes()
            + self.unit_price.value_bytes()
            + self.amount.value_bytes()
            + self.cost.value_bytes()
            + self.cost_valid.as_ref().map_or(0, |b| b.len() / 8)
            + self.original_order.value_bytes()
    }
}

impl TxChunk {
    /// A copy without the rows marked in `drop` (the columns become owned).
    pub fn without_rows(&self, drop: &[bool]) -> TxChunk {
        fn keep<T: Copy>(col: &Column<T>, drop: &[bool]) -> Column<T> {
            Column::Owned(
                col.iter()
                    .zip(drop)
                    .filter(|(_, d)| !**d)
                    .map(|(v, _)| *v)
                    .collect(),
            )
        }
        let cost_valid = self.cost_valid.as_ref().map(|v| {
            let mut b = Bitmap::default();
            for (i, &d) in drop.iter().enumerate() {
                if !d {
                    b.push(v.get(i));
                }
            }
            b
        });
        TxChunk {
            order: keep(&self.order, drop),
            line: keep(&self.line, drop),
            date: keep(&self.date, drop),
            customer: keep(&self.customer, drop),
            partner: keep(&self.partner, drop),
            channel: keep(&self.channel, drop),
            product: keep(&self.product, drop),
            territory: keep(&self.territory, drop),
            quantity: keep(&self.quantity, drop),
            unit_price: keep(&self.unit_price, drop),
            amount: keep(&self.amount, drop),
            cost: if self.cost.is_empty() {
                Column::default()
            } else {
                keep(&self.cost, drop)
            },
            cost_valid,
            original_order: keep(&self.original_order, drop),
        }
    }

    /// Reject the returns that take a product past what was sold (see
    /// [`excessive_returns`]) and return the chunk without them. `source_line(i)` is the
    /// line (or row) of row `i` in the input, for the report and for ordering the returns.
    pub(crate) fn reject_excessive_returns(
        self,
        source: &str,
        orders: &Interner,
        source_line: impl Fn(usize) -> u64,
        mode: Strictness,
        report: &mut RejectionReport,
    ) -> crate::Result<TxChunk> {
        let sources = [source.to_owned()];
        let mut out = reject_excessive_returns_across(
            vec![self],
            &sources,
            orders,
            |_, i| source_line(i),
            mode,
            report,
        )?;
        Ok(out.pop().unwrap_or_default())
    }

    fn return_check_columns(&self) -> ReturnCheckColumns<'_> {
        ReturnCheckColumns {
            order: &self.order,
            date: &self.date,
            customer: &self.customer,
            product: &self.product,
            quantity: &self.quantity,
            original_order: &self.original_order,
        }
    }
}

/// [`TxChunk::reject_excessive_returns`] over several chunks taken together (a return may
/// name a sale in another chunk): `sources[k]` names chunk `k` and `source_line(k, i)` is the
/// input line of its row `i`. Returns the chunks without the rejected rows.
pub(crate) fn reject_excessive_returns_across(
    chunks: Vec<TxChunk>,
    sources: &[String],
    orders: &Interner,
    source_line: impl Fn(usize, usize) -> u64,
    mode: Strictness,
    report: &mut RejectionReport,
) -> crate::Result<Vec<TxChunk>> {
    let parts: Vec<ReturnCheckColumns<'_>> =
        chunks.iter().map(TxChunk::return_check_columns).collect();
    let bad = excessive_returns(&parts, &source_line);
    drop(parts);
    if bad.is_empty() {
        return Ok(chunks);
    }
    let mut sink = Sink { mode, report };
    let mut drops: Vec<Option<Vec<bool>>> = vec![None; chunks.len()];
    for (k, i, sold, returned) in bad {
        let chunk = &chunks[k];
        let original = chunk.original_order[i];
        let order = if original != NONE {
            let id = orders
                .get(original)
                .map_or_else(|| original.to_string(), str::to_owned);
            format!("order {id:?}")
        } else {
            "the customer's purchases".to_owned()
        };
        sink.reject(Rejection {
            table: "transactions".into(),
            location: Location {
                source: sources.get(k).cloned().unwrap_or_default(),
                line: source_line(k, i),
                column: Some("quantity".into()),
                value: Some(chunk.quantity[i].to_string()),
            },
            reason: RejectReason::ReturnExceedsSale,
            message: format!(
                "returns {returned} units of the product in all, but {order} bought only {sold}"
            ),
        })?;
        drops[k].get_or_insert_with(|| vec![false; chunk.len()])[i] = true;
    }
    Ok(chunks
        .into_iter()
        .zip(drops)
        .map(|(chunk, drop)| match drop {
            Some(drop) => chunk.without_rows(&drop),
            None => chunk,
        })
        .collect())
}

/// The transaction table: chunks plus the order-id interner.
#[derive(Debug, Clone, Default)]
pub struct Transactions {
    /// The partitions, in input order.
    pub chunks: Vec<TxChunk>,
    /// Order ids. Chunks built from numeric Arrow order columns use the number itself as
    /// the code and leave this empty; see [`Transactions::order_id`].
    pub orders: Interner,
}

impl Transactions {
    /// Total number of lines.
    pub fn len(&self) -> usize {
        self.chunks.iter().map(TxChunk::len).sum()
    }

    /// Whether there are no lines.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The id of an order code: the interned text, or the number for numeric order ids.
    pub fn order_id(&self, code: u32) -> String {
        match self.orders.get(code) {
            Some(s) => s.to_owned(),
            None => code.to_string(),
        }
    }

    /// Bytes held by the columns of every chunk.
    pub fn value_bytes(&self) -> usize {
        self.chunks.iter().map(TxChunk::value_bytes).sum()
    }

    /// First and last day with a transaction.
    pub fn date_range(&self) -> Option<(Date, Date)> {
        let mut lo = i32::MAX;
        let mut hi = i32::MIN;
        for c in &self.chunks {
            for &d in c.date.iter() {
                lo = lo.min(d);
                hi = hi.max(d);
            }
        }
        (lo <= hi).then_some((Date(lo), Date(hi)))
    }
}

/// One transaction line with resolved codes, as builders take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxRow {
    /// Order code.
    pub order: u32,
    /// Line within the order (≥ 1).
    pub line: u32,
    /// Day.
    pub date: Date,
    /// Customer code.
    pub customer: u32,
    /// Partner code or [`NONE`].
    pub partner: u32,
    /// Channel code.
    pub channel: u32,
    /// Product code.
    pub product: u32,
    /// Territory code.
    pub territory: u32,
    /// Units (negative on returns).
    pub quantity: i64,
    /// Unit price, minor units.
    pub unit_price: i64,
    /// Net amount, minor units.
    pub amount: i64,
    /// Cost, minor units, if known.
    pub cost: Option<i64>,
    /// Original order of a return, or [`NONE`].
    pub original_order: u32,
}

/// A problem with one row found by [`TxBuilder::check`]: the column at fault and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// Canonical column name.
    pub column: &'static str,
    /// Class of problem.
    pub reason: RejectReason,
    /// Sentence.
    pub message: String,
}

/// Builds a [`TxChunk`] row by row, checking each row and, at the end, returns against sales.
#[derive(Debug)]
pub struct TxBuilder {
    order: Vec<u32>,
    line: Vec<u32>,
    date: Vec<i32>,
    customer: Vec<u32>,
    partner: Vec<u32>,
    channel: Vec<u32>,
    product: Vec<u32>,
    territory: Vec<u32>,
    quantity: Vec<i64>,
    unit_price: Vec<i64>,
    amount: Vec<i64>,
    cost: Vec<i64>,
    cost_valid: Bitmap,
    any_cost_missing: bool,
    original_order: Vec<u32>,
    /// Source line of every row, for reporting.
    source_lines: Vec<u64>,
    /// Bitmask of lines 1..=64 seen per order code; larger line numbers go to `big_lines`.
    lines_seen: CodeMap<u64>,
    big_lines: FxHashMap<(u32, u32), ()>,
}

impl Default for TxBuilder {
    fn default() -> Self {
        TxBuilder {
            order: Vec::new(),
            line: Vec::new(),
            date: Vec::new(),
            customer: Vec::new(),
            partner: Vec::new(),
            channel: Vec::new(),
            product: Vec::new(),
            territory: Vec::new(),
            quantity: Vec::new(),
            unit_price: Vec::new(),
            amount: Vec::new(),
            cost: Vec::new(),
            cost_valid: Bitmap::default(),
            any_cost_missing: false,
            original_order: Vec::new(),
            source_lines: Vec::new(),
            lines_seen: CodeMap::new(0),
            big_lines: FxHashMap::default(),
        }
    }
}

impl TxBuilder {
    /// A builder with room for `rows` rows.
    pub fn with_capacity(rows: usize) -> Self {
        TxBuilder {
            order: Vec::with_capacity(rows),
            line: Vec::with_capacity(rows),
            date: Vec::with_capacity(rows),
            customer: Vec::with_capacity(rows),
            partner: Vec::with_capacity(rows),
            channel: Vec::with_capacity(rows),
            product: Vec::with_capacity(rows),
            territory: Vec::with_capacity(rows),
            quantity: Vec::with_capacity(rows),
            unit_price: Vec::with_capacity(rows),
            amount: Vec::with_capacity(rows),
            cost: Vec::with_capacity(rows),
            original_order: Vec::with_capacity(rows),
            source_lines: Vec::with_capacity(rows),
            ..Default::default()
        }
    }

    /// A builder used only for [`TxBuilder::is_duplicate_line`]: no columns are allocated.
    pub fn line_checker() -> Self {
        TxBuilder::default()
    }

    /// Rows pushed so far.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no row was pushed.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The semantic checks of one row, independent of other rows: signs agree with the kind,
    /// quantities are non-zero, prices are not negative, only returns name an original order.
    pub fn check(row: &TxRow, kind: TxKind) -> Result<(), RowProblem> {
        let bad = |column, reason, message: &str| {
            Err(RowProblem {
                column,
                reason,
                message: message.to_owned(),
            })
        };
        if row.line == 0 {
            return bad("line", RejectReason::OutOfRange, "line numbers start at 1");
        }
        if row.quantity == 0 {
            return bad("quantity", RejectReason::OutOfRange, "quantity is zero");
        }
        if row.unit_price < 0 {
            return bad(
                "unit_price",
                RejectReason::OutOfRange,
                "unit price is negative",
            );
        }
        match kind {
            TxKind::Sale if row.quantity < 0 => {
                return bad(
                    "quantity",
                    RejectReason::OutOfRange,
                    "a sale has a positive quantity (returns are kind `return`)",
                );
            }
            TxKind::Return if row.quantity > 0 => {
                return bad(
                    "quantity",
                    RejectReason::OutOfRange,
                    "a return has a negative quantity",
                );
            }
            _ => {}
        }
        if let Some(p) = amount_problem(kind, row.amount) {
            return bad("amount", RejectReason::OutOfRange, p);
        }
        if kind == TxKind::Sale && row.original_order != NONE {
            return bad(
                "original_order",
                RejectReason::BadValue,
                "only returns name an original order",
            );
        }
        if let Some(p) = row.cost.and_then(|c| cost_problem(kind, c)) {
            return bad("cost", RejectReason::OutOfRange, p);
        }
        Ok(())
    }

    /// Whether `(order, line)` was already pushed; records it otherwise.
    pub fn is_duplicate_line(&mut self, order: u32, line: u32) -> bool {
        if (1..=64).contains(&line) {
            let seen = self.lines_seen.slot(order);
            let bit = 1u64 << (line - 1);
            let dup = *seen & bit != 0;
            *seen |= bit;
            dup
        } else {
            self.big_lines.insert((order, line), ()).is_some()
        }
    }

    /// Append a row that passed [`TxBuilder::check`]. `source_line` is reported in rejections.
    #[inline]
    pub fn push(&mut self, row: &TxRow, source_line: u64) {
        self.order.push(row.order);
        self.line.push(row.line);
        self.date.push(row.date.0);
        self.customer.push(row.customer);
        self.partner.push(row.partner);
        self.channel.push(row.channel);
        self.product.push(row.product);
        self.territory.push(row.territory);
        self.quantity.push(row.quantity);
        self.unit_price.push(row.unit_price);
        self.amount.push(row.amount);
        self.cost.push(row.cost.unwrap_or(0));
        self.cost_valid.push(row.cost.is_some());
        self.any_cost_missing |= row.cost.is_none();
        self.original_order.push(row.original_order);
        self.source_lines.push(source_line);
    }

    /// Finish: check that no return exceeds what was sold, then build the chunk.
    ///
    /// A return naming its original order may return at most what that order sold of the
    /// product; a return without one, at most what the customer bought of the product in all.
    /// Returns are checked in (date, source line) order, so the return that first exceeds the
    /// sale is the one rejected, whatever order the file had.
    pub fn finish(
        self,
        source: &str,
        orders: &Interner,
        mode: Strictness,
        report: &mut RejectionReport,
    ) -> crate::Result<TxChunk> {
        let cost_valid = self.any_cost_missing.then_some(self.cost_valid);
        let chunk = TxChunk {
            order: self.order.into(),
            line: self.line.into(),
            date: self.date.into(),
            customer: self.customer.into(),
            partner: self.partner.into(),
            channel: self.channel.into(),
            product: self.product.into(),
            territory: self.territory.into(),
            quantity: self.quantity.into(),
            unit_price: self.unit_price.into(),
            amount: self.amount.into(),
            cost: self.cost.into(),
            cost_valid,
            original_order: self.original_order.into(),
        };
        let lines = self.source_lines;
        chunk.reject_excessive_returns(source, orders, |i| lines[i], mode, report)
    }
}

/// Remembers the customer of every order, so a line that puts an order under a second
/// customer is caught (an order is placed by one customer; counting orders per customer
/// relies on it).
#[derive(Debug, Clone)]
pub struct OrderOwners {
    owner: CodeMap<u32>,
}

impl Default for OrderOwners {
    fn default() -> Self {
        OrderOwners {
            owner: CodeMap::new(NONE),
        }
    }
}

impl OrderOwners {
    /// Owners for about `rows` lines.
    pub fn with_capacity(rows: usize) -> Self {
        let mut o = OrderOwners::default();
        o.owner.grow(dense_limit(rows) / 2);
        o
    }

    /// Record that `order` belongs to `customer`; returns the other customer if the order
    /// already belongs to someone else.
    #[inline]
    pub fn claim(&mut self, order: u32, customer: u32) -> Option<u32> {
        let slot = self.owner.slot(order);
        if *slot == NONE {
            *slot = customer;
            None
        } else if *slot != customer {
            Some(*slot)
        } else {
            None
        }
    }
}

/// A map from order codes to small values: a dense array for codes near those already seen
/// (interned codes are `0..n`), a hash map for the rest (sparse numeric order ids from Arrow),
/// so memory stays proportional to the rows. When the dense array grows, entries the hash
/// map held below its new end move into it, so every code has exactly one home.
#[derive(Debug, Clone)]
struct CodeMap<T: Copy> {
    dense: Vec<T>,
    sparse: FxHashMap<u32, T>,
    empty: T,
}

/// Codes below this always use the dense array.
const MIN_DENSE: usize = 1 << 16;

impl<T: Copy> CodeMap<T> {
    fn new(empty: T) -> Self {
        CodeMap {
            dense: Vec::new(),
            sparse: FxHashMap::default(),
            empty,
        }
    }

    #[inline]
    fn slot(&mut self, code: u32) -> &mut T {
        let i = code as usize;
        if i >= self.dense.len() && i < MIN_DENSE.max(self.dense.len().saturating_mul(2)) {
            self.grow((i + 1).max(self.dense.len().saturating_mul(2)).max(1024));
        }
        if i < self.dense.len() {
            &mut self.dense[i]
        } else {
            self.sparse.entry(code).or_insert(self.empty)
        }
    }

    fn grow(&mut self, len: usize) {
        self.dense.resize(len, self.empty);
        if !self.sparse.is_empty() {
            let dense = &mut self.dense;
            self.sparse.retain(|&k, v| {
                let moved = (k as usize) < dense.len();
                if moved {
                    dense[k as usize] = *v;
                }
                !moved
            });
        }
    }
}

fn dense_limit(rows: usize) -> usize {
    rows.saturating_mul(2).max(1 << 16)
}

/// The columns the return check reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReturnCheckColumns<'a> {
    pub order: &'a [u32],
    pub date: &'a [i32],
    pub customer: &'a [u32],
    pub product: &'a [u32],
    pub quantity: &'a [i64],
    pub original_order: &'a [u32],
}

/// Rows `(part, index, sold, returned in all)` whose return takes the returned total past
/// what was sold, over all `parts` together: per (original order, product) when the return
/// names its order, else per (customer, product). Returns are taken in (date, part, source
/// line) order so the first to exceed is the one reported, whatever the input order.
pub(crate) fn excessive_returns(
    parts: &[ReturnCheckColumns<'_>],
    source_line: &dyn Fn(usize, usize) -> u64,
) -> Vec<(usize, usize, i64, i64)> {
    let mut returns: Vec<(usize, usize)> = parts
        .iter()
        .enumerate()
        .flat_map(|(k, c)| {
            c.quantity
                .iter()
                .enumerate()
                .filter(|(_, q)| **q < 0)
                .map(move |(i, _)| (k, i))
        })
        .collect();
    if returns.is_empty() {
        return Vec::new();
    }
    returns.sort_by_key(|&(k, i)| (parts[k].date[i], k, source_line(k, i)));
    let key = |(k, i): (usize, usize)| -> (bool, u32, u32) {
        let c = &parts[k];
        if c.original_order[i] != NONE {
            (true, c.original_order[i], c.product[i])
        } else {
            (false, c.customer[i], c.product[i])
        }
    };
    // (sold, returned so far) per key that some return uses.
    let mut sold: FxHashMap<(bool, u32, u32), (i64, i64)> = FxHashMap::default();
    // The orders and customers those keys name: most sale lines have neither, and a bit test
    // spares them the two hash probes.
    let mut orders = CodeBits::default();
    let mut customers = CodeBits::default();
    for &r in &returns {
        let k = key(r);
        if k.0 {
            orders.insert(k.1);
        } else {
            customers.insert(k.1);
        }
        sold.insert(k, (0, 0));
    }
    for c in parts {
        for i in 0..c.quantity.len() {
            let q = c.quantity[i];
            if q > 0 {
                if orders.may_contain(c.order[i])
                    && let Some(e) = sold.get_mut(&(true, c.order[i], c.product[i]))
                {
                    e.0 = e.0.saturating_add(q);
                }
                if customers.may_contain(c.customer[i])
                    && let Some(e) = sold.get_mut(&(false, c.customer[i], c.product[i]))
                {
                    e.0 = e.0.saturating_add(q);
                }
            }
        }
    }
    let mut bad = Vec::new();
    for &(k, i) in &returns {
        let Some(e) = sold.get_mut(&key((k, i))) else {
            continue;
        };
        let after = e.1.saturating_add(parts[k].quantity[i].saturating_neg());
        if after > e.0 {
            bad.push((k, i, e.0, after));
        } else {
            e.1 = after;
        }
    }
    bad.sort_unstable_by_key(|b| (b.0, b.1));
    bad
}

/// A set of codes as bits, for a quick "certainly not in it". Codes past [`CodeBits::MAX`]
/// (integer order ids used as codes) are not stored: for them it always answers "maybe".
#[derive(Default)]
struct CodeBits {
    bits: Vec<u64>,
}

impl CodeBits {
    /// Largest code stored as a bit (16 MiB of bits).
    const MAX: u32 = 1 << 27;

    fn insert(&mut self, code: u32) {
        if code < Self::MAX {
            let w = code as usize / 64;
            if w >= self.bits.len() {
                self.bits.resize(w + 1, 0);
            }
            self.bits[w] |= 1 << (code % 64);
        }
    }

    #[inline]
    fn may_contain(&self, code: u32) -> bool {
        if code >= Self::MAX {
            return true;
        }
        self.bits
            .get(code as usize / 64)
            .is_some_and(|w| w >> (code % 64) & 1 == 1)
    }
}

/// The rows of `chunks` split for `threads` workers (0: one per core; at most 64, and at most
/// one per 65,536 rows): per worker, runs of (chunk, first row, row after) of about equal
/// total length, in row order. Never empty.
pub(crate) fn split_rows(chunks: &[TxChunk], threads: usize) -> Vec<Vec<(usize, usize, usize)>> {
    let total: usize = chunks.iter().map(TxChunk::len).sum();
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .clamp(1, 64)
    .min(total / 65_536 + 1);
    let per = total.div_ceil(threads).max(1);
    let mut ranges: Vec<Vec<(usize, usize, usize)>> = vec![Vec::new(); threads];
    let mut t = 0;
    let mut room = per;
    for (ci, c) in chunks.iter().enumerate() {
        let mut lo = 0;
        while lo < c.len() {
            let take = room.min(c.len() - lo);
            ranges[t].push((ci, lo, lo + take));
            lo += take;
            room -= take;
            if room == 0 && t + 1 < threads {
                t += 1;
                room = per;
            }
        }
    }
    ranges
}

/// The cost of line `i` of a cost column (empty: no costs) and its mask (`None`: all given).
#[inline]
pub(crate) fn cost_at(cost: &Column<i64>, valid: Option<&Bitmap>, i: usize) -> Option<i64> {
    if cost.is_empty() {
        return None;
    }
    match valid {
        Some(b) if !b.get(i) => None,
        _ => Some(cost[i]),
    }
}

/// What is wrong with the amount of a line of `kind`, if anything.
#[inline]
pub(crate) fn amount_problem(kind: TxKind, amount: i64) -> Option<&'static str> {
    match kind {
        TxKind::Sale if amount < 0 => Some("a sale has a non-negative amount"),
        TxKind::Return if amount > 0 => Some("a return has a non-positive amount"),
        _ => None,
    }
}

/// What is wrong with the cost of a line of `kind`, if anything.
#[inline]
pub(crate) fn cost_problem(kind: TxKind, cost: i64) -> Option<&'static str> {
    match kind {
        TxKind::Sale if cost < 0 => Some("the cost of a sale is not negative"),
        TxKind::Return if cost > 0 => {
            Some("the cost of a return is not positive (it reverses the cost of the sale)")
        }
        _ => None,
    }
}

/// The message of an order named with a second customer.
pub(crate) fn owner_problem(other: &str) -> String {
    format!("the order already belongs to customer {other:?}; an order has one customer")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_seen_sparse_is_still_known_after_the_dense_array_grows_past_it() {
        let mut owners = OrderOwners::default();
        let far = 200_000u32;
        assert_eq!(
            owners.claim(far, 7),
            None,
            "far beyond the dense array: sparse"
        );
        for code in 0..far {
            assert_eq!(owners.claim(code, 1), None);
        }
        assert_eq!(
            owners.claim(far, 8),
            Some(7),
            "moved into the dense array, not forgotten"
        );
        assert_eq!(owners.claim(far, 7), None);

        let mut lines = TxBuilder::line_checker();
        assert!(!lines.is_duplicate_line(far, 3));
        for code in 0..far {
            assert!(!lines.is_duplicate_line(code, 1));
        }
        assert!(lines.is_duplicate_line(far, 3));
        assert!(!lines.is_duplicate_line(far, 4));
        assert!(!lines.is_duplicate_line(far, 65));
        assert!(lines.is_duplicate_line(far, 65));
    }

    #[test]
    fn huge_numeric_order_ids_do_not_allocate_a_huge_array() {
        let mut owners = OrderOwners::default();
        assert_eq!(owners.claim(u32::MAX - 1, 1), None);
        assert_eq!(owners.claim(u32::MAX - 1, 2), Some(1));
        assert!(owners.owner.dense.len() < 1 << 20);
    }
}
