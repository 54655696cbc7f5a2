//! Channel economics (issue 7): per acquisition channel and period the customers acquired,
//! conversion, spend, CAC, historic and predicted CLV, CLV/CAC, ROI and payback; the revenue
//! share of each sales channel per period; and the budget reallocation of a budget plan (a
//! versioned document) by an efficiency measure.
//!
//! The economics result and the budget plan are reference counted, immutable handles. The
//! economics are read as JSON or as columns; a reallocation comes out as JSON.

use qudao_core::Period;
use qudao_core::clv::predict::ClvOptions;
use qudao_core::document::{Format, RuleDocument, parse_any};
use qudao_core::economics::{
    AcquisitionRow, BudgetPlan, ChannelEconomics, ClvFitSummary, ClvPredictions, EconomicsOptions,
    EfficiencyInputs, Grain, KpiValue, MoneyValue, ValueBasis, compute, reallocate,
};

use crate::args::qudao_str;
use crate::attribution::{model_arg, qudao_attribution};
use crate::bytes::qudao_bytes;
use crate::customer::clv::qudao_clv_options;
use crate::customer::document::{self, qudao_document};
use crate::customer::{
    OutArray, borrow, check_rows, clone_handle, day, free_handle, hand_out, to_json, write_bytes,
};
use crate::entry::{Failure, ffi, qudao_status};
use crate::error::qudao_error;
use crate::evaluation::{named, number, period_arg, put, read_columns, text_of};
use crate::{args, qudao_dataset};

/// How the periods of the economics are cut.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qudao_grain {
    /// Calendar months.
    Month = 0,
    /// Calendar quarters.
    Quarter = 1,
    /// Calendar years.
    Year = 2,
    /// The periods listed in `qudao_economics_options.periods` (they must not overlap).
    Custom = 3,
}

/// Which value of the customers acquired CLV/CAC and ROI compare with the spend.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qudao_value_basis {
    /// Their net revenue (sales − returns) to the as-of date, on every channel.
    HistoricRevenue = 0,
    /// Their margin (net revenue − cost of goods) to the as-of date; missing where a line of
    /// the cohort has no cost. The default.
    HistoricMargin = 1,
    /// Their net revenue to the as-of date plus the predicted future value (needs a CLV fit,
    /// see `qudao_economics_compute`).
    HistoricPlusPredicted = 2,
}

const _: () = {
    assert!(size_of::<qudao_grain>() == size_of::<u32>());
    assert!(size_of::<qudao_value_basis>() == size_of::<u32>());
};

/// Options of `qudao_economics_compute`. Fill one in with `qudao_economics_options_init`,
/// then set `as_of` (required) and change what you need.
///
/// Versioning: `struct_size` must be `sizeof(qudao_economics_options)`.
/// Ownership: owned by the host; read during the call, nothing retained after it returns.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_economics_options {
    /// `sizeof(qudao_economics_options)`.
    pub struct_size: u32,
    /// The day the data is as of (inclusive), days since 1970-01-01 (see
    /// `qudao_date_parse`): later lines, touches and costs are left out and counted.
    pub as_of: i32,
    /// How periods are cut. Default: quarters.
    pub grain: qudao_grain,
    /// With `QUDAO_GRAIN_CUSTOM`: the periods as text (`2025`, `2025-H1`, `2025-Q3`,
    /// `2025-07`, `2025-01-15..2025-03-31`), `period_count` of them; otherwise unused.
    pub periods: *const qudao_str,
    /// Number of `periods`.
    pub period_count: usize,
    /// The value CLV/CAC and ROI use. Default: historic margin.
    pub value: qudao_value_basis,
    /// Decimals of the revenue shares (0..=12); the shares of a period add up to exactly 1
    /// at this precision. Default 4.
    pub share_decimals: u32,
    /// Worker threads; 0 = all cores (the default). The result does not depend on it.
    pub threads: usize,
}

/// The value basis as a code.
fn value_code(v: ValueBasis) -> qudao_value_basis {
    match v {
        ValueBasis::HistoricRevenue => qudao_value_basis::HistoricRevenue,
        ValueBasis::HistoricMargin => qudao_value_basis::HistoricMargin,
        ValueBasis::HistoricPlusPredicted => qudao_value_basis::HistoricPlusPredicted,
    }
}

