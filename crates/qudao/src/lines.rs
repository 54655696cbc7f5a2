//! Customer lines: only the columns a per-customer summary reads (customer, order, date,
//! amount and whether the line is a return), for hosts that want RFM or lifetime-value
//! inputs straight from a table of lines.
//!
//! A [`crate::Dataset`] checks every line against master data (channels, partners,
//! products, prices, territories) because most analyses need them. A customer summary needs
//! none of that, and a notebook with a transaction extract often has no master data at
//! all. [`CustomerLines`] keeps five columns, interns the customer and order ids, and runs
//! the same summary code as the data set ([`CustomerSummary::compute`]), so the two give
//! the same table for the same lines.
//!
//! What is still checked, line by line (the first problem is an error naming the row and
//! the column): ids are not empty, the date is within the years 1900–2199, a sale's amount
//! is not negative and a return's not positive, and an order belongs to one customer (distinct
//! orders are counted per customer; an order split between customers would count twice).
//!
//! ```
//! use qudao::lines::{CustomerLine, CustomerLines};
//! use qudao::customer::{CustomerOptions, Frequency};
//! use qudao::{Currency, Date, TxKind};
//! let day = |d| Date::from_ymd(2025, 3, d).unwrap();
//! let mut b = CustomerLines::builder(Currency::default());
//! for (customer, order, date, amount, kind) in [
//!     ("C1", "O1", day(1), 1_000, TxKind::Sale),
//!     ("C1", "O1", day(1), 500, TxKind::Sale),
//!     ("C1", "O2", day(9), 2_000, TxKind::Sale),
//!     ("C1", "R1", day(10), -500, TxKind::Return),
//!     ("C2", "O3", day(5), 700, TxKind::Sale),
//! ] {
//!     b.push(&CustomerLine { customer, order, date, amount, kind, cost: None }).unwrap();
//! }
//! let lines = b.finish();
//! let options = CustomerOptions::new(day(31), Frequency::DistinctOrders);
//! let summary = lines.summarise(options).unwrap();
//! assert_eq!(summary.len(), 2);
//! assert_eq!((summary.orders(0), summary.monetary(0), summary.recency_days(0)), (2, 3_000, 22));
//! assert_eq!(lines.customers().id(summary.code(1)), "C2");
//! ```

use crate::column::{Bitmap, Column};
use crate::customer::{CustomerOptions, CustomerSummary, SummaryLines};
use crate::dataset::Dataset;
use crate::date::{Date, MAX_YEAR, MIN_YEAR};
use crate::error::{Error, Location, Result};
use crate::intern::{FxHashMap, Interner, NONE};
use crate::master::{Customers, MasterData};
use crate::money::Currency;
use crate::transactions::TxKind;
pub(crate) use crate::transactions::{amount_problem, cost_problem, owner_problem};

/// Lines per chunk of the row-wise builder.
const CHUNK_LINES: usize = 1 << 17;

/// One line, with string ids, as the row-wise builder takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerLine<'a> {
    /// Customer id.
    pub customer: &'a str,
    /// Order id.
    pub order: &'a str,
    /// Day of the line.
    pub date: Date,
    /// Net amount, minor units: not negative on a sale, not positive on a return.
    pub amount: i64,
    /// Sale or return.
    pub kind: TxKind,
    /// Cost of goods, minor units (not negative on a sale, not positive on a return), if
    /// known; the summary's margin needs it on every line.
    pub cost: Option<i64>,
}

/// One chunk of lines: interned customer and order codes, days, amounts and return flags.
#[derive(Debug, Clone, Default)]
pub struct LineChunk {
    pub(crate) customer: Vec<u32>,
    pub(crate) order: Vec<u32>,
    pub(crate) date: Column<i32>,
    pub(crate) amount: Column<i64>,
    pub(crate) returns: Bitmap,
    /// Costs (empty when the input had no cost column).
    pub(crate) cost: Column<i64>,
    /// Which lines have a cost; `None` means all do (when `cost` is not empty).
    pub(crate) cost_valid: Option<Bitmap>,
}

