//! The evaluation functions called from Rust: KPI tables, scores, BCG, alerts, onboarding
//! and grade suggestions equal the core's; columns match the JSON; errors name the field
//! path or argument; out-params are written only on success.

use std::ffi::CStr;
use std::path::PathBuf;
use std::ptr;

use qudao_core::Dataset;
use qudao_core::document::RuleDocument;
use qudao_core::evaluation::alerts::{AlertInputs, WarningRules};
use qudao_core::evaluation::bcg::BcgOptions;
use qudao_core::evaluation::grade::{GradeInputs, GradeRules};
use qudao_core::evaluation::kpi::{Grain, KpiOptions, compute};
use qudao_core::evaluation::onboarding::OnboardingPolicy;
use qudao_core::evaluation::scorecard::Scorecard;
use qudao_core::evaluation::{Kpi, KpiTable, KpiValue, SubjectKind};
use qudao_core::ingest::csv::{LoadOptions, load_dir};

use crate::args::qudao_str;
use crate::customer::document::{qudao_document, qudao_format, qudao_schema_json};
use crate::evaluation::alerts::*;
use crate::evaluation::bcg::*;
use crate::evaluation::documents::*;
use crate::evaluation::scores::*;
use crate::evaluation::suggest::*;
use crate::evaluation::*;
use crate::*;

const MONTHLY: &str = r#"{"from": "2024-01-01", "to": "2026-01-01", "grain": "month",
  "kinds": ["partner", "channel"]}"#;
const QUARTERLY: &str = r#"{"from": "2024-01-01", "to": "2026-01-01", "grain": "quarter",
  "kinds": ["partner"]}"#;
const YEARLY: &str = r#"{"from": "2024-01-01", "to": "2026-01-01", "grain": "year",
  "kinds": ["channel"]}"#;

fn sample_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sample")
}

fn core_data() -> Dataset {
    load_dir(&sample_dir(), &LoadOptions::default()).expect("loads")
}