/// Fill `opts` with `struct_size = sizeof(qudao_economics_options)`, `as_of = 0` (set it),
/// quarters, historic margin as the value, shares to 4 decimals and all cores. Does nothing
/// when `opts` is NULL.
///
/// Ownership: `opts` is owned by the host. Thread safety: may be called from any thread.
///
/// # Safety
/// `opts` is NULL or valid for writing one `qudao_economics_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_economics_options_init(opts: *mut qudao_economics_options) {
    ffi!(default: (), {
        if !opts.is_null() {
            let d = EconomicsOptions::new(qudao_core::Date(0), Grain::Quarter);
            // SAFETY: `opts` is non-NULL and valid for writing one struct (the caller's
            // contract); `write_unaligned` needs no alignment.
            unsafe {
                opts.write_unaligned(qudao_economics_options {
                    struct_size: size_of::<qudao_economics_options>() as u32,
                    as_of: 0,
                    grain: qudao_grain::Quarter,
                    periods: std::ptr::null(),
                    period_count: 0,
                    value: value_code(d.value),
                    share_decimals: d.share_decimals,
                    threads: d.threads,
                });
            }
        }
    })
}

/// Read economics options.
///
/// # Safety
/// `opts` is non-NULL and points to at least `opts->struct_size` readable bytes laid out as
/// a `qudao_economics_options`, whose periods are readable.
unsafe fn economics_options(
    opts: *const qudao_economics_options,
) -> Result<EconomicsOptions, Failure> {
    // SAFETY: `opts` is non-NULL and readable for its first field (the caller's contract).
    let size = unsafe { std::ptr::addr_of!((*opts).struct_size).read_unaligned() };
    if size as usize != size_of::<qudao_economics_options>() {
        return Err(Failure::invalid(
            "opts",
            format!(
                "struct_size is {size}, this library knows qudao_economics_options of {} \
                 bytes; set struct_size = sizeof(qudao_economics_options) or use \
                 qudao_economics_options_init",
                size_of::<qudao_economics_options>()
            ),
        ));
    }
    // SAFETY: the struct is complete (size checked). The enum fields are 4 bytes (asserted
    // above) and are read as `u32`, so any number the host put there is a valid value; the
    // other fields are integers and pointers, valid for any bit pattern.
    let (as_of, grain, periods, period_count, value, share_decimals, threads) = unsafe {
        (
            std::ptr::addr_of!((*opts).as_of).read_unaligned(),
            std::ptr::addr_of!((*opts).grain)
                .cast::<u32>()
                .read_unaligned(),
            std::ptr::addr_of!((*opts).periods).read_unaligned(),
            std::ptr::addr_of!((*opts).period_count).read_unaligned(),
            std::ptr::addr_of!((*opts).value)
                .cast::<u32>()
                .read_unaligned(),
            std::ptr::addr_of!((*opts).share_decimals).read_unaligned(),
            std::ptr::addr_of!((*opts).threads).read_unaligned(),
        )
    };
    let grain = match grain {
        0 => Grain::Month,
        1 => Grain::Quarter,
        2 => Grain::Year,
        3 => {
            // SAFETY: `periods` has `period_count` readable elements (the caller's contract).
            let list = unsafe { args::slice(periods, period_count, "opts->periods") }?;
            let mut out = Vec::with_capacity(list.len());
            for (i, &p) in list.iter().enumerate() {
                let name = format!("opts->periods[{i}]");
                // SAFETY: each element points to its readable bytes (the caller's contract).
                let text = unsafe { args::str_of(p, &|| name.clone()) }?;
                out.push(period_arg(text, &name)?);
            }
            Grain::Custom(out)
        }
        other => {
            return Err(Failure::invalid(
                "opts->grain",
                format!("{other} is not a qudao_grain"),
            ));
        }
    };
    let value = match value {
        0 => ValueBasis::HistoricRevenue,
        1 => ValueBasis::HistoricMargin,
        2 => ValueBasis::HistoricPlusPredicted,
        other => {
            return Err(Failure::invalid(
                "opts->value",
                format!("{other} is not a qudao_value_basis"),
            ));
        }
    };
    let mut options = EconomicsOptions::new(day(as_of, "opts->as_of")?, grain);
    options.value = value;
    options.share_decimals = share_decimals;
    options.threads = threads;
    Ok(options)
}

