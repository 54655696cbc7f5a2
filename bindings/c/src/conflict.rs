//! Channel conflict (issue 6): the conflict policy (a versioned document), detection over a
//! data set, and the report read as JSON (whole, or one finding), as columns (one row per
//! finding) and as the findings the rebate engine's penalty rules take.
//!
//! The policy and the report are reference counted, immutable handles. Customer assignments,
//! shipments and batch sightings come in as JSON text; findings go out as JSON or columns.

use qudao_core::conflict::{
    Assignment, ConflictInputs, ConflictKind, ConflictPolicy, ConflictReport, Resolution, Severity,
    Shipment, Sighting,
};
use qudao_core::document::{Format, RuleDocument, parse_any};

use crate::args::{self, qudao_str};
use crate::bytes::qudao_bytes;
use crate::customer::document::{self, qudao_document};
use crate::customer::{
    OutArray, borrow, check_rows, clone_handle, free_handle, hand_out, to_json, write_bytes,
};
use crate::entry::{Failure, ffi, qudao_status};
use crate::error::qudao_error;
use crate::evaluation::{named, put, read_columns, text_of};
use crate::qudao_dataset;

/// A valid conflict policy: which detectors run (cross-region selling, diverted goods, below
/// floor, promotion depth, undercutting, customer overlap, vertical, online undercut, channel
/// switching, inventory), their thresholds, approved promotions and the escalation ladder
/// (JSON Schema `qudao_schema_json("conflict-policy")`).
///
/// Ownership: reference counted; `qudao_conflict_policy_parse`, `_sample` and `_clone` give
/// the host one reference, released with `qudao_conflict_policy_free`.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_conflict_policy {
    pub(crate) inner: ConflictPolicy,
}

/// What a detection run found: the findings (each with its evidence, likely cause and
/// suggested resolution), the detectors that did not run and why, and what was read.
///
/// Ownership: reference counted; `qudao_conflict_detect` and `_clone` give the host one
/// reference, released with `qudao_conflict_report_free`. Text read through it
/// (`qudao_conflict_report_columns`) is borrowed from it.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_conflict_report {
    pub(crate) inner: ConflictReport,
    /// The period of each finding as text (`2025-07`), in finding order.
    periods: Vec<String>,
}

impl qudao_conflict_report {
    /// Wrap a core report, with the text of each finding's period for the columns.
    pub(crate) fn new(inner: ConflictReport) -> Self {
        let periods = inner
            .findings
            .iter()
            .map(|f| f.period.to_string())
            .collect();
        qudao_conflict_report { inner, periods }
    }
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<qudao_conflict_policy>();
    shareable::<qudao_conflict_report>();
};

/// How serious a finding is.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qudao_conflict_severity {
    /// Worth a look.
    Low = 0,
    /// A violation.
    Medium = 1,
    /// A serious violation (e.g. invading another partner's exclusive territory).
    High = 2,
    /// Threatens the channel system.
    Critical = 3,
}

const _: () = assert!(size_of::<qudao_conflict_severity>() == size_of::<u32>());

/// A severity as a code and as the text the JSON uses.
fn severity(s: Severity) -> (qudao_conflict_severity, &'static str) {
    match s {
        Severity::Low => (qudao_conflict_severity::Low, "low"),
        Severity::Medium => (qudao_conflict_severity::Medium, "medium"),
        Severity::High => (qudao_conflict_severity::High, "high"),
        Severity::Critical => (qudao_conflict_severity::Critical, "critical"),
    }
}

/// A kind as the text the JSON uses.
fn kind_word(k: ConflictKind) -> &'static str {
    match k {
        ConflictKind::Horizontal => "horizontal",
        ConflictKind::Vertical => "vertical",
        ConflictKind::MultiChannel => "multi_channel",
    }
}

/// A resolution as the text the JSON uses.
fn resolution_word(r: Resolution) -> &'static str {
    match r {
        Resolution::Review => "review",
        Resolution::Transfer => "transfer",
        Resolution::Warn => "warn",
        Resolution::DeductRebate => "deduct_rebate",
        Resolution::Suspend => "suspend",
        Resolution::Terminate => "terminate",
    }
}