fn core_table(grain: Grain, kinds: Vec<SubjectKind>) -> KpiTable {
    let from = "2024-01-01".parse().expect("date");
    let to = "2026-01-01".parse().expect("date");
    let mut options = KpiOptions::new(from, to, grain);
    options.kinds = kinds;
    compute(&core_data(), &options).expect("kpis")
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

fn ok(f: impl FnOnce(*mut *mut qudao_error) -> qudao_status) {
    let (s, e) = call(f);
    assert_eq!(s, qudao_status::Ok, "{e:?}");
}

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

fn take_text(b: *mut qudao_bytes) -> String {
    assert!(!b.is_null());
    // SAFETY: `b` is a live buffer from the library; freed right after reading.
    unsafe {
        let bytes = std::slice::from_raw_parts(qudao_bytes_data(b), qudao_bytes_len(b)).to_vec();
        qudao_bytes_free(b);
        String::from_utf8(bytes).expect("UTF-8")
    }
}

fn take_json(b: *mut qudao_bytes) -> serde_json::Value {
    serde_json::from_str(&take_text(b)).expect("JSON")
}

/// The core's own JSON of a value, as the library writes it (compared as text: parsing
/// floats back may move them by one unit in the last place).
macro_rules! pretty {
    ($v:expr) => {
        serde_json::to_string_pretty($v).expect("serialises")
    };
}

macro_rules! json_of {
    ($v:expr) => {
        serde_json::to_value($v).expect("serialises")
    };
}

fn load_sample() -> *const qudao_dataset {
    let dir = sample_dir();
    let dir = dir.to_str().expect("UTF-8 path");
    let mut ds: *const qudao_dataset = ptr::null();
    // SAFETY: valid text and out-params.
    ok(|err| unsafe {
        qudao_dataset_load_csv_dir(dir.as_ptr(), dir.len(), ptr::null(), &mut ds, err)
    });
    ds
}

fn kpis(ds: *const qudao_dataset, options: &str) -> *const qudao_kpi_table {
    let mut t: *const qudao_kpi_table = ptr::null();
    // SAFETY: live handle, valid text and out-params.
    ok(|err| unsafe { qudao_kpi_compute(ds, options.as_ptr(), options.len(), &mut t, err) });
    assert!(!t.is_null());
    t
}

fn str_at(s: &qudao_str) -> &str {
    // SAFETY: the library wrote UTF-8 borrowed from a handle that lives through the test.
    unsafe { std::str::from_utf8(std::slice::from_raw_parts(s.ptr, s.len)).expect("UTF-8") }
}

fn empty_str() -> qudao_str {
    qudao_str {
        ptr: ptr::null(),
        len: 0,
    }
}

fn kpi_columns(rows: usize) -> qudao_kpi_columns {
    qudao_kpi_columns {
        struct_size: size_of::<qudao_kpi_columns>() as u32,
        rows,
        kind: ptr::null_mut(),
        kind_code: ptr::null_mut(),
        subject: ptr::null_mut(),
        period: ptr::null_mut(),
        kpi: ptr::null_mut(),
        value: ptr::null_mut(),
        value_valid: ptr::null_mut(),
        value_text: ptr::null_mut(),
        missing: ptr::null_mut(),
        missing_kind: ptr::null_mut(),
    }
}

#[test]
fn kpi_columns_equal_the_core_table() {
    let ds = load_sample();
    let t = kpis(ds, MONTHLY);
    let core = core_table(
        Grain::Month,
        vec![SubjectKind::Partner, SubjectKind::Channel],
    );
    // SAFETY: live handle.
    let n = unsafe { qudao_kpi_table_len(t) };
    let expected: usize = core
        .values
        .values()
        .flat_map(|p| p.values())
        .map(|k| k.len())
        .sum();
    assert_eq!(n, expected);
    assert_eq!(core.periods.len(), 24);

    let mut kind = vec![empty_str(); n];
    let mut kind_code = vec![qudao_subject_kind::Product; n];
    let mut subject = vec![empty_str(); n];
    let mut period = vec![empty_str(); n];
    let mut kpi = vec![empty_str(); n];
    let mut value = vec![-1.0; n];
    let mut valid = vec![9u8; n];
    let mut text = vec![empty_str(); n];
    let mut missing = vec![empty_str(); n];
    let mut missing_kind = vec![empty_str(); n];
    let mut cols = kpi_columns(n);
    cols.kind = kind.as_mut_ptr();
    cols.kind_code = kind_code.as_mut_ptr();
    cols.subject = subject.as_mut_ptr();
    cols.period = period.as_mut_ptr();
    cols.kpi = kpi.as_mut_ptr();
    cols.value = value.as_mut_ptr();
    cols.value_valid = valid.as_mut_ptr();
    cols.value_text = text.as_mut_ptr();
    cols.missing = missing.as_mut_ptr();
    cols.missing_kind = missing_kind.as_mut_ptr();
    // SAFETY: live handle; every array has `n` elements.
    ok(|err| unsafe { qudao_kpi_table_columns(t, &cols, err) });

    let mut r = 0;
    let mut missing_seen = 0;
    for (s, by_period) in &core.values {
        for (p, by_kpi) in by_period {
            for (k, v) in by_kpi {
                assert_eq!(str_at(&subject[r]), s.id);
                assert_eq!(str_at(&period[r]), p.to_string());
                assert_eq!(str_at(&kpi[r]), k.name());
                let (code, word) = subject_kind(s.kind);
                assert_eq!((kind_code[r], str_at(&kind[r])), (code, word));
                match v {
                    KpiValue::Value(d) => {
                        assert_eq!(valid[r], 1);
                        assert_eq!(str_at(&text[r]), d.to_string());
                        assert_eq!(value[r], d.to_string().parse::<f64>().expect("f64"));
                        assert_eq!(str_at(&missing[r]), "");
                    }
                    KpiValue::Missing(m) => {
                        missing_seen += 1;
                        assert_eq!((valid[r], value[r]), (0, 0.0));
                        assert_eq!(str_at(&text[r]), "");
                        assert_eq!(str_at(&missing[r]), m.to_string());
                        assert!(!str_at(&missing_kind[r]).is_empty());
                    }
                }
                r += 1;
            }
        }
    }
    assert!(missing_seen > 0);

    // The JSON holds the same values by subject.
    let mut b: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handle, valid out-param.
    ok(|err| unsafe { qudao_kpi_table_json(t, &mut b, err) });
    let json = take_json(b);
    let (s, by_period) = core.values.iter().next().expect("a subject");
    assert_eq!(json["periods"][0], "2024-01");
    assert_eq!(json["subjects"][0]["id"], s.id.as_str());
    assert_eq!(json["subjects"][0]["values"], json_of!(by_period));
    assert_eq!(
        json["subjects"].as_array().map(Vec::len),
        Some(core.values.len())
    );

    // A wrong row count writes nothing.
    cols.rows = n + 1;
    valid[0] = 7;
    // SAFETY: as above.
    fails(qudao_status::InvalidArgument, "cols->rows", |err| unsafe {
        qudao_kpi_table_columns(t, &cols, err)
    });
    assert_eq!(valid[0], 7);
    // `value` without `value_valid`.
    cols.rows = n;
    cols.value_valid = ptr::null_mut();
    // SAFETY: as above.
    fails(
        qudao_status::NullArgument,
        "cols->value_valid",
        |err| unsafe { qudao_kpi_table_columns(t, &cols, err) },
    );
    cols.struct_size = 8;
    // SAFETY: as above.
    fails(qudao_status::InvalidArgument, "struct_size", |err| unsafe {
        qudao_kpi_table_columns(t, &cols, err)
    });
    // SAFETY: clone/free count references.
    unsafe {
        let t2 = qudao_kpi_table_clone(t);
        qudao_kpi_table_free(t);
        assert_eq!(qudao_kpi_table_len(t2), n);
        qudao_kpi_table_free(t2);
        qudao_dataset_free(ds);
    }
}

#[test]
fn kpi_options_take_every_field_and_name_bad_ones() {
    let ds = load_sample();
    let with_all = r#"{"from": "2025-01-01", "to": "2025-04-01", "grain": {"custom": ["2025-Q1"]},
      "as_of": "2025-02-15", "kinds": ["channel"], "roll_up": true, "backlog_days": "30",
      "complaint_sla_hours": 48, "new_product_days": 90, "threads": 2,
      "market_size": [{"subject": {"kind": "channel", "id": "TMALL"}, "period": "2025-Q1",
                       "value": 100000000}]}"#;
    let t = kpis(ds, with_all);
    let mut options = KpiOptions::new(
        "2025-01-01".parse().expect("date"),
        "2025-04-01".parse().expect("date"),
        Grain::Custom(vec![qudao_core::Period::parse("2025-Q1").expect("period")]),
    );
    options.as_of = "2025-02-15".parse().expect("date");
    options.kinds = vec![SubjectKind::Channel];
    options.roll_up = true;
    options.backlog_days = 30.into();
    options.complaint_sla_hours = 48;
    options.new_product_days = 90;
    options.threads = 2;
    options.market_size = serde_json::from_str(
        r#"[{"subject": {"kind": "channel", "id": "TMALL"}, "period": "2025-Q1", "value": 100000000}]"#,
    )
    .expect("market size");
    let core = compute(&core_data(), &options).expect("kpis");
    // SAFETY: live handle.
    assert_eq!(unsafe { &(*t).inner }, &core);
    let tmall = core
        .values
        .iter()
        .find(|(s, _)| s.id == "TMALL")
        .and_then(|(_, p)| p.values().next())
        .and_then(|k| k.get(&Kpi::MarketShare))
        .and_then(KpiValue::value);
    assert!(tmall.is_some());

    let mut out: *const qudao_kpi_table = ptr::null();
    for (text, status, needle) in [
        (
            r#"{"to": "2025-04-01", "grain": "month"}"#,
            qudao_status::DocumentError,
            "from: missing field",
        ),
        (
            r#"{"from": "2025-01-01", "to": "2025-04-01", "grain": "month", "colour": 1}"#,
            qudao_status::DocumentError,
            "colour: unknown field",
        ),
        (
            r#"{"from": "2025-01-01", "to": "2025-04-01", "grain": "weekly"}"#,
            qudao_status::DocumentError,
            "grain",
        ),
        (
            r#"{"from": "2025-01-01", "to": "2025-04-01", "grain": "month",
                "market_size": [{"subject": {"kind": "channel", "id": "X"}, "period": "2025-01", "value": "many"}]}"#,
            qudao_status::DocumentError,
            "market_size[0].value",
        ),
        (
            r#"{"from": "2025-01-01""#,
            qudao_status::DocumentError,
            "options_json",
        ),
    ] {
        // SAFETY: live handle, valid text and out-params.
        fails(status, needle, |err| unsafe {
            qudao_kpi_compute(ds, text.as_ptr(), text.len(), &mut out, err)
        });
    }
    assert!(out.is_null());
    // SAFETY: live handles freed once.
    unsafe {
        qudao_kpi_table_free(t);
        qudao_dataset_free(ds);
    }
}

