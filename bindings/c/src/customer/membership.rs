//! Member tiers and points: ledgers and tier histories under a tier scheme document.

use std::ffi::CString;
use std::os::raw::c_char;

use qudao_core::document::{Format, RuleDocument, parse_any};
use qudao_core::membership::{Bonus, Membership, Redemption, TierScheme, run_with};

use super::document::{self, qudao_document};
use super::{
    OutArray, borrow, check_row, check_rows, clone_handle, day, free_handle, hand_out, json_value,
    to_json, write_bytes,
};
use crate::args;
use crate::bytes::qudao_bytes;
use crate::entry::{Failure, ffi, qudao_status};
use crate::error::qudao_error;
use crate::qudao_dataset;

/// Every customer's points ledger, tier history and state as of a date, under a tier scheme.
/// Rows are the data set's customers sorted by id (every customer, buyers or not).
///
/// Ownership: reference counted; `qudao_membership_run` and `_clone` give the host one
/// reference, released with `qudao_membership_free`.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_membership {
    inner: Membership,
    /// Tier ids, NUL-terminated, lowest tier first.
    tier_ids: Vec<CString>,
}

/// Compute every customer's points ledger (earn, redeem, expire, reverse on return), tier
/// history and state as of `as_of` (days since 1970-01-01) under a tier scheme.
///
/// `scheme` is a tier scheme document (`qudao_schema_json("tier-scheme")` gives its JSON
/// Schema); NULL means the built-in example (regular, silver, gold, diamond by CNY spend over
/// 365 days). `redemptions_json` (`redemptions_len` bytes of UTF-8 JSON) lists points
/// redemptions, which are not in the sales data: `[{"customer": "C1", "date": "2025-03-01",
/// "points": 50, "reference": "R1"}]`; NULL with length 0 means none.
///
/// Errors: a bad scheme or redemptions document is `QUDAO_STATUS_DOCUMENT_ERROR` naming the
/// field path; a scheme in another currency than the data, an unknown customer, non-positive
/// points or a redemption larger than the balance at that moment are
/// `QUDAO_STATUS_INVALID_ARGUMENT` / `_DATA_ERROR` with the customer and date.
/// On success `*out` receives a new reference (free with `qudao_membership_free`).
/// Nullability: `ds` and `out` must not be NULL; `scheme` may be NULL; `redemptions_json`
/// may be NULL when `redemptions_len` is 0; `err` may be NULL.
/// Thread safety: may be called from any thread, concurrently on the same data set.
///
/// # Safety
/// `ds` is a live data set reference; `scheme` is NULL or a valid `qudao_document`;
/// `redemptions_json` points to `redemptions_len` readable bytes; `out` is valid for writing
/// one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_membership_run(
    ds: *const qudao_dataset,
    scheme: *const qudao_document,
    redemptions_json: *const u8,
    redemptions_len: usize,
    as_of: i32,
    out: *mut *const qudao_membership,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [ds, out], {
        // SAFETY: forwarded under the same contract.
        unsafe {
            membership_run(
                ds,
                scheme,
                (redemptions_json, redemptions_len),
                (std::ptr::null(), 0),
                as_of,
                out,
            )
        }
    })
}

