//! `qudao_dataset`: an immutable, shareable data set, and the functions that make and read it.

use std::sync::Arc;

use qudao_core::date::{MAX_YEAR, MIN_YEAR};
use qudao_core::ingest::csv::{self, CsvFiles};
use qudao_core::master::{MasterData, MasterDocument, Origins};
use qudao_core::reject::{RejectReason, RejectionReport};
use qudao_core::{Dataset, DatasetBuilder, Date, TxInput, TxKind};

use crate::args::{self, Options, qudao_load_options, qudao_str};
use crate::bytes::qudao_bytes;
use crate::entry::{Failure, ffi};
use crate::error::qudao_error;

/// A loaded data set: master data, transactions, operational tables and the rejection report
/// of the load.
///
/// Ownership: reference counted. Every function that hands one out (`_load_*`, `_from_columns`,
/// `_sample`, `_clone`) gives the host one reference, released with `qudao_dataset_free`.
/// Thread safety: immutable; any number of threads may read one data set at the same time,
/// and clone and free references concurrently.
#[derive(Debug)]
pub struct qudao_dataset {
    pub(crate) inner: Dataset,
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<qudao_dataset>();
};

/// Hand a data set to the host as one Arc reference.
///
/// # Safety
/// `out` is valid for writing one pointer.
unsafe fn hand_out(out: *mut *const qudao_dataset, inner: Dataset) {
    let raw = Arc::into_raw(Arc::new(qudao_dataset { inner }));
    // SAFETY: the caller's contract.
    unsafe { out.write(raw) };
}

/// Borrow the data set behind a handle.
///
/// # Safety
/// `ds` is a live handle (non-NULL, not freed).
unsafe fn borrow<'a>(ds: *const qudao_dataset) -> &'a Dataset {
    // SAFETY: `ds` came from `Arc::into_raw` and a reference is held (the caller's contract).
    unsafe { &(*ds).inner }
}

/// Add a reference to a data set and return it (the same pointer). Returns NULL when `ds` is
/// NULL.
///
/// Ownership: the returned reference is the host's, released with `qudao_dataset_free`.
/// Thread safety: may be called from any thread, concurrently with other clones and frees.
///
/// # Safety
/// `ds` is NULL or a live data set reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_dataset_clone(ds: *const qudao_dataset) -> *const qudao_dataset {
    ffi!(default: std::ptr::null(), {
        if !ds.is_null() {
            // SAFETY: `ds` came from `Arc::into_raw` and the caller holds a reference.
            unsafe { Arc::increment_strong_count(ds) };
        }
        ds
    })
}

/// Release one reference to a data set; the data set is freed with its last reference.
/// `qudao_dataset_free(NULL)` does nothing.
///
/// Ownership: takes one reference; `ds` must not be used by this reference holder afterwards.
/// Thread safety: may be called from any thread, concurrently with other clones and frees.
///
/// # Safety
/// `ds` is NULL or a live data set reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_dataset_free(ds: *const qudao_dataset) {
    ffi!(default: (), {
        if !ds.is_null() {
            // SAFETY: `ds` came from `Arc::into_raw` and the caller gives up one reference.
            unsafe { Arc::decrement_strong_count(ds) };
        }
    })
}

/// Number of transaction lines in the data set (after rejections); 0 when `ds` is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `ds` is NULL or a live data set reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_dataset_transaction_count(ds: *const qudao_dataset) -> usize {
    ffi!(default: 0, {
        if ds.is_null() {
            0
        } else {
            // SAFETY: `ds` is a live handle (the caller's contract).
            unsafe { borrow(ds) }.transactions.len()
        }
    })
}

/// The data summary (totals; by channel, partner and month; master counts; rejections) as
/// UTF-8 JSON. Money is in minor units of the data set's currency.
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `ds` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same data set.
///
/// # Safety
/// `ds` is a live data set reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_dataset_summary_json(
    ds: *const qudao_dataset,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> crate::qudao_status {
    ffi!(err: err, nonnull: [ds, out], {
        // SAFETY: `ds` is a live handle (the caller's contract).
        let json = unsafe { borrow(ds) }.summary()?.to_json();
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { out.write(qudao_bytes::into_raw(json.into_bytes())) };
        Ok(())
    })
}

