//! Rebate settlement on the sample company (200 partners): a book of 50 programs over 2024–2025
//! (calendar years with monthly partial settlements), the one pass (`Engine::volumes`) and the
//! settlement (`Volumes::settle`) after the data is loaded and the engine compiled.
//! `QUDAO_BENCH_LINES` sets the size (default 1,000,000; 10,000,000 for the issue's scale).

use std::fmt::Write;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use qudao::document::RuleDocument;
use qudao::rebate::{Engine, Finding, Inputs, Ledger, ProgramBook};
use qudao::{Dataset, Date};

/// Tier tables (major units per year) for the all-units and marginal programs.
const TIERS: [&str; 5] = [
    r#"{ from = "0", to = "20000", rate = "0" }, { from = "20000", to = "100000", rate = "0.01" }, { from = "100000", rate = "0.02" }"#,
    r#"{ from = "0", to = "50000", rate = "0.005" }, { from = "50000", to = "200000", rate = "0.015" }, { from = "200000", rate = "0.025" }"#,
    r#"{ from = "10000", to = "40000", rate = "0.01" }, { from = "40000", to = "80000", rate = "0.02" }, { from = "80000", to = "160000", rate = "0.03" }, { from = "160000", rate = "0.04" }"#,
    r#"{ from = "0", to = "5000", rate = "0" }, { from = "5000", rate = "0.03" }"#,
    r#"{ from = "0", to = "100000", rate = "0.01" }, { from = "100000", to = "300000", rate = "0.02" }, { from = "300000", to = "600000", rate = "0.03" }, { from = "600000", rate = "0.035" }"#,
];

/// Who takes part, cycling over models and grades.
const PARTICIPANTS: [&str; 7] = [
    r#"{ models = ["distribution"] }"#,
    r#"{ models = ["agency"] }"#,
    r#"{ models = ["franchise"] }"#,
    r#"{ grades = ["A"] }"#,
    r#"{ grades = ["B", "C"] }"#,
    r#"{ models = ["distribution", "agency"], grades = ["A", "B"] }"#,
    r#"{ everyone = true }"#,
];

/// Which business counts, cycling over categories and channels.
const SELECTIONS: [&str; 8] = [
    "{}",
    r#"{ categories = { include = ["TEA"] } }"#,
    r#"{ categories = { include = ["WARE", "SNACK"] } }"#,
    r#"{ categories = { exclude = ["GIFT"] } }"#,
    r#"{ categories = { include = ["TEA-GREEN", "TEA-OOLONG", "TEA-PUER"] } }"#,
    r#"{ channels = { include = ["DIST", "AGENCY"] } }"#,
    r#"{ channels = { exclude = ["RETAIL"] }, categories = { exclude = ["DRINK"] } }"#,
    r#"{ categories = { include = ["GIFT-FEST", "GIFT-CORP", "DRINK-RTD"] } }"#,
];

