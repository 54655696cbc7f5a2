//! The customer side (issue 3): the per-customer summary as a handle read by columns, and
//! (in the submodules) RFM with segment schemes, ABC, member tiers and lifetime value.
//!
//! Every handle made here is reference counted and immutable (`_clone` / `_free`, `_free(NULL)`
//! does nothing), so hosts can share it across threads. Per-customer results are read into
//! host arrays; summaries and documents come out as JSON in a `qudao_bytes`.

pub mod abc;
pub mod clv;
pub mod document;
pub mod membership;
pub mod rfm;

use std::sync::Arc;

use qudao_core::customer::{CustomerOptions, CustomerSummary, Frequency, TimeUnit};
use qudao_core::date::{MAX_YEAR, MIN_YEAR};
use qudao_core::{Date, TxKind};

use crate::args;
use crate::bytes::qudao_bytes;
use crate::entry::{Failure, ffi, qudao_status};
use crate::error::qudao_error;
use crate::qudao_dataset;

/// Serialize a value as pretty JSON bytes, or fail with `QUDAO_STATUS_OTHER`.
macro_rules! to_json {
    ($v:expr) => {
        serde_json::to_vec_pretty($v).map_err(|e| {
            $crate::entry::Failure::new(
                $crate::entry::qudao_status::Other,
                format!("cannot write JSON: {e}"),
            )
        })
    };
}
pub(crate) use to_json;

/// A value made by `serde_json::to_value`, or `QUDAO_STATUS_OTHER`.
pub(crate) fn json_value(
    v: Result<serde_json::Value, serde_json::Error>,
) -> Result<serde_json::Value, Failure> {
    v.map_err(|e| Failure::new(qudao_status::Other, format!("cannot write JSON: {e}")))
}

/// Hand a value to the host as one `Arc` reference.
///
/// # Safety
/// `out` is valid for writing one pointer.
pub(crate) unsafe fn hand_out<T>(out: *mut *const T, value: T) {
    let raw = Arc::into_raw(Arc::new(value));
    // SAFETY: the caller's contract.
    unsafe { out.write(raw) };
}

/// Add a reference to a handle made by [`hand_out`]; NULL stays NULL.
///
/// # Safety
/// `h` is NULL or a live handle of type `T` made by [`hand_out`].
pub(crate) unsafe fn clone_handle<T>(h: *const T) -> *const T {
    if !h.is_null() {
        // SAFETY: `h` came from `Arc::into_raw` and the caller holds a reference.
        unsafe { Arc::increment_strong_count(h) };
    }
    h
}

/// Release one reference to a handle made by [`hand_out`]; NULL does nothing.
///
/// # Safety
/// `h` is NULL or a live handle of type `T` made by [`hand_out`], not used afterwards by
/// this reference's holder.
pub(crate) unsafe fn free_handle<T>(h: *const T) {
    if !h.is_null() {
        // SAFETY: `h` came from `Arc::into_raw` and the caller gives up one reference.
        unsafe { Arc::decrement_strong_count(h) };
    }
}

/// Borrow the value behind a live handle.
///
/// # Safety
/// `h` is a live handle (non-NULL, not freed) whose referent outlives `'a`.
pub(crate) unsafe fn borrow<'a, T>(h: *const T) -> &'a T {
    // SAFETY: the caller's contract.
    unsafe { &*h }
}

/// Write a new buffer to `out`.
///
/// # Safety
/// `out` is valid for writing one pointer.
pub(crate) unsafe fn write_bytes(out: *mut *mut qudao_bytes, data: Vec<u8>) {
    // SAFETY: the caller's contract.
    unsafe { out.write(qudao_bytes::into_raw(data)) };
}

/// A host array the library writes: `len` elements at `ptr`, checked non-NULL and aligned.
/// Written element by element through the pointer (no Rust reference to host memory is
/// made, so arrays the host passes twice do not alias a `&mut`).
pub(crate) struct OutArray<T> {
    ptr: *mut T,
    len: usize,
}