/// The rejection report of the load that made the data set, as UTF-8 JSON: exact counts per
/// table and reason, and the first rejections with file, line, column, value and message.
/// Empty (no counts) after a strict load.
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `ds` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same data set.
///
/// # Safety
/// `ds` is a live data set reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_dataset_rejections_json(
    ds: *const qudao_dataset,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> crate::qudao_status {
    ffi!(err: err, nonnull: [ds, out], {
        // SAFETY: `ds` is a live handle (the caller's contract).
        let report = &unsafe { borrow(ds) }.rejections;
        let json = serde_json::to_vec_pretty(report)
            .map_err(|e| Failure::new(crate::qudao_status::Other, e.to_string()))?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { out.write(qudao_bytes::into_raw(json)) };
        Ok(())
    })
}

/// Transaction lines as host arrays (struct of arrays), for `qudao_dataset_from_columns`.
///
/// Every non-NULL array has `rows` elements. Text columns are `qudao_str` arrays of UTF-8;
/// money is in minor units of the currency (`12.34` CNY is `1234`).
///
/// Versioning: `struct_size` must be `sizeof(qudao_transaction_columns)`.
/// Ownership: the host owns the struct and every array; the library reads them during the call
/// and retains nothing after it returns.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_transaction_columns {
    /// `sizeof(qudao_transaction_columns)`.
    pub struct_size: u32,
    /// Number of lines.
    pub rows: usize,
    /// Order ids. Required.
    pub order: *const qudao_str,
    /// Line numbers within the order (≥ 1). Required.
    pub line: *const u32,
    /// Days since 1970-01-01 (years 1900–2199). Required.
    pub date: *const i32,
    /// Customer ids. Required.
    pub customer: *const qudao_str,
    /// Partner ids; an empty string is a direct sale. NULL: every line is a direct sale.
    pub partner: *const qudao_str,
    /// Channel ids. Required.
    pub channel: *const qudao_str,
    /// Product ids. Required.
    pub product: *const qudao_str,
    /// Territory ids where sold. Required.
    pub territory: *const qudao_str,
    /// 0 sale, 1 return. NULL: the kind follows the sign of the quantity.
    pub kind: *const u8,
    /// Units; negative on returns. Required.
    pub quantity: *const i64,
    /// Unit price, minor units. Required.
    pub unit_price: *const i64,
    /// Net amount, minor units; negative on returns. Required.
    pub amount: *const i64,
    /// Cost, minor units; negative on returns. NULL: no costs.
    pub cost: *const i64,
    /// Non-zero where `cost` is given. NULL: every cost is given (when `cost` is not NULL).
    pub cost_valid: *const u8,
    /// Original order ids of returns; an empty string is none. NULL: none.
    pub original_order: *const qudao_str,
}

/// The columns as slices.
struct Columns<'a> {
    rows: usize,
    order: &'a [qudao_str],
    line: &'a [u32],
    date: &'a [i32],
    customer: &'a [qudao_str],
    partner: Option<&'a [qudao_str]>,
    channel: &'a [qudao_str],
    product: &'a [qudao_str],
    territory: &'a [qudao_str],
    kind: Option<&'a [u8]>,
    quantity: &'a [i64],
    unit_price: &'a [i64],
    amount: &'a [i64],
    cost: Option<&'a [i64]>,
    cost_valid: Option<&'a [u8]>,
    original_order: Option<&'a [qudao_str]>,
}

