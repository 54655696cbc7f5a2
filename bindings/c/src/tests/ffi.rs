//! The extern functions called from Rust: NULL arguments, error statuses and messages, panic
//! safety, round trips.

use std::ffi::CStr;
use std::path::PathBuf;
use std::ptr;

use crate::entry::{self, Failure};
use crate::*;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The status of a call and its error (status, message), freeing the error.
fn call(
    f: impl FnOnce(*mut *mut qudao_error) -> qudao_status,
) -> (qudao_status, Option<(qudao_status, String)>) {
    let mut err: *mut qudao_error = ptr::null_mut();
    let status = f(&mut err);
    let e = if err.is_null() {
        None
    } else {
        // SAFETY: `err` is a live error from the library; freed right after reading.
        unsafe {
            let mut len = 0usize;
            let msg = qudao_error_message(err, &mut len);
            let text = CStr::from_ptr(msg).to_str().expect("UTF-8").to_owned();
            assert_eq!(text.len(), len);
            let s = qudao_error_status(err);
            qudao_error_free(err);
            Some((s, text))
        }
    };
    (status, e)
}

/// Read and free a bytes buffer.
fn take_bytes(b: *mut qudao_bytes) -> String {
    // SAFETY: `b` is a live buffer from the library; freed right after reading.
    unsafe {
        let data = qudao_bytes_data(b);
        let len = qudao_bytes_len(b);
        let bytes = std::slice::from_raw_parts(data, len).to_vec();
        assert_eq!(*data.add(len), 0, "buffers are NUL-terminated");
        qudao_bytes_free(b);
        String::from_utf8(bytes).expect("UTF-8")
    }
}

fn load_dir(
    dir: &str,
    opts: *const qudao_load_options,
) -> Result<*const qudao_dataset, (qudao_status, String)> {
    let mut out: *const qudao_dataset = ptr::null();
    // SAFETY: valid text, options, out-param and error out-param.
    let (s, e) = call(|err| unsafe {
        qudao_dataset_load_csv_dir(dir.as_ptr(), dir.len(), opts, &mut out, err)
    });
    match s {
        qudao_status::Ok => {
            assert!(e.is_none());
            assert!(!out.is_null());
            Ok(out)
        }
        _ => {
            assert!(out.is_null(), "out-params are written only on success");
            let e = e.expect("an error");
            assert_eq!(e.0, s);
            Err(e)
        }
    }
}

fn tiny() -> String {
    repo_root()
        .join("testdata/tiny")
        .to_str()
        .expect("UTF-8 path")
        .to_owned()
}

fn summary(ds: *const qudao_dataset) -> serde_json::Value {
    let mut out: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: `ds` is live; valid out-param; no error out-param.
    let s = unsafe { qudao_dataset_summary_json(ds, &mut out, ptr::null_mut()) };
    assert_eq!(s, qudao_status::Ok);
    serde_json::from_str(&take_bytes(out)).expect("summary is JSON")
}

#[test]
fn load_tiny_and_summarise() {
    let ds = load_dir(&tiny(), ptr::null()).expect("tiny loads");
    // SAFETY: `ds` is live.
    assert_eq!(unsafe { qudao_dataset_transaction_count(ds) }, 10);
    let s = summary(ds);
    assert_eq!(s["totals"]["net_revenue"], 59_100);
    assert_eq!(s["totals"]["gross_sales"], 64_600);
    let mut out: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: `ds` is live; valid out-param.
    let st = unsafe { qudao_dataset_rejections_json(ds, &mut out, ptr::null_mut()) };
    assert_eq!(st, qudao_status::Ok);
    let r: serde_json::Value = serde_json::from_str(&take_bytes(out)).expect("JSON");
    assert_eq!(r["counts"], serde_json::json!({}));
    // SAFETY: the one reference is released once.
    unsafe { qudao_dataset_free(ds) };
}

#[test]
fn clone_and_free_count_references() {
    let ds = load_dir(&tiny(), ptr::null()).expect("tiny loads");
    // SAFETY: `ds` is live; each clone is released once, the original last.
    unsafe {
        let a = qudao_dataset_clone(ds);
        let b = qudao_dataset_clone(a);
        assert_eq!(a, ds);
        assert_eq!(b, ds);
        qudao_dataset_free(ds);
        qudao_dataset_free(a);
        assert_eq!(qudao_dataset_transaction_count(b), 10);
        qudao_dataset_free(b);
    }
}

