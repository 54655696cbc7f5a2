//! The data summary (by channel, partner, month) over the sample company.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn summary(c: &mut Criterion) {
    let lines = qudao_benches::lines();
    let data = qudao_benches::sample(lines);
    let mut g = c.benchmark_group("summary");
    g.sample_size(10);
    g.throughput(Throughput::Elements(lines as u64));
    g.bench_function(format!("summary/{lines}"), |b| {
        b.iter(|| black_box(data.summary().map(|s| s.totals.lines).unwrap_or(0)))
    });
    g.finish();
}

criterion_group!(benches, summary);
criterion_main!(benches);