impl<T> OutArray<T> {
    /// Check `len` elements at `ptr` for writing; NULL gives `None`.
    pub(crate) fn optional(ptr: *mut T, len: usize, name: &str) -> Result<Option<Self>, Failure> {
        if ptr.is_null() {
            return Ok(None);
        }
        Self::required(ptr, len, name).map(Some)
    }

    /// Check `len` elements at `ptr` for writing; NULL is an error when `len > 0`.
    pub(crate) fn required(ptr: *mut T, len: usize, name: &str) -> Result<Self, Failure> {
        if len > 0 && ptr.is_null() {
            return Err(Failure::null(name));
        }
        if len > 0 && !ptr.is_aligned() {
            return Err(Failure::invalid(
                name,
                "pointer is not aligned for its element type",
            ));
        }
        if len
            .checked_mul(size_of::<T>())
            .is_none_or(|n| n > isize::MAX as usize)
        {
            return Err(Failure::invalid(name, format!("length {len} is too large")));
        }
        Ok(OutArray { ptr, len })
    }

    /// Write element `i` (ignored past the end).
    ///
    /// # Safety
    /// The host array is valid for writing `len` elements for the duration of the call.
    pub(crate) unsafe fn set(&self, i: usize, value: T) {
        if i < self.len {
            // SAFETY: `i < len`, the pointer is non-NULL and aligned (checked), and valid for
            // `len` writes (the caller's contract).
            unsafe { self.ptr.add(i).write(value) };
        }
    }

    /// Write every element from a slice of the same length.
    ///
    /// # Safety
    /// As for [`OutArray::set`].
    pub(crate) unsafe fn fill_from(&self, values: &[T])
    where
        T: Copy,
    {
        for (i, &v) in values.iter().enumerate() {
            // SAFETY: forwarded contract.
            unsafe { self.set(i, v) };
        }
    }
}

/// A day number given by the host, checked to lie in the years the library accepts.
pub(crate) fn day(value: i32, name: &str) -> Result<Date, Failure> {
    let first = Date::from_ymd(MIN_YEAR, 1, 1).map_err(|e| Failure::invalid(name, e))?;
    let last = Date::from_ymd(MAX_YEAR, 12, 31).map_err(|e| Failure::invalid(name, e))?;
    if value < first.0 || value > last.0 {
        return Err(Failure::invalid(
            name,
            format!("day {value} since 1970-01-01 is outside the years {MIN_YEAR}..={MAX_YEAR}"),
        ));
    }
    Ok(Date(value))
}

/// Check a host row count against the rows of a result.
pub(crate) fn check_rows(given: usize, rows: usize, name: &str) -> Result<(), Failure> {
    if given == rows {
        Ok(())
    } else {
        Err(Failure::invalid(
            name,
            format!("{given} rows given, the result has {rows}"),
        ))
    }
}

/// Check a row index.
pub(crate) fn check_row(row: usize, rows: usize) -> Result<(), Failure> {
    if row < rows {
        Ok(())
    } else {
        Err(Failure::invalid(
            "row",
            format!("row {row} is out of range ({rows} rows)"),
        ))
    }
}

/// Parse `YYYY-MM-DD` into days since 1970-01-01, the form every date argument of this API
/// takes.
///
/// `text` is `len` bytes of UTF-8 (surrounding spaces allowed). A bad date (`2025-02-30`, a
/// year outside 1900–2199, another form) is `QUDAO_STATUS_INVALID_ARGUMENT`.
/// On success `*out` receives the day number. Nullability: `text` may be NULL only when
/// `len` is 0; `out` must not be NULL; `err` may be NULL.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `text` points to `len` readable bytes; `out` is valid for writing one `int32_t`; `err` is
/// NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_date_parse(
    text: *const u8,
    len: usize,
    out: *mut i32,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [out], {
        // SAFETY: `text` is `len` readable bytes (the caller's contract).
        let text = unsafe { args::text(text, len, "text") }?;
        let date: Date = text
            .parse()
            .map_err(|e| Failure::invalid("text", format!("{text:?}: {e}")))?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { out.write(date.0) };
        Ok(())
    })
}

