//! The customer functions called from Rust: results equal the core's, errors name what to
//! fix, out-params are written only on success, handles outlive what made them.

use std::ffi::CStr;
use std::path::PathBuf;
use std::ptr;

use qudao_core::Date;
use qudao_core::clv::predict::{
    BgNbd, ClvOptions, Customer, Customers, GammaGamma, PurchaseModel, clv_batch,
};
use qudao_core::customer::{CustomerOptions, CustomerSummary, Frequency, TimeUnit};
use qudao_core::ingest::csv::{LoadOptions, load_dir};
use qudao_core::rfm::{RfmRules, ScoreRule, analyze};
use qudao_core::segment::SegmentScheme;

use crate::customer::abc::qudao_abc_classify;
use crate::customer::clv::*;
use crate::customer::document::{
    qudao_document, qudao_format, qudao_schema_json, qudao_tier_scheme_validate,
};
use crate::customer::membership::*;
use crate::customer::rfm::*;
use crate::customer::*;
use crate::*;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn data_dir(name: &str) -> String {
    repo_root()
        .join("testdata")
        .join(name)
        .to_str()
        .expect("UTF-8 path")
        .to_owned()
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
fn ok(f: impl FnOnce(*mut *mut qudao_error) -> qudao_status) {
    let (s, e) = call(f);
    assert_eq!(s, qudao_status::Ok, "{e:?}");
}

/// Expect a failure of `status` whose message contains `needle`.
fn fails(
    status: qudao_status,
    needle: &str,
    f: impl FnOnce(*mut *mut qudao_error) -> qudao_status,
) {
    let (s, e) = call(f);
    let (es, m) = e.expect("an error");
    assert_eq!((s, es), (status, status), "{m}");
    assert!(m.contains(needle), "{m:?} should contain {needle:?}");
}

/// Read and free a bytes buffer as JSON.
fn take_json(b: *mut qudao_bytes) -> serde_json::Value {
    assert!(!b.is_null());
    // SAFETY: `b` is a live buffer from the library; freed right after reading.
    let text = unsafe {
        let bytes = std::slice::from_raw_parts(qudao_bytes_data(b), qudao_bytes_len(b)).to_vec();
        qudao_bytes_free(b);
        String::from_utf8(bytes).expect("UTF-8")
    };
    serde_json::from_str(&text).expect("JSON")
}

fn load(name: &str) -> *const qudao_dataset {
    let dir = data_dir(name);
    let mut ds: *const qudao_dataset = ptr::null();
    // SAFETY: valid text and out-params.
    ok(|err| unsafe {
        qudao_dataset_load_csv_dir(dir.as_ptr(), dir.len(), ptr::null(), &mut ds, err)
    });
    ds
}

fn day(text: &str) -> i32 {
    let mut d = 0i32;
    // SAFETY: valid text and out-params.
    ok(|err| unsafe { qudao_date_parse(text.as_ptr(), text.len(), &mut d, err) });
    d
}

fn options(as_of: &str, frequency: qudao_frequency) -> qudao_customer_options {
    let mut o = std::mem::MaybeUninit::<qudao_customer_options>::uninit();
    // SAFETY: valid for one write; initialised by it.
    let mut o = unsafe {
        qudao_customer_options_init(o.as_mut_ptr());
        o.assume_init()
    };
    o.as_of = day(as_of);
    o.frequency = frequency;
    o
}

fn compute(ds: *const qudao_dataset, o: &qudao_customer_options) -> *const qudao_customers {
    let mut c: *const qudao_customers = ptr::null();
    // SAFETY: live data set, valid options and out-params.
    ok(|err| unsafe { qudao_customers_compute(ds, o, &mut c, err) });
    assert!(!c.is_null());
    c
}

/// The core's own summary of the same data.
fn core_summary(
    name: &str,
    as_of: &str,
    frequency: Frequency,
) -> (qudao_core::Dataset, CustomerSummary) {
    let data = load_dir(data_dir(name).as_ref(), &LoadOptions::default()).expect("loads");
    let as_of: Date = as_of.parse().expect("date");
    let s =
        CustomerSummary::compute(&data, CustomerOptions::new(as_of, frequency)).expect("summary");
    (data, s)
}

fn empty_columns(rows: usize) -> qudao_customer_columns {
    qudao_customer_columns {
        struct_size: size_of::<qudao_customer_columns>() as u32,
        rows,
        first_day: ptr::null_mut(),
        last_day: ptr::null_mut(),
        recency_days: ptr::null_mut(),
        frequency: ptr::null_mut(),
        orders: ptr::null_mut(),
        lines: ptr::null_mut(),
        active_periods: ptr::null_mut(),
        monetary: ptr::null_mut(),
        margin: ptr::null_mut(),
        margin_valid: ptr::null_mut(),
        first_period_value: ptr::null_mut(),
        repeat_value: ptr::null_mut(),
        x: ptr::null_mut(),
        t_x: ptr::null_mut(),
        t: ptr::null_mut(),
    }
}

#[test]
fn dates_parse_to_day_numbers() {
    assert_eq!(day("1970-01-02"), 1);
    assert_eq!(
        day("2025-12-31"),
        Date::from_ymd(2025, 12, 31).expect("date").0
    );
    let mut d = -7i32;
    for bad in ["2025-02-30", "31/12/2025", "1899-12-31"] {
        // SAFETY: valid text and out-params.
        fails(qudao_status::InvalidArgument, bad, |err| unsafe {
            qudao_date_parse(bad.as_ptr(), bad.len(), &mut d, err)
        });
    }
    assert_eq!(d, -7, "out-params are written only on success");
}

#[test]
fn summary_columns_equal_the_core() {
    let ds = load("sample");
    let o = options("2025-12-31", qudao_frequency::DistinctOrders);
    let c = compute(ds, &o);
    // The summary keeps its data set alive.
    // SAFETY: the test's one reference, released once.
    unsafe { qudao_dataset_free(ds) };
    let (data, core) = core_summary("sample", "2025-12-31", Frequency::DistinctOrders);
    // SAFETY: `c` is live.
    let n = unsafe { qudao_customers_len(c) };
    assert_eq!(n, core.len());
    assert!(n > 100);
    let mut first = vec![0i32; n];
    let mut recency = vec![0i32; n];
    let mut frequency = vec![0u32; n];
    let mut monetary = vec![0i64; n];
    let mut margin = vec![0i64; n];
    let mut margin_valid = vec![9u8; n];
    let mut repeat = vec![0i64; n];
    let (mut x, mut t_x, mut t) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut cols = empty_columns(n);
    cols.first_day = first.as_mut_ptr();
    cols.recency_days = recency.as_mut_ptr();
    cols.frequency = frequency.as_mut_ptr();
    cols.monetary = monetary.as_mut_ptr();
    cols.margin = margin.as_mut_ptr();
    cols.margin_valid = margin_valid.as_mut_ptr();
    cols.repeat_value = repeat.as_mut_ptr();
    cols.x = x.as_mut_ptr();
    cols.t_x = t_x.as_mut_ptr();
    cols.t = t.as_mut_ptr();
    // SAFETY: every array has `n` elements.
    ok(|err| unsafe { qudao_customers_columns(c, &cols, err) });
    for r in 0..n {
        assert_eq!(first[r], core.first_day(r));
        assert_eq!(recency[r], core.recency_days(r));
        assert_eq!(frequency[r], core.orders(r));
        assert_eq!(monetary[r], core.monetary(r));
        assert_eq!((margin_valid[r] == 1).then_some(margin[r]), core.margin(r));
        assert_eq!(repeat[r], core.repeat_value(r));
        let (bx, btx, bt) = core.btyd(r);
        assert_eq!((x[r], t_x[r], t[r]), (f64::from(bx), btx, bt));
        let (mut id, mut len) = (ptr::null(), 0usize);
        // SAFETY: `c` is live; valid out-params.
        ok(|err| unsafe { qudao_customers_id(c, r, &mut id, &mut len, err) });
        // SAFETY: the id is `len` bytes borrowed from the live summary.
        let id = unsafe { std::slice::from_raw_parts(id, len) };
        assert_eq!(id, data.master.customers.id(core.code(r)).as_bytes());
    }
    let mut row: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: `c` is live; valid out-param.
    ok(|err| unsafe { qudao_customers_row_json(c, 3, &mut row, err) });
    // Compared through text, as the host reads it.
    let want = serde_json::to_string(&core.row(&data, 3)).expect("JSON");
    assert_eq!(
        take_json(row),
        serde_json::from_str::<serde_json::Value>(&want).expect("JSON")
    );
    let mut info: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: `c` is live; valid out-param.
    ok(|err| unsafe { qudao_customers_info_json(c, &mut info, err) });
    let info = take_json(info);
    assert_eq!(info["customers"], n);
    assert_eq!(info["options"]["frequency"], "distinct_orders");
    assert_eq!(info["options"]["as_of"], "2025-12-31");
    assert_eq!(info["currency"]["code"], "CNY");
    assert_eq!(
        info["only_returns"].as_array().map(Vec::len),
        Some(core.only_returns().len())
    );
    // SAFETY: the one reference, released once; clone/free count references.
    unsafe {
        let c2 = qudao_customers_clone(c);
        assert_eq!(c2, c);
        qudao_customers_free(c);
        assert_eq!(qudao_customers_len(c2), n);
        qudao_customers_free(c2);
    }
}

#[test]
fn frequency_and_units_follow_the_options() {
    let ds = load("sample");
    let mut o = options("2025-12-31", qudao_frequency::ActivePeriods);
    o.period = qudao_time_unit::Week;
    o.unit = qudao_time_unit::Day;
    let c = compute(ds, &o);
    let data = load_dir(data_dir("sample").as_ref(), &LoadOptions::default()).expect("loads");
    let mut core_opts = CustomerOptions::new(Date(o.as_of), Frequency::ActivePeriods);
    core_opts.period = TimeUnit::Week;
    core_opts.unit = TimeUnit::Day;
    let core = CustomerSummary::compute(&data, core_opts).expect("summary");
    // SAFETY: `c` is live.
    let n = unsafe { qudao_customers_len(c) };
    let (mut f, mut t) = (vec![0u32; n], vec![0.0f64; n]);
    let mut cols = empty_columns(n);
    cols.frequency = f.as_mut_ptr();
    cols.t = t.as_mut_ptr();
    // SAFETY: arrays of `n`.
    ok(|err| unsafe { qudao_customers_columns(c, &cols, err) });
    for r in 0..n {
        assert_eq!(f[r], core.active_periods(r));
        assert_eq!(t[r], core.btyd(r).2);
    }
    // SAFETY: released once each.
    unsafe {
        qudao_customers_free(c);
        qudao_dataset_free(ds);
    }
}

#[test]
fn bad_options_and_columns_are_named() {
    let ds = load("tiny");
    let mut out: *const qudao_customers = ptr::null();
    let base = options("2025-03-31", qudao_frequency::DistinctOrders);
    let try_opts = |o: &qudao_customer_options, out: &mut *const qudao_customers, needle: &str| {
        // SAFETY: live data set, readable options, valid out-params.
        fails(qudao_status::InvalidArgument, needle, |err| unsafe {
            qudao_customers_compute(ds, o, out, err)
        });
    };
    let mut o = base;
    o.frequency = qudao_frequency::Unset;
    try_opts(&o, &mut out, "opts->frequency");
    let mut o = base;
    o.struct_size = 4;
    try_opts(&o, &mut out, "struct_size");
    let mut o = base;
    o.as_of = 1_000_000;
    try_opts(&o, &mut out, "opts->as_of");
    // An enum value the header does not define, written as the host could.
    let mut o = base;
    // SAFETY: the field is 4 bytes; written as `u32`, never read as the Rust enum.
    unsafe { ptr::addr_of_mut!(o.unit).cast::<u32>().write(7) };
    try_opts(&o, &mut out, "opts->unit");
    // SAFETY: NULL where the function checks for it.
    fails(qudao_status::NullArgument, "`opts`", |err| unsafe {
        qudao_customers_compute(ds, ptr::null(), &mut out, err)
    });
    // SAFETY: as above.
    fails(qudao_status::NullArgument, "`ds`", |err| unsafe {
        qudao_customers_compute(ptr::null(), &base, &mut out, err)
    });
    assert!(out.is_null(), "out-params are written only on success");

    let c = compute(ds, &base);
    // SAFETY: `c` is live.
    let n = unsafe { qudao_customers_len(c) };
    assert_eq!(n, 6);
    let mut monetary = vec![-1i64; n];
    let mut margin = vec![-1i64; n];
    let mut cols = empty_columns(n + 1);
    cols.monetary = monetary.as_mut_ptr();
    // SAFETY: arrays of `n`; the call fails before writing.
    fails(qudao_status::InvalidArgument, "cols->rows", |err| unsafe {
        qudao_customers_columns(c, &cols, err)
    });
    cols.rows = n;
    cols.margin = margin.as_mut_ptr();
    // SAFETY: as above.
    fails(
        qudao_status::NullArgument,
        "cols->margin_valid",
        |err| unsafe { qudao_customers_columns(c, &cols, err) },
    );
    assert!(
        monetary.iter().all(|&v| v == -1),
        "nothing written on failure"
    );
    let (mut id, mut len) = (ptr::null(), 0usize);
    // SAFETY: `c` is live; valid out-params.
    fails(qudao_status::InvalidArgument, "row 6", |err| unsafe {
        qudao_customers_id(c, n, &mut id, &mut len, err)
    });
    assert!(id.is_null());
    // SAFETY: released once each; NULL accepted.
    unsafe {
        qudao_customers_free(c);
        qudao_customers_free(ptr::null());
        assert_eq!(qudao_customers_len(ptr::null()), 0);
        assert!(qudao_customers_clone(ptr::null()).is_null());
        qudao_dataset_free(ds);
    }
}

fn builtin(id: &str) -> *const qudao_segment_scheme {
    let mut s: *const qudao_segment_scheme = ptr::null();
    // SAFETY: valid text and out-params.
    ok(|err| unsafe { qudao_segment_scheme_builtin(id.as_ptr(), id.len(), &mut s, err) });
    s
}

fn doc(text: &str, format: qudao_format) -> qudao_document {
    qudao_document {
        text: text.as_ptr(),
        len: text.len(),
        format,
    }
}

#[test]
fn rfm_equals_the_core() {
    let ds = load("sample");
    let c = compute(ds, &options("2025-12-31", qudao_frequency::DistinctOrders));
    let (_, core) = core_summary("sample", "2025-12-31", Frequency::DistinctOrders);
    let scheme = builtin("rfm-11");
    let rules = r#"{"recency": {"rule": "ordinal_rank", "bins": 5},
                    "frequency": {"rule": "value_breaks", "bins": 5},
                    "monetary": {"rule": "fixed", "thresholds": [10000, 50000, 100000, 200000]}}"#;
    let mut rfm: *const qudao_rfm = ptr::null();
    // SAFETY: live handles, readable rules, valid out-params.
    ok(|err| unsafe { qudao_rfm_analyze(c, rules.as_ptr(), rules.len(), scheme, &mut rfm, err) });
    let core_rules = RfmRules {
        recency: ScoreRule::OrdinalRank { bins: 5 },
        frequency: ScoreRule::ValueBreaks { bins: 5 },
        monetary: ScoreRule::Fixed {
            thresholds: vec![10_000, 50_000, 100_000, 200_000],
        },
    };
    let want = analyze(&core, &core_rules, &SegmentScheme::eleven_segment()).expect("rfm");
    // SAFETY: `rfm` is live.
    let n = unsafe { qudao_rfm_len(rfm) };
    assert_eq!(n, core.len());
    let (mut r, mut f, mut m, mut seg) = (vec![0u8; n], vec![0u8; n], vec![0u8; n], vec![0u16; n]);
    // SAFETY: arrays of `n`.
    ok(|err| unsafe {
        qudao_rfm_columns(
            rfm,
            r.as_mut_ptr(),
            f.as_mut_ptr(),
            m.as_mut_ptr(),
            seg.as_mut_ptr(),
            n,
            err,
        )
    });
    assert_eq!(
        (r, f, m, seg),
        (
            want.r.clone(),
            want.f.clone(),
            want.m.clone(),
            want.segment.clone()
        )
    );
    // SAFETY: `rfm` is live; ids are borrowed from it.
    unsafe {
        assert_eq!(qudao_rfm_segment_count(rfm), 11);
        let first = CStr::from_ptr(qudao_rfm_segment_id(rfm, 0));
        assert_eq!(first.to_str().ok(), Some(want.segments[0].id.as_str()));
        assert!(qudao_rfm_segment_id(rfm, 11).is_null());
    }
    let mut json: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handle, valid out-param.
    ok(|err| unsafe { qudao_rfm_segments_json(rfm, &mut json, err) });
    assert_eq!(
        take_json(json),
        serde_json::to_value(&want.segments).expect("JSON")
    );
    // SAFETY: as above.
    ok(|err| unsafe { qudao_rfm_summary_json(rfm, &mut json, err) });
    let summary = take_json(json);
    assert_eq!(summary["scheme"], "rfm-11");
    assert_eq!(
        summary["monetary"]["breaks"],
        serde_json::json!([10000, 50000, 100000, 200000])
    );
    assert_eq!(
        summary["recency"],
        serde_json::to_value(&want.recency).expect("JSON")
    );

    // Default rules: ordinal quintiles.
    let mut rfm2: *const qudao_rfm = ptr::null();
    // SAFETY: NULL rules with length 0.
    ok(|err| unsafe { qudao_rfm_analyze(c, ptr::null(), 0, scheme, &mut rfm2, err) });
    let want2 = analyze(
        &core,
        &RfmRules::default(),
        &SegmentScheme::eleven_segment(),
    )
    .expect("rfm");
    let mut seg2 = vec![0u16; n];
    // SAFETY: arrays of `n` or NULL.
    ok(|err| unsafe {
        qudao_rfm_columns(
            rfm2,
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            seg2.as_mut_ptr(),
            n,
            err,
        )
    });
    assert_eq!(seg2, want2.segment);
    // SAFETY: released once each.
    unsafe {
        qudao_rfm_free(rfm);
        qudao_rfm_free(rfm2);
        qudao_segment_scheme_free(scheme);
        qudao_customers_free(c);
        qudao_dataset_free(ds);
    }
}

