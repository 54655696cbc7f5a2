//! The BCG matrix: subjects classified by growth and relative share per period, with the
//! movements between quadrants.

use qudao_core::Period;
use qudao_core::evaluation::bcg::{BcgReport, Quadrant};

use super::documents::qudao_bcg_options;
use super::{number, period_arg, put, qudao_kpi_table, read_columns, subject_kind, text_of};
use crate::args::{self, qudao_str};
use crate::bytes::qudao_bytes;
use crate::customer::{
    OutArray, borrow, check_rows, clone_handle, free_handle, hand_out, to_json, write_bytes,
};
use crate::entry::{Failure, ffi, qudao_status};
use crate::error::qudao_error;

/// A BCG quadrant.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qudao_quadrant {
    /// High growth, high share (明星): invest to keep the lead.
    Star = 0,
    /// Low growth, high share (现金牛): harvest.
    CashCow = 1,
    /// High growth, low share (问题): invest selectively or withdraw.
    QuestionMark = 2,
    /// Low growth, low share (瘦狗): restructure or exit.
    Dog = 3,
}

const _: () = assert!(size_of::<qudao_quadrant>() == size_of::<u32>());

fn quadrant(q: Quadrant) -> qudao_quadrant {
    match q {
        Quadrant::Star => qudao_quadrant::Star,
        Quadrant::CashCow => qudao_quadrant::CashCow,
        Quadrant::QuestionMark => qudao_quadrant::QuestionMark,
        Quadrant::Dog => qudao_quadrant::Dog,
    }
}

/// A BCG report: one matrix per period (classified entries with growth, size, relative
/// share and the recommended action; unclassified subjects with the reason) and the
/// movements between quadrants from each period to the next.
///
/// Ownership: reference counted; `qudao_bcg_analyze` and `_clone` give the host one
/// reference, released with `qudao_bcg_report_free`. Text read through it
/// (`qudao_bcg_report_columns`) is borrowed from it.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_bcg_report {
    pub(crate) inner: BcgReport,
    /// The period of each matrix as text.
    periods: Vec<String>,
    /// (matrix index, entry index) per row.
    rows: Vec<(usize, usize)>,
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<qudao_bcg_report>();
};

/// Classify the subjects of the options' kind in `table` for each of `periods`
/// (`n_periods` period texts such as `2025` or `2025-Q4`; sorted, duplicates dropped) and
/// report the quadrant changes between each period and the next. `n_periods` 0 means every
/// period of the table. The table must hold the options' growth and size KPIs for that kind
/// (the sample options read channels' `growth_yoy` and `revenue`).
///
/// Errors: a bad period text is `QUDAO_STATUS_INVALID_ARGUMENT` naming `periods[i]`; invalid
/// options are `QUDAO_STATUS_DOCUMENT_ERROR`.
/// On success `*out` receives a new reference (free with `qudao_bcg_report_free`).
/// Nullability: `options`, `table` and `out` must not be NULL; `periods` may be NULL only
/// when `n_periods` is 0; `err` may be NULL.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `options` and `table` are live references; `periods` points to `n_periods` readable
/// `qudao_str` whose texts are readable; `out` is valid for writing one pointer; `err` is
/// NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_bcg_analyze(
    options: *const qudao_bcg_options,
    table: *const qudao_kpi_table,
    periods: *const qudao_str,
    n_periods: usize,
    out: *mut *const qudao_bcg_report,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [options, table, out], {
        // SAFETY: `periods` is `n_periods` readable values (the caller's contract).
        let given = unsafe { args::slice(periods, n_periods, "periods") }?;
        // SAFETY: both handles are live (the caller's contract).
        let (options, table) = unsafe { (borrow(options), borrow(table)) };
        let periods: Vec<Period> = if given.is_empty() {
            table.inner.periods.clone()
        } else {
            given
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let name = format!("periods[{i}]");
                    // SAFETY: each text is readable (the caller's contract).
                    let text = unsafe { args::str_of(*s, &|| name.clone()) }?;
                    period_arg(text, &name)
                })
                .collect::<Result<_, Failure>>()?
        };
        let inner = options.inner.analyze(&table.inner, &periods)?;
        let texts = inner.matrices.iter().map(|m| m.period.to_string()).collect();
        let rows = inner
            .matrices
            .iter()
            .enumerate()
            .flat_map(|(mi, m)| (0..m.entries.len()).map(move |ei| (mi, ei)))
            .collect();
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe {
            hand_out(
                out,
                qudao_bcg_report {
                    inner,
                    periods: texts,
                    rows,
                },
            )
        };
        Ok(())
    })
}

/// Add a reference to a BCG report and return it (the same pointer); NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `report` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_bcg_report_clone(
    report: *const qudao_bcg_report,
) -> *const qudao_bcg_report {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(report) } })
}

