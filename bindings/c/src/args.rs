//! Reading host arguments: `(ptr, len)` text, host arrays, load options.

use qudao_core::Strictness;
use qudao_core::money::Currency;

use crate::entry::{Failure, qudao_status};

/// Borrowed UTF-8 text given by the host: `len` bytes at `ptr`, not NUL-terminated.
///
/// `ptr` may be NULL only when `len` is 0. The library reads the bytes during the call and
/// keeps nothing after it returns.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_str {
    /// The first byte; may be NULL when `len` is 0.
    pub ptr: *const u8,
    /// Number of bytes.
    pub len: usize,
}

/// How loading treats a bad record.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum qudao_strictness {
    /// The first bad record stops the load with `QUDAO_STATUS_DATA_ERROR` naming file, line,
    /// column and value. The default.
    Strict = 0,
    /// Bad records are set aside in the rejection report (`qudao_dataset_rejections_json`)
    /// and loading goes on.
    Lenient = 1,
}

/// Options of the loading functions. Pass NULL for the defaults, or fill one in with
/// `qudao_load_options_init` and change what you need.
///
/// Versioning: `struct_size` must be `sizeof(qudao_load_options)` as compiled by the host,
/// so later versions can add fields at the end without breaking hosts built against this
/// header.
/// Ownership: owned by the host; read during the call, nothing retained after it returns.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct qudao_load_options {
    /// `sizeof(qudao_load_options)`.
    pub struct_size: u32,
    /// Strict (default) or lenient.
    pub mode: qudao_strictness,
    /// ISO 4217 code (UTF-8, e.g. `CNY`) overriding the data set's currency, or NULL with
    /// `currency_len` 0 for none.
    pub currency: *const u8,
    /// Length of `currency` in bytes.
    pub currency_len: usize,
}

/// The options in core terms.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    pub mode: Strictness,
    pub currency: Option<Currency>,
}

/// A slice of `len` host values at `ptr`; `ptr` may be NULL only when `len` is 0.
///
/// # Safety
/// When `len > 0` and `ptr` is not NULL, `ptr` points to `len` initialised values that stay
/// valid and unmodified for `'a`.
pub(crate) unsafe fn slice<'a, T>(
    ptr: *const T,
    len: usize,
    name: &str,
) -> Result<&'a [T], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure::null(name));
    }
    if !ptr.is_aligned() {
        return Err(Failure::invalid(
            name,
            "pointer is not aligned for its element type",
        ));
    }
    if len
        .checked_mul(size_of::<T>())
        .is_none_or(|n| n > isize::MAX as usize)
    {
        return Err(Failure::invalid(name, format!("length {len} is too large")));
    }
    // SAFETY: non-NULL, aligned, size within `isize::MAX`; validity for `len` values is the
    // caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// UTF-8 text of `len` bytes at `ptr`.
///
/// # Safety
/// As for [`slice`].
pub(crate) unsafe fn text<'a>(ptr: *const u8, len: usize, name: &str) -> Result<&'a str, Failure> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { slice(ptr, len, name) }?;
    std::str::from_utf8(bytes).map_err(|e| {
        Failure::new(
            qudao_status::InvalidUtf8,
            format!(
                "argument `{name}` is not valid UTF-8 (at byte {})",
                e.valid_up_to()
            ),
        )
    })
}

/// The text of a `qudao_str`.
///
/// # Safety
/// As for [`slice`], for `s.ptr` and `s.len`.
pub(crate) unsafe fn str_of<'a>(
    s: qudao_str,
    name: &dyn Fn() -> String,
) -> Result<&'a str, Failure> {
    if s.len == 0 {
        return Ok("");
    }
    // SAFETY: forwarded contract.
    unsafe { text(s.ptr, s.len, &name()) }
}

/// Read load options; NULL means the defaults.
///
/// # Safety
/// `opts` is NULL or points to at least `opts->struct_size` readable bytes laid out as a
/// `qudao_load_options`.
pub(crate) unsafe fn options(opts: *const qudao_load_options) -> Result<Options, Failure> {
    if opts.is_null() {
        return Ok(Options::default());
    }
    // Fields are read one by one through raw pointers: the host may have put any number in
    // `mode`, which must not be read as a Rust enum before it is checked.
    // SAFETY: `opts` is non-NULL and readable for its first field (the caller's contract).
    let size = unsafe { std::ptr::addr_of!((*opts).struct_size).read_unaligned() };
    if size as usize != size_of::<qudao_load_options>() {
        return Err(Failure::invalid(
            "opts",
            format!(
                "struct_size is {size}, this library knows qudao_load_options of {} bytes; \
                 set struct_size = sizeof(qudao_load_options) or use qudao_load_options_init",
                size_of::<qudao_load_options>()
            ),
        ));
    }
    // SAFETY: the struct is complete (size checked); `mode` is a 4-byte field (asserted below),
    // read as `u32` so any value is valid.
    let mode = unsafe {
        std::ptr::addr_of!((*opts).mode)
            .cast::<u32>()
            .read_unaligned()
    };
    let mode = match mode {
        0 => Strictness::Strict,
        1 => Strictness::Lenient,
        other => {
            return Err(Failure::invalid(
                "opts->mode",
                format!("{other} is not a qudao_strictness"),
            ));
        }
    };
    // SAFETY: the struct is complete; pointers and sizes are valid for any bit pattern.
    let (ptr, len) = unsafe {
        (
            std::ptr::addr_of!((*opts).currency).read_unaligned(),
            std::ptr::addr_of!((*opts).currency_len).read_unaligned(),
        )
    };
    let currency = if len == 0 {
        None
    } else {
        // SAFETY: the host documents `currency` as `currency_len` readable bytes.
        let code = unsafe { text(ptr, len, "opts->currency") }?;
        Some(Currency::from_code(code).map_err(|e| Failure::invalid("opts->currency", e))?)
    };
    Ok(Options { mode, currency })
}

const _: () = assert!(size_of::<qudao_strictness>() == size_of::<u32>());

/// Fill `opts` with the defaults: `struct_size = sizeof(qudao_load_options)`, strict mode, no
/// currency override. Does nothing when `opts` is NULL.
///
/// Ownership: `opts` is owned by the host. Thread safety: may be called from any thread.
///
/// # Safety
/// `opts` is NULL or valid for writing one `qudao_load_options`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qudao_load_options_init(opts: *mut qudao_load_options) {
    crate::entry::ffi!(default: (), {
        if !opts.is_null() {
            // SAFETY: `opts` is non-NULL and valid for writing one struct (the caller's
            // contract); `write_unaligned` needs no alignment.
            unsafe {
                opts.write_unaligned(qudao_load_options {
                    struct_size: size_of::<qudao_load_options>() as u32,
                    mode: qudao_strictness::Strict,
                    currency: std::ptr::null(),
                    currency_len: 0,
                });
            }
        }
    })
}