/// What RFM frequency counts. There is no default: peers disagree, so the host says which.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qudao_frequency {
    /// Not chosen (what `qudao_customer_options_init` writes): computing with it is
    /// `QUDAO_STATUS_INVALID_ARGUMENT`.
    Unset = 0,
    /// Distinct sale orders.
    DistinctOrders = 1,
    /// Sale lines.
    OrderLines = 2,
    /// Distinct active periods (days or ISO weeks, see `period`).
    ActivePeriods = 3,
}

/// A time unit.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qudao_time_unit {
    /// Days.
    Day = 0,
    /// Weeks: as a measure 7 days, as a period an ISO week (Monday to Sunday).
    Week = 1,
}

const _: () = assert!(size_of::<qudao_frequency>() == size_of::<u32>());
const _: () = assert!(size_of::<qudao_time_unit>() == size_of::<u32>());

/// Options of `qudao_customers_compute`. Fill one in with `qudao_customer_options_init`, then
/// set `as_of` and `frequency` (both required).
///
/// Versioning: `struct_size` must be `sizeof(qudao_customer_options)`.
/// Ownership: owned by the host; read during the call, nothing retained after it returns.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_customer_options {
    /// `sizeof(qudao_customer_options)`.
    pub struct_size: u32,
    /// The summary date, days since 1970-01-01 (see `qudao_date_parse`): lines after it are
    /// ignored; recency and BTYD `T` run to it.
    pub as_of: i32,
    /// What RFM frequency counts. Required: `QUDAO_FREQUENCY_UNSET` is refused.
    pub frequency: qudao_frequency,
    /// What one active period is (for `QUDAO_FREQUENCY_ACTIVE_PERIODS` and BTYD `x`).
    /// Default: days.
    pub period: qudao_time_unit,
    /// The unit of BTYD `t_x` and `T`. Default: weeks (the CDNOW convention).
    pub unit: qudao_time_unit,
}

/// Fill `opts` with `struct_size = sizeof(qudao_customer_options)`, `as_of = 0`,
/// `frequency = QUDAO_FREQUENCY_UNSET` (set it), daily periods and weekly BTYD times.
/// Does nothing when `opts` is NULL.
///
/// Ownership: `opts` is owned by the host. Thread safety: may be called from any thread.
///
/// # Safety
/// `opts` is NULL or valid for writing one `qudao_customer_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_customer_options_init(opts: *mut qudao_customer_options) {
    ffi!(default: (), {
        if !opts.is_null() {
            // SAFETY: `opts` is non-NULL and valid for writing one struct (the caller's
            // contract); `write_unaligned` needs no alignment.
            unsafe {
                opts.write_unaligned(qudao_customer_options {
                    struct_size: size_of::<qudao_customer_options>() as u32,
                    as_of: 0,
                    frequency: qudao_frequency::Unset,
                    period: qudao_time_unit::Day,
                    unit: qudao_time_unit::Week,
                });
            }
        }
    })
}

/// Read a time unit given as a number.
fn time_unit(value: u32, name: &str) -> Result<TimeUnit, Failure> {
    match value {
        0 => Ok(TimeUnit::Day),
        1 => Ok(TimeUnit::Week),
        other => Err(Failure::invalid(
            name,
            format!("{other} is not a qudao_time_unit"),
        )),
    }
}

