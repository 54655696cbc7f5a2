//! Channel and partner evaluation (issue 5): KPI tables, scorecards, onboarding evaluation,
//! the BCG matrix, early warnings and grade-change suggestions.
//!
//! The KPI table is a reference counted, immutable handle computed from a data set and read
//! as columns (one row per subject, period and KPI) or as JSON. The rule documents
//! (scorecard, warning rules, BCG options, onboarding policy, grade rules) are handles parsed
//! from text (`qudao_document`) or taken from the sample company. Scorecard runs, BCG reports
//! and alert reports are handles read as columns (the table) and JSON (the explanations);
//! onboarding and grade suggestions come out as JSON.

pub mod alerts;
pub mod bcg;
pub mod documents;
pub mod scores;
pub mod suggest;

use qudao_core::document::{Format, parse_any};
use qudao_core::evaluation::kpi::{Grain, KpiOptions, compute};
use qudao_core::evaluation::{Kpi, KpiTable, KpiValue, Missing, Subject, SubjectKind};
use qudao_core::{Date, Period};

use crate::args::{self, qudao_str};
use crate::bytes::qudao_bytes;
use crate::customer::{
    OutArray, borrow, check_rows, clone_handle, free_handle, hand_out, json_value, to_json,
    write_bytes,
};
use crate::entry::{Failure, ffi, qudao_status};
use crate::error::qudao_error;
use crate::qudao_dataset;

/// A kind of evaluated subject.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qudao_subject_kind {
    /// A sales channel (rolled up over its sub-channels).
    Channel = 0,
    /// A partner.
    Partner = 1,
    /// A territory (rolled up over the territories inside it).
    Territory = 2,
    /// A product.
    Product = 3,
}

const _: () = assert!(size_of::<qudao_subject_kind>() == size_of::<u32>());

/// A kind as a code and as the text the JSON uses.
pub(crate) fn subject_kind(kind: SubjectKind) -> (qudao_subject_kind, &'static str) {
    match kind {
        SubjectKind::Channel => (qudao_subject_kind::Channel, "channel"),
        SubjectKind::Partner => (qudao_subject_kind::Partner, "partner"),
        SubjectKind::Territory => (qudao_subject_kind::Territory, "territory"),
        SubjectKind::Product => (qudao_subject_kind::Product, "product"),
    }
}

/// Borrowed text for a column.
pub(crate) fn text_of(s: &str) -> qudao_str {
    qudao_str {
        ptr: s.as_ptr(),
        len: s.len(),
    }
}

/// A decimal (or anything whose text is a number) as the nearest double.
pub(crate) fn number(d: &impl ToString) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

/// Name the argument in a core error (which keeps its status and field path).
pub(crate) fn named<T>(parsed: qudao_core::Result<T>, name: &str) -> Result<T, Failure> {
    parsed.map_err(|e| {
        let f = Failure::from(e);
        Failure::new(f.status, format!("`{name}`: {}", f.message))
    })
}

/// A period given as text (`2025`, `2025-H1`, `2025-Q3`, `2025-07`, `2025-01-15..2025-03-31`).
pub(crate) fn period_arg(text: &str, name: &str) -> Result<Period, Failure> {
    Period::parse(text.trim()).map_err(|e| Failure::invalid(name, format!("{text:?}: {e}")))
}

/// Read a host struct of column arrays whose first field is `struct_size`.
///
/// # Safety
/// `cols` is non-NULL and points to at least `struct_size` readable bytes; `T` holds only
/// integers and pointers (valid for any bit pattern) and starts with a `u32` `struct_size`.
pub(crate) unsafe fn read_columns<T: Copy>(cols: *const T, type_name: &str) -> Result<T, Failure> {
    // SAFETY: `cols` is readable for its first field, a `u32` at offset 0 (the caller's
    // contract; every column struct is `repr(C)` and starts with `struct_size`).
    let size = unsafe { cols.cast::<u32>().read_unaligned() };
    if size as usize != size_of::<T>() {
        return Err(Failure::invalid(
            "cols",
            format!(
                "struct_size is {size}, this library knows {type_name} of {} bytes; set \
                 struct_size = sizeof({type_name})",
                size_of::<T>()
            ),
        ));
    }
    // SAFETY: the struct is complete (size checked) and valid for any bit pattern.
    Ok(unsafe { cols.read_unaligned() })
}