impl LineChunk {
    /// Number of lines.
    pub fn len(&self) -> usize {
        self.customer.len()
    }

    /// Whether the chunk has no lines.
    pub fn is_empty(&self) -> bool {
        self.customer.is_empty()
    }
}

impl SummaryLines for LineChunk {
    #[inline]
    fn len(&self) -> usize {
        self.customer.len()
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
        self.returns.get(i)
    }
    #[inline]
    fn cost_of(&self, i: usize) -> Option<i64> {
        crate::transactions::cost_at(&self.cost, self.cost_valid.as_ref(), i)
    }
    #[inline]
    fn has_cost(&self) -> bool {
        !self.cost.is_empty()
    }
}

/// Lines with only what a customer summary reads (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct CustomerLines {
    currency: Currency,
    customers: Customers,
    /// Order codes are below this.
    order_codes: usize,
    /// Distinct orders.
    orders: usize,
    chunks: Vec<LineChunk>,
}

impl CustomerLines {
    /// A row-wise builder; amounts are minor units of `currency`.
    pub fn builder(currency: Currency) -> CustomerLinesBuilder {
        CustomerLinesBuilder::new(currency)
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.chunks.iter().map(LineChunk::len).sum()
    }

    /// Whether there are no lines.
    pub fn is_empty(&self) -> bool {
        self.chunks.iter().all(LineChunk::is_empty)
    }

    /// The currency of the amounts.
    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    /// The customers, in order of first appearance (summary codes index them).
    pub fn customers(&self) -> &Customers {
        &self.customers
    }

    /// Number of distinct orders.
    pub fn order_count(&self) -> usize {
        self.orders
    }

    /// The chunks.
    pub fn chunks(&self) -> &[LineChunk] {
        &self.chunks
    }

    /// The per-customer summary as of `options.as_of`, on all cores; the same table
    /// [`CustomerSummary::compute`] gives for a data set with these lines.
    pub fn summarise(&self, options: CustomerOptions) -> Result<CustomerSummary> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.summarise_with(options, threads)
    }

    /// [`CustomerLines::summarise`] on `threads` threads (the result does not depend on it).
    pub fn summarise_with(
        &self,
        options: CustomerOptions,
        threads: usize,
    ) -> Result<CustomerSummary> {
        CustomerSummary::compute_over(
            &self.chunks,
            &self.customers,
            self.order_codes,
            options,
            threads,
            crate::customer::PAIR_BUDGET,
        )
    }

    /// A data set holding only the currency and the customers, without lines: what the
    /// results built on a summary of these lines (RFM, lifetime value, ABC tables) read to
    /// name customers and money, for hosts whose result types keep a data set.
    pub fn id_dataset(&self) -> Dataset {
        Dataset {
            master: MasterData {
                currency: self.currency.clone(),
                customers: self.customers.clone(),
                ..MasterData::default()
            },
            ..Dataset::default()
        }
    }
}

/// Builds [`CustomerLines`] row by row ([`CustomerLinesBuilder::push`]), or chunk by chunk
/// from columns (the Arrow path).
#[derive(Debug)]
pub struct CustomerLinesBuilder {
    currency: Currency,
    source: String,
    customers: Interner,
    orders: Interner,
    /// Integer order ids (Arrow integer columns) to order codes.
    numeric_orders: FxHashMap<u64, u32>,
    /// Order codes given by the Arrow reader's run coding, and the distinct orders among them.
    run_orders: (usize, usize),
    /// The customer of each order code.
    owners: Vec<u32>,
    chunks: Vec<LineChunk>,
    current: Pending,
    rows: u64,
}

/// The lines pushed row by row since the last chunk was sealed.
#[derive(Debug, Default)]
struct Pending {
    customer: Vec<u32>,
    order: Vec<u32>,
    date: Vec<i32>,
    amount: Vec<i64>,
    returns: Bitmap,
    cost: Vec<i64>,
    cost_valid: Bitmap,
}