fn sample_card() -> *const qudao_scorecard {
    let mut c: *const qudao_scorecard = ptr::null();
    // SAFETY: valid out-param.
    ok(|err| unsafe { qudao_scorecard_sample(&mut c, err) });
    c
}

#[test]
fn scores_equal_the_core_run_and_ranks_count_from_one() {
    let ds = load_sample();
    let t = kpis(ds, QUARTERLY);
    let card = sample_card();
    let mut run: *const qudao_score_run = ptr::null();
    // SAFETY: live handles, valid out-param.
    ok(|err| unsafe { qudao_scorecard_evaluate(card, t, &mut run, err) });
    let core = Scorecard::sample_company()
        .evaluate(&core_table(Grain::Quarter, vec![SubjectKind::Partner]))
        .expect("scores");
    let mut b: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handle, valid out-param.
    ok(|err| unsafe { qudao_score_run_json(run, &mut b, err) });
    assert_eq!(take_text(b), pretty!(&core));

    // SAFETY: live handle.
    let n = unsafe { qudao_score_run_len(run) };
    let per_period: Vec<usize> = core.periods.iter().map(|p| p.scores.len()).collect();
    assert_eq!(n, per_period.iter().sum::<usize>());
    assert_eq!(per_period.len(), 8);
    let mut subject = vec![empty_str(); n];
    let mut period = vec![empty_str(); n];
    let mut kind = vec![empty_str(); n];
    let mut score = vec![-1.0; n];
    let mut rank = vec![0u32; n];
    let cols = qudao_score_columns {
        struct_size: size_of::<qudao_score_columns>() as u32,
        rows: n,
        kind: kind.as_mut_ptr(),
        subject: subject.as_mut_ptr(),
        period: period.as_mut_ptr(),
        score: score.as_mut_ptr(),
        rank: rank.as_mut_ptr(),
    };
    // SAFETY: live handle; every array has `n` elements.
    ok(|err| unsafe { qudao_score_run_columns(run, &cols, err) });
    let mut r = 0;
    for p in &core.periods {
        let mut ranks = Vec::new();
        for s in &p.scores {
            assert_eq!(str_at(&subject[r]), s.id);
            assert_eq!(str_at(&period[r]), p.period.to_string());
            assert_eq!(str_at(&kind[r]), "partner");
            assert_eq!(score[r], s.score);
            assert!((0.0..=100.0).contains(&score[r]));
            ranks.push(rank[r]);
            r += 1;
        }
        ranks.sort_unstable();
        assert_eq!(ranks.first(), Some(&1));
        assert!(ranks.iter().all(|&k| k >= 1 && k as usize <= ranks.len()));
    }
    // SAFETY: live handles freed once.
    unsafe {
        qudao_score_run_free(run);
        qudao_scorecard_free(card);
        qudao_kpi_table_free(t);
        qudao_dataset_free(ds);
    }
}