/// Write `v` at row `r` of an optional column.
macro_rules! put {
    ($a:expr, $r:expr, $v:expr) => {
        if let Some(a) = &$a {
            // SAFETY: every array has `rows` writable elements (the caller's contract) and
            // `r < rows`.
            unsafe { a.set($r, $v) };
        }
    };
}
pub(crate) use put;

/// A KPI table: per subject, period and KPI, a value or the reason it is missing.
///
/// Ownership: reference counted; `qudao_kpi_compute` and `_clone` give the host one
/// reference, released with `qudao_kpi_table_free`. Text read through it
/// (`qudao_kpi_table_columns`) is borrowed from it.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_kpi_table {
    pub(crate) inner: KpiTable,
    /// The subjects, in table order.
    subjects: Vec<Subject>,
    /// The periods of the table as text, in table order.
    periods: Vec<String>,
    /// One row per (subject, period, KPI), in table order.
    rows: Vec<KpiRow>,
}

/// One value of the table, ready for the columns.
#[derive(Debug)]
struct KpiRow {
    subject: usize,
    period: usize,
    kpi: Kpi,
    value: Option<f64>,
    /// The exact decimal, or empty.
    text: String,
    /// Why it is missing, or empty.
    missing: String,
    /// The reason's code, or empty.
    missing_kind: &'static str,
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<qudao_kpi_table>();
};

impl qudao_kpi_table {
    /// Index the core table for the columns.
    pub(crate) fn new(inner: KpiTable) -> Self {
        let periods: Vec<String> = inner.periods.iter().map(ToString::to_string).collect();
        let mut subjects = Vec::with_capacity(inner.values.len());
        let mut rows = Vec::new();
        for (si, (subject, by_period)) in inner.values.iter().enumerate() {
            subjects.push(subject.clone());
            for (period, by_kpi) in by_period {
                let pi = inner.periods.binary_search(period).unwrap_or(usize::MAX);
                for (kpi, value) in by_kpi {
                    let (value, text, missing, missing_kind) = match value {
                        KpiValue::Value(d) => (Some(number(d)), d.to_string(), String::new(), ""),
                        KpiValue::Missing(m) => (None, String::new(), m.to_string(), reason(m)),
                    };
                    rows.push(KpiRow {
                        subject: si,
                        period: pi,
                        kpi: *kpi,
                        value,
                        text,
                        missing,
                        missing_kind,
                    });
                }
            }
        }
        qudao_kpi_table {
            inner,
            subjects,
            periods,
            rows,
        }
    }
}

/// The code of a missing reason, as the JSON writes it.
fn reason(m: &Missing) -> &'static str {
    match m {
        Missing::ZeroDenominator { .. } => "zero_denominator",
        Missing::NoData { .. } => "no_data",
        Missing::NotApplicable => "not_applicable",
        Missing::Other { .. } => "other",
    }
}

/// A field of a JSON object argument, parsed with a field path relative to the argument:
/// `field!(map, "from", Date, "options_json")` is `Result<Option<Date>, Failure>`, `None`
/// when the key is absent.
macro_rules! field {
    ($map:expr, $key:expr, $t:ty, $name:expr) => {
        match $map.get($key) {
            None => Ok(None),
            Some(v) => qudao_core::document::parse_any::<$t>(
                &v.to_string(),
                qudao_core::document::Format::Json,
            )
            .map(Some)
            .map_err(|e| $crate::evaluation::at_field(e, $name, $key)),
        }
    };
}
pub(crate) use field;