#[test]
fn data_sets_are_shared_across_threads() {
    struct Handle(*const qudao_dataset);
    // SAFETY: `qudao_dataset` is immutable and reference counted atomically; the C API
    // documents it as shareable across threads.
    unsafe impl Send for Handle {}
    let ds = load_dir(&tiny(), ptr::null()).expect("tiny loads");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            // SAFETY: `ds` is live; the clone is moved to and released by the thread.
            let h = Handle(unsafe { qudao_dataset_clone(ds) });
            std::thread::spawn(move || {
                let h = h;
                let s = summary(h.0);
                // SAFETY: the thread's reference, released once.
                unsafe { qudao_dataset_free(h.0) };
                s["totals"]["net_revenue"].as_i64()
            })
        })
        .collect();
    // SAFETY: the main reference, released while the threads may still run.
    unsafe { qudao_dataset_free(ds) };
    for t in threads {
        assert_eq!(t.join().expect("thread"), Some(59_100));
    }
}

#[test]
fn missing_dir_is_an_io_error_naming_the_path() {
    let (s, m) = load_dir("/no/such/qudao/dir", ptr::null()).expect_err("fails");
    assert_eq!(s, qudao_status::IoError);
    assert!(m.contains("/no/such/qudao/dir"), "{m}");
}

#[test]
fn invalid_utf8_is_rejected() {
    let bad = [b'a', 0xff];
    let mut out: *const qudao_dataset = ptr::null();
    // SAFETY: two readable bytes; valid out-params.
    let (s, e) = call(|err| unsafe {
        qudao_dataset_load_csv_dir(bad.as_ptr(), 2, ptr::null(), &mut out, err)
    });
    assert_eq!(s, qudao_status::InvalidUtf8);
    assert!(e.expect("error").1.contains("`dir`"));
    assert!(out.is_null());
}

fn expect_null_argument(result: (qudao_status, Option<(qudao_status, String)>), name: &str) {
    let (s, e) = result;
    assert_eq!(s, qudao_status::NullArgument, "{name}");
    let (es, m) = e.expect("error");
    assert_eq!(es, qudao_status::NullArgument);
    assert!(m.contains(name), "{m} should name {name}");
}

#[test]
fn null_arguments_are_named() {
    let dir = tiny();
    let mut out: *const qudao_dataset = ptr::null();
    let mut bytes: *mut qudao_bytes = ptr::null_mut();
    let out_p: *mut *const qudao_dataset = &mut out;
    let bytes_p: *mut *mut qudao_bytes = &mut bytes;
    // SAFETY (all calls below): NULL is passed only where the function checks for it; every
    // other argument is valid.
    let load = |d: *const u8, n, o, err| {
        // SAFETY: see above.
        unsafe { qudao_dataset_load_csv_dir(d, n, ptr::null(), o, err) }
    };
    expect_null_argument(
        call(|err| load(dir.as_ptr(), dir.len(), ptr::null_mut(), err)),
        "`out`",
    );
    expect_null_argument(call(|err| load(ptr::null(), 3, out_p, err)), "`dir`");
    expect_null_argument(
        // SAFETY: see above.
        call(|err| unsafe {
            qudao_dataset_load_csv_files(ptr::null(), ptr::null(), 1, ptr::null(), out_p, err)
        }),
        "`tables`",
    );
    expect_null_argument(
        // SAFETY: see above.
        call(|err| unsafe {
            qudao_dataset_from_columns(ptr::null(), 0, ptr::null(), ptr::null(), out_p, err)
        }),
        "`cols`",
    );
    // SAFETY: see above.
    expect_null_argument(
        call(|err| unsafe { qudao_dataset_summary_json(ptr::null(), bytes_p, err) }),
        "`ds`",
    );
    // SAFETY: see above.
    expect_null_argument(
        call(|err| unsafe { qudao_dataset_rejections_json(ptr::null(), bytes_p, err) }),
        "`ds`",
    );
    let ds = load_dir(&dir, ptr::null()).expect("loads");
    // SAFETY: see above.
    expect_null_argument(
        call(|err| unsafe { qudao_dataset_summary_json(ds, ptr::null_mut(), err) }),
        "`out`",
    );
    // SAFETY: released once.
    unsafe { qudao_dataset_free(ds) };
    assert!(out.is_null());
    assert!(bytes.is_null());
}