/// Parse and validate a conflict policy document (JSON, TOML or YAML; JSON Schema
/// `qudao_schema_json("conflict-policy")`, also `schemas/conflict-policy.schema.json`).
/// Errors name the field path (`undercutting.gap`) and are `QUDAO_STATUS_DOCUMENT_ERROR`.
/// Master data references (territories, products of approved promotions) are checked when
/// the policy is applied to a data set.
///
/// On success `*out` receives a new reference (free with `qudao_conflict_policy_free`).
/// Nullability: `doc` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `doc` is a valid `qudao_document`; `out` is valid for writing one pointer; `err` is NULL
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_conflict_policy_parse(
    doc: *const qudao_document,
    out: *mut *const qudao_conflict_policy,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [doc, out], {
        // SAFETY: `doc` is a valid document (the caller's contract).
        let (text, format) = unsafe { document::read(doc, "doc") }?;
        let inner = ConflictPolicy::parse(text, format)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_conflict_policy { inner }) };
        Ok(())
    })
}

/// The sample company's conflict policy (the one the demo applies to the bundled sample
/// data): every detector on, monthly findings, the default escalation ladder.
///
/// On success `*out` receives a new reference (free with `qudao_conflict_policy_free`).
/// Nullability: `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `out` is valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_conflict_policy_sample(
    out: *mut *const qudao_conflict_policy,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [out], {
        let inner = ConflictPolicy::sample_company();
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_conflict_policy { inner }) };
        Ok(())
    })
}

/// The policy as a UTF-8 JSON document (it parses back with `qudao_conflict_policy_parse`):
/// a starting point for a policy of one's own.
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `policy` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `policy` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_conflict_policy_json(
    policy: *const qudao_conflict_policy,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [policy, out], {
        // SAFETY: `policy` is live (the caller's contract).
        let json = to_json!(&unsafe { borrow(policy) }.inner)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// Add a reference to a conflict policy and return it (the same pointer); NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `policy` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_conflict_policy_clone(
    policy: *const qudao_conflict_policy,
) -> *const qudao_conflict_policy {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(policy) } })
}

/// Release one reference to a conflict policy. `qudao_conflict_policy_free(NULL)` does
/// nothing.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `policy` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_conflict_policy_free(policy: *const qudao_conflict_policy) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(policy) } })
}

/// What detection takes besides the data set and the policy. Pass NULL for none of it, or
/// fill one in with `qudao_conflict_inputs_init` and set what you have. Every text is a UTF-8
/// JSON array, `{NULL, 0}` for none; a detector whose inputs are missing does not run (the
/// report's `not_run` says so). Inventory comes from the data set.
///
/// Versioning: `struct_size` must be `sizeof(qudao_conflict_inputs)`.
/// Ownership: owned by the host; read during the call, nothing retained after it returns.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_conflict_inputs {
    /// `sizeof(qudao_conflict_inputs)`.
    pub struct_size: u32,
    /// Customer assignments (客户归属), for the vertical detector: `[{"customer", "partner",
    /// "from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}]` (`from` and `to` optional, `to`
    /// inclusive).
    pub assignments_json: qudao_str,
    /// Shipments, for the diverted-goods detector: `[{"batch", "product", "partner", "date":
    /// "YYYY-MM-DD", "quantity", "ship_to"}]` (`ship_to`, a territory id, optional).
    pub shipments_json: qudao_str,
    /// Sightings of shipped batches, for the diverted-goods detector: `[{"batch", "date":
    /// "YYYY-MM-DD", "territory", "seller", "quantity"}]` (`seller` optional, `quantity`
    /// default 1).
    pub sightings_json: qudao_str,
    /// Worker threads for the passes; 0 = all cores. The result does not depend on it.
    pub threads: usize,
}