/// `qudao_membership_run` with bonus points from outside the sales data (a rebate program
/// paid in points, campaigns): `bonuses_json` (`bonuses_len` bytes of UTF-8 JSON) is an array
/// with the same field names as redemptions, `[{"customer": "C1", "date": "2025-03-31",
/// "points": 120, "reference": "Q1 rebate"}]`; NULL with length 0 means none (then this is
/// `qudao_membership_run`). Positive points are credited as a lot that expires like an
/// earning of that day (after the day's sales and returns, before its redemptions);
/// negative points are taken back like a return reversal, never below a zero balance (the
/// rest is a shortfall). Each is a ledger entry of kind `"bonus"`; the customer JSON's
/// `state.bonus` is the net bonus points, and `balance = earned − redeemed − expired −
/// reversed + bonus`. On a points-balance scheme bonus points count toward the tier.
///
/// Errors: as `qudao_membership_run`; a bad bonuses document is
/// `QUDAO_STATUS_DOCUMENT_ERROR`; an unknown customer or 0 points in a bonus is
/// `QUDAO_STATUS_DATA_ERROR` naming `bonuses`, the row (index + 1) and the column.
/// On success `*out` receives a new reference (free with `qudao_membership_free`).
/// Nullability: `ds` and `out` must not be NULL; `scheme` may be NULL; `redemptions_json`
/// and `bonuses_json` may be NULL when their length is 0; `err` may be NULL.
/// Thread safety: may be called from any thread, concurrently on the same data set.
///
/// # Safety
/// As `qudao_membership_run`; `bonuses_json` points to `bonuses_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_membership_run_with(
    ds: *const qudao_dataset,
    scheme: *const qudao_document,
    redemptions_json: *const u8,
    redemptions_len: usize,
    bonuses_json: *const u8,
    bonuses_len: usize,
    as_of: i32,
    out: *mut *const qudao_membership,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [ds, out], {
        // SAFETY: forwarded under the same contract.
        unsafe {
            membership_run(
                ds,
                scheme,
                (redemptions_json, redemptions_len),
                (bonuses_json, bonuses_len),
                as_of,
                out,
            )
        }
    })
}

/// The text of a JSON array argument (`(ptr, len)`); `None` for length 0 (none given).
///
/// # Safety
/// `ptr` points to `len` readable bytes (or is NULL with `len` 0).
unsafe fn json_list<'a>(
    (ptr, len): (*const u8, usize),
    name: &'static str,
) -> Result<Option<&'a str>, Failure> {
    // SAFETY: the caller's contract.
    let text = unsafe { args::text(ptr, len, name) }?;
    Ok((len != 0).then_some(text))
}

/// The body of `qudao_membership_run` / `_run_with`, after the NULL checks.
///
/// # Safety
/// `ds` is a live data set reference; `scheme` is NULL or a valid `qudao_document`; each
/// JSON argument is `len` readable bytes (or NULL with 0); `out` is valid for writing one
/// pointer.
unsafe fn membership_run(
    ds: *const qudao_dataset,
    scheme: *const qudao_document,
    redemptions_json: (*const u8, usize),
    bonuses_json: (*const u8, usize),
    as_of: i32,
    out: *mut *const qudao_membership,
) -> Result<(), Failure> {
    let scheme = if scheme.is_null() {
        TierScheme::builtin_default()
    } else {
        // SAFETY: a non-NULL `scheme` is a valid document (the caller's contract).
        let (text, format) = unsafe { document::read(scheme, "scheme") }?;
        TierScheme::parse(text, format)?
    };
    // SAFETY: `redemptions_json` is readable (the caller's contract).
    let redemptions: Vec<Redemption> =
        match unsafe { json_list(redemptions_json, "redemptions_json") }? {
            Some(text) => parse_any(text, Format::Json)?,
            None => Vec::new(),
        };
    // SAFETY: `bonuses_json` is readable (the caller's contract).
    let bonuses: Vec<Bonus> = match unsafe { json_list(bonuses_json, "bonuses_json") }? {
        Some(text) => parse_any(text, Format::Json)?,
        None => Vec::new(),
    };
    let as_of = day(as_of, "as_of")?;
    // SAFETY: `ds` is a live handle (the caller's contract).
    let dataset = &unsafe { borrow(ds) }.inner;
    let inner = run_with(dataset, &scheme, &redemptions, &bonuses, as_of)?;
    let tier_ids = inner
        .tiers
        .iter()
        .map(|t| {
            CString::new(t.as_str())
                .map_err(|_| Failure::invalid("scheme", format!("tier id {t:?} contains a NUL")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
    unsafe { hand_out(out, qudao_membership { inner, tier_ids }) };
    Ok(())
}

/// Add a reference to a membership result and return it; NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `membership` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_membership_clone(
    membership: *const qudao_membership,
) -> *const qudao_membership {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(membership) } })
}

/// Release one reference to a membership result. `qudao_membership_free(NULL)` does
/// nothing; ids borrowed from it are invalid once the last reference is gone.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `membership` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_membership_free(membership: *const qudao_membership) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(membership) } })
}

/// Number of rows (customers); 0 when `membership` is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `membership` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_membership_len(membership: *const qudao_membership) -> usize {
    // SAFETY: NULL or live (the caller's contract).
    ffi!(default: 0, { unsafe { membership.as_ref() }.map_or(0, |m| m.inner.customers.len()) })
}