#[test]
fn free_and_accessors_accept_null() {
    // SAFETY: every function documents NULL as accepted.
    unsafe {
        qudao_dataset_free(ptr::null());
        qudao_bytes_free(ptr::null_mut());
        qudao_error_free(ptr::null_mut());
        assert!(qudao_dataset_clone(ptr::null()).is_null());
        assert_eq!(qudao_dataset_transaction_count(ptr::null()), 0);
        assert_eq!(qudao_bytes_len(ptr::null()), 0);
        assert!(qudao_bytes_data(ptr::null()).is_null());
        assert_eq!(qudao_error_status(ptr::null()), qudao_status::Ok);
        assert_eq!(
            CStr::from_ptr(qudao_error_message(ptr::null(), ptr::null_mut())).to_bytes(),
            b""
        );
        qudao_load_options_init(ptr::null_mut());
    }
}

/// The layout of `qudao_load_options` with `mode` as a plain integer, to pass values no
/// `qudao_strictness` has.
#[repr(C)]
struct RawOptions {
    struct_size: u32,
    mode: u32,
    currency: *const u8,
    currency_len: usize,
}

#[test]
fn options_are_checked() {
    let dir = tiny();
    let size = size_of::<qudao_load_options>() as u32;
    let raw = |struct_size, mode, cur: &'static str| RawOptions {
        struct_size,
        mode,
        currency: cur.as_ptr(),
        currency_len: cur.len(),
    };
    for (opts, status, needle) in [
        (
            raw(size - 1, 0, ""),
            qudao_status::InvalidArgument,
            "struct_size",
        ),
        (
            raw(size, 7, ""),
            qudao_status::InvalidArgument,
            "7 is not a qudao_strictness",
        ),
        (raw(size, 0, "XYZ"), qudao_status::InvalidArgument, "XYZ"),
    ] {
        let (s, m) = load_dir(&dir, ptr::from_ref(&opts).cast()).expect_err("fails");
        assert_eq!(s, status);
        assert!(m.contains(needle), "{m}");
    }
    let ok = raw(size, 1, "CNY");
    let ds = load_dir(&dir, ptr::from_ref(&ok).cast()).expect("lenient CNY load");
    // SAFETY: released once.
    unsafe { qudao_dataset_free(ds) };

    let mut init = std::mem::MaybeUninit::<qudao_load_options>::uninit();
    // SAFETY: `init` is writable; it is fully initialised afterwards.
    let init = unsafe {
        qudao_load_options_init(init.as_mut_ptr());
        init.assume_init()
    };
    assert_eq!(init.struct_size, size);
    assert_eq!(init.mode, qudao_strictness::Strict);
    assert!(init.currency.is_null() && init.currency_len == 0);
}

const MASTER: &str = r#"{"currency": "CNY",
  "territories": [{"id": "CN", "level": "country"}],
  "channels": [{"id": "web", "kind": "direct", "presence": "online", "role": "main"}],
  "products": [{"id": "TEA", "category": "drinks", "list_price": "10.00"}]}"#;

fn s(text: &'static str) -> qudao_str {
    qudao_str {
        ptr: text.as_ptr(),
        len: text.len(),
    }
}

/// Owned columns for three lines: two sales and a return.
struct Cols {
    order: Vec<qudao_str>,
    line: Vec<u32>,
    date: Vec<i32>,
    customer: Vec<qudao_str>,
    channel: Vec<qudao_str>,
    product: Vec<qudao_str>,
    territory: Vec<qudao_str>,
    quantity: Vec<i64>,
    unit_price: Vec<i64>,
    amount: Vec<i64>,
    original_order: Vec<qudao_str>,
}

impl Cols {
    fn three() -> Cols {
        Cols {
            order: vec![s("O1"), s("O2"), s("R1")],
            line: vec![1, 1, 1],
            date: vec![20_090, 20_091, 20_092],
            customer: vec![s("C1"), s("C2"), s("C1")],
            channel: vec![s("web"); 3],
            product: vec![s("TEA"); 3],
            territory: vec![s("CN"); 3],
            quantity: vec![2, 3, -1],
            unit_price: vec![1000; 3],
            amount: vec![2000, 3000, -1000],
            original_order: vec![s(""), s(""), s("O1")],
        }
    }