/// Fill `inputs` with `struct_size = sizeof(qudao_conflict_inputs)`, no texts and all cores.
/// Does nothing when `inputs` is NULL.
///
/// Ownership: `inputs` is owned by the host. Thread safety: may be called from any thread.
///
/// # Safety
/// `inputs` is NULL or valid for writing one `qudao_conflict_inputs`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_conflict_inputs_init(inputs: *mut qudao_conflict_inputs) {
    ffi!(default: (), {
        if !inputs.is_null() {
            let none = qudao_str {
                ptr: std::ptr::null(),
                len: 0,
            };
            // SAFETY: `inputs` is non-NULL and valid for writing one struct (the caller's
            // contract); `write_unaligned` needs no alignment.
            unsafe {
                inputs.write_unaligned(qudao_conflict_inputs {
                    struct_size: size_of::<qudao_conflict_inputs>() as u32,
                    assignments_json: none,
                    shipments_json: none,
                    sightings_json: none,
                    threads: 0,
                });
            }
        }
    })
}

/// The inputs in core terms.
#[derive(Debug, Default)]
struct Given {
    assignments: Vec<Assignment>,
    shipments: Vec<Shipment>,
    sightings: Vec<Sighting>,
    threads: usize,
}

/// A JSON array argument; empty text is an empty array. Errors name the argument and the
/// field path (`[3].date`).
macro_rules! array_arg {
    ($text:expr, $t:ty, $name:expr) => {
        if $text.trim().is_empty() {
            Ok(Vec::new())
        } else {
            named(parse_any::<Vec<$t>>($text, Format::Json), $name)
        }
    };
}

/// Read conflict inputs; NULL means none.
///
/// # Safety
/// `inputs` is NULL or points to at least `inputs->struct_size` readable bytes laid out as a
/// `qudao_conflict_inputs`, whose texts are readable.
unsafe fn read_inputs(inputs: *const qudao_conflict_inputs) -> Result<Given, Failure> {
    if inputs.is_null() {
        return Ok(Given::default());
    }
    // SAFETY: `inputs` is non-NULL and readable for its first field (the caller's contract).
    let size = unsafe { std::ptr::addr_of!((*inputs).struct_size).read_unaligned() };
    if size as usize != size_of::<qudao_conflict_inputs>() {
        return Err(Failure::invalid(
            "inputs",
            format!(
                "struct_size is {size}, this library knows qudao_conflict_inputs of {} bytes; \
                 set struct_size = sizeof(qudao_conflict_inputs) or use \
                 qudao_conflict_inputs_init",
                size_of::<qudao_conflict_inputs>()
            ),
        ));
    }
    // SAFETY: the struct is complete (size checked) and holds only integers and pointers,
    // valid for any bit pattern.
    let i = unsafe { inputs.read_unaligned() };
    // SAFETY: each text (here and below) is `len` readable bytes (the caller's contract).
    let assignments =
        unsafe { args::str_of(i.assignments_json, &|| "inputs->assignments_json".into()) }?;
    // SAFETY: see above.
    let shipments = unsafe { args::str_of(i.shipments_json, &|| "inputs->shipments_json".into()) }?;
    // SAFETY: see above.
    let sightings = unsafe { args::str_of(i.sightings_json, &|| "inputs->sightings_json".into()) }?;
    Ok(Given {
        assignments: array_arg!(assignments, Assignment, "inputs->assignments_json")?,
        shipments: array_arg!(shipments, Shipment, "inputs->shipments_json")?,
        sightings: array_arg!(sightings, Sighting, "inputs->sightings_json")?,
        threads: i.threads,
    })
}

