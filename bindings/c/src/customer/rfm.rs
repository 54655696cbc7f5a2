//! RFM: segment schemes (versioned documents) and the scores and segments of a customer
//! summary.

use std::ffi::CString;
use std::os::raw::c_char;

use qudao_core::document::{Format, RuleDocument, parse_any};
use qudao_core::rfm::{Rfm, RfmRules, analyze};
use qudao_core::segment::{BUILTIN_IDS, SegmentScheme};

use super::document::{self, qudao_document};
use super::{
    OutArray, borrow, check_rows, clone_handle, free_handle, hand_out, qudao_customers, to_json,
    write_bytes,
};
use crate::args;
use crate::bytes::qudao_bytes;
use crate::entry::{Failure, ffi, qudao_status};
use crate::error::qudao_error;

/// A valid RFM segment scheme: which segment each (R, F, M) score cell belongs to, with
/// labels (en, zh-CN) and a care strategy per segment.
///
/// Ownership: reference counted; `_parse`, `_builtin` and `_clone` give the host one
/// reference, released with `qudao_segment_scheme_free`.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_segment_scheme {
    inner: SegmentScheme,
}

/// Parse and validate a segment scheme document. Errors name the field path, and coverage
/// errors the score cells no segment covers or two segments share
/// (`QUDAO_STATUS_DOCUMENT_ERROR`).
///
/// On success `*out` receives a new reference (free with `qudao_segment_scheme_free`).
/// Nullability: `doc` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `doc` is a valid `qudao_document`; `out` is valid for writing one pointer; `err` is NULL
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_segment_scheme_parse(
    doc: *const qudao_document,
    out: *mut *const qudao_segment_scheme,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [doc, out], {
        // SAFETY: `doc` is a valid document (the caller's contract).
        let (text, format) = unsafe { document::read(doc, "doc") }?;
        let inner = SegmentScheme::parse(text, format)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_segment_scheme { inner }) };
        Ok(())
    })
}

/// Check a segment scheme document without keeping it: as `qudao_segment_scheme_parse`,
/// `QUDAO_STATUS_OK` meaning valid.
///
/// Nullability: `doc` must not be NULL; `err` may be. Thread safety: any thread.
///
/// # Safety
/// `doc` is a valid `qudao_document`; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_segment_scheme_validate(
    doc: *const qudao_document,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [doc], {
        // SAFETY: `doc` is a valid document (the caller's contract).
        let (text, format) = unsafe { document::read(doc, "doc") }?;
        SegmentScheme::parse(text, format)?;
        Ok(())
    })
}

/// A built-in segment scheme by id: `rfm-4class` (the four classes high value, potential,
/// general, lost) or `rfm-11` (Champions … Lost). `id` is `id_len` bytes of UTF-8.
///
/// An unknown id is `QUDAO_STATUS_INVALID_ARGUMENT` listing the built-in ones.
/// On success `*out` receives a new reference (free with `qudao_segment_scheme_free`).
/// Nullability: `id` may be NULL only when `id_len` is 0; `out` must not be NULL; `err` may
/// be. Thread safety: may be called from any thread.
///
/// # Safety
/// `id` points to `id_len` readable bytes; `out` is valid for writing one pointer; `err` is
/// NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_segment_scheme_builtin(
    id: *const u8,
    id_len: usize,
    out: *mut *const qudao_segment_scheme,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [out], {
        // SAFETY: `id` is `id_len` readable bytes (the caller's contract).
        let id = unsafe { args::text(id, id_len, "id") }?;
        let inner = SegmentScheme::builtin(id).ok_or_else(|| {
            Failure::invalid(
                "id",
                format!("{id:?} is not a built-in scheme; built in: {}", BUILTIN_IDS.join(", ")),
            )
        })?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_segment_scheme { inner }) };
        Ok(())
    })
}

/// The scheme as a document in `format` (a `qudao_format` value: 0 JSON, 1 TOML, 2 YAML),
/// UTF-8: a starting point for a scheme of one's own.
///
/// An unknown format is `QUDAO_STATUS_INVALID_ARGUMENT`.
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `scheme` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `scheme` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_segment_scheme_document(
    scheme: *const qudao_segment_scheme,
    format: u32,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [scheme, out], {
        let format = match format {
            0 => Format::Json,
            1 => Format::Toml,
            2 => Format::Yaml,
            other => {
                return Err(Failure::invalid(
                    "format",
                    format!("{other} is not a qudao_format"),
                ));
            }
        };
        // SAFETY: `scheme` is live (the caller's contract).
        let text = unsafe { borrow(scheme) }.inner.to_format(format)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, text.into_bytes()) };
        Ok(())
    })
}