#[test]
fn a_scorecard_whose_weights_do_not_sum_to_one_names_the_path() {
    let mut json = Scorecard::sample_company().to_json();
    json = json.replacen("\"0.4\"", "\"0.5\"", 1);
    let doc = qudao_document {
        text: json.as_ptr(),
        len: json.len(),
        format: qudao_format::Json,
    };
    let mut out: *const qudao_scorecard = ptr::null();
    // SAFETY: valid document and out-param.
    fails(
        qudao_status::DocumentError,
        "groups: group weights",
        |err| unsafe { qudao_scorecard_parse(&doc, &mut out, err) },
    );
    assert!(out.is_null());
}

#[test]
fn documents_round_trip_through_json() {
    let mut b: *mut qudao_bytes = ptr::null_mut();
    let card = sample_card();
    // SAFETY: live handle, valid out-param.
    ok(|err| unsafe { qudao_scorecard_json(card, &mut b, err) });
    let text = take_json(b).to_string();
    let doc = qudao_document {
        text: text.as_ptr(),
        len: text.len(),
        format: qudao_format::Json,
    };
    let mut again: *const qudao_scorecard = ptr::null();
    // SAFETY: valid document and out-param.
    ok(|err| unsafe { qudao_scorecard_parse(&doc, &mut again, err) });
    // SAFETY: live handles.
    unsafe {
        assert_eq!((*again).inner, Scorecard::sample_company());
        qudao_scorecard_free(again);
        qudao_scorecard_free(card);
    }

    macro_rules! round_trip {
        ($t:ty, $sample:ident, $json:ident, $parse:ident, $free:ident, $core:expr) => {{
            let mut h: *const $t = ptr::null();
            // SAFETY: valid out-param.
            ok(|err| unsafe { $sample(&mut h, err) });
            let mut b: *mut qudao_bytes = ptr::null_mut();
            // SAFETY: live handle, valid out-param.
            ok(|err| unsafe { $json(h, &mut b, err) });
            let text = take_json(b).to_string();
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&text).expect("JSON"),
                json_of!(&$core)
            );
            let doc = qudao_document {
                text: text.as_ptr(),
                len: text.len(),
                format: qudao_format::Json,
            };
            let mut again: *const $t = ptr::null();
            // SAFETY: valid document and out-param.
            ok(|err| unsafe { $parse(&doc, &mut again, err) });
            // SAFETY: live handles, freed once.
            unsafe {
                $free(again);
                $free(h);
            }
        }};
    }
    round_trip!(
        qudao_warning_rules,
        qudao_warning_rules_sample,
        qudao_warning_rules_json,
        qudao_warning_rules_parse,
        qudao_warning_rules_free,
        WarningRules::sample_company()
    );
    round_trip!(
        qudao_bcg_options,
        qudao_bcg_options_sample,
        qudao_bcg_options_json,
        qudao_bcg_options_parse,
        qudao_bcg_options_free,
        BcgOptions::sample_company()
    );
    round_trip!(
        qudao_onboarding_policy,
        qudao_onboarding_policy_sample,
        qudao_onboarding_policy_json,
        qudao_onboarding_policy_parse,
        qudao_onboarding_policy_free,
        OnboardingPolicy::sample_company()
    );
    round_trip!(
        qudao_grade_rules,
        qudao_grade_rules_sample,
        qudao_grade_rules_json,
        qudao_grade_rules_parse,
        qudao_grade_rules_free,
        GradeRules::sample_company()
    );
}

