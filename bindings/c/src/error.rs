//! `qudao_error`: the status and message of a failed call.

use std::os::raw::c_char;

use crate::entry::{Failure, ffi, qudao_status};

/// The error of a failed call: a status and a message naming what to fix (the argument, the
/// file and line, the field path).
///
/// Ownership: made by the library and handed to the host through a `qudao_error **err`
/// out-param; the host frees it with `qudao_error_free`, exactly once.
/// Thread safety: immutable; may be read from any thread, freed from any one thread.
#[derive(Debug)]
pub struct qudao_error {
    status: qudao_status,
    /// The message, UTF-8, followed by one NUL byte.
    message: Vec<u8>,
}

impl qudao_error {
    /// Box a failure and hand out the pointer.
    pub(crate) fn into_raw(f: Failure) -> *mut qudao_error {
        let mut message = f.message.replace('\0', "\u{fffd}").into_bytes();
        message.push(0);
        Box::into_raw(Box::new(qudao_error {
            status: f.status,
            message,
        }))
    }

    /// Free an error made by [`qudao_error::into_raw`].
    ///
    /// # Safety
    /// `e` came from `into_raw` and is not used afterwards.
    pub(crate) unsafe fn free_raw(e: *mut qudao_error) {
        // SAFETY: by the contract, `e` is a live pointer from `Box::into_raw`.
        drop(unsafe { Box::from_raw(e) });
    }
}

/// The status of an error; `QUDAO_STATUS_OK` when `err` is NULL.
///
/// Nullability: `err` may be NULL. Thread safety: may be called from any thread.
///
/// # Safety
/// `err` is NULL or a live error from this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_error_status(err: *const qudao_error) -> qudao_status {
    ffi!(default: qudao_status::Panic, {
        // SAFETY: `err` is NULL or a live error (the caller's contract).
        match unsafe { err.as_ref() } {
            Some(e) => e.status,
            None => qudao_status::Ok,
        }
    })
}

/// The message of an error: UTF-8 text, NUL-terminated, without interior NULs.
///
/// Returns a pointer borrowed from `err`, valid until `qudao_error_free(err)`; the host must
/// not free it. If `len` is not NULL, `*len` receives the length in bytes without the NUL.
/// When `err` is NULL, returns an empty static string.
///
/// Nullability: `err` and `len` may be NULL. Thread safety: may be called from any thread.
///
/// # Safety
/// `err` is NULL or a live error from this library; `len` is NULL or valid for writing one
/// `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_error_message(
    err: *const qudao_error,
    len: *mut usize,
) -> *const c_char {
    ffi!(default: c"".as_ptr(), {
        // SAFETY: `err` is NULL or a live error (the caller's contract).
        let (ptr, n) = match unsafe { err.as_ref() } {
            Some(e) => (e.message.as_ptr().cast::<c_char>(), e.message.len() - 1),
            None => (c"".as_ptr(), 0),
        };
        if !len.is_null() {
            // SAFETY: `len` is not NULL and valid for writes (the caller's contract).
            unsafe { len.write(n) };
        }
        ptr
    })
}

/// Free an error. `qudao_error_free(NULL)` does nothing.
///
/// Ownership: takes `err`, which must have come from a `qudao_error **` out-param and not have
/// been freed before; it and the message pointers borrowed from it are invalid afterwards.
/// Thread safety: call from one thread, with no other thread using `err`.
///
/// # Safety
/// `err` is NULL or a live error from this library, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_error_free(err: *mut qudao_error) {
    ffi!(default: (), {
        if !err.is_null() {
            // SAFETY: `err` is a live error handed out by this library (the caller's contract).
            unsafe { qudao_error::free_raw(err) };
        }
    })
}