/// Add a reference to a segment scheme and return it; NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `scheme` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_segment_scheme_clone(
    scheme: *const qudao_segment_scheme,
) -> *const qudao_segment_scheme {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(scheme) } })
}

/// Release one reference to a segment scheme. `qudao_segment_scheme_free(NULL)` does
/// nothing.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `scheme` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_segment_scheme_free(scheme: *const qudao_segment_scheme) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(scheme) } })
}

/// RFM scores and segments of a customer summary: per row (same rows as the summary)
/// R, F and M scores `1..=k` and a segment index, plus how each dimension was scored and the
/// segment summary.
///
/// Ownership: reference counted; `qudao_rfm_analyze` and `_clone` give the host one
/// reference, released with `qudao_rfm_free`.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_rfm {
    inner: Rfm,
    /// Segment ids, NUL-terminated, in the scheme's order.
    segment_ids: Vec<CString>,
}

/// Score every customer of `customers` on recency, frequency and monetary value and place
/// them in `scheme`'s segments. Ties in a dimension break by customer id ascending.
///
/// `rules_json` (`rules_len` bytes of UTF-8 JSON) gives the scoring rule of each dimension,
/// e.g. `{"recency": {"rule": "ordinal_rank", "bins": 5}, "frequency": {"rule":
/// "value_breaks", "bins": 5}, "monetary": {"rule": "fixed", "thresholds": [100, 1000, 5000,
/// 20000]}}`; NULL with length 0 means ordinal-rank quintiles on all three. Each rule must
/// give as many scores as the scheme uses.
///
/// Errors: bad rules JSON is `QUDAO_STATUS_DOCUMENT_ERROR` naming the field path; a rule
/// whose score count does not match the scheme is `QUDAO_STATUS_INVALID_ARGUMENT`.
/// On success `*out` receives a new reference (free with `qudao_rfm_free`).
/// Nullability: `customers`, `scheme` and `out` must not be NULL; `rules_json` may be NULL
/// when `rules_len` is 0; `err` may be NULL.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `customers` and `scheme` are live references; `rules_json` points to `rules_len` readable
/// bytes; `out` is valid for writing one pointer; `err` is NULL or valid for writing one
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_rfm_analyze(
    customers: *const qudao_customers,
    rules_json: *const u8,
    rules_len: usize,
    scheme: *const qudao_segment_scheme,
    out: *mut *const qudao_rfm,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [customers, scheme, out], {
        // SAFETY: `rules_json` is `rules_len` readable bytes (the caller's contract).
        let rules_text = unsafe { args::text(rules_json, rules_len, "rules_json") }?;
        let rules = if rules_len == 0 {
            RfmRules::default()
        } else {
            parse_any::<RfmRules>(rules_text, Format::Json)?
        };
        // SAFETY: both handles are live (the caller's contract).
        let (customers, scheme) = unsafe { (borrow(customers), borrow(scheme)) };
        let inner = analyze(&customers.summary, &rules, &scheme.inner)?;
        let segment_ids = inner
            .segments
            .iter()
            .map(|s| {
                CString::new(s.id.as_str()).map_err(|_| {
                    Failure::new(qudao_status::Other, format!("segment id {:?} has a NUL", s.id))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_rfm { inner, segment_ids }) };
        Ok(())
    })
}

/// Add a reference to an RFM result and return it; NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `rfm` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_rfm_clone(rfm: *const qudao_rfm) -> *const qudao_rfm {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(rfm) } })
}

/// Release one reference to an RFM result. `qudao_rfm_free(NULL)` does nothing; segment ids
/// borrowed from it are invalid once the last reference is gone.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `rfm` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_rfm_free(rfm: *const qudao_rfm) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(rfm) } })
}

/// Number of rows (the summary's rows); 0 when `rfm` is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `rfm` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_rfm_len(rfm: *const qudao_rfm) -> usize {
    // SAFETY: NULL or live (the caller's contract).
    ffi!(default: 0, { unsafe { rfm.as_ref() }.map_or(0, |h| h.inner.r.len()) })
}