/// Run every enabled detector of `policy` over the data set: cross-region selling, diverted
/// goods (needs shipments and sightings), sales below the floor price, unauthorised
/// promotion depth, undercutting, customer overlap, vertical conflict (needs assignments),
/// online undercutting, channel switching and inventory imbalance. Returns are never
/// violations.
///
/// Errors: bad input JSON is `QUDAO_STATUS_DOCUMENT_ERROR` naming the input and the field
/// path (`` `inputs->shipments_json`: [2].date ``); inputs naming an unknown customer,
/// partner, product or territory, and policy windows that do not fit the dates, are errors of
/// the core naming the table, row and field; a wrong `struct_size` is
/// `QUDAO_STATUS_INVALID_ARGUMENT`.
/// On success `*out` receives a new reference (free with `qudao_conflict_report_free`).
/// Nullability: `ds`, `policy` and `out` must not be NULL; `inputs` (none) and `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same data set and
/// policy; uses `inputs->threads` cores (all by default).
///
/// # Safety
/// `ds` and `policy` are live references; `inputs` is NULL or a valid
/// `qudao_conflict_inputs`; `out` is valid for writing one pointer; `err` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_conflict_detect(
    ds: *const qudao_dataset,
    policy: *const qudao_conflict_policy,
    inputs: *const qudao_conflict_inputs,
    out: *mut *const qudao_conflict_report,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [ds, policy, out], {
        // SAFETY: `inputs` is NULL or valid (the caller's contract).
        let given = unsafe { read_inputs(inputs) }?;
        // SAFETY: both handles are live (the caller's contract).
        let (ds, policy) = unsafe { (borrow(ds), borrow(policy)) };
        let inputs = ConflictInputs {
            assignments: &given.assignments,
            shipments: &given.shipments,
            sightings: &given.sightings,
            threads: given.threads,
        };
        let inner = qudao_core::conflict::detect(&ds.inner, &policy.inner, &inputs)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_conflict_report::new(inner)) };
        Ok(())
    })
}

/// Add a reference to a conflict report and return it (the same pointer); NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `report` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_conflict_report_clone(
    report: *const qudao_conflict_report,
) -> *const qudao_conflict_report {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(report) } })
}

/// Release one reference to a conflict report. `qudao_conflict_report_free(NULL)` does
/// nothing; text borrowed through it is invalid once the last reference is gone.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `report` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_conflict_report_free(report: *const qudao_conflict_report) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(report) } })
}

/// Number of findings (the rows of `qudao_conflict_report_columns`); 0 when `report` is
/// NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `report` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_conflict_report_len(report: *const qudao_conflict_report) -> usize {
    ffi!(default: 0, {
        // SAFETY: NULL or live (the caller's contract).
        unsafe { report.as_ref() }.map_or(0, |r| r.inner.findings.len())
    })
}