    fn raw(&self) -> qudao_transaction_columns {
        qudao_transaction_columns {
            struct_size: size_of::<qudao_transaction_columns>() as u32,
            rows: self.order.len(),
            order: self.order.as_ptr(),
            line: self.line.as_ptr(),
            date: self.date.as_ptr(),
            customer: self.customer.as_ptr(),
            partner: ptr::null(),
            channel: self.channel.as_ptr(),
            product: self.product.as_ptr(),
            territory: self.territory.as_ptr(),
            kind: ptr::null(),
            quantity: self.quantity.as_ptr(),
            unit_price: self.unit_price.as_ptr(),
            amount: self.amount.as_ptr(),
            cost: ptr::null(),
            cost_valid: ptr::null(),
            original_order: self.original_order.as_ptr(),
        }
    }
}

fn from_columns(
    master: &str,
    cols: &qudao_transaction_columns,
    opts: *const qudao_load_options,
) -> Result<*const qudao_dataset, (qudao_status, String)> {
    let mut out: *const qudao_dataset = ptr::null();
    // SAFETY: valid text, columns (arrays of `rows` elements), options and out-params.
    let (st, e) = call(|err| unsafe {
        qudao_dataset_from_columns(master.as_ptr(), master.len(), cols, opts, &mut out, err)
    });
    if st == qudao_status::Ok {
        Ok(out)
    } else {
        assert!(out.is_null());
        Err(e.expect("error"))
    }
}

#[test]
fn from_columns_round_trip() {
    let c = Cols::three();
    let ds = from_columns(MASTER, &c.raw(), ptr::null()).expect("builds");
    // SAFETY: `ds` is live.
    assert_eq!(unsafe { qudao_dataset_transaction_count(ds) }, 3);
    let sum = summary(ds);
    assert_eq!(sum["totals"]["gross_sales"], 5000);
    assert_eq!(sum["totals"]["returns"], 1000);
    assert_eq!(sum["totals"]["net_revenue"], 4000);
    // SAFETY: released once.
    unsafe { qudao_dataset_free(ds) };

    // Zero rows with NULL arrays is an empty data set.
    let empty = qudao_transaction_columns {
        rows: 0,
        order: ptr::null(),
        ..c.raw()
    };
    let ds = from_columns(MASTER, &empty, ptr::null()).expect("empty builds");
    // SAFETY: `ds` is live, released once.
    unsafe {
        assert_eq!(qudao_dataset_transaction_count(ds), 0);
        qudao_dataset_free(ds);
    }
}

