//! Fixtures shared by the criterion benches in `benches/benches/`.
//!
//! Sizes come from `QUDAO_BENCH_LINES` (default 1,000,000; the issue targets are measured at
//! 10,000,000). CSV fixtures are generated once from the sample company into
//! `target/bench-data/` and reused.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Int64Array, RecordBatch, UInt32Array};
use qudao::Dataset;

/// Lines to benchmark, from `QUDAO_BENCH_LINES`.
pub fn lines() -> usize {
    std::env::var("QUDAO_BENCH_LINES")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000)
}

/// The sample company at `lines` lines.
pub fn sample(lines: usize) -> Dataset {
    let mut cfg = qudao::sample::SampleConfig::with_lines(lines);
    cfg.seed = 42;
    match qudao::sample::generate(&cfg) {
        Ok(s) => s.dataset,
        Err(e) => panic!("cannot generate the sample: {e}"),
    }
}

/// The sample company at `lines` lines and `customers` customers (the customer-value targets
/// are stated for 10,000,000 lines and 1,000,000 customers).
pub fn sample_with_customers(lines: usize, customers: usize) -> Dataset {
    let mut cfg = qudao::sample::SampleConfig::with_lines(lines);
    cfg.seed = 42;
    cfg.customers = customers;
    match qudao::sample::generate(&cfg) {
        Ok(s) => s.dataset,
        Err(e) => panic!("cannot generate the sample: {e}"),
    }
}

/// Customers for a bench of `lines` lines: one per ten lines.
pub fn customers_for(lines: usize) -> usize {
    (lines / 10).max(100)
}

/// Reset the peak resident memory mark (Linux `clear_refs`), so a later [`peak_rss`] measures
/// only what follows. Returns whether it worked.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A CSV directory of the sample at `lines` lines, generated on first use.
pub fn csv_fixture(lines: usize) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    let dir = root.join(format!("sample-{lines}"));
    if !dir.join("transactions.csv").exists() {
        let data = sample(lines);
        let tmp = root.join(format!("sample-{lines}.partial"));
        let _ = std::fs::remove_dir_all(&tmp);
        if let Err(e) = qudao::ingest::csv::write_dir(&data, &tmp) {
            panic!("cannot write the fixture: {e}");
        }
        if let Err(e) = std::fs::rename(&tmp, &dir) {
            panic!("cannot move the fixture into place: {e}");
        }
    }
    dir
}

/// Bytes of all CSV files of a fixture directory.
pub fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|it| {
            it.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// The transactions of a data set as record batches whose types match the columnar table
/// (ids as `UInt32` codes), so that loading them needs no per-row copy.
pub fn matching_batches(data: &Dataset) -> Vec<RecordBatch> {
    data.transactions
        .chunks
        .iter()
        .map(|c| {
            let u = |v: &[u32]| Arc::new(UInt32Array::from(v.to_vec())) as ArrayRef;
            let i = |v: &[i64]| Arc::new(Int64Array::from(v.to_vec())) as ArrayRef;
            let cols = vec![
                ("order", u(&c.order)),
                ("line", u(&c.line)),
                (
                    "date",
                    Arc::new(Date32Array::from(c.date.to_vec())) as ArrayRef,
                ),
                ("customer", u(&c.customer)),
                ("channel", u(&c.channel)),
                ("product", u(&c.product)),
                ("territory", u(&c.territory)),
                ("quantity", i(&c.quantity)),
                ("unit_price", i(&c.unit_price)),
                ("amount", i(&c.amount)),
                ("cost", i(&c.cost)),
            ];
            match RecordBatch::try_from_iter(cols) {
                Ok(b) => b,
                Err(e) => panic!("cannot build the batch: {e}"),
            }
        })
        .collect()
}

/// Peak resident memory of this process so far (`VmHWM`), in bytes, where Linux reports it.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Current resident memory (`VmRSS`), in bytes.
pub fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
