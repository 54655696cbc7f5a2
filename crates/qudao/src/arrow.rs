//! Arrow in and out (feature `arrow`).
//!
//! [`dataset_from_batches`] builds the transaction table from Arrow record batches, one
//! [`TxChunk`] per batch. Columns whose type already matches the table are shared, not copied:
//! `Int64` money (minor units) and quantities, `Date32` dates, `UInt32` line numbers, and
//! `UInt32` id columns taken as codes into the master data. Other types are converted (string
//! and dictionary ids are looked up, `Decimal128` money is scaled exactly, `Date64` and
//! `YYYY-MM-DD` text dates are converted). Floating-point money is refused: floats are not
//! exact. Every row is still checked (references, signs, duplicate lines, returns against
//! sales); checking reads the shared buffers, it does not copy them. In lenient mode a batch
//! with rejected rows is compacted into owned columns.
//!
//! [`summary_batches`] exports a [`Summary`] as record batches with money as `Decimal128`
//! at the currency's scale.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Int32Type, Int64Type, UInt8Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, Decimal128Array, Int64Array, RecordBatch, StringArray, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};

use crate::column::{Bitmap, Column};
use crate::dataset::{Dataset, DatasetBuilder};
use crate::date::Date;
use crate::error::{Error, Location, Result};
use crate::intern::{FxHashMap, NONE, same_id};
use crate::master::MasterData;
use crate::reject::{RejectReason, Rejection, Strictness};
use crate::summary::{Summary, SummaryRow};
use crate::transactions::{TxBuilder, TxChunk, TxKind, TxRow, reject_excessive_returns_across};

/// Column names of an Arrow transaction table (the same as the CSV's, see
/// `docs/data-format.md`).
pub const TRANSACTION_COLUMNS: &[&str] = &[
    "order",
    "line",
    "date",
    "customer",
    "partner",
    "channel",
    "product",
    "territory",
    "kind",
    "quantity",
    "unit_price",
    "amount",
    "cost",
    "original_order",
];

/// Build a data set from master data and transaction record batches (one chunk per batch).
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{RecordBatch, StringArray, UInt32Array, Date32Array, Int64Array, ArrayRef};
/// use qudao::master::{MasterData, MasterDocument};
/// let master = MasterData::new(MasterDocument::from_json(r#"{
///   "territories": [{"id": "CN", "level": "country"}],
///   "channels": [{"id": "web", "kind": "direct", "presence": "online", "role": "main"}],
///   "products": [{"id": "TEA", "category": "drinks", "list_price": "10.00"}]}"#).unwrap()).unwrap();
/// let s = |v: &str| Arc::new(StringArray::from(vec![v, v])) as ArrayRef;
/// let batch = RecordBatch::try_from_iter([
///     ("order", Arc::new(StringArray::from(vec!["O1", "O2"])) as ArrayRef),
///     ("line", Arc::new(UInt32Array::from(vec![1, 1])) as ArrayRef),
///     ("date", Arc::new(Date32Array::from(vec![20_000, 20_001])) as ArrayRef),
///     ("customer", s("C1")), ("channel", s("web")), ("product", s("TEA")), ("territory", s("CN")),
///     ("quantity", Arc::new(Int64Array::from(vec![2, 1])) as ArrayRef),
///     ("unit_price", Arc::new(Int64Array::from(vec![1000, 1000])) as ArrayRef),
///     ("amount", Arc::new(Int64Array::from(vec![2000, 1000])) as ArrayRef),
/// ]).unwrap();
/// let data = qudao::arrow::dataset_from_batches(master, &[batch], qudao::Strictness::Strict).unwrap();
/// assert_eq!(data.summary().unwrap().totals.net_revenue, 3000);
/// assert!(data.transactions.chunks[0].amount.is_shared()); // not copied
/// ```
pub fn dataset_from_batches(
    master: MasterData,
    batches: &[RecordBatch],
    mode: Strictness,
) -> Result<Dataset> {
    let mut builder = DatasetBuilder::new(master, mode);
    let mut chunks = Vec::with_capacity(batches.len());
    let mut kept_rows = Vec::with_capacity(batches.len());
    let mut sources = Vec::with_capacity(batches.len());
    let mut order_kind: Option<OrderKind> = None;
    for (b, batch) in batches.iter().enumerate() {
        let source = if batches.len() == 1 {
            "transactions".to_owned()
        } else {
            format!("transactions batch {b}")
        };
        let (chunk, kept) = chunk_from_batch(&mut builder, batch, &source, &mut order_kind)?;
        chunks.push(chunk);
        kept_rows.push(kept);
        sources.push(source);
    }
    // Returns are checked against the sales of every batch: a table read from Parquet comes
    // as one batch per row group, and a return's sale may sit in another.
    let (orders, mode, report) = builder.orders_mode_report();
    let chunks = reject_excessive_returns_across(
        chunks,
        &sources,
        orders,
        |k, i| kept_rows[k].as_ref().map_or(i, |kept| kept[i]) as u64 + 1,
        mode,
        report,
    )?;
    builder.finish_with_chunks(chunks)
}

/// Whether order ids arrive as text (interned) or as numbers (used as codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OrderKind {
    Text,
    Numeric,
}

/// A problem with one row.
struct Bad {
    row: usize,
    column: &'static str,
    value: Option<String>,
    reason: RejectReason,
    message: String,
}

struct Ctx<'a> {
    batch: &'a RecordBatch,
    source: &'a str,
    bad: Vec<Bad>,
}

