//! Early warnings: warning rules checked against a KPI table (and receivables), each alert
//! with its evidence and suggested action.

use qudao_core::Period;
use qudao_core::evaluation::alerts::{AlertInputs, AlertReport, CreditLimit, Receivable, Severity};
use qudao_core::money::Currency;

use super::documents::qudao_warning_rules;
use super::{
    field, known_keys, object, put, qudao_kpi_table, qudao_subject_kind, read_columns,
    subject_kind, text_of,
};
use crate::args::{self, qudao_str};
use crate::bytes::qudao_bytes;
use crate::customer::{
    OutArray, borrow, check_rows, clone_handle, free_handle, hand_out, to_json, write_bytes,
};
use crate::entry::{Failure, ffi, qudao_status};
use crate::error::qudao_error;

/// How urgent an alert is.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qudao_severity {
    /// Worth knowing.
    Info = 0,
    /// Needs attention.
    Warning = 1,
    /// Needs action now.
    Critical = 2,
}

const _: () = assert!(size_of::<qudao_severity>() == size_of::<u32>());

fn severity(s: Severity) -> qudao_severity {
    match s {
        Severity::Info => qudao_severity::Info,
        Severity::Warning => qudao_severity::Warning,
        Severity::Critical => qudao_severity::Critical,
    }
}

/// The alerts of a rule set and what each rule did (checked, raised, skipped by reason, or
/// why it did not run).
///
/// Ownership: reference counted; `qudao_alerts_evaluate` and `_clone` give the host one
/// reference, released with `qudao_alert_report_free`. Text read through it
/// (`qudao_alert_report_columns`) is borrowed from it.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_alert_report {
    pub(crate) inner: AlertReport,
    /// The period of each alert as text.
    periods: Vec<String>,
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<qudao_alert_report>();
};

/// Check every warning rule against `table` for every period of the table (or the periods
/// of the inputs).
///
/// `inputs_json` (`inputs_len` bytes of UTF-8 JSON; empty for none) is an object with any
/// of `receivables` (`[{"partner", "date": "YYYY-MM-DD", "amount": minor units}]`; without
/// it credit-exposure rules do not run), `credit_limits` (`[{"partner", "limit": minor
/// units}]`), `currency` (of receivables and limits, default `CNY`) and `periods`
/// (`["2025-10", …]`).
///
/// Errors: bad inputs are `QUDAO_STATUS_DOCUMENT_ERROR` naming the field path or an unknown
/// currency `QUDAO_STATUS_INVALID_ARGUMENT`; a receivables sum that overflows is
/// `QUDAO_STATUS_OVERFLOW`.
/// On success `*out` receives a new reference (free with `qudao_alert_report_free`).
/// Nullability: `rules`, `table` and `out` must not be NULL; `inputs_json` may be NULL only
/// when `inputs_len` is 0; `err` may be NULL.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `rules` and `table` are live references; `inputs_json` points to `inputs_len` readable
/// bytes; `out` is valid for writing one pointer; `err` is NULL or valid for writing one
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_alerts_evaluate(
    rules: *const qudao_warning_rules,
    table: *const qudao_kpi_table,
    inputs_json: *const u8,
    inputs_len: usize,
    out: *mut *const qudao_alert_report,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [rules, table, out], {
        // SAFETY: `inputs_json` is `inputs_len` readable bytes (the caller's contract).
        let text = unsafe { args::text(inputs_json, inputs_len, "inputs_json") }?;
        const NAME: &str = "inputs_json";
        let given = object(text, NAME)?;
        known_keys(
            &given,
            &["receivables", "credit_limits", "currency", "periods"],
            NAME,
        )?;
        let receivables = field!(given, "receivables", Vec<Receivable>, NAME)?;
        let credit_limits = field!(given, "credit_limits", Vec<CreditLimit>, NAME)?;
        let periods = field!(given, "periods", Vec<Period>, NAME)?;
        let currency = match field!(given, "currency", String, NAME)? {
            Some(code) => Currency::from_code(&code)
                .map_err(|e| Failure::invalid("inputs_json.currency", e))?,
            None => Currency::default(),
        };
        let inputs = AlertInputs {
            receivables: receivables.as_deref(),
            credit_limits: credit_limits.as_deref(),
            currency,
            periods: periods.as_deref(),
        };
        // SAFETY: both handles are live (the caller's contract).
        let (rules, table) = unsafe { (borrow(rules), borrow(table)) };
        let inner = rules.inner.evaluate(&table.inner, &inputs)?;
        let periods = inner.alerts.iter().map(|a| a.period.to_string()).collect();
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_alert_report { inner, periods }) };
        Ok(())
    })
}

/// Add a reference to an alert report and return it (the same pointer); NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `report` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_alert_report_clone(
    report: *const qudao_alert_report,
) -> *const qudao_alert_report {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(report) } })
}