#[test]
fn bcg_of_channels_equals_the_core() {
    let ds = load_sample();
    let t = kpis(ds, YEARLY);
    let mut options: *const qudao_bcg_options = ptr::null();
    // SAFETY: valid out-param.
    ok(|err| unsafe { qudao_bcg_options_sample(&mut options, err) });
    let periods = [qudao_str {
        ptr: "2025".as_ptr(),
        len: 4,
    }];
    let mut report: *const qudao_bcg_report = ptr::null();
    // SAFETY: live handles, one period, valid out-param.
    ok(|err| unsafe { qudao_bcg_analyze(options, t, periods.as_ptr(), 1, &mut report, err) });
    let table = core_table(Grain::Year, vec![SubjectKind::Channel]);
    let core = BcgOptions::sample_company()
        .analyze(
            &table,
            &[qudao_core::Period::parse("2025").expect("period")],
        )
        .expect("bcg");
    let mut b: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handle, valid out-param.
    ok(|err| unsafe { qudao_bcg_report_json(report, &mut b, err) });
    assert_eq!(take_text(b), pretty!(&core));

    let entries = &core.matrices[0].entries;
    // SAFETY: live handle.
    let n = unsafe { qudao_bcg_report_len(report) };
    assert_eq!(n, entries.len());
    assert!(n > 0);
    let mut subject = vec![empty_str(); n];
    let mut quadrant = vec![empty_str(); n];
    let mut code = vec![qudao_quadrant::Dog; n];
    let mut growth = vec![0.0; n];
    let mut share = vec![0.0; n];
    let cols = qudao_bcg_columns {
        struct_size: size_of::<qudao_bcg_columns>() as u32,
        rows: n,
        kind: ptr::null_mut(),
        subject: subject.as_mut_ptr(),
        period: ptr::null_mut(),
        quadrant: quadrant.as_mut_ptr(),
        quadrant_code: code.as_mut_ptr(),
        growth: growth.as_mut_ptr(),
        relative_share: share.as_mut_ptr(),
        size: ptr::null_mut(),
    };
    // SAFETY: live handle; every array has `n` elements.
    ok(|err| unsafe { qudao_bcg_report_columns(report, &cols, err) });
    for (r, e) in entries.iter().enumerate() {
        assert_eq!(str_at(&subject[r]), e.subject);
        assert_eq!(str_at(&quadrant[r]), e.quadrant.name());
        assert_eq!(growth[r], e.growth.to_string().parse::<f64>().expect("f64"));
        assert_eq!(
            share[r],
            e.relative_share.to_string().parse::<f64>().expect("f64")
        );
    }
    // A bad period names its index.
    let bad = [periods[0], text_str("2025-13")];
    let mut none: *const qudao_bcg_report = ptr::null();
    // SAFETY: as above, two periods.
    fails(qudao_status::InvalidArgument, "periods[1]", |err| unsafe {
        qudao_bcg_analyze(options, t, bad.as_ptr(), 2, &mut none, err)
    });
    assert!(none.is_null());
    // SAFETY: live handles freed once.
    unsafe {
        qudao_bcg_report_free(report);
        qudao_bcg_options_free(options);
        qudao_kpi_table_free(t);
        qudao_dataset_free(ds);
    }
}

