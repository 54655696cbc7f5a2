//! Helpers the attribution and conflict tests share: calls with their errors, buffers, the
//! sample data set.

use std::ffi::CStr;
use std::path::PathBuf;
use std::ptr;

use crate::*;

pub(super) fn sample_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sample")
}

/// The status of a call and its error (status, message), freeing the error.
pub(super) fn call(
    f: impl FnOnce(*mut *mut qudao_error) -> qudao_status,
) -> (qudao_status, Option<(qudao_status, String)>) {
    let mut err: *mut qudao_error = ptr::null_mut();
    let status = f(&mut err);
    let e = if err.is_null() {
        None
    } else {
        // SAFETY: `err` is a live error from the library; freed right after reading.
        unsafe {
            let text = CStr::from_ptr(qudao_error_message(err, ptr::null_mut()))
                .to_str()
                .expect("UTF-8")
                .to_owned();
            let s = qudao_error_status(err);
            qudao_error_free(err);
            Some((s, text))
        }
    };
    assert_eq!(
        status == qudao_status::Ok,
        e.is_none(),
        "an error exactly on failure"
    );
    (status, e)
}

/// Expect success.
pub(super) fn ok(f: impl FnOnce(*mut *mut qudao_error) -> qudao_status) {
    let (s, e) = call(f);
    assert_eq!(s, qudao_status::Ok, "{e:?}");
}

/// Expect a failure of `status` whose message contains every needle.
pub(super) fn fails(
    status: qudao_status,
    needles: &[&str],
    f: impl FnOnce(*mut *mut qudao_error) -> qudao_status,
) {
    let (s, e) = call(f);
    let (es, m) = e.expect("an error");
    assert_eq!((s, es), (status, status), "{m}");
    for needle in needles {
        assert!(m.contains(needle), "{m:?} should contain {needle:?}");
    }
}

/// Read and free a bytes buffer as text.
pub(super) fn take_text(b: *mut qudao_bytes) -> String {
    assert!(!b.is_null());
    // SAFETY: `b` is a live buffer from the library; freed right after reading.
    unsafe {
        let bytes = std::slice::from_raw_parts(qudao_bytes_data(b), qudao_bytes_len(b)).to_vec();
        qudao_bytes_free(b);
        String::from_utf8(bytes).expect("UTF-8")
    }
}

pub(super) fn take_json(b: *mut qudao_bytes) -> serde_json::Value {
    serde_json::from_str(&take_text(b)).expect("JSON")
}

pub(super) fn load_sample() -> *const qudao_dataset {
    let dir = sample_dir();
    let dir = dir.to_str().expect("UTF-8 path");
    let mut ds: *const qudao_dataset = ptr::null();
    // SAFETY: valid text and out-params.
    ok(|err| unsafe {
        qudao_dataset_load_csv_dir(dir.as_ptr(), dir.len(), ptr::null(), &mut ds, err)
    });
    ds
}
