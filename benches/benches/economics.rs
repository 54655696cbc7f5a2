//! Channel economics on the sample company: both passes over the lines (first purchases,
//! then cohort values and revenue shares) plus the touchpoints and channel costs, by
//! quarter, with the customers' predictions given (the CLV fit is the `clv` bench's).
//! `QUDAO_BENCH_LINES` sets the size (default 1,000,000; 10,000,000 for the issue's scale).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use qudao::economics::{
    BudgetPlan, ClvPredictions, EconomicsOptions, EfficiencyInputs, Grain, compute, reallocate,
};

fn economics(c: &mut Criterion) {
    let lines = qudao_benches::lines();
    let data = qudao_benches::sample_with_customers(lines, qudao_benches::customers_for(lines));
    let as_of = match data.transactions.date_range() {
        Some((_, last)) => last,
        None => panic!("the sample has no lines"),
    };
    // Given predictions (a flat 100.00 each) so the bench measures the economics only.
    let preds = ClvPredictions::from_codes("flat", vec![Some(10_000); data.master.customers.len()]);
    let mut by_month = EconomicsOptions::new(as_of, Grain::Month);
    by_month.threads = 0;
    let e = compute(&data, &by_month, Some(&preds)).expect("computes");
    eprintln!(
        "economics bench: {} lines, {} customers, {} acquired, {} channels × {} periods",
        lines,
        data.master.customers.len(),
        e.counts.customers_acquired,
        e.totals.len(),
        e.periods.len()
    );
    let mut g = c.benchmark_group("economics");
    g.sample_size(10);
    g.throughput(Throughput::Elements(lines as u64));
    g.bench_function(format!("compute_by_month/{lines}"), |b| {
        b.iter(|| black_box(compute(&data, &by_month, Some(&preds)).map(|e| e.rows.len())))
    });
    let mut one = by_month.clone();
    one.threads = 1;
    g.bench_function(format!("compute_by_month_one_thread/{lines}"), |b| {
        b.iter(|| black_box(compute(&data, &one, Some(&preds)).map(|e| e.rows.len())))
    });
    g.finish();

    let inputs = EfficiencyInputs::from_economics(&e);
    let channels: Vec<String> = e
        .totals
        .iter()
        .map(|r| {
            format!(
                r#"{{"channel": "{}", "min": 1000, "max": 50000000}}"#,
                r.channel
            )
        })
        .collect();
    let plan = match <BudgetPlan as qudao::document::RuleDocument>::from_json(&format!(
        r#"{{"schema_version": 1, "id": "bench", "total": 100000000, "measure": "clv_cac", "channels": [{}]}}"#,
        channels.join(",")
    )) {
        Ok(p) => p,
        Err(err) => panic!("bench plan: {err}"),
    };
    c.bench_function("economics/reallocate", |b| {
        b.iter(|| black_box(reallocate(&plan, &inputs).map(|r| r.lines.len())))
    });
}

criterion_group!(benches, economics);
criterion_main!(benches);