/// Number of segments of the scheme; 0 when `rfm` is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `rfm` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_rfm_segment_count(rfm: *const qudao_rfm) -> usize {
    // SAFETY: NULL or live (the caller's contract).
    ffi!(default: 0, { unsafe { rfm.as_ref() }.map_or(0, |h| h.segment_ids.len()) })
}

/// The id of segment `index` (as the `segment` column gives it), NUL-terminated, borrowed
/// from `rfm` and valid while a reference to it lives; NULL when `rfm` is NULL or `index` is
/// out of range.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `rfm` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_rfm_segment_id(
    rfm: *const qudao_rfm,
    index: usize,
) -> *const c_char {
    ffi!(default: std::ptr::null(), {
        // SAFETY: NULL or live (the caller's contract).
        unsafe { rfm.as_ref() }
            .and_then(|h| h.segment_ids.get(index))
            .map_or(std::ptr::null(), |s| s.as_ptr())
    })
}

/// Copy the per-row results into host arrays of `len` elements each (`len` must equal
/// `qudao_rfm_len`): R, F and M scores and the segment index (into the scheme's segments,
/// see `qudao_rfm_segment_id`). Any array may be NULL to skip it.
///
/// A wrong `len` is `QUDAO_STATUS_INVALID_ARGUMENT`; then nothing is written.
/// Nullability: `rfm` must not be NULL; the arrays and `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `rfm` is a live reference; each non-NULL array has `len` writable elements; `err` is NULL
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_rfm_columns(
    rfm: *const qudao_rfm,
    r: *mut u8,
    f: *mut u8,
    m: *mut u8,
    segment: *mut u16,
    len: usize,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [rfm], {
        // SAFETY: `rfm` is live (the caller's contract).
        let h = &unsafe { borrow(rfm) }.inner;
        check_rows(len, h.r.len(), "len")?;
        let r = OutArray::optional(r, len, "r")?;
        let f = OutArray::optional(f, len, "f")?;
        let m = OutArray::optional(m, len, "m")?;
        let segment = OutArray::optional(segment, len, "segment")?;
        // SAFETY: each array has `len` writable elements (the caller's contract).
        unsafe {
            if let Some(a) = r {
                a.fill_from(&h.r);
            }
            if let Some(a) = f {
                a.fill_from(&h.f);
            }
            if let Some(a) = m {
                a.fill_from(&h.m);
            }
            if let Some(a) = segment {
                a.fill_from(&h.segment);
            }
        }
        Ok(())
    })
}

/// The segment summary as a UTF-8 JSON array, in the scheme's segment order: per segment
/// `id`, `label` and `strategy` (`en`, `zh`), `customers`, `orders`, `revenue` (minor units),
/// `revenue_share` (a decimal string, 6 places, null when total revenue is not positive) and
/// `average_order_value` (minor units, null without orders).
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `rfm` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `rfm` is a live reference; `out` is valid for writing one pointer; `err` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_rfm_segments_json(
    rfm: *const qudao_rfm,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [rfm, out], {
        // SAFETY: `rfm` is live (the caller's contract).
        let json = to_json!(&unsafe { borrow(rfm) }.inner.segments)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// Everything but the per-row columns, as UTF-8 JSON: `scheme` (its id), `recency`,
/// `frequency` and `monetary` (each: the `rule` used, its `bins` with customers and the value
/// range per score, the `breaks` used, and the `collapsed` scores nobody got because tied
/// values collapsed bins) and `segments` (as `qudao_rfm_segments_json`).
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `rfm` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `rfm` is a live reference; `out` is valid for writing one pointer; `err` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_rfm_summary_json(
    rfm: *const qudao_rfm,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [rfm, out], {
        // SAFETY: `rfm` is live (the caller's contract).
        let h = &unsafe { borrow(rfm) }.inner;
        let value = super::json_value;
        let mut map = serde_json::Map::new();
        map.insert("scheme".into(), h.scheme.clone().into());
        map.insert("recency".into(), value(serde_json::to_value(&h.recency))?);
        map.insert("frequency".into(), value(serde_json::to_value(&h.frequency))?);
        map.insert("monetary".into(), value(serde_json::to_value(&h.monetary))?);
        map.insert("segments".into(), value(serde_json::to_value(&h.segments))?);
        let json = to_json!(&map)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}