/// Read CLV options (the horizon and discounting of the CLV fit).
///
/// # Safety
/// `opts` is non-NULL and points to at least `opts->struct_size` readable bytes laid out as
/// a `qudao_clv_options`.
unsafe fn clv_options(opts: *const qudao_clv_options) -> Result<ClvOptions, Failure> {
    // SAFETY: `opts` is non-NULL and readable for its first field (the caller's contract).
    let size = unsafe { std::ptr::addr_of!((*opts).struct_size).read_unaligned() };
    if size as usize != size_of::<qudao_clv_options>() {
        return Err(Failure::invalid(
            "clv",
            format!(
                "struct_size is {size}, this library knows qudao_clv_options of {} bytes; \
                 set struct_size = sizeof(qudao_clv_options) or use qudao_clv_options_init",
                size_of::<qudao_clv_options>()
            ),
        ));
    }
    // SAFETY: the struct is complete (size checked); plain numbers only.
    let o = unsafe { opts.read_unaligned() };
    Ok(ClvOptions {
        step: o.step,
        steps: o.steps,
        discount_rate: o.discount_rate,
    })
}

/// The channel economics of a data set, with the CLV fit behind the predictions when one was
/// made.
///
/// Ownership: reference counted; `qudao_economics_compute` and `_clone` give the host one
/// reference, released with `qudao_channel_economics_free`. Text read through it (the
/// columns) is borrowed from it.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_channel_economics {
    pub(crate) inner: ChannelEconomics,
    fit: Option<ClvFitSummary>,
    /// The period of each row as text, in row order.
    periods: Vec<String>,
    /// The period of each revenue share row as text, and the share as exact text.
    share_periods: Vec<String>,
    shares: Vec<String>,
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<qudao_channel_economics>();
    shareable::<qudao_budget_plan>();
};

impl qudao_channel_economics {
    fn new(inner: ChannelEconomics, fit: Option<ClvFitSummary>) -> Self {
        let text = |p: &Option<Period>| p.as_ref().map(ToString::to_string).unwrap_or_default();
        let periods = inner.rows.iter().map(|r| text(&r.period)).collect();
        let share_periods = inner
            .revenue_share
            .iter()
            .map(|r| r.period.to_string())
            .collect();
        let shares = inner
            .revenue_share
            .iter()
            .map(|r| r.share.value().map(|d| d.to_string()).unwrap_or_default())
            .collect();
        qudao_channel_economics {
            inner,
            fit,
            periods,
            share_periods,
            shares,
        }
    }

    /// The rows of a table, with their period texts (none for totals).
    fn table(&self, totals: bool) -> (&[AcquisitionRow], Option<&[String]>) {
        if totals {
            (&self.inner.totals, None)
        } else {
            (&self.inner.rows, Some(&self.periods))
        }
    }
}

/// Compute the channel economics of a data set: per acquisition channel and period (and
/// over all periods) the customers acquired, prospects touched and converted, conversion
/// rates, spend (channel costs plus touchpoint costs), CAC, historic and predicted CLV,
/// CLV/CAC, ROI and payback; the revenue share of each sales channel per period; counts of
/// what was left out. Definitions: `docs/economics.md`.
///
/// With `clv` (NULL: no predictions), BG/NBD and Gamma-Gamma are fitted on the customers as
/// of `opts->as_of` (distinct orders, weekly time) and each customer's discounted future
/// value over `clv`'s horizon becomes the predicted value of the cohorts (`predicted`,
/// `predicted_per_customer`, and the value with `QUDAO_VALUE_BASIS_HISTORIC_PLUS_PREDICTED`).
///
/// Errors: bad options (`opts->…`, `clv`) are `QUDAO_STATUS_INVALID_ARGUMENT` naming the
/// field; other errors are the core's.
/// On success `*out` receives a new reference (free with `qudao_channel_economics_free`).
/// Nullability: `ds`, `opts` and `out` must not be NULL; `clv` and `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same data set; uses
/// `opts->threads` cores (all by default).
///
/// # Safety
/// `ds` is a live reference; `opts` is a valid `qudao_economics_options`; `clv` is NULL or a
/// valid `qudao_clv_options`; `out` is valid for writing one pointer; `err` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_economics_compute(
    ds: *const qudao_dataset,
    opts: *const qudao_economics_options,
    clv: *const qudao_clv_options,
    out: *mut *const qudao_channel_economics,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [ds, opts, out], {
        // SAFETY: `opts` is a valid struct (the caller's contract).
        let options = unsafe { economics_options(opts) }?;
        let clv = if clv.is_null() {
            None
        } else {
            // SAFETY: `clv` is a valid struct (the caller's contract).
            Some(unsafe { clv_options(clv) }?)
        };
        // SAFETY: `ds` is live (the caller's contract).
        let ds = &unsafe { borrow(ds) }.inner;
        let (predictions, fit) = match clv {
            Some(c) => {
                let (p, f) = ClvPredictions::fit(ds, options.as_of, &c)?;
                (Some(p), Some(f))
            }
            None => (None, None),
        };
        let inner = compute(ds, &options, predictions.as_ref())?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_channel_economics::new(inner, fit)) };
        Ok(())
    })
}

