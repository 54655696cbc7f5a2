//! Peak memory of loading a CSV data set, against the size of the columnar table it makes.
//!
//! `cargo run --release -p qudao-benches --bin qudao-bench-memory -- [LINES]` generates the
//! fixture if needed (in a separate process run, so generation does not count), then loads it
//! and prints the peak resident memory growth and the final columnar size. `--dir PATH` loads
//! another directory instead.

fn main() {
    let lines = std::env::args()
        .nth(1)
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or_else(qudao_benches::lines);
    let csv_only_transactions = std::env::args().any(|a| a == "--transactions-bytes");
    if std::env::args().any(|a| a == "--prepare") {
        let dir = qudao_benches::csv_fixture(lines);
        println!("fixture ready: {}", dir.display());
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    // `--dir PATH` measures another data set directory (e.g. transactions and master data only).
    let args: Vec<String> = std::env::args().collect();
    let dir = match args.iter().position(|a| a == "--dir") {
        Some(i) if i + 1 < args.len() => std::path::PathBuf::from(&args[i + 1]),
        _ => root.join(format!("sample-{lines}")),
    };
    if !dir.join("transactions.csv").exists() {
        eprintln!("run first with --prepare: {}", dir.display());
        std::process::exit(2);
    }
    let before = qudao_benches::rss().unwrap_or(0);
    let start = std::time::Instant::now();
    let data = match qudao::ingest::csv::load_dir(&dir, &Default::default()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let elapsed = start.elapsed();
    let peak = qudao_benches::peak_rss().unwrap_or(0);
    let columnar = data.transactions.value_bytes() as u64;
    let csv = if csv_only_transactions {
        std::fs::metadata(dir.join("transactions.csv")).map_or(0, |m| m.len())
    } else {
        qudao_benches::dir_bytes(&dir)
    };
    let growth = peak.saturating_sub(before);
    println!("lines                 {}", data.transactions.len());
    println!("csv bytes             {csv}");
    println!(
        "load time             {:.3} s ({:.0} MB/s)",
        elapsed.as_secs_f64(),
        csv as f64 / 1e6 / elapsed.as_secs_f64()
    );
    println!("columnar bytes        {columnar}");
    println!("peak rss growth       {growth}");
    println!(
        "peak / columnar       {:.2}",
        growth as f64 / columnar.max(1) as f64
    );
}
