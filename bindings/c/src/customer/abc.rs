//! ABC (Pareto) classes by cumulative share of a total.

use qudao_core::abc::{AbcScheme, RevenueClasses, Subject, classify, revenue_classes};
use qudao_core::document::{Format, parse_any};

use super::{
    OutArray, borrow, check_row, check_rows, clone_handle, day, free_handle, hand_out, json_value,
    to_json, write_bytes,
};
use crate::args;
use crate::bytes::qudao_bytes;
use crate::entry::{Failure, ffi, qudao_status};
use crate::error::qudao_error;
use crate::qudao_dataset;

/// The ABC scheme given as JSON; empty means the default.
///
/// # Safety
/// `json` points to `len` readable bytes.
unsafe fn scheme(json: *const u8, len: usize) -> Result<AbcScheme, Failure> {
    // SAFETY: the caller's contract.
    let text = unsafe { args::text(json, len, "scheme_json") }?;
    if len == 0 {
        Ok(AbcScheme::default())
    } else {
        Ok(parse_any::<AbcScheme>(text, Format::Json)?)
    }
}

/// Classify `n` items by their `values` (revenue per customer, partner or product, minor
/// units) into ABC classes by cumulative share of the total: sorted by value descending,
/// ties by `tie_key` ascending; an item belongs to the first class whose cumulative limit the
/// share *before* it has not reached (so the item crossing 80 % is still A). Items with a
/// value ≤ 0 are in the last class. Shares are exact.
///
/// `tie_key` gives each item's rank by id; NULL means the input order (pass the items in id
/// order, as `qudao_customers_columns` gives customers). `scheme_json` (`scheme_len` bytes of
/// UTF-8 JSON) gives the classes as `{"classes": [["A", "0.80"], ["B", "0.95"], ["C", "1"]]}`
/// (label, cumulative upper limit as a decimal string, strictly ascending, the last 1); NULL
/// with length 0 means that default.
///
/// Results: when `class_of` is not NULL it receives `n` class indexes (into the `classes` of
/// the JSON); `*out` receives UTF-8 JSON with `total` (sum of positive values) and per class
/// `label`, `items`, `value`, `share`, `cumulative_share` (decimal strings, 6 places; the
/// last exactly 1 when the total is positive) and `min_value` / `max_value` (the boundaries
/// actually used).
///
/// Errors: a bad scheme is `QUDAO_STATUS_DOCUMENT_ERROR` naming the field path.
/// Nullability: `values`, `tie_key` and `class_of` may be NULL only when `n` is 0 (`tie_key`
/// and `class_of` always may); `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `values` and non-NULL `tie_key` point to `n` readable elements; non-NULL `class_of` to `n`
/// writable bytes; `scheme_json` to `scheme_len` readable bytes; `out` is valid for writing
/// one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_abc_classify(
    values: *const i64,
    tie_key: *const u32,
    n: usize,
    scheme_json: *const u8,
    scheme_len: usize,
    class_of: *mut u8,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [out], {
        // SAFETY: `values` holds `n` elements (the caller's contract).
        let values = unsafe { args::slice(values, n, "values") }?;
        let positions: Vec<u32>;
        let tie_key = if tie_key.is_null() {
            positions = (0..n)
                .map(u32::try_from)
                .collect::<Result<_, _>>()
                .map_err(|_| {
                    Failure::invalid(
                        "n",
                        "more than 2^32 items need an explicit tie_key",
                    )
                })?;
            &positions[..]
        } else {
            // SAFETY: a non-NULL `tie_key` holds `n` elements (the caller's contract).
            unsafe { args::slice(tie_key, n, "tie_key") }?
        };
        // SAFETY: `scheme_json` is `scheme_len` readable bytes (the caller's contract).
        let scheme = unsafe { scheme(scheme_json, scheme_len) }?;
        let class_out = OutArray::optional(class_of, n, "class_of")?;
        let abc = classify(values, tie_key, &scheme)?;
        let mut summary = serde_json::Map::new();
        summary.insert("total".into(), json_value(serde_json::to_value(abc.total))?);
        summary.insert("classes".into(), json_value(serde_json::to_value(&abc.classes))?);
        let json = to_json!(&summary)?;
        if let Some(a) = class_out {
            // SAFETY: `class_of` has `n` writable bytes (the caller's contract).
            unsafe { a.fill_from(&abc.class_of) };
        }
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// The ABC classes of a data set's customers, partners or products by net revenue.
///
/// Ownership: reference counted; `qudao_abc_revenue_classes` and `_clone` give the host one
/// reference, released with `qudao_abc_free`.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_abc {
    inner: RevenueClasses,
}

