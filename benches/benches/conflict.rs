//! Channel conflict detection on the sample company: every detector of the sample policy
//! (`ConflictPolicy::sample_company()`) over the data, after it is loaded (the target:
//! all detectors over 10,000,000 lines, 200 partners and 30 territories in ≤ 0.5 s).
//! `QUDAO_BENCH_LINES` sets the size (default 1,000,000; 10,000,000 for the scale).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use qudao::conflict::{ConflictInputs, ConflictPolicy, detect};

fn conflict(c: &mut Criterion) {
    let lines = qudao_benches::lines();
    let data = qudao_benches::sample(lines);
    let policy = ConflictPolicy::sample_company();
    let inputs = ConflictInputs::default();
    // What one run gives, for the record.
    let report = detect(&data, &policy, &inputs).expect("detects");
    let counts: Vec<String> = report
        .counts()
        .iter()
        .map(|(d, n)| format!("{d} {n}"))
        .collect();
    eprintln!(
        "conflict bench: {} lines, {} partners, {} territories, {} findings ({}), {} not run",
        lines,
        data.master.partners.len(),
        data.master.territories.len(),
        report.findings.len(),
        counts.join(", "),
        report.not_run.len()
    );
    let mut g = c.benchmark_group("conflict");
    g.sample_size(10);
    g.throughput(Throughput::Elements(lines as u64));
    g.bench_function(format!("detect_all/{lines}"), |b| {
        b.iter(|| black_box(detect(&data, &policy, &inputs).map(|r| r.findings.len())))
    });
    g.finish();
}

criterion_group!(benches, conflict);
criterion_main!(benches);