/// Read customer options.
///
/// # Safety
/// `opts` is non-NULL and points to at least `opts->struct_size` readable bytes laid out as
/// a `qudao_customer_options`.
unsafe fn customer_options(
    opts: *const qudao_customer_options,
) -> Result<CustomerOptions, Failure> {
    // SAFETY: `opts` is non-NULL and readable for its first field (the caller's contract).
    let size = unsafe { std::ptr::addr_of!((*opts).struct_size).read_unaligned() };
    if size as usize != size_of::<qudao_customer_options>() {
        return Err(Failure::invalid(
            "opts",
            format!(
                "struct_size is {size}, this library knows qudao_customer_options of {} bytes; \
                 set struct_size = sizeof(qudao_customer_options) or use \
                 qudao_customer_options_init",
                size_of::<qudao_customer_options>()
            ),
        ));
    }
    // SAFETY: the struct is complete (size checked). The enum fields are 4 bytes (asserted
    // above) and are read as `u32`, so any number the host put there is a valid value.
    let (as_of, frequency, period, unit) = unsafe {
        (
            std::ptr::addr_of!((*opts).as_of).read_unaligned(),
            std::ptr::addr_of!((*opts).frequency)
                .cast::<u32>()
                .read_unaligned(),
            std::ptr::addr_of!((*opts).period)
                .cast::<u32>()
                .read_unaligned(),
            std::ptr::addr_of!((*opts).unit)
                .cast::<u32>()
                .read_unaligned(),
        )
    };
    let frequency = match frequency {
        1 => Frequency::DistinctOrders,
        2 => Frequency::OrderLines,
        3 => Frequency::ActivePeriods,
        0 => {
            return Err(Failure::invalid(
                "opts->frequency",
                "not set; choose QUDAO_FREQUENCY_DISTINCT_ORDERS, _ORDER_LINES or \
                 _ACTIVE_PERIODS",
            ));
        }
        other => {
            return Err(Failure::invalid(
                "opts->frequency",
                format!("{other} is not a qudao_frequency"),
            ));
        }
    };
    Ok(CustomerOptions {
        as_of: day(as_of, "opts->as_of")?,
        frequency,
        period: time_unit(period, "opts->period")?,
        unit: time_unit(unit, "opts->unit")?,
    })
}

/// The per-customer summary as of a date: one row per customer with a purchase on or before
/// it, in customer id order. Returns net the money; customers with only returns are left out
/// and counted (`qudao_customers_info_json`).
///
/// Ownership: reference counted; `qudao_customers_compute` and `_clone` give the host one
/// reference, released with `qudao_customers_free`. It keeps its data set alive (customer
/// ids are borrowed from it), so the host may free the data set first.
/// Thread safety: immutable; any number of threads may read it, clone and free references.
#[derive(Debug)]
pub struct qudao_customers {
    pub(crate) dataset: Arc<qudao_dataset>,
    pub(crate) summary: CustomerSummary,
}

// Every handle of this module is documented as shareable across threads.
const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<qudao_customers>();
    shareable::<rfm::qudao_segment_scheme>();
    shareable::<rfm::qudao_rfm>();
    shareable::<abc::qudao_abc>();
    shareable::<membership::qudao_membership>();
    shareable::<clv::qudao_clv_model>();
};

/// Summarise every customer of `ds` as of `opts->as_of`: first and last purchase, recency,
/// frequency (by the rule `opts->frequency` names; the other two counts are kept too),
/// monetary value and margin net of returns, and the BTYD inputs `x`, `t_x`, `T` in
/// `opts->unit`.
///
/// Errors: a bad option is `QUDAO_STATUS_INVALID_ARGUMENT` naming the field; a customer's
/// value leaving 64-bit minor units is `QUDAO_STATUS_OVERFLOW`. An `as_of` before all data
/// gives an empty summary, not an error.
/// On success `*out` receives a new reference (free with `qudao_customers_free`).
/// Nullability: `ds`, `opts` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same data set; uses
/// all cores.
///
/// # Safety
/// `ds` is a live data set reference; `opts` is a valid `qudao_customer_options`; `out` is
/// valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_customers_compute(
    ds: *const qudao_dataset,
    opts: *const qudao_customer_options,
    out: *mut *const qudao_customers,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [ds, opts, out], {
        // SAFETY: `opts` is a valid options struct (the caller's contract).
        let options = unsafe { customer_options(opts) }?;
        // SAFETY: `ds` came from `Arc::into_raw` and the caller holds a reference; the new
        // reference is owned by the handle.
        let dataset = unsafe {
            Arc::increment_strong_count(ds);
            Arc::from_raw(ds)
        };
        let summary = CustomerSummary::compute(&dataset.inner, options)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_customers { dataset, summary }) };
        Ok(())
    })
}

