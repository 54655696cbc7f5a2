//! Generating the sample company (target: 1,000,000 lines in under 2 s).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn generate(c: &mut Criterion) {
    let lines = qudao_benches::lines();
    let mut g = c.benchmark_group("sample");
    g.sample_size(10);
    g.throughput(Throughput::Elements(lines as u64));
    g.bench_function(format!("generate/{lines}"), |b| {
        b.iter(|| {
            let s = qudao::sample::generate(&qudao::sample::SampleConfig::with_lines(lines));
            black_box(s.map(|s| s.dataset.transactions.len()).unwrap_or(0))
        })
    });
    g.finish();
}

criterion_group!(benches, generate);
criterion_main!(benches);
