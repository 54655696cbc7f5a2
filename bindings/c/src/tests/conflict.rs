//! The conflict functions called from Rust: reports equal the core's, columns equal the
//! findings, policy errors name the field path, inputs errors name the input and the row,
//! penalty findings feed the rebate settlement, out-params are written only on success.

use std::ptr;

use qudao_core::conflict::{
    self, Assignment, ConflictInputs, ConflictPolicy, ConflictReport, Detector, Shipment, Sighting,
};
use qudao_core::document::RuleDocument;
use qudao_core::ingest::csv::{LoadOptions, load_dir};
use qudao_core::rebate::Settlement;

use super::support::*;
use crate::conflict::*;
use crate::customer::document::{qudao_document, qudao_format, qudao_schema_json};
use crate::rebate::*;
use crate::*;

const AS_OF: &str = "2025-12-31";

fn sample_policy() -> *const qudao_conflict_policy {
    let mut p: *const qudao_conflict_policy = ptr::null();
    // SAFETY: valid out-params.
    ok(|err| unsafe { qudao_conflict_policy_sample(&mut p, err) });
    assert!(!p.is_null());
    p
}

fn doc(text: &str, format: qudao_format) -> qudao_document {
    qudao_document {
        text: text.as_ptr(),
        len: text.len(),
        format,
    }
}

fn text_of(s: &str) -> qudao_str {
    qudao_str {
        ptr: s.as_ptr(),
        len: s.len(),
    }
}

fn inputs() -> qudao_conflict_inputs {
    let mut i = std::mem::MaybeUninit::<qudao_conflict_inputs>::uninit();
    // SAFETY: valid for one write; initialised by it.
    unsafe {
        qudao_conflict_inputs_init(i.as_mut_ptr());
        i.assume_init()
    }
}

fn detect(
    ds: *const qudao_dataset,
    policy: *const qudao_conflict_policy,
    i: Option<&qudao_conflict_inputs>,
) -> *const qudao_conflict_report {
    let mut r: *const qudao_conflict_report = ptr::null();
    let i = i.map_or(ptr::null(), |i| i as *const _);
    // SAFETY: live handles, valid inputs and out-params.
    ok(|err| unsafe { qudao_conflict_detect(ds, policy, i, &mut r, err) });
    assert!(!r.is_null());
    r
}

fn report_json(r: *const qudao_conflict_report) -> serde_json::Value {
    let mut b: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handle, valid out-params.
    ok(|err| unsafe { qudao_conflict_report_json(r, &mut b, err) });
    take_json(b)
}

/// The core's own report over the sample with the sample policy.
fn core_report(inputs: &ConflictInputs<'_>) -> ConflictReport {
    let data = load_dir(&sample_dir(), &LoadOptions::default()).expect("loads");
    conflict::detect(&data, &ConflictPolicy::sample_company(), inputs).expect("detects")
}

fn empty_columns(rows: usize) -> qudao_conflict_columns {
    qudao_conflict_columns {
        struct_size: size_of::<qudao_conflict_columns>() as u32,
        rows,
        id: ptr::null_mut(),
        detector: ptr::null_mut(),
        kind: ptr::null_mut(),
        partner: ptr::null_mut(),
        territory: ptr::null_mut(),
        product: ptr::null_mut(),
        period: ptr::null_mut(),
        first_day: ptr::null_mut(),
        last_day: ptr::null_mut(),
        severity: ptr::null_mut(),
        severity_code: ptr::null_mut(),
        resolution: ptr::null_mut(),
        repeats: ptr::null_mut(),
        evidence_lines: ptr::null_mut(),
        evidence_amount: ptr::null_mut(),
        message_en: ptr::null_mut(),
        message_zh: ptr::null_mut(),
    }
}

/// The text a column's `qudao_str` borrows.
fn str_at(s: &qudao_str) -> &str {
    if s.len == 0 {
        return "";
    }
    // SAFETY: the library wrote `len` bytes of UTF-8 at `ptr`, borrowed from a live report.
    std::str::from_utf8(unsafe { std::slice::from_raw_parts(s.ptr, s.len) }).expect("UTF-8")
}

/// The serde name of a value (`"horizontal"`).
macro_rules! serde_word {
    ($v:expr) => {
        serde_json::to_value($v)
            .expect("value")
            .as_str()
            .expect("a string")
            .to_owned()
    };
}