#[test]
fn rfm_errors_name_the_rule() {
    let ds = load("tiny");
    let c = compute(ds, &options("2025-03-31", qudao_frequency::OrderLines));
    let four = builtin("rfm-4class");
    let mut rfm: *const qudao_rfm = ptr::null();
    let bad_field = r#"{"recency": {"rule": "ordinal_rank", "bins": 5}, "frequency": {"rule": "quantiles", "bins": 5}, "monetary": {"rule": "ordinal_rank", "bins": 5}}"#;
    // SAFETY: live handles, readable text, valid out-params.
    fails(qudao_status::DocumentError, "frequency", |err| unsafe {
        qudao_rfm_analyze(c, bad_field.as_ptr(), bad_field.len(), four, &mut rfm, err)
    });
    let three = r#"{"recency": {"rule": "ordinal_rank", "bins": 3}, "frequency": {"rule": "ordinal_rank", "bins": 5}, "monetary": {"rule": "ordinal_rank", "bins": 5}}"#;
    // SAFETY: as above.
    fails(qudao_status::InvalidArgument, "recency", |err| unsafe {
        qudao_rfm_analyze(c, three.as_ptr(), three.len(), four, &mut rfm, err)
    });
    // SAFETY: as above.
    fails(qudao_status::NullArgument, "`scheme`", |err| unsafe {
        qudao_rfm_analyze(c, ptr::null(), 0, ptr::null(), &mut rfm, err)
    });
    assert!(rfm.is_null());
    // SAFETY: released once each; NULL accepted.
    unsafe {
        assert_eq!(qudao_rfm_len(ptr::null()), 0);
        assert!(qudao_rfm_segment_id(ptr::null(), 0).is_null());
        qudao_rfm_free(ptr::null());
        qudao_segment_scheme_free(four);
        qudao_customers_free(c);
        qudao_dataset_free(ds);
    }
}

