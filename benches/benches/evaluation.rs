//! KPIs on the sample company: every KPI for the 200 partners × 24 months of 2024–2025 and the
//! sample scorecard over them (the target: ≤ 1 s at 10,000,000 lines), and the KPIs
//! for every kind of subject, after the data is loaded. `QUDAO_BENCH_LINES` sets the size (default 1,000,000).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use qudao::Date;
use qudao::evaluation::SubjectKind;
use qudao::evaluation::kpi::{Grain, KpiOptions, compute};
use qudao::evaluation::scorecard::Scorecard;

fn evaluation(c: &mut Criterion) {
    let lines = qudao_benches::lines();
    let data = qudao_benches::sample(lines);
    let from = Date::from_ymd(2024, 1, 1).expect("date");
    let to = Date::from_ymd(2026, 1, 1).expect("date");
    let mut partners = KpiOptions::new(from, to, Grain::Month);
    partners.kinds = vec![SubjectKind::Partner];
    let all = KpiOptions::new(from, to, Grain::Month);
    let table = compute(&data, &partners).expect("computes");
    eprintln!(
        "evaluation bench: {} lines, {} partners, {} periods, {} operational rows",
        lines,
        table.subjects(SubjectKind::Partner).count(),
        table.periods.len(),
        data.ops.counts().iter().map(|(_, n)| n).sum::<usize>()
    );
    let mut g = c.benchmark_group("evaluation");
    g.sample_size(10);
    g.throughput(Throughput::Elements(lines as u64));
    g.bench_function(format!("kpis/partners-x-24-months/{lines}"), |b| {
        b.iter(|| black_box(compute(&data, &partners).map(|t| t.values.len())))
    });
    // The measure: the KPIs and the sample scorecard over them.
    let card = Scorecard::sample_company();
    g.bench_function(
        format!("kpis+scorecard/partners-x-24-months/{lines}"),
        |b| {
            b.iter(|| {
                let t = compute(&data, &partners).expect("computes");
                black_box(card.evaluate(&t).map(|r| r.periods.len()))
            })
        },
    );
    g.bench_function(format!("scorecard/partners-x-24-months/{lines}"), |b| {
        b.iter(|| black_box(card.evaluate(&table).map(|r| r.periods.len())))
    });
    g.bench_function(format!("kpis/all-kinds-x-24-months/{lines}"), |b| {
        b.iter(|| black_box(compute(&data, &all).map(|t| t.values.len())))
    });
    g.finish();
}

criterion_group!(benches, evaluation);
criterion_main!(benches);