impl Ctx<'_> {
    fn column(&self, name: &'static str) -> Option<&ArrayRef> {
        self.batch.column_by_name(name)
    }

    fn required(&self, name: &'static str) -> Result<&ArrayRef> {
        self.column(name).ok_or_else(|| Error::MissingColumn {
            source_name: self.source.to_owned(),
            column: name.to_owned(),
            found: self
                .batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    fn type_error(&self, name: &str, dt: &DataType, expected: &str) -> Error {
        Error::data(
            Location {
                source: self.source.to_owned(),
                line: 0,
                column: Some(name.to_owned()),
                value: Some(dt.to_string()),
            },
            format!("unsupported Arrow type for `{name}`; expected {expected}"),
        )
    }

    fn bad(
        &mut self,
        row: usize,
        column: &'static str,
        value: Option<String>,
        reason: RejectReason,
        message: impl Into<String>,
    ) {
        self.bad.push(Bad {
            row,
            column,
            value,
            reason,
            message: message.into(),
        });
    }

    /// Mark nulls of a required column as bad rows.
    fn no_nulls(&mut self, name: &'static str, a: &dyn Array) {
        if a.null_count() > 0 {
            for i in 0..a.len() {
                if a.is_null(i) {
                    self.bad(
                        i,
                        name,
                        None,
                        RejectReason::MissingValue,
                        format!("`{name}` is null"),
                    );
                }
            }
        }
    }
}

/// Text access to a string-like column.
enum Texts<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
}

impl<'a> Texts<'a> {
    fn of(a: &'a dyn Array) -> Option<Texts<'a>> {
        if let Some(s) = a.as_string_opt::<i32>() {
            Some(Texts::Utf8(s))
        } else if let Some(s) = a.as_string_opt::<i64>() {
            Some(Texts::Large(s))
        } else {
            a.as_string_view_opt().map(Texts::View)
        }
    }

    fn len(&self) -> usize {
        match self {
            Texts::Utf8(s) => s.len(),
            Texts::Large(s) => s.len(),
            Texts::View(s) => s.len(),
        }
    }

    #[inline]
    fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Texts::Utf8(s) => (!s.is_null(i)).then(|| s.value(i)),
            Texts::Large(s) => (!s.is_null(i)).then(|| s.value(i)),
            Texts::View(s) => (!s.is_null(i)).then(|| s.value(i)),
        }
    }
}

/// Look up the code of an id of the master table behind column `name`; customers are
/// registered when no customer table was given.
fn lookup(builder: &mut DatasetBuilder, name: &str, id: &str) -> Option<u32> {
    let m = builder.master();
    match name {
        "customer" if m.customers.is_open() => builder.register_customer(id),
        "customer" => m.customers.code(id),
        "partner" => m.partners.code(id),
        "channel" => m.channels.code(id),
        "product" => m.products.code(id),
        _ => m.territories.code(id),
    }
}

fn chunk_from_batch(
    builder: &mut DatasetBuilder,
    batch: &RecordBatch,
    source: &str,
    order_kind: &mut Option<OrderKind>,
) -> Result<(TxChunk, Option<Vec<usize>>)> {
    let n = batch.num_rows();
    let mut cx = Ctx {
        batch,
        source,
        bad: Vec::new(),
    };

    let (order, kind) = order_column(&mut cx, builder, "order", true)?;
    let kind = kind.unwrap_or(OrderKind::Text);
    match order_kind {
        Some(k) if *k != kind => {
            return Err(Error::invalid_argument(
                "batches",
                "all batches must give `order` the same way: as text or as unsigned integers",
            ));
        }
        _ => *order_kind = Some(kind),
    }
    let line = u32_column(&mut cx, "line")?;
    let date = date_column(&mut cx, "date")?;
    let customer = id_column(&mut cx, builder, "customer", true, "customer")?;
    let partner = id_column(&mut cx, builder, "partner", false, "partner")?;
    let channel = id_column(&mut cx, builder, "channel", true, "channel")?;
    let product = id_column(&mut cx, builder, "product", true, "product")?;
    let territory = id_column(&mut cx, builder, "territory", true, "territory")?;
    let exponent = builder.master().currency.exponent;
    let quantity = int_column(&mut cx, "quantity", 0, false)?;
    let unit_price = int_column(&mut cx, "unit_price", exponent, true)?;
    let amount = int_column(&mut cx, "amount", exponent, true)?;
    let (cost, cost_valid) = cost_column(&mut cx, exponent)?;
    let kinds = kind_column(&mut cx, "kind")?;
    let original_order = if cx.column("original_order").is_some() {
        let (o, k) = order_column(&mut cx, builder, "original_order", false)?;
        if k.is_some_and(|k| k != kind) {
            return Err(Error::invalid_argument(
                "original_order",
                "`original_order` must be given the same way as `order` (text or unsigned integers)",
            ));
        }
        o
    } else {
        Column::from(vec![NONE; n])
    };

    // Row checks. Rows already known bad are skipped.
    let mut known_bad = vec![false; n];
    for b in &cx.bad {
        known_bad[b.row] = true;
    }
    let mut dup = TxBuilder::line_checker();
    for i in 0..n {
        if known_bad[i] {
            continue;
        }
        let row = TxRow {
            order: order[i],
            line: line[i],
            date: Date(date[i]),
            customer: customer[i],
            partner: partner[i],
            channel: channel[i],
            product: product[i],
            territory: territory[i],
            quantity: quantity[i],
            unit_price: unit_price[i],
            amount: amount[i],
            cost: if cost.is_empty() || cost_valid.as_ref().is_some_and(|v| !v.get(i)) {
                None
            } else {
                Some(cost[i])
            },
            original_order: original_order[i],
        };
        let k = match &kinds {
            Some(k) => k[i],
            None if row.quantity < 0 => TxKind::Return,
            None => TxKind::Sale,
        };
        if let Err(p) = TxBuilder::check(&row, k) {
            known_bad[i] = true;
            cx.bad(i, p.column, None, p.reason, p.message);
        } else if let Some(other) = builder.owners_mut().claim(row.order, row.customer) {
            known_bad[i] = true;
            let other = builder.master().customers.id(other).to_owned();
            cx.bad(
                i,
                "customer",
                Some(builder.master().customers.id(row.customer).to_owned()),
                RejectReason::BadValue,
                crate::transactions::owner_problem(&other),
            );
        } else if dup.is_duplicate_line(row.order, row.line) {
            known_bad[i] = true;
            cx.bad(
                i,
                "line",
                Some(row.line.to_string()),
                RejectReason::DuplicateId,
                "duplicate (order, line)",
            );
        }
    }
    let mut chunk = TxChunk {
        order,
        line,
        date,
        customer,
        partner,
        channel,
        product,
        territory,
        quantity,
        unit_price,
        amount,
        cost,
        cost_valid,
        original_order,
    };
    reject_rows(builder, &mut cx.bad, source)?;
    // Batch row of each kept row (when some were dropped), so later rejections name the row
    // as the host numbers it.
    if known_bad.iter().any(|&b| b) {
        chunk = chunk.without_rows(&known_bad);
        let kept = (0..n).filter(|&i| !known_bad[i]).collect();
        return Ok((chunk, Some(kept)));
    }
    Ok((chunk, None))
}

/// The optional `cost` column: values (empty without the column) and, when some are null,
/// which lines have one.
fn cost_column(cx: &mut Ctx<'_>, exponent: u8) -> Result<(Column<i64>, Option<Bitmap>)> {
    let Some(a) = cx.column("cost").map(Arc::clone) else {
        return Ok((Column::default(), None));
    };
    let values = int_values(cx, "cost", &a, exponent, true)?;
    let valid = (a.null_count() > 0).then(|| {
        let mut b = Bitmap::default();
        for i in 0..a.len() {
            b.push(a.is_valid(i));
        }
        b
    });
    Ok((values, valid))
}

