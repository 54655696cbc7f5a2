//! A data set: master data, transactions, operational tables and the rejection report of
//! the load that made it.

use std::collections::HashMap;

use crate::date::Date;
use crate::error::{Location, Result};
use crate::intern::NONE;
use crate::master::MasterData;
use crate::money::Currency;
use crate::ops::Operational;
use crate::reject::{RejectReason, Rejection, RejectionReport, Sink, Strictness};
use crate::transactions::{Transactions, TxBuilder, TxChunk, TxKind, TxRow};

/// Everything the library computes over: immutable once built.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Master data.
    pub master: MasterData,
    /// Sales transactions.
    pub transactions: Transactions,
    /// Operational tables.
    pub ops: Operational,
    /// What the load set aside (empty after a strict load).
    pub rejections: RejectionReport,
}

impl Dataset {
    /// The currency of every amount.
    pub fn currency(&self) -> &Currency {
        &self.master.currency
    }

    /// The data summary by channel, partner and month (see [`crate::summary`]).
    pub fn summary(&self) -> Result<crate::summary::Summary> {
        crate::summary::Summary::compute(self)
    }
}

/// One transaction line with string ids, as hosts and files give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxInput<'a> {
    /// Order id.
    pub order: &'a str,
    /// Line within the order (≥ 1).
    pub line: u32,
    /// Day.
    pub date: Date,
    /// Customer id.
    pub customer: &'a str,
    /// Partner id; `None` for direct sales.
    pub partner: Option<&'a str>,
    /// Channel id.
    pub channel: &'a str,
    /// Product id.
    pub product: &'a str,
    /// Territory id where sold.
    pub territory: &'a str,
    /// Sale or return.
    pub kind: TxKind,
    /// Units (negative on returns).
    pub quantity: i64,
    /// Unit price, minor units.
    pub unit_price: i64,
    /// Net amount, minor units.
    pub amount: i64,
    /// Cost, minor units.
    pub cost: Option<i64>,
    /// Original order of a return.
    pub original_order: Option<&'a str>,
}

/// The id and code of the previous line, per id column.
#[derive(Debug, Default)]
struct LastId {
    text: String,
    code: Option<u32>,
}

impl LastId {
    /// The code of `id`: the cached one if `id` repeats the previous line's, else `lookup`'s
    /// (an unknown id is not cached, so it is reported on every line).
    #[inline]
    fn get(&mut self, id: &str, lookup: impl FnOnce(&str) -> Option<u32>) -> Option<u32> {
        if let Some(c) = self.code
            && crate::intern::same_id(self.text.as_bytes(), id.as_bytes())
        {
            return Some(c);
        }
        let code = lookup(id);
        if code.is_some() {
            self.text.clear();
            self.text.push_str(id);
        }
        self.code = code;
        code
    }
}

#[derive(Debug, Default)]
struct LastIds {
    order: LastId,
    customer: LastId,
    partner: LastId,
    channel: LastId,
    product: LastId,
    territory: LastId,
}

/// Builds a [`Dataset`] from master data and transaction lines, checking every line.
///
/// ```
/// use qudao::dataset::{DatasetBuilder, TxInput};
/// use qudao::master::{MasterData, MasterDocument};
/// use qudao::reject::Strictness;
/// use qudao::transactions::TxKind;
/// let master = MasterData::new(MasterDocument::from_json(r#"{
///   "territories": [{"id": "CN", "level": "country"}],
///   "channels": [{"id": "web", "kind": "direct", "presence": "online", "role": "main"}],
///   "products": [{"id": "TEA", "category": "drinks", "list_price": "10.00"}]}"#).unwrap()).unwrap();
/// let mut b = DatasetBuilder::new(master, Strictness::Strict);
/// b.push(&TxInput { order: "O1", line: 1, date: "2025-01-02".parse().unwrap(), customer: "C1",
///     partner: None, channel: "web", product: "TEA", territory: "CN", kind: TxKind::Sale,
///     quantity: 2, unit_price: 1000, amount: 2000, cost: None, original_order: None }, 2).unwrap();
/// let data = b.finish().unwrap();
/// assert_eq!(data.summary().unwrap().totals.net_revenue, 2000);
/// ```
#[derive(Debug)]
pub struct DatasetBuilder {
    master: MasterData,
    mode: Strictness,
    report: RejectionReport,
    orders: crate::intern::Interner,
    last: LastIds,
    owners: crate::transactions::OrderOwners,
    tx: TxBuilder,
    ops: Operational,
    source: String,
    columns: HashMap<&'static str, String>,
}