/// Customer lines as host arrays (struct of arrays), for `qudao_customers_from_lines`: only
/// what a per-customer summary reads, without master data.
///
/// Every non-NULL array has `rows` elements. Money is in minor units of the currency.
/// Versioning: `struct_size` must be `sizeof(qudao_customer_line_columns)`.
/// Ownership: the host owns the struct and every array; the library reads them during the call
/// and retains nothing after it returns.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_customer_line_columns {
    /// `sizeof(qudao_customer_line_columns)`.
    pub struct_size: u32,
    /// Number of lines.
    pub rows: usize,
    /// Customer ids (UTF-8). Required.
    pub customer: *const args::qudao_str,
    /// Order ids (UTF-8); an order has one customer. Required.
    pub order: *const args::qudao_str,
    /// Days since 1970-01-01 (years 1900–2199). Required.
    pub date: *const i32,
    /// Net amounts, minor units: not negative on sales, not positive on returns. Required.
    pub amount: *const i64,
    /// 0 sale, 1 return. NULL: a line with a negative amount is a return.
    pub kind: *const u8,
    /// Cost of goods, minor units (margins need it). NULL: no costs.
    pub cost: *const i64,
    /// Non-zero where `cost` is given. NULL: every cost is given (when `cost` is not NULL).
    pub cost_valid: *const u8,
}

/// Summarise customer lines as of `opts->as_of`, like `qudao_customers_compute` but straight
/// from host arrays of customer, order, date, amount (and kind, cost): no master data and no
/// data set, for hosts that only want RFM or lifetime-value inputs. The same lines give the
/// same summary either way.
///
/// `currency` is an ISO 4217 code (`currency_len` bytes of UTF-8), or NULL with length 0 for
/// CNY. Errors: the first bad line is `QUDAO_STATUS_DATA_ERROR` naming source `lines`, its
/// 1-based row and the column (an empty id, a date out of range, a kind other than 0 or 1,
/// an amount or cost of the wrong sign, an order named with two customers); a bad option or
/// currency is
/// `QUDAO_STATUS_INVALID_ARGUMENT`.
/// On success `*out` receives a new reference (free with `qudao_customers_free`); its rows
/// name customers as the lines do.
/// Nullability: `cols`, `opts` and `out` must not be NULL; `currency` may be NULL when
/// `currency_len` is 0; `err` may be NULL.
/// Lifetime: nothing the host passes is retained after the call returns.
/// Thread safety: may be called from any thread; uses all cores.
///
/// # Safety
/// `cols` points to a `qudao_customer_line_columns` whose non-NULL arrays each hold `rows`
/// elements (and whose `qudao_str` elements point to `len` readable bytes); `currency` points
/// to `currency_len` readable bytes; `opts` is a valid `qudao_customer_options`; `out` is
/// valid for writing one pointer; `err` is NULL or valid for writing one pointer. None of the
/// host's memory is modified by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_customers_from_lines(
    cols: *const qudao_customer_line_columns,
    currency: *const u8,
    currency_len: usize,
    opts: *const qudao_customer_options,
    out: *mut *const qudao_customers,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [cols, opts, out], {
        // SAFETY: `opts` is a valid options struct (the caller's contract).
        let options = unsafe { customer_options(opts) }?;
        // SAFETY: `currency` is `currency_len` readable bytes (the caller's contract).
        let code = unsafe { args::text(currency, currency_len, "currency") }?;
        let currency = if code.is_empty() {
            qudao_core::Currency::default()
        } else {
            qudao_core::Currency::from_code(code).map_err(|e| Failure::invalid("currency", e))?
        };
        // SAFETY: `cols` is valid for reads of the struct (the caller's contract).
        let size = unsafe { std::ptr::addr_of!((*cols).struct_size).read_unaligned() };
        if size as usize != size_of::<qudao_customer_line_columns>() {
            return Err(Failure::invalid(
                "cols",
                format!(
                    "struct_size is {size}, this library knows qudao_customer_line_columns of \
                     {} bytes; set struct_size = sizeof(qudao_customer_line_columns)",
                    size_of::<qudao_customer_line_columns>()
                ),
            ));
        }
        // SAFETY: the struct is complete (size checked); its fields are plain integers and
        // pointers, valid for any bit pattern.
        let c = unsafe { cols.read_unaligned() };
        let n = c.rows;
        // SAFETY: each non-NULL array has `rows` elements (the caller's contract).
        let customer = unsafe { args::slice(c.customer, n, "cols->customer") }?;
        // SAFETY: as above.
        let order = unsafe { args::slice(c.order, n, "cols->order") }?;
        // SAFETY: as above.
        let date = unsafe { args::slice(c.date, n, "cols->date") }?;
        // SAFETY: as above.
        let amount = unsafe { args::slice(c.amount, n, "cols->amount") }?;
        let optional = |p: *const u8, name: &str| -> Result<Option<&[u8]>, Failure> {
            if p.is_null() {
                Ok(None)
            } else {
                // SAFETY: each non-NULL array has `rows` elements (the caller's contract).
                unsafe { args::slice(p, n, name) }.map(Some)
            }
        };
        let kind = optional(c.kind, "cols->kind")?;
        let cost_valid = optional(c.cost_valid, "cols->cost_valid")?;
        let cost = if c.cost.is_null() {
            None
        } else {
            // SAFETY: each non-NULL array has `rows` elements (the caller's contract).
            Some(unsafe { args::slice(c.cost, n, "cols->cost") }?)
        };
        let mut b = qudao_core::lines::CustomerLines::builder(currency);
        for i in 0..n {
            let text = |col: &[args::qudao_str], name: &str| {
                // SAFETY: each `qudao_str` was given as valid for the call (the contract).
                unsafe { args::str_of(col[i], &|| format!("cols->{name}[{i}]")) }
            };
            let kind = match kind.map(|k| k[i]) {
                None if amount[i] < 0 => TxKind::Return,
                None | Some(0) => TxKind::Sale,
                Some(1) => TxKind::Return,
                Some(k) => {
                    let at = qudao_core::Location {
                        source: "lines".into(),
                        line: i as u64 + 1,
                        column: Some("kind".into()),
                        value: Some(k.to_string()),
                    };
                    Err(qudao_core::Error::data(at, "kind is 0 (sale) or 1 (return)"))?
                }
            };
            let cost = match (cost, cost_valid) {
                (None, _) => None,
                (Some(c), None) => Some(c[i]),
                (Some(c), Some(v)) => (v[i] != 0).then_some(c[i]),
            };
            b.push(&qudao_core::lines::CustomerLine {
                customer: text(customer, "customer")?,
                order: text(order, "order")?,
                date: Date(date[i]),
                amount: amount[i],
                kind,
                cost,
            })?;
        }
        let lines = b.finish();
        let summary = lines.summarise(options)?;
        let dataset = Arc::new(qudao_dataset {
            inner: lines.id_dataset(),
        });
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_customers { dataset, summary }) };
        Ok(())
    })
}

