//! `qudao_bytes`: a buffer the library allocates and the library frees.

use crate::entry::ffi;

/// A byte buffer made by the library (JSON text, for example).
///
/// Ownership: handed to the host through a `qudao_bytes **out` out-param; freed by the host
/// with `qudao_bytes_free`, exactly once — never with the host's `free()`.
/// Thread safety: immutable; may be read from any thread, freed from any one thread.
#[derive(Debug)]
pub struct qudao_bytes {
    /// The data followed by one NUL byte, not counted in the length.
    data: Vec<u8>,
}

impl qudao_bytes {
    /// Box a buffer (adding the trailing NUL) and hand out the pointer.
    pub(crate) fn into_raw(mut data: Vec<u8>) -> *mut qudao_bytes {
        data.push(0);
        Box::into_raw(Box::new(qudao_bytes { data }))
    }
}

/// The bytes of a buffer. They are followed by a NUL byte (not counted in
/// `qudao_bytes_len`), so text can be used as a C string.
///
/// Returns a pointer borrowed from `bytes`, valid until `qudao_bytes_free(bytes)`. Returns
/// NULL when `bytes` is NULL. Thread safety: may be called from any thread.
///
/// # Safety
/// `bytes` is NULL or a live buffer from this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_bytes_data(bytes: *const qudao_bytes) -> *const u8 {
    ffi!(default: std::ptr::null(), {
        // SAFETY: `bytes` is NULL or a live buffer (the caller's contract).
        match unsafe { bytes.as_ref() } {
            Some(b) => b.data.as_ptr(),
            None => std::ptr::null(),
        }
    })
}

/// The length of a buffer in bytes (without the trailing NUL); 0 when `bytes` is NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
/// `bytes` is NULL or a live buffer from this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_bytes_len(bytes: *const qudao_bytes) -> usize {
    ffi!(default: 0, {
        // SAFETY: `bytes` is NULL or a live buffer (the caller's contract).
        unsafe { bytes.as_ref() }.map_or(0, |b| b.data.len() - 1)
    })
}

/// Free a buffer. `qudao_bytes_free(NULL)` does nothing.
///
/// Ownership: takes `bytes`, which must have come from a `qudao_bytes **` out-param and not
/// have been freed before; pointers from `qudao_bytes_data` are invalid afterwards.
/// Thread safety: call from one thread, with no other thread using `bytes`.
///
/// # Safety
/// `bytes` is NULL or a live buffer from this library, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_bytes_free(bytes: *mut qudao_bytes) {
    ffi!(default: (), {
        if !bytes.is_null() {
            // SAFETY: `bytes` came from `Box::into_raw` in `qudao_bytes::into_raw` and is
            // freed once (the caller's contract).
            drop(unsafe { Box::from_raw(bytes) });
        }
    })
}