#[test]
fn from_columns_errors() {
    let mut c = Cols::three();
    // A document error names the field path.
    let (st, m) = from_columns(
        r#"{"channels": [{"id": "web", "kind": "nope", "presence": "online", "role": "main"}]}"#,
        &c.raw(),
        ptr::null(),
    )
    .expect_err("fails");
    assert_eq!(st, qudao_status::DocumentError);
    assert!(m.contains("channels[0].kind"), "{m}");

    // A syntax error is a document error too.
    let (st, _) = from_columns("{", &c.raw(), ptr::null()).expect_err("fails");
    assert_eq!(st, qudao_status::DocumentError);

    // An unknown product on row 2: table, row, column and value.
    c.product[1] = s("COFFEE");
    let (st, m) = from_columns(MASTER, &c.raw(), ptr::null()).expect_err("fails");
    assert_eq!(st, qudao_status::DataError);
    assert!(
        m.starts_with("transactions:2, column `product`, value \"COFFEE\""),
        "{m}"
    );

    // Lenient: set aside, the rest loads.
    let lenient = RawOptions {
        struct_size: size_of::<qudao_load_options>() as u32,
        mode: 1,
        currency: ptr::null(),
        currency_len: 0,
    };
    let ds =
        from_columns(MASTER, &c.raw(), ptr::from_ref(&lenient).cast()).expect("lenient builds");
    // SAFETY: `ds` is live, released once.
    unsafe {
        assert_eq!(qudao_dataset_transaction_count(ds), 2);
        qudao_dataset_free(ds);
    }
    c.product[1] = s("TEA");

    // A kind that is neither 0 nor 1.
    let kinds = [0u8, 2, 1];
    let (st, m) = from_columns(
        MASTER,
        &qudao_transaction_columns {
            kind: kinds.as_ptr(),
            ..c.raw()
        },
        ptr::null(),
    )
    .expect_err("fails");
    assert_eq!(st, qudao_status::DataError);
    assert!(m.contains("column `kind`"), "{m}");

    // A return of more than was sold.
    c.quantity[2] = -5;
    c.amount[2] = -5000;
    let (st, m) = from_columns(MASTER, &c.raw(), ptr::null()).expect_err("fails");
    assert_eq!(st, qudao_status::DataError);
    assert!(m.contains("transactions:3"), "{m}");
    c.quantity[2] = -1;
    c.amount[2] = -1000;

    // A wrong struct size.
    let (st, m) = from_columns(
        MASTER,
        &qudao_transaction_columns {
            struct_size: 8,
            ..c.raw()
        },
        ptr::null(),
    )
    .expect_err("fails");
    assert_eq!(st, qudao_status::InvalidArgument);
    assert!(m.contains("struct_size"), "{m}");

    // A NULL required array with rows > 0.
    let (st, m) = from_columns(
        MASTER,
        &qudao_transaction_columns {
            amount: ptr::null(),
            ..c.raw()
        },
        ptr::null(),
    )
    .expect_err("fails");
    assert_eq!(st, qudao_status::NullArgument);
    assert!(m.contains("cols->amount"), "{m}");

    // A NULL pointer with a non-zero length inside a qudao_str.
    c.customer[0] = qudao_str {
        ptr: ptr::null(),
        len: 2,
    };
    let (st, m) = from_columns(MASTER, &c.raw(), ptr::null()).expect_err("fails");
    assert_eq!(st, qudao_status::NullArgument);
    assert!(m.contains("cols->customer[0]"), "{m}");
}

#[test]
fn panics_become_a_status_and_the_library_stays_usable() {
    let mut err: *mut qudao_error = ptr::null_mut();
    // SAFETY: `err` is valid for writes.
    let st = unsafe { entry::run(&mut err, || panic!("boom {}", 42)) };
    assert_eq!(st, qudao_status::Panic);
    // SAFETY: `err` is a live error, freed once.
    unsafe {
        assert_eq!(qudao_error_status(err), qudao_status::Panic);
        let m = CStr::from_ptr(qudao_error_message(err, ptr::null_mut()))
            .to_str()
            .expect("UTF-8");
        assert!(m.contains("boom 42"), "{m}");
        qudao_error_free(err);
    }
    // Without an error out-param the error is dropped, not leaked.
    // SAFETY: NULL is accepted for `err`.
    let st = unsafe { entry::run(ptr::null_mut(), || panic!("again")) };
    assert_eq!(st, qudao_status::Panic);
    assert_eq!(entry::guard(7, || panic!("infallible")), 7);
    // The library works after a panic.
    let ds = load_dir(&tiny(), ptr::null()).expect("still loads");
    // SAFETY: released once.
    unsafe { qudao_dataset_free(ds) };
}

#[test]
fn every_core_error_maps_to_a_status() {
    use qudao_core::{Error, Location};
    let loc = Location {
        source: "t.csv".into(),
        line: 3,
        column: None,
        value: None,
    };
    for (e, want) in [
        (Error::data(loc, "bad"), qudao_status::DataError),
        (
            Error::MissingColumn {
                source_name: "t.csv".into(),
                column: "id".into(),
                found: "x".into(),
            },
            qudao_status::DataError,
        ),
        (
            Error::document("a[0].b", "bad"),
            qudao_status::DocumentError,
        ),
        (
            Error::Parse {
                format: "json",
                message: "eof".into(),
            },
            qudao_status::DocumentError,
        ),
        (
            Error::Io {
                path: "/x".into(),
                source: std::io::Error::other("gone"),
            },
            qudao_status::IoError,
        ),
        (Error::overflow("sum"), qudao_status::Overflow),
        (
            Error::invalid_argument("n", "bad"),
            qudao_status::InvalidArgument,
        ),
    ] {
        let text = e.to_string();
        let f = Failure::from(e);
        assert_eq!(f.status, want, "{text}");
        assert_eq!(f.message, text);
    }
}