/// Number of tiers of the scheme; 0 when `membership` is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `membership` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_membership_tier_count(membership: *const qudao_membership) -> usize {
    // SAFETY: NULL or live (the caller's contract).
    ffi!(default: 0, { unsafe { membership.as_ref() }.map_or(0, |m| m.tier_ids.len()) })
}

/// The id of tier `tier` (lowest first, as the `tier` column gives it), NUL-terminated,
/// borrowed from `membership` and valid while a reference to it lives; NULL when
/// `membership` is NULL or `tier` is out of range.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `membership` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_membership_tier_id(
    membership: *const qudao_membership,
    tier: usize,
) -> *const c_char {
    ffi!(default: std::ptr::null(), {
        // SAFETY: NULL or live (the caller's contract).
        unsafe { membership.as_ref() }
            .and_then(|m| m.tier_ids.get(tier))
            .map_or(std::ptr::null(), |s| s.as_ptr())
    })
}

/// The customer id of row `row`, as UTF-8 bytes (not NUL-terminated) borrowed from
/// `membership`: `*id` and `*len` receive the pointer and length, valid while a reference to
/// `membership` lives.
///
/// A `row` out of range is `QUDAO_STATUS_INVALID_ARGUMENT`.
/// Nullability: `membership`, `id` and `len` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `membership` is a live reference; `id` and `len` are valid for writing one value each;
/// `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_membership_id(
    membership: *const qudao_membership,
    row: usize,
    id: *mut *const u8,
    len: *mut usize,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [membership, id, len], {
        // SAFETY: `membership` is live (the caller's contract).
        let m = &unsafe { borrow(membership) }.inner;
        check_row(row, m.customers.len())?;
        let text = m.customers[row].id.as_str();
        // SAFETY: `id` and `len` are non-NULL and valid for writes (the caller's contract).
        unsafe {
            id.write(text.as_ptr());
            len.write(text.len());
        }
        Ok(())
    })
}

/// Host arrays that `qudao_membership_columns` fills, one element per customer (in id
/// order). Leave an array NULL to skip its column. Points are whole points; the basis is
/// minor units of spend or points, as the scheme's basis says.
///
/// Versioning: `struct_size` must be `sizeof(qudao_member_columns)`.
/// Ownership: the host owns the struct and every array; nothing is retained.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_member_columns {
    /// `sizeof(qudao_member_columns)`.
    pub struct_size: u32,
    /// Elements in each array; must equal `qudao_membership_len`.
    pub rows: usize,
    /// Tier as of the date (see `qudao_membership_tier_id`).
    pub tier: *mut u8,
    /// The tier the basis supports now; below `tier` means a downgrade at the next review.
    pub supported_tier: *mut u8,
    /// Points balance = earned − redeemed − expired − reversed (never negative).
    pub balance: *mut i64,
    /// Points earned.
    pub earned: *mut i64,
    /// Points redeemed.
    pub redeemed: *mut i64,
    /// Points expired.
    pub expired: *mut i64,
    /// Points reversed by returns.
    pub reversed: *mut i64,
    /// Points reversals could not take (balance too low).
    pub shortfall: *mut i64,
    /// The value the tier is judged on (rolling spend in minor units, or balance).
    pub basis: *mut i64,
}