impl DatasetBuilder {
    /// A builder over checked master data.
    pub fn new(master: MasterData, mode: Strictness) -> Self {
        DatasetBuilder {
            master,
            mode,
            report: RejectionReport::default(),
            orders: Default::default(),
            last: LastIds::default(),
            owners: Default::default(),
            tx: TxBuilder::default(),
            ops: Operational::default(),
            source: "transactions".into(),
            columns: HashMap::new(),
        }
    }

    /// Name the source of the lines (a file path) and how its columns are spelled
    /// (canonical name → header), so rejections point at the file's own names.
    pub fn set_source(
        &mut self,
        source: impl Into<String>,
        columns: HashMap<&'static str, String>,
    ) {
        self.source = source.into();
        self.columns = columns;
    }

    /// Reserve room for `rows` more lines.
    pub fn reserve(&mut self, rows: usize) {
        if self.tx.is_empty() {
            self.tx = TxBuilder::with_capacity(rows);
            self.owners = crate::transactions::OrderOwners::with_capacity(rows);
            // Orders are typically a third to a half of the lines; ids around 10 bytes.
            self.orders.reserve(rows / 2, 10);
        }
    }

    /// The master data.
    pub fn master(&self) -> &MasterData {
        &self.master
    }

    /// The operational tables, to fill.
    pub fn ops_mut(&mut self) -> &mut Operational {
        &mut self.ops
    }

    /// The rejection report so far (for loaders that reject records before they get here).
    pub fn report_mut(&mut self) -> &mut RejectionReport {
        &mut self.report
    }

    /// The strictness.
    pub fn mode(&self) -> Strictness {
        self.mode
    }

    /// Reject or fail on a record of `table` at `line`.
    pub fn reject(
        &mut self,
        table: &str,
        line: u64,
        column: Option<&str>,
        value: Option<&str>,
        reason: RejectReason,
        message: impl Into<String>,
    ) -> Result<()> {
        let column = column.map(|c| self.columns.get(c).cloned().unwrap_or_else(|| c.to_owned()));
        let rejection = Rejection {
            table: table.to_owned(),
            location: Location {
                source: if table == "transactions" {
                    self.source.clone()
                } else {
                    table.to_owned()
                },
                line,
                column,
                value: value.map(str::to_owned),
            },
            reason,
            message: message.into(),
        };
        Sink {
            mode: self.mode,
            report: &mut self.report,
        }
        .reject(rejection)
    }

