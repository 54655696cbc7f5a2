//! Rebates and incentives (issue 4): program books (versioned documents), settlement with
//! true-up and the ledger, accrual.
//!
//! A program book is a reference counted, immutable handle. Settling compiles the book
//! against the data set's master data and runs one pass over its lines; the settlement is a
//! handle read as columns (one row per statement line) or as JSON. Ledgers, findings,
//! referrals and customer segments come in as JSON text; the new ledger entries come out as
//! JSON, for the host to store and feed back to the next run.

use qudao_core::Date;
use qudao_core::document::{Format, RuleDocument, parse_any};
use qudao_core::rebate::{
    CustomerSegments, Engine, EntryKind, Finding, Inputs, Ledger, LedgerEntry, Payout, ProgramBook,
    Referral, Settlement,
};
use std::collections::BTreeMap;

use crate::args::{self, qudao_str};
use crate::bytes::qudao_bytes;
use crate::customer::document::{self, qudao_document};
use crate::customer::{
    OutArray, borrow, check_rows, clone_handle, free_handle, hand_out, to_json, write_bytes,
};
use crate::entry::{Failure, ffi, qudao_status};
use crate::error::qudao_error;
use crate::qudao_dataset;

/// A valid rebate program book: the programs (who takes part, which business counts, the
/// calculation shape, gates, caps, penalties, rounding) and how they stack.
///
/// Ownership: reference counted; `qudao_program_book_parse`, `_sample` and `_clone` give the
/// host one reference, released with `qudao_program_book_free`.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_program_book {
    pub(crate) inner: ProgramBook,
}

/// The result of a settlement run: statement lines (partials, finals, deltas, referral
/// rewards) with their explanations, the enrolments that paid nothing and why, and the new
/// ledger entries.
///
/// Ownership: reference counted; `qudao_rebate_settle` and `_clone` give the host one
/// reference, released with `qudao_settlement_free`. Text read through it
/// (`qudao_settlement_columns`) is borrowed from it.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_settlement {
    pub(crate) inner: Settlement,
    /// The period of each statement line as text (`2025-Q1`), in line order.
    periods: Vec<String>,
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<qudao_program_book>();
    shareable::<qudao_settlement>();
};

/// What a statement line or ledger entry is.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qudao_entry_kind {
    /// A partial settlement inside a period: what is due so far.
    Partial = 0,
    /// The final settlement of a period: the true-up.
    Final = 1,
    /// A correction of a settled amount after late lines or clawed-back returns.
    Delta = 2,
    /// A referral reward.
    Referral = 3,
}

/// What a program pays out.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qudao_payout {
    /// Money, in minor units of the book's currency.
    Money = 0,
    /// Member points.
    Points = 1,
}

const _: () = assert!(size_of::<qudao_entry_kind>() == size_of::<u32>());
const _: () = assert!(size_of::<qudao_payout>() == size_of::<u32>());

/// The kind of an entry, as a code and as the text the JSON uses.
fn entry_kind(kind: EntryKind) -> (qudao_entry_kind, &'static str) {
    match kind {
        EntryKind::Partial => (qudao_entry_kind::Partial, "partial"),
        EntryKind::Final => (qudao_entry_kind::Final, "final"),
        EntryKind::Delta => (qudao_entry_kind::Delta, "delta"),
        EntryKind::Referral => (qudao_entry_kind::Referral, "referral"),
    }
}

/// Parse and validate a program book document (JSON, TOML or YAML; JSON Schema in
/// `schemas/rebate-program-book.schema.json`). Errors name the field path
/// (`programs[0].shape.tiers[1].from`) and are `QUDAO_STATUS_DOCUMENT_ERROR`. Master data
/// references (partners, channels, …) are checked when the book is settled against a data
/// set.
///
/// On success `*out` receives a new reference (free with `qudao_program_book_free`).
/// Nullability: `doc` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `doc` is a valid `qudao_document`; `out` is valid for writing one pointer; `err` is NULL
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_program_book_parse(
    doc: *const qudao_document,
    out: *mut *const qudao_program_book,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [doc, out], {
        // SAFETY: `doc` is a valid document (the caller's contract).
        let (text, format) = unsafe { document::read(doc, "doc") }?;
        let inner = ProgramBook::parse(text, format)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_program_book { inner }) };
        Ok(())
    })
}