/// Add a reference to a customer summary and return it (the same pointer); NULL gives NULL.
///
/// Ownership: the returned reference is the host's, released with `qudao_customers_free`.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `customers` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_customers_clone(
    customers: *const qudao_customers,
) -> *const qudao_customers {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(customers) } })
}

/// Release one reference to a customer summary. `qudao_customers_free(NULL)` does nothing.
///
/// Ownership: takes one reference; ids borrowed through it stay valid only while another
/// reference lives. Thread safety: may be called from any thread.
///
/// # Safety
/// `customers` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_customers_free(customers: *const qudao_customers) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(customers) } })
}

/// Number of rows (customers with a purchase on or before the date); 0 when `customers` is
/// NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `customers` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_customers_len(customers: *const qudao_customers) -> usize {
    ffi!(default: 0, {
        // SAFETY: NULL or live (the caller's contract).
        unsafe { customers.as_ref() }.map_or(0, |c| c.summary.len())
    })
}

/// Host arrays that `qudao_customers_columns` fills, one element per row (struct of
/// arrays). Leave an array NULL to skip its column.
///
/// Money is in minor units of the data set's currency (`12.34` CNY is `1234`); days are days
/// since 1970-01-01. The BTYD triple (`x`, `t_x`, `t`) is `double` because the CLV functions
/// take it so; `x` is a whole number.
///
/// Versioning: `struct_size` must be `sizeof(qudao_customer_columns)`.
/// Ownership: the host owns the struct and every array; the library writes the arrays during
/// the call and retains nothing.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_customer_columns {
    /// `sizeof(qudao_customer_columns)`.
    pub struct_size: u32,
    /// Elements in each array; must equal `qudao_customers_len`.
    pub rows: usize,
    /// First purchase day.
    pub first_day: *mut i32,
    /// Last purchase day.
    pub last_day: *mut i32,
    /// Days from the last purchase to `as_of`.
    pub recency_days: *mut i32,
    /// Frequency under the chosen rule.
    pub frequency: *mut u32,
    /// Distinct sale orders.
    pub orders: *mut u32,
    /// Sale lines.
    pub lines: *mut u32,
    /// Distinct active periods.
    pub active_periods: *mut u32,
    /// Net value (sales − returns): the monetary value and the revenue to date.
    pub monetary: *mut i64,
    /// Net value − net cost of goods (historic margin); 0 where `margin_valid` is 0. Needs
    /// `margin_valid`.
    pub margin: *mut i64,
    /// 1 where the margin is known (every line of the customer had a cost), else 0.
    pub margin_valid: *mut u8,
    /// Net value in the first active period.
    pub first_period_value: *mut i64,
    /// Net value outside the first active period (the repeat value).
    pub repeat_value: *mut i64,
    /// BTYD `x`: repeat purchase periods (active periods − 1).
    pub x: *mut f64,
    /// BTYD `t_x`: last − first purchase, in the options' unit.
    pub t_x: *mut f64,
    /// BTYD `T`: `as_of` − first purchase, in the options' unit.
    pub t: *mut f64,
}