fn text_str(s: &'static str) -> qudao_str {
    qudao_str {
        ptr: s.as_ptr(),
        len: s.len(),
    }
}

#[test]
fn sample_alerts_catch_the_overstocked_partner() {
    let ds = load_sample();
    let t = kpis(ds, MONTHLY);
    let mut rules: *const qudao_warning_rules = ptr::null();
    // SAFETY: valid out-param.
    ok(|err| unsafe { qudao_warning_rules_sample(&mut rules, err) });
    let mut report: *const qudao_alert_report = ptr::null();
    // SAFETY: live handles, no inputs, valid out-param.
    ok(|err| unsafe { qudao_alerts_evaluate(rules, t, ptr::null(), 0, &mut report, err) });
    let table = core_table(
        Grain::Month,
        vec![SubjectKind::Partner, SubjectKind::Channel],
    );
    let core = WarningRules::sample_company()
        .evaluate(&table, &AlertInputs::default())
        .expect("alerts");
    let mut b: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handle, valid out-param.
    ok(|err| unsafe { qudao_alert_report_json(report, &mut b, err) });
    assert_eq!(take_text(b), pretty!(&core));

    // SAFETY: live handle.
    let n = unsafe { qudao_alert_report_len(report) };
    assert_eq!(n, core.alerts.len());
    let mut rule = vec![empty_str(); n];
    let mut subject = vec![empty_str(); n];
    let mut severity = vec![empty_str(); n];
    let mut message = vec![empty_str(); n];
    let cols = qudao_alert_columns {
        struct_size: size_of::<qudao_alert_columns>() as u32,
        rows: n,
        rule: rule.as_mut_ptr(),
        kind: ptr::null_mut(),
        kind_code: ptr::null_mut(),
        subject: subject.as_mut_ptr(),
        period: ptr::null_mut(),
        severity: severity.as_mut_ptr(),
        severity_code: ptr::null_mut(),
        message: message.as_mut_ptr(),
        action_en: ptr::null_mut(),
        action_zh: ptr::null_mut(),
    };
    // SAFETY: live handle; every array has `n` elements.
    ok(|err| unsafe { qudao_alert_report_columns(report, &cols, err) });
    let planted: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sample_dir().join("planted.json")).expect("planted.json"),
    )
    .expect("JSON");
    let overstocked = planted["overstocked_partner"].as_str().expect("id");
    assert!(
        (0..n)
            .any(|r| str_at(&rule[r]) == "stock-cover-high" && str_at(&subject[r]) == overstocked)
    );
    for (r, a) in core.alerts.iter().enumerate() {
        assert_eq!(str_at(&rule[r]), a.rule);
        assert_eq!(str_at(&severity[r]), a.severity.name());
        assert_eq!(str_at(&message[r]), a.message);
    }

    // Inputs: periods limit the check; bad fields name their path.
    let inputs = r#"{"periods": ["2025-12"], "currency": "CNY"}"#;
    let mut last: *const qudao_alert_report = ptr::null();
    // SAFETY: as above.
    ok(|err| unsafe {
        qudao_alerts_evaluate(rules, t, inputs.as_ptr(), inputs.len(), &mut last, err)
    });
    // SAFETY: live handle.
    unsafe {
        assert!(
            (*last)
                .inner
                .alerts
                .iter()
                .all(|a| a.period.to_string() == "2025-12")
        );
        qudao_alert_report_free(last);
    }
    let mut none: *const qudao_alert_report = ptr::null();
    for (text, status, needle) in [
        (
            r#"{"receivables": [{"partner": "DS001", "date": "2025-12-31", "amount": "x"}]}"#,
            qudao_status::DocumentError,
            "receivables[0].amount",
        ),
        (
            r#"{"since": 1}"#,
            qudao_status::DocumentError,
            "since: unknown field",
        ),
        (
            r#"{"currency": "XYZ"}"#,
            qudao_status::InvalidArgument,
            "currency",
        ),
    ] {
        // SAFETY: as above.
        fails(status, needle, |err| unsafe {
            qudao_alerts_evaluate(rules, t, text.as_ptr(), text.len(), &mut none, err)
        });
    }
    assert!(none.is_null());
    // SAFETY: live handles freed once.
    unsafe {
        qudao_alert_report_free(report);
        qudao_warning_rules_free(rules);
        qudao_kpi_table_free(t);
        qudao_dataset_free(ds);
    }
}