/// Release one reference to an alert report. `qudao_alert_report_free(NULL)` does nothing;
/// text borrowed through it is invalid once the last reference is gone.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `report` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_alert_report_free(report: *const qudao_alert_report) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(report) } })
}

/// Number of alerts (the rows of `qudao_alert_report_columns`); 0 when `report` is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `report` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_alert_report_len(report: *const qudao_alert_report) -> usize {
    ffi!(default: 0, {
        // SAFETY: NULL or live (the caller's contract).
        unsafe { report.as_ref() }.map_or(0, |r| r.inner.alerts.len())
    })
}

/// The report as UTF-8 JSON: `rules_id`, `alerts` (each with `rule`, `rule_name`,
/// `severity`, `subject` {`kind`, `id`}, `period`, `evidence` (the values that triggered it,
/// by `kind`: `threshold`, `trend` or `credit_exposure`), `message` and `action` {`en`,
/// `zh`}) and `runs` (per rule: `checked`, `alerts`, `skipped` by reason, `not_run`).
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `report` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `report` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_alert_report_json(
    report: *const qudao_alert_report,
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

/// Host arrays that `qudao_alert_report_columns` fills, one element per alert (struct of
/// arrays). Leave an array NULL to skip its column.
///
/// Text columns receive `qudao_str` values borrowing UTF-8 bytes (not NUL-terminated) from
/// the report: valid while a reference to it lives; the host must not free them.
///
/// Versioning: `struct_size` must be `sizeof(qudao_alert_columns)`.
/// Ownership: the host owns the struct and every array; the library writes the arrays during
/// the call and retains nothing.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_alert_columns {
    /// `sizeof(qudao_alert_columns)`.
    pub struct_size: u32,
    /// Elements in each array; must equal `qudao_alert_report_len`.
    pub rows: usize,
    /// Rule id (`stock-cover-high`).
    pub rule: *mut qudao_str,
    /// Subject kind as text.
    pub kind: *mut qudao_str,
    /// Subject kind as a code.
    pub kind_code: *mut qudao_subject_kind,
    /// Subject id.
    pub subject: *mut qudao_str,
    /// Period as text (`2025-10`).
    pub period: *mut qudao_str,
    /// Severity as text: `info`, `warning` or `critical`.
    pub severity: *mut qudao_str,
    /// Severity as a code.
    pub severity_code: *mut qudao_severity,
    /// The evidence in one line (`inventory_turnover_days 75.2 > 60`).
    pub message: *mut qudao_str,
    /// The suggested action, in English.
    pub action_en: *mut qudao_str,
    /// The suggested action, in Chinese.
    pub action_zh: *mut qudao_str,
}

/// Copy the alerts of a report into host arrays: each non-NULL array of `cols` receives
/// `cols->rows` elements, row `i` being the `i`-th alert (critical first, then by rule,
/// subject and period, the order of `alerts` in `qudao_alert_report_json`).
///
/// Errors: `cols->rows` other than `qudao_alert_report_len` or a wrong `struct_size` are
/// `QUDAO_STATUS_INVALID_ARGUMENT`; then no array is written.
/// Nullability: `report` and `cols` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same report.
///
/// # Safety
/// `report` is a live reference; `cols` is a valid `qudao_alert_columns` whose non-NULL
/// arrays have `rows` writable elements; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_alert_report_columns(
    report: *const qudao_alert_report,
    cols: *const qudao_alert_columns,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [report, cols], {
        // SAFETY: `report` is live (the caller's contract); the text written out is borrowed
        // from it, which the host keeps alive (documented).
        let h = unsafe { borrow(report) };
        // SAFETY: `cols` is a valid struct (the caller's contract).
        let c = unsafe { read_columns(cols, "qudao_alert_columns") }?;
        let alerts = &h.inner.alerts;
        let n = alerts.len();
        check_rows(c.rows, n, "cols->rows")?;
        macro_rules! col {
            ($f:ident) => {
                OutArray::optional(c.$f, n, concat!("cols->", stringify!($f)))?
            };
        }
        let rule = col!(rule);
        let kind = col!(kind);
        let kind_code = col!(kind_code);
        let subject = col!(subject);
        let period = col!(period);
        let severity_text = col!(severity);
        let severity_code = col!(severity_code);
        let message = col!(message);
        let action_en = col!(action_en);
        let action_zh = col!(action_zh);
        for (r, (a, p)) in alerts.iter().zip(&h.periods).enumerate() {
            let (code, word) = subject_kind(a.subject.kind);
            put!(rule, r, text_of(&a.rule));
            put!(kind, r, text_of(word));
            put!(kind_code, r, code);
            put!(subject, r, text_of(&a.subject.id));
            put!(period, r, text_of(p));
            put!(severity_text, r, text_of(a.severity.name()));
            put!(severity_code, r, severity(a.severity));
            put!(message, r, text_of(&a.message));
            put!(action_en, r, text_of(&a.action.en));
            put!(action_zh, r, text_of(&a.action.zh));
        }
        Ok(())
    })
}