/// Copy columns of a customer summary into host arrays: each non-NULL array of `cols`
/// receives `cols->rows` elements, row `i` being the `i`-th customer in id order (the row
/// order of every per-customer result of this API).
///
/// Errors: `cols->rows` other than `qudao_customers_len`, a wrong `struct_size`, or `margin`
/// without `margin_valid` are `QUDAO_STATUS_INVALID_ARGUMENT` / `_NULL_ARGUMENT`; then no
/// array is written.
/// Nullability: `customers` and `cols` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same summary.
///
/// # Safety
/// `customers` is a live reference; `cols` is a valid `qudao_customer_columns` whose non-NULL
/// arrays have `rows` writable elements; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_customers_columns(
    customers: *const qudao_customers,
    cols: *const qudao_customer_columns,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [customers, cols], {
        // SAFETY: `customers` is live (the caller's contract).
        let s = &unsafe { borrow(customers) }.summary;
        // SAFETY: `cols` is non-NULL and readable for its first field (the caller's contract).
        let size = unsafe { std::ptr::addr_of!((*cols).struct_size).read_unaligned() };
        if size as usize != size_of::<qudao_customer_columns>() {
            return Err(Failure::invalid(
                "cols",
                format!(
                    "struct_size is {size}, this library knows qudao_customer_columns of {} \
                     bytes; set struct_size = sizeof(qudao_customer_columns)",
                    size_of::<qudao_customer_columns>()
                ),
            ));
        }
        // SAFETY: the struct is complete (size checked) and holds only integers and
        // pointers, valid for any bit pattern.
        let c = unsafe { cols.read_unaligned() };
        let n = s.len();
        check_rows(c.rows, n, "cols->rows")?;
        if !c.margin.is_null() && c.margin_valid.is_null() {
            return Err(Failure::null("cols->margin_valid"));
        }
        macro_rules! col {
            ($f:ident) => {
                OutArray::optional(c.$f, n, concat!("cols->", stringify!($f)))?
            };
        }
        let first_day = col!(first_day);
        let last_day = col!(last_day);
        let recency = col!(recency_days);
        let frequency = col!(frequency);
        let orders = col!(orders);
        let lines = col!(lines);
        let active = col!(active_periods);
        let monetary = col!(monetary);
        let margin = col!(margin);
        let margin_valid = col!(margin_valid);
        let first_value = col!(first_period_value);
        let repeat = col!(repeat_value);
        let x = col!(x);
        let t_x = col!(t_x);
        let t = col!(t);
        // SAFETY (all writes below): every array has `rows` writable elements (the caller's
        // contract) and `r < rows`.
        macro_rules! put {
            ($a:expr, $r:expr, $v:expr) => {
                if let Some(a) = &$a {
                    // SAFETY: see above.
                    unsafe { a.set($r, $v) };
                }
            };
        }
        for r in 0..n {
            put!(first_day, r, s.first_day(r));
            put!(last_day, r, s.last_day(r));
            put!(recency, r, s.recency_days(r));
            put!(frequency, r, s.frequency(r));
            put!(orders, r, s.orders(r));
            put!(lines, r, s.lines(r));
            put!(active, r, s.active_periods(r));
            put!(monetary, r, s.monetary(r));
            let m = s.margin(r);
            put!(margin, r, m.unwrap_or(0));
            put!(margin_valid, r, u8::from(m.is_some()));
            put!(first_value, r, s.first_period_value(r));
            put!(repeat, r, s.repeat_value(r));
            if x.is_some() || t_x.is_some() || t.is_some() {
                let (bx, btx, bt) = s.btyd(r);
                put!(x, r, f64::from(bx));
                put!(t_x, r, btx);
                put!(t, r, bt);
            }
        }
        Ok(())
    })
}