#[test]
fn onboarding_and_grade_suggestions_equal_the_core() {
    let ds = load_sample();
    let data = core_data();
    let mut policy: *const qudao_onboarding_policy = ptr::null();
    // SAFETY: valid out-param.
    ok(|err| unsafe { qudao_onboarding_policy_sample(&mut policy, err) });
    let mut b: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handles, valid out-param.
    ok(|err| unsafe { qudao_onboarding_evaluate_json(policy, ds, &mut b, err) });
    assert_eq!(
        take_text(b),
        pretty!(&OnboardingPolicy::sample_company().evaluate_partners(&data.master))
    );
    let candidate = r#"{"licence_held": true, "years_in_industry": 1}"#;
    // SAFETY: live handle, valid text and out-param.
    ok(|err| unsafe {
        qudao_onboarding_evaluate_candidate_json(
            policy,
            candidate.as_ptr(),
            candidate.len(),
            &mut b,
            err,
        )
    });
    let result = take_json(b);
    assert_eq!(result["passed"], false);
    let bad = r#"{"licence": true}"#;
    // SAFETY: as above.
    fails(qudao_status::DocumentError, "licence", |err| unsafe {
        qudao_onboarding_evaluate_candidate_json(policy, bad.as_ptr(), bad.len(), &mut b, err)
    });

    let t = kpis(ds, QUARTERLY);
    let card = sample_card();
    let mut run: *const qudao_score_run = ptr::null();
    // SAFETY: live handles, valid out-param.
    ok(|err| unsafe { qudao_scorecard_evaluate(card, t, &mut run, err) });
    let mut rules: *const qudao_grade_rules = ptr::null();
    // SAFETY: valid out-param.
    ok(|err| unsafe { qudao_grade_rules_sample(&mut rules, err) });
    // SAFETY: live handles, valid out-param.
    ok(|err| unsafe { qudao_grade_suggest_json(rules, ds, t, run, ptr::null(), 0, &mut b, err) });
    let table = core_table(Grain::Quarter, vec![SubjectKind::Partner]);
    let scores = Scorecard::sample_company()
        .evaluate(&table)
        .expect("scores");
    let core = GradeRules::sample_company()
        .suggest(&GradeInputs {
            master: &data.master,
            kpis: &table,
            scores: Some(&scores),
            as_of: None,
        })
        .expect("suggests");
    assert_eq!(take_text(b), pretty!(&core));
    let as_of = "2025-Q9";
    // SAFETY: as above.
    fails(qudao_status::InvalidArgument, "as_of", |err| unsafe {
        qudao_grade_suggest_json(rules, ds, t, run, as_of.as_ptr(), as_of.len(), &mut b, err)
    });
    // SAFETY: live handles freed once.
    unsafe {
        qudao_grade_rules_free(rules);
        qudao_score_run_free(run);
        qudao_scorecard_free(card);
        qudao_kpi_table_free(t);
        qudao_onboarding_policy_free(policy);
        qudao_dataset_free(ds);
    }
}

#[test]
fn evaluation_schemas_are_the_committed_files() {
    for kind in [
        "scorecard",
        "onboarding-policy",
        "grade-rules",
        "bcg-options",
        "warning-rules",
    ] {
        let mut out: *mut qudao_bytes = ptr::null_mut();
        // SAFETY: valid text and out-params.
        ok(|err| unsafe { qudao_schema_json(kind.as_ptr(), kind.len(), &mut out, err) });
        let file = sample_dir()
            .join("../../schemas")
            .join(format!("{kind}.schema.json"));
        let committed: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file).expect("schema file"))
                .expect("JSON");
        assert_eq!(take_json(out), committed, "{kind}");
    }
}

