//! The evaluation rule documents as handles: scorecard, warning rules, BCG options,
//! onboarding policy and grade rules. Each is parsed from a `qudao_document` (JSON, TOML or
//! YAML; validated, errors naming the field path) or taken from the sample company, written
//! back as JSON, and shared by reference count.

use qudao_core::document::RuleDocument;
use qudao_core::evaluation::alerts::WarningRules;
use qudao_core::evaluation::bcg::BcgOptions;
use qudao_core::evaluation::grade::GradeRules;
use qudao_core::evaluation::onboarding::OnboardingPolicy;
use qudao_core::evaluation::scorecard::Scorecard;

use crate::bytes::qudao_bytes;
use crate::customer::document::{self, qudao_document};
use crate::customer::{borrow, clone_handle, free_handle, hand_out, to_json, write_bytes};
use crate::entry::{Failure, ffi, qudao_status};
use crate::error::qudao_error;

/// A handle around one rule document.
trait DocHandle: Sized {
    type Doc: RuleDocument;
    fn wrap(doc: Self::Doc) -> Self;
    fn doc(&self) -> &Self::Doc;
}

macro_rules! handle {
    ($h:ident, $doc:ty) => {
        impl DocHandle for $h {
            type Doc = $doc;
            fn wrap(inner: $doc) -> Self {
                $h { inner }
            }
            fn doc(&self) -> &$doc {
                &self.inner
            }
        }
    };
}

/// Parse, validate and hand out a document.
///
/// # Safety
/// `doc` is a valid `qudao_document`; `out` is valid for writing one pointer.
unsafe fn parse<H: DocHandle>(
    doc: *const qudao_document,
    out: *mut *const H,
) -> Result<(), Failure> {
    // SAFETY: `doc` is a valid document (the caller's contract).
    let (text, format) = unsafe { document::read(doc, "doc") }?;
    let inner = H::Doc::parse(text, format)?;
    // SAFETY: `out` is valid for writes (the caller's contract).
    unsafe { hand_out(out, H::wrap(inner)) };
    Ok(())
}

/// Hand out a document.
///
/// # Safety
/// `out` is valid for writing one pointer.
unsafe fn give<H: DocHandle>(inner: H::Doc, out: *mut *const H) -> Result<(), Failure> {
    // SAFETY: `out` is valid for writes (the caller's contract).
    unsafe { hand_out(out, H::wrap(inner)) };
    Ok(())
}

/// Write a document as JSON.
///
/// # Safety
/// `h` is a live handle; `out` is valid for writing one pointer.
unsafe fn json<H: DocHandle>(h: *const H, out: *mut *mut qudao_bytes) -> Result<(), Failure> {
    // SAFETY: `h` is live (the caller's contract).
    let json = to_json!(unsafe { borrow(h) }.doc())?;
    // SAFETY: `out` is valid for writes (the caller's contract).
    unsafe { write_bytes(out, json) };
    Ok(())
}

/// A valid scorecard: indicator groups with weights, per indicator the KPI, direction,
/// normalisation and weight, and the missing-data policy (`docs/evaluation-scorecards.md`;
/// JSON Schema `qudao_schema_json("scorecard")`).
///
/// Ownership: reference counted; `qudao_scorecard_parse`, `_sample` and `_clone` give the
/// host one reference, released with `qudao_scorecard_free`.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_scorecard {
    pub(crate) inner: Scorecard,
}
handle!(qudao_scorecard, Scorecard);

/// Valid warning rules: thresholds, trends and credit exposure, each with a severity and a
/// suggested action (`docs/evaluation-bcg-alerts.md`; JSON Schema
/// `qudao_schema_json("warning-rules")`).
///
/// Ownership: reference counted; `qudao_warning_rules_parse`, `_sample` and `_clone` give the
/// host one reference, released with `qudao_warning_rules_free`.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_warning_rules {
    pub(crate) inner: WarningRules,
}
handle!(qudao_warning_rules, WarningRules);