fn reject_rows(builder: &mut DatasetBuilder, bad: &mut [Bad], source: &str) -> Result<()> {
    bad.sort_by_key(|b| b.row);
    for b in bad.iter() {
        let r = Rejection {
            table: "transactions".into(),
            location: Location {
                source: source.to_owned(),
                line: b.row as u64 + 1,
                column: Some(b.column.to_owned()),
                value: b.value.clone(),
            },
            reason: b.reason,
            message: b.message.clone(),
        };
        match builder.mode() {
            Strictness::Strict => return Err(r.into_error()),
            Strictness::Lenient => builder.report_mut().push(r),
        }
    }
    Ok(())
}

/// The keys of a dictionary array as indices (`None` where the key is null or negative).
/// Arrow's own `normalized_keys` panics on a dictionary with no values (all keys null).
fn dictionary_keys(keys: &dyn Array) -> Vec<Option<usize>> {
    use arrow_array::types::{Int8Type, Int16Type, UInt16Type};
    macro_rules! try_type {
        ($($t:ty),*) => {
            $(
                if let Some(p) = keys.as_primitive_opt::<$t>() {
                    return p.iter().map(|k| k.and_then(|k| usize::try_from(k).ok())).collect();
                }
            )*
        };
    }
    try_type!(
        Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type
    );
    vec![None; keys.len()]
}

/// Share a primitive array's values without copying.
fn share<T>(values: arrow_buffer::ScalarBuffer<T>) -> Column<T>
where
    T: arrow_buffer::ArrowNativeType,
{
    Column::Shared(Arc::new(values))
}

fn order_column(
    cx: &mut Ctx<'_>,
    builder: &mut DatasetBuilder,
    name: &'static str,
    required: bool,
) -> Result<(Column<u32>, Option<OrderKind>)> {
    let a = Arc::clone(cx.required(name)?);
    let n = a.len();
    if let Some(p) = a.as_primitive_opt::<UInt32Type>() {
        if a.null_count() == 0 {
            return Ok((share(p.values().clone()), Some(OrderKind::Numeric)));
        }
        if required {
            cx.no_nulls(name, a.as_ref());
        }
        let v = (0..n)
            .map(|i| if p.is_null(i) { NONE } else { p.value(i) })
            .collect();
        return Ok((Column::Owned(v), Some(OrderKind::Numeric)));
    }
    let orders = builder.orders_mut();
    if let Some(t) = Texts::of(a.as_ref()) {
        let mut out = Vec::with_capacity(n);
        let mut last: Option<(&str, u32)> = None;
        for i in 0..n {
            match t.get(i) {
                Some(s) if !s.is_empty() => {
                    let code = match last {
                        Some((l, c)) if l == s => c,
                        _ => orders.intern(s),
                    };
                    last = Some((s, code));
                    out.push(code);
                }
                _ => {
                    if required {
                        cx.bad(
                            i,
                            name,
                            None,
                            RejectReason::MissingValue,
                            format!("`{name}` is empty"),
                        );
                    }
                    out.push(NONE);
                }
            }
        }
        return Ok((Column::Owned(out), Some(OrderKind::Text)));
    }
    if let Some(d) = a.as_any_dictionary_opt() {
        let values = Arc::clone(d.values());
        if let Some(t) = Texts::of(values.as_ref()) {
            let codes: Vec<u32> = (0..values.len())
                .map(|i| {
                    t.get(i)
                        .filter(|s| !s.is_empty())
                        .map_or(NONE, |s| orders.intern(s))
                })
                .collect();
            let keys = dictionary_keys(d.keys());
            let mut out = Vec::with_capacity(n);
            for (i, k) in keys.into_iter().enumerate() {
                let c = k.and_then(|k| codes.get(k).copied()).unwrap_or(NONE);
                if c == NONE && required {
                    cx.bad(
                        i,
                        name,
                        None,
                        RejectReason::MissingValue,
                        format!("`{name}` is empty"),
                    );
                }
                out.push(c);
            }
            return Ok((Column::Owned(out), Some(OrderKind::Text)));
        }
    }
    Err(cx.type_error(
        name,
        a.data_type(),
        "Utf8, LargeUtf8, Utf8View, Dictionary(_, Utf8) or UInt32",
    ))
}

fn u32_column(cx: &mut Ctx<'_>, name: &'static str) -> Result<Column<u32>> {
    let a = Arc::clone(cx.required(name)?);
    if let Some(p) = a.as_primitive_opt::<UInt32Type>()
        && a.null_count() == 0
    {
        return Ok(share(p.values().clone()));
    }
    let v = int_values(cx, name, &a, 0, false)?;
    let mut out = Vec::with_capacity(a.len());
    for (i, &x) in v.iter().enumerate() {
        match u32::try_from(x) {
            Ok(x) => out.push(x),
            Err(_) => {
                cx.bad(
                    i,
                    name,
                    Some(x.to_string()),
                    RejectReason::OutOfRange,
                    format!("`{name}` out of range"),
                );
                out.push(0);
            }
        }
    }
    Ok(Column::Owned(out))
}

fn date_column(cx: &mut Ctx<'_>, name: &'static str) -> Result<Column<i32>> {
    let a = Arc::clone(cx.required(name)?);
    let n = a.len();
    cx.no_nulls(name, a.as_ref());
    let lo = crate::date::Date::from_ymd(crate::date::MIN_YEAR, 1, 1)
        .map(|d| d.0)
        .unwrap_or(i32::MIN);
    let hi = crate::date::Date::from_ymd(crate::date::MAX_YEAR, 12, 31)
        .map(|d| d.0)
        .unwrap_or(i32::MAX);
    let check = |cx: &mut Ctx<'_>, v: &[i32]| {
        for (i, &d) in v.iter().enumerate() {
            if !(lo..=hi).contains(&d) && !a.is_null(i) {
                cx.bad(
                    i,
                    name,
                    Some(d.to_string()),
                    RejectReason::DateOutOfRange,
                    "date outside the years 1900–2199",
                );
            }
        }
    };
    if let Some(p) = a.as_primitive_opt::<Date32Type>() {
        let col = share(p.values().clone());
        check(cx, &col);
        return Ok(col);
    }
    if let Some(p) = a.as_primitive_opt::<Date64Type>() {
        let v: Vec<i32> = p
            .values()
            .iter()
            .map(|&ms| i32::try_from(ms.div_euclid(86_400_000)).unwrap_or(i32::MIN))
            .collect();
        check(cx, &v);
        return Ok(Column::Owned(v));
    }
    if let Some(t) = Texts::of(a.as_ref()) {
        let mut v = Vec::with_capacity(n);
        for i in 0..n {
            match t.get(i).map(|s| Date::parse(s.as_bytes())) {
                Some(Ok(d)) => v.push(d.0),
                Some(Err(e)) => {
                    let reason = if e == crate::date::DateError::OutOfRange {
                        RejectReason::DateOutOfRange
                    } else {
                        RejectReason::BadValue
                    };
                    cx.bad(i, name, t.get(i).map(str::to_owned), reason, e.to_string());
                    v.push(0);
                }
                None => v.push(0),
            }
        }
        return Ok(Column::Owned(v));
    }
    Err(cx.type_error(name, a.data_type(), "Date32, Date64 or YYYY-MM-DD text"))
}

