//! The attribution and economics functions called from Rust: the issue's hand-solved case
//! through the columns, results equal the core's, touchpoints and paths agree, bad input is
//! named, economics and reallocations equal the core's and add up, out-params are written
//! only on success.

use std::ptr;

use qudao_core::attribution::{self, AttributionSettings, Journeys, PathRow};
use qudao_core::economics::{self, EconomicsOptions, Grain};
use qudao_core::ingest::csv::{LoadOptions, load_dir};

use super::support::*;
use crate::attribution::*;
use crate::customer::clv::{qudao_clv_options, qudao_clv_options_init};
use crate::customer::document::{qudao_document, qudao_format, qudao_schema_json};
use crate::economics::*;
use crate::*;

const AS_OF: &str = "2025-12-31";

fn s(text: &str) -> qudao_str {
    qudao_str {
        ptr: text.as_ptr(),
        len: text.len(),
    }
}

fn str_at(v: &qudao_str) -> &str {
    // SAFETY: the text borrowed from a live handle.
    unsafe { std::str::from_utf8(std::slice::from_raw_parts(v.ptr, v.len)).expect("UTF-8") }
}

fn json_doc(text: &str) -> qudao_document {
    qudao_document {
        text: text.as_ptr(),
        len: text.len(),
        format: qudao_format::Json,
    }
}

fn settings(text: &str) -> *const qudao_attribution_settings {
    let mut out = ptr::null();
    let d = json_doc(text);
    // SAFETY: valid document and out-params.
    ok(|err| unsafe { qudao_attribution_settings_parse(&d, &mut out, err) });
    out
}

/// The issue's paths: A 2 conversions (value 200) + 1 null; B 1 (100); A > B 1 (100).
struct Paths {
    path: Vec<qudao_str>,
    conversions: Vec<i64>,
    value: Vec<i64>,
    nulls: Vec<i64>,
}

impl Paths {
    fn issue() -> Paths {
        Paths {
            path: vec![s("A"), s("B"), s("A > B")],
            conversions: vec![2, 1, 1],
            value: vec![200, 100, 100],
            nulls: vec![1, 0, 0],
        }
    }

    fn raw(&self) -> qudao_path_columns {
        qudao_path_columns {
            struct_size: size_of::<qudao_path_columns>() as u32,
            rows: self.path.len(),
            path: self.path.as_ptr(),
            conversions: self.conversions.as_ptr(),
            value: self.value.as_ptr(),
            nulls: self.nulls.as_ptr(),
        }
    }
}

fn from_paths(cols: &qudao_path_columns) -> *const qudao_journeys {
    let mut j = ptr::null();
    // SAFETY: valid columns and out-params.
    ok(|err| unsafe { qudao_journeys_from_paths(cols, ptr::null(), 0, &mut j, err) });
    assert!(!j.is_null());
    j
}

fn attribute_(
    j: *const qudao_journeys,
    st: *const qudao_attribution_settings,
) -> *const qudao_attribution {
    let mut a = ptr::null();
    // SAFETY: live handles, valid out-params.
    ok(|err| unsafe { qudao_attribute(j, st, &mut a, err) });
    assert!(!a.is_null());
    a
}

struct Long {
    model: Vec<String>,
    code: Vec<qudao_attribution_model>,
    channel: Vec<String>,
    conversions: Vec<String>,
    micro: Vec<i64>,
    value: Vec<i64>,
}

fn long_table(a: *const qudao_attribution) -> Long {
    // SAFETY: live handle.
    let n = unsafe { qudao_attribution_len(a) };
    let none = qudao_str {
        ptr: ptr::null(),
        len: 0,
    };
    let (mut model, mut channel, mut conv) = (vec![none; n], vec![none; n], vec![none; n]);
    let mut code = vec![qudao_attribution_model::FirstTouch; n];
    let (mut micro, mut value) = (vec![0i64; n], vec![0i64; n]);
    let cols = qudao_credit_columns {
        struct_size: size_of::<qudao_credit_columns>() as u32,
        rows: n,
        model: model.as_mut_ptr(),
        model_code: code.as_mut_ptr(),
        channel: channel.as_mut_ptr(),
        conversions: conv.as_mut_ptr(),
        conversions_micro: micro.as_mut_ptr(),
        value: value.as_mut_ptr(),
        touches: ptr::null_mut(),
        basis: ptr::null_mut(),
        value_basis: ptr::null_mut(),
    };
    // SAFETY: live handle; arrays of `n` elements.
    ok(|err| unsafe { qudao_attribution_columns(a, &cols, err) });
    Long {
        model: model.iter().map(|v| str_at(v).to_owned()).collect(),
        code,
        channel: channel.iter().map(|v| str_at(v).to_owned()).collect(),
        conversions: conv.iter().map(|v| str_at(v).to_owned()).collect(),
        micro,
        value,
    }
}