#[test]
fn segment_schemes_parse_validate_and_round_trip() {
    let toml = qudao_core::segment::RFM_4CLASS_TOML;
    let mut s: *const qudao_segment_scheme = ptr::null();
    // SAFETY: a valid document and out-params.
    ok(|err| unsafe { qudao_segment_scheme_parse(&doc(toml, qudao_format::Toml), &mut s, err) });
    let mut json: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handle; 0 is JSON.
    ok(|err| unsafe { qudao_segment_scheme_document(s, 0, &mut json, err) });
    let j = take_json(json);
    assert_eq!(j["id"], "rfm-4class");
    assert_eq!(j["segments"].as_array().map(Vec::len), Some(4));
    // The JSON form parses back.
    let text = j.to_string();
    // SAFETY: a valid document.
    ok(|err| unsafe { qudao_segment_scheme_validate(&doc(&text, qudao_format::Json), err) });
    // SAFETY: an unknown format number.
    fails(qudao_status::InvalidArgument, "format", |err| unsafe {
        qudao_segment_scheme_document(s, 9, &mut json, err)
    });
    // Drop the last segment: its cells are uncovered, and the error lists them.
    let mut short = j.clone();
    short["segments"].as_array_mut().expect("array").pop();
    let text = short.to_string();
    // SAFETY: a readable document.
    fails(qudao_status::DocumentError, "segments", |err| unsafe {
        qudao_segment_scheme_validate(&doc(&text, qudao_format::Json), err)
    });
    // A format number the header does not define.
    let mut d = doc(toml, qudao_format::Toml);
    // SAFETY: the field is 4 bytes, written as `u32`.
    unsafe { ptr::addr_of_mut!(d.format).cast::<u32>().write(5) };
    // SAFETY: a readable document.
    fails(qudao_status::InvalidArgument, "doc->format", |err| unsafe {
        qudao_segment_scheme_validate(&d, err)
    });
    let mut none: *const qudao_segment_scheme = ptr::null();
    // SAFETY: valid text and out-params.
    fails(
        qudao_status::InvalidArgument,
        "rfm-4class, rfm-11",
        |err| unsafe { qudao_segment_scheme_builtin("rfm-12".as_ptr(), 6, &mut none, err) },
    );
    assert!(none.is_null());
    // SAFETY: clone/free count references.
    unsafe {
        let s2 = qudao_segment_scheme_clone(s);
        qudao_segment_scheme_free(s);
        qudao_segment_scheme_free(s2);
    }
}