/// Valid BCG options: the kind of subject, the growth and size KPIs, the share basis and
/// the thresholds, the action per quadrant (`docs/evaluation-bcg-alerts.md`; JSON Schema
/// `qudao_schema_json("bcg-options")`).
///
/// Ownership: reference counted; `qudao_bcg_options_parse`, `_sample` and `_clone` give the
/// host one reference, released with `qudao_bcg_options_free`.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_bcg_options {
    pub(crate) inner: BcgOptions,
}
handle!(qudao_bcg_options, BcgOptions);

/// A valid onboarding policy: hard gates and weighted criteria with a pass score
/// (`docs/evaluation-scorecards.md`; JSON Schema `qudao_schema_json("onboarding-policy")`).
///
/// Ownership: reference counted; `qudao_onboarding_policy_parse`, `_sample` and `_clone`
/// give the host one reference, released with `qudao_onboarding_policy_free`.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_onboarding_policy {
    pub(crate) inner: OnboardingPolicy,
}
handle!(qudao_onboarding_policy, OnboardingPolicy);

/// Valid grade rules: promotion and demotion conditions over scores, ranks and KPIs for a
/// number of consecutive periods (`docs/evaluation-scorecards.md`; JSON Schema
/// `qudao_schema_json("grade-rules")`).
///
/// Ownership: reference counted; `qudao_grade_rules_parse`, `_sample` and `_clone` give the
/// host one reference, released with `qudao_grade_rules_free`.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_grade_rules {
    pub(crate) inner: GradeRules,
}
handle!(qudao_grade_rules, GradeRules);

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<qudao_scorecard>();
    shareable::<qudao_warning_rules>();
    shareable::<qudao_bcg_options>();
    shareable::<qudao_onboarding_policy>();
    shareable::<qudao_grade_rules>();
};

// ---- scorecard ----

/// Parse and validate a scorecard document (JSON, TOML or YAML). Weights that do not sum to
/// 1 within the tolerance, unknown KPIs and empty groups are `QUDAO_STATUS_DOCUMENT_ERROR`
/// naming the field path (`groups[1].indicators`).
///
/// On success `*out` receives a new reference (free with `qudao_scorecard_free`).
/// Nullability: `doc` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `doc` is a valid `qudao_document`; `out` is valid for writing one pointer; `err` is NULL
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_scorecard_parse(
    doc: *const qudao_document,
    out: *mut *const qudao_scorecard,
    err: *mut *mut qudao_error,
) -> qudao_status {
    // SAFETY: the caller's contract.
    ffi!(err: err, nonnull: [doc, out], { unsafe { parse(doc, out) } })
}

/// The sample company's partner scorecard: financial 40 %, market 20 %, customer 20 %,
/// operational 20 %.
///
/// On success `*out` receives a new reference (free with `qudao_scorecard_free`).
/// Nullability: `out` must not be NULL; `err` may be. Thread safety: may be called from any
/// thread.
///
/// # Safety
/// `out` is valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_scorecard_sample(
    out: *mut *const qudao_scorecard,
    err: *mut *mut qudao_error,
) -> qudao_status {
    // SAFETY: the caller's contract.
    ffi!(err: err, nonnull: [out], { unsafe { give(Scorecard::sample_company(), out) } })
}

/// The scorecard as a UTF-8 JSON document (it parses back with `qudao_scorecard_parse`).
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `card` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `card` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_scorecard_json(
    card: *const qudao_scorecard,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    // SAFETY: the caller's contract.
    ffi!(err: err, nonnull: [card, out], { unsafe { json(card, out) } })
}

/// Add a reference to a scorecard and return it (the same pointer); NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `card` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_scorecard_clone(
    card: *const qudao_scorecard,
) -> *const qudao_scorecard {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(card) } })
}

/// Release one reference to a scorecard. `qudao_scorecard_free(NULL)` does nothing.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `card` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_scorecard_free(card: *const qudao_scorecard) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(card) } })
}

// ---- warning rules ----

/// Parse and validate a warning rules document (JSON, TOML or YAML); errors are
/// `QUDAO_STATUS_DOCUMENT_ERROR` naming the field path (`rules[2].when.threshold.all`).
///
/// On success `*out` receives a new reference (free with `qudao_warning_rules_free`).
/// Nullability: `doc` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `doc` is a valid `qudao_document`; `out` is valid for writing one pointer; `err` is NULL
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_warning_rules_parse(
    doc: *const qudao_document,
    out: *mut *const qudao_warning_rules,
    err: *mut *mut qudao_error,
) -> qudao_status {
    // SAFETY: the caller's contract.
    ffi!(err: err, nonnull: [doc, out], { unsafe { parse(doc, out) } })
}