/// A core parse error of one field of an object argument, with the field path from the
/// argument's root.
pub(crate) fn at_field(e: qudao_core::Error, name: &str, key: &str) -> Failure {
    match e {
        qudao_core::Error::Document { path, message } => {
            let path = match path.as_str() {
                "" | "." => key.to_owned(),
                p if p.starts_with('[') => format!("{key}{p}"),
                p => format!("{key}.{p}"),
            };
            Failure::new(
                qudao_status::DocumentError,
                format!("`{name}`: {path}: {message}"),
            )
        }
        other => {
            let f = Failure::from(other);
            Failure::new(f.status, format!("`{name}`: {key}: {}", f.message))
        }
    }
}

/// A JSON object argument; empty text is an empty object.
pub(crate) fn object(
    text: &str,
    name: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, Failure> {
    if text.trim().is_empty() {
        return Ok(serde_json::Map::new());
    }
    named(parse_any(text, Format::Json), name)
}

/// Refuse keys of `given` that are not in `known`.
pub(crate) fn known_keys(
    given: &serde_json::Map<String, serde_json::Value>,
    known: &[&str],
    name: &str,
) -> Result<(), Failure> {
    match given.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(key) => Err(Failure::new(
            qudao_status::DocumentError,
            format!(
                "`{name}`: {key}: unknown field; expected one of {}",
                known.join(", ")
            ),
        )),
    }
}

/// A required field.
fn required<T>(v: Result<Option<T>, Failure>, key: &str, name: &str) -> Result<T, Failure> {
    v?.ok_or_else(|| {
        Failure::new(
            qudao_status::DocumentError,
            format!("`{name}`: {key}: missing field"),
        )
    })
}

/// Read the KPI options: `from`, `to` and `grain` are required; every other field of
/// `KpiOptions` is optional and defaults as `KpiOptions::new`.
fn kpi_options(text: &str) -> Result<KpiOptions, Failure> {
    const NAME: &str = "options_json";
    let given: serde_json::Map<String, serde_json::Value> =
        named(parse_any(text, Format::Json), NAME)?;
    let from = required(field!(given, "from", Date, NAME), "from", NAME)?;
    let to = required(field!(given, "to", Date, NAME), "to", NAME)?;
    let grain = required(field!(given, "grain", Grain, NAME), "grain", NAME)?;
    let defaults = KpiOptions::new(from, to, grain);
    let serde_json::Value::Object(mut merged) = json_value(serde_json::to_value(&defaults))? else {
        return Err(Failure::new(
            qudao_status::Other,
            "KPI options do not serialise as an object",
        ));
    };
    let known: Vec<&str> = merged.keys().map(String::as_str).collect();
    known_keys(&given, &known, NAME)?;
    merged.extend(given);
    let merged = serde_json::Value::Object(merged).to_string();
    named(parse_any(&merged, Format::Json), NAME)
}