impl Columns<'_> {
    /// Read the struct.
    ///
    /// # Safety
    /// `c` is valid for reads of a `qudao_transaction_columns` and every non-NULL array in it
    /// has `rows` elements, valid for the call.
    unsafe fn read<'a>(c: *const qudao_transaction_columns) -> Result<Columns<'a>, Failure> {
        // SAFETY: `c` is non-NULL and readable for its first field (the caller's contract).
        let size = unsafe { std::ptr::addr_of!((*c).struct_size).read_unaligned() };
        if size as usize != size_of::<qudao_transaction_columns>() {
            return Err(Failure::invalid(
                "cols",
                format!(
                    "struct_size is {size}, this library knows qudao_transaction_columns of {} \
                     bytes; set struct_size = sizeof(qudao_transaction_columns)",
                    size_of::<qudao_transaction_columns>()
                ),
            ));
        }
        // SAFETY: the struct is complete (size checked) and every field is a plain integer or
        // pointer, valid for any bit pattern.
        let c = unsafe { c.read_unaligned() };
        let n = c.rows;
        // SAFETY (all below): each array has `rows` elements (the caller's contract).
        macro_rules! req {
            ($f:ident) => {
                if c.$f.is_null() && n > 0 {
                    return Err(Failure::null(concat!("cols->", stringify!($f))));
                } else {
                    // SAFETY: see above.
                    unsafe { args::slice(c.$f, n, concat!("cols->", stringify!($f))) }?
                }
            };
        }
        macro_rules! opt {
            ($f:ident) => {
                if c.$f.is_null() {
                    None
                } else {
                    // SAFETY: see above.
                    Some(unsafe { args::slice(c.$f, n, concat!("cols->", stringify!($f))) }?)
                }
            };
        }
        Ok(Columns {
            rows: n,
            order: req!(order),
            line: req!(line),
            date: req!(date),
            customer: req!(customer),
            partner: opt!(partner),
            channel: req!(channel),
            product: req!(product),
            territory: req!(territory),
            kind: opt!(kind),
            quantity: req!(quantity),
            unit_price: req!(unit_price),
            amount: req!(amount),
            cost: opt!(cost),
            cost_valid: opt!(cost_valid),
            original_order: opt!(original_order),
        })
    }
}

/// Build a data set from master data and one set of transaction columns.
fn from_columns(master_json: &str, cols: &Columns<'_>, opts: &Options) -> Result<Dataset, Failure> {
    let mut doc = MasterDocument::from_json(master_json)?;
    if let Some(c) = &opts.currency {
        doc.currency = c.clone();
    }
    let mut report = RejectionReport::default();
    let (master, _) = MasterData::build(doc, opts.mode, &Origins::default(), &mut report)?;
    let mut b = DatasetBuilder::new(master, opts.mode);
    b.report_mut().extend(report);
    b.reserve(cols.rows);
    let first = Date::from_ymd(MIN_YEAR, 1, 1).map_err(|e| Failure::invalid("date", e))?;
    let last = Date::from_ymd(MAX_YEAR, 12, 31).map_err(|e| Failure::invalid("date", e))?;
    for i in 0..cols.rows {
        let row = i as u64 + 1;
        let text = |col: &[qudao_str], name: &str| {
            // SAFETY: each `qudao_str` element was given by the host as valid for the call
            // (the contract of `qudao_dataset_from_columns`).
            unsafe { args::str_of(col[i], &|| format!("cols->{name}[{i}]")) }
        };
        let date = cols.date[i];
        if date < first.0 || date > last.0 {
            b.reject(
                "transactions",
                row,
                Some("date"),
                Some(&date.to_string()),
                RejectReason::DateOutOfRange,
                format!("day {date} since 1970-01-01 is outside the years {MIN_YEAR}..={MAX_YEAR}"),
            )?;
            continue;
        }
        let quantity = cols.quantity[i];
        let kind = match cols.kind.map(|k| k[i]) {
            None if quantity < 0 => TxKind::Return,
            None | Some(0) => TxKind::Sale,
            Some(1) => TxKind::Return,
            Some(k) => {
                b.reject(
                    "transactions",
                    row,
                    Some("kind"),
                    Some(&k.to_string()),
                    RejectReason::BadValue,
                    "kind is 0 (sale) or 1 (return)",
                )?;
                continue;
            }
        };
        let partner = match cols.partner {
            Some(p) => Some(text(p, "partner")?).filter(|s| !s.is_empty()),
            None => None,
        };
        let original_order = match cols.original_order {
            Some(o) => Some(text(o, "original_order")?).filter(|s| !s.is_empty()),
            None => None,
        };
        let cost = match (cols.cost, cols.cost_valid) {
            (None, _) => None,
            (Some(c), None) => Some(c[i]),
            (Some(c), Some(v)) => (v[i] != 0).then_some(c[i]),
        };
        let input = TxInput {
            order: text(cols.order, "order")?,
            line: cols.line[i],
            date: Date(date),
            customer: text(cols.customer, "customer")?,
            partner,
            channel: text(cols.channel, "channel")?,
            product: text(cols.product, "product")?,
            territory: text(cols.territory, "territory")?,
            kind,
            quantity,
            unit_price: cols.unit_price[i],
            amount: cols.amount[i],
            cost,
            original_order,
        };
        b.push(&input, row)?;
    }
    Ok(b.finish()?)
}