#[test]
fn issue_case_markov_through_the_columns() {
    let p = Paths::issue();
    let j = from_paths(&p.raw());
    let a = attribute_(j, ptr::null());
    let t = long_table(a);
    let at = |m: &str, c: &str| {
        (0..t.model.len())
            .find(|&i| t.model[i] == m && t.channel[i] == c)
            .expect("row")
    };
    // Base conversion probability 4/5 = 0.8; without A 1/5 (removal effect 0.75), without B
    // 2/5 (0.5); shares 0.6 / 0.4 of 4 conversions.
    let (ra, rb) = (at("markov", "A"), at("markov", "B"));
    assert_eq!(
        (t.conversions[ra].as_str(), t.micro[ra]),
        ("2.400000", 2_400_000)
    );
    assert_eq!(
        (t.conversions[rb].as_str(), t.micro[rb]),
        ("1.600000", 1_600_000)
    );
    assert_eq!((t.value[ra], t.value[rb]), (240, 160));
    assert_eq!(t.code[ra], qudao_attribution_model::Markov);
    // Every model's rows add up to the totals.
    for m in [
        "first_touch",
        "last_touch",
        "linear",
        "position_based",
        "markov",
        "shapley",
    ] {
        let rows: Vec<usize> = (0..t.model.len()).filter(|&i| t.model[i] == m).collect();
        assert_eq!(rows.len(), 2, "{m}");
        assert_eq!(
            rows.iter().map(|&i| t.micro[i]).sum::<i64>(),
            4_000_000,
            "{m}"
        );
        assert_eq!(rows.iter().map(|&i| t.value[i]).sum::<i64>(), 400, "{m}");
    }
    // The JSON is the core's result; time decay was skipped (paths have no times).
    let rows = [
        PathRow {
            path: "A",
            conversions: 2,
            value: 200,
            nulls: 1,
        },
        PathRow {
            path: "B",
            conversions: 1,
            value: 100,
            nulls: 0,
        },
        PathRow {
            path: "A > B",
            conversions: 1,
            value: 100,
            nulls: 0,
        },
    ];
    let core = attribution::attribute(
        &Journeys::from_paths(&rows, None).expect("paths"),
        &AttributionSettings::default(),
    )
    .expect("attribution");
    let mut b = ptr::null_mut();
    // SAFETY: live handle, valid out-params.
    ok(|err| unsafe { qudao_attribution_json(a, &mut b, err) });
    let json = take_json(b);
    assert_eq!(json, serde_json::to_value(&core).expect("JSON"));
    assert_eq!(json["skipped"][0]["model"], "time_decay");
    // The Markov chain: transitions with names, removal effects.
    // SAFETY: live handle, valid out-params.
    ok(|err| unsafe { qudao_attribution_markov_json(a, &mut b, err) });
    let markov = take_json(b);
    assert_eq!(
        markov["conversion_probability"],
        json["markov"]["conversion_probability"]
    );
    let removal = |c: &str| {
        markov["removals"]
            .as_array()
            .expect("removals")
            .iter()
            .find(|r| r["channel"] == c)
            .expect("channel")["removal_effect"]
            .as_str()
            .expect("text")
            .parse::<f64>()
            .expect("number")
    };
    assert!((removal("A") - 0.75).abs() < 1e-9);
    assert!((removal("B") - 0.5).abs() < 1e-9);
    assert!(!markov["transitions"].as_array().expect("array").is_empty());
    // SAFETY: handles from the library, freed once.
    unsafe {
        qudao_attribution_free(a);
        qudao_journeys_free(j);
    }
}