/// The sample company's warning rules (`minghe-warnings`): overstock (`stock-cover-high`),
/// rising complaints (`complaints-rising`), a high complaint rate, falling revenue, target
/// attainment behind pace, low satisfaction and a credit limit.
///
/// On success `*out` receives a new reference (free with `qudao_warning_rules_free`).
/// Nullability: `out` must not be NULL; `err` may be. Thread safety: may be called from any
/// thread.
///
/// # Safety
/// `out` is valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_warning_rules_sample(
    out: *mut *const qudao_warning_rules,
    err: *mut *mut qudao_error,
) -> qudao_status {
    // SAFETY: the caller's contract.
    ffi!(err: err, nonnull: [out], { unsafe { give(WarningRules::sample_company(), out) } })
}

/// The warning rules as a UTF-8 JSON document (it parses back with
/// `qudao_warning_rules_parse`).
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `rules` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `rules` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_warning_rules_json(
    rules: *const qudao_warning_rules,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    // SAFETY: the caller's contract.
    ffi!(err: err, nonnull: [rules, out], { unsafe { json(rules, out) } })
}

/// Add a reference to warning rules and return it (the same pointer); NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `rules` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_warning_rules_clone(
    rules: *const qudao_warning_rules,
) -> *const qudao_warning_rules {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(rules) } })
}

/// Release one reference to warning rules. `qudao_warning_rules_free(NULL)` does nothing.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `rules` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_warning_rules_free(rules: *const qudao_warning_rules) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(rules) } })
}

// ---- BCG options ----

/// Parse and validate BCG options (JSON, TOML or YAML); errors are
/// `QUDAO_STATUS_DOCUMENT_ERROR` naming the field path (`share_threshold`).
///
/// On success `*out` receives a new reference (free with `qudao_bcg_options_free`).
/// Nullability: `doc` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `doc` is a valid `qudao_document`; `out` is valid for writing one pointer; `err` is NULL
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_bcg_options_parse(
    doc: *const qudao_document,
    out: *mut *const qudao_bcg_options,
    err: *mut *mut qudao_error,
) -> qudao_status {
    // SAFETY: the caller's contract.
    ffi!(err: err, nonnull: [doc, out], { unsafe { parse(doc, out) } })
}

/// The sample company's BCG options (`minghe-bcg`): channels, year-over-year revenue growth
/// ≥ 10 %, revenue share relative to the channel average ≥ 1.0.
///
/// On success `*out` receives a new reference (free with `qudao_bcg_options_free`).
/// Nullability: `out` must not be NULL; `err` may be. Thread safety: may be called from any
/// thread.
///
/// # Safety
/// `out` is valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_bcg_options_sample(
    out: *mut *const qudao_bcg_options,
    err: *mut *mut qudao_error,
) -> qudao_status {
    // SAFETY: the caller's contract.
    ffi!(err: err, nonnull: [out], { unsafe { give(BcgOptions::sample_company(), out) } })
}

/// The BCG options as a UTF-8 JSON document (it parses back with `qudao_bcg_options_parse`).
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `options` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `options` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_bcg_options_json(
    options: *const qudao_bcg_options,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    // SAFETY: the caller's contract.
    ffi!(err: err, nonnull: [options, out], { unsafe { json(options, out) } })
}

/// Add a reference to BCG options and return it (the same pointer); NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `options` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_bcg_options_clone(
    options: *const qudao_bcg_options,
) -> *const qudao_bcg_options {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(options) } })
}

/// Release one reference to BCG options. `qudao_bcg_options_free(NULL)` does nothing.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `options` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_bcg_options_free(options: *const qudao_bcg_options) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(options) } })
}

// ---- onboarding policy ----

