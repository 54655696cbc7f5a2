//! ABC (Pareto) classes by cumulative share of a total.

use qudao_core::abc::{AbcScheme, classify};
use qudao_core::document::{Format, parse_any};

use super::{OutArray, to_json, write_bytes};
use crate::args;
use crate::bytes::qudao_bytes;
use crate::entry::{ffi, qudao_status};
use crate::error::qudao_error;

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
                    crate::entry::Failure::invalid(
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
        let scheme_text = unsafe { args::text(scheme_json, scheme_len, "scheme_json") }?;
        let scheme = if scheme_len == 0 {
            AbcScheme::default()
        } else {
            parse_any::<AbcScheme>(scheme_text, Format::Json)?
        };
        let class_out = OutArray::optional(class_of, n, "class_of")?;
        let abc = classify(values, tie_key, &scheme)?;
        let mut summary = serde_json::Map::new();
        summary.insert("total".into(), super::json_value(serde_json::to_value(abc.total))?);
        summary.insert("classes".into(), super::json_value(serde_json::to_value(&abc.classes))?);
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