/// Add a reference to channel economics and return it (the same pointer); NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `econ` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_channel_economics_clone(
    econ: *const qudao_channel_economics,
) -> *const qudao_channel_economics {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(econ) } })
}

/// Release one reference to channel economics. `qudao_channel_economics_free(NULL)` does
/// nothing; text borrowed through it is invalid once the last reference is gone.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `econ` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_channel_economics_free(econ: *const qudao_channel_economics) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(econ) } })
}

/// The economics as UTF-8 JSON: `as_of`, `currency`, `exponent`, `value_basis`,
/// `predictions` (what made them, or null), `periods`, `rows` (per acquisition channel and
/// period), `totals` (per channel over all periods), `revenue_share` and `counts`. Money is in
/// minor units; money per customer in major units and ratios are exact decimal strings, a
/// value that cannot be computed is `{"missing": {…reason…}}`.
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `econ` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `econ` is a live reference; `out` is valid for writing one pointer; `err` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_channel_economics_json(
    econ: *const qudao_channel_economics,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [econ, out], {
        // SAFETY: `econ` is live (the caller's contract).
        let json = to_json!(&unsafe { borrow(econ) }.inner)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// The CLV fit behind the predictions as UTF-8 JSON (`purchases` and `spend`: the BG/NBD and
/// Gamma-Gamma fits; `options`; `spend_rows_dropped`; `customers`), or `null` when the
/// economics were computed without `clv`.
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `econ` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `econ` is a live reference; `out` is valid for writing one pointer; `err` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_channel_economics_clv_fit_json(
    econ: *const qudao_channel_economics,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [econ, out], {
        // SAFETY: `econ` is live (the caller's contract).
        let json = to_json!(&unsafe { borrow(econ) }.fit)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// Number of rows of `qudao_channel_economics_columns`: one per acquisition channel and
/// period; 0 when `econ` is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `econ` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_channel_economics_len(
    econ: *const qudao_channel_economics,
) -> usize {
    ffi!(default: 0, {
        // SAFETY: NULL or live (the caller's contract).
        unsafe { econ.as_ref() }.map_or(0, |e| e.inner.rows.len())
    })
}

/// Number of rows of `qudao_channel_economics_totals_columns`: one per acquisition channel;
/// 0 when `econ` is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `econ` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_channel_economics_totals_len(
    econ: *const qudao_channel_economics,
) -> usize {
    ffi!(default: 0, {
        // SAFETY: NULL or live (the caller's contract).
        unsafe { econ.as_ref() }.map_or(0, |e| e.inner.totals.len())
    })
}

/// Host arrays that `qudao_channel_economics_columns` (per channel and period) and
/// `qudao_channel_economics_totals_columns` (per channel over all periods) fill, one element
/// per row (struct of arrays). Leave an array NULL to skip its column.
///
/// Text columns receive `qudao_str` values borrowing UTF-8 bytes (not NUL-terminated) from
/// the economics: valid while a reference to it lives; the host must not free them. Money is
/// in minor units (`*_valid` 0 where it is missing); money per customer in major units and
/// ratios (0.25 is 25 %) are the nearest double, NaN where missing (the JSON has the exact
/// decimal and the reason).
///
/// Versioning: `struct_size` must be `sizeof(qudao_economics_columns)`.
/// Ownership: the host owns the struct and every array; the library writes the arrays during
/// the call and retains nothing.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_economics_columns {
    /// `sizeof(qudao_economics_columns)`.
    pub struct_size: u32,
    /// Elements in each array; must equal `qudao_channel_economics_len` (or `_totals_len`).
    pub rows: usize,
    /// Acquisition channel id.
    pub channel: *mut qudao_str,
    /// Period as text (`2025-Q3`); empty in the totals.
    pub period: *mut qudao_str,
    /// Customers acquired (first purchase in the period, acquisition channel this one).
    pub acquired: *mut u64,
    /// Of which the acquisition channel comes from the master data.
    pub acquired_from_master: *mut u64,
    /// Prospects touched by the channel.
    pub touched: *mut u64,
    /// Of those, the ones who made a first purchase (on any channel).
    pub converted: *mut u64,
    /// Of the converted, those acquired by this channel.
    pub converted_acquired: *mut u64,
    /// `converted / touched`.
    pub conversion_rate: *mut f64,
    /// `converted_acquired / touched`.
    pub acquisition_conversion_rate: *mut f64,
    /// Channel costs, minor units.
    pub channel_cost: *mut i64,
    /// Touchpoint costs, minor units.
    pub touch_cost: *mut i64,
    /// `channel_cost + touch_cost`, minor units.
    pub spend: *mut i64,
    /// `spend / acquired`, major units.
    pub cac: *mut f64,
    /// Net revenue of the customers acquired, minor units.
    pub revenue: *mut i64,
    /// Their margin, minor units; see `margin_valid`.
    pub margin: *mut i64,
    /// 1 where `margin` is known, 0 where a line has no cost.
    pub margin_valid: *mut u8,
    /// Historic CLV: `revenue / acquired`, major units.
    pub revenue_per_customer: *mut f64,
    /// Historic CLV on margin, major units.
    pub margin_per_customer: *mut f64,
    /// Predicted future value of the customers acquired, minor units; see
    /// `predicted_valid`.
    pub predicted: *mut i64,
    /// 1 where `predicted` is known.
    pub predicted_valid: *mut u8,
    /// Predicted CLV, major units.
    pub predicted_per_customer: *mut f64,
    /// The value CLV/CAC uses (the value basis), minor units; see `value_valid`.
    pub value: *mut i64,
    /// 1 where `value` is known.
    pub value_valid: *mut u8,
    /// `value / acquired`, major units.
    pub clv: *mut f64,
    /// `value / spend` (= CLV / CAC).
    pub clv_cac: *mut f64,
    /// `(value − spend) / spend`.
    pub roi: *mut f64,
    /// Periods until the cohort's margin covers the spend; NaN when not yet, without spend,
    /// and in the totals.
    pub payback_periods: *mut f64,
    /// 1 where the payback uses revenue because a line of the cohort has no cost.
    pub payback_on_revenue: *mut u8,
}

/// A KPI value as the nearest double, NaN where missing.
fn kpi(v: &KpiValue) -> f64 {
    v.value().map_or(f64::NAN, |d| number(&d))
}

/// Money as its amount (0 where missing) and validity.
fn money(v: &MoneyValue) -> (i64, u8) {
    v.value().map_or((0, 0), |a| (a, 1))
}

/// Write a table of the economics into host arrays.
///
/// # Safety
/// `cols` is non-NULL and a valid `qudao_economics_columns` whose non-NULL arrays have
/// `rows` writable elements.
unsafe fn write_table(
    rows: &[AcquisitionRow],
    periods: Option<&[String]>,
    cols: *const qudao_economics_columns,
) -> Result<(), Failure> {
    // SAFETY: `cols` is a valid struct (the caller's contract).
    let c = unsafe { read_columns(cols, "qudao_economics_columns") }?;
    let n = rows.len();
    check_rows(c.rows, n, "cols->rows")?;
    macro_rules! col {
        ($f:ident) => {
            OutArray::optional(c.$f, n, concat!("cols->", stringify!($f)))?
        };
    }
    let channel = col!(channel);
    let period = col!(period);
    let acquired = col!(acquired);
    let acquired_from_master = col!(acquired_from_master);
    let touched = col!(touched);
    let converted = col!(converted);
    let converted_acquired = col!(converted_acquired);
    let conversion_rate = col!(conversion_rate);
    let acquisition_conversion_rate = col!(acquisition_conversion_rate);
    let channel_cost = col!(channel_cost);
    let touch_cost = col!(touch_cost);
    let spend = col!(spend);
    let cac = col!(cac);
    let revenue = col!(revenue);
    let margin = col!(margin);
    let margin_valid = col!(margin_valid);
    let revenue_per_customer = col!(revenue_per_customer);
    let margin_per_customer = col!(margin_per_customer);
    let predicted = col!(predicted);
    let predicted_valid = col!(predicted_valid);
    let predicted_per_customer = col!(predicted_per_customer);
    let value = col!(value);
    let value_valid = col!(value_valid);
    let clv = col!(clv);
    let clv_cac = col!(clv_cac);
    let roi = col!(roi);
    let payback_periods = col!(payback_periods);
    let payback_on_revenue = col!(payback_on_revenue);
    for (r, row) in rows.iter().enumerate() {
        put!(channel, r, text_of(&row.channel));
        let p = periods.and_then(|p| p.get(r)).map_or("", String::as_str);
        put!(period, r, text_of(p));
        put!(acquired, r, row.acquired);
        put!(acquired_from_master, r, row.acquired_from_master);
        put!(touched, r, row.touched);
        put!(converted, r, row.converted);
        put!(converted_acquired, r, row.converted_acquired);
        put!(conversion_rate, r, kpi(&row.conversion_rate));
        put!(
            acquisition_conversion_rate,
            r,
            kpi(&row.acquisition_conversion_rate)
        );
        put!(channel_cost, r, row.channel_cost);
        put!(touch_cost, r, row.touch_cost);
        put!(spend, r, row.spend);
        put!(cac, r, kpi(&row.cac));
        put!(revenue, r, row.revenue);
        let (m, mv) = money(&row.margin);
        put!(margin, r, m);
        put!(margin_valid, r, mv);
        put!(revenue_per_customer, r, kpi(&row.revenue_per_customer));
        put!(margin_per_customer, r, kpi(&row.margin_per_customer));
        let (pr, pv) = money(&row.predicted);
        put!(predicted, r, pr);
        put!(predicted_valid, r, pv);
        put!(predicted_per_customer, r, kpi(&row.predicted_per_customer));
        let (v, vv) = money(&row.value);
        put!(value, r, v);
        put!(value_valid, r, vv);
        put!(clv, r, kpi(&row.clv));
        put!(clv_cac, r, kpi(&row.clv_cac));
        put!(roi, r, kpi(&row.roi));
        put!(payback_periods, r, kpi(&row.payback_periods));
        put!(payback_on_revenue, r, u8::from(row.payback_on_revenue));
    }
    Ok(())
}

/// Copy the economics per acquisition channel and period into host arrays: each non-NULL
/// array of `cols` receives `cols->rows` elements, row `i` being the `i`-th row (channels in
/// id order, then periods; `rows` of `qudao_channel_economics_json`).
///
/// Errors: `cols->rows` other than `qudao_channel_economics_len` or a wrong `struct_size`
/// are `QUDAO_STATUS_INVALID_ARGUMENT`; then no array is written.
/// Nullability: `econ` and `cols` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same economics.
///
/// # Safety
/// `econ` is a live reference; `cols` is a valid `qudao_economics_columns` whose non-NULL
/// arrays have `rows` writable elements; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_channel_economics_columns(
    econ: *const qudao_channel_economics,
    cols: *const qudao_economics_columns,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [econ, cols], {
        // SAFETY: `econ` is live (the caller's contract); the text written out is borrowed
        // from it, which the host keeps alive (documented).
        let (rows, periods) = unsafe { borrow(econ) }.table(false);
        // SAFETY: `cols` is valid (the caller's contract).
        unsafe { write_table(rows, periods, cols) }
    })
}

