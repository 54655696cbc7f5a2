//! Onboarding evaluation and grade-change suggestions, as JSON.

use qudao_core::document::{Format, parse_any};
use qudao_core::evaluation::grade::GradeInputs;
use qudao_core::model::Onboarding;

use super::documents::{qudao_grade_rules, qudao_onboarding_policy};
use super::scores::qudao_score_run;
use super::{named, period_arg, qudao_kpi_table};
use crate::args;
use crate::bytes::qudao_bytes;
use crate::customer::{borrow, to_json, write_bytes};
use crate::entry::{ffi, qudao_status};
use crate::error::qudao_error;
use crate::qudao_dataset;

/// Evaluate every partner of the data set's master data on its recorded onboarding
/// attributes, as a UTF-8 JSON array by partner id: `partner`, `passed`, `failed_gates`,
/// `gates` (each `id`, `attribute`, `passed`, `value`, `threshold`, `reason`), `score`,
/// `pass_score` and `criteria` (`id`, `attribute`, `value`, `points`, `weight`,
/// `contribution`, `note`), the criteria that weighed most first.
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `policy`, `ds` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `policy` and `ds` are live references; `out` is valid for writing one pointer; `err` is
/// NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_onboarding_evaluate_json(
    policy: *const qudao_onboarding_policy,
    ds: *const qudao_dataset,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [policy, ds, out], {
        // SAFETY: both handles are live (the caller's contract).
        let (policy, ds) = unsafe { (borrow(policy), borrow(ds)) };
        let json = to_json!(&policy.inner.evaluate_partners(&ds.inner.master))?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// Evaluate one candidate (a partner not yet in the master data) given as UTF-8 JSON
/// (`candidate_len` bytes): `{"licence_held": true, "years_in_industry": 5,
/// "registered_capital": "2000000", "team_size": 12, "regional_market_share": "0.08",
/// "customer_resources": 40, "brand_alignment": [4, 5, 3]}`, every field optional. The
/// result is one JSON object as in `qudao_onboarding_evaluate_json` (with `partner` null).
///
/// Errors: a bad candidate is `QUDAO_STATUS_DOCUMENT_ERROR` naming the field.
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `policy` and `out` must not be NULL; `candidate_json` may be NULL only when
/// `candidate_len` is 0 (an error: the text must be a JSON object); `err` may be NULL.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `policy` is a live reference; `candidate_json` points to `candidate_len` readable bytes;
/// `out` is valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_onboarding_evaluate_candidate_json(
    policy: *const qudao_onboarding_policy,
    candidate_json: *const u8,
    candidate_len: usize,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [policy, out], {
        // SAFETY: `candidate_json` is `candidate_len` readable bytes (the caller's contract).
        let text = unsafe { args::text(candidate_json, candidate_len, "candidate_json") }?;
        let candidate: Onboarding = named(parse_any(text, Format::Json), "candidate_json")?;
        // SAFETY: `policy` is live (the caller's contract).
        let json = to_json!(&unsafe { borrow(policy) }.inner.evaluate(&candidate))?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// Apply grade rules to every partner of the data set's master data that appears in the
/// inputs, as UTF-8 JSON: `as_of` (the periods each rule looked at), `suggestions` (each
/// `partner`, `rule`, `label`, `kind` (`promote`, `demote` or `review`), `from`, `to`
/// and the `evidence` per period) and `not_in_master`.
///
/// `kpis` is the partners' KPI table at the rules' period length (quarters for the sample
/// rules); `scores` the scorecard run the rules' score and rank conditions read (may be
/// NULL when the rules have none); `as_of` (`as_of_len` bytes, a period such as `2025-Q4`)
/// the last period to look at, or empty for the last period of the inputs.
///
/// Errors: a run of another scorecard or kind than the rules read, or rules with score
/// conditions and no run, are `QUDAO_STATUS_INVALID_ARGUMENT`, as is a bad `as_of`.
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `rules`, `ds`, `kpis` and `out` must not be NULL; `scores` may be NULL;
/// `as_of` may be NULL only when `as_of_len` is 0; `err` may be NULL.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `rules`, `ds` and `kpis` are live references, `scores` NULL or live; `as_of` points to
/// `as_of_len` readable bytes; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_grade_suggest_json(
    rules: *const qudao_grade_rules,
    ds: *const qudao_dataset,
    kpis: *const qudao_kpi_table,
    scores: *const qudao_score_run,
    as_of: *const u8,
    as_of_len: usize,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [rules, ds, kpis, out], {
        // SAFETY: `as_of` is `as_of_len` readable bytes (the caller's contract).
        let text = unsafe { args::text(as_of, as_of_len, "as_of") }?;
        let as_of = if text.trim().is_empty() {
            None
        } else {
            Some(period_arg(text, "as_of")?)
        };
        // SAFETY: the handles are live, `scores` NULL or live (the caller's contract).
        let (rules, ds, kpis, scores) =
            unsafe { (borrow(rules), borrow(ds), borrow(kpis), scores.as_ref()) };
        let report = rules.inner.suggest(&GradeInputs {
            master: &ds.inner.master,
            kpis: &kpis.inner,
            scores: scores.map(|s| &s.inner),
            as_of,
        })?;
        let json = to_json!(&report)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}