/// A field of `testdata/sample/planted.json`.
fn planted(key: &str) -> String {
    let planted: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sample_dir().join("planted.json")).expect("planted.json"),
    )
    .expect("JSON");
    planted[key].as_str().expect("id").to_owned()
}

#[test]
fn the_sample_report_equals_the_core() {
    let ds = load_sample();
    let policy = sample_policy();
    let r = detect(ds, policy, None);
    // The report owns everything it reports: data set and policy may go first.
    // SAFETY: the test's references, released once.
    unsafe {
        qudao_dataset_free(ds);
        qudao_conflict_policy_free(policy);
    }
    let core = core_report(&ConflictInputs::default());
    assert_eq!(report_json(r), serde_json::to_value(&core).expect("report"));
    // SAFETY: live handle.
    assert_eq!(unsafe { qudao_conflict_report_len(r) }, core.findings.len());
    // SAFETY: `r` is live; the clone is a second reference to the same handle.
    let copy = unsafe { qudao_conflict_report_clone(r) };
    assert_eq!(copy, r);
    // SAFETY: the test's references, each released once.
    unsafe {
        qudao_conflict_report_free(copy);
        qudao_conflict_report_free(r);
    }
}

#[test]
fn columns_equal_the_findings() {
    let ds = load_sample();
    let policy = sample_policy();
    let r = detect(ds, policy, None);
    // SAFETY: live handle.
    let n = unsafe { qudao_conflict_report_len(r) };
    let none = text_of("?");
    let mut id = vec![none; n];
    let mut detector = vec![none; n];
    let mut kind = vec![none; n];
    let mut partner = vec![none; n];
    let mut territory = vec![none; n];
    let mut product = vec![none; n];
    let mut period = vec![none; n];
    let mut first_day = vec![0i32; n];
    let mut last_day = vec![0i32; n];
    let mut severity = vec![none; n];
    let mut severity_code = vec![qudao_conflict_severity::Low; n];
    let mut resolution = vec![none; n];
    let mut repeats = vec![u32::MAX; n];
    let mut evidence_lines = vec![u64::MAX; n];
    let mut evidence_amount = vec![i64::MIN; n];
    let mut message_en = vec![none; n];
    let mut message_zh = vec![none; n];
    let cols = qudao_conflict_columns {
        id: id.as_mut_ptr(),
        detector: detector.as_mut_ptr(),
        kind: kind.as_mut_ptr(),
        partner: partner.as_mut_ptr(),
        territory: territory.as_mut_ptr(),
        product: product.as_mut_ptr(),
        period: period.as_mut_ptr(),
        first_day: first_day.as_mut_ptr(),
        last_day: last_day.as_mut_ptr(),
        severity: severity.as_mut_ptr(),
        severity_code: severity_code.as_mut_ptr(),
        resolution: resolution.as_mut_ptr(),
        repeats: repeats.as_mut_ptr(),
        evidence_lines: evidence_lines.as_mut_ptr(),
        evidence_amount: evidence_amount.as_mut_ptr(),
        message_en: message_en.as_mut_ptr(),
        message_zh: message_zh.as_mut_ptr(),
        ..empty_columns(n)
    };
    // SAFETY: live handle; every array has `n` elements.
    ok(|err| unsafe { qudao_conflict_report_columns(r, &cols, err) });
    let core = core_report(&ConflictInputs::default());
    assert_eq!(core.findings.len(), n);
    for (i, f) in core.findings.iter().enumerate() {
        assert_eq!(str_at(&id[i]), f.id);
        assert_eq!(str_at(&detector[i]), serde_word!(f.detector));
        assert_eq!(str_at(&kind[i]), serde_word!(f.kind));
        assert_eq!(str_at(&partner[i]), f.partner.as_deref().unwrap_or(""));
        assert_eq!(str_at(&territory[i]), f.territory.as_deref().unwrap_or(""));
        assert_eq!(str_at(&product[i]), f.product.as_deref().unwrap_or(""));
        assert_eq!(str_at(&period[i]), f.period.to_string());
        assert_eq!(first_day[i], f.first_day.0);
        assert_eq!(last_day[i], f.last_day.0);
        assert_eq!(str_at(&severity[i]), serde_word!(f.severity));
        assert_eq!(severity_code[i] as u32, f.severity as u32);
        assert_eq!(str_at(&resolution[i]), serde_word!(f.resolution));
        assert_eq!(repeats[i], f.repeats);
        assert_eq!(evidence_lines[i], f.evidence.lines);
        assert_eq!(evidence_amount[i], f.evidence.amount);
        assert_eq!(str_at(&message_en[i]), f.message.en);
        assert_eq!(str_at(&message_zh[i]), f.message.zh);
    }
    // SAFETY: the test's references, released once.
    unsafe {
        qudao_conflict_report_free(r);
        qudao_conflict_policy_free(policy);
        qudao_dataset_free(ds);
    }
}