/// Compute every KPI for every subject of the requested kinds and every period.
///
/// `options_json` (`options_len` bytes of UTF-8 JSON) is an object with `from` and `to`
/// (`YYYY-MM-DD`, `to` exclusive; required, also with custom periods, where `to` sets the
/// default `as_of`), `grain` (`"month"`, `"quarter"`, `"year"` or
/// `{"custom": ["2025-Q1", "2025-01-15..2025-03-31", …]}`) and optionally `as_of`
/// (default the day before `to`), `kinds` (`["channel", "partner", "territory", "product"]`,
/// the default), `roll_up` (partners over their sub-partners; default false), `market_size`
/// (`[{"subject": {"kind": "channel", "id": "TMALL"}, "period": "2025-Q1", "value": minor
/// units}]`), `backlog_days` (default `"60"`), `complaint_sla_hours` (24),
/// `new_product_days` (180), `threads` (0 = all cores). Formulas, units and directions:
/// `docs/evaluation.md`.
///
/// Errors: bad options are `QUDAO_STATUS_DOCUMENT_ERROR` naming the field path
/// (`market_size[0].value`) or the unknown field; a range without periods or other bad
/// arguments the core refuses are `QUDAO_STATUS_INVALID_ARGUMENT`.
/// On success `*out` receives a new reference (free with `qudao_kpi_table_free`).
/// Nullability: `ds` and `out` must not be NULL; `options_json` may be NULL only when
/// `options_len` is 0 (which is an error: `from`, `to` and `grain` are required); `err` may
/// be NULL.
/// Thread safety: may be called from any thread, concurrently on the same data set; uses
/// `threads` cores.
///
/// # Safety
/// `ds` is a live reference; `options_json` points to `options_len` readable bytes; `out` is
/// valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_kpi_compute(
    ds: *const qudao_dataset,
    options_json: *const u8,
    options_len: usize,
    out: *mut *const qudao_kpi_table,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [ds, out], {
        // SAFETY: `options_json` is `options_len` readable bytes (the caller's contract).
        let text = unsafe { args::text(options_json, options_len, "options_json") }?;
        let options = kpi_options(text)?;
        // SAFETY: `ds` is live (the caller's contract).
        let ds = unsafe { borrow(ds) };
        let table = compute(&ds.inner, &options)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_kpi_table::new(table)) };
        Ok(())
    })
}

/// Add a reference to a KPI table and return it (the same pointer); NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `table` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_kpi_table_clone(
    table: *const qudao_kpi_table,
) -> *const qudao_kpi_table {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(table) } })
}

/// Release one reference to a KPI table. `qudao_kpi_table_free(NULL)` does nothing; text
/// borrowed through it is invalid once the last reference is gone.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `table` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_kpi_table_free(table: *const qudao_kpi_table) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(table) } })
}

/// Number of rows of `qudao_kpi_table_columns`: one per subject, period and KPI; 0 when
/// `table` is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `table` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_kpi_table_len(table: *const qudao_kpi_table) -> usize {
    ffi!(default: 0, {
        // SAFETY: NULL or live (the caller's contract).
        unsafe { table.as_ref() }.map_or(0, |t| t.rows.len())
    })
}

