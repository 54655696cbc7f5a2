//! C ABI for qudao.
//!
//! Opaque handles (`qudao_dataset` is reference counted and immutable, shareable across
//! threads; `qudao_bytes` and `qudao_error` are owned by the host until freed), status codes
//! with fixed numbers, results through out-params written only on success, and an optional
//! `qudao_error **` out-param with a message. Text comes in as `(const uint8_t *, size_t)`
//! and is validated as UTF-8. Every function catches panics.
//!
//! The header `include/qudao.h` is generated from this crate by cbindgen (see
//! `src/tests/header.rs`) and committed.
#![expect(
    non_camel_case_types,
    reason = "the C names of the types are the Rust names"
)]

mod args;
pub mod attribution;
mod bytes;
pub mod conflict;
pub mod customer;
mod dataset;
pub mod economics;
#[doc(hidden)]
pub mod entry;
mod error;
pub mod evaluation;
pub mod rebate;

use std::os::raw::c_char;

pub use args::{qudao_load_options, qudao_load_options_init, qudao_str, qudao_strictness};
pub use bytes::{qudao_bytes, qudao_bytes_data, qudao_bytes_free, qudao_bytes_len};
pub use dataset::{
    qudao_dataset, qudao_dataset_clone, qudao_dataset_free, qudao_dataset_from_columns,
    qudao_dataset_load_csv_dir, qudao_dataset_load_csv_files, qudao_dataset_rejections_json,
    qudao_dataset_sample, qudao_dataset_summary_json, qudao_dataset_transaction_count,
    qudao_transaction_columns,
};
pub use entry::qudao_status;
pub use error::{qudao_error, qudao_error_free, qudao_error_message, qudao_error_status};

/// The library version, `MAJOR.MINOR.PATCH`, as a static NUL-terminated string (never freed).
/// Compare with the `QUDAO_VERSION_*` macros of the header the host was compiled against.
///
/// Thread safety: may be called from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn qudao_version() -> *const c_char {
    const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(v) => v,
        Err(_) => panic!("version has a NUL"),
    };
    entry::ffi!(default: VERSION.as_ptr(), { VERSION.as_ptr() })
}

#[cfg(test)]
mod tests {
    mod attribution;
    mod conflict;
    mod customer;
    mod evaluation;
    mod ffi;
    mod header;
    mod rebate;
    mod support;
}