/// Copy per-customer states into host arrays: each non-NULL array of `cols` receives
/// `cols->rows` elements.
///
/// A `rows` other than `qudao_membership_len` or a wrong `struct_size` is
/// `QUDAO_STATUS_INVALID_ARGUMENT`; then nothing is written.
/// Nullability: `membership` and `cols` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `membership` is a live reference; `cols` is a valid `qudao_member_columns` whose
/// non-NULL arrays have `rows` writable elements; `err` is NULL or valid for writing one
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_membership_columns(
    membership: *const qudao_membership,
    cols: *const qudao_member_columns,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [membership, cols], {
        // SAFETY: `membership` is live (the caller's contract).
        let m = &unsafe { borrow(membership) }.inner;
        // SAFETY: `cols` is non-NULL and readable for its first field (the caller's contract).
        let size = unsafe { std::ptr::addr_of!((*cols).struct_size).read_unaligned() };
        if size as usize != size_of::<qudao_member_columns>() {
            return Err(Failure::invalid(
                "cols",
                format!(
                    "struct_size is {size}, this library knows qudao_member_columns of {} \
                     bytes; set struct_size = sizeof(qudao_member_columns)",
                    size_of::<qudao_member_columns>()
                ),
            ));
        }
        // SAFETY: the struct is complete (size checked); integers and pointers only.
        let c = unsafe { cols.read_unaligned() };
        let n = m.customers.len();
        check_rows(c.rows, n, "cols->rows")?;
        macro_rules! col {
            ($f:ident) => {
                OutArray::optional(c.$f, n, concat!("cols->", stringify!($f)))?
            };
        }
        let (tier, supported) = (col!(tier), col!(supported_tier));
        let (balance, earned, redeemed) = (col!(balance), col!(earned), col!(redeemed));
        let (expired, reversed, shortfall, basis) =
            (col!(expired), col!(reversed), col!(shortfall), col!(basis));
        macro_rules! put {
            ($a:expr, $r:expr, $v:expr) => {
                if let Some(a) = &$a {
                    // SAFETY: each array has `rows` writable elements (the caller's
                    // contract) and `r < rows`.
                    unsafe { a.set($r, $v) };
                }
            };
        }
        for (r, s) in m.customers.iter().enumerate() {
            put!(tier, r, s.tier);
            put!(supported, r, s.supported_tier);
            put!(balance, r, s.balance);
            put!(earned, r, s.earned);
            put!(redeemed, r, s.redeemed);
            put!(expired, r, s.expired);
            put!(reversed, r, s.reversed);
            put!(shortfall, r, s.shortfall);
            put!(basis, r, s.basis);
        }
        Ok(())
    })
}

/// The totals as UTF-8 JSON: `scheme` (id), `as_of`, `tiers` (ids, lowest first),
/// `tier_counts` (customers per tier), `shortfall_entries` and `shortfall_points`
/// (reversals the balance could not cover) and `next_review` (the first review date after
/// `as_of`).
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `membership` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `membership` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_membership_summary_json(
    membership: *const qudao_membership,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [membership, out], {
        // SAFETY: `membership` is live (the caller's contract).
        let m = &unsafe { borrow(membership) }.inner;
        let mut map = serde_json::Map::new();
        map.insert("scheme".into(), m.scheme.clone().into());
        map.insert("as_of".into(), json_value(serde_json::to_value(m.as_of))?);
        map.insert("tiers".into(), json_value(serde_json::to_value(&m.tiers))?);
        map.insert("tier_counts".into(), json_value(serde_json::to_value(&m.tier_counts))?);
        map.insert("shortfall_entries".into(), m.shortfall_entries.into());
        map.insert("shortfall_points".into(), m.shortfall_points.into());
        map.insert("next_review".into(), json_value(serde_json::to_value(m.next_review))?);
        let json = to_json!(&map)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// One customer's full record as UTF-8 JSON: `state` (tier, balance, earned, redeemed,
/// expired, reversed, shortfall, rolling spend, basis, supported and next tier, what the next
/// tier still needs), `ledger` (entries in event order: date, kind, signed points, balance
/// after, amount, reference, tier and rate used) and `history` (tier changes with reason).
/// Tiers are indexes into the summary's `tiers`.
///
/// A `row` out of range is `QUDAO_STATUS_INVALID_ARGUMENT`.
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `membership` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `membership` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_membership_customer_json(
    membership: *const qudao_membership,
    row: usize,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [membership, out], {
        // SAFETY: `membership` is live (the caller's contract).
        let m = &unsafe { borrow(membership) }.inner;
        check_row(row, m.customers.len())?;
        let state = &m.customers[row];
        let ledger = m.ledger.get(state.ledger.clone()).unwrap_or_default();
        let history = m.history.get(state.history.clone()).unwrap_or_default();
        let mut map = serde_json::Map::new();
        map.insert("state".into(), json_value(serde_json::to_value(state))?);
        map.insert("ledger".into(), json_value(serde_json::to_value(ledger))?);
        map.insert("history".into(), json_value(serde_json::to_value(history))?);
        let json = to_json!(&map)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}