/// The sample company's programs for 2025 (the book the demo settles over the bundled
/// sample data): a quarterly volume rebate for distributors with a cross-region penalty, a
/// network override for general agents, a growth rebate for agents, a franchise target
/// bonus and member points.
///
/// On success `*out` receives a new reference (free with `qudao_program_book_free`).
/// Nullability: `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `out` is valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_program_book_sample(
    out: *mut *const qudao_program_book,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [out], {
        let inner = ProgramBook::sample_company();
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_program_book { inner }) };
        Ok(())
    })
}

/// What is legal in the book but probably not meant (non-monotone rates, unreachable tiers,
/// a cliff above the last band, equal priorities in an exclusive group), as a UTF-8 JSON
/// array of `{"path": …, "message": …}`; `[]` when there is nothing to say.
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `book` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `book` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_program_book_warnings_json(
    book: *const qudao_program_book,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [book, out], {
        // SAFETY: `book` is live (the caller's contract).
        let json = to_json!(&unsafe { borrow(book) }.inner.warnings())?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// The book as a UTF-8 JSON document (it parses back with `qudao_program_book_parse`): a
/// starting point for a book of one's own.
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `book` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `book` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_program_book_json(
    book: *const qudao_program_book,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [book, out], {
        // SAFETY: `book` is live (the caller's contract).
        let json = to_json!(&unsafe { borrow(book) }.inner)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// Add a reference to a program book and return it (the same pointer); NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `book` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_program_book_clone(
    book: *const qudao_program_book,
) -> *const qudao_program_book {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(book) } })
}

/// Release one reference to a program book. `qudao_program_book_free(NULL)` does nothing.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `book` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_program_book_free(book: *const qudao_program_book) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(book) } })
}

/// What a settlement or accrual run takes besides the data set, the book and the date. Pass
/// NULL for none of it, or fill one in with `qudao_rebate_inputs_init` and set what you
/// have. Every text is UTF-8 JSON, `{NULL, 0}` for none.
///
/// Versioning: `struct_size` must be `sizeof(qudao_rebate_inputs)`.
/// Ownership: owned by the host; read during the call, nothing retained after it returns.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_rebate_inputs {
    /// `sizeof(qudao_rebate_inputs)`.
    pub struct_size: u32,
    /// What was paid before: a JSON array of ledger entries (as
    /// `qudao_settlement_ledger_json` gives them) or `{"entries": [...]}`.
    pub ledger_json: qudao_str,
    /// Findings for penalty rules: a JSON array of `{"id", "kind", "partner", "date":
    /// "YYYY-MM-DD", "waived": false}` (`waived` optional).
    pub findings_json: qudao_str,
    /// Customer referrals, for referral programs: a JSON array of `{"referrer", "referred",
    /// "date"}`.
    pub referrals_json: qudao_str,
    /// Customer segments, for selections by `customer_segments`: a JSON array of
    /// `{"customer", "segment"}`.
    pub segments_json: qudao_str,
    /// Worker threads for the pass; 0 = all cores. The result does not depend on it.
    pub threads: usize,
}

/// Fill `inputs` with `struct_size = sizeof(qudao_rebate_inputs)`, no texts and all cores.
/// Does nothing when `inputs` is NULL.
///
/// Ownership: `inputs` is owned by the host. Thread safety: may be called from any thread.
///
/// # Safety
/// `inputs` is NULL or valid for writing one `qudao_rebate_inputs`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_rebate_inputs_init(inputs: *mut qudao_rebate_inputs) {
    ffi!(default: (), {
        if !inputs.is_null() {
            let none = qudao_str {
                ptr: std::ptr::null(),
                len: 0,
            };
            // SAFETY: `inputs` is non-NULL and valid for writing one struct (the caller's
            // contract); `write_unaligned` needs no alignment.
            unsafe {
                inputs.write_unaligned(qudao_rebate_inputs {
                    struct_size: size_of::<qudao_rebate_inputs>() as u32,
                    ledger_json: none,
                    findings_json: none,
                    referrals_json: none,
                    segments_json: none,
                    threads: 0,
                });
            }
        }
    })
}

/// The inputs in core terms.
#[derive(Debug, Default)]
struct Given {
    ledger: Ledger,
    findings: Vec<Finding>,
    referrals: Vec<Referral>,
    segments: Option<CustomerSegments>,
    threads: usize,
}

/// Name the argument in a parse error (which keeps its status and field path).
fn named<T>(parsed: qudao_core::Result<T>, name: &str) -> Result<T, Failure> {
    parsed.map_err(|e| {
        let f = Failure::from(e);
        Failure::new(f.status, format!("`{name}`: {}", f.message))
    })
}