/// Release one reference to a BCG report. `qudao_bcg_report_free(NULL)` does nothing; text
/// borrowed through it is invalid once the last reference is gone.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `report` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_bcg_report_free(report: *const qudao_bcg_report) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(report) } })
}

/// Number of rows of `qudao_bcg_report_columns`: one per classified subject and period; 0
/// when `report` is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `report` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_bcg_report_len(report: *const qudao_bcg_report) -> usize {
    ffi!(default: 0, {
        // SAFETY: NULL or live (the caller's contract).
        unsafe { report.as_ref() }.map_or(0, |r| r.rows.len())
    })
}

/// The report as UTF-8 JSON: `matrices` (each with `kind`, `period`, the KPIs, basis and
/// thresholds, `entries` with `subject`, `quadrant`, `growth`, `high_growth`, `size`,
/// `reference`, `relative_share`, `high_share`, `action` {`en`, `zh`}, and `unclassified`
/// with the reason) and `movements` (`subject`, `from_period`, `from`, `to_period`, `to`).
/// Decimals are exact strings.
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `report` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `report` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_bcg_report_json(
    report: *const qudao_bcg_report,
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

/// Host arrays that `qudao_bcg_report_columns` fills, one element per classified subject and
/// period (struct of arrays). Leave an array NULL to skip its column.
///
/// Text columns receive `qudao_str` values borrowing UTF-8 bytes (not NUL-terminated) from
/// the report: valid while a reference to it lives; the host must not free them.
///
/// Versioning: `struct_size` must be `sizeof(qudao_bcg_columns)`.
/// Ownership: the host owns the struct and every array; the library writes the arrays during
/// the call and retains nothing.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_bcg_columns {
    /// `sizeof(qudao_bcg_columns)`.
    pub struct_size: u32,
    /// Elements in each array; must equal `qudao_bcg_report_len`.
    pub rows: usize,
    /// Subject kind as text (the options' kind).
    pub kind: *mut qudao_str,
    /// Subject id.
    pub subject: *mut qudao_str,
    /// Period as text (`2025`).
    pub period: *mut qudao_str,
    /// Quadrant as text: `star`, `cash_cow`, `question_mark` or `dog`.
    pub quadrant: *mut qudao_str,
    /// Quadrant as a code.
    pub quadrant_code: *mut qudao_quadrant,
    /// Growth (the options' growth KPI, a fraction), as the nearest double.
    pub growth: *mut f64,
    /// Size over the share reference (largest other peer or the average), as the nearest
    /// double.
    pub relative_share: *mut f64,
    /// Size (the options' size KPI), as the nearest double.
    pub size: *mut f64,
}

/// Copy the classified entries of a report into host arrays: each non-NULL array of `cols`
/// receives `cols->rows` elements, row `i` being the `i`-th entry (by period, then in the
/// order of `entries` in `qudao_bcg_report_json`).
///
/// Errors: `cols->rows` other than `qudao_bcg_report_len` or a wrong `struct_size` are
/// `QUDAO_STATUS_INVALID_ARGUMENT`; then no array is written.
/// Nullability: `report` and `cols` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same report.
///
/// # Safety
/// `report` is a live reference; `cols` is a valid `qudao_bcg_columns` whose non-NULL arrays
/// have `rows` writable elements; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_bcg_report_columns(
    report: *const qudao_bcg_report,
    cols: *const qudao_bcg_columns,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [report, cols], {
        // SAFETY: `report` is live (the caller's contract); the text written out is borrowed
        // from it, which the host keeps alive (documented).
        let h = unsafe { borrow(report) };
        // SAFETY: `cols` is a valid struct (the caller's contract).
        let c = unsafe { read_columns(cols, "qudao_bcg_columns") }?;
        let n = h.rows.len();
        check_rows(c.rows, n, "cols->rows")?;
        macro_rules! col {
            ($f:ident) => {
                OutArray::optional(c.$f, n, concat!("cols->", stringify!($f)))?
            };
        }
        let kind = col!(kind);
        let subject = col!(subject);
        let period = col!(period);
        let quadrant_text = col!(quadrant);
        let quadrant_code = col!(quadrant_code);
        let growth = col!(growth);
        let relative_share = col!(relative_share);
        let size = col!(size);
        for (r, &(mi, ei)) in h.rows.iter().enumerate() {
            let m = &h.inner.matrices[mi];
            let e = &m.entries[ei];
            put!(kind, r, text_of(subject_kind(m.kind).1));
            put!(subject, r, text_of(&e.subject));
            put!(period, r, text_of(&h.periods[mi]));
            put!(quadrant_text, r, text_of(e.quadrant.name()));
            put!(quadrant_code, r, quadrant(e.quadrant));
            put!(growth, r, number(&e.growth));
            put!(relative_share, r, number(&e.relative_share));
            put!(size, r, number(&e.size));
        }
        Ok(())
    })
}