/// Copy the economics per acquisition channel over all periods into host arrays (as
/// `qudao_channel_economics_columns`; `period` is empty and `payback_periods` NaN; `totals`
/// of `qudao_channel_economics_json`).
///
/// Errors: `cols->rows` other than `qudao_channel_economics_totals_len` or a wrong
/// `struct_size` are `QUDAO_STATUS_INVALID_ARGUMENT`; then no array is written.
/// Nullability: `econ` and `cols` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same economics.
///
/// # Safety
/// `econ` is a live reference; `cols` is a valid `qudao_economics_columns` whose non-NULL
/// arrays have `rows` writable elements; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_channel_economics_totals_columns(
    econ: *const qudao_channel_economics,
    cols: *const qudao_economics_columns,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [econ, cols], {
        // SAFETY: `econ` is live (the caller's contract); the text written out is borrowed
        // from it, which the host keeps alive (documented).
        let (rows, periods) = unsafe { borrow(econ) }.table(true);
        // SAFETY: `cols` is valid (the caller's contract).
        unsafe { write_table(rows, periods, cols) }
    })
}

/// Number of rows of `qudao_channel_economics_revenue_share_columns` (per period and sales
/// channel); 0 when `econ` is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `econ` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_channel_economics_revenue_share_len(
    econ: *const qudao_channel_economics,
) -> usize {
    ffi!(default: 0, {
        // SAFETY: NULL or live (the caller's contract).
        unsafe { econ.as_ref() }.map_or(0, |e| e.inner.revenue_share.len())
    })
}

