//! Channel attribution (issue 7): the settings (a versioned document), journeys built from
//! aggregated paths, from touchpoints and conversions, or from a data set, and the
//! attribution of every model read as JSON, as columns (one row per model and channel) and
//! the Markov chain (transition matrix, removal effects) as JSON.
//!
//! Settings, journeys and results are reference counted, immutable handles. Inputs come in
//! as host column arrays; results go out as JSON or columns.

use qudao_core::Timestamp;
use qudao_core::attribution::{
    Attribution, AttributionSettings, ConversionInput, Journeys, Model, PathRow, TouchInput,
    attribute,
};
use qudao_core::document::RuleDocument;

use crate::args::{self, qudao_str};
use crate::bytes::qudao_bytes;
use crate::customer::document::{self, qudao_document};
use crate::customer::{
    OutArray, borrow, check_rows, clone_handle, free_handle, hand_out, json_value, to_json,
    write_bytes,
};
use crate::entry::{Failure, ffi, qudao_status};
use crate::error::qudao_error;
use crate::evaluation::{put, read_columns, text_of};
use crate::qudao_dataset;

/// Valid attribution settings: the lookback window, what happens to expired touches, which
/// purchases of a data set are conversions, the time-decay half-life, the position-based
/// weights, the Markov order and repeat handling, and which models run (`docs/attribution.md`;
/// JSON Schema `qudao_schema_json("attribution-settings")`).
///
/// Ownership: reference counted; `qudao_attribution_settings_parse`, `_default` and `_clone`
/// give the host one reference, released with `qudao_attribution_settings_free`.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_attribution_settings {
    pub(crate) inner: AttributionSettings,
}

/// A set of journeys: channel sequences that ended in conversions (with their value) or in
/// nothing (null journeys), identical journeys merged, channels in name order.
///
/// Ownership: reference counted; `qudao_journeys_from_paths`, `_from_touchpoints`,
/// `_from_dataset` and `_clone` give the host one reference, released with
/// `qudao_journeys_free`.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_journeys {
    pub(crate) inner: Journeys,
}

/// The attribution of a journey set by every model the settings name: per model and
/// channel the attributed conversions and value (adding up exactly to the totals), the
/// Markov chain and the Shapley values, the models skipped and why.
///
/// Ownership: reference counted; `qudao_attribute` and `_clone` give the host one reference,
/// released with `qudao_attribution_free`. Text read through it
/// (`qudao_attribution_columns`) is borrowed from it.
/// Thread safety: immutable; shareable across threads.
#[derive(Debug)]
pub struct qudao_attribution {
    pub(crate) inner: Attribution,
    /// The long table, one row per (model, channel), with its decimals as text.
    rows: Vec<Row>,
}

/// One row of the long table, ready for the columns.
#[derive(Debug)]
struct Row {
    model: Model,
    channel: String,
    conversions: String,
    conversions_micro: i64,
    value: i64,
    touches: u64,
    basis: String,
    value_basis: String,
}

impl qudao_attribution {
    /// Wrap a core result, with its long table rendered for the columns.
    pub(crate) fn new(inner: Attribution) -> Result<Self, Failure> {
        let rows = inner
            .rows()
            .into_iter()
            .map(|r| {
                let mut micro = r.conversions;
                micro.rescale(qudao_core::attribution::CONVERSION_DECIMALS);
                let conversions_micro = i64::try_from(micro.mantissa()).map_err(|_| {
                    Failure::new(
                        qudao_status::Overflow,
                        format!("attributed conversions {} do not fit", r.conversions),
                    )
                })?;
                Ok(Row {
                    model: r.model,
                    conversions: r.conversions.to_string(),
                    conversions_micro,
                    value: r.value,
                    touches: r.touches,
                    basis: r.basis.to_string(),
                    value_basis: r.value_basis.to_string(),
                    channel: r.channel,
                })
            })
            .collect::<Result<_, Failure>>()?;
        Ok(qudao_attribution { inner, rows })
    }
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<qudao_attribution_settings>();
    shareable::<qudao_journeys>();
    shareable::<qudao_attribution>();
};

