//! The sample company's programs settled over the bundled sample.

use qudao::ingest::csv::{LoadOptions, load_dir};
use qudao::rebate::{Engine, EntryKind, Inputs, Ledger, ProgramBook};

fn sample() -> qudao::Dataset {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sample");
    load_dir(&dir, &LoadOptions::default()).expect("the bundled sample loads")
}

#[test]
fn sample_programs_settle() {
    let data = sample();
    let book = ProgramBook::sample_company();
    assert_eq!(book.programs.len(), 5, "the bundled book parses");
    let engine = Engine::new(book, &data.master).expect("compiles");
    let v = engine
        .volumes(
            &data,
            "2025-12-31".parse().expect("date"),
            &Inputs::default(),
        )
        .expect("pass");
    let run = v.settle(&Ledger::default()).expect("settles");
    for p in [
        "dist-volume",
        "ga-network",
        "agent-growth",
        "franchise-target",
        "member-points",
    ] {
        let n = run
            .statements
            .iter()
            .filter(|s| s.program == p && s.amount != 0)
            .count();
        let np = run.not_paid.iter().filter(|s| s.program == p).count();
        eprintln!("{p}: {n} paying lines, {np} not paid");
    }
    for s in run
        .statements
        .iter()
        .filter(|s| s.kind == EntryKind::Final)
        .take(8)
    {
        eprintln!(
            "{} {} {} vol={:?} tier={:?} gross={} ent={} paid={}",
            s.program,
            s.payee,
            s.period,
            s.base.volume,
            s.tier.as_ref().map(|t| t.index),
            s.gross,
            s.entitlement,
            s.amount
        );
    }
    for n in run.not_paid.iter().take(5) {
        eprintln!("{:?}", n);
    }
    // Every enrolment that paid nothing says why.
    for n in &run.not_paid {
        assert!(!n.reasons.is_empty(), "no reason for {n:?}");
    }
    assert!(
        run.not_paid
            .iter()
            .flat_map(|n| &n.reasons)
            .any(|r| matches!(r, qudao::rebate::Reason::NoNetVolume { .. })),
        "the sample has periods where returns cancel the sales"
    );
}

#[test]
fn sample_settlement_does_not_depend_on_threads() {
    let data = sample();
    let engine = Engine::new(ProgramBook::sample_company(), &data.master).expect("compiles");
    let as_of = "2025-12-31".parse().expect("date");
    let json = |threads: usize| {
        let inputs = Inputs {
            threads,
            ..Inputs::default()
        };
        let v = engine.volumes(&data, as_of, &inputs).expect("pass");
        let s = v.settle(&Ledger::default()).expect("settles");
        serde_json::to_string(&s).expect("json")
    };
    let one = json(1);
    assert_eq!(one, json(2));
    assert_eq!(one, json(5));
}