/// A ledger given as an array of entries or as `{"entries": [...]}`; empty text is none.
fn ledger_arg(text: &str, name: &str) -> Result<Ledger, Failure> {
    let t = text.trim_start();
    if t.is_empty() {
        Ok(Ledger::default())
    } else if t.starts_with('[') {
        Ok(Ledger {
            entries: named(parse_any::<Vec<LedgerEntry>>(text, Format::Json), name)?,
        })
    } else {
        named(parse_any::<Ledger>(text, Format::Json), name)
    }
}

/// A JSON array argument; empty text is an empty array.
macro_rules! array_arg {
    ($text:expr, $t:ty, $name:expr) => {
        if $text.trim().is_empty() {
            Ok(Vec::new())
        } else {
            named(parse_any::<Vec<$t>>($text, Format::Json), $name)
        }
    };
}

/// Customer segments given as a JSON array of `{"customer", "segment"}`.
fn segments_arg(text: &str, name: &str) -> Result<CustomerSegments, Failure> {
    let rows = named(
        parse_any::<Vec<BTreeMap<String, String>>>(text, Format::Json),
        name,
    )?;
    let mut pairs = Vec::with_capacity(rows.len());
    for (i, mut row) in rows.into_iter().enumerate() {
        let mut field = |key: &str| {
            row.remove(key).ok_or_else(|| {
                Failure::new(
                    qudao_status::DocumentError,
                    format!("`{name}`: [{i}].{key}: missing field"),
                )
            })
        };
        let pair = (field("customer")?, field("segment")?);
        if let Some(extra) = row.keys().next() {
            return Err(Failure::new(
                qudao_status::DocumentError,
                format!("`{name}`: [{i}].{extra}: unknown field; expected customer, segment"),
            ));
        }
        pairs.push(pair);
    }
    Ok(CustomerSegments::from_pairs(pairs))
}

/// Read rebate inputs; NULL means none.
///
/// # Safety
/// `inputs` is NULL or points to at least `inputs->struct_size` readable bytes laid out as a
/// `qudao_rebate_inputs`, whose texts are readable.
unsafe fn read_inputs(inputs: *const qudao_rebate_inputs) -> Result<Given, Failure> {
    if inputs.is_null() {
        return Ok(Given::default());
    }
    // SAFETY: `inputs` is non-NULL and readable for its first field (the caller's contract).
    let size = unsafe { std::ptr::addr_of!((*inputs).struct_size).read_unaligned() };
    if size as usize != size_of::<qudao_rebate_inputs>() {
        return Err(Failure::invalid(
            "inputs",
            format!(
                "struct_size is {size}, this library knows qudao_rebate_inputs of {} bytes; \
                 set struct_size = sizeof(qudao_rebate_inputs) or use qudao_rebate_inputs_init",
                size_of::<qudao_rebate_inputs>()
            ),
        ));
    }
    // SAFETY: the struct is complete (size checked) and holds only integers and pointers,
    // valid for any bit pattern.
    let i = unsafe { inputs.read_unaligned() };
    // SAFETY: each text (here and below) is `len` readable bytes (the caller's contract).
    let ledger = unsafe { args::str_of(i.ledger_json, &|| "inputs->ledger_json".into()) }?;
    // SAFETY: see above.
    let findings = unsafe { args::str_of(i.findings_json, &|| "inputs->findings_json".into()) }?;
    // SAFETY: see above.
    let referrals = unsafe { args::str_of(i.referrals_json, &|| "inputs->referrals_json".into()) }?;
    // SAFETY: see above.
    let segments = unsafe { args::str_of(i.segments_json, &|| "inputs->segments_json".into()) }?;
    let segments = if segments.trim().is_empty() {
        None
    } else {
        Some(segments_arg(segments, "inputs->segments_json")?)
    };
    Ok(Given {
        ledger: ledger_arg(ledger, "inputs->ledger_json")?,
        findings: array_arg!(findings, Finding, "inputs->findings_json")?,
        referrals: array_arg!(referrals, Referral, "inputs->referrals_json")?,
        segments,
        threads: i.threads,
    })
}

/// Read the as-of date.
///
/// # Safety
/// `text` points to `len` readable bytes.
unsafe fn as_of_arg(text: *const u8, len: usize) -> Result<Date, Failure> {
    // SAFETY: forwarded contract.
    let text = unsafe { args::text(text, len, "as_of") }?;
    text.parse()
        .map_err(|e| Failure::invalid("as_of", format!("{text:?}: {e}")))
}