/// An attribution model.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qudao_attribution_model {
    /// All credit to the first touch.
    FirstTouch = 0,
    /// All credit to the last touch.
    LastTouch = 1,
    /// Equal credit to every touch.
    Linear = 2,
    /// Credit by 0.5^(Δt / half-life).
    TimeDecay = 3,
    /// U-shaped: first and last touch a fixed share each, the middle touches the rest.
    PositionBased = 4,
    /// Markov chain removal effects.
    Markov = 5,
    /// Shapley values over channel sets.
    Shapley = 6,
}

const _: () = assert!(size_of::<qudao_attribution_model>() == size_of::<u32>());

/// A model as its code.
pub(crate) fn model_code(m: Model) -> qudao_attribution_model {
    match m {
        Model::FirstTouch => qudao_attribution_model::FirstTouch,
        Model::LastTouch => qudao_attribution_model::LastTouch,
        Model::Linear => qudao_attribution_model::Linear,
        Model::TimeDecay => qudao_attribution_model::TimeDecay,
        Model::PositionBased => qudao_attribution_model::PositionBased,
        Model::Markov => qudao_attribution_model::Markov,
        Model::Shapley => qudao_attribution_model::Shapley,
    }
}

/// A model given by the host as a number.
pub(crate) fn model_arg(value: u32, name: &str) -> Result<Model, Failure> {
    Model::ALL
        .into_iter()
        .find(|&m| model_code(m) as u32 == value)
        .ok_or_else(|| Failure::invalid(name, format!("{value} is not a qudao_attribution_model")))
}

/// The settings behind an optional handle: the defaults for NULL.
///
/// # Safety
/// `settings` is NULL or a live reference.
unsafe fn settings_or_default(
    settings: *const qudao_attribution_settings,
    default: &AttributionSettings,
) -> &AttributionSettings {
    // SAFETY: NULL or live (the caller's contract).
    match unsafe { settings.as_ref() } {
        Some(s) => &s.inner,
        None => default,
    }
}

/// Parse and validate attribution settings (JSON, TOML or YAML; JSON Schema
/// `qudao_schema_json("attribution-settings")`, also
/// `schemas/attribution-settings.schema.json`). Every field but `schema_version` is
/// optional. Errors name the field path (`lookback_days`, `markov.order`,
/// `position.first`) and are `QUDAO_STATUS_DOCUMENT_ERROR`.
///
/// On success `*out` receives a new reference (free with `qudao_attribution_settings_free`).
/// Nullability: `doc` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `doc` is a valid `qudao_document`; `out` is valid for writing one pointer; `err` is NULL
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_attribution_settings_parse(
    doc: *const qudao_document,
    out: *mut *const qudao_attribution_settings,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [doc, out], {
        // SAFETY: `doc` is a valid document (the caller's contract).
        let (text, format) = unsafe { document::read(doc, "doc") }?;
        let inner = AttributionSettings::parse(text, format)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_attribution_settings { inner }) };
        Ok(())
    })
}

/// The default settings: 30-day lookback, expired touches as null journeys, first purchases
/// as conversions (data sets), 7-day half-life, 0.4 / 0.2 / 0.4 position weights, first-order
/// Markov with repeats collapsed, all seven models.
///
/// On success `*out` receives a new reference (free with `qudao_attribution_settings_free`).
/// Nullability: `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `out` is valid for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_attribution_settings_default(
    out: *mut *const qudao_attribution_settings,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [out], {
        let inner = AttributionSettings::default();
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_attribution_settings { inner }) };
        Ok(())
    })
}