#[test]
fn schemas_are_the_committed_files() {
    for kind in ["rfm-segment-scheme", "tier-scheme"] {
        let mut out: *mut qudao_bytes = ptr::null_mut();
        // SAFETY: valid text and out-params.
        ok(|err| unsafe { qudao_schema_json(kind.as_ptr(), kind.len(), &mut out, err) });
        let file = repo_root()
            .join("schemas")
            .join(format!("{kind}.schema.json"));
        let committed: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file).expect("schema file"))
                .expect("JSON");
        assert_eq!(take_json(out), committed, "{kind}");
    }
    let mut out: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: valid text and out-params.
    fails(qudao_status::InvalidArgument, "tier-scheme", |err| unsafe {
        qudao_schema_json("abc".as_ptr(), 3, &mut out, err)
    });
    assert!(out.is_null());
}

#[test]
fn abc_classes_match_the_core() {
    let values = [10i64, 70, 1, 15, 4];
    let mut class_of = [9u8; 5];
    let mut out: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: arrays of 5; default scheme; valid out-params.
    ok(|err| unsafe {
        qudao_abc_classify(
            values.as_ptr(),
            ptr::null(),
            5,
            ptr::null(),
            0,
            class_of.as_mut_ptr(),
            &mut out,
            err,
        )
    });
    assert_eq!(class_of, [1, 0, 2, 0, 2]);
    let j = take_json(out);
    assert_eq!(j["total"], 100);
    assert_eq!(j["classes"][2]["cumulative_share"], "1");
    assert_eq!(j["classes"][0]["items"], 2);
    // Ties by the given key: the two 50s, key 1 before key 0.
    let tied = [50i64, 50];
    let keys = [1u32, 0];
    let scheme = r#"{"classes": [["A", "0.5"], ["B", "1"]]}"#;
    let mut c2 = [9u8; 2];
    // SAFETY: arrays of 2; readable scheme.
    ok(|err| unsafe {
        qudao_abc_classify(
            tied.as_ptr(),
            keys.as_ptr(),
            2,
            scheme.as_ptr(),
            scheme.len(),
            c2.as_mut_ptr(),
            &mut out,
            err,
        )
    });
    assert_eq!(c2, [1, 0]);
    assert_eq!(take_json(out)["classes"][1]["label"], "B");
    let bad = r#"{"classes": [["A", "0.9"], ["B", "0.8"]]}"#;
    // SAFETY: as above.
    fails(qudao_status::DocumentError, "classes[1]", |err| unsafe {
        qudao_abc_classify(
            tied.as_ptr(),
            ptr::null(),
            2,
            bad.as_ptr(),
            bad.len(),
            c2.as_mut_ptr(),
            &mut out,
            err,
        )
    });
    // SAFETY: NULL values with n > 0.
    fails(qudao_status::NullArgument, "`values`", |err| unsafe {
        qudao_abc_classify(
            ptr::null(),
            ptr::null(),
            2,
            ptr::null(),
            0,
            ptr::null_mut(),
            &mut out,
            err,
        )
    });
}