#[test]
fn the_words_of_the_columns_are_the_serde_names() {
    use qudao_core::conflict::{ConflictKind, Resolution, Severity};
    // Every variant, through a one-row report made by the core's types.
    let kinds = [
        ConflictKind::Horizontal,
        ConflictKind::Vertical,
        ConflictKind::MultiChannel,
    ];
    let resolutions = [
        Resolution::Review,
        Resolution::Transfer,
        Resolution::Warn,
        Resolution::DeductRebate,
        Resolution::Suspend,
        Resolution::Terminate,
    ];
    let severities = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
    let template = conflict::Finding {
        id: "x".into(),
        detector: Detector::CrossRegion,
        kind: ConflictKind::Horizontal,
        partner: None,
        parties: Vec::new(),
        channels: Vec::new(),
        territory: None,
        product: None,
        period: "2025-07".parse().expect("period"),
        first_day: "2025-07-01".parse().expect("date"),
        last_day: "2025-07-31".parse().expect("date"),
        severity: Severity::Low,
        repeats: 0,
        resolution: Resolution::Review,
        message: qudao_core::document::Label::new("en", "zh"),
        figures: Vec::new(),
        evidence: Default::default(),
        cause: None,
    };
    let mut findings = Vec::new();
    for (i, detector) in Detector::ALL.into_iter().enumerate() {
        findings.push(conflict::Finding {
            id: format!("f{i}"),
            detector,
            kind: kinds[i % kinds.len()],
            resolution: resolutions[i % resolutions.len()],
            severity: severities[i % severities.len()],
            ..template.clone()
        });
    }
    let inner = ConflictReport {
        policy: "p".into(),
        findings: findings.clone(),
        not_run: Vec::new(),
        scanned: Default::default(),
    };
    let report = std::sync::Arc::into_raw(std::sync::Arc::new(qudao_conflict_report::new(inner)));
    let n = findings.len();
    let none = text_of("?");
    let mut detector = vec![none; n];
    let mut kind = vec![none; n];
    let mut severity = vec![none; n];
    let mut severity_code = vec![qudao_conflict_severity::Low; n];
    let mut resolution = vec![none; n];
    let mut partner = vec![none; n];
    let cols = qudao_conflict_columns {
        detector: detector.as_mut_ptr(),
        kind: kind.as_mut_ptr(),
        severity: severity.as_mut_ptr(),
        severity_code: severity_code.as_mut_ptr(),
        resolution: resolution.as_mut_ptr(),
        partner: partner.as_mut_ptr(),
        ..empty_columns(n)
    };
    // SAFETY: live handle; every array has `n` elements.
    ok(|err| unsafe { qudao_conflict_report_columns(report, &cols, err) });
    for (i, f) in findings.iter().enumerate() {
        assert_eq!(str_at(&detector[i]), serde_word!(f.detector));
        assert_eq!(str_at(&kind[i]), serde_word!(f.kind));
        assert_eq!(str_at(&severity[i]), serde_word!(f.severity));
        assert_eq!(severity_code[i] as u32, f.severity as u32);
        assert_eq!(str_at(&resolution[i]), serde_word!(f.resolution));
        assert_eq!(str_at(&partner[i]), "", "no partner is empty text");
    }
    // SAFETY: the test's reference.
    unsafe { qudao_conflict_report_free(report) };
}

#[test]
fn columns_check_rows_and_struct_size() {
    let ds = load_sample();
    let policy = sample_policy();
    let r = detect(ds, policy, None);
    // SAFETY: live handle.
    let n = unsafe { qudao_conflict_report_len(r) };
    let mut repeats = vec![u32::MAX; n + 1];
    let mut cols = qudao_conflict_columns {
        repeats: repeats.as_mut_ptr(),
        ..empty_columns(n + 1)
    };
    // SAFETY: live handle; the array has `n + 1` elements.
    fails(
        qudao_status::InvalidArgument,
        &["cols->rows"],
        |err| unsafe { qudao_conflict_report_columns(r, &cols, err) },
    );
    assert!(
        repeats.iter().all(|&x| x == u32::MAX),
        "nothing written on failure"
    );
    cols.rows = n;
    cols.struct_size -= 8;
    // SAFETY: as above.
    fails(
        qudao_status::InvalidArgument,
        &["struct_size", "qudao_conflict_columns"],
        |err| unsafe { qudao_conflict_report_columns(r, &cols, err) },
    );
    // SAFETY: the test's references, released once.
    unsafe {
        qudao_conflict_report_free(r);
        qudao_conflict_policy_free(policy);
        qudao_dataset_free(ds);
    }
}