#[test]
fn touchpoints_give_the_same_journeys_as_paths() {
    let customer = ["c1", "c2", "c3", "c4", "c5", "c5"].map(s);
    let channel = ["A", "A", "A", "B", "A", "B"].map(s);
    let time = [0i64, 0, 0, 0, 0, 50];
    let touches = qudao_touch_columns {
        struct_size: size_of::<qudao_touch_columns>() as u32,
        rows: 6,
        customer: customer.as_ptr(),
        time: time.as_ptr(),
        channel: channel.as_ptr(),
        cost: ptr::null(),
    };
    let conv_customer = ["c1", "c2", "c4", "c5"].map(s);
    // Each conversion at its customer's last touch: the null journey of c3 (age 0 to its
    // last touch) and the converting journeys of A have the same touch ages, and merge.
    let conv_time = [0i64, 0, 0, 50];
    let conv_value = [100i64; 4];
    let conversions = qudao_conversion_columns {
        struct_size: size_of::<qudao_conversion_columns>() as u32,
        rows: 4,
        customer: conv_customer.as_ptr(),
        time: conv_time.as_ptr(),
        value: conv_value.as_ptr(),
    };
    let mut tj = ptr::null();
    // SAFETY: valid columns and out-params.
    ok(|err| unsafe {
        qudao_journeys_from_touchpoints(&touches, &conversions, ptr::null(), &mut tj, err)
    });
    let p = Paths::issue();
    let pj = from_paths(&p.raw());
    let paths = |j| {
        let mut b = ptr::null_mut();
        // SAFETY: live handle, valid out-params.
        ok(|err| unsafe { qudao_journeys_json(j, &mut b, err) });
        take_json(b)["paths"].clone()
    };
    assert_eq!(paths(tj), paths(pj));
    // SAFETY: live handles.
    let lens = unsafe { (qudao_journeys_len(tj), qudao_journeys_len(pj)) };
    assert_eq!(lens, (3, 3));
    // Markov agrees too (time decay runs on the timed journeys only).
    let markov_only = settings(r#"{"schema_version": 1, "models": ["markov"]}"#);
    let (at, ap) = (attribute_(tj, markov_only), attribute_(pj, markov_only));
    let (lt, lp) = (long_table(at), long_table(ap));
    assert_eq!((lt.micro, lt.value), (lp.micro, lp.value));
    // SAFETY: handles from the library, freed once.
    unsafe {
        qudao_attribution_free(at);
        qudao_attribution_free(ap);
        qudao_attribution_settings_free(markov_only);
        qudao_journeys_free(tj);
        qudao_journeys_free(pj);
    }
}

#[test]
fn bad_input_is_named() {
    let mut j = ptr::null();
    // An empty path.
    let mut p = Paths::issue();
    p.path[1] = s("  ");
    fails(
        qudao_status::DataError,
        &["paths:2", "`path`", "empty path"],
        |err| {
            // SAFETY: valid columns and out-params.
            unsafe { qudao_journeys_from_paths(&p.raw(), ptr::null(), 0, &mut j, err) }
        },
    );
    // A negative value.
    let mut p = Paths::issue();
    p.value[2] = -5;
    fails(
        qudao_status::DataError,
        &["paths:3", "`value`", "negative"],
        |err| {
            // SAFETY: valid columns and out-params.
            unsafe { qudao_journeys_from_paths(&p.raw(), ptr::null(), 0, &mut j, err) }
        },
    );
    // An unknown channel of a fixed list.
    let p = Paths::issue();
    let only_a = [s("A")];
    fails(qudao_status::DataError, &["unknown channel \"B\""], |err| {
        // SAFETY: valid columns, channel list and out-params.
        unsafe { qudao_journeys_from_paths(&p.raw(), only_a.as_ptr(), 1, &mut j, err) }
    });
    // A wrong struct_size, a missing required column.
    let mut raw = p.raw();
    raw.struct_size = 8;
    fails(
        qudao_status::InvalidArgument,
        &["struct_size", "qudao_path_columns"],
        |err| {
            // SAFETY: valid struct (its size is checked first).
            unsafe { qudao_journeys_from_paths(&raw, ptr::null(), 0, &mut j, err) }
        },
    );
    let mut raw = p.raw();
    raw.conversions = ptr::null();
    fails(qudao_status::NullArgument, &["cols->conversions"], |err| {
        // SAFETY: valid struct.
        unsafe { qudao_journeys_from_paths(&raw, ptr::null(), 0, &mut j, err) }
    });
    assert!(j.is_null(), "out-params are written only on success");
    // Lookback 0 in the settings.
    let mut st = ptr::null();
    let d = json_doc(r#"{"schema_version": 1, "lookback_days": 0}"#);
    fails(qudao_status::DocumentError, &["lookback_days"], |err| {
        // SAFETY: valid document and out-params.
        unsafe { qudao_attribution_settings_parse(&d, &mut st, err) }
    });
    assert!(st.is_null());
    // The Markov chain of a result without Markov.
    let heuristics = settings(r#"{"schema_version": 1, "models": ["linear"]}"#);
    let pj = from_paths(&p.raw());
    let a = attribute_(pj, heuristics);
    let mut b = ptr::null_mut();
    fails(qudao_status::InvalidArgument, &["Markov"], |err| {
        // SAFETY: live handle, valid out-params.
        unsafe { qudao_attribution_markov_json(a, &mut b, err) }
    });
    assert!(b.is_null());
    // SAFETY: handles from the library, freed once.
    unsafe {
        qudao_attribution_free(a);
        qudao_journeys_free(pj);
        qudao_attribution_settings_free(heuristics);
    }
}

#[test]
fn settings_round_trip_and_schemas_are_known() {
    let mut d = ptr::null();
    // SAFETY: valid out-params.
    ok(|err| unsafe { qudao_attribution_settings_default(&mut d, err) });
    let mut b = ptr::null_mut();
    // SAFETY: live handle, valid out-params.
    ok(|err| unsafe { qudao_attribution_settings_json(d, &mut b, err) });
    let text = take_text(b);
    let again = settings(&text);
    // SAFETY: a live handle.
    let parsed = unsafe { (*again).inner.clone() };
    assert_eq!(parsed, AttributionSettings::default());
    for kind in ["attribution-settings", "budget-plan"] {
        // SAFETY: valid text and out-params.
        ok(|err| unsafe { qudao_schema_json(kind.as_ptr(), kind.len(), &mut b, err) });
        assert!(take_text(b).contains("schema_version"));
    }
    // SAFETY: handles from the library, freed once.
    unsafe {
        qudao_attribution_settings_free(d);
        qudao_attribution_settings_free(again);
    }
}

fn as_of() -> qudao_core::Date {
    AS_OF.parse().expect("date")
}

fn economics_options() -> qudao_economics_options {
    let mut o = std::mem::MaybeUninit::<qudao_economics_options>::uninit();
    // SAFETY: valid for one write; initialised by it.
    let mut o = unsafe {
        qudao_economics_options_init(o.as_mut_ptr());
        o.assume_init()
    };
    o.as_of = as_of().0;
    o.threads = 2;
    o
}

fn compute(
    ds: *const qudao_dataset,
    o: &qudao_economics_options,
    clv: Option<&qudao_clv_options>,
) -> *const qudao_channel_economics {
    let mut e = ptr::null();
    let clv = clv.map_or(ptr::null(), |c| c as *const _);
    // SAFETY: live handle, valid options and out-params.
    ok(|err| unsafe { qudao_economics_compute(ds, o, clv, &mut e, err) });
    assert!(!e.is_null());
    e
}

fn empty_econ_columns(rows: usize) -> qudao_economics_columns {
    // SAFETY: all-zero is a valid struct of NULL pointers and zeros.
    let mut c: qudao_economics_columns = unsafe { std::mem::zeroed() };
    c.struct_size = size_of::<qudao_economics_columns>() as u32;
    c.rows = rows;
    c
}

#[test]
fn economics_on_the_sample_equal_the_core() {
    let ds = load_sample();
    let o = economics_options();
    let e = compute(ds, &o, None);
    let data = load_dir(&sample_dir(), &LoadOptions::default()).expect("sample");
    let core = economics::compute(&data, &EconomicsOptions::new(as_of(), Grain::Quarter), None)
        .expect("economics");
    let mut b = ptr::null_mut();
    // SAFETY: live handle, valid out-params.
    ok(|err| unsafe { qudao_channel_economics_json(e, &mut b, err) });
    assert_eq!(take_json(b), serde_json::to_value(&core).expect("JSON"));
    // The totals' acquired add up to the customers acquired; columns equal the rows.
    // SAFETY: live handle.
    let (n, nt) = unsafe {
        (
            qudao_channel_economics_len(e),
            qudao_channel_economics_totals_len(e),
        )
    };
    assert_eq!((n, nt), (core.rows.len(), core.totals.len()));
    let mut acquired = vec![0u64; nt];
    let mut spend = vec![0i64; nt];
    let mut cac = vec![0f64; nt];
    let mut c = empty_econ_columns(nt);
    c.acquired = acquired.as_mut_ptr();
    c.spend = spend.as_mut_ptr();
    c.cac = cac.as_mut_ptr();
    // SAFETY: live handle; arrays of `nt` elements.
    ok(|err| unsafe { qudao_channel_economics_totals_columns(e, &c, err) });
    assert_eq!(acquired.iter().sum::<u64>(), core.counts.customers_acquired);
    for (i, r) in core.totals.iter().enumerate() {
        assert_eq!((acquired[i], spend[i]), (r.acquired, r.spend));
        match r.cac.value() {
            Some(d) => assert_eq!(cac[i], d.to_string().parse::<f64>().expect("number")),
            None => assert!(cac[i].is_nan()),
        }
    }
    let mut period = vec![s(""); n];
    let mut c = empty_econ_columns(n);
    c.period = period.as_mut_ptr();
    // SAFETY: live handle; arrays of `n` elements.
    ok(|err| unsafe { qudao_channel_economics_columns(e, &c, err) });
    assert_eq!(
        str_at(&period[0]),
        core.rows[0].period.expect("period").to_string()
    );
    // A wrong row count writes nothing.
    c.rows = n + 1;
    fails(qudao_status::InvalidArgument, &["cols->rows"], |err| {
        // SAFETY: as above (the count is refused before any write).
        unsafe { qudao_channel_economics_columns(e, &c, err) }
    });
    // Revenue shares of a period add up to exactly 1.
    // SAFETY: live handle.
    let ns = unsafe { qudao_channel_economics_revenue_share_len(e) };
    let mut sp = vec![s(""); ns];
    let mut st = vec![s(""); ns];
    let rc = qudao_revenue_share_columns {
        struct_size: size_of::<qudao_revenue_share_columns>() as u32,
        rows: ns,
        period: sp.as_mut_ptr(),
        channel: ptr::null_mut(),
        revenue: ptr::null_mut(),
        share: ptr::null_mut(),
        share_text: st.as_mut_ptr(),
    };
    // SAFETY: live handle; arrays of `ns` elements.
    ok(|err| unsafe { qudao_channel_economics_revenue_share_columns(e, &rc, err) });
    let first = str_at(&sp[0]).to_owned();
    let sum: rust_decimal_sum::Sum = (0..ns)
        .filter(|&i| str_at(&sp[i]) == first)
        .map(|i| str_at(&st[i]).to_owned())
        .collect();
    assert_eq!(sum.0, 10i128.pow(12), "the shares of {first} add up to 1");
    // SAFETY: handles from the library, freed once.
    unsafe {
        qudao_channel_economics_free(e);
        qudao_dataset_free(ds);
    }
}

/// Exact sum of decimal texts in units of 10^-12.
mod rust_decimal_sum {
    pub struct Sum(pub i128);
    impl FromIterator<String> for Sum {
        fn from_iter<I: IntoIterator<Item = String>>(it: I) -> Self {
            Sum(it
                .into_iter()
                .map(|t| {
                    let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
                    let frac = format!("{frac:0<12}");
                    int.parse::<i128>().expect("int") * 10i128.pow(12)
                        + frac.parse::<i128>().expect("frac")
                })
                .sum())
        }
    }
}

fn plan(text: &str) -> *const qudao_budget_plan {
    let mut p = ptr::null();
    let d = json_doc(text);
    // SAFETY: valid document and out-params.
    ok(|err| unsafe { qudao_budget_plan_parse(&d, &mut p, err) });
    p
}

fn amounts(json: &serde_json::Value) -> i64 {
    json["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["amount"].as_i64().expect("amount"))
        .sum()
}

#[test]
fn reallocations_add_up_to_the_budget() {
    // Given efficiencies 1 : 2 : 4 over 1,000,001 with bounds.
    let p = plan(
        r#"{"schema_version": 1, "id": "q1", "total": 1000001, "measure": "given",
            "channels": [{"channel": "A", "efficiency": "1"},
                         {"channel": "B", "efficiency": "2", "min": 100000},
                         {"channel": "C", "efficiency": "4", "max": 500000}]}"#,
    );
    let mut b = ptr::null_mut();
    // SAFETY: live handle, valid out-params (empty inputs).
    ok(|err| unsafe { qudao_budget_reallocate(p, ptr::null(), 0, &mut b, err) });
    let json = take_json(b);
    assert_eq!(amounts(&json), 1_000_001);
    // SAFETY: live handle.
    let core = economics::reallocate(unsafe { &(*p).inner }, &Default::default()).expect("core");
    assert_eq!(json, serde_json::to_value(&core).expect("JSON"));
    // Inputs as JSON: attributed value per spend.
    let per_spend = plan(
        r#"{"schema_version": 1, "id": "q2", "total": 999, "measure": "attributed_value_per_spend",
            "channels": [{"channel": "A"}, {"channel": "B"}]}"#,
    );
    let inputs = r#"{"channels": {"A": {"channel": "A", "current_spend": 100, "attributed_value": 300},
                                  "B": {"channel": "B", "current_spend": 100, "attributed_value": 100}}}"#;
    // SAFETY: live handle, valid text and out-params.
    ok(|err| unsafe {
        qudao_budget_reallocate(per_spend, inputs.as_ptr(), inputs.len(), &mut b, err)
    });
    let json = take_json(b);
    assert_eq!(amounts(&json), 999);
    assert_eq!(json["lines"][0]["amount"], 749);
    // Bad inputs JSON names the argument and the field.
    b = ptr::null_mut();
    let bad = r#"{"channels": {"A": {"channel": "A", "current_spend": "x"}}}"#;
    fails(
        qudao_status::DocumentError,
        &["inputs_json", "current_spend"],
        |err| {
            // SAFETY: live handle, valid text and out-params.
            unsafe { qudao_budget_reallocate(per_spend, bad.as_ptr(), bad.len(), &mut b, err) }
        },
    );
    assert!(b.is_null());
    // A bad plan names the field.
    let mut q = ptr::null();
    let d = json_doc(
        r#"{"schema_version": 1, "id": "x", "total": 10, "measure": "given",
            "channels": [{"channel": "A", "min": 5, "max": 3}]}"#,
    );
    fails(qudao_status::DocumentError, &["channels[0].max"], |err| {
        // SAFETY: valid document and out-params.
        unsafe { qudao_budget_plan_parse(&d, &mut q, err) }
    });
    assert!(q.is_null());
    // SAFETY: handles from the library, freed once.
    unsafe {
        qudao_budget_plan_free(p);
        qudao_budget_plan_free(per_spend);
    }
}