fn id_column(
    cx: &mut Ctx<'_>,
    builder: &mut DatasetBuilder,
    name: &'static str,
    required: bool,
    what: &str,
) -> Result<Column<u32>> {
    let Some(a) = cx.column(name).map(Arc::clone) else {
        if required {
            cx.required(name)?;
        }
        return Ok(Column::Owned(vec![NONE; cx.batch.num_rows()]));
    };
    let n = a.len();
    let master = builder.master();
    let len = match name {
        "customer" => master.customers.len(),
        "partner" => master.partners.len(),
        "channel" => master.channels.len(),
        "product" => master.products.len(),
        _ => master.territories.len(),
    };
    if let Some(p) = a.as_primitive_opt::<UInt32Type>() {
        for (i, &c) in p.values().iter().enumerate() {
            if p.is_null(i) {
                if required {
                    cx.bad(
                        i,
                        name,
                        None,
                        RejectReason::MissingValue,
                        format!("`{name}` is null"),
                    );
                }
            } else if c as usize >= len {
                cx.bad(
                    i,
                    name,
                    Some(c.to_string()),
                    RejectReason::UnknownReference,
                    format!("{what} code {c} is not below the {len} {what}s of the master data"),
                );
            }
        }
        if a.null_count() == 0 {
            return Ok(share(p.values().clone()));
        }
        return Ok(Column::Owned(
            (0..n)
                .map(|i| if p.is_null(i) { NONE } else { p.value(i) })
                .collect(),
        ));
    }
    // Texts, or a dictionary whose values are resolved once.
    let (texts, dict_keys, values_holder);
    if let Some(t) = Texts::of(a.as_ref()) {
        texts = t;
        dict_keys = None;
    } else if let Some(d) = a.as_any_dictionary_opt() {
        values_holder = Arc::clone(d.values());
        texts = Texts::of(values_holder.as_ref())
            .ok_or_else(|| cx.type_error(name, a.data_type(), "text ids or UInt32 codes"))?;
        dict_keys = Some(dictionary_keys(d.keys()));
    } else {
        return Err(cx.type_error(
            name,
            a.data_type(),
            "Utf8, LargeUtf8, Utf8View, Dictionary(_, Utf8) or UInt32 codes",
        ));
    }
    let texts_len = match &texts {
        Texts::Utf8(s) => s.len(),
        Texts::Large(s) => s.len(),
        Texts::View(s) => s.len(),
    };
    let mut cache: FxHashMap<usize, u32> = FxHashMap::default();
    let mut out = Vec::with_capacity(n);
    let mut bad = Vec::new();
    {
        for i in 0..n {
            let text_index = match &dict_keys {
                Some(k) => k[i].filter(|&j| j < texts_len),
                None => Some(i),
            };
            let s = text_index
                .and_then(|j| texts.get(j))
                .filter(|s| !s.is_empty());
            let code = match (s, &dict_keys, text_index) {
                (None, _, _) => {
                    if required {
                        bad.push((
                            i,
                            None,
                            RejectReason::MissingValue,
                            format!("`{name}` is empty"),
                        ));
                    }
                    NONE
                }
                (Some(s), Some(_), Some(j)) => match cache.get(&j) {
                    Some(&c) => c,
                    None => {
                        let c = lookup(builder, name, s).unwrap_or(NONE);
                        cache.insert(j, c);
                        if c == NONE {
                            bad.push((
                                i,
                                Some(s.to_owned()),
                                RejectReason::UnknownReference,
                                format!("unknown {what} {s:?}"),
                            ));
                        }
                        c
                    }
                },
                (Some(s), _, _) => match lookup(builder, name, s) {
                    Some(c) => c,
                    None => {
                        bad.push((
                            i,
                            Some(s.to_owned()),
                            RejectReason::UnknownReference,
                            format!("unknown {what} {s:?}"),
                        ));
                        NONE
                    }
                },
            };
            out.push(code);
        }
    }
    for (i, v, r, m) in bad {
        cx.bad(i, name, v, r, m);
    }
    Ok(Column::Owned(out))
}

/// Integer values (quantities) or money in minor units (`exponent` decimals).
fn int_column(
    cx: &mut Ctx<'_>,
    name: &'static str,
    exponent: u8,
    money: bool,
) -> Result<Column<i64>> {
    let a = Arc::clone(cx.required(name)?);
    cx.no_nulls(name, a.as_ref());
    int_values(cx, name, &a, exponent, money)
}