#[test]
fn membership_ledgers_and_errors() {
    let ds = load("tiny");
    let redeem = r#"[{"customer": "C1", "date": "2025-03-01", "points": 50, "reference": "R1"}]"#;
    let mut m: *const qudao_membership = ptr::null();
    // SAFETY: live data set; built-in scheme; readable text; valid out-params.
    ok(|err| unsafe {
        qudao_membership_run(
            ds,
            ptr::null(),
            redeem.as_ptr(),
            redeem.len(),
            day("2025-03-31"),
            &mut m,
            err,
        )
    });
    // SAFETY: `m` is live.
    let n = unsafe { qudao_membership_len(m) };
    assert_eq!(n, 7, "every customer of the master data, buyers or not");
    let (mut tier, mut balance, mut earned) = (vec![9u8; n], vec![0i64; n], vec![0i64; n]);
    let (mut redeemed, mut reversed) = (vec![0i64; n], vec![0i64; n]);
    let mut cols = qudao_member_columns {
        struct_size: size_of::<qudao_member_columns>() as u32,
        rows: n,
        tier: tier.as_mut_ptr(),
        supported_tier: ptr::null_mut(),
        balance: balance.as_mut_ptr(),
        earned: earned.as_mut_ptr(),
        redeemed: redeemed.as_mut_ptr(),
        expired: ptr::null_mut(),
        reversed: reversed.as_mut_ptr(),
        shortfall: ptr::null_mut(),
        basis: ptr::null_mut(),
    };
    // SAFETY: arrays of `n`.
    ok(|err| unsafe { qudao_membership_columns(m, &cols, err) });
    let (mut id, mut len) = (ptr::null(), 0usize);
    // SAFETY: live handle; valid out-params; the id is borrowed from `m`.
    let first = unsafe {
        ok(|err| qudao_membership_id(m, 0, &mut id, &mut len, err));
        std::str::from_utf8(std::slice::from_raw_parts(id, len)).expect("UTF-8")
    };
    assert_eq!(first, "C1");
    // C1 bought ¥215.00 (215 points), returned ¥25.00 of it (−25), redeemed 50.
    assert_eq!(
        (earned[0], reversed[0], redeemed[0], balance[0]),
        (215, 25, 50, 140)
    );
    // SAFETY: the tier id is borrowed from the live `m`.
    let tier0 = unsafe { CStr::from_ptr(qudao_membership_tier_id(m, usize::from(tier[0]))) };
    assert_eq!(tier0.to_str().ok(), Some("regular"));
    // SAFETY: live handle; out-of-range tier.
    unsafe {
        assert_eq!(qudao_membership_tier_count(m), 4);
        assert!(qudao_membership_tier_id(m, 4).is_null());
    }
    let mut json: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handle; valid out-param.
    ok(|err| unsafe { qudao_membership_summary_json(m, &mut json, err) });
    let s = take_json(json);
    assert_eq!(s["as_of"], "2025-03-31");
    assert_eq!(s["tiers"][3], "diamond");
    // SAFETY: as above.
    ok(|err| unsafe { qudao_membership_customer_json(m, 0, &mut json, err) });
    let c1 = take_json(json);
    assert_eq!(c1["state"]["balance"], 140);
    let kinds: Vec<&str> = c1["ledger"]
        .as_array()
        .expect("ledger")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"redeem") && kinds.contains(&"reverse"),
        "{kinds:?}"
    );
    cols.rows = n - 1;
    // SAFETY: the call fails before writing.
    fails(qudao_status::InvalidArgument, "cols->rows", |err| unsafe {
        qudao_membership_columns(m, &cols, err)
    });

    // A redemption larger than the balance is an error naming the customer.
    let greedy = r#"[{"customer": "C2", "date": "2025-03-01", "points": 5000, "reference": "X"}]"#;
    let mut m2: *const qudao_membership = ptr::null();
    let (s, e) = call(|err| {
        // SAFETY: as above.
        unsafe {
            qudao_membership_run(
                ds,
                ptr::null(),
                greedy.as_ptr(),
                greedy.len(),
                day("2025-03-31"),
                &mut m2,
                err,
            )
        }
    });
    assert_ne!(s, qudao_status::Ok);
    assert!(e.expect("error").1.contains("C2"));
    assert!(m2.is_null());
    // A scheme document error names the field path.
    let scheme =
        qudao_core::membership::DEFAULT_TOML.replace("window_days = 365", "window_days = 0");
    let d = doc(&scheme, qudao_format::Toml);
    // SAFETY: a readable document.
    fails(qudao_status::DocumentError, "window_days", |err| unsafe {
        qudao_tier_scheme_validate(&d, err)
    });
    // SAFETY: as above.
    fails(qudao_status::DocumentError, "window_days", |err| unsafe {
        qudao_membership_run(ds, &d, ptr::null(), 0, day("2025-03-31"), &mut m2, err)
    });
    let good = doc(qudao_core::membership::DEFAULT_TOML, qudao_format::Toml);
    // SAFETY: a readable document.
    ok(|err| unsafe { qudao_tier_scheme_validate(&good, err) });
    let bad_json = r#"[{"customer": "C1", "date": "2025-13-01", "points": 5, "reference": "X"}]"#;
    // SAFETY: as above.
    fails(qudao_status::DocumentError, "[0].date", |err| unsafe {
        qudao_membership_run(
            ds,
            ptr::null(),
            bad_json.as_ptr(),
            bad_json.len(),
            day("2025-03-31"),
            &mut m2,
            err,
        )
    });
    // SAFETY: released once each.
    unsafe {
        qudao_membership_free(m);
        qudao_membership_free(ptr::null());
        qudao_dataset_free(ds);
    }
}