/// The table as UTF-8 JSON: `periods` (sorted, as text) and `subjects`, each with `kind`,
/// `id` and `values`: by period, by KPI name, either `{"value": "exact decimal"}` or
/// `{"missing": {"reason": "zero_denominator" | "no_data" | "not_applicable" | "other", …}}`
/// (with `what`, `input` or `detail`).
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `table` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `table` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_kpi_table_json(
    table: *const qudao_kpi_table,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [table, out], {
        // SAFETY: `table` is live (the caller's contract).
        let t = unsafe { borrow(table) };
        let subjects = t
            .inner
            .values
            .iter()
            .map(|(s, values)| {
                Ok(serde_json::json!({
                    "kind": subject_kind(s.kind).1,
                    "id": s.id,
                    "values": json_value(serde_json::to_value(values))?,
                }))
            })
            .collect::<Result<Vec<_>, Failure>>()?;
        let json = to_json!(&serde_json::json!({
            "periods": t.periods,
            "subjects": subjects,
        }))?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// Host arrays that `qudao_kpi_table_columns` fills, one element per value of the table
/// (struct of arrays). Leave an array NULL to skip its column.
///
/// Text columns receive `qudao_str` values borrowing UTF-8 bytes (not NUL-terminated) from
/// the table: valid while a reference to it lives; the host must not free them.
///
/// Versioning: `struct_size` must be `sizeof(qudao_kpi_columns)`.
/// Ownership: the host owns the struct and every array; the library writes the arrays during
/// the call and retains nothing.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_kpi_columns {
    /// `sizeof(qudao_kpi_columns)`.
    pub struct_size: u32,
    /// Elements in each array; must equal `qudao_kpi_table_len`.
    pub rows: usize,
    /// Subject kind as text: `channel`, `partner`, `territory` or `product`.
    pub kind: *mut qudao_str,
    /// Subject kind as a code.
    pub kind_code: *mut qudao_subject_kind,
    /// Subject id, as in the master data.
    pub subject: *mut qudao_str,
    /// Period as text: `2025`, `2025-Q3`, `2025-07` or `2025-01-15..2025-03-31`.
    pub period: *mut qudao_str,
    /// KPI name (`revenue`, `growth_yoy`, `inventory_turnover_days`, …).
    pub kpi: *mut qudao_str,
    /// The value as the nearest double, in the KPI's unit (money in major units, ratios as
    /// fractions); 0 where `value_valid` is 0. Needs `value_valid`.
    pub value: *mut f64,
    /// 1 where the KPI has a value, 0 where it is missing (see `missing`).
    pub value_valid: *mut u8,
    /// The exact decimal value as text; empty where missing.
    pub value_text: *mut qudao_str,
    /// Why the value is missing, a sentence (`revenue is zero`); empty where valid.
    pub missing: *mut qudao_str,
    /// The reason's code: `zero_denominator`, `no_data`, `not_applicable` or `other`; empty
    /// where valid.
    pub missing_kind: *mut qudao_str,
}

/// Copy the values of a KPI table into host arrays: each non-NULL array of `cols` receives
/// `cols->rows` elements, row `i` being the `i`-th value (by subject kind and id, period,
/// KPI in documentation order).
///
/// Errors: `cols->rows` other than `qudao_kpi_table_len`, a wrong `struct_size`, or `value`
/// without `value_valid` are `QUDAO_STATUS_INVALID_ARGUMENT` / `_NULL_ARGUMENT`; then no
/// array is written.
/// Nullability: `table` and `cols` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same table.
///
/// # Safety
/// `table` is a live reference; `cols` is a valid `qudao_kpi_columns` whose non-NULL arrays
/// have `rows` writable elements; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_kpi_table_columns(
    table: *const qudao_kpi_table,
    cols: *const qudao_kpi_columns,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [table, cols], {
        // SAFETY: `table` is live (the caller's contract); the text written out is borrowed
        // from it, which the host keeps alive (documented).
        let t = unsafe { borrow(table) };
        // SAFETY: `cols` is a valid struct (the caller's contract).
        let c = unsafe { read_columns(cols, "qudao_kpi_columns") }?;
        let n = t.rows.len();
        check_rows(c.rows, n, "cols->rows")?;
        if !c.value.is_null() && c.value_valid.is_null() {
            return Err(Failure::null("cols->value_valid"));
        }
        macro_rules! col {
            ($f:ident) => {
                OutArray::optional(c.$f, n, concat!("cols->", stringify!($f)))?
            };
        }
        let kind = col!(kind);
        let kind_code = col!(kind_code);
        let subject = col!(subject);
        let period = col!(period);
        let kpi = col!(kpi);
        let value = col!(value);
        let value_valid = col!(value_valid);
        let value_text = col!(value_text);
        let missing = col!(missing);
        let missing_kind = col!(missing_kind);
        for (r, row) in t.rows.iter().enumerate() {
            let s = &t.subjects[row.subject];
            let (code, word) = subject_kind(s.kind);
            put!(kind, r, text_of(word));
            put!(kind_code, r, code);
            put!(subject, r, text_of(&s.id));
            put!(
                period,
                r,
                text_of(t.periods.get(row.period).map_or("", String::as_str))
            );
            put!(kpi, r, text_of(row.kpi.name()));
            put!(value, r, row.value.unwrap_or(0.0));
            put!(value_valid, r, u8::from(row.value.is_some()));
            put!(value_text, r, text_of(&row.text));
            put!(missing, r, text_of(&row.missing));
            put!(missing_kind, r, text_of(row.missing_kind));
        }
        Ok(())
    })
}