fn int_values(
    cx: &mut Ctx<'_>,
    name: &'static str,
    a: &ArrayRef,
    exponent: u8,
    money: bool,
) -> Result<Column<i64>> {
    if let Some(p) = a.as_primitive_opt::<Int64Type>() {
        return Ok(share(p.values().clone()));
    }
    if let Some(p) = a.as_primitive_opt::<Int32Type>() {
        return Ok(Column::Owned(
            p.values().iter().map(|&v| i64::from(v)).collect(),
        ));
    }
    if let Some(p) = a.as_primitive_opt::<UInt32Type>() {
        return Ok(Column::Owned(
            p.values().iter().map(|&v| i64::from(v)).collect(),
        ));
    }
    if let Some(p) = a.as_primitive_opt::<UInt64Type>() {
        let mut out = Vec::with_capacity(p.len());
        for (i, &v) in p.values().iter().enumerate() {
            out.push(i64::try_from(v).unwrap_or_else(|_| {
                cx.bad(
                    i,
                    name,
                    Some(v.to_string()),
                    RejectReason::OutOfRange,
                    "value out of range",
                );
                0
            }));
        }
        return Ok(Column::Owned(out));
    }
    if let Some(p) = a.as_primitive_opt::<Decimal128Type>() {
        let DataType::Decimal128(_, scale) = p.data_type() else {
            return Err(cx.type_error(name, a.data_type(), "Decimal128"));
        };
        let (scale, target) = (i32::from(*scale), i32::from(exponent));
        let mut out = Vec::with_capacity(p.len());
        for (i, &v) in p.values().iter().enumerate() {
            let scaled = if scale <= target {
                10i128
                    .checked_pow((target - scale) as u32)
                    .and_then(|m| v.checked_mul(m))
            } else {
                let d = 10i128
                    .checked_pow((scale - target) as u32)
                    .unwrap_or(i128::MAX);
                if v % d != 0 && !p.is_null(i) {
                    cx.bad(
                        i,
                        name,
                        Some(v.to_string()),
                        RejectReason::TooManyDecimals,
                        format!("more than {target} decimal digits; not rounding"),
                    );
                    Some(0)
                } else {
                    Some(v / d)
                }
            };
            match scaled.and_then(|s| i64::try_from(s).ok()) {
                Some(x) => out.push(x),
                None => {
                    cx.bad(
                        i,
                        name,
                        Some(v.to_string()),
                        RejectReason::OutOfRange,
                        "amount out of range",
                    );
                    out.push(0);
                }
            }
        }
        return Ok(Column::Owned(out));
    }
    let expected = if money {
        "Int64 minor units or Decimal128 (floating point is not exact and is refused)"
    } else {
        "an integer type"
    };
    Err(cx.type_error(name, a.data_type(), expected))
}

fn kind_column(cx: &mut Ctx<'_>, name: &'static str) -> Result<Option<Vec<TxKind>>> {
    let Some(a) = cx.column(name).map(Arc::clone) else {
        return Ok(None);
    };
    let n = a.len();
    let mut out = Vec::with_capacity(n);
    if let Some(p) = a.as_primitive_opt::<UInt8Type>() {
        for (i, &v) in p.values().iter().enumerate() {
            out.push(match v {
                0 => TxKind::Sale,
                1 => TxKind::Return,
                _ => {
                    cx.bad(
                        i,
                        name,
                        Some(v.to_string()),
                        RejectReason::BadValue,
                        "kind is 0 (sale) or 1 (return)",
                    );
                    TxKind::Sale
                }
            });
        }
        return Ok(Some(out));
    }
    let Some(t) = Texts::of(a.as_ref()) else {
        return Err(cx.type_error(name, a.data_type(), "text `sale`/`return` or UInt8 0/1"));
    };
    for i in 0..n {
        match t.get(i).and_then(TxKind::parse) {
            Some(k) => out.push(k),
            None => {
                cx.bad(
                    i,
                    name,
                    t.get(i).map(str::to_owned),
                    RejectReason::BadValue,
                    "kind is `sale` or `return`",
                );
                out.push(TxKind::Sale);
            }
        }
    }
    Ok(Some(out))
}

/// A [`Summary`] as record batches.
#[derive(Debug, Clone)]
pub struct SummaryBatches {
    /// One row: the totals.
    pub totals: RecordBatch,
    /// One row per channel with lines.
    pub by_channel: RecordBatch,
    /// One row per partner with lines; direct sales last with an empty key.
    pub by_partner: RecordBatch,
    /// One row per month.
    pub by_month: RecordBatch,
}

/// The schema of every summary batch; money columns are `Decimal128(38, exponent)`, the
/// share of revenue `Decimal128(38, 6)`. The currency code is in the schema metadata.
pub fn summary_schema(exponent: u8, currency: &str) -> Schema {
    let money = DataType::Decimal128(38, exponent as i8);
    Schema::new(vec![
        Field::new("key", DataType::Utf8, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("lines", DataType::UInt64, false),
        Field::new("return_lines", DataType::UInt64, false),
        Field::new("orders", DataType::UInt64, false),
        Field::new("units", DataType::Int64, false),
        Field::new("gross_sales", money.clone(), false),
        Field::new("returns", money.clone(), false),
        Field::new("net_revenue", money.clone(), false),
        Field::new("cost", money.clone(), true),
        Field::new("gross_margin", money, true),
        Field::new("share_of_revenue", DataType::Decimal128(38, 6), true),
    ])
    .with_metadata([("currency".to_owned(), currency.to_owned())].into())
}

/// Export a summary as record batches.
pub fn summary_batches(s: &Summary) -> Result<SummaryBatches> {
    let e = s.currency.exponent;
    let schema = Arc::new(summary_schema(e, &s.currency.code));
    let batch = |rows: &[SummaryRow]| -> Result<RecordBatch> {
        let money = |f: &dyn Fn(&SummaryRow) -> Option<i64>| -> Result<ArrayRef> {
            let a = Decimal128Array::from(
                rows.iter()
                    .map(|r| f(r).map(i128::from))
                    .collect::<Vec<_>>(),
            )
            .with_precision_and_scale(38, e as i8)
            .map_err(|x| Error::invalid_argument("summary", x.to_string()))?;
            Ok(Arc::new(a))
        };
        let share: Vec<Option<i128>> = rows
            .iter()
            .map(|r| {
                r.share_of_revenue.map(|d| {
                    let mut d = d;
                    d.rescale(6);
                    d.mantissa()
                })
            })
            .collect();
        let share = Decimal128Array::from(share)
            .with_precision_and_scale(38, 6)
            .map_err(|x| Error::invalid_argument("summary", x.to_string()))?;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.key.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.name.as_str()),
            )),
            Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.lines))),
            Arc::new(UInt64Array::from_iter_values(
                rows.iter().map(|r| r.return_lines),
            )),
            Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.orders))),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.units))),
            money(&|r| Some(r.gross_sales))?,
            money(&|r| Some(r.returns))?,
            money(&|r| Some(r.net_revenue))?,
            money(&|r| r.cost)?,
            money(&|r| r.gross_margin)?,
            Arc::new(share),
        ];
        RecordBatch::try_new(Arc::clone(&schema), columns)
            .map_err(|x| Error::invalid_argument("summary", x.to_string()))
    };
    Ok(SummaryBatches {
        totals: batch(std::slice::from_ref(&s.totals))?,
        by_channel: batch(&s.by_channel)?,
        by_partner: batch(&s.by_partner)?,
        by_month: batch(&s.by_month)?,
    })
}