/// The customer id of row `row`, as UTF-8 bytes (not NUL-terminated) borrowed from the data
/// set: `*id` and `*len` receive the pointer and the length. The bytes stay valid while any
/// reference to `customers` lives; the host must not free them.
///
/// A `row` not below `qudao_customers_len` is `QUDAO_STATUS_INVALID_ARGUMENT`.
/// Nullability: `customers`, `id` and `len` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `customers` is a live reference; `id` and `len` are valid for writing one value each;
/// `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_customers_id(
    customers: *const qudao_customers,
    row: usize,
    id: *mut *const u8,
    len: *mut usize,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [customers, id, len], {
        // SAFETY: `customers` is live (the caller's contract).
        let c = unsafe { borrow(customers) };
        check_row(row, c.summary.len())?;
        let text = c.dataset.inner.master.customers.id(c.summary.code(row));
        // SAFETY: `id` and `len` are non-NULL and valid for writes (the caller's contract).
        unsafe {
            id.write(text.as_ptr());
            len.write(text.len());
        }
        Ok(())
    })
}

/// Row `row` spelled out as UTF-8 JSON: `customer`, `first_purchase` and `last_purchase`
/// (`YYYY-MM-DD`), `recency_days`, `frequency`, `orders`, `lines`, `active_periods`,
/// `monetary`, `margin` (null when unknown), `x`, `t_x`, `t`, `repeat_value`.
///
/// A `row` out of range is `QUDAO_STATUS_INVALID_ARGUMENT`.
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `customers` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `customers` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_customers_row_json(
    customers: *const qudao_customers,
    row: usize,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [customers, out], {
        // SAFETY: `customers` is live (the caller's contract).
        let c = unsafe { borrow(customers) };
        check_row(row, c.summary.len())?;
        let json = to_json!(&c.summary.row(&c.dataset.inner, row))?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// What the summary is, as UTF-8 JSON: `options` (`as_of`, `frequency`, `period`, `unit`),
/// `customers` (rows), `currency` (code and exponent of the money columns) and
/// `only_returns` (ids of the customers left out because they had only returns in the
/// window).
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `customers` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `customers` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_customers_info_json(
    customers: *const qudao_customers,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [customers, out], {
        // SAFETY: `customers` is live (the caller's contract).
        let c = unsafe { borrow(customers) };
        let ids = &c.dataset.inner.master.customers;
        let only_returns: Vec<&str> = c.summary.only_returns().iter().map(|&k| ids.id(k)).collect();
        let mut info = serde_json::Map::new();
        let value = json_value;
        info.insert("options".into(), value(serde_json::to_value(c.summary.options()))?);
        info.insert("customers".into(), c.summary.len().into());
        info.insert(
            "currency".into(),
            value(serde_json::to_value(c.dataset.inner.currency()))?,
        );
        info.insert("only_returns".into(), value(serde_json::to_value(only_returns))?);
        let json = to_json!(&info)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}
