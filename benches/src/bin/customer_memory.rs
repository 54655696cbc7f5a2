//! Extra memory of the per-customer summary plus RFM over a data set already in memory.
//!
//! `cargo run --release -p qudao-benches --bin qudao-bench-customer-memory -- [LINES]`
//! generates the sample (one customer per ten lines), resets the peak-memory mark, runs the
//! summary and RFM, and prints the peak resident memory growth and the time.

use qudao::Date;
use qudao::customer::{CustomerOptions, CustomerSummary, Frequency};
use qudao::rfm::{RfmRules, analyze};
use qudao::segment::SegmentScheme;

fn main() {
    let lines = std::env::args()
        .nth(1)
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or_else(qudao_benches::lines);
    let customers = qudao_benches::customers_for(lines);
    let data = qudao_benches::sample_with_customers(lines, customers);
    let _ = data.master.customers.id_order();
    let scheme = SegmentScheme::eleven_segment();
    let rules = RfmRules::default();
    let as_of = Date::from_ymd(2025, 12, 31).expect("date");
    if !qudao_benches::reset_peak_rss() {
        eprintln!("cannot reset the peak-memory mark; the figure includes generation");
    }
    let before = qudao_benches::rss().unwrap_or(0);
    let start = std::time::Instant::now();
    let t = match CustomerSummary::compute(
        &data,
        CustomerOptions::new(as_of, Frequency::DistinctOrders),
    ) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let summary_time = start.elapsed();
    let rfm = match analyze(&t, &rules, &scheme) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let elapsed = start.elapsed();
    // `QUDAO_REPEAT=N` repeats the summary for profiling.
    let repeat: usize = std::env::var("QUDAO_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    for _ in 0..repeat {
        let opts = CustomerOptions::new(as_of, Frequency::DistinctOrders);
        std::hint::black_box(CustomerSummary::compute(&data, opts).map(|t| t.len()).ok());
    }
    let peak = qudao_benches::peak_rss().unwrap_or(0);
    println!("lines                 {}", data.transactions.len());
    println!("customers (rows)      {}", t.len());
    println!("segments              {}", rfm.segments.len());
    println!(
        "time                  {:.3} s (summary {:.3} s, rfm {:.3} s)",
        elapsed.as_secs_f64(),
        summary_time.as_secs_f64(),
        (elapsed - summary_time).as_secs_f64()
    );
    println!(
        "peak rss growth       {:.1} MB",
        peak.saturating_sub(before) as f64 / 1e6
    );
}
