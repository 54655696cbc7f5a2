//! Scorecard runs: a 0–100 score and rank per subject and period, explained indicator by
//! indicator.

use qudao_core::evaluation::scorecard::ScorecardRun;

use super::documents::qudao_scorecard;
use super::{put, qudao_kpi_table, read_columns, subject_kind, text_of};
use crate::args::qudao_str;
use crate::bytes::qudao_bytes;
use crate::customer::{
    OutArray, borrow, check_rows, clone_handle, free_handle, hand_out, to_json, write_bytes,
};
use crate::entry::{ffi, qudao_status};
use crate::error::qudao_error;

/// The result of a scorecard over a KPI table: per period, every scored subject with its
/// score (0–100), rank (1 = best) and per indicator the raw value, normalised value, weight
/// and contribution, plus strengths and weaknesses against the peers; the subjects that
/// could not be scored, with their indicators.
///
/// Ownership: reference counted; `qudao_scorecard_evaluate` and `_clone` give the host one
/// reference, released with `qudao_score_run_free`. Text read through it
/// (`qudao_score_run_columns`) is borrowed from it.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_score_run {
    pub(crate) inner: ScorecardRun,
    /// The periods of the run as text, in run order.
    periods: Vec<String>,
    /// (period index, score index) per row.
    rows: Vec<(usize, usize)>,
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<qudao_score_run>();
};

/// Score every subject of the card's kind in every period of the table in which the subject
/// has any entry (compute the table at the grain the card is meant for: quarters for the
/// sample card).
///
/// Errors: an invalid card (built elsewhere) is `QUDAO_STATUS_DOCUMENT_ERROR`; a missing
/// indicator under the `error` missing policy is the core's error with the subject, period
/// and KPI.
/// On success `*out` receives a new reference (free with `qudao_score_run_free`).
/// Nullability: `card`, `table` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same card and table.
///
/// # Safety
/// `card` and `table` are live references; `out` is valid for writing one pointer; `err` is
/// NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_scorecard_evaluate(
    card: *const qudao_scorecard,
    table: *const qudao_kpi_table,
    out: *mut *const qudao_score_run,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [card, table, out], {
        // SAFETY: both handles are live (the caller's contract).
        let (card, table) = unsafe { (borrow(card), borrow(table)) };
        let inner = card.inner.evaluate(&table.inner)?;
        let periods = inner.periods.iter().map(|p| p.period.to_string()).collect();
        let rows = inner
            .periods
            .iter()
            .enumerate()
            .flat_map(|(pi, p)| (0..p.scores.len()).map(move |si| (pi, si)))
            .collect();
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe {
            hand_out(
                out,
                qudao_score_run {
                    inner,
                    periods,
                    rows,
                },
            )
        };
        Ok(())
    })
}

/// Add a reference to a score run and return it (the same pointer); NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `run` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_score_run_clone(
    run: *const qudao_score_run,
) -> *const qudao_score_run {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(run) } })
}

/// Release one reference to a score run. `qudao_score_run_free(NULL)` does nothing; text
/// borrowed through it is invalid once the last reference is gone.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `run` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_score_run_free(run: *const qudao_score_run) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(run) } })
}

/// Number of rows of `qudao_score_run_columns`: one per scored subject and period; 0 when
/// `run` is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `run` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_score_run_len(run: *const qudao_score_run) -> usize {
    ffi!(default: 0, {
        // SAFETY: NULL or live (the caller's contract).
        unsafe { run.as_ref() }.map_or(0, |r| r.rows.len())
    })
}

/// The run as UTF-8 JSON, the explanations: `scorecard`, `subject` (the kind), `periods`,
/// each with `period`, `scores` (`id`, `score`, `rank`, `indicators` with `kpi`, `group`,
/// `direction`, `raw`, `missing`, `used`, `normalised`, `weight`, `effective_weight`,
/// `contribution`, `action`, `note`; `strengths` and `weaknesses` with `kpi`,
/// `contribution`, `peer_average`, `delta`) and `unscored`.
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `run` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `run` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_score_run_json(
    run: *const qudao_score_run,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [run, out], {
        // SAFETY: `run` is live (the caller's contract).
        let json = to_json!(&unsafe { borrow(run) }.inner)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// Host arrays that `qudao_score_run_columns` fills, one element per scored subject and
/// period (struct of arrays). Leave an array NULL to skip its column.
///
/// Text columns receive `qudao_str` values borrowing UTF-8 bytes (not NUL-terminated) from
/// the run: valid while a reference to it lives; the host must not free them.
///
/// Versioning: `struct_size` must be `sizeof(qudao_score_columns)`.
/// Ownership: the host owns the struct and every array; the library writes the arrays during
/// the call and retains nothing.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_score_columns {
    /// `sizeof(qudao_score_columns)`.
    pub struct_size: u32,
    /// Elements in each array; must equal `qudao_score_run_len`.
    pub rows: usize,
    /// Subject kind as text (the card's kind: `partner`, `channel`, …).
    pub kind: *mut qudao_str,
    /// Subject id.
    pub subject: *mut qudao_str,
    /// Period as text (`2025-Q3`).
    pub period: *mut qudao_str,
    /// Score, 0–100.
    pub score: *mut f64,
    /// Rank among the period's scored subjects, 1 = best.
    pub rank: *mut u32,
}

/// Copy the scores of a run into host arrays: each non-NULL array of `cols` receives
/// `cols->rows` elements, row `i` being the `i`-th score (by period, then rank as in
/// `qudao_score_run_json`).
///
/// Errors: `cols->rows` other than `qudao_score_run_len` or a wrong `struct_size` are
/// `QUDAO_STATUS_INVALID_ARGUMENT`; then no array is written.
/// Nullability: `run` and `cols` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same run.
///
/// # Safety
/// `run` is a live reference; `cols` is a valid `qudao_score_columns` whose non-NULL arrays
/// have `rows` writable elements; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_score_run_columns(
    run: *const qudao_score_run,
    cols: *const qudao_score_columns,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [run, cols], {
        // SAFETY: `run` is live (the caller's contract); the text written out is borrowed
        // from it, which the host keeps alive (documented).
        let h = unsafe { borrow(run) };
        // SAFETY: `cols` is a valid struct (the caller's contract).
        let c = unsafe { read_columns(cols, "qudao_score_columns") }?;
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
        let score = col!(score);
        let rank = col!(rank);
        let word = subject_kind(h.inner.subject).1;
        for (r, &(pi, si)) in h.rows.iter().enumerate() {
            let s = &h.inner.periods[pi].scores[si];
            put!(kind, r, text_of(word));
            put!(subject, r, text_of(&s.id));
            put!(period, r, text_of(&h.periods[pi]));
            put!(score, r, s.score);
            put!(rank, r, u32::try_from(s.rank).unwrap_or(u32::MAX));
        }
        Ok(())
    })
}
