//! The rebate functions called from Rust: settlements equal the core's, the ledger round
//! trips, errors name the field path or argument, out-params are written only on success.

use std::ffi::CStr;
use std::path::PathBuf;
use std::ptr;

use qudao_core::ingest::csv::{LoadOptions, load_dir};
use qudao_core::rebate::{
    Engine, EntryKind, Inputs, Ledger, LedgerEntry, Payout, ProgramBook, Settlement,
};

use crate::customer::document::{qudao_document, qudao_format};
use crate::rebate::*;
use crate::*;

/// A book whose second band starts above the first's `to`.
const GAP_BOOK: &str = r#"{"schema_version": 1, "id": "gap", "currency": "CNY", "programs": [
  {"id": "p", "name": {"en": "P", "zh": "P"}, "valid_from": "2025-01-01",
   "valid_to": "2025-12-31", "calendar": {"period": "quarter"},
   "participants": {"models": ["distribution"]}, "measure": "net_revenue",
   "shape": {"kind": "all_units", "tiers": [{"from": "0", "to": "2000", "rate": "0"},
                                            {"from": "3000", "rate": "0.02"}]},
   "rounding": {"mode": "half_up", "point": "period"}}]}"#;

const AS_OF: &str = "2025-12-31";

fn sample_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sample")
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