impl CustomerLinesBuilder {
    /// An empty builder; amounts are minor units of `currency`.
    pub fn new(currency: Currency) -> Self {
        CustomerLinesBuilder {
            currency,
            source: "lines".to_owned(),
            customers: Interner::default(),
            orders: Interner::default(),
            numeric_orders: FxHashMap::default(),
            run_orders: (0, 0),
            owners: Vec::new(),
            chunks: Vec::new(),
            current: Pending::default(),
            rows: 0,
        }
    }

    /// Name the input in errors (default `lines`).
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self
    }

    /// The currency.
    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    /// Add one line; a bad line is an error naming its 1-based row (counted over every
    /// line pushed, bad ones included, so it matches the host's row after a skipped line)
    /// and column, and is not added.
    pub fn push(&mut self, line: &CustomerLine<'_>) -> Result<()> {
        self.rows += 1;
        let row = self.rows;
        if line.customer.is_empty() {
            return Err(self.error(row, "customer", None, "`customer` is empty"));
        }
        if line.order.is_empty() {
            return Err(self.error(row, "order", None, "`order` is empty"));
        }
        if let Some(problem) = date_problem(line.date.0) {
            return Err(self.error(row, "date", Some(line.date.0.to_string()), problem));
        }
        if let Some(problem) = amount_problem(line.kind, line.amount) {
            return Err(self.error(row, "amount", Some(line.amount.to_string()), problem));
        }
        if let Some(problem) = line.cost.and_then(|c| cost_problem(line.kind, c)) {
            return Err(self.error(row, "cost", line.cost.map(|c| c.to_string()), problem));
        }
        // A line of an order seen before must name the order's customer: compared, not
        // interned, so a refused line adds no customer to `customers()`. A new order (its
        // interning adds nothing a refusal could leave behind) is claimed by its customer.
        let order = self.orders.intern(line.order);
        let customer = match self.owners.get(order as usize) {
            Some(&owner) if owner != NONE => {
                if self.customers.name(owner) != line.customer {
                    let problem = owner_problem(self.customers.name(owner));
                    return Err(self.error(
                        row,
                        "customer",
                        Some(line.customer.to_owned()),
                        &problem,
                    ));
                }
                owner
            }
            _ => {
                let customer = self.customers.intern(line.customer);
                let claimed = self.claim(order, customer);
                debug_assert!(claimed.is_ok(), "an unowned order is claimed");
                customer
            }
        };
        let c = &mut self.current;
        c.customer.push(customer);
        c.order.push(order);
        c.date.push(line.date.0);
        c.amount.push(line.amount);
        c.returns.push(line.kind == TxKind::Return);
        c.cost.push(line.cost.unwrap_or(0));
        c.cost_valid.push(line.cost.is_some());
        if self.current.customer.len() >= CHUNK_LINES {
            self.seal();
        }
        Ok(())
    }

    /// A data error at a 1-based row of this input.
    pub(crate) fn error(
        &self,
        row: u64,
        column: &str,
        value: Option<String>,
        reason: &str,
    ) -> Error {
        Error::data(
            Location {
                source: self.source.clone(),
                line: row,
                column: Some(column.to_owned()),
                value,
            },
            reason,
        )
    }

    fn seal(&mut self) {
        if self.current.customer.is_empty() {
            return;
        }
        let c = std::mem::take(&mut self.current);
        let with_cost = c.cost_valid.count_set();
        // No line with a cost: no cost column (margins are unknown, not zero).
        let (cost, cost_valid) = if with_cost == 0 {
            (Column::default(), None)
        } else if with_cost == c.cost_valid.len() {
            (Column::from(c.cost), None)
        } else {
            (Column::from(c.cost), Some(c.cost_valid))
        };
        self.chunks.push(LineChunk {
            customer: c.customer,
            order: c.order,
            date: Column::from(c.date),
            amount: Column::from(c.amount),
            returns: c.returns,
            cost,
            cost_valid,
        });
    }

    /// The lines.
    pub fn finish(mut self) -> CustomerLines {
        self.seal();
        CustomerLines {
            currency: self.currency,
            customers: Customers::from_ids(self.customers),
            order_codes: self.orders.len() + self.numeric_orders.len() + self.run_orders.0,
            orders: self.orders.len() + self.numeric_orders.len() + self.run_orders.1,
            chunks: self.chunks,
        }
    }

    /// Whether order ids came in more than one way (their codes would collide).
    pub(crate) fn mixed_orders(&self) -> bool {
        let ways = [
            !self.orders.is_empty(),
            !self.numeric_orders.is_empty(),
            self.run_orders.0 > 0,
        ];
        ways.iter().filter(|&&w| w).count() > 1
    }

    /// Record `codes` order codes given outside the builder, `distinct` of them distinct.
    pub(crate) fn add_run_orders(&mut self, codes: usize, distinct: usize) {
        self.run_orders = (codes, distinct);
    }

    /// The source name used in errors.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Make room for about `n` more customers.
    pub(crate) fn reserve_customers(&mut self, n: usize) {
        self.customers.reserve(n, 8);
    }

    /// The code of a customer id.
    #[inline]
    pub(crate) fn customer_code(&mut self, id: &str) -> u32 {
        self.customers.intern(id)
    }

    /// The id of a customer code.
    pub(crate) fn customer_id(&self, code: u32) -> &str {
        self.customers.name(code)
    }

    /// The code of a text order id.
    #[inline]
    pub(crate) fn order_code(&mut self, id: &str) -> u32 {
        self.orders.intern(id)
    }

    /// The code of an integer order id (kept apart from text ids: a table gives one kind).
    #[inline]
    pub(crate) fn numeric_order_code(&mut self, id: u64) -> u32 {
        let next = u32::try_from(self.numeric_orders.len()).unwrap_or(NONE - 1);
        *self.numeric_orders.entry(id).or_insert(next)
    }

    /// Size the order-owner table for every order code given so far, at once rather than by
    /// growing it line by line.
    pub(crate) fn reserve_owners(&mut self) {
        let codes = self.orders.len() + self.numeric_orders.len() + self.run_orders.0;
        if codes > self.owners.len() {
            self.owners.resize(codes, NONE);
        }
    }

    /// Record `customer` as the owner of `order`; the current owner if it is another.
    #[inline]
    pub(crate) fn claim(&mut self, order: u32, customer: u32) -> std::result::Result<(), u32> {
        let k = order as usize;
        if k >= self.owners.len() {
            self.owners.resize(k + 1, NONE);
        }
        match self.owners[k] {
            NONE => {
                self.owners[k] = customer;
                Ok(())
            }
            c if c == customer => Ok(()),
            c => Err(c),
        }
    }

    /// Add a checked chunk of `lines` rows (the columnar path).
    pub(crate) fn push_chunk(&mut self, chunk: LineChunk) {
        self.seal();
        self.rows += chunk.len() as u64;
        self.chunks.push(chunk);
    }
}