/// The settings as a UTF-8 JSON document (it parses back with
/// `qudao_attribution_settings_parse`).
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `settings` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `settings` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_attribution_settings_json(
    settings: *const qudao_attribution_settings,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [settings, out], {
        // SAFETY: `settings` is live (the caller's contract).
        let json = to_json!(&unsafe { borrow(settings) }.inner)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// Add a reference to attribution settings and return it (the same pointer); NULL gives
/// NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `settings` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_attribution_settings_clone(
    settings: *const qudao_attribution_settings,
) -> *const qudao_attribution_settings {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(settings) } })
}

/// Release one reference to attribution settings. `qudao_attribution_settings_free(NULL)`
/// does nothing.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `settings` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_attribution_settings_free(
    settings: *const qudao_attribution_settings,
) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(settings) } })
}

/// Aggregated paths as host arrays (struct of arrays), for `qudao_journeys_from_paths`: the
/// form the ChannelAttribution package takes.
///
/// Every non-NULL array has `rows` elements. Money is in minor units.
///
/// Versioning: `struct_size` must be `sizeof(qudao_path_columns)`.
/// Ownership: the host owns the struct and every array; the library reads them during the
/// call and retains nothing after it returns.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_path_columns {
    /// `sizeof(qudao_path_columns)`.
    pub struct_size: u32,
    /// Number of paths.
    pub rows: usize,
    /// The paths: channel names separated by `>` (`a > b > c`; spaces around names are
    /// trimmed). Required.
    pub path: *const qudao_str,
    /// Conversions along the path (not negative). Required.
    pub conversions: *const i64,
    /// Conversion value, minor units (not negative; 0 without conversions). NULL: all 0.
    pub value: *const i64,
    /// Journeys along the path that did not convert (not negative). NULL: all 0.
    pub nulls: *const i64,
}

/// Touchpoints as host arrays (struct of arrays), for `qudao_journeys_from_touchpoints`.
///
/// Every non-NULL array has `rows` elements.
///
/// Versioning: `struct_size` must be `sizeof(qudao_touch_columns)`.
/// Ownership: the host owns the struct and every array; the library reads them during the
/// call and retains nothing after it returns.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_touch_columns {
    /// `sizeof(qudao_touch_columns)`.
    pub struct_size: u32,
    /// Number of touches.
    pub rows: usize,
    /// Customer ids. Required.
    pub customer: *const qudao_str,
    /// Times, seconds since 1970-01-01T00:00:00 of the data's own clock. Required.
    pub time: *const i64,
    /// Channel names. Required.
    pub channel: *const qudao_str,
    /// Cost of each touch, minor units (not negative). NULL: all 0.
    pub cost: *const i64,
}

/// Conversions as host arrays (struct of arrays), for `qudao_journeys_from_touchpoints`.
///
/// Every non-NULL array has `rows` elements.
///
/// Versioning: `struct_size` must be `sizeof(qudao_conversion_columns)`.
/// Ownership: the host owns the struct and every array; the library reads them during the
/// call and retains nothing after it returns.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_conversion_columns {
    /// `sizeof(qudao_conversion_columns)`.
    pub struct_size: u32,
    /// Number of conversions.
    pub rows: usize,
    /// Customer ids. Required.
    pub customer: *const qudao_str,
    /// Times, seconds since 1970-01-01T00:00:00 on the touches' clock. Required.
    pub time: *const i64,
    /// Conversion values, minor units (not negative). NULL: all 0.
    pub value: *const i64,
}

/// Read a host input struct whose first field is `struct_size`.
///
/// # Safety
/// `p` is non-NULL and points to at least `struct_size` readable bytes; `T` holds only
/// integers and pointers (valid for any bit pattern) and starts with a `u32` `struct_size`.
unsafe fn read_input<T: Copy>(p: *const T, name: &str, type_name: &str) -> Result<T, Failure> {
    // SAFETY: `p` is readable for its first field, a `u32` at offset 0 (the caller's
    // contract; every input struct is `repr(C)` and starts with `struct_size`).
    let size = unsafe { p.cast::<u32>().read_unaligned() };
    if size as usize != size_of::<T>() {
        return Err(Failure::invalid(
            name,
            format!(
                "struct_size is {size}, this library knows {type_name} of {} bytes; set \
                 struct_size = sizeof({type_name})",
                size_of::<T>()
            ),
        ));
    }
    // SAFETY: the struct is complete (size checked) and valid for any bit pattern.
    Ok(unsafe { p.read_unaligned() })
}