/// Host arrays that `qudao_channel_economics_revenue_share_columns` fills, one element per
/// period and sales channel. Leave an array NULL to skip its column. Text is borrowed from
/// the economics, as for `qudao_economics_columns`.
///
/// Versioning: `struct_size` must be `sizeof(qudao_revenue_share_columns)`.
/// Ownership: the host owns the struct and every array; the library writes the arrays during
/// the call and retains nothing.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_revenue_share_columns {
    /// `sizeof(qudao_revenue_share_columns)`.
    pub struct_size: u32,
    /// Elements in each array; must equal `qudao_channel_economics_revenue_share_len`.
    pub rows: usize,
    /// Period as text.
    pub period: *mut qudao_str,
    /// Sales channel id (the channel on the lines).
    pub channel: *mut qudao_str,
    /// Net revenue of the channel in the period, minor units.
    pub revenue: *mut i64,
    /// Share of the period's net revenue, the nearest double; NaN when the period's net
    /// revenue is not positive.
    pub share: *mut f64,
    /// The exact share as decimal text (the shares of a period add up to exactly 1); empty
    /// where missing.
    pub share_text: *mut qudao_str,
}

/// Copy the revenue shares into host arrays: row `i` is the `i`-th (period, sales channel)
/// pair, periods ascending, then channels by id.
///
/// Errors: `cols->rows` other than `qudao_channel_economics_revenue_share_len` or a wrong
/// `struct_size` are `QUDAO_STATUS_INVALID_ARGUMENT`; then no array is written.
/// Nullability: `econ` and `cols` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same economics.
///
/// # Safety
/// `econ` is a live reference; `cols` is a valid `qudao_revenue_share_columns` whose
/// non-NULL arrays have `rows` writable elements; `err` is NULL or valid for writing one
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_channel_economics_revenue_share_columns(
    econ: *const qudao_channel_economics,
    cols: *const qudao_revenue_share_columns,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [econ, cols], {
        // SAFETY: `econ` is live (the caller's contract); the text written out is borrowed
        // from it, which the host keeps alive (documented).
        let e = unsafe { borrow(econ) };
        // SAFETY: `cols` is a valid struct (the caller's contract).
        let c = unsafe { read_columns(cols, "qudao_revenue_share_columns") }?;
        let rows = &e.inner.revenue_share;
        let n = rows.len();
        check_rows(c.rows, n, "cols->rows")?;
        macro_rules! col {
            ($f:ident) => {
                OutArray::optional(c.$f, n, concat!("cols->", stringify!($f)))?
            };
        }
        let period = col!(period);
        let channel = col!(channel);
        let revenue = col!(revenue);
        let share = col!(share);
        let share_text = col!(share_text);
        for (r, row) in rows.iter().enumerate() {
            put!(period, r, text_of(&e.share_periods[r]));
            put!(channel, r, text_of(&row.channel));
            put!(revenue, r, row.revenue);
            put!(share, r, kpi(&row.share));
            put!(share_text, r, text_of(&e.shares[r]));
        }
        Ok(())
    })
}