/// What is wrong with a day, if anything.
pub(crate) fn date_problem(day: i32) -> Option<&'static str> {
    let lo = Date::from_ymd(MIN_YEAR, 1, 1).map_or(i32::MIN, |d| d.0);
    let hi = Date::from_ymd(MAX_YEAR, 12, 31).map_or(i32::MAX, |d| d.0);
    (!(lo..=hi).contains(&day)).then_some("date outside the years 1900–2199")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::Frequency;
    use crate::sample::{SampleConfig, generate};

    fn lines_of(ds: &Dataset) -> CustomerLines {
        let mut b = CustomerLines::builder(ds.currency().clone());
        for c in &ds.transactions.chunks {
            for i in 0..c.len() {
                b.push(&CustomerLine {
                    customer: ds.master.customers.id(c.customer[i]),
                    order: ds.transactions.orders.name(c.order[i]),
                    date: Date(c.date[i]),
                    amount: c.amount[i],
                    kind: if c.quantity[i] < 0 {
                        TxKind::Return
                    } else {
                        TxKind::Sale
                    },
                    cost: c.cost_of(i),
                })
                .unwrap();
            }
        }
        b.finish()
    }

    #[test]
    fn the_lines_give_the_data_sets_summary() {
        let sample = generate(&SampleConfig::with_lines(20_000)).unwrap();
        let ds = &sample.dataset;
        let lines = lines_of(ds);
        assert_eq!(lines.len(), ds.transactions.len());
        let as_of = Date::from_ymd(2025, 6, 30).unwrap();
        for frequency in [Frequency::DistinctOrders, Frequency::ActivePeriods] {
            let options = CustomerOptions::new(as_of, frequency);
            let ours = lines.summarise(options).unwrap();
            let theirs = CustomerSummary::compute(ds, options).unwrap();
            assert_eq!(ours.len(), theirs.len());
            assert!(ours.len() > 100);
            for r in 0..ours.len() {
                let (a, b) = (ours.values(r), theirs.values(r));
                assert_eq!(
                    lines.customers().id(ours.code(r)),
                    ds.master.customers.id(theirs.code(r))
                );
                assert_eq!(
                    (a.net, a.first_period_value, a.first_day, a.last_day),
                    (b.net, b.first_period_value, b.first_day, b.last_day)
                );
                assert_eq!(
                    (a.lines, a.orders, a.active_periods),
                    (b.lines, b.orders, b.active_periods)
                );
                assert_eq!(ours.btyd(r), theirs.btyd(r));
                assert_eq!(ours.margin(r), theirs.margin(r));
            }
            // One thread or many: the same table.
            assert_eq!(lines.summarise_with(options, 1).unwrap(), ours);
        }
    }

    #[test]
    fn bad_lines_are_errors_naming_row_and_column() {
        let day = Date::from_ymd(2025, 1, 2).unwrap();
        let ok = CustomerLine {
            customer: "C1",
            order: "O1",
            date: day,
            amount: 100,
            kind: TxKind::Sale,
            cost: Some(60),
        };
        let cases = [
            (CustomerLine { customer: "", ..ok }, "customer", "is empty"),
            (CustomerLine { order: "", ..ok }, "order", "is empty"),
            (
                CustomerLine {
                    date: Date(-60_000),
                    ..ok
                },
                "date",
                "1900",
            ),
            (CustomerLine { amount: -1, ..ok }, "amount", "non-negative"),
            (
                CustomerLine {
                    cost: Some(-1),
                    ..ok
                },
                "cost",
                "not negative",
            ),
            (
                CustomerLine {
                    kind: TxKind::Return,
                    amount: -100,
                    ..ok
                },
                "cost",
                "not positive",
            ),
            (
                CustomerLine {
                    kind: TxKind::Return,
                    ..ok
                },
                "amount",
                "non-positive",
            ),
            (
                CustomerLine {
                    customer: "C2",
                    ..ok
                },
                "customer",
                "already belongs to customer \"C1\"",
            ),
        ];
        for (bad, column, text) in cases {
            let mut b = CustomerLines::builder(Currency::default());
            b.push(&ok).unwrap();
            let e = b.push(&bad).unwrap_err();
            match &e {
                Error::Data { location, reason } => {
                    assert_eq!(location.line, 2, "{e}");
                    assert_eq!(location.column.as_deref(), Some(column), "{e}");
                    assert!(reason.contains(text), "{e}");
                }
                other => panic!("expected a data error, got {other:?}"),
            }
            // The bad line was not added; the good one stays, and the next line is row 3.
            let e = b.push(&CustomerLine { order: "", ..ok }).unwrap_err();
            assert!(matches!(e, Error::Data { location, .. } if location.line == 3));
            let lines = b.finish();
            assert_eq!(lines.len(), 1);
            // Nor did it add its customer: only C1 is known.
            assert_eq!(lines.customers().len(), 1, "{column}");
        }
    }

    #[test]
    fn no_lines_give_an_empty_summary() {
        let lines = CustomerLines::builder(Currency::default()).finish();
        assert!(lines.is_empty());
        let as_of = Date::from_ymd(2025, 1, 1).unwrap();
        let s = lines
            .summarise(CustomerOptions::new(as_of, Frequency::DistinctOrders))
            .unwrap();
        assert!(s.is_empty());
        assert_eq!(lines.id_dataset().master.customers.len(), 0);
    }
}
