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
    // The lean path: a table of lines with plain string ids, straight to the summary.
    let batches = line_batches(&data);
    g.bench_function(format!("lines-from-arrow+summary/{lines}"), |b| {
        b.iter(|| {
            let l = qudao::arrow::customer_lines_from_batches(&batches, data.currency().clone())
                .expect("lines");
            black_box(l.summarise(opts).map(|t| t.len()))
        })
    });
    let t = CustomerSummary::compute(&data, opts).expect("summary");
    g.bench_function(format!("rfm-only/{}", t.len()), |b| {
        b.iter(|| black_box(analyze(&t, &rules, &scheme).map(|r| r.segment.len())))
    });
    g.finish();
}

/// The customer, order, date, amount and quantity columns as Arrow batches with string ids,
/// the form a Parquet extract has.
fn line_batches(data: &qudao::Dataset) -> Vec<arrow_array::RecordBatch> {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Date32Array, Int64Array, RecordBatch, StringArray};
    data.transactions
        .chunks
        .iter()
        .map(|c| {
            let customers: StringArray = c
                .customer
                .iter()
                .map(|&k| Some(data.master.customers.id(k)))
                .collect();
            let orders: StringArray = c
                .order
                .iter()
                .map(|&k| Some(data.transactions.order_id(k)))
                .collect();
            RecordBatch::try_from_iter([
                ("customer", Arc::new(customers) as ArrayRef),
                ("order", Arc::new(orders) as ArrayRef),
                (
                    "date",
                    Arc::new(Date32Array::from(c.date.to_vec())) as ArrayRef,
                ),
                (
                    "amount",
                    Arc::new(Int64Array::from(c.amount.to_vec())) as ArrayRef,
                ),
                (
                    "quantity",
                    Arc::new(Int64Array::from(c.quantity.to_vec())) as ArrayRef,
                ),
            ])
            .expect("batch")
        })
        .collect()
}

criterion_group!(benches, customer);
criterion_main!(benches);