#[test]
fn policy_errors_name_the_field_path_in_every_format() {
    let cases = [
        (
            r#"{"schema_version": 1, "id": "x", "undercutting": {"gap": "1.5"}}"#,
            qudao_format::Json,
        ),
        (
            "schema_version = 1\nid = \"x\"\n[undercutting]\ngap = \"1.5\"\n",
            qudao_format::Toml,
        ),
        (
            "schema_version: 1\nid: x\nundercutting:\n  gap: \"1.5\"\n",
            qudao_format::Yaml,
        ),
    ];
    for (text, format) in cases {
        let d = doc(text, format);
        let mut p: *const qudao_conflict_policy = ptr::null();
        // SAFETY: valid document and out-params.
        fails(
            qudao_status::DocumentError,
            &["undercutting.gap"],
            |err| unsafe { qudao_conflict_policy_parse(&d, &mut p, err) },
        );
        assert!(p.is_null(), "out-params are written only on success");
    }
    // An unknown field, a wrong schema version, a syntax error, an unknown format.
    let mut p: *const qudao_conflict_policy = ptr::null();
    let d = doc(
        r#"{"schema_version": 1, "id": "x", "cross_region": {"colour": 1}}"#,
        qudao_format::Json,
    );
    // SAFETY: as above.
    fails(
        qudao_status::DocumentError,
        &["cross_region"],
        |err| unsafe { qudao_conflict_policy_parse(&d, &mut p, err) },
    );
    let d = doc(r#"{"schema_version": 9, "id": "x"}"#, qudao_format::Json);
    // SAFETY: as above.
    fails(
        qudao_status::DocumentError,
        &["schema_version"],
        |err| unsafe { qudao_conflict_policy_parse(&d, &mut p, err) },
    );
    let d = doc("{", qudao_format::Json);
    // SAFETY: as above.
    fails(qudao_status::DocumentError, &[], |err| unsafe {
        qudao_conflict_policy_parse(&d, &mut p, err)
    });
    let text = "{}";
    let bad = qudao_document {
        text: text.as_ptr(),
        len: text.len(),
        format: qudao_format::Json,
    };
    // SAFETY: the format field is read as a u32; write a value no variant has.
    unsafe {
        let mut raw = bad;
        std::ptr::addr_of_mut!(raw.format).cast::<u32>().write(7);
        fails(qudao_status::InvalidArgument, &["doc->format"], |err| {
            qudao_conflict_policy_parse(&raw, &mut p, err)
        });
    }
    assert!(p.is_null());
}

#[test]
fn the_policy_round_trips_through_json() {
    let policy = sample_policy();
    let mut b: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handle, valid out-params.
    ok(|err| unsafe { qudao_conflict_policy_json(policy, &mut b, err) });
    let text = take_text(b);
    let d = doc(&text, qudao_format::Json);
    let mut again: *const qudao_conflict_policy = ptr::null();
    // SAFETY: valid document and out-params.
    ok(|err| unsafe { qudao_conflict_policy_parse(&d, &mut again, err) });
    // SAFETY: live handle.
    let parsed = unsafe { &(*again).inner };
    assert_eq!(parsed, &ConflictPolicy::sample_company());
    // TOML and YAML parse as the core parses them.
    let toml = "schema_version = 1\nid = \"t\"\n[undercutting]\ngap = \"0.2\"\n";
    let d = doc(toml, qudao_format::Toml);
    let mut from_toml: *const qudao_conflict_policy = ptr::null();
    // SAFETY: valid document and out-params.
    ok(|err| unsafe { qudao_conflict_policy_parse(&d, &mut from_toml, err) });
    // SAFETY: live handle.
    let parsed = unsafe { &(*from_toml).inner };
    assert_eq!(parsed, &ConflictPolicy::from_toml(toml).expect("TOML"));
    let yaml = "schema_version: 1\nid: t\nundercutting:\n  gap: \"0.2\"\n";
    let d = doc(yaml, qudao_format::Yaml);
    let mut from_yaml: *const qudao_conflict_policy = ptr::null();
    // SAFETY: valid document and out-params.
    ok(|err| unsafe { qudao_conflict_policy_parse(&d, &mut from_yaml, err) });
    // SAFETY: both handles are live.
    let (y, t) = unsafe { (&(*from_yaml).inner, &(*from_toml).inner) };
    assert_eq!(y, t);
    // SAFETY: `policy` is live; the clone is a second reference to the same handle.
    let copy = unsafe { qudao_conflict_policy_clone(policy) };
    assert_eq!(copy, policy);
    // SAFETY: the test's references, each released once.
    unsafe {
        qudao_conflict_policy_free(copy);
        qudao_conflict_policy_free(policy);
        qudao_conflict_policy_free(again);
        qudao_conflict_policy_free(from_toml);
        qudao_conflict_policy_free(from_yaml);
    }
}

#[test]
fn the_schema_is_the_committed_file() {
    let kind = "conflict-policy";
    let mut out: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: valid text and out-params.
    ok(|err| unsafe { qudao_schema_json(kind.as_ptr(), kind.len(), &mut out, err) });
    let file = sample_dir()
        .join("../../schemas")
        .join(format!("{kind}.schema.json"));
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).expect("schema file")).expect("JSON");
    assert_eq!(take_json(out), committed);
    assert_eq!(
        committed,
        serde_json::from_str::<serde_json::Value>(&ConflictPolicy::json_schema()).expect("JSON")
    );
}