/// Compile the book against the data set and read its lines as of the date, then hand the
/// volumes and ledger to `f`.
fn with_volumes<T>(
    ds: &qudao_dataset,
    book: &qudao_program_book,
    as_of: Date,
    given: &Given,
    f: impl FnOnce(&qudao_core::rebate::Volumes<'_>, &Ledger) -> qudao_core::Result<T>,
) -> Result<T, Failure> {
    let engine = Engine::new(book.inner.clone(), &ds.inner.master)?;
    let inputs = Inputs {
        findings: &given.findings,
        segments: given.segments.as_ref(),
        referrals: &given.referrals,
        threads: given.threads,
    };
    let volumes = engine.volumes(&ds.inner, as_of, &inputs)?;
    Ok(f(&volumes, &given.ledger)?)
}

/// Settle the book over the data set as of `as_of` (`as_of_len` bytes of UTF-8,
/// `YYYY-MM-DD`; lines dated after it are not yet known): every settlement point due by then
/// is paid, partial settlements paying what is due so far and the final one truing up the
/// period net of what the ledger says was paid; late lines and clawed-back returns give
/// delta lines. Feeding back the ledger of a run (`qudao_settlement_ledger_json`) makes the
/// next run pay only what is new.
///
/// Errors: a bad date is `QUDAO_STATUS_INVALID_ARGUMENT`; a book that names unknown master
/// data or another currency than the data's, and bad input JSON, are
/// `QUDAO_STATUS_DOCUMENT_ERROR` naming the field path; a finding for an unknown partner is
/// `QUDAO_STATUS_INVALID_ARGUMENT`.
/// On success `*out` receives a new reference (free with `qudao_settlement_free`).
/// Nullability: `ds`, `book` and `out` must not be NULL; `as_of` may be NULL only when
/// `as_of_len` is 0 (which is an invalid date); `inputs` and `err` may be NULL.
/// Thread safety: may be called from any thread, concurrently on the same data set and book;
/// uses `inputs->threads` cores (all by default).
///
/// # Safety
/// `ds` and `book` are live references; `as_of` points to `as_of_len` readable bytes;
/// `inputs` is NULL or a valid `qudao_rebate_inputs`; `out` is valid for writing one
/// pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_rebate_settle(
    ds: *const qudao_dataset,
    book: *const qudao_program_book,
    as_of: *const u8,
    as_of_len: usize,
    inputs: *const qudao_rebate_inputs,
    out: *mut *const qudao_settlement,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [ds, book, out], {
        // SAFETY: `as_of` is `as_of_len` readable bytes (the caller's contract).
        let as_of = unsafe { as_of_arg(as_of, as_of_len) }?;
        // SAFETY: `inputs` is NULL or valid (the caller's contract).
        let given = unsafe { read_inputs(inputs) }?;
        // SAFETY: both handles are live (the caller's contract).
        let (ds, book) = unsafe { (borrow(ds), borrow(book)) };
        let inner = with_volumes(ds, book, as_of, &given, |v, ledger| v.settle(ledger))?;
        let periods = inner
            .statements
            .iter()
            .map(|s| s.period.to_string())
            .collect();
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_settlement { inner, periods }) };
        Ok(())
    })
}

/// Where each payee stands in its current period as of `as_of` (`YYYY-MM-DD`), as UTF-8
/// JSON: `as_of` and `lines`, per program and payee the `period`, `volume` so far, `earned`
/// (rounded entitlement so far), `paid` (from `inputs->ledger_json`), `projected_volume` and
/// `projected` (at the current pace by the period's end), `next` (the next tier: volume
/// needed, rate, what it would pay) and `why_not`.
///
/// Errors as for `qudao_rebate_settle`.
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `ds`, `book` and `out` must not be NULL; `as_of` may be NULL only when
/// `as_of_len` is 0; `inputs` and `err` may be NULL.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// As for `qudao_rebate_settle`, `out` being valid for writing one buffer pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_rebate_accrue_json(
    ds: *const qudao_dataset,
    book: *const qudao_program_book,
    as_of: *const u8,
    as_of_len: usize,
    inputs: *const qudao_rebate_inputs,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [ds, book, out], {
        // SAFETY: `as_of` is `as_of_len` readable bytes (the caller's contract).
        let as_of = unsafe { as_of_arg(as_of, as_of_len) }?;
        // SAFETY: `inputs` is NULL or valid (the caller's contract).
        let given = unsafe { read_inputs(inputs) }?;
        // SAFETY: both handles are live (the caller's contract).
        let (ds, book) = unsafe { (borrow(ds), borrow(book)) };
        let accrual = with_volumes(ds, book, as_of, &given, |v, ledger| v.accrue(ledger))?;
        let json = to_json!(&accrual)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// Add a reference to a settlement and return it (the same pointer); NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `settlement` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_settlement_clone(
    settlement: *const qudao_settlement,
) -> *const qudao_settlement {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(settlement) } })
}