/// Read and free a bytes buffer as text.
fn take_text(b: *mut qudao_bytes) -> String {
    assert!(!b.is_null());
    // SAFETY: `b` is a live buffer from the library; freed right after reading.
    unsafe {
        let bytes = std::slice::from_raw_parts(qudao_bytes_data(b), qudao_bytes_len(b)).to_vec();
        qudao_bytes_free(b);
        String::from_utf8(bytes).expect("UTF-8")
    }
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

fn sample_book() -> *const qudao_program_book {
    let mut book: *const qudao_program_book = ptr::null();
    // SAFETY: valid out-params.
    ok(|err| unsafe { qudao_program_book_sample(&mut book, err) });
    assert!(!book.is_null());
    book
}

fn json_doc(text: &str) -> qudao_document {
    qudao_document {
        text: text.as_ptr(),
        len: text.len(),
        format: qudao_format::Json,
    }
}

fn inputs() -> qudao_rebate_inputs {
    let mut i = std::mem::MaybeUninit::<qudao_rebate_inputs>::uninit();
    // SAFETY: valid for one write; initialised by it.
    unsafe {
        qudao_rebate_inputs_init(i.as_mut_ptr());
        i.assume_init()
    }
}

fn text_of(s: &str) -> qudao_str {
    qudao_str {
        ptr: s.as_ptr(),
        len: s.len(),
    }
}

fn settle(
    ds: *const qudao_dataset,
    book: *const qudao_program_book,
    i: Option<&qudao_rebate_inputs>,
) -> *const qudao_settlement {
    let mut s: *const qudao_settlement = ptr::null();
    let i = i.map_or(ptr::null(), |i| i as *const _);
    // SAFETY: live handles, valid text, inputs and out-params.
    ok(|err| unsafe { qudao_rebate_settle(ds, book, AS_OF.as_ptr(), AS_OF.len(), i, &mut s, err) });
    assert!(!s.is_null());
    s
}

/// The core's own settlement of the sample, with an empty ledger.
fn core_settlement() -> Settlement {
    let data = load_dir(&sample_dir(), &LoadOptions::default()).expect("loads");
    let engine = Engine::new(ProgramBook::sample_company(), &data.master).expect("compiles");
    let v = engine
        .volumes(&data, AS_OF.parse().expect("date"), &Inputs::default())
        .expect("pass");
    v.settle(&Ledger::default()).expect("settles")
}

fn settlement_json(s: *const qudao_settlement) -> String {
    let mut b: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handle, valid out-params.
    ok(|err| unsafe { qudao_settlement_json(s, &mut b, err) });
    take_text(b)
}

fn ledger_json(s: *const qudao_settlement, prior: &str) -> String {
    let mut b: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handle, valid text and out-params.
    ok(|err| unsafe { qudao_settlement_ledger_json(s, prior.as_ptr(), prior.len(), &mut b, err) });
    take_text(b)
}

fn empty_columns(rows: usize) -> qudao_statement_columns {
    qudao_statement_columns {
        struct_size: size_of::<qudao_statement_columns>() as u32,
        rows,
        id: ptr::null_mut(),
        program: ptr::null_mut(),
        payee: ptr::null_mut(),
        period: ptr::null_mut(),
        kind: ptr::null_mut(),
        kind_code: ptr::null_mut(),
        payout: ptr::null_mut(),
        through: ptr::null_mut(),
        volume: ptr::null_mut(),
        volume_valid: ptr::null_mut(),
        entitlement: ptr::null_mut(),
        previously_paid: ptr::null_mut(),
        amount: ptr::null_mut(),
    }
}

/// The text a column's `qudao_str` borrows.
fn str_at(s: &qudao_str) -> &str {
    // SAFETY: the library wrote `len` bytes of UTF-8 at `ptr`, borrowed from a live
    // settlement.
    std::str::from_utf8(unsafe { std::slice::from_raw_parts(s.ptr, s.len) }).expect("UTF-8")
}

#[test]
fn sample_settlement_equals_the_core() {
    let ds = load_sample();
    let book = sample_book();
    let s = settle(ds, book, None);
    // The settlement owns everything it reports: data set and book may go first.
    // SAFETY: the test's references, released once.
    unsafe {
        qudao_dataset_free(ds);
        qudao_program_book_free(book);
    }
    let core = core_settlement();
    let ours: Settlement = serde_json::from_str(&settlement_json(s)).expect("settlement JSON");
    assert_eq!(ours, core);
    // SAFETY: live handle.
    assert_eq!(unsafe { qudao_settlement_len(s) }, core.statements.len());
    // SAFETY: the test's reference.
    unsafe { qudao_settlement_free(s) };
}

#[test]
fn columns_equal_the_statement_lines_and_payments_add_up() {
    let ds = load_sample();
    let book = sample_book();
    let s = settle(ds, book, None);
    // SAFETY: live handle.
    let n = unsafe { qudao_settlement_len(s) };
    assert!(n > 0);
    let none = text_of("");
    let mut id = vec![none; n];
    let mut program = vec![none; n];
    let mut payee = vec![none; n];
    let mut period = vec![none; n];
    let mut kind = vec![none; n];
    let mut kind_code = vec![qudao_entry_kind::Delta; n];
    let mut payout = vec![qudao_payout::Points; n];
    let mut through = vec![0i32; n];
    let mut volume = vec![0i64; n];
    let mut volume_valid = vec![9u8; n];
    let mut entitlement = vec![0i64; n];
    let mut previously_paid = vec![0i64; n];
    let mut amount = vec![0i64; n];
    let cols = qudao_statement_columns {
        id: id.as_mut_ptr(),
        program: program.as_mut_ptr(),
        payee: payee.as_mut_ptr(),
        period: period.as_mut_ptr(),
        kind: kind.as_mut_ptr(),
        kind_code: kind_code.as_mut_ptr(),
        payout: payout.as_mut_ptr(),
        through: through.as_mut_ptr(),
        volume: volume.as_mut_ptr(),
        volume_valid: volume_valid.as_mut_ptr(),
        entitlement: entitlement.as_mut_ptr(),
        previously_paid: previously_paid.as_mut_ptr(),
        amount: amount.as_mut_ptr(),
        ..empty_columns(n)
    };
    // SAFETY: live handle; every array has `n` elements.
    ok(|err| unsafe { qudao_settlement_columns(s, &cols, err) });
    let core = core_settlement();
    for (r, line) in core.statements.iter().enumerate() {
        assert_eq!(str_at(&id[r]), line.id);
        assert_eq!(str_at(&program[r]), line.program);
        assert_eq!(str_at(&payee[r]), line.payee);
        assert_eq!(str_at(&period[r]), line.period.to_string());
        let word = serde_json::to_value(line.kind).expect("kind");
        assert_eq!(Some(str_at(&kind[r])), word.as_str());
        let code = match line.kind {
            EntryKind::Partial => qudao_entry_kind::Partial,
            EntryKind::Final => qudao_entry_kind::Final,
            EntryKind::Delta => qudao_entry_kind::Delta,
            EntryKind::Referral => qudao_entry_kind::Referral,
        };
        assert_eq!(kind_code[r], code);
        let money = line.payout == Payout::Money;
        assert_eq!(payout[r] == qudao_payout::Money, money);
        assert_eq!(through[r], line.through.0);
        assert_eq!(volume_valid[r], u8::from(line.base.volume.is_some()));
        assert_eq!(volume[r], line.base.volume.unwrap_or(0));
        assert_eq!(entitlement[r], line.entitlement);
        assert_eq!(previously_paid[r], line.previously_paid);
        assert_eq!(amount[r], line.amount);
    }
    // Payments add up: what the money lines pay is the entitlement of the final lines.
    let paid: i64 = (0..n)
        .filter(|&r| payout[r] == qudao_payout::Money)
        .map(|r| amount[r])
        .sum();
    let owed: i64 = (0..n)
        .filter(|&r| payout[r] == qudao_payout::Money && kind_code[r] == qudao_entry_kind::Final)
        .map(|r| entitlement[r])
        .sum();
    assert!(paid > 0);
    assert_eq!(paid, owed);
    // SAFETY: the test's references, released once.
    unsafe {
        qudao_settlement_free(s);
        qudao_program_book_free(book);
        qudao_dataset_free(ds);
    }
}

#[test]
fn columns_check_rows_struct_size_and_volume_valid() {
    let ds = load_sample();
    let book = sample_book();
    let s = settle(ds, book, None);
    // SAFETY: live handle.
    let n = unsafe { qudao_settlement_len(s) };
    let mut amount = vec![-1i64; n + 1];
    let mut cols = qudao_statement_columns {
        amount: amount.as_mut_ptr(),
        ..empty_columns(n + 1)
    };
    // SAFETY: live handle; the array has `n + 1` elements.
    fails(qudao_status::InvalidArgument, "cols->rows", |err| unsafe {
        qudao_settlement_columns(s, &cols, err)
    });
    assert!(
        amount.iter().all(|&a| a == -1),
        "nothing written on failure"
    );
    cols.rows = n;
    cols.struct_size -= 8;
    // SAFETY: as above.
    fails(qudao_status::InvalidArgument, "struct_size", |err| unsafe {
        qudao_settlement_columns(s, &cols, err)
    });
    let mut volume = vec![0i64; n];
    let cols = qudao_statement_columns {
        volume: volume.as_mut_ptr(),
        ..empty_columns(n)
    };
    // SAFETY: as above.
    fails(
        qudao_status::NullArgument,
        "cols->volume_valid",
        |err| unsafe { qudao_settlement_columns(s, &cols, err) },
    );
    // SAFETY: the test's references, released once.
    unsafe {
        qudao_settlement_free(s);
        qudao_program_book_free(book);
        qudao_dataset_free(ds);
    }
}

#[test]
fn the_ledger_fed_back_pays_nothing_twice() {
    let ds = load_sample();
    let book = sample_book();
    let first = settle(ds, book, None);
    let ledger = ledger_json(first, "");
    let entries: Vec<LedgerEntry> = serde_json::from_str(&ledger).expect("ledger JSON");
    let core = core_settlement();
    assert_eq!(entries, core.ledger);
    // Both forms of a ledger are taken.
    let wrapped = format!("{{\"entries\": {ledger}}}");
    for given in [&ledger, &wrapped] {
        let mut i = inputs();
        i.ledger_json = text_of(given);
        let second = settle(ds, book, Some(&i));
        // SAFETY: live handle.
        assert_eq!(unsafe { qudao_settlement_len(second) }, 0);
        // The ledger after the second run is the first one: nothing new was issued.
        let after: Vec<LedgerEntry> =
            serde_json::from_str(&ledger_json(second, given)).expect("ledger JSON");
        assert_eq!(after, entries);
        // SAFETY: the test's reference.
        unsafe { qudao_settlement_free(second) };
    }
    // A bad prior ledger names the argument and the field path.
    let mut b: *mut qudao_bytes = ptr::null_mut();
    let bad = r#"[{"id": "x"}]"#;
    // SAFETY: live handle, valid text and out-params.
    fails(qudao_status::DocumentError, "prior_json", |err| unsafe {
        qudao_settlement_ledger_json(first, bad.as_ptr(), bad.len(), &mut b, err)
    });
    assert!(b.is_null());
    // SAFETY: the test's references, released once.
    unsafe {
        qudao_settlement_free(first);
        qudao_program_book_free(book);
        qudao_dataset_free(ds);
    }
}

#[test]
fn a_gap_in_a_tier_table_names_the_field_path() {
    let doc = json_doc(GAP_BOOK);
    let mut book: *const qudao_program_book = ptr::null();
    // SAFETY: valid document and out-params.
    fails(
        qudao_status::DocumentError,
        "programs[0].shape.tiers[1].from",
        |err| unsafe { qudao_program_book_parse(&doc, &mut book, err) },
    );
    assert!(book.is_null(), "out-params are written only on success");
}

#[test]
fn the_book_round_trips_through_json_and_warns_in_json() {
    let book = sample_book();
    let mut b: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handle, valid out-params.
    ok(|err| unsafe { qudao_program_book_json(book, &mut b, err) });
    let text = take_text(b);
    let doc = json_doc(&text);
    let mut again: *const qudao_program_book = ptr::null();
    // SAFETY: valid document and out-params.
    ok(|err| unsafe { qudao_program_book_parse(&doc, &mut again, err) });
    // SAFETY: both handles are live.
    assert_eq!(unsafe { &(*again).inner }, &ProgramBook::sample_company());
    let mut w: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handle, valid out-params.
    ok(|err| unsafe { qudao_program_book_warnings_json(again, &mut w, err) });
    let warnings: serde_json::Value = serde_json::from_str(&take_text(w)).expect("JSON");
    assert_eq!(
        warnings,
        serde_json::to_value(ProgramBook::sample_company().warnings()).expect("warnings")
    );
    // SAFETY: `book` is live; the clone is a second reference to the same handle.
    let copy = unsafe { qudao_program_book_clone(book) };
    assert_eq!(copy, book);
    // SAFETY: the test's references, each released once.
    unsafe {
        qudao_program_book_free(copy);
        qudao_program_book_free(book);
        qudao_program_book_free(again);
    }
}

#[test]
fn accrual_equals_the_core() {
    let ds = load_sample();
    let book = sample_book();
    let as_of = "2025-11-15";
    let mut b: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: live handles, valid text and out-params.
    ok(|err| unsafe {
        qudao_rebate_accrue_json(
            ds,
            book,
            as_of.as_ptr(),
            as_of.len(),
            ptr::null(),
            &mut b,
            err,
        )
    });
    let ours: serde_json::Value = serde_json::from_str(&take_text(b)).expect("JSON");
    let data = load_dir(&sample_dir(), &LoadOptions::default()).expect("loads");
    let engine = Engine::new(ProgramBook::sample_company(), &data.master).expect("compiles");
    let v = engine
        .volumes(&data, as_of.parse().expect("date"), &Inputs::default())
        .expect("pass");
    let core = v.accrue(&Ledger::default()).expect("accrues");
    assert!(!core.lines.is_empty());
    assert_eq!(ours, serde_json::to_value(&core).expect("accrual"));
    // SAFETY: the test's references, released once.
    unsafe {
        qudao_program_book_free(book);
        qudao_dataset_free(ds);
    }
}

#[test]
fn findings_referrals_and_segments_reach_the_engine() {
    let ds = load_sample();
    let book = sample_book();
    let plain = settle(ds, book, None);
    // The first distributor paid by the volume rebate gets a cross-region finding: ¥50 less.
    let core = core_settlement();
    let line = core
        .statements
        .iter()
        .find(|s| {
            s.program == "dist-volume"
                && s.kind == EntryKind::Final
                && (10_000..90_000).contains(&s.entitlement)
        })
        .expect("a paying distributor");
    let findings = format!(
        r#"[{{"id": "F1", "kind": "cross_region", "partner": "{}", "date": "{}"}},
            {{"id": "F2", "kind": "cross_region", "partner": "{}", "date": "{}", "waived": true}}]"#,
        line.payee, line.period.start, line.payee, line.period.start
    );
    let mut i = inputs();
    i.findings_json = text_of(&findings);
    i.referrals_json = text_of("[]");
    i.segments_json = text_of(r#"[{"customer": "C0001", "segment": "champions"}]"#);
    i.threads = 2;
    let fined = settle(ds, book, Some(&i));
    let total = |s: *const qudao_settlement| -> i64 {
        let parsed: Settlement =
            serde_json::from_str(&settlement_json(s)).expect("settlement JSON");
        parsed
            .statements
            .iter()
            .filter(|l| l.payout == Payout::Money && l.payee == line.payee)
            .map(|l| l.amount)
            .sum()
    };
    assert_eq!(
        total(plain),
        total(fined) + 5_000,
        "one ¥50 penalty, one waived"
    );
    // Bad inputs name the argument and field path; nothing is written.
    let mut out: *const qudao_settlement = ptr::null();
    let cases = [
        (
            r#"[{"id": "F1", "kind": "k", "partner": "NOPE", "date": "2025-01-01"}]"#,
            qudao_status::InvalidArgument,
            "findings[0].partner",
        ),
        (
            r#"[{"id": "F1", "kind": "k", "partner": "P", "date": "2025-02-30"}]"#,
            qudao_status::DocumentError,
            "inputs->findings_json",
        ),
        ("{", qudao_status::DocumentError, "inputs->findings_json"),
    ];
    for (text, status, needle) in cases {
        let mut i = inputs();
        i.findings_json = text_of(text);
        // SAFETY: live handles, valid text, inputs and out-params.
        fails(status, needle, |err| unsafe {
            qudao_rebate_settle(ds, book, AS_OF.as_ptr(), AS_OF.len(), &i, &mut out, err)
        });
    }
    let mut i = inputs();
    i.segments_json = text_of(r#"[{"customer": "C0001"}]"#);
    // SAFETY: as above.
    fails(qudao_status::DocumentError, "[0].segment", |err| unsafe {
        qudao_rebate_settle(ds, book, AS_OF.as_ptr(), AS_OF.len(), &i, &mut out, err)
    });
    let mut i = inputs();
    i.struct_size = 4;
    // SAFETY: as above.
    fails(qudao_status::InvalidArgument, "struct_size", |err| unsafe {
        qudao_rebate_settle(ds, book, AS_OF.as_ptr(), AS_OF.len(), &i, &mut out, err)
    });
    let bad_date = "2025-13-01";
    // SAFETY: as above.
    fails(qudao_status::InvalidArgument, "as_of", |err| unsafe {
        qudao_rebate_settle(
            ds,
            book,
            bad_date.as_ptr(),
            bad_date.len(),
            ptr::null(),
            &mut out,
            err,
        )
    });
    assert!(out.is_null(), "out-params are written only on success");
    // SAFETY: the test's references, released once.
    unsafe {
        qudao_settlement_free(plain);
        qudao_settlement_free(fined);
        qudao_program_book_free(book);
        qudao_dataset_free(ds);
    }
}

#[test]
fn a_book_in_another_currency_is_refused_at_settlement() {
    let ds = load_sample();
    let text = GAP_BOOK
        .replace("\"CNY\"", "\"USD\"")
        .replace("\"3000\"", "\"2000\"");
    let doc = json_doc(&text);
    let mut book: *const qudao_program_book = ptr::null();
    // SAFETY: valid document and out-params.
    ok(|err| unsafe { qudao_program_book_parse(&doc, &mut book, err) });
    let mut out: *const qudao_settlement = ptr::null();
    // SAFETY: live handles, valid text and out-params.
    fails(qudao_status::DocumentError, "currency", |err| unsafe {
        qudao_rebate_settle(
            ds,
            book,
            AS_OF.as_ptr(),
            AS_OF.len(),
            ptr::null(),
            &mut out,
            err,
        )
    });
    assert!(out.is_null());
    // SAFETY: the test's references, released once.
    unsafe {
        qudao_program_book_free(book);
        qudao_dataset_free(ds);
    }
}

#[test]
fn null_arguments_are_errors_and_free_null_does_nothing() {
    let ds = load_sample();
    let book = sample_book();
    let mut out: *const qudao_settlement = ptr::null();
    let mut b: *mut qudao_bytes = ptr::null_mut();
    // SAFETY: every pointer given below is NULL or valid.
    unsafe {
        fails(qudao_status::NullArgument, "`ds`", |err| {
            qudao_rebate_settle(
                ptr::null(),
                book,
                AS_OF.as_ptr(),
                AS_OF.len(),
                ptr::null(),
                &mut out,
                err,
            )
        });
        fails(qudao_status::NullArgument, "`book`", |err| {
            qudao_rebate_settle(
                ds,
                ptr::null(),
                AS_OF.as_ptr(),
                AS_OF.len(),
                ptr::null(),
                &mut out,
                err,
            )
        });
        fails(qudao_status::NullArgument, "`as_of`", |err| {
            qudao_rebate_settle(ds, book, ptr::null(), 10, ptr::null(), &mut out, err)
        });
        fails(qudao_status::NullArgument, "`out`", |err| {
            qudao_rebate_settle(
                ds,
                book,
                AS_OF.as_ptr(),
                AS_OF.len(),
                ptr::null(),
                ptr::null_mut(),
                err,
            )
        });
        fails(qudao_status::NullArgument, "`ds`", |err| {
            qudao_rebate_accrue_json(
                ptr::null(),
                book,
                AS_OF.as_ptr(),
                AS_OF.len(),
                ptr::null(),
                &mut b,
                err,
            )
        });
        fails(qudao_status::NullArgument, "`doc`", |err| {
            qudao_program_book_parse(ptr::null(), &mut ptr::null(), err)
        });
        fails(qudao_status::NullArgument, "`out`", |err| {
            qudao_program_book_sample(ptr::null_mut(), err)
        });
        fails(qudao_status::NullArgument, "`book`", |err| {
            qudao_program_book_warnings_json(ptr::null(), &mut b, err)
        });
        fails(qudao_status::NullArgument, "`settlement`", |err| {
            qudao_settlement_json(ptr::null(), &mut b, err)
        });
        fails(qudao_status::NullArgument, "`settlement`", |err| {
            qudao_settlement_ledger_json(ptr::null(), ptr::null(), 0, &mut b, err)
        });
        fails(qudao_status::NullArgument, "`settlement`", |err| {
            qudao_settlement_columns(ptr::null(), ptr::null(), err)
        });
        assert!(out.is_null() && b.is_null());
        // Without an error out-param the status still tells.
        assert_eq!(
            qudao_settlement_json(ptr::null(), &mut b, ptr::null_mut()),
            qudao_status::NullArgument
        );
        assert_eq!(qudao_settlement_len(ptr::null()), 0);
        assert!(qudao_settlement_clone(ptr::null()).is_null());
        assert!(qudao_program_book_clone(ptr::null()).is_null());
        qudao_settlement_free(ptr::null());
        qudao_program_book_free(ptr::null());
        qudao_rebate_inputs_init(ptr::null_mut());
        qudao_program_book_free(book);
        qudao_dataset_free(ds);
    }
}