/// Assignments, shipments and sightings of the sample that exist in its master data.
fn sample_inputs_json() -> (String, String, String) {
    let data = load_dir(&sample_dir(), &LoadOptions::default()).expect("loads");
    let m = &data.master;
    let customer = m.customers.id(0).to_owned();
    let partner = m.partners.id(0).to_owned();
    let other = m.partners.id(1).to_owned();
    let product = m.products.id(0).to_owned();
    let territory = m.territories.id(0).to_owned();
    let assignments =
        format!(r#"[{{"customer": "{customer}", "partner": "{partner}", "from": "2025-01-01"}}]"#);
    let shipments = format!(
        r#"[{{"batch": "B1", "product": "{product}", "partner": "{partner}",
              "date": "2025-03-01", "quantity": 10}}]"#
    );
    let sightings = format!(
        r#"[{{"batch": "B1", "date": "2025-04-01", "territory": "{territory}",
              "seller": "{other}", "quantity": 2}}]"#
    );
    (assignments, shipments, sightings)
}

#[test]
fn inputs_reach_the_core() {
    let ds = load_sample();
    let policy = sample_policy();
    let (a, s, g) = sample_inputs_json();
    let mut i = inputs();
    i.assignments_json = text_of(&a);
    i.shipments_json = text_of(&s);
    i.sightings_json = text_of(&g);
    i.threads = 2;
    let r = detect(ds, policy, Some(&i));
    let assignments: Vec<Assignment> = serde_json::from_str(&a).expect("assignments");
    let shipments: Vec<Shipment> = serde_json::from_str(&s).expect("shipments");
    let sightings: Vec<Sighting> = serde_json::from_str(&g).expect("sightings");
    let core = core_report(&ConflictInputs {
        assignments: &assignments,
        shipments: &shipments,
        sightings: &sightings,
        threads: 1,
    });
    assert_eq!(report_json(r), serde_json::to_value(&core).expect("report"));
    // SAFETY: the test's references, released once.
    unsafe {
        qudao_conflict_report_free(r);
        qudao_conflict_policy_free(policy);
        qudao_dataset_free(ds);
    }
}