/// A valid budget plan: the total budget (minor units), the channels with their minimum and
/// maximum, and the efficiency measure the budget follows (`attributed_value_per_spend`,
/// `clv_cac`, `roi` or `given`) (`docs/economics.md`; JSON Schema
/// `qudao_schema_json("budget-plan")`).
///
/// Ownership: reference counted; `qudao_budget_plan_parse` and `_clone` give the host one
/// reference, released with `qudao_budget_plan_free`.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_budget_plan {
    pub(crate) inner: BudgetPlan,
}

/// Parse and validate a budget plan (JSON, TOML or YAML; JSON Schema
/// `qudao_schema_json("budget-plan")`, also `schemas/budget-plan.schema.json`). Errors name
/// the field path (`channels[1].max`, `total`) and are `QUDAO_STATUS_DOCUMENT_ERROR`.
///
/// On success `*out` receives a new reference (free with `qudao_budget_plan_free`).
/// Nullability: `doc` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `doc` is a valid `qudao_document`; `out` is valid for writing one pointer; `err` is NULL
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_budget_plan_parse(
    doc: *const qudao_document,
    out: *mut *const qudao_budget_plan,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [doc, out], {
        // SAFETY: `doc` is a valid document (the caller's contract).
        let (text, format) = unsafe { document::read(doc, "doc") }?;
        let inner = BudgetPlan::parse(text, format)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_budget_plan { inner }) };
        Ok(())
    })
}

/// The plan as a UTF-8 JSON document (it parses back with `qudao_budget_plan_parse`).
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `plan` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `plan` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_budget_plan_json(
    plan: *const qudao_budget_plan,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [plan, out], {
        // SAFETY: `plan` is live (the caller's contract).
        let json = to_json!(&unsafe { borrow(plan) }.inner)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// Add a reference to a budget plan and return it (the same pointer); NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `plan` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_budget_plan_clone(
    plan: *const qudao_budget_plan,
) -> *const qudao_budget_plan {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(plan) } })
}