/// Make a data set from master data as JSON and transaction lines as host arrays.
///
/// `master_json` (`master_len` bytes of UTF-8) is a master-data document: `currency`,
/// `territories`, `channels`, `partners`, `categories`, `products`, `prices`, `customers`
/// (see docs/data-format.md). A document error names the field path. `cols` describes the
/// lines; a bad line is an error naming `transactions`, the 1-based row and the column in
/// strict mode, or is set aside in the rejection report in lenient mode. Customers are
/// registered as the lines name them when the document lists none.
/// A currency in `opts` overrides the document's.
///
/// On success `*out` receives a new data set reference (free with `qudao_dataset_free`).
/// Nullability: `master_json` may be NULL only when `master_len` is 0 (an empty document is
/// a parse error); `cols`, `out` must not be NULL; `opts` may be NULL (defaults); `err` may be.
/// Lifetime: nothing the host passes is retained after the call returns.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `master_json` points to `master_len` readable bytes; `cols` points to a
/// `qudao_transaction_columns` whose non-NULL arrays each hold `rows` elements (and whose
/// `qudao_str` elements point to `len` readable bytes); `opts` is NULL or a valid
/// `qudao_load_options`; `out` is valid for writing one pointer; `err` is NULL or valid for writing
/// one pointer. None of the host's memory is modified by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_dataset_from_columns(
    master_json: *const u8,
    master_len: usize,
    cols: *const qudao_transaction_columns,
    opts: *const qudao_load_options,
    out: *mut *const qudao_dataset,
    err: *mut *mut qudao_error,
) -> crate::qudao_status {
    ffi!(err: err, nonnull: [cols, out], {
        // SAFETY: `master_json` is `master_len` readable bytes (the caller's contract).
        let master = unsafe { args::text(master_json, master_len, "master_json") }?;
        // SAFETY: `opts` is NULL or a valid options struct (the caller's contract).
        let opts = unsafe { args::options(opts) }?;
        // SAFETY: `cols` is a valid columns struct (the caller's contract).
        let cols = unsafe { Columns::read(cols) }?;
        let data = from_columns(master, &cols, &opts)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, data) };
        Ok(())
    })
}

/// The core load options.
fn load_options(opts: Options) -> csv::LoadOptions {
    csv::LoadOptions {
        mode: opts.mode,
        currency: opts.currency,
        ..Default::default()
    }
}

/// Load the CSV data set in a directory: `channels.csv`, `territories.csv`, `partners.csv`,
/// `products.csv`, `transactions.csv` and the optional tables and `dataset.toml` (see
/// docs/data-format.md).
///
/// `dir` is `dir_len` bytes of UTF-8 (not NUL-terminated). A missing directory or required
/// file is `QUDAO_STATUS_IO_ERROR` naming the path. In strict mode the first bad record is
/// `QUDAO_STATUS_DATA_ERROR` naming file, line, column and value; in lenient mode bad records
/// go to the rejection report.
///
/// On success `*out` receives a new data set reference (free with `qudao_dataset_free`).
/// Nullability: `dir` may be NULL only when `dir_len` is 0; `opts` may be NULL (defaults);
/// `out` must not be NULL; `err` may be NULL.
/// Lifetime: nothing the host passes is retained after the call returns.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `dir` points to `dir_len` readable bytes; `opts` is NULL or a valid `qudao_load_options`;
/// `out` is valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_dataset_load_csv_dir(
    dir: *const u8,
    dir_len: usize,
    opts: *const qudao_load_options,
    out: *mut *const qudao_dataset,
    err: *mut *mut qudao_error,
) -> crate::qudao_status {
    ffi!(err: err, nonnull: [out], {
        // SAFETY: `dir` is `dir_len` readable bytes (the caller's contract).
        let dir = unsafe { args::text(dir, dir_len, "dir") }?;
        // SAFETY: `opts` is NULL or a valid options struct (the caller's contract).
        let opts = unsafe { args::options(opts) }?;
        let data = csv::load_dir(std::path::Path::new(dir), &load_options(opts))?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, data) };
        Ok(())
    })
}