#[test]
fn reallocation_from_economics_and_attribution_of_the_sample() {
    let ds = load_sample();
    let o = economics_options();
    let mut clv = std::mem::MaybeUninit::<qudao_clv_options>::uninit();
    // SAFETY: valid for one write; initialised by it.
    let clv = unsafe {
        qudao_clv_options_init(clv.as_mut_ptr());
        clv.assume_init()
    };
    let e = compute(ds, &o, Some(&clv));
    let mut b = ptr::null_mut();
    // SAFETY: live handle, valid out-params.
    ok(|err| unsafe { qudao_channel_economics_clv_fit_json(e, &mut b, err) });
    assert!(take_json(b)["customers"].as_u64().expect("customers") > 0);
    // SAFETY: live handle.
    let totals = unsafe { &(*e).inner.totals };
    assert!(totals.iter().any(|r| r.predicted.value().is_some()));
    let channels: Vec<String> = totals.iter().map(|r| r.channel.clone()).collect();
    let list = channels
        .iter()
        .map(|c| format!(r#"{{"channel": "{c}"}}"#))
        .collect::<Vec<_>>()
        .join(", ");
    let by = |measure: &str| {
        plan(&format!(
            r#"{{"schema_version": 1, "id": "p", "total": 12345679, "measure": "{measure}", "channels": [{list}]}}"#
        ))
    };
    let (clv_cac, per_spend) = (by("clv_cac"), by("attributed_value_per_spend"));
    // SAFETY: live handles, valid out-params.
    ok(|err| unsafe { qudao_budget_reallocate_economics(clv_cac, e, ptr::null(), 0, &mut b, err) });
    assert_eq!(amounts(&take_json(b)), 12_345_679);
    // With the sample's journeys and Markov.
    let mut j = ptr::null();
    // SAFETY: live handle, valid out-params.
    ok(|err| unsafe { qudao_journeys_from_dataset(ds, ptr::null(), &mut j, err) });
    let a = attribute_(j, ptr::null());
    // SAFETY: live handles, valid out-params.
    ok(|err| unsafe {
        qudao_budget_reallocate_economics(
            per_spend,
            e,
            a,
            qudao_attribution_model::Markov as u32,
            &mut b,
            err,
        )
    });
    let json = take_json(b);
    assert_eq!(amounts(&json), 12_345_679);
    assert_eq!(json["measure"], "attributed_value_per_spend");
    fails(qudao_status::InvalidArgument, &["model", "99"], |err| {
        // SAFETY: live handles, valid out-params.
        unsafe { qudao_budget_reallocate_economics(per_spend, e, a, 99, &mut b, err) }
    });
    // SAFETY: handles from the library, freed once.
    unsafe {
        qudao_attribution_free(a);
        qudao_journeys_free(j);
        qudao_budget_plan_free(clv_cac);
        qudao_budget_plan_free(per_spend);
        qudao_channel_economics_free(e);
        qudao_dataset_free(ds);
    }
}

#[test]
fn options_and_null_arguments_are_checked() {
    let ds = load_sample();
    let mut e = ptr::null();
    let mut o = economics_options();
    o.grain = qudao_grain::Custom;
    let periods = [s("2025-Q1"), s("2025-13")];
    o.periods = periods.as_ptr();
    o.period_count = 2;
    fails(
        qudao_status::InvalidArgument,
        &["opts->periods[1]", "2025-13"],
        |err| {
            // SAFETY: live handle, valid options and out-params.
            unsafe { qudao_economics_compute(ds, &o, ptr::null(), &mut e, err) }
        },
    );
    let mut o = economics_options();
    o.struct_size = 4;
    fails(
        qudao_status::InvalidArgument,
        &["struct_size", "qudao_economics_options"],
        |err| {
            // SAFETY: as above.
            unsafe { qudao_economics_compute(ds, &o, ptr::null(), &mut e, err) }
        },
    );
    let o = economics_options();
    fails(qudao_status::NullArgument, &["`ds`"], |err| {
        // SAFETY: NULL is checked before use.
        unsafe { qudao_economics_compute(ptr::null(), &o, ptr::null(), &mut e, err) }
    });
    assert!(e.is_null());
    let mut j = ptr::null();
    fails(qudao_status::NullArgument, &["`journeys`"], |err| {
        let mut a = ptr::null();
        // SAFETY: NULL is checked before use.
        let s = unsafe { qudao_attribute(ptr::null(), ptr::null(), &mut a, err) };
        assert!(a.is_null());
        s
    });
    fails(qudao_status::NullArgument, &["`touches`"], |err| {
        // SAFETY: NULL is checked before use.
        unsafe {
            qudao_journeys_from_touchpoints(ptr::null(), ptr::null(), ptr::null(), &mut j, err)
        }
    });
    assert!(j.is_null());
    // SAFETY: NULL is accepted by the accessors and frees.
    unsafe {
        assert_eq!(qudao_attribution_len(ptr::null()), 0);
        assert_eq!(qudao_journeys_len(ptr::null()), 0);
        assert_eq!(qudao_channel_economics_len(ptr::null()), 0);
        assert!(qudao_attribution_clone(ptr::null()).is_null());
        qudao_attribution_free(ptr::null());
        qudao_journeys_free(ptr::null());
        qudao_attribution_settings_free(ptr::null());
        qudao_budget_plan_free(ptr::null());
        qudao_channel_economics_free(ptr::null());
        qudao_economics_options_init(ptr::null_mut());
        qudao_dataset_free(ds);
    }
}