#[test]
fn bad_inputs_name_the_input_and_the_row() {
    let ds = load_sample();
    let policy = sample_policy();
    let (a, s, g) = sample_inputs_json();
    let mut out: *const qudao_conflict_report = ptr::null();
    type Set = fn(&mut qudao_conflict_inputs, qudao_str);
    let set_a: Set = |i, t| i.assignments_json = t;
    let set_s: Set = |i, t| i.shipments_json = t;
    let set_g: Set = |i, t| i.sightings_json = t;
    let bad_from = a.replace("2025-01-01", "2025-02-30");
    let two = format!(
        "[{}, {}]",
        &s[1..s.len() - 1],
        s[1..s.len() - 1].replace("10", "\"ten\"")
    );
    let no_territory = g.replace("\"territory\"", "\"land\"");
    let unknown_partner = a.replace(r#""partner": ""#, r#""partner": "NOPE"#);
    let cases: Vec<(Set, String, qudao_status, Vec<&str>)> = vec![
        (
            set_a,
            bad_from,
            qudao_status::DocumentError,
            vec!["inputs->assignments_json", "[0].from"],
        ),
        (
            set_s,
            two,
            qudao_status::DocumentError,
            vec!["inputs->shipments_json", "[1].quantity"],
        ),
        (
            set_g,
            no_territory,
            qudao_status::DocumentError,
            vec!["inputs->sightings_json", "[0]"],
        ),
        (
            set_a,
            "{".into(),
            qudao_status::DocumentError,
            vec!["inputs->assignments_json"],
        ),
        (
            set_a,
            unknown_partner,
            qudao_status::InvalidArgument,
            vec!["assignments[0].partner"],
        ),
    ];
    for (set, text, status, needles) in cases {
        let mut i = inputs();
        set(&mut i, text_of(&text));
        // SAFETY: live handles, valid inputs and out-params.
        fails(status, &needles, |err| unsafe {
            qudao_conflict_detect(ds, policy, &i, &mut out, err)
        });
    }
    let mut i = inputs();
    i.struct_size = 4;
    // SAFETY: as above.
    fails(
        qudao_status::InvalidArgument,
        &["struct_size", "qudao_conflict_inputs"],
        |err| unsafe { qudao_conflict_detect(ds, policy, &i, &mut out, err) },
    );
    let mut i = inputs();
    i.sightings_json = qudao_str {
        ptr: ptr::null(),
        len: 3,
    };
    // SAFETY: as above (a NULL text with a length is refused before it is read).
    fails(
        qudao_status::NullArgument,
        &["inputs->sightings_json"],
        |err| unsafe { qudao_conflict_detect(ds, policy, &i, &mut out, err) },
    );
    let bytes = [b'[', 0xff, b']'];
    let mut i = inputs();
    i.shipments_json = qudao_str {
        ptr: bytes.as_ptr(),
        len: bytes.len(),
    };
    // SAFETY: as above.
    fails(
        qudao_status::InvalidUtf8,
        &["inputs->shipments_json"],
        |err| unsafe { qudao_conflict_detect(ds, policy, &i, &mut out, err) },
    );
    assert!(out.is_null(), "out-params are written only on success");
    // SAFETY: the test's references, released once.
    unsafe {
        qudao_conflict_policy_free(policy);
        qudao_dataset_free(ds);
    }
}

#[test]
fn a_finding_by_id_and_an_unknown_id() {
    let ds = load_sample();
    let policy = sample_policy();
    let r = detect(ds, policy, None);
    let core = core_report(&ConflictInputs::default());
    for f in &core.findings {
        let mut b: *mut qudao_bytes = ptr::null_mut();
        // SAFETY: live handle, valid text and out-params.
        ok(|err| unsafe {
            qudao_conflict_report_finding_json(r, f.id.as_ptr(), f.id.len(), &mut b, err)
        });
        assert_eq!(take_json(b), serde_json::to_value(f).expect("finding"));
    }
    let mut b: *mut qudao_bytes = ptr::null_mut();
    let id = "cross_region/NOPE/-/-/2025-01";
    // SAFETY: as above.
    fails(
        qudao_status::InvalidArgument,
        &["`id`", "cross_region/NOPE/-/-/2025-01"],
        |err| unsafe { qudao_conflict_report_finding_json(r, id.as_ptr(), id.len(), &mut b, err) },
    );
    // SAFETY: as above.
    fails(qudao_status::InvalidArgument, &["`id`"], |err| unsafe {
        qudao_conflict_report_finding_json(r, ptr::null(), 0, &mut b, err)
    });
    assert!(b.is_null());
    // SAFETY: the test's references, released once.
    unsafe {
        qudao_conflict_report_free(r);
        qudao_conflict_policy_free(policy);
        qudao_dataset_free(ds);
    }
}

#[test]
fn penalty_findings_equal_the_core_and_check_the_waived_ids() {
    let ds = load_sample();
    let policy = sample_policy();
    let r = detect(ds, policy, None);
    let core = core_report(&ConflictInputs::default());
    let mut b: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handle, valid out-params.
    ok(|err| unsafe {
        qudao_conflict_report_penalty_findings_json(r, ptr::null(), 0, &mut b, err)
    });
    let none: &[&str] = &[];
    assert_eq!(
        take_json(b),
        serde_json::to_value(core.penalty_findings(none)).expect("findings")
    );
    let waived = core
        .findings
        .iter()
        .filter(|f| f.partner.is_some())
        .map(|f| f.id.clone())
        .take(1)
        .collect::<Vec<_>>();
    let text = serde_json::to_string(&waived).expect("JSON");
    // SAFETY: as above.
    ok(|err| unsafe {
        qudao_conflict_report_penalty_findings_json(r, text.as_ptr(), text.len(), &mut b, err)
    });
    assert_eq!(
        take_json(b),
        serde_json::to_value(core.penalty_findings(&waived)).expect("findings")
    );
    for bad in ["{", r#"[1]"#, r#"{"ids": []}"#] {
        let mut b: *mut qudao_bytes = ptr::null_mut();
        // SAFETY: as above.
        fails(
            qudao_status::DocumentError,
            &["waived_ids_json"],
            |err| unsafe {
                qudao_conflict_report_penalty_findings_json(r, bad.as_ptr(), bad.len(), &mut b, err)
            },
        );
        assert!(b.is_null());
    }
    // SAFETY: the test's references, released once.
    unsafe {
        qudao_conflict_report_free(r);
        qudao_conflict_policy_free(policy);
        qudao_dataset_free(ds);
    }
}

#[test]
fn null_arguments_are_errors_and_free_null_does_nothing() {
    let ds = load_sample();
    let policy = sample_policy();
    let mut out: *const qudao_conflict_report = ptr::null();
    let mut p: *const qudao_conflict_policy = ptr::null();
    let mut b: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: every pointer given below is NULL or valid.
    unsafe {
        fails(qudao_status::NullArgument, &["`ds`"], |err| {
            qudao_conflict_detect(ptr::null(), policy, ptr::null(), &mut out, err)
        });
        fails(qudao_status::NullArgument, &["`policy`"], |err| {
            qudao_conflict_detect(ds, ptr::null(), ptr::null(), &mut out, err)
        });
        fails(qudao_status::NullArgument, &["`out`"], |err| {
            qudao_conflict_detect(ds, policy, ptr::null(), ptr::null_mut(), err)
        });
        fails(qudao_status::NullArgument, &["`doc`"], |err| {
            qudao_conflict_policy_parse(ptr::null(), &mut p, err)
        });
        fails(qudao_status::NullArgument, &["`out`"], |err| {
            qudao_conflict_policy_sample(ptr::null_mut(), err)
        });
        fails(qudao_status::NullArgument, &["`policy`"], |err| {
            qudao_conflict_policy_json(ptr::null(), &mut b, err)
        });
        fails(qudao_status::NullArgument, &["`report`"], |err| {
            qudao_conflict_report_json(ptr::null(), &mut b, err)
        });
        fails(qudao_status::NullArgument, &["`report`"], |err| {
            qudao_conflict_report_finding_json(ptr::null(), ptr::null(), 0, &mut b, err)
        });
        fails(qudao_status::NullArgument, &["`report`"], |err| {
            qudao_conflict_report_penalty_findings_json(ptr::null(), ptr::null(), 0, &mut b, err)
        });
        fails(qudao_status::NullArgument, &["`report`"], |err| {
            qudao_conflict_report_columns(ptr::null(), ptr::null(), err)
        });
        let r = detect(ds, policy, None);
        fails(qudao_status::NullArgument, &["`cols`"], |err| {
            qudao_conflict_report_columns(r, ptr::null(), err)
        });
        fails(qudao_status::NullArgument, &["`out`"], |err| {
            qudao_conflict_report_json(r, ptr::null_mut(), err)
        });
        fails(qudao_status::NullArgument, &["`id`"], |err| {
            qudao_conflict_report_finding_json(r, ptr::null(), 4, &mut b, err)
        });
        fails(qudao_status::NullArgument, &["`waived_ids_json`"], |err| {
            qudao_conflict_report_penalty_findings_json(r, ptr::null(), 4, &mut b, err)
        });
        assert!(out.is_null() && p.is_null() && b.is_null());
        // Without an error out-param the status still tells.
        assert_eq!(
            qudao_conflict_report_json(ptr::null(), &mut b, ptr::null_mut()),
            qudao_status::NullArgument
        );
        assert_eq!(qudao_conflict_report_len(ptr::null()), 0);
        assert!(qudao_conflict_report_clone(ptr::null()).is_null());
        assert!(qudao_conflict_policy_clone(ptr::null()).is_null());
        qudao_conflict_report_free(ptr::null());
        qudao_conflict_policy_free(ptr::null());
        qudao_conflict_inputs_init(ptr::null_mut());
        qudao_conflict_report_free(r);
        qudao_conflict_policy_free(policy);
        qudao_dataset_free(ds);
    }
}

/// The settlement of the sample book with the given findings.
fn settle_with(ds: *const qudao_dataset, findings: &str) -> Settlement {
    let mut book: *const qudao_program_book = ptr::null();
    // SAFETY: valid out-params.
    ok(|err| unsafe { qudao_program_book_sample(&mut book, err) });
    let mut i = std::mem::MaybeUninit::<qudao_rebate_inputs>::uninit();
    // SAFETY: valid for one write; initialised by it.
    let mut i = unsafe {
        qudao_rebate_inputs_init(i.as_mut_ptr());
        i.assume_init()
    };
    i.findings_json = text_of(findings);
    let mut s: *const qudao_settlement = ptr::null();
    // SAFETY: live handles, valid text, inputs and out-params.
    ok(|err| unsafe {
        qudao_rebate_settle(ds, book, AS_OF.as_ptr(), AS_OF.len(), &i, &mut s, err)
    });
    let mut b: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handle, valid out-params.
    ok(|err| unsafe { qudao_settlement_json(s, &mut b, err) });
    // SAFETY: the test's references, released once.
    unsafe {
        qudao_settlement_free(s);
        qudao_program_book_free(book);
    }
    serde_json::from_str(&take_text(b)).expect("settlement JSON")
}

/// The finding ids quoted by penalty adjustments of a settlement.
fn penalised(s: &Settlement) -> Vec<String> {
    s.statements
        .iter()
        .flat_map(|l| &l.adjustments)
        .flat_map(|a| a.findings.iter().cloned())
        .collect()
}

#[test]
fn sample_findings_feed_the_rebate_penalties_and_waiving_removes_them() {
    let ds = load_sample();
    let policy = sample_policy();
    let r = detect(ds, policy, None);
    let cross = planted("cross_region_partner");
    let core = core_report(&ConflictInputs::default());
    let found: Vec<_> = core.of(Detector::CrossRegion).collect();
    assert!(
        !found.is_empty(),
        "the planted cross-region sales are found"
    );
    assert!(
        found
            .iter()
            .all(|f| f.partner.as_deref() == Some(cross.as_str())),
        "cross-region findings only against {cross}"
    );
    let below = planted("below_floor_partner");
    let floor: Vec<_> = core.of(Detector::BelowFloor).collect();
    assert!(!floor.is_empty(), "the planted below-floor sales are found");
    assert!(
        floor
            .iter()
            .all(|f| f.partner.as_deref() == Some(below.as_str()))
    );

    let mut b: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handle, valid out-params.
    ok(|err| unsafe {
        qudao_conflict_report_penalty_findings_json(r, ptr::null(), 0, &mut b, err)
    });
    let findings = take_text(b);
    let fined = settle_with(ds, &findings);
    let quoted = penalised(&fined);
    let ids: Vec<&str> = found.iter().map(|f| f.id.as_str()).collect();
    let id = quoted
        .iter()
        .find(|q| ids.contains(&q.as_str()))
        .expect("a penalty adjustment quotes a cross-region finding id")
        .clone();
    let payee_total = |s: &Settlement| -> i64 {
        s.statements
            .iter()
            .filter(|l| l.payee == cross)
            .map(|l| l.amount)
            .sum()
    };

    let waived = serde_json::to_string(&[&id]).expect("JSON");
    // SAFETY: as above.
    ok(|err| unsafe {
        qudao_conflict_report_penalty_findings_json(r, waived.as_ptr(), waived.len(), &mut b, err)
    });
    let findings = take_text(b);
    assert!(findings.contains("\"waived\": true"));
    let spared = settle_with(ds, &findings);
    assert!(
        !penalised(&spared).contains(&id),
        "a waived finding is not penalised"
    );
    assert!(payee_total(&spared) > payee_total(&fined));
    // SAFETY: the test's references, released once.
    unsafe {
        qudao_conflict_report_free(r);
        qudao_conflict_policy_free(policy);
        qudao_dataset_free(ds);
    }
}