#[test]
fn membership_with_bonuses() {
    let ds = load("tiny");
    let redeem = r#"[{"customer": "C1", "date": "2025-03-01", "points": 50, "reference": "R1"}]"#;
    // Given out of order: "A" (−10) comes before "Q1" (+60) on the same day, by reference.
    let bonuses = r#"[{"customer": "C1", "date": "2025-03-31", "points": 60, "reference": "Q1"},
                      {"customer": "C1", "date": "2025-03-31", "points": -10, "reference": "A"}]"#;
    let mut m: *const qudao_membership = ptr::null();
    // SAFETY: live data set; built-in scheme; readable texts; valid out-params.
    ok(|err| unsafe {
        qudao_membership_run_with(
            ds,
            ptr::null(),
            redeem.as_ptr(),
            redeem.len(),
            bonuses.as_ptr(),
            bonuses.len(),
            day("2025-03-31"),
            &mut m,
            err,
        )
    });
    let mut json: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handle; valid out-param.
    ok(|err| unsafe { qudao_membership_customer_json(m, 0, &mut json, err) });
    let c1 = take_json(json);
    // 215 earned − 25 reversed − 50 redeemed − 10 + 60 in bonuses.
    assert_eq!(c1["state"]["bonus"], 50);
    assert_eq!(c1["state"]["balance"], 190);
    let bonus: Vec<(i64, &str)> = c1["ledger"]
        .as_array()
        .expect("ledger")
        .iter()
        .filter(|e| e["kind"] == "bonus")
        .filter_map(|e| Some((e["points"].as_i64()?, e["reference"].as_str()?)))
        .collect();
    assert_eq!(bonus, [(-10, "A"), (60, "Q1")]);
    // SAFETY: released once.
    unsafe { qudao_membership_free(m) };

    // NULL bonuses with length 0 is qudao_membership_run.
    // SAFETY: as above.
    ok(|err| unsafe {
        qudao_membership_run_with(
            ds,
            ptr::null(),
            ptr::null(),
            0,
            ptr::null(),
            0,
            day("2025-03-31"),
            &mut m,
            err,
        )
    });
    // SAFETY: as above.
    ok(|err| unsafe { qudao_membership_customer_json(m, 0, &mut json, err) });
    assert_eq!(take_json(json)["state"]["bonus"], 0);
    // SAFETY: released once.
    unsafe { qudao_membership_free(m) };

    // Zero points and unknown customers name the bonuses row and column.
    let mut m2: *const qudao_membership = ptr::null();
    for (text, needle) in [
        (
            r#"[{"customer": "C1", "date": "2025-03-01", "points": 0, "reference": "Z"}]"#,
            "bonuses:1, column `points`",
        ),
        (
            r#"[{"customer": "C1", "date": "2025-03-01", "points": 1, "reference": "ok"},
                {"customer": "NOPE", "date": "2025-03-01", "points": 1, "reference": "Z"}]"#,
            "bonuses:2, column `customer`",
        ),
    ] {
        // SAFETY: as above.
        fails(qudao_status::DataError, needle, |err| unsafe {
            qudao_membership_run_with(
                ds,
                ptr::null(),
                ptr::null(),
                0,
                text.as_ptr(),
                text.len(),
                day("2025-03-31"),
                &mut m2,
                err,
            )
        });
    }
    let bad = r#"[{"customer": "C1", "date": "2025-03-01", "points": "many", "reference": "Z"}]"#;
    // SAFETY: as above.
    fails(qudao_status::DocumentError, "[0].points", |err| unsafe {
        qudao_membership_run_with(
            ds,
            ptr::null(),
            ptr::null(),
            0,
            bad.as_ptr(),
            bad.len(),
            day("2025-03-31"),
            &mut m2,
            err,
        )
    });
    // SAFETY: bonuses NULL with a length is a NULL-argument error.
    fails(qudao_status::NullArgument, "bonuses_json", |err| unsafe {
        qudao_membership_run_with(
            ds,
            ptr::null(),
            ptr::null(),
            0,
            ptr::null(),
            3,
            day("2025-03-31"),
            &mut m2,
            err,
        )
    });
    assert!(m2.is_null());
    // SAFETY: released once.
    unsafe { qudao_dataset_free(ds) };
}

fn bgnbd_fhl() -> *const qudao_clv_model {
    let mut m: *const qudao_clv_model = ptr::null();
    // SAFETY: valid out-params.
    ok(|err| unsafe { qudao_clv_bgnbd_new(0.243, 4.414, 0.793, 2.426, &mut m, err) });
    m
}