/// A book of 50 partner programs valid 2024-01-01..2025-12-31, yearly with monthly partials:
/// all-units and marginal tier tables, flat rates, fixed targets and per-unit amounts, over
/// models and grades with category and channel selections; some with caps, penalties and line
/// rounding.
fn book() -> ProgramBook {
    let mut t = String::from("schema_version = 1\nid = \"bench-50\"\ncurrency = \"CNY\"\n");
    for i in 0..50 {
        let shape = match i % 5 {
            0 | 1 => format!(
                "{{ kind = \"all_units\", tiers = [{}] }}",
                TIERS[(i / 5) % TIERS.len()]
            ),
            2 => format!(
                "{{ kind = \"marginal\", tiers = [{}] }}",
                TIERS[(i / 5 + 2) % TIERS.len()]
            ),
            3 => format!(
                "{{ kind = \"target\", target = \"{}\", levels = [{{ attainment = \"0.8\", rate = \"0.01\" }}, {{ attainment = \"1\", rate = \"0.02\" }}, {{ attainment = \"1.2\", rate = \"0.03\" }}] }}",
                50_000 + 10_000 * (i / 5)
            ),
            _ => format!("{{ kind = \"flat_rate\", rate = \"0.00{}\" }}", 1 + i % 9),
        };
        let measure = if i % 10 == 9 {
            "quantity"
        } else {
            "net_revenue"
        };
        let shape = if measure == "quantity" {
            "{ kind = \"per_unit\", amount = \"0.5\" }".to_string()
        } else {
            shape
        };
        // Line rounding suits the shapes whose amount is a rate times each line.
        let point = if i % 7 == 0 && i % 5 != 2 {
            "line"
        } else {
            "period"
        };
        let _ = write!(
            t,
            r#"
[[programs]]
id = "p{i:02}"
name = {{ en = "Program {i}", zh = "方案{i}" }}
valid_from = "2024-01-01"
valid_to = "2025-12-31"
calendar = {{ period = "year", partial = "month" }}
participants = {}
selection = {}
measure = "{measure}"
shape = {shape}
rounding = {{ mode = "half_up", point = "{point}" }}
"#,
            PARTICIPANTS[i % PARTICIPANTS.len()],
            SELECTIONS[(i / 2) % SELECTIONS.len()],
        );
        if i % 4 == 0 {
            let _ = writeln!(t, r#"limits = [{{ scope = "period", max = "20000" }}]"#);
        }
        if i % 3 == 0 {
            let _ = writeln!(
                t,
                r#"penalties = [{{ id = "xr", on = ["cross_region"], per_violation = "50" }}]"#
            );
        }
    }
    match ProgramBook::from_toml(&t) {
        Ok(b) => b,
        Err(e) => panic!("the bench book does not load: {e}\n{t}"),
    }
}

/// One cross-region finding per partner per quarter for every fifth partner.
fn findings(data: &Dataset) -> Vec<Finding> {
    let m = &data.master;
    let first = Date::from_ymd(2024, 1, 1).expect("date").month_index();
    let mut out = Vec::new();
    for k in (0..m.partners.len()).step_by(5) {
        let id = m.partners.id(k as u32);
        for q in 0..8 {
            let month = first + q * 3 + (k as i32 % 3);
            out.push(Finding {
                id: format!("XR-{id}-{q}"),
                kind: "cross_region".into(),
                partner: id.to_string(),
                date: Date::from_month_index(month).add_days(9),
                waived: false,
            });
        }
    }
    out
}

fn rebate(c: &mut Criterion) {
    let lines = qudao_benches::lines();
    let data = qudao_benches::sample(lines);
    let engine = match Engine::new(book(), &data.master) {
        Ok(e) => e,
        Err(e) => panic!("the bench book does not compile: {e}"),
    };
    let found = findings(&data);
    let inputs = Inputs {
        findings: &found,
        ..Inputs::default()
    };
    let as_of = Date::from_ymd(2025, 12, 31).expect("date");
    let ledger = Ledger::default();
    // What one run gives, for the record.
    let run = engine
        .volumes(&data, as_of, &inputs)
        .and_then(|v| v.settle(&ledger))
        .expect("settles");
    eprintln!(
        "rebate bench: {} lines, {} partners, {} programs, {} findings: {} statement lines, {} not paid",
        lines,
        data.master.partners.len(),
        engine.book().programs.len(),
        found.len(),
        run.statements.len(),
        run.not_paid.len()
    );
    let mut g = c.benchmark_group("rebate");
    g.sample_size(10);
    g.throughput(Throughput::Elements(lines as u64));
    g.bench_function(format!("volumes+settle/50-programs/{lines}"), |b| {
        b.iter(|| {
            let v = engine.volumes(&data, as_of, &inputs).expect("pass");
            black_box(v.settle(&ledger).map(|s| s.statements.len()))
        })
    });
    g.bench_function(format!("volumes/50-programs/{lines}"), |b| {
        b.iter(|| black_box(engine.volumes(&data, as_of, &inputs).map(|v| v.as_of())))
    });
    let v = engine.volumes(&data, as_of, &inputs).expect("pass");
    g.bench_function(format!("settle/50-programs/{lines}"), |b| {
        b.iter(|| black_box(v.settle(&ledger).map(|s| s.statements.len())))
    });
    g.finish();
}

criterion_group!(benches, rebate);
criterion_main!(benches);