#[test]
fn status_numbers_never_change() {
    let all = [
        (qudao_status::Ok, 0),
        (qudao_status::NullArgument, 1),
        (qudao_status::InvalidUtf8, 2),
        (qudao_status::InvalidArgument, 3),
        (qudao_status::DataError, 4),
        (qudao_status::DocumentError, 5),
        (qudao_status::IoError, 6),
        (qudao_status::Overflow, 7),
        (qudao_status::Panic, 8),
        (qudao_status::Other, 9),
    ];
    for (s, n) in all {
        assert_eq!(s as u32, n, "{s:?}");
    }
    assert_eq!(qudao_strictness::Strict as u32, 0);
    assert_eq!(qudao_strictness::Lenient as u32, 1);
}

#[test]
fn load_csv_files_by_table() {
    let root = repo_root();
    let tables = [
        "channels",
        "territories",
        "partners",
        "products",
        "transactions",
        "dataset.toml",
    ];
    let paths: Vec<String> = tables
        .iter()
        .map(|t| {
            let file = if t.ends_with(".toml") {
                t.to_string()
            } else {
                format!("{t}.csv")
            };
            root.join("testdata/tiny")
                .join(file)
                .to_str()
                .expect("UTF-8")
                .to_owned()
        })
        .collect();
    let t: Vec<qudao_str> = tables
        .iter()
        .map(|t| qudao_str {
            ptr: t.as_ptr(),
            len: t.len(),
        })
        .collect();
    let p: Vec<qudao_str> = paths
        .iter()
        .map(|p| qudao_str {
            ptr: p.as_ptr(),
            len: p.len(),
        })
        .collect();
    let mut out: *const qudao_dataset = ptr::null();
    // SAFETY: `t` and `p` hold `tables.len()` valid strings; valid out-params.
    let (st, e) = call(|err| unsafe {
        qudao_dataset_load_csv_files(t.as_ptr(), p.as_ptr(), t.len(), ptr::null(), &mut out, err)
    });
    assert_eq!(st, qudao_status::Ok, "{e:?}");
    // SAFETY: `out` is live, released once.
    unsafe {
        assert_eq!(qudao_dataset_transaction_count(out), 10);
        qudao_dataset_free(out);
    }
    // The same table twice.
    let t2 = [t[0], t[0]];
    let p2 = [p[0], p[0]];
    // SAFETY: as above.
    let (st, e) = call(|err| unsafe {
        qudao_dataset_load_csv_files(t2.as_ptr(), p2.as_ptr(), 2, ptr::null(), &mut out, err)
    });
    assert_eq!(st, qudao_status::InvalidArgument);
    assert!(e.expect("error").1.contains("twice"));
}

fn sample(seed: u64, lines: usize) -> Result<*const qudao_dataset, (qudao_status, String)> {
    let mut out: *const qudao_dataset = ptr::null();
    // SAFETY: valid out-params.
    let (st, e) = call(|err| unsafe { qudao_dataset_sample(seed, lines, &mut out, err) });
    if st == qudao_status::Ok {
        Ok(out)
    } else {
        assert!(out.is_null());
        Err(e.expect("error"))
    }
}

#[test]
fn sample_is_deterministic() {
    let a = sample(7, 2_000).expect("sample");
    let b = sample(7, 2_000).expect("sample");
    let c = sample(8, 2_000).expect("sample");
    // SAFETY: live handles.
    assert_eq!(unsafe { qudao_dataset_transaction_count(a) }, 2_000);
    assert_eq!(summary(a), summary(b));
    assert_ne!(summary(a), summary(c));
    // SAFETY: each released once.
    unsafe {
        qudao_dataset_free(a);
        qudao_dataset_free(b);
        qudao_dataset_free(c);
    }
    let (st, m) = sample(1, usize::MAX).expect_err("too many lines");
    assert_eq!(st, qudao_status::InvalidArgument);
    assert!(m.contains("lines"), "{m}");
    let mut err: *mut qudao_error = ptr::null_mut();
    // SAFETY: NULL `out` is checked.
    let st = unsafe { qudao_dataset_sample(1, 10, ptr::null_mut(), &mut err) };
    assert_eq!(st, qudao_status::NullArgument);
    // SAFETY: freed once.
    unsafe { qudao_error_free(err) };
}
