//! The per-customer summary and RFM scores on the sample company (issue 3's target: 10M lines,
//! 1M customers, summary + RFM ≤ 0.5 s). `QUDAO_BENCH_LINES` sets the size; customers are one
//! per ten lines.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use qudao::Date;
use qudao::customer::{CustomerOptions, CustomerSummary, Frequency};
use qudao::rfm::{RfmRules, analyze};
use qudao::segment::SegmentScheme;

fn customer(c: &mut Criterion) {
    let lines = qudao_benches::lines();
    let data = qudao_benches::sample_with_customers(lines, qudao_benches::customers_for(lines));
    // The id order is an index of the master data, built once per data set.
    let _ = data.master.customers.id_order();
    let as_of = Date::from_ymd(2025, 12, 31).expect("date");
    let scheme = SegmentScheme::eleven_segment();
    let rules = RfmRules::default();
    let mut g = c.benchmark_group("customer");
    g.sample_size(10);
    g.throughput(Throughput::Elements(lines as u64));
    for frequency in [Frequency::DistinctOrders, Frequency::ActivePeriods] {
        let opts = CustomerOptions::new(as_of, frequency);
        g.bench_function(format!("summary/{frequency:?}/{lines}"), |b| {
            b.iter(|| black_box(CustomerSummary::compute(&data, opts).map(|t| t.len())))
        });
    }
    let opts = CustomerOptions::new(as_of, Frequency::DistinctOrders);
    g.bench_function(format!("summary+rfm/{lines}"), |b| {
        b.iter(|| {
            let t = CustomerSummary::compute(&data, opts).expect("summary");
            black_box(analyze(&t, &rules, &scheme).map(|r| r.segment.len()))
        })
    });
    let t = CustomerSummary::compute(&data, opts).expect("summary");
    g.bench_function(format!("rfm-only/{}", t.len()), |b| {
        b.iter(|| black_box(analyze(&t, &rules, &scheme).map(|r| r.segment.len())))
    });
    g.finish();
}

criterion_group!(benches, customer);
criterion_main!(benches);