/// A required input column.
///
/// # Safety
/// `ptr` is NULL or points to `rows` readable values, valid for `'a`.
unsafe fn required<'a, T>(ptr: *const T, rows: usize, name: &str) -> Result<&'a [T], Failure> {
    if ptr.is_null() && rows > 0 {
        return Err(Failure::null(name));
    }
    // SAFETY: forwarded contract.
    unsafe { args::slice(ptr, rows, name) }
}

/// An optional input column (NULL: `None`).
///
/// # Safety
/// As for [`required`].
unsafe fn optional<'a, T>(
    ptr: *const T,
    rows: usize,
    name: &str,
) -> Result<Option<&'a [T]>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract.
    unsafe { args::slice(ptr, rows, name) }.map(Some)
}

/// The texts of a column of `qudao_str`.
///
/// # Safety
/// Each element's `ptr` points to its `len` readable bytes.
unsafe fn texts<'a>(col: &[qudao_str], name: &str) -> Result<Vec<&'a str>, Failure> {
    col.iter()
        .enumerate()
        // SAFETY: forwarded contract.
        .map(|(i, &s)| unsafe { args::str_of(s, &|| format!("{name}[{i}]")) })
        .collect()
}

/// Journeys from aggregated paths (`a > b > c` with conversions, value and nulls).
///
/// With `channels` (`channel_count` names), every channel a path names must be in that list,
/// which becomes the journey set's channel list (so channels without a path get a row of
/// zeros); with `channel_count` 0 the channels are those the paths name. Errors name the row
/// (1-based) and column and are `QUDAO_STATUS_DATA_ERROR`: an empty path, an empty channel
/// name (`a > > b`), an unknown channel, a negative count or value, a value without
/// conversions; a channel listed twice is `QUDAO_STATUS_INVALID_ARGUMENT`; a wrong
/// `struct_size` or a missing required array is `QUDAO_STATUS_INVALID_ARGUMENT` /
/// `_NULL_ARGUMENT`.
///
/// On success `*out` receives a new reference (free with `qudao_journeys_free`).
/// Nullability: `cols` and `out` must not be NULL; `channels` may be NULL only when
/// `channel_count` is 0; `err` may be NULL.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `cols` is a valid `qudao_path_columns` whose non-NULL arrays have `rows` readable
/// elements; `channels` has `channel_count` readable elements; every `qudao_str` points to
/// its readable bytes; `out` is valid for writing one pointer; `err` is NULL or valid for
/// writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_journeys_from_paths(
    cols: *const qudao_path_columns,
    channels: *const qudao_str,
    channel_count: usize,
    out: *mut *const qudao_journeys,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [cols, out], {
        // SAFETY: the struct, its arrays, the channel list and every text are readable (the
        // caller's contract; the same holds below).
        let c = unsafe { read_input(cols, "cols", "qudao_path_columns") }?;
        let n = c.rows;
        // SAFETY: see above.
        let path = unsafe { required(c.path, n, "cols->path") }?;
        // SAFETY: see above.
        let conversions = unsafe { required(c.conversions, n, "cols->conversions") }?;
        // SAFETY: see above.
        let value = unsafe { optional(c.value, n, "cols->value") }?;
        // SAFETY: see above.
        let nulls = unsafe { optional(c.nulls, n, "cols->nulls") }?;
        // SAFETY: see above.
        let path = unsafe { texts(path, "cols->path") }?;
        // SAFETY: see above.
        let channels = unsafe { args::slice(channels, channel_count, "channels") }?;
        // SAFETY: see above.
        let channels = unsafe { texts(channels, "channels") }?;
        let rows: Vec<PathRow<'_>> = (0..n)
            .map(|i| PathRow {
                path: path[i],
                conversions: conversions[i],
                value: value.map_or(0, |v| v[i]),
                nulls: nulls.map_or(0, |v| v[i]),
            })
            .collect();
        let fixed = (channel_count > 0).then_some(channels.as_slice());
        let inner = Journeys::from_paths(&rows, fixed)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_journeys { inner }) };
        Ok(())
    })
}