/// Release one reference to a settlement. `qudao_settlement_free(NULL)` does nothing; text
/// borrowed through it is invalid once the last reference is gone.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `settlement` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_settlement_free(settlement: *const qudao_settlement) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(settlement) } })
}

/// Number of statement lines (the rows of `qudao_settlement_columns`); 0 when `settlement`
/// is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `settlement` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_settlement_len(settlement: *const qudao_settlement) -> usize {
    ffi!(default: 0, {
        // SAFETY: NULL or live (the caller's contract).
        unsafe { settlement.as_ref() }.map_or(0, |s| s.inner.statements.len())
    })
}

/// The whole settlement as UTF-8 JSON: `as_of`, `currency`, `statements` (each line with its
/// base, tier, rate, gross, adjustments, rounding, entitlement, previously paid, amount and
/// reasons), `not_paid`, `ledger`, `points_awards`, `warnings`, `lines_read`,
/// `lines_skipped`. Money is in minor units; `gross` and `exact` are exact decimal strings.
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `settlement` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `settlement` is a live reference; `out` is valid for writing one pointer; `err` is NULL
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_settlement_json(
    settlement: *const qudao_settlement,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [settlement, out], {
        // SAFETY: `settlement` is live (the caller's contract).
        let json = to_json!(&unsafe { borrow(settlement) }.inner)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// The ledger after this run, as a UTF-8 JSON array of entries (`id`, `program`, `payee`,
/// `period`, `kind`, `through`, `issued`, `amount`, `entitlement`, `volume`): the entries of
/// `prior_json` (the ledger the run was given, in either form `qudao_rebate_inputs` takes;
/// NULL with length 0 for none) followed by the entries this run issued. Store it and pass
/// it as `inputs->ledger_json` to the next run.
///
/// Errors: bad `prior_json` is `QUDAO_STATUS_DOCUMENT_ERROR` naming the field path.
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `settlement` and `out` must not be NULL; `prior_json` may be NULL only when
/// `prior_len` is 0; `err` may be NULL.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `settlement` is a live reference; `prior_json` points to `prior_len` readable bytes;
/// `out` is valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_settlement_ledger_json(
    settlement: *const qudao_settlement,
    prior_json: *const u8,
    prior_len: usize,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [settlement, out], {
        // SAFETY: `prior_json` is `prior_len` readable bytes (the caller's contract).
        let prior = unsafe { args::text(prior_json, prior_len, "prior_json") }?;
        let mut ledger = ledger_arg(prior, "prior_json")?;
        // SAFETY: `settlement` is live (the caller's contract).
        ledger.extend(&unsafe { borrow(settlement) }.inner);
        let json = to_json!(&ledger.entries)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// Host arrays that `qudao_settlement_columns` fills, one element per statement line
/// (struct of arrays). Leave an array NULL to skip its column.
///
/// Text columns receive `qudao_str` values borrowing UTF-8 bytes (not NUL-terminated) from
/// the settlement: valid while a reference to it lives; the host must not free them. Money
/// is in minor units of the book's currency (points for points programs, see `payout`); days
/// are days since 1970-01-01.
///
/// Versioning: `struct_size` must be `sizeof(qudao_statement_columns)`.
/// Ownership: the host owns the struct and every array; the library writes the arrays during
/// the call and retains nothing.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_statement_columns {
    /// `sizeof(qudao_statement_columns)`.
    pub struct_size: u32,
    /// Elements in each array; must equal `qudao_settlement_len`.
    pub rows: usize,
    /// Ledger id of the line (`program/payee/period/through`).
    pub id: *mut qudao_str,
    /// Program id.
    pub program: *mut qudao_str,
    /// Payee id (partner or customer).
    pub payee: *mut qudao_str,
    /// Calculation period as text: `2025`, `2025-H1`, `2025-Q3`, `2025-07` or
    /// `2025-01-15..2025-03-31`.
    pub period: *mut qudao_str,
    /// Kind as text: `partial`, `final`, `delta` or `referral`.
    pub kind: *mut qudao_str,
    /// Kind as a code.
    pub kind_code: *mut qudao_entry_kind,
    /// Money or points.
    pub payout: *mut qudao_payout,
    /// Last day of business the line covers.
    pub through: *mut i32,
    /// Volume in the program's measure unit (minor currency units or units); 0 where
    /// `volume_valid` is 0. Needs `volume_valid`.
    pub volume: *mut i64,
    /// 1 where the volume is known, 0 where it is not (a margin measure with unknown costs).
    pub volume_valid: *mut u8,
    /// Cumulative entitlement of the period through this line (rounded).
    pub entitlement: *mut i64,
    /// Paid before for this period.
    pub previously_paid: *mut i64,
    /// Paid now: `entitlement − previously_paid`, within the settlement limits; negative for
    /// a clawback.
    pub amount: *mut i64,
}

/// Copy the statement lines of a settlement into host arrays: each non-NULL array of `cols`
/// receives `cols->rows` elements, row `i` being the `i`-th statement line (by payee,
/// program, period and date, the order of `statements` in `qudao_settlement_json`).
///
/// Errors: `cols->rows` other than `qudao_settlement_len`, a wrong `struct_size`, or
/// `volume` without `volume_valid` are `QUDAO_STATUS_INVALID_ARGUMENT` / `_NULL_ARGUMENT`;
/// then no array is written.
/// Nullability: `settlement` and `cols` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same settlement.
///
/// # Safety
/// `settlement` is a live reference; `cols` is a valid `qudao_statement_columns` whose
/// non-NULL arrays have `rows` writable elements; `err` is NULL or valid for writing one
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_settlement_columns(
    settlement: *const qudao_settlement,
    cols: *const qudao_statement_columns,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [settlement, cols], {
        // SAFETY: `settlement` is live (the caller's contract); the text written out is
        // borrowed from it, which the host keeps alive (documented).
        let h = unsafe { borrow(settlement) };
        // SAFETY: `cols` is non-NULL and readable for its first field (the caller's contract).
        let size = unsafe { std::ptr::addr_of!((*cols).struct_size).read_unaligned() };
        if size as usize != size_of::<qudao_statement_columns>() {
            return Err(Failure::invalid(
                "cols",
                format!(
                    "struct_size is {size}, this library knows qudao_statement_columns of {} \
                     bytes; set struct_size = sizeof(qudao_statement_columns)",
                    size_of::<qudao_statement_columns>()
                ),
            ));
        }
        // SAFETY: the struct is complete (size checked) and holds only integers and
        // pointers, valid for any bit pattern.
        let c = unsafe { cols.read_unaligned() };
        let lines = &h.inner.statements;
        let n = lines.len();
        check_rows(c.rows, n, "cols->rows")?;
        if !c.volume.is_null() && c.volume_valid.is_null() {
            return Err(Failure::null("cols->volume_valid"));
        }
        macro_rules! col {
            ($f:ident) => {
                OutArray::optional(c.$f, n, concat!("cols->", stringify!($f)))?
            };
        }
        let id = col!(id);
        let program = col!(program);
        let payee = col!(payee);
        let period = col!(period);
        let kind = col!(kind);
        let kind_code = col!(kind_code);
        let payout = col!(payout);
        let through = col!(through);
        let volume = col!(volume);
        let volume_valid = col!(volume_valid);
        let entitlement = col!(entitlement);
        let previously_paid = col!(previously_paid);
        let amount = col!(amount);
        let text = |s: &str| qudao_str {
            ptr: s.as_ptr(),
            len: s.len(),
        };
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
        for (r, (s, p)) in lines.iter().zip(&h.periods).enumerate() {
            let (code, word) = entry_kind(s.kind);
            put!(id, r, text(&s.id));
            put!(program, r, text(&s.program));
            put!(payee, r, text(&s.payee));
            put!(period, r, text(p));
            put!(kind, r, text(word));
            put!(kind_code, r, code);
            put!(
                payout,
                r,
                match s.payout {
                    Payout::Money => qudao_payout::Money,
                    Payout::Points => qudao_payout::Points,
                }
            );
            put!(through, r, s.through.0);
            put!(volume, r, s.base.volume.unwrap_or(0));
            put!(volume_valid, r, u8::from(s.base.volume.is_some()));
            put!(entitlement, r, s.entitlement);
            put!(previously_paid, r, s.previously_paid);
            put!(amount, r, s.amount);
        }
        Ok(())
    })
}