/// Classify a data set's customers, partners or products into ABC classes by net revenue
/// (sales − returns) over the lines dated in `[*from, *to]`, the classes as for
/// `qudao_abc_classify` (ties by id). Rows are the items with at least one line in the
/// window, in id order; partners leave out direct sales.
///
/// `subject` (`subject_len` bytes of UTF-8) is `customer`, `partner` or `product` (plural
/// accepted). `from` and `to` point to days since 1970-01-01, or are NULL for no bound.
/// `scheme_json` as for `qudao_abc_classify` (NULL with length 0: A 80 %, B 15 %, C 5 %).
///
/// Errors: an unknown subject or a day out of range is `QUDAO_STATUS_INVALID_ARGUMENT`; a bad
/// scheme `QUDAO_STATUS_DOCUMENT_ERROR` naming the field path; an item's revenue beyond
/// 64-bit minor units `QUDAO_STATUS_OVERFLOW`.
/// On success `*out` receives a new reference (free with `qudao_abc_free`).
/// Nullability: `ds` and `out` must not be NULL; `subject` and `scheme_json` may be NULL only
/// with length 0; `from`, `to` and `err` may be NULL.
/// Thread safety: may be called from any thread, concurrently on the same data set.
///
/// # Safety
/// `ds` is a live data set reference; `subject` and `scheme_json` point to their lengths in
/// readable bytes; `from` and `to` are NULL or readable; `out` is valid for writing one
/// pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_abc_revenue_classes(
    ds: *const qudao_dataset,
    subject: *const u8,
    subject_len: usize,
    from: *const i32,
    to: *const i32,
    scheme_json: *const u8,
    scheme_len: usize,
    out: *mut *const qudao_abc,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [ds, out], {
        // SAFETY: `subject` is `subject_len` readable bytes (the caller's contract).
        let text = unsafe { args::text(subject, subject_len, "subject") }?;
        let subject = Subject::parse(text).ok_or_else(|| {
            Failure::invalid(
                "subject",
                format!("{text:?} is not customer, partner or product"),
            )
        })?;
        // SAFETY: `from` and `to` are NULL or readable (the caller's contract).
        let (from, to) = unsafe { (from.as_ref().copied(), to.as_ref().copied()) };
        let from = from.map(|d| day(d, "from")).transpose()?;
        let to = to.map(|d| day(d, "to")).transpose()?;
        // SAFETY: `scheme_json` is `scheme_len` readable bytes (the caller's contract).
        let scheme = unsafe { scheme(scheme_json, scheme_len) }?;
        // SAFETY: `ds` is a live handle (the caller's contract).
        let dataset = &unsafe { borrow(ds) }.inner;
        let inner = revenue_classes(dataset, subject, from, to, &scheme)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_abc { inner }) };
        Ok(())
    })
}

/// Add a reference to an ABC result and return it; NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `abc` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_abc_clone(abc: *const qudao_abc) -> *const qudao_abc {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(abc) } })
}

/// Release one reference to an ABC result. `qudao_abc_free(NULL)` does nothing; ids
/// borrowed from it are invalid once the last reference is gone.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `abc` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_abc_free(abc: *const qudao_abc) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(abc) } })
}

/// Number of rows (items with a line in the window); 0 when `abc` is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `abc` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_abc_len(abc: *const qudao_abc) -> usize {
    // SAFETY: NULL or live (the caller's contract).
    ffi!(default: 0, { unsafe { abc.as_ref() }.map_or(0, |a| a.inner.ids.len()) })
}

/// The id of row `row`, as UTF-8 bytes (not NUL-terminated) borrowed from `abc`: `*id` and
/// `*len` receive the pointer and length, valid while a reference to `abc` lives.
///
/// A `row` out of range is `QUDAO_STATUS_INVALID_ARGUMENT`.
/// Nullability: `abc`, `id` and `len` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `abc` is a live reference; `id` and `len` are valid for writing one value each; `err` is
/// NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_abc_id(
    abc: *const qudao_abc,
    row: usize,
    id: *mut *const u8,
    len: *mut usize,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [abc, id, len], {
        // SAFETY: `abc` is live (the caller's contract).
        let a = &unsafe { borrow(abc) }.inner;
        check_row(row, a.ids.len())?;
        let text = a.ids[row].as_str();
        // SAFETY: `id` and `len` are non-NULL and valid for writes (the caller's contract).
        unsafe {
            id.write(text.as_ptr());
            len.write(text.len());
        }
        Ok(())
    })
}

/// Copy the per-row results into host arrays of `len` elements each (`len` must equal
/// `qudao_abc_len`): net revenue (minor units) and class index (into the `classes` of
/// `qudao_abc_summary_json`). Either array may be NULL.
///
/// A wrong `len` is `QUDAO_STATUS_INVALID_ARGUMENT`; then nothing is written.
/// Nullability: `abc` must not be NULL; the arrays and `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `abc` is a live reference; each non-NULL array has `len` writable elements; `err` is NULL
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_abc_columns(
    abc: *const qudao_abc,
    revenue: *mut i64,
    class_of: *mut u8,
    len: usize,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [abc], {
        // SAFETY: `abc` is live (the caller's contract).
        let a = &unsafe { borrow(abc) }.inner;
        check_rows(len, a.ids.len(), "len")?;
        let revenue = OutArray::optional(revenue, len, "revenue")?;
        let class_of = OutArray::optional(class_of, len, "class_of")?;
        // SAFETY: each array has `len` writable elements (the caller's contract).
        unsafe {
            if let Some(o) = revenue {
                o.fill_from(&a.revenue);
            }
            if let Some(o) = class_of {
                o.fill_from(&a.abc.class_of);
            }
        }
        Ok(())
    })
}

/// The classes as UTF-8 JSON: `subject`, `total` and `classes` as for `qudao_abc_classify`
/// (label, items, value, share, cumulative share, boundary values).
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `abc` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `abc` is a live reference; `out` is valid for writing one pointer; `err` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_abc_summary_json(
    abc: *const qudao_abc,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [abc, out], {
        // SAFETY: `abc` is live (the caller's contract).
        let a = &unsafe { borrow(abc) }.inner;
        let mut map = serde_json::Map::new();
        map.insert("subject".into(), json_value(serde_json::to_value(a.subject))?);
        map.insert("total".into(), json_value(serde_json::to_value(a.abc.total))?);
        map.insert("classes".into(), json_value(serde_json::to_value(&a.abc.classes))?);
        let json = to_json!(&map)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}