/// Journeys from touchpoints and conversions, with the lookback window and the rule for
/// expired touches of `settings` (NULL: the defaults, 30 days, null journeys).
///
/// Per customer, each conversion at time `T` ends a journey of the customer's touches not yet
/// used with `T − lookback ≤ time ≤ T`; unused older touches form a null journey (or are
/// dropped); touches after the last conversion form one null journey; a conversion without a
/// touch in its window is counted as unattributed (`qudao_journeys_json`, `stats`). Details:
/// `docs/attribution.md`.
///
/// Errors name the table (`touchpoints`, `conversions`), row (1-based) and column and are
/// `QUDAO_STATUS_DATA_ERROR`: an empty customer or channel, a negative cost or value; a
/// non-UTF-8 text names the array and index; a wrong `struct_size` or a missing required
/// array is `QUDAO_STATUS_INVALID_ARGUMENT` / `_NULL_ARGUMENT`.
/// On success `*out` receives a new reference (free with `qudao_journeys_free`).
/// Nullability: `touches`, `conversions` and `out` must not be NULL; `settings` and `err`
/// may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `touches` and `conversions` are valid structs whose non-NULL arrays have `rows` readable
/// elements, every `qudao_str` pointing to its readable bytes; `settings` is NULL or a live
/// reference; `out` is valid for writing one pointer; `err` is NULL or valid for writing one
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_journeys_from_touchpoints(
    touches: *const qudao_touch_columns,
    conversions: *const qudao_conversion_columns,
    settings: *const qudao_attribution_settings,
    out: *mut *const qudao_journeys,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [touches, conversions, out], {
        // SAFETY: the structs, their arrays, every text and the settings are readable (the
        // caller's contract; the same holds below).
        let t = unsafe { read_input(touches, "touches", "qudao_touch_columns") }?;
        // SAFETY: see above.
        let c = unsafe { read_input(conversions, "conversions", "qudao_conversion_columns") }?;
        // SAFETY: see above.
        let t_customer = unsafe { required(t.customer, t.rows, "touches->customer") }?;
        // SAFETY: see above.
        let t_time = unsafe { required(t.time, t.rows, "touches->time") }?;
        // SAFETY: see above.
        let t_channel = unsafe { required(t.channel, t.rows, "touches->channel") }?;
        // SAFETY: see above.
        let t_cost = unsafe { optional(t.cost, t.rows, "touches->cost") }?;
        // SAFETY: see above.
        let c_customer = unsafe { required(c.customer, c.rows, "conversions->customer") }?;
        // SAFETY: see above.
        let c_time = unsafe { required(c.time, c.rows, "conversions->time") }?;
        // SAFETY: see above.
        let c_value = unsafe { optional(c.value, c.rows, "conversions->value") }?;
        // SAFETY: see above.
        let t_customer = unsafe { texts(t_customer, "touches->customer") }?;
        // SAFETY: see above.
        let t_channel = unsafe { texts(t_channel, "touches->channel") }?;
        // SAFETY: see above.
        let c_customer = unsafe { texts(c_customer, "conversions->customer") }?;
        let touch_rows: Vec<TouchInput<'_>> = (0..t.rows)
            .map(|i| TouchInput {
                customer: t_customer[i],
                time: Timestamp(t_time[i]),
                channel: t_channel[i],
                cost: t_cost.map_or(0, |v| v[i]),
            })
            .collect();
        let conversion_rows: Vec<ConversionInput<'_>> = (0..c.rows)
            .map(|i| ConversionInput {
                customer: c_customer[i],
                time: Timestamp(c_time[i]),
                value: c_value.map_or(0, |v| v[i]),
            })
            .collect();
        let default = AttributionSettings::default();
        // SAFETY: see above.
        let settings = unsafe { settings_or_default(settings, &default) };
        let inner = Journeys::from_touchpoints(
            &touch_rows,
            &conversion_rows,
            &settings.journey_options(),
        )?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_journeys { inner }) };
        Ok(())
    })
}