/// The whole report as UTF-8 JSON: `policy` (its id), `findings` (each with `id`,
/// `detector`, `kind`, `partner`, `parties`, `channels`, `territory`, `product`, `period`,
/// `first_day`, `last_day`, `severity`, `repeats`, `resolution`, `message` {`en`, `zh`},
/// `figures`, `evidence` {`lines`, `quantity`, `amount`, `listed`: the first lines} and
/// `cause`), `not_run` (detector and reason) and `scanned` (`lines`, `sale_lines`,
/// `return_lines`). Money is in minor units; ratios and figures are exact decimal strings.
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `report` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `report` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_conflict_report_json(
    report: *const qudao_conflict_report,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [report, out], {
        // SAFETY: `report` is live (the caller's contract).
        let json = to_json!(&unsafe { borrow(report) }.inner)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// One finding of the report by its stable id (`id_len` bytes of UTF-8, e.g.
/// `cross_region/DS025/SH/-/2025-03`), as UTF-8 JSON in the form of an element of `findings`
/// in `qudao_conflict_report_json`.
///
/// Errors: an id the report does not hold is `QUDAO_STATUS_INVALID_ARGUMENT` naming it.
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `report` and `out` must not be NULL; `id` may be NULL only when `id_len` is
/// 0 (which names no finding); `err` may be NULL.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `report` is a live reference; `id` points to `id_len` readable bytes; `out` is valid for
/// writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_conflict_report_finding_json(
    report: *const qudao_conflict_report,
    id: *const u8,
    id_len: usize,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [report, out], {
        // SAFETY: `id` is `id_len` readable bytes (the caller's contract).
        let id = unsafe { args::text(id, id_len, "id") }?;
        // SAFETY: `report` is live (the caller's contract).
        let finding = unsafe { borrow(report) }
            .inner
            .get(id)
            .ok_or_else(|| Failure::invalid("id", format!("no finding {id:?} in the report")))?;
        let json = to_json!(finding)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// The findings against a partner as the rebate engine's findings, as a UTF-8 JSON array of
/// `{"id", "kind", "partner", "date", "waived"}` (`kind` is the detector name, e.g.
/// `cross_region`, which penalty rules match on; `date` is the first day of the evidence):
/// exactly what `qudao_rebate_inputs.findings_json` takes, so the statement's penalty
/// adjustment quotes the finding id. Findings naming no culprit (overlaps, channel patterns)
/// are left out. Findings whose id is in `waived_ids_json` (a JSON array of id strings;
/// NULL with length 0 for none) are marked `"waived": true`, and penalty rules skip them.
///
/// Errors: bad `waived_ids_json` is `QUDAO_STATUS_DOCUMENT_ERROR` naming the argument.
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `report` and `out` must not be NULL; `waived_ids_json` may be NULL only when
/// `waived_len` is 0; `err` may be NULL.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `report` is a live reference; `waived_ids_json` points to `waived_len` readable bytes;
/// `out` is valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_conflict_report_penalty_findings_json(
    report: *const qudao_conflict_report,
    waived_ids_json: *const u8,
    waived_len: usize,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [report, out], {
        // SAFETY: `waived_ids_json` is `waived_len` readable bytes (the caller's contract).
        let text = unsafe { args::text(waived_ids_json, waived_len, "waived_ids_json") }?;
        let waived: Vec<String> = array_arg!(text, String, "waived_ids_json")?;
        // SAFETY: `report` is live (the caller's contract).
        let findings = unsafe { borrow(report) }.inner.penalty_findings(&waived);
        let json = to_json!(&findings)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// Host arrays that `qudao_conflict_report_columns` fills, one element per finding (struct
/// of arrays). Leave an array NULL to skip its column.
///
/// Text columns receive `qudao_str` values borrowing UTF-8 bytes (not NUL-terminated) from
/// the report: valid while a reference to it lives; the host must not free them. An empty
/// text (`len` 0) means none. Days are days since 1970-01-01; money is in minor units of the
/// data set's currency.
///
/// Versioning: `struct_size` must be `sizeof(qudao_conflict_columns)`.
/// Ownership: the host owns the struct and every array; the library writes the arrays during
/// the call and retains nothing.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_conflict_columns {
    /// `sizeof(qudao_conflict_columns)`.
    pub struct_size: u32,
    /// Elements in each array; must equal `qudao_conflict_report_len`.
    pub rows: usize,
    /// Stable id (`detector/partner/territory/product/period`, `-` for none).
    pub id: *mut qudao_str,
    /// Detector: `cross_region`, `diverted_goods`, `below_floor`, `promotion_depth`,
    /// `undercutting`, `customer_overlap`, `vertical`, `online_undercut`,
    /// `channel_switching` or `inventory`.
    pub detector: *mut qudao_str,
    /// Kind: `horizontal`, `vertical` or `multi_channel`.
    pub kind: *mut qudao_str,
    /// The partner the finding is against; empty when it is against the company's own
    /// channels or names no culprit.
    pub partner: *mut qudao_str,
    /// Territory id; empty when the finding is not about one.
    pub territory: *mut qudao_str,
    /// Product id; empty when the finding is not about one.
    pub product: *mut qudao_str,
    /// Period as text: `2025`, `2025-H1`, `2025-Q3`, `2025-07` or `2025-01-15..2025-03-31`.
    pub period: *mut qudao_str,
    /// First day of the evidence (a rebate penalty counts in the period holding it).
    pub first_day: *mut i32,
    /// Last day of the evidence.
    pub last_day: *mut i32,
    /// Severity as text: `low`, `medium`, `high` or `critical`.
    pub severity: *mut qudao_str,
    /// Severity as a code.
    pub severity_code: *mut qudao_conflict_severity,
    /// Suggested resolution: `review`, `transfer`, `warn`, `deduct_rebate`, `suspend` or
    /// `terminate`.
    pub resolution: *mut qudao_str,
    /// Earlier periods (in this run) with a finding of the same detector against the same
    /// partner.
    pub repeats: *mut u32,
    /// Transaction lines behind the finding (all of them, not only those listed in the
    /// JSON).
    pub evidence_lines: *mut u64,
    /// Their amount, minor units.
    pub evidence_amount: *mut i64,
    /// The finding in one sentence, in English.
    pub message_en: *mut qudao_str,
    /// The finding in one sentence, in Chinese.
    pub message_zh: *mut qudao_str,
}

/// Copy the findings of a report into host arrays: each non-NULL array of `cols` receives
/// `cols->rows` elements, row `i` being the `i`-th finding (by detector, period, partner,
/// territory, product and id, the order of `findings` in `qudao_conflict_report_json`).
///
/// Errors: `cols->rows` other than `qudao_conflict_report_len` or a wrong `struct_size` are
/// `QUDAO_STATUS_INVALID_ARGUMENT`; then no array is written.
/// Nullability: `report` and `cols` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same report.
///
/// # Safety
/// `report` is a live reference; `cols` is a valid `qudao_conflict_columns` whose non-NULL
/// arrays have `rows` writable elements; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_conflict_report_columns(
    report: *const qudao_conflict_report,
    cols: *const qudao_conflict_columns,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [report, cols], {
        // SAFETY: `report` is live (the caller's contract); the text written out is borrowed
        // from it, which the host keeps alive (documented).
        let h = unsafe { borrow(report) };
        // SAFETY: `cols` is a valid struct (the caller's contract).
        let c = unsafe { read_columns(cols, "qudao_conflict_columns") }?;
        let findings = &h.inner.findings;
        let n = findings.len();
        check_rows(c.rows, n, "cols->rows")?;
        macro_rules! col {
            ($f:ident) => {
                OutArray::optional(c.$f, n, concat!("cols->", stringify!($f)))?
            };
        }
        let id = col!(id);
        let detector = col!(detector);
        let kind = col!(kind);
        let partner = col!(partner);
        let territory = col!(territory);
        let product = col!(product);
        let period = col!(period);
        let first_day = col!(first_day);
        let last_day = col!(last_day);
        let severity_text = col!(severity);
        let severity_code = col!(severity_code);
        let resolution = col!(resolution);
        let repeats = col!(repeats);
        let evidence_lines = col!(evidence_lines);
        let evidence_amount = col!(evidence_amount);
        let message_en = col!(message_en);
        let message_zh = col!(message_zh);
        let opt = |s: &Option<String>| text_of(s.as_deref().unwrap_or(""));
        for (r, (f, p)) in findings.iter().zip(&h.periods).enumerate() {
            let (code, sev) = severity(f.severity);
            put!(id, r, text_of(&f.id));
            put!(detector, r, text_of(f.detector.as_str()));
            put!(kind, r, text_of(kind_word(f.kind)));
            put!(partner, r, opt(&f.partner));
            put!(territory, r, opt(&f.territory));
            put!(product, r, opt(&f.product));
            put!(period, r, text_of(p));
            put!(first_day, r, f.first_day.0);
            put!(last_day, r, f.last_day.0);
            put!(severity_text, r, text_of(sev));
            put!(severity_code, r, code);
            put!(resolution, r, text_of(resolution_word(f.resolution)));
            put!(repeats, r, f.repeats);
            put!(evidence_lines, r, f.evidence.lines);
            put!(evidence_amount, r, f.evidence.amount);
            put!(message_en, r, text_of(&f.message.en));
            put!(message_zh, r, text_of(&f.message.zh));
        }
        Ok(())
    })
}