#[test]
fn clv_predictions_equal_the_core() {
    let bg = bgnbd_fhl();
    let mut gg: *const qudao_clv_model = ptr::null();
    // SAFETY: valid out-params.
    ok(|err| unsafe { qudao_clv_gamma_gamma_new(6.25, 3.74, 15.44, &mut gg, err) });
    let (x, t_x, t) = ([2.0, 0.0, 5.0], [30.43, 0.0, 20.0], [38.86, 38.86, 38.0]);
    let mean = [22.35, 0.0, 40.0];
    let core = BgNbd::new(0.243, 4.414, 0.793, 2.426).expect("params");
    let rows = Customers {
        x: &x,
        t_x: &t_x,
        t: &t,
    };
    let mut out = [0.0f64; 3];
    // SAFETY: arrays of 3.
    ok(|err| unsafe {
        qudao_clv_expected_purchases(
            bg,
            39.0,
            x.as_ptr(),
            t_x.as_ptr(),
            t.as_ptr(),
            3,
            out.as_mut_ptr(),
            err,
        )
    });
    assert_eq!(
        out.to_vec(),
        core.conditional_expected_purchases_batch(39.0, &rows)
            .expect("core")
    );
    assert!((out[0] - 1.226).abs() < 5e-4, "FHL (2005) report 1.226");
    // SAFETY: as above.
    ok(|err| unsafe {
        qudao_clv_probability_alive(
            bg,
            x.as_ptr(),
            t_x.as_ptr(),
            t.as_ptr(),
            3,
            out.as_mut_ptr(),
            err,
        )
    });
    assert_eq!(
        out[0],
        core.probability_alive(&Customer::new(2.0, 30.43, 38.86).expect("row"))
            .expect("core")
    );
    let mut spend = [0.0f64; 3];
    // SAFETY: as above.
    ok(|err| unsafe {
        qudao_clv_expected_spend(gg, x.as_ptr(), mean.as_ptr(), 3, spend.as_mut_ptr(), err)
    });
    let core_gg = GammaGamma::new(6.25, 3.74, 15.44).expect("params");
    assert_eq!(
        spend.to_vec(),
        core_gg
            .conditional_expected_spend_batch(&x, &mean)
            .expect("core")
    );
    let mut opts = std::mem::MaybeUninit::<qudao_clv_options>::uninit();
    // SAFETY: initialised by the call.
    let opts = unsafe {
        qudao_clv_options_init(opts.as_mut_ptr());
        opts.assume_init()
    };
    assert_eq!(
        (opts.steps, opts.step, opts.discount_rate),
        (12, 4.345, 0.01)
    );
    // SAFETY: as above.
    ok(|err| unsafe {
        qudao_clv_value(
            bg,
            x.as_ptr(),
            t_x.as_ptr(),
            t.as_ptr(),
            spend.as_ptr(),
            3,
            &opts,
            out.as_mut_ptr(),
            err,
        )
    });
    assert_eq!(
        out.to_vec(),
        clv_batch(&core, &rows, &spend, &ClvOptions::monthly_in_weeks()).expect("core")
    );

    // Errors: the row is named; the model kind is checked; nothing is written.
    let bad_tx = [2.0, 0.0, 50.0];
    let mut untouched = [-1.0f64; 3];
    // SAFETY: arrays of 3.
    fails(qudao_status::InvalidArgument, "t_x[2]", |err| unsafe {
        qudao_clv_probability_alive(
            bg,
            x.as_ptr(),
            bad_tx.as_ptr(),
            t.as_ptr(),
            3,
            untouched.as_mut_ptr(),
            err,
        )
    });
    // SAFETY: as above.
    fails(qudao_status::InvalidArgument, "Gamma-Gamma", |err| unsafe {
        qudao_clv_probability_alive(
            gg,
            x.as_ptr(),
            t_x.as_ptr(),
            t.as_ptr(),
            3,
            untouched.as_mut_ptr(),
            err,
        )
    });
    // SAFETY: as above.
    fails(
        qudao_status::InvalidArgument,
        "purchase model",
        |err| unsafe {
            qudao_clv_expected_spend(
                bg,
                x.as_ptr(),
                mean.as_ptr(),
                3,
                untouched.as_mut_ptr(),
                err,
            )
        },
    );
    // SAFETY: as above.
    fails(qudao_status::NullArgument, "`out`", |err| unsafe {
        qudao_clv_probability_alive(
            bg,
            x.as_ptr(),
            t_x.as_ptr(),
            t.as_ptr(),
            3,
            ptr::null_mut(),
            err,
        )
    });
    let mut bad_opts = opts;
    bad_opts.steps = 0;
    // SAFETY: as above.
    fails(qudao_status::InvalidArgument, "steps", |err| unsafe {
        qudao_clv_value(
            bg,
            x.as_ptr(),
            t_x.as_ptr(),
            t.as_ptr(),
            spend.as_ptr(),
            3,
            &bad_opts,
            untouched.as_mut_ptr(),
            err,
        )
    });
    assert_eq!(untouched, [-1.0; 3]);
    let mut none: *const qudao_clv_model = ptr::null();
    // SAFETY: valid out-params.
    fails(qudao_status::InvalidArgument, "alpha", |err| unsafe {
        qudao_clv_bgnbd_new(0.2, -1.0, 0.7, 2.0, &mut none, err)
    });
    assert!(none.is_null());
    // SAFETY: released once each.
    unsafe {
        qudao_clv_model_free(bg);
        qudao_clv_model_free(gg);
        qudao_clv_model_free(ptr::null());
    }
}

#[test]
fn clv_fits_on_a_summary() {
    let ds = load("sample");
    let c = compute(ds, &options("2025-12-31", qudao_frequency::DistinctOrders));
    let (_, core) = core_summary("sample", "2025-12-31", Frequency::DistinctOrders);
    let want = qudao_core::clv::fit_bgnbd(
        &qudao_core::clv::BtydData::compress(core.btyd_rows()).expect("rows"),
    );
    let mut m: *const qudao_clv_model = ptr::null();
    // SAFETY: live summary; valid out-params.
    ok(|err| unsafe { qudao_clv_fit_bgnbd(c, &mut m, err) });
    let (mut kind, mut status, mut count) = (
        qudao_clv_model_kind::GammaGamma,
        qudao_fit_status::Given,
        0usize,
    );
    // SAFETY: live model; valid out-params.
    ok(|err| unsafe { qudao_clv_model_info(m, &mut kind, &mut status, &mut count, err) });
    assert_eq!((kind, count), (qudao_clv_model_kind::BgNbd, 4));
    assert_ne!(status, qudao_fit_status::Given);
    let (mut values, mut se, mut valid) = ([0.0f64; 4], [0.0f64; 4], [9u8; 4]);
    // SAFETY: arrays of 4.
    ok(|err| unsafe {
        qudao_clv_model_params(
            m,
            values.as_mut_ptr(),
            se.as_mut_ptr(),
            valid.as_mut_ptr(),
            4,
            err,
        )
    });
    let want_values: Vec<f64> = want.params.iter().map(|(_, v)| *v).collect();
    assert_eq!(values.to_vec(), want_values);
    for i in 0..4 {
        assert_eq!((valid[i] == 1).then_some(se[i]), want.std_errors[i]);
    }
    // SAFETY: wrong length; the call fails before writing.
    fails(qudao_status::InvalidArgument, "len", |err| unsafe {
        qudao_clv_model_params(
            m,
            values.as_mut_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
            3,
            err,
        )
    });
    let mut json: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live model; valid out-param.
    ok(|err| unsafe { qudao_clv_model_json(m, &mut json, err) });
    let j = take_json(json);
    assert_eq!(j["model"], "bg_nbd");
    assert_eq!(j["fit"], serde_json::to_value(&want).expect("JSON"));

    // Gamma-Gamma counts the repeat buyers it leaves out.
    let mut gg: *const qudao_clv_model = ptr::null();
    // SAFETY: as above.
    ok(|err| unsafe { qudao_clv_fit_gamma_gamma(c, &mut gg, err) });
    // SAFETY: as above.
    ok(|err| unsafe { qudao_clv_model_json(gg, &mut json, err) });
    let j = take_json(json);
    let (_, dropped) = core.spend_rows(100);
    assert_eq!(j["excluded_non_positive_spend"], dropped);
    assert_eq!(j["model"], "gamma_gamma");
    // Pareto/NBD on the tiny data set (its generic optimiser is slow in debug builds).
    let tiny = load("tiny");
    let small = compute(
        tiny,
        &options("2025-03-31", qudao_frequency::DistinctOrders),
    );
    let mut pn: *const qudao_clv_model = ptr::null();
    // SAFETY: as above.
    ok(|err| unsafe { qudao_clv_fit_pareto_nbd(small, &mut pn, err) });
    // SAFETY: as above.
    ok(|err| unsafe { qudao_clv_model_info(pn, &mut kind, ptr::null_mut(), ptr::null_mut(), err) });
    assert_eq!(kind, qudao_clv_model_kind::ParetoNbd);
    // SAFETY: released once each; models outlive the summary they came from.
    unsafe {
        qudao_customers_free(c);
        qudao_dataset_free(ds);
        qudao_customers_free(small);
        qudao_dataset_free(tiny);
        let m2 = qudao_clv_model_clone(m);
        qudao_clv_model_free(m);
        ok(|err| qudao_clv_model_json(m2, &mut json, err));
        qudao_bytes_free(json);
        qudao_clv_model_free(m2);
        qudao_clv_model_free(gg);
        qudao_clv_model_free(pn);
    }
}