/// Journeys of a data set: touches from its touchpoints (`touchpoints.csv`), conversions
/// from its orders by `settings`' `conversion` rule (first purchases by default, or every
/// order), with `settings`' lookback (NULL: the defaults). An order's time is the end of its
/// day, so a touch on the day of the purchase counts for it; its value is the sum of its sale
/// lines. The channel list is every channel of the master data.
///
/// On success `*out` receives a new reference (free with `qudao_journeys_free`).
/// Nullability: `ds` and `out` must not be NULL; `settings` and `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same data set.
///
/// # Safety
/// `ds` is a live reference; `settings` is NULL or a live reference; `out` is valid for
/// writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_journeys_from_dataset(
    ds: *const qudao_dataset,
    settings: *const qudao_attribution_settings,
    out: *mut *const qudao_journeys,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [ds, out], {
        let default = AttributionSettings::default();
        // SAFETY: `ds` is live and `settings` NULL or live (the caller's contract).
        let (ds, settings) = unsafe { (borrow(ds), settings_or_default(settings, &default)) };
        let inner = Journeys::from_dataset(&ds.inner, &settings.journey_options())?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, qudao_journeys { inner }) };
        Ok(())
    })
}

/// Add a reference to a journey set and return it (the same pointer); NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `journeys` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_journeys_clone(
    journeys: *const qudao_journeys,
) -> *const qudao_journeys {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(journeys) } })
}

/// Release one reference to a journey set. `qudao_journeys_free(NULL)` does nothing.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `journeys` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_journeys_free(journeys: *const qudao_journeys) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(journeys) } })
}

/// Number of distinct journeys (identical ones merged); 0 when `journeys` is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `journeys` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_journeys_len(journeys: *const qudao_journeys) -> usize {
    ffi!(default: 0, {
        // SAFETY: NULL or live (the caller's contract).
        unsafe { journeys.as_ref() }.map_or(0, |j| j.inner.len())
    })
}

/// The journey set as UTF-8 JSON: `channels` (in name order), `total_conversions`,
/// `total_value` (minor units), `total_nulls`, `stats` (`touches_read`, `conversions_read`,
/// `journeys_built`, `null_journeys`, `expired_touches`, `dropped_touches`,
/// `unattributed_conversions`, `unattributed_value`) and `paths` (each journey as `{"path":
/// "a > b", "conversions", "value", "nulls"}`, the form `qudao_journeys_from_paths` takes).
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `journeys` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `journeys` is a live reference; `out` is valid for writing one pointer; `err` is NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_journeys_json(
    journeys: *const qudao_journeys,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [journeys, out], {
        // SAFETY: `journeys` is live (the caller's contract).
        let j = &unsafe { borrow(journeys) }.inner;
        let json = to_json!(&serde_json::json!({
            "channels": j.channels(),
            "total_conversions": j.total_conversions(),
            "total_value": j.total_value(),
            "total_nulls": j.total_nulls(),
            "stats": json_value(serde_json::to_value(j.stats()))?,
            "paths": json_value(serde_json::to_value(j.to_path_records()))?,
        }))?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// Run the models `settings` names (NULL: the defaults, all seven) over a journey set.
///
/// A model that cannot run on these journeys (time decay on journeys built from paths,
/// which have no touch times; Shapley over more than 15 converting channels) is listed in
/// the result's `skipped` with the reason; other problems are errors (bad settings:
/// `QUDAO_STATUS_DOCUMENT_ERROR` naming the field).
/// On success `*out` receives a new reference (free with `qudao_attribution_free`).
/// Nullability: `journeys` and `out` must not be NULL; `settings` and `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same journeys.
///
/// # Safety
/// `journeys` is a live reference; `settings` is NULL or a live reference; `out` is valid
/// for writing one pointer; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_attribute(
    journeys: *const qudao_journeys,
    settings: *const qudao_attribution_settings,
    out: *mut *const qudao_attribution,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [journeys, out], {
        let default = AttributionSettings::default();
        // SAFETY: `journeys` is live and `settings` NULL or live (the caller's contract).
        let (j, settings) =
            unsafe { (borrow(journeys), settings_or_default(settings, &default)) };
        let result = qudao_attribution::new(attribute(&j.inner, settings)?)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { hand_out(out, result) };
        Ok(())
    })
}

