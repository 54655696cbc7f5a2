//! The one way into the library: status codes, the failure type, and the entry macro every
//! `extern "C"` function goes through.
//!
//! [`ffi!`] runs the body under [`std::panic::catch_unwind`], checks the listed pointer
//! arguments for NULL, and on failure writes a new [`qudao_error`] to the optional `err`
//! out-param. A bug of ours becomes `QUDAO_STATUS_PANIC`, never an abort of the host.

use std::any::Any;
use std::fmt::Display;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::qudao_error;

/// The outcome of a fallible call. The numbers are part of the ABI: they are never changed or
/// reused, and new ones are only ever added at the end.
///
/// Thread safety: a plain value.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum qudao_status {
    /// Success: the out-params are written.
    Ok = 0,
    /// A pointer argument that must not be NULL was NULL (or a `(ptr, len)` pair had a NULL
    /// `ptr` with a non-zero `len`). The message names the argument.
    NullArgument = 1,
    /// Text given as `(ptr, len)` is not valid UTF-8. The message names the argument and the
    /// byte offset.
    InvalidUtf8 = 2,
    /// An argument is not acceptable (unknown enum value, wrong `struct_size`, unknown
    /// currency, …). The message names the argument.
    InvalidArgument = 3,
    /// A record of tabular data is bad, or a required column is missing. The message names
    /// the file (or table), line, column and value.
    DataError = 4,
    /// A document (such as master data JSON) is invalid or cannot be parsed. The message
    /// names the field path (`partners[3].territories[0]`) or the parser's line and column.
    DocumentError = 5,
    /// Reading a file or directory failed. The message names the path.
    IoError = 6,
    /// Money arithmetic left the range of 64-bit minor units.
    Overflow = 7,
    /// The library panicked (a bug in qudao). The call had no effect on the out-params; the
    /// library remains usable.
    Panic = 8,
    /// An error of a kind this version of the C binding does not classify more precisely.
    Other = 9,
}

/// Why a call failed: a status and a sentence for the user.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The status returned to the host.
    pub status: qudao_status,
    /// The message the host reads with `qudao_error_message`.
    pub message: String,
}

impl Failure {
    /// A failure with a status and message.
    pub fn new(status: qudao_status, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
        }
    }

    /// A NULL pointer where one is required.
    pub fn null(name: &str) -> Self {
        Failure::new(
            qudao_status::NullArgument,
            format!("argument `{name}` is NULL"),
        )
    }

    /// An unacceptable argument.
    pub fn invalid(name: &str, message: impl Display) -> Self {
        Failure::new(
            qudao_status::InvalidArgument,
            format!("invalid argument `{name}`: {message}"),
        )
    }
}

impl From<qudao_core::Error> for Failure {
    fn from(e: qudao_core::Error) -> Self {
        use qudao_core::Error as E;
        let status = match &e {
            E::Data { .. } | E::MissingColumn { .. } => qudao_status::DataError,
            E::Document { .. } | E::Parse { .. } => qudao_status::DocumentError,
            E::Io { .. } => qudao_status::IoError,
            E::Overflow { .. } => qudao_status::Overflow,
            E::InvalidArgument { .. } => qudao_status::InvalidArgument,
            // `qudao_core::Error` is non_exhaustive: a variant added to the core after this binding
            // was written still reaches the host, with its message.
            _ => qudao_status::Other,
        };
        Failure::new(status, e.to_string())
    }
}

/// The text of a panic payload.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

/// Run `f`, turning a panic into `on_panic`. The entry of infallible functions (accessors,
/// `_free`), which have no error out-param.
#[doc(hidden)]
pub fn guard<T>(on_panic: T, f: impl FnOnce() -> T) -> T {
    // A panic leaves nothing half-written that the host can see: out-params are written last,
    // and handles are immutable, so asserting unwind safety is sound.
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(on_panic)
}

/// Run `f`, turning its failure or panic into a status and, when `err` is not NULL, a new
/// `qudao_error` in `*err`. On success `*err` is set to NULL. The entry of fallible functions.
///
/// # Safety
/// `err` is NULL or valid for writing one pointer.
#[doc(hidden)]
pub unsafe fn run(
    err: *mut *mut qudao_error,
    f: impl FnOnce() -> Result<(), Failure>,
) -> qudao_status {
    let outcome = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(Failure::new(
            qudao_status::Panic,
            format!(
                "qudao panicked (this is a bug in qudao): {}",
                panic_message(payload.as_ref())
            ),
        )),
    };
    let (status, error) = match outcome {
        Ok(()) => (qudao_status::Ok, std::ptr::null_mut()),
        Err(failure) => (failure.status, qudao_error::into_raw(failure)),
    };
    if !err.is_null() {
        // SAFETY: `err` is not NULL and, by this function's contract, valid for writes.
        unsafe { err.write(error) };
    } else if !error.is_null() {
        // SAFETY: `error` was just made by `qudao_error::into_raw` and is owned by us.
        unsafe { qudao_error::free_raw(error) };
    }
    status
}

/// The entry of every `extern "C"` function.
///
/// - `ffi!(err: err, nonnull: [a, b], { body })` for fallible functions: checks each listed
///   pointer for NULL (`QUDAO_STATUS_NULL_ARGUMENT` naming it), runs `body` (which returns
///   `Result<(), Failure>`) under `catch_unwind`, writes `*err`, returns the status.
/// - `ffi!(default: value, { body })` for infallible ones: runs `body` under `catch_unwind`,
///   returning `value` if it panics.
macro_rules! ffi {
    (err: $err:ident, nonnull: [$($p:ident),* $(,)?], $body:block) => {{
        let checked = || -> ::core::result::Result<(), $crate::entry::Failure> {
            $(
                if $p.is_null() {
                    return Err($crate::entry::Failure::null(stringify!($p)));
                }
            )*
            $body
        };
        // SAFETY: every caller documents `err` as NULL or valid for writing one pointer.
        unsafe { $crate::entry::run($err, checked) }
    }};
    (default: $default:expr, $body:block) => {
        $crate::entry::guard($default, || $body)
    };
}
pub(crate) use ffi;
