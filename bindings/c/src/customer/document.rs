//! Rule documents given as text in a format, and their JSON Schemas.

use qudao_core::document::{Format, RuleDocument};
use qudao_core::membership::TierScheme;
use qudao_core::segment::SegmentScheme;

use super::write_bytes;
use crate::args;
use crate::bytes::qudao_bytes;
use crate::entry::{Failure, ffi, qudao_status};
use crate::error::qudao_error;

/// The format of a document's text.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qudao_format {
    /// JSON.
    Json = 0,
    /// TOML.
    Toml = 1,
    /// YAML.
    Yaml = 2,
}

const _: () = assert!(size_of::<qudao_format>() == size_of::<u32>());

/// A rule document (segment scheme, tier scheme, …) given by the host: `len` bytes of UTF-8
/// at `text`, in `format`. Every document carries `schema_version`; errors name the field
/// path (`segments[3].when.r`).
///
/// Ownership: the host owns the struct and the text; read during the call, nothing
/// retained after it returns.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_document {
    /// The text; may be NULL only when `len` is 0.
    pub text: *const u8,
    /// Its length in bytes.
    pub len: usize,
    /// Its format.
    pub format: qudao_format,
}

/// Read a document's text and format.
///
/// # Safety
/// `doc` is non-NULL, readable as a `qudao_document`, and its text is `len` readable bytes.
pub(crate) unsafe fn read<'a>(
    doc: *const qudao_document,
    name: &str,
) -> Result<(&'a str, Format), Failure> {
    // SAFETY: `doc` is readable (the caller's contract); `format` is 4 bytes (asserted above)
    // read as `u32`, so any number the host put there is a valid value.
    let (text, len, format) = unsafe {
        (
            std::ptr::addr_of!((*doc).text).read_unaligned(),
            std::ptr::addr_of!((*doc).len).read_unaligned(),
            std::ptr::addr_of!((*doc).format)
                .cast::<u32>()
                .read_unaligned(),
        )
    };
    let format = match format {
        0 => Format::Json,
        1 => Format::Toml,
        2 => Format::Yaml,
        other => {
            return Err(Failure::invalid(
                &format!("{name}->format"),
                format!("{other} is not a qudao_format"),
            ));
        }
    };
    // SAFETY: the text is `len` readable bytes (the caller's contract).
    let text = unsafe { args::text(text, len, &format!("{name}->text")) }?;
    Ok((text, format))
}

/// The document kinds with a published JSON Schema: the name the host passes, and the
/// schema (also committed as `schemas/<name>.schema.json`).
type SchemaFn = fn() -> String;

const SCHEMAS: [(&str, SchemaFn); 11] = [
    (
        "rfm-segment-scheme",
        <SegmentScheme as RuleDocument>::json_schema,
    ),
    ("tier-scheme", <TierScheme as RuleDocument>::json_schema),
    (
        "rebate-program-book",
        <qudao_core::rebate::ProgramBook as RuleDocument>::json_schema,
    ),
    (
        "scorecard",
        <qudao_core::evaluation::scorecard::Scorecard as RuleDocument>::json_schema,
    ),
    (
        "onboarding-policy",
        <qudao_core::evaluation::onboarding::OnboardingPolicy as RuleDocument>::json_schema,
    ),
    (
        "grade-rules",
        <qudao_core::evaluation::grade::GradeRules as RuleDocument>::json_schema,
    ),
    (
        "bcg-options",
        <qudao_core::evaluation::bcg::BcgOptions as RuleDocument>::json_schema,
    ),
    (
        "warning-rules",
        <qudao_core::evaluation::alerts::WarningRules as RuleDocument>::json_schema,
    ),
    (
        "conflict-policy",
        <qudao_core::conflict::ConflictPolicy as RuleDocument>::json_schema,
    ),
    (
        "attribution-settings",
        <qudao_core::attribution::AttributionSettings as RuleDocument>::json_schema,
    ),
    (
        "budget-plan",
        <qudao_core::economics::BudgetPlan as RuleDocument>::json_schema,
    ),
];

/// The JSON Schema of a rule document kind, as UTF-8 JSON, for editors and validators that
/// check a document before it reaches the library. `kind` (`kind_len` bytes of UTF-8) is
/// `rfm-segment-scheme`, `tier-scheme`, `rebate-program-book`, `scorecard`,
/// `onboarding-policy`, `grade-rules`, `bcg-options`, `warning-rules`, `conflict-policy`,
/// `attribution-settings` or `budget-plan` (the names of the files in `schemas/`).
///
/// An unknown kind is `QUDAO_STATUS_INVALID_ARGUMENT` listing the known ones.
/// On success `*out` receives a new buffer the host frees with `qudao_bytes_free`.
/// Nullability: `kind` may be NULL only when `kind_len` is 0; `out` must not be NULL; `err`
/// may be NULL. Thread safety: may be called from any thread.
///
/// # Safety
/// `kind` points to `kind_len` readable bytes; `out` is valid for writing one pointer; `err`
/// is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_schema_json(
    kind: *const u8,
    kind_len: usize,
    out: *mut *mut qudao_bytes,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [out], {
        // SAFETY: `kind` is `kind_len` readable bytes (the caller's contract).
        let kind = unsafe { args::text(kind, kind_len, "kind") }?;
        let schema = SCHEMAS
            .iter()
            .find(|(name, _)| *name == kind)
            .map(|(_, schema)| schema())
            .ok_or_else(|| {
                let known: Vec<&str> = SCHEMAS.iter().map(|(n, _)| *n).collect();
                Failure::invalid(
                    "kind",
                    format!("{kind:?} is not a document kind; known: {}", known.join(", ")),
                )
            })?;
        // SAFETY: `out` is non-NULL and valid for writes (the caller's contract).
        unsafe { write_bytes(out, schema.into_bytes()) };
        Ok(())
    })
}

/// Check a tier scheme document (member tiers and points) without running it: parsing,
/// `schema_version`, and validation, with errors naming the field path
/// (`QUDAO_STATUS_DOCUMENT_ERROR`). `QUDAO_STATUS_OK` means the document is valid.
///
/// Nullability: `doc` must not be NULL; `err` may be. Thread safety: may be called from any
/// thread.
///
/// # Safety
/// `doc` is a valid `qudao_document`; `err` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_tier_scheme_validate(
    doc: *const qudao_document,
    err: *mut *mut qudao_error,
) -> qudao_status {
    ffi!(err: err, nonnull: [doc], {
        // SAFETY: `doc` is a valid document (the caller's contract).
        let (text, format) = unsafe { read(doc, "doc") }?;
        TierScheme::parse(text, format)?;
        Ok(())
    })
}