/// Add a reference to an attribution and return it (the same pointer); NULL gives NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `attribution` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_attribution_clone(
    attribution: *const qudao_attribution,
) -> *const qudao_attribution {
    // SAFETY: the caller's contract.
    ffi!(default: std::ptr::null(), { unsafe { clone_handle(attribution) } })
}

/// Release one reference to an attribution. `qudao_attribution_free(NULL)` does nothing;
/// text borrowed through it is invalid once the last reference is gone.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `attribution` is NULL or a live reference, not used afterwards by its holder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_attribution_free(attribution: *const qudao_attribution) {
    // SAFETY: the caller's contract.
    ffi!(default: (), { unsafe { free_handle(attribution) } })
}

/// Number of rows of `qudao_attribution_columns`: one per model that ran and channel; 0 when
/// `attribution` is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `attribution` is NULL or a live reference.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_attribution_len(attribution: *const qudao_attribution) -> usize {
    ffi!(default: 0, {
        // SAFETY: NULL or live (the caller's contract).
        unsafe { attribution.as_ref() }.map_or(0, |a| a.rows.len())
    })
}

/// The whole attribution as UTF-8 JSON: `channels`, `total_conversions`, `total_value`
/// (minor units), `total_nulls`, `journeys` (the journey statistics), `models` (per model
/// that ran: `model`, `explanation`, `total_conversions`, `total_value` and `channels`, each
/// with `channel`, `conversions`, `value`, `touches`, `basis`, `value_basis`), `markov` (as
/// `qudao_attribution_markov_json`, or null), `shapley` (`players`, `values`, or null) and
/// `skipped` (`model`, `reason`). Decimals are exact decimal strings; attributed conversions
/// have 6 decimals and add up exactly to the total, as values do.
///
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `attribution` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `attribution` is a live reference; `out` is valid for writing one pointer; `err` is NULL
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_attribution_json(
    attribution: *const qudao_attribution,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [attribution, out], {
        // SAFETY: `attribution` is live (the caller's contract).
        let json = to_json!(&unsafe { borrow(attribution) }.inner)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// The Markov chain of an attribution as UTF-8 JSON: `order`, `repeats`, `states` (`start`,
/// the channel states with their names, `conversion`, `null`), `transitions` (the transition
/// matrix as its non-zero entries: `from`, `to`, `count`, `probability`),
/// `conversion_probability`, `expected_value`, `removals` (per channel `channel`,
/// `conversion_probability` and `expected_value` without it, `removal_effect`,
/// `value_removal_effect`) and `sweeps`. Probabilities and effects are exact decimal strings.
///
/// Errors: an attribution whose settings did not run the Markov model is
/// `QUDAO_STATUS_INVALID_ARGUMENT`.
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `attribution` and `out` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `attribution` is a live reference; `out` is valid for writing one pointer; `err` is NULL
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_attribution_markov_json(
    attribution: *const qudao_attribution,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [attribution, out], {
        // SAFETY: `attribution` is live (the caller's contract).
        let report = unsafe { borrow(attribution) }
            .inner
            .markov
            .as_ref()
            .ok_or_else(|| {
                Failure::invalid("attribution", "the Markov model did not run (see the settings' models)")
            })?;
        let json = to_json!(report)?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, json) };
        Ok(())
    })
}