    /// Add one line; `line` is its source line (or row) for reports. In lenient mode a bad
    /// line is rejected and `Ok(())` returned.
    pub fn push(&mut self, t: &TxInput<'_>, line: u64) -> Result<()> {
        macro_rules! resolve {
            ($code:expr, $col:literal, $value:expr, $what:literal) => {
                match $code {
                    Some(c) => c,
                    None => {
                        return self.reject(
                            "transactions",
                            line,
                            Some($col),
                            Some($value),
                            RejectReason::UnknownReference,
                            format!(concat!("unknown ", $what, " {:?}"), $value),
                        );
                    }
                }
            };
        }
        if t.order.is_empty() {
            return self.reject(
                "transactions",
                line,
                Some("order"),
                Some(""),
                RejectReason::MissingValue,
                "empty order id",
            );
        }
        // Lines of one order repeat most ids: compare with the previous line's before hashing.
        // A customer new to an open table gets the next code, but is registered only once
        // the line passes every check below, so a refused line adds no customer.
        let customers = &self.master.customers;
        let (customer, new_customer) = if t.customer.is_empty() {
            (None, false)
        } else {
            match self.last.customer.get(t.customer, |s| customers.code(s)) {
                Some(c) => (Some(c), false),
                None if customers.is_open() => (Some(customers.len() as u32), true),
                None => (None, false),
            }
        };
        let customer = resolve!(customer, "customer", t.customer, "customer");
        let partner = match t.partner {
            None => NONE,
            Some(p) => {
                let code = self.last.partner.get(p, |s| self.master.partners.code(s));
                resolve!(code, "partner", p, "partner")
            }
        };
        let code = self
            .last
            .channel
            .get(t.channel, |s| self.master.channels.code(s));
        let channel = resolve!(code, "channel", t.channel, "channel");
        let code = self
            .last
            .product
            .get(t.product, |s| self.master.products.code(s));
        let product = resolve!(code, "product", t.product, "product");
        let code = self
            .last
            .territory
            .get(t.territory, |s| self.master.territories.code(s));
        let territory = resolve!(code, "territory", t.territory, "territory");
        let original_order = match t.original_order {
            None => NONE,
            Some(o) => self.orders.intern(o),
        };
        let orders = &mut self.orders;
        let order = self
            .last
            .order
            .get(t.order, |s| Some(orders.intern(s)))
            .unwrap_or(NONE);
        let row = TxRow {
            order,
            line: t.line,
            date: t.date,
            customer,
            partner,
            channel,
            product,
            territory,
            quantity: t.quantity,
            unit_price: t.unit_price,
            amount: t.amount,
            cost: t.cost,
            original_order,
        };
        if let Err(p) = TxBuilder::check(&row, t.kind) {
            let value = match p.column {
                "quantity" => t.quantity.to_string(),
                "amount" => t.amount.to_string(),
                "unit_price" => t.unit_price.to_string(),
                "line" => t.line.to_string(),
                "cost" => t.cost.map(|c| c.to_string()).unwrap_or_default(),
                "original_order" => t.original_order.unwrap_or_default().to_owned(),
                _ => String::new(),
            };
            return self.reject(
                "transactions",
                line,
                Some(p.column),
                Some(&value),
                p.reason,
                p.message,
            );
        }
        if let Some(other) = self.owners.claim(order, customer) {
            let other = self.master.customers.id(other).to_owned();
            return self.reject(
                "transactions",
                line,
                Some("customer"),
                Some(t.customer),
                RejectReason::BadValue,
                format!(
                    "order {:?} already belongs to customer {other:?}; an order has one customer",
                    t.order
                ),
            );
        }
        if new_customer {
            // The claim above was the order's first (no code owns it yet), so the line
            // check below cannot refuse it: the customer is in.
            let code = self.master.customers_mut().code_or_register(t.customer);
            debug_assert_eq!(code, Some(customer));
        }
        if self.tx.is_duplicate_line(order, t.line) {
            return self.reject(
                "transactions",
                line,
                Some("line"),
                Some(&t.line.to_string()),
                RejectReason::DuplicateId,
                format!("order {:?} already has a line {}", t.order, t.line),
            );
        }
        self.tx.push(&row, line);
        Ok(())
    }

    /// Check returns against sales and build the data set.
    pub fn finish(mut self) -> Result<Dataset> {
        // A return naming an order that sold nothing of the product (or does not exist) is
        // caught by the return check in `TxBuilder::finish`.
        let tx = std::mem::take(&mut self.tx);
        let chunk: TxChunk = tx.finish(&self.source, &self.orders, self.mode, &mut self.report)?;
        self.finish_with_chunks(vec![chunk])
    }

    /// Build the data set from chunks made elsewhere (e.g. Arrow), with the interned orders.
    pub(crate) fn finish_with_chunks(mut self, chunks: Vec<TxChunk>) -> Result<Dataset> {
        self.master.customers_mut().close();
        Ok(Dataset {
            master: self.master,
            transactions: Transactions {
                chunks,
                orders: self.orders,
            },
            ops: self.ops,
            rejections: self.report,
        })
    }

    /// The order interner (for loaders that build chunks themselves).
    #[cfg(feature = "arrow")]
    pub(crate) fn orders_mut(&mut self) -> &mut crate::intern::Interner {
        &mut self.orders
    }

    /// The order ids, the mode and the report, borrowed together for a chunk's return check.
    #[cfg(feature = "arrow")]
    pub(crate) fn orders_mode_report(
        &mut self,
    ) -> (&crate::intern::Interner, Strictness, &mut RejectionReport) {
        (&self.orders, self.mode, &mut self.report)
    }

    /// The order → customer check shared by every loader.
    #[cfg(feature = "arrow")]
    pub(crate) fn owners_mut(&mut self) -> &mut crate::transactions::OrderOwners {
        &mut self.owners
    }

    /// Look up a customer, registering it when no customer table was given.
    #[cfg(feature = "arrow")]
    pub(crate) fn register_customer(&mut self, id: &str) -> Option<u32> {
        self.master.customers_mut().code_or_register(id)
    }
}