/// Parse and validate an onboarding policy (JSON, TOML or YAML); criteria weights that do
/// not sum to 1 and other errors are `QUDAO_STATUS_DOCUMENT_ERROR` naming the field path.
///
/// On success `*out` receives a new reference (free with `qudao_onboarding_policy_free`).
/// Nullability: `doc` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `doc` is a valid `qudao_document`; `out` is valid for writing one pointer; `err` is NULL
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_onboarding_policy_parse(
    doc: *const qudao_document,
    out: *mut *const qudao_onboarding_policy,
    err: *mut *mut qudao_error,
) -> qudao_status {
    // SAFETY: the caller's contract.
    ffi!(err: err, nonnull: [doc, out], { unsafe { parse(doc, out) } })
}

/// The sample company's onboarding policy: a licence, 3 years in the industry and
/// ¥1,000,000 of registered capital as gates; regional market share, customer resources,
/// team size and brand alignment weighted; 60 to pass.
///
/// On success `*out` receives a new reference (free with `qudao_onboarding_policy_free`).
/// Nullability: `out` must not be NULL; `err` may be. Thread safety: may be called from any
/// thread.
///
/// # Safety
/// `out` is valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_onboarding_policy_sample(
    out: *mut *const qudao_onboarding_policy,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [out], {
        // SAFETY: the caller's contract.
        unsafe { give(OnboardingPolicy::sample_company(), out) }
    })
}

/// The onboarding policy as a UTF-8 JSON document (it parses back with
/// `qudao_onboarding_policy_parse`).
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `policy` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `policy` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_onboarding_policy_json(
    policy: *const qudao_onboarding_policy,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    // SAFETY: the caller's contract.
    ffi!(err: err, nonnull: [policy, out], { unsafe { json(policy, out) } })
}

/// Add a reference to an onboarding policy and return it (the same pointer); NULL gives
/// NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `policy` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_onboarding_policy_clone(
    policy: *const qudao_onboarding_policy,
) -> *const qudao_onboarding_policy {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(policy) } })
}

/// Release one reference to an onboarding policy. `qudao_onboarding_policy_free(NULL)` does
/// nothing.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `policy` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_onboarding_policy_free(policy: *const qudao_onboarding_policy) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(policy) } })
}

// ---- grade rules ----

/// Parse and validate grade rules (JSON, TOML or YAML); errors are
/// `QUDAO_STATUS_DOCUMENT_ERROR` naming the field path (`rules[0].conditions[1]`).
///
/// On success `*out` receives a new reference (free with `qudao_grade_rules_free`).
/// Nullability: `doc` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `doc` is a valid `qudao_document`; `out` is valid for writing one pointer; `err` is NULL
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_grade_rules_parse(
    doc: *const qudao_document,
    out: *mut *const qudao_grade_rules,
    err: *mut *mut qudao_error,
) -> qudao_status {
    // SAFETY: the caller's contract.
    ffi!(err: err, nonnull: [doc, out], { unsafe { parse(doc, out) } })
}

/// The sample company's grade rules (promotion to regional general agent after four strong
/// quarters, review after two weak ones, …).
///
/// On success `*out` receives a new reference (free with `qudao_grade_rules_free`).
/// Nullability: `out` must not be NULL; `err` may be. Thread safety: may be called from any
/// thread.
///
/// # Safety
/// `out` is valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_grade_rules_sample(
    out: *mut *const qudao_grade_rules,
    err: *mut *mut qudao_error,
) -> qudao_status {
    // SAFETY: the caller's contract.
    ffi!(err: err, nonnull: [out], { unsafe { give(GradeRules::sample_company(), out) } })
}

/// The grade rules as a UTF-8 JSON document (it parses back with `qudao_grade_rules_parse`).
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `rules` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `rules` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_grade_rules_json(
    rules: *const qudao_grade_rules,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    // SAFETY: the caller's contract.
    ffi!(err: err, nonnull: [rules, out], { unsafe { json(rules, out) } })
}

/// Add a reference to grade rules and return it (the same pointer); NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `rules` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_grade_rules_clone(
    rules: *const qudao_grade_rules,
) -> *const qudao_grade_rules {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(rules) } })
}

/// Release one reference to grade rules. `qudao_grade_rules_free(NULL)` does nothing.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `rules` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_grade_rules_free(rules: *const qudao_grade_rules) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(rules) } })
}