/// Host arrays that `qudao_attribution_columns` fills, one element per model and channel
/// (struct of arrays). Leave an array NULL to skip its column.
///
/// Text columns receive `qudao_str` values borrowing UTF-8 bytes (not NUL-terminated) from
/// the attribution: valid while a reference to it lives; the host must not free them. Money
/// is in minor units.
///
/// Versioning: `struct_size` must be `sizeof(qudao_credit_columns)`.
/// Ownership: the host owns the struct and every array; the library writes the arrays during
/// the call and retains nothing.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_credit_columns {
    /// `sizeof(qudao_credit_columns)`.
    pub struct_size: u32,
    /// Elements in each array; must equal `qudao_attribution_len`.
    pub rows: usize,
    /// Model name: `first_touch`, `last_touch`, `linear`, `time_decay`, `position_based`,
    /// `markov` or `shapley`.
    pub model: *mut qudao_str,
    /// Model as a code.
    pub model_code: *mut qudao_attribution_model,
    /// Channel name.
    pub channel: *mut qudao_str,
    /// Attributed conversions as exact decimal text with 6 decimals (`2.400000`).
    pub conversions: *mut qudao_str,
    /// Attributed conversions × 1,000,000, exact (`2400000`).
    pub conversions_micro: *mut i64,
    /// Attributed value, minor units.
    pub value: *mut i64,
    /// Touches of the channel in converting journeys (each journey counted as often as it
    /// converted).
    pub touches: *mut u64,
    /// What the conversions were split by (share, removal effect or Shapley value), exact
    /// decimal text.
    pub basis: *mut qudao_str,
    /// What the value was split by, exact decimal text.
    pub value_basis: *mut qudao_str,
}

/// Copy the long table of an attribution into host arrays: each non-NULL array of `cols`
/// receives `cols->rows` elements, row `i` being the `i`-th (model, channel) pair, models in
/// the settings' order, channels in name order.
///
/// Errors: `cols->rows` other than `qudao_attribution_len` or a wrong `struct_size` are
/// `QUDAO_STATUS_INVALID_ARGUMENT`; then no array is written.
/// Nullability: `attribution` and `cols` must not be NULL; `err` may be.
/// Thread safety: may be called from any thread, concurrently on the same attribution.
///
/// # Safety
/// `attribution` is a live reference; `cols` is a valid `qudao_credit_columns` whose
/// non-NULL arrays have `rows` writable elements; `err` is NULL or valid for writing one
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_attribution_columns(
    attribution: *const qudao_attribution,
    cols: *const qudao_credit_columns,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [attribution, cols], {
        // SAFETY: `attribution` is live (the caller's contract); the text written out is
        // borrowed from it, which the host keeps alive (documented).
        let a = unsafe { borrow(attribution) };
        // SAFETY: `cols` is a valid struct (the caller's contract).
        let c = unsafe { read_columns(cols, "qudao_credit_columns") }?;
        let n = a.rows.len();
        check_rows(c.rows, n, "cols->rows")?;
        macro_rules! col {
            ($f:ident) => {
                OutArray::optional(c.$f, n, concat!("cols->", stringify!($f)))?
            };
        }
        let model = col!(model);
        let code = col!(model_code);
        let channel = col!(channel);
        let conversions = col!(conversions);
        let micro = col!(conversions_micro);
        let value = col!(value);
        let touches = col!(touches);
        let basis = col!(basis);
        let value_basis = col!(value_basis);
        for (r, row) in a.rows.iter().enumerate() {
            put!(model, r, text_of(row.model.as_str()));
            put!(code, r, model_code(row.model));
            put!(channel, r, text_of(&row.channel));
            put!(conversions, r, text_of(&row.conversions));
            put!(micro, r, row.conversions_micro);
            put!(value, r, row.value);
            put!(touches, r, row.touches);
            put!(basis, r, text_of(&row.basis));
            put!(value_basis, r, text_of(&row.value_basis));
        }
        Ok(())
    })
}