/// The files of `qudao_dataset_load_csv_files`.
///
/// # Safety
/// `tables` and `paths` each point to `n` `qudao_str` whose bytes are readable.
unsafe fn csv_files(
    tables: *const qudao_str,
    paths: *const qudao_str,
    n: usize,
) -> Result<CsvFiles, Failure> {
    // SAFETY: `tables` and `paths` hold `n` elements (the caller's contract).
    let (tables, paths) = unsafe {
        (
            args::slice(tables, n, "tables")?,
            args::slice(paths, n, "paths")?,
        )
    };
    let mut files = CsvFiles::default();
    for (i, (t, p)) in tables.iter().zip(paths).enumerate() {
        // SAFETY: each element is readable text (the caller's contract).
        let (table, path) = unsafe {
            (
                args::str_of(*t, &|| format!("tables[{i}]"))?,
                args::str_of(*p, &|| format!("paths[{i}]"))?,
            )
        };
        if table != csv::CONFIG_KEY && !csv::TABLES.contains(&table) {
            return Err(Failure::invalid(
                &format!("tables[{i}]"),
                format!("{table:?} is not a table of a data set (see docs/data-format.md)"),
            ));
        }
        if files.paths.insert(table.to_owned(), path.into()).is_some() {
            return Err(Failure::invalid(
                &format!("tables[{i}]"),
                format!("table {table:?} is given twice"),
            ));
        }
    }
    Ok(files)
}

/// Load a CSV data set from files named one by one: `tables[i]` (a table name such as
/// `transactions`, or `dataset.toml` for the settings file) is read from `paths[i]`, for
/// `i < n`. For hosts whose files do not follow the `<table>.csv` naming. The five required
/// tables must be among them.
///
/// Errors and results as for `qudao_dataset_load_csv_dir`; an unknown table name is
/// `QUDAO_STATUS_INVALID_ARGUMENT`.
/// Nullability: `tables` and `paths` may be NULL only when `n` is 0; `opts` may be NULL;
/// `out` must not be NULL; `err` may be NULL.
/// Lifetime: nothing the host passes is retained after the call returns.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `tables` and `paths` each point to `n` `qudao_str` whose bytes are readable; `opts` is NULL
/// or a valid `qudao_load_options`; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_dataset_load_csv_files(
    tables: *const qudao_str,
    paths: *const qudao_str,
    n: usize,
    opts: *const qudao_load_options,
    out: *mut *const qudao_dataset,
    err: *mut *mut qudao_error,
) -> crate::qudao_status {
    ffi!(err: err, nonnull: [out], {
        // SAFETY: `tables` and `paths` hold `n` readable strings (the caller's contract).
        let files = unsafe { csv_files(tables, paths, n) }?;
        // SAFETY: `opts` is NULL or a valid options struct (the caller's contract).
        let opts = unsafe { args::options(opts) }?;
        let data = csv::load_files(&files, &load_options(opts))?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, data) };
        Ok(())
    })
}

/// Generate the sample company: a deterministic data set of `lines` transaction lines (with
/// master data, operational tables and some planted trouble), the same for the same `seed`
/// and `lines` on every platform. For demos, tests and benchmarks.
///
/// A `lines` too large is `QUDAO_STATUS_INVALID_ARGUMENT`.
/// On success `*out` receives a new data set reference (free with `qudao_dataset_free`).
/// Nullability: `out` must not be NULL; `err` may be NULL.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `out` is valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_dataset_sample(
    seed: u64,
    lines: usize,
    out: *mut *const qudao_dataset,
    err: *mut *mut qudao_error,
) -> crate::qudao_status {
    ffi!(err: err, nonnull: [out], {
        let config = qudao_core::sample::SampleConfig {
            seed,
            ..qudao_core::sample::SampleConfig::with_lines(lines)
        };
        let sample = qudao_core::sample::generate(&config)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, sample.dataset) };
        Ok(())
    })
}