#[test]
fn null_arguments_are_errors_and_free_null_does_nothing() {
    let ds = load_sample();
    let t = kpis(ds, YEARLY);
    let card = sample_card();
    let mut table: *const qudao_kpi_table = ptr::null();
    let mut run: *const qudao_score_run = ptr::null();
    let mut b: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: every pointer given below is NULL or valid.
    unsafe {
        fails(qudao_status::NullArgument, "`ds`", |err| {
            qudao_kpi_compute(ptr::null(), YEARLY.as_ptr(), YEARLY.len(), &mut table, err)
        });
        fails(qudao_status::NullArgument, "`options_json`", |err| {
            qudao_kpi_compute(ds, ptr::null(), 3, &mut table, err)
        });
        fails(qudao_status::NullArgument, "`out`", |err| {
            qudao_kpi_compute(ds, YEARLY.as_ptr(), YEARLY.len(), ptr::null_mut(), err)
        });
        fails(qudao_status::NullArgument, "`card`", |err| {
            qudao_scorecard_evaluate(ptr::null(), t, &mut run, err)
        });
        fails(qudao_status::NullArgument, "`table`", |err| {
            qudao_scorecard_evaluate(card, ptr::null(), &mut run, err)
        });
        fails(qudao_status::NullArgument, "`table`", |err| {
            qudao_kpi_table_json(ptr::null(), &mut b, err)
        });
        fails(qudao_status::NullArgument, "`cols`", |err| {
            qudao_kpi_table_columns(t, ptr::null(), err)
        });
        fails(qudao_status::NullArgument, "`options`", |err| {
            qudao_bcg_analyze(ptr::null(), t, ptr::null(), 0, &mut ptr::null(), err)
        });
        fails(qudao_status::NullArgument, "`periods`", |err| {
            let mut o: *const qudao_bcg_options = ptr::null();
            qudao_bcg_options_sample(&mut o, ptr::null_mut());
            let s = qudao_bcg_analyze(o, t, ptr::null(), 2, &mut ptr::null(), err);
            qudao_bcg_options_free(o);
            s
        });
        fails(qudao_status::NullArgument, "`rules`", |err| {
            qudao_alerts_evaluate(ptr::null(), t, ptr::null(), 0, &mut ptr::null(), err)
        });
        fails(qudao_status::NullArgument, "`policy`", |err| {
            qudao_onboarding_evaluate_json(ptr::null(), ds, &mut b, err)
        });
        fails(qudao_status::NullArgument, "`kpis`", |err| {
            let mut r: *const qudao_grade_rules = ptr::null();
            qudao_grade_rules_sample(&mut r, ptr::null_mut());
            let s = qudao_grade_suggest_json(
                r,
                ds,
                ptr::null(),
                ptr::null(),
                ptr::null(),
                0,
                &mut b,
                err,
            );
            qudao_grade_rules_free(r);
            s
        });
        fails(qudao_status::NullArgument, "`doc`", |err| {
            qudao_scorecard_parse(ptr::null(), &mut ptr::null(), err)
        });
        fails(qudao_status::NullArgument, "`out`", |err| {
            qudao_warning_rules_sample(ptr::null_mut(), err)
        });
        assert!(table.is_null() && run.is_null() && b.is_null());
        assert_eq!(qudao_kpi_table_len(ptr::null()), 0);
        assert_eq!(qudao_score_run_len(ptr::null()), 0);
        assert_eq!(qudao_bcg_report_len(ptr::null()), 0);
        assert_eq!(qudao_alert_report_len(ptr::null()), 0);
        assert!(qudao_kpi_table_clone(ptr::null()).is_null());
        assert!(qudao_scorecard_clone(ptr::null()).is_null());
        qudao_kpi_table_free(ptr::null());
        qudao_score_run_free(ptr::null());
        qudao_bcg_report_free(ptr::null());
        qudao_alert_report_free(ptr::null());
        qudao_scorecard_free(ptr::null());
        qudao_warning_rules_free(ptr::null());
        qudao_bcg_options_free(ptr::null());
        qudao_onboarding_policy_free(ptr::null());
        qudao_grade_rules_free(ptr::null());
        qudao_scorecard_free(card);
        qudao_kpi_table_free(t);
        qudao_dataset_free(ds);
    }
}