#[test]
fn summaries_are_shared_across_threads() {
    struct Handle(*const qudao_customers);
    // SAFETY: `qudao_customers` is immutable and reference counted atomically.
    unsafe impl Send for Handle {}
    let ds = load("tiny");
    let c = compute(ds, &options("2025-03-31", qudao_frequency::DistinctOrders));
    // SAFETY: released once; the summary keeps the data set alive.
    unsafe { qudao_dataset_free(ds) };
    let threads: Vec<_> = (0..4)
        .map(|_| {
            // SAFETY: `c` is live; the clone is released by the thread.
            let h = Handle(unsafe { qudao_customers_clone(c) });
            std::thread::spawn(move || {
                let h = h;
                let mut monetary = [0i64; 6];
                let mut cols = empty_columns(6);
                cols.monetary = monetary.as_mut_ptr();
                // SAFETY: live reference; array of 6.
                ok(|err| unsafe { qudao_customers_columns(h.0, &cols, err) });
                // SAFETY: the thread's reference, released once.
                unsafe { qudao_customers_free(h.0) };
                monetary.iter().sum::<i64>()
            })
        })
        .collect();
    // SAFETY: the main reference, released while the threads may still run.
    unsafe { qudao_customers_free(c) };
    for t in threads {
        // Net revenue of the tiny data set.
        assert_eq!(t.join().expect("thread"), 59_100);
    }
}

#[test]
fn revenue_classes_equal_the_core() {
    use crate::customer::abc::*;
    use qudao_core::abc::{AbcScheme, Subject, revenue_classes};
    let ds = load("sample");
    let data = load_dir(data_dir("sample").as_ref(), &LoadOptions::default()).expect("loads");
    let (from, to) = (day("2025-01-01"), day("2025-12-31"));
    for (subject, core_subject) in [
        ("products", Subject::Product),
        ("partner", Subject::Partner),
        ("customer", Subject::Customer),
    ] {
        let mut abc: *const qudao_abc = ptr::null();
        // SAFETY: live data set; readable text and days; valid out-params.
        ok(|err| unsafe {
            qudao_abc_revenue_classes(
                ds,
                subject.as_ptr(),
                subject.len(),
                &from,
                &to,
                ptr::null(),
                0,
                &mut abc,
                err,
            )
        });
        let want = revenue_classes(
            &data,
            core_subject,
            Some(Date(from)),
            Some(Date(to)),
            &AbcScheme::default(),
        )
        .expect("core");
        // SAFETY: `abc` is live.
        let n = unsafe { qudao_abc_len(abc) };
        assert_eq!(n, want.ids.len(), "{subject}");
        let (mut revenue, mut class_of) = (vec![0i64; n], vec![9u8; n]);
        // SAFETY: arrays of `n`.
        ok(|err| unsafe {
            qudao_abc_columns(abc, revenue.as_mut_ptr(), class_of.as_mut_ptr(), n, err)
        });
        assert_eq!(
            (revenue, class_of),
            (want.revenue.clone(), want.abc.class_of.clone())
        );
        let (mut id, mut len) = (ptr::null(), 0usize);
        // SAFETY: live handle; the id is borrowed from it.
        let last = unsafe {
            ok(|err| qudao_abc_id(abc, n - 1, &mut id, &mut len, err));
            std::str::from_utf8(std::slice::from_raw_parts(id, len)).expect("UTF-8")
        };
        assert_eq!(last, want.ids[n - 1]);
        let mut json: *mut qudao_bytes = ptr::null_mut();
        // SAFETY: live handle; valid out-param.
        ok(|err| unsafe { qudao_abc_summary_json(abc, &mut json, err) });
        let j = take_json(json);
        assert_eq!(
            j["classes"],
            serde_json::to_value(&want.abc.classes).expect("JSON")
        );
        // SAFETY: released once.
        unsafe { qudao_abc_free(abc) };
    }
    let mut abc: *const qudao_abc = ptr::null();
    // SAFETY: readable text; NULL window.
    fails(
        qudao_status::InvalidArgument,
        "\"channels\"",
        |err| unsafe {
            qudao_abc_revenue_classes(
                ds,
                "channels".as_ptr(),
                8,
                ptr::null(),
                ptr::null(),
                ptr::null(),
                0,
                &mut abc,
                err,
            )
        },
    );
    let far = 1_000_000;
    // SAFETY: as above.
    fails(qudao_status::InvalidArgument, "`to`", |err| unsafe {
        qudao_abc_revenue_classes(
            ds,
            "product".as_ptr(),
            7,
            ptr::null(),
            &far,
            ptr::null(),
            0,
            &mut abc,
            err,
        )
    });
    assert!(abc.is_null());
    // SAFETY: released once; NULL accepted.
    unsafe {
        assert_eq!(qudao_abc_len(ptr::null()), 0);
        qudao_abc_free(ptr::null());
        qudao_dataset_free(ds);
    }
}