/// The schema of [`transactions_batch`]: ids as `Dictionary(UInt32, Utf8)` (keys are the
/// codes, values the master ids), dates `Date32`, money `Int64` minor units.
pub fn transactions_schema() -> Schema {
    let dict = || DataType::Dictionary(Box::new(DataType::UInt32), Box::new(DataType::Utf8));
    Schema::new(vec![
        Field::new("order", DataType::Utf8, false),
        Field::new("line", DataType::UInt32, false),
        Field::new("date", DataType::Date32, false),
        Field::new("customer", dict(), false),
        Field::new("partner", dict(), true),
        Field::new("channel", dict(), false),
        Field::new("product", dict(), false),
        Field::new("territory", dict(), false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("quantity", DataType::Int64, false),
        Field::new("unit_price", DataType::Int64, false),
        Field::new("amount", DataType::Int64, false),
        Field::new("cost", DataType::Int64, true),
        Field::new("original_order", DataType::Utf8, true),
    ])
}

/// One chunk of a data set's transactions as a record batch (see [`transactions_schema`]).
/// Reading it back with [`dataset_from_batches`] over the same master data gives the same
/// data set.
pub fn transactions_batch(data: &Dataset, chunk: &TxChunk) -> Result<RecordBatch> {
    use arrow_array::{Date32Array, DictionaryArray, UInt32Array};
    let m = &data.master;
    let dict = |codes: &[u32], ids: &crate::intern::Interner| -> Result<ArrayRef> {
        let keys = UInt32Array::from_iter(codes.iter().map(|&c| (c != NONE).then_some(c)));
        let values = Arc::new(StringArray::from_iter_values(ids.names()));
        let a = DictionaryArray::<UInt32Type>::try_new(keys, values)
            .map_err(|e| Error::invalid_argument("transactions", e.to_string()))?;
        Ok(Arc::new(a))
    };
    let orders = |codes: &[u32]| -> ArrayRef {
        Arc::new(StringArray::from_iter(
            codes
                .iter()
                .map(|&c| (c != NONE).then(|| data.transactions.order_id(c))),
        ))
    };
    let n = chunk.len();
    let cost: ArrayRef = Arc::new(Int64Array::from_iter((0..n).map(|i| chunk.cost_of(i))));
    let columns: Vec<ArrayRef> = vec![
        orders(&chunk.order),
        Arc::new(UInt32Array::from(chunk.line.to_vec())),
        Arc::new(Date32Array::from(chunk.date.to_vec())),
        dict(&chunk.customer, m.customers.ids())?,
        dict(&chunk.partner, m.partners.ids())?,
        dict(&chunk.channel, m.channels.ids())?,
        dict(&chunk.product, m.products.ids())?,
        dict(&chunk.territory, m.territories.ids())?,
        Arc::new(StringArray::from_iter_values(
            chunk
                .quantity
                .iter()
                .map(|&q| if q < 0 { "return" } else { "sale" }),
        )),
        Arc::new(Int64Array::from(chunk.quantity.to_vec())),
        Arc::new(Int64Array::from(chunk.unit_price.to_vec())),
        Arc::new(Int64Array::from(chunk.amount.to_vec())),
        cost,
        orders(&chunk.original_order),
    ];
    RecordBatch::try_new(Arc::new(transactions_schema()), columns)
        .map_err(|e| Error::invalid_argument("transactions", e.to_string()))
}

/// Read customer lines (see [`crate::lines`]) from record batches: columns `customer`,
/// `order`, `date`, `amount`, and `kind` or `quantity` (a line is a return when `kind` says
/// `return`, or, without `kind`, when `quantity` is negative; with neither, when `amount`
/// is negative), and optionally `cost` (nullable; the summary's margin needs it). Other
/// columns are ignored, so a whole transaction table can be passed.
///
/// Types: ids as `Utf8`/`LargeUtf8`/`Utf8View` or dictionaries of them (order ids may also be
/// integers); dates as `Date32` (shared), `Date64` or `YYYY-MM-DD` text; amounts as `Int64`
/// minor units (shared) or `Decimal128`. The first bad row is an error naming the batch, the
/// 1-based row and the column.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{ArrayRef, Date32Array, Int64Array, RecordBatch, StringArray};
/// use qudao::customer::{CustomerOptions, Frequency};
/// let batch = RecordBatch::try_from_iter([
///     ("customer", Arc::new(StringArray::from(vec!["C1", "C1", "C2"])) as ArrayRef),
///     ("order", Arc::new(StringArray::from(vec!["O1", "O2", "O3"])) as ArrayRef),
///     ("date", Arc::new(Date32Array::from(vec![20_000, 20_010, 20_005])) as ArrayRef),
///     ("amount", Arc::new(Int64Array::from(vec![1_000, -200, 500])) as ArrayRef),
/// ]).unwrap();
/// let lines = qudao::arrow::customer_lines_from_batches(&[batch], qudao::Currency::default()).unwrap();
/// let as_of = qudao::Date(20_030);
/// let s = lines.summarise(CustomerOptions::new(as_of, Frequency::DistinctOrders)).unwrap();
/// assert_eq!((s.orders(0), s.monetary(0), s.recency_days(0)), (1, 800, 30));
/// assert!(lines.chunks()[0].len() == 3);
/// ```
pub fn customer_lines_from_batches(
    batches: &[RecordBatch],
    currency: crate::money::Currency,
) -> Result<crate::lines::CustomerLines> {
    let mut builder = crate::lines::CustomerLines::builder(currency);
    let sources: Vec<String> = (0..batches.len())
        .map(|b| {
            if batches.len() == 1 {
                builder.source().to_owned()
            } else {
                format!("{} batch {b}", builder.source())
            }
        })
        .collect();
    // Text order ids in every batch: coded by runs (see `order_run_codes`), not hashed, on a
    // second thread while this one reads the other columns.
    let texts: Option<Vec<Texts<'_>>> = batches
        .iter()
        .map(|b| {
            b.column_by_name("order")
                .and_then(|a| Texts::of(a.as_ref()))
        })
        .collect();
    // Growing a big table rehashes it each time; most extracts have ≥ 10 lines a customer.
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    builder.reserve_customers(rows / 10);
    let (runs, parts) = std::thread::scope(|s| {
        let runs = texts
            .as_deref()
            .map(|t| s.spawn(move || order_run_codes(t)));
        let parts: Result<Vec<_>> = batches
            .iter()
            .zip(&sources)
            .map(|(batch, source)| line_chunk_from_batch(&mut builder, batch, source))
            .collect();
        let runs = runs.and_then(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        (runs, parts)
    });
    let mut parts = parts?;
    let mut runs = runs;
    for (b, ((chunk, bad), source)) in parts.iter_mut().zip(&sources).enumerate() {
        let codes = runs.as_mut().map(|r| std::mem::take(&mut r.codes[b]));
        chunk.order = order_codes(&mut builder, &batches[b], source, bad, codes)?;
    }
    if let Some(r) = &runs {
        builder.add_run_orders(r.count, r.distinct);
    }
    builder.reserve_owners();
    for ((chunk, mut bad), source) in parts.into_iter().zip(&sources) {
        check_lines(&mut builder, &chunk, &mut bad);
        if let Some(b) = bad.iter().min_by_key(|b| b.row) {
            return Err(Error::data(
                Location {
                    source: source.clone(),
                    line: b.row as u64 + 1,
                    column: Some(b.column.to_owned()),
                    value: b.value.clone(),
                },
                b.message.clone(),
            ));
        }
        builder.push_chunk(chunk);
        if builder.mixed_orders() {
            return Err(Error::invalid_argument(
                "batches",
                "all batches must give `order` the same way: as text or as integers",
            ));
        }
    }
    Ok(builder.finish())
}

/// The columns of one batch but the orders as a line chunk, and its bad rows so far.
fn line_chunk_from_batch(
    builder: &mut crate::lines::CustomerLinesBuilder,
    batch: &RecordBatch,
    source: &str,
) -> Result<(crate::lines::LineChunk, Vec<Bad>)> {
    let mut cx = Ctx {
        batch,
        source,
        bad: Vec::new(),
    };
    let exponent = builder.currency().exponent;
    let date = date_column(&mut cx, "date")?;
    let amount = int_column(&mut cx, "amount", exponent, true)?;
    let mut returns = Bitmap::default();
    if let Some(kinds) = kind_column(&mut cx, "kind")? {
        for k in kinds {
            returns.push(k == TxKind::Return);
        }
    } else if cx.column("quantity").is_some() {
        let q = int_column(&mut cx, "quantity", 0, false)?;
        for &v in q.iter() {
            returns.push(v < 0);
        }
    } else {
        for &v in amount.iter() {
            returns.push(v < 0);
        }
    }
    let (cost, cost_valid) = cost_column(&mut cx, exponent)?;
    let customer = line_ids(&mut cx, builder, "customer")?;
    let chunk = crate::lines::LineChunk {
        customer,
        order: Vec::new(),
        date,
        amount,
        returns,
        cost,
        cost_valid,
    };
    Ok((chunk, cx.bad))
}

/// The order codes of one batch: `runs`, the batch's codes when they were coded by runs
/// (an empty id is a bad row), else each id looked up.
fn order_codes(
    builder: &mut crate::lines::CustomerLinesBuilder,
    batch: &RecordBatch,
    source: &str,
    bad: &mut Vec<Bad>,
    runs: Option<Vec<u32>>,
) -> Result<Vec<u32>> {
    let mut cx = Ctx {
        batch,
        source,
        bad: std::mem::take(bad),
    };
    let codes = match runs {
        Some(codes) => {
            for (i, &c) in codes.iter().enumerate() {
                if c == NONE {
                    cx.bad(
                        i,
                        "order",
                        None,
                        RejectReason::MissingValue,
                        "`order` is empty",
                    );
                }
            }
            codes
        }
        None => line_ids(&mut cx, builder, "order")?,
    };
    *bad = cx.bad;
    Ok(codes)
}

/// The row checks of a chunk whose columns are read: amount and cost signs, and one customer
/// per order. Rows already bad are skipped.
fn check_lines(
    builder: &mut crate::lines::CustomerLinesBuilder,
    chunk: &crate::lines::LineChunk,
    bad: &mut Vec<Bad>,
) {
    use crate::customer::SummaryLines;
    use crate::lines::{amount_problem, cost_problem, owner_problem};
    // Rows already bad (none, usually: then nothing is allocated).
    let mut known_bad = vec![false; if bad.is_empty() { 0 } else { chunk.len() }];
    for b in bad.iter() {
        known_bad[b.row] = true;
    }
    for (i, &amount) in chunk.amount().iter().enumerate() {
        if known_bad.get(i) == Some(&true) {
            continue;
        }
        let kind = if chunk.is_return(i) {
            TxKind::Return
        } else {
            TxKind::Sale
        };
        let line_cost = chunk.cost_of(i);
        let (column, value, problem) = if let Some(p) = amount_problem(kind, amount) {
            ("amount", amount.to_string(), p.to_owned())
        } else if let Some(p) = line_cost.and_then(|c| cost_problem(kind, c)) {
            ("cost", line_cost.unwrap_or(0).to_string(), p.to_owned())
        } else if let Err(owner) = builder.claim(chunk.order[i], chunk.customer[i]) {
            let value = builder.customer_id(chunk.customer[i]).to_owned();
            ("customer", value, owner_problem(builder.customer_id(owner)))
        } else {
            continue;
        };
        let reason = if column == "customer" {
            RejectReason::BadValue
        } else {
            RejectReason::OutOfRange
        };
        bad.push(Bad {
            row: i,
            column,
            value: Some(value),
            reason,
            message: problem,
        });
    }
}

/// Order codes of text order columns without hashing every order.
struct OrderRuns {
    /// Codes per batch; [`NONE`] for a missing id.
    codes: Vec<Vec<u32>>,
    /// Codes given (`0..count`).
    count: usize,
    /// Distinct orders.
    distinct: usize,
}

/// The class of an id: its length and its leading non-digit prefix (`SO` of `SO00012`).
/// Ids of different classes differ, so sequences can be tracked per class: sales and returns
/// numbered apart, or numbers that gain a digit.
#[inline]
fn id_class(s: &str) -> (usize, &str) {
    let digits = s
        .bytes()
        .position(|b| b.is_ascii_digit())
        .unwrap_or(s.len());
    (s.len(), &s[..digits])
}

/// Most id classes tracked at once; ids of further classes are checked by hashing.
const ID_CLASSES: usize = 16;

/// Code text order ids by runs: each run of equal ids on consecutive rows is one order, coded
/// by its index. Exact without a hash table when every run's id comes after all earlier
/// ones of its class ([`id_class`]): an export sorted by order, or by date with increasing
/// order numbers. Runs that do not (a late line, an order continued further down) are the
/// "suspects": only they are hashed, and each run start is checked against them in one more
/// pass, so an order split into several runs still gets one code. `None` when suspects are
/// too many to pay off (shuffled rows): the caller then interns every id.
fn order_run_codes(columns: &[Texts<'_>]) -> Option<OrderRuns> {
    let rows: usize = columns.iter().map(Texts::len).sum();
    let mut codes: Vec<Vec<u32>> = Vec::with_capacity(columns.len());
    let mut count = 0u32;
    let mut prev: Option<(&str, u32)> = None;
    // Per class, the greatest id so far.
    let mut lanes: Vec<((usize, &str), &str)> = Vec::with_capacity(ID_CLASSES);
    let mut suspects: Vec<(u32, &str)> = Vec::new();
    let limit = 4096 + rows / 64;
    for t in columns {
        let mut out = Vec::with_capacity(t.len());
        for i in 0..t.len() {
            let Some(s) = t.get(i).filter(|s| !s.is_empty()) else {
                out.push(NONE);
                continue;
            };
            if let Some((p, code)) = prev
                && same_id(p.as_bytes(), s.as_bytes())
            {
                out.push(code);
                continue;
            }
            let code = count;
            count = count.checked_add(1).filter(|&c| c < NONE)?;
            let class = id_class(s);
            let fresh = match lanes.iter().position(|(c, _)| *c == class) {
                Some(k) if s > lanes[k].1 => {
                    lanes[k].1 = s;
                    true
                }
                Some(_) => false,
                None if lanes.len() < ID_CLASSES => {
                    lanes.push((class, s));
                    true
                }
                None => false,
            };
            if !fresh {
                suspects.push((code, s));
                if suspects.len() > limit {
                    return None;
                }
            }
            prev = Some((s, code));
            out.push(code);
        }
        codes.push(out);
    }
    let mut merged = 0usize;
    if !suspects.is_empty() {
        // The first code of each suspect id; then earlier runs with the same id win.
        let mut first: FxHashMap<&str, u32> = FxHashMap::default();
        let mut is_suspect = vec![0u64; (count as usize).div_ceil(64)];
        for &(code, s) in &suspects {
            first.entry(s).or_insert(code);
            is_suspect[code as usize / 64] |= 1 << (code % 64);
        }
        let suspect = |c: u32| is_suspect[c as usize / 64] >> (c % 64) & 1 == 1;
        // One forward pass: a run equal to a suspect id always comes before it (a later
        // non-suspect run's id is after every earlier id of its class, and equal ids have
        // the same class), so `first` is final by the time a suspect run is reached.
        let mut prev_code = NONE;
        for (t, out) in columns.iter().zip(codes.iter_mut()) {
            for (i, c) in out.iter_mut().enumerate() {
                let code = *c;
                if code == NONE {
                    continue;
                }
                let start = code != prev_code;
                prev_code = code;
                let Some(s) = t.get(i) else { continue };
                if suspect(code) {
                    if let Some(&f) = first.get(s) {
                        *c = f;
                    }
                } else if start && let Some(f) = first.get_mut(s) {
                    *f = (*f).min(code);
                }
            }
        }
        // A suspect run that took another run's code is not a new order.
        merged = suspects
            .iter()
            .filter(|&&(code, s)| first.get(s) != Some(&code))
            .count();
    }
    Some(OrderRuns {
        codes,
        count: count as usize,
        distinct: count as usize - merged,
    })
}

/// Codes of the `customer` or `order` column: text or a dictionary of text (orders may also
/// be integers); a null or empty id is a bad row (code [`NONE`]). Text ids equal to the
/// previous row's are not looked up again (an order's lines are usually together).
fn line_ids(
    cx: &mut Ctx<'_>,
    builder: &mut crate::lines::CustomerLinesBuilder,
    name: &'static str,
) -> Result<Vec<u32>> {
    let is_order = name == "order";
    let code = |builder: &mut crate::lines::CustomerLinesBuilder, id: &str| {
        if is_order {
            builder.order_code(id)
        } else {
            builder.customer_code(id)
        }
    };
    let a = Arc::clone(cx.required(name)?);
    let n = a.len();
    let mut out = Vec::with_capacity(n);
    let missing = |cx: &mut Ctx<'_>, i: usize| {
        cx.bad(
            i,
            name,
            None,
            RejectReason::MissingValue,
            format!("`{name}` is empty"),
        );
    };
    if let Some(t) = Texts::of(a.as_ref()) {
        let mut last: Option<(&str, u32)> = None;
        for i in 0..n {
            match t.get(i) {
                Some(s) if !s.is_empty() => {
                    let c = match last {
                        Some((l, c)) if same_id(l.as_bytes(), s.as_bytes()) => c,
                        _ => code(builder, s),
                    };
                    last = Some((s, c));
                    out.push(c);
                }
                _ => {
                    missing(cx, i);
                    out.push(NONE);
                }
            }
        }
        return Ok(out);
    }
    if let Some(d) = a.as_any_dictionary_opt() {
        let values = Arc::clone(d.values());
        if let Some(t) = Texts::of(values.as_ref()) {
            // Dictionary values are coded on first use, so unused ones add no customer.
            let mut codes = vec![NONE; values.len()];
            let mut resolve = |k: usize| -> u32 {
                match codes.get(k) {
                    Some(&c) if c != NONE => c,
                    Some(_) => match t.get(k).filter(|s| !s.is_empty()) {
                        Some(s) => {
                            let c = code(builder, s);
                            codes[k] = c;
                            c
                        }
                        None => NONE,
                    },
                    None => NONE,
                }
            };
            let keys = d.keys();
            macro_rules! by_key_type {
                ($($t:ty),*) => {
                    $(
                        if let Some(p) = keys.as_primitive_opt::<$t>() {
                            for (i, &k) in p.values().iter().enumerate() {
                                let c = if p.is_null(i) {
                                    NONE
                                } else {
                                    usize::try_from(k).map_or(NONE, &mut resolve)
                                };
                                if c == NONE {
                                    missing(cx, i);
                                }
                                out.push(c);
                            }
                            return Ok(out);
                        }
                    )*
                };
            }
            use arrow_array::types::{Int8Type, Int16Type, UInt16Type};
            by_key_type!(
                Int32Type, UInt32Type, Int8Type, Int16Type, UInt8Type, UInt16Type, Int64Type,
                UInt64Type
            );
        }
    }
    if is_order {
        macro_rules! by_int_type {
            ($($t:ty),*) => {
                $(
                    if let Some(p) = a.as_primitive_opt::<$t>() {
                        for (i, &v) in p.values().iter().enumerate() {
                            match u64::try_from(v) {
                                Ok(v) if !p.is_null(i) => out.push(builder.numeric_order_code(v)),
                                _ => {
                                    missing(cx, i);
                                    out.push(NONE);
                                }
                            }
                        }
                        return Ok(out);
                    }
                )*
            };
        }
        by_int_type!(UInt32Type, UInt64Type, Int32Type, Int64Type);
    }
    let expected = if is_order {
        "Utf8, LargeUtf8, Utf8View, Dictionary(_, Utf8) or an integer type"
    } else {
        "Utf8, LargeUtf8, Utf8View or Dictionary(_, Utf8)"
    };
    Err(cx.type_error(name, a.data_type(), expected))
}