/// Release one reference to a budget plan. `qudao_budget_plan_free(NULL)` does nothing.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `plan` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_budget_plan_free(plan: *const qudao_budget_plan) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(plan) } })
}

/// Spread the plan's budget and write the reallocation as UTF-8 JSON.
///
/// # Safety
/// `out` is valid for writing one pointer.
unsafe fn reallocation_out(
    plan: &BudgetPlan,
    inputs: &EfficiencyInputs,
    out: *mut *mut qudao_bytes,
) -> Result<(), Failure> {
    let json = to_json!(&reallocate(plan, inputs)?)?;
    // SAFETY: the caller's contract.
    unsafe { write_bytes(out, json) };
    Ok(())
}

/// Spread a plan's budget over its channels in proportion to the plan's efficiency measure,
/// within each channel's minimum and maximum, the amounts adding up exactly to the total
/// (largest remainder), with the efficiency inputs given as JSON.
///
/// `inputs_json` (`inputs_len` bytes of UTF-8; empty for none, enough for the `given`
/// measure) is `{"channels": {"<id>": {"channel": "<id>", "current_spend": minor units,
/// "attributed_value": minor units, "clv_cac": "decimal", "roi": "decimal"}}}` (each value
/// optional or null). The result: `plan`, `total`, `measure`, `lines` (per channel:
/// `channel`, `efficiency`, `share_before_bounds`, `amount_before_bounds`, `min`, `max`,
/// `bound` (`free`, `min`, `max` or `no_efficiency`), `amount`, `current_spend`, `change`) and
/// `notes` (the reasoning). The `amount`s add up to `total` exactly.
///
/// Errors: bad `inputs_json` is `QUDAO_STATUS_DOCUMENT_ERROR` naming the argument and the
/// field path; other errors are the core's.
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `plan` and `out` must not be NULL; `inputs_json` may be NULL only when
/// `inputs_len` is 0; `err` may be NULL.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `plan` is a live reference; `inputs_json` points to `inputs_len` readable bytes; `out` is
/// valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_budget_reallocate(
    plan: *const qudao_budget_plan,
    inputs_json: *const u8,
    inputs_len: usize,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [plan, out], {
        // SAFETY: `inputs_json` is `inputs_len` readable bytes (the caller's contract).
        let text = unsafe { args::text(inputs_json, inputs_len, "inputs_json") }?;
        let inputs: EfficiencyInputs = if text.trim().is_empty() {
            EfficiencyInputs::default()
        } else {
            named(parse_any(text, Format::Json), "inputs_json")?
        };
        // SAFETY: `plan` is live; `out` is valid for writes (the caller's contract).
        unsafe { reallocation_out(&borrow(plan).inner, &inputs, out) }
    })
}

/// Spread a plan's budget (as `qudao_budget_reallocate`) with the efficiency inputs taken
/// from channel economics: each channel's current spend, CLV/CAC and ROI over all periods;
/// and, when `attribution` is given, each channel's attributed value from its `model` (a
/// `qudao_attribution_model`), for the `attributed_value_per_spend` measure.
///
/// Errors: a `model` that is not a model or did not run in `attribution` is
/// `QUDAO_STATUS_INVALID_ARGUMENT`; other errors are the core's.
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `plan`, `econ` and `out` must not be NULL; `attribution` (then `model` is
/// ignored) and `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `plan` and `econ` are live references; `attribution` is NULL or a live reference; `out`
/// is valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_budget_reallocate_economics(
    plan: *const qudao_budget_plan,
    econ: *const qudao_channel_economics,
    attribution: *const qudao_attribution,
    model: u32,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [plan, econ, out], {
        // SAFETY: `econ` is live (the caller's contract).
        let mut inputs = EfficiencyInputs::from_economics(&unsafe { borrow(econ) }.inner);
        // SAFETY: NULL or live (the caller's contract).
        if let Some(a) = unsafe { attribution.as_ref() } {
            let m = model_arg(model, "model")?;
            let result = a.inner.model(m).ok_or_else(|| {
                Failure::invalid("model", format!("`{m}` did not run in `attribution`"))
            })?;
            for c in &result.channels {
                inputs.set_attributed(&c.channel, c.value);
            }
        }
        // SAFETY: `plan` is live; `out` is valid for writes (the caller's contract).
        unsafe { reallocation_out(&borrow(plan).inner, &inputs, out) }
    })
}
