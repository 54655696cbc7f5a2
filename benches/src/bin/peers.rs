//! The Rust side of the peer benchmark harness (`benches/peers/`).
//!
//! ```text
//! qudao-bench-peers generate DIR [--lines N] [--customers N] [--journeys N] [--channels N] [--seed N]
//! qudao-bench-peers measure DIR [--reps N] [--as-of YYYY-MM-DD]
//! ```
//!
//! `generate` writes the benchmark inputs once: the sample company as a CSV directory
//! (`DIR/csv/`, the format `load_dir` reads: transactions and master tables) and the synthetic journeys of the attribution
//! bench as aggregated paths (`DIR/journeys.csv`: `path,conversions,value,nulls`, the form the
//! ChannelAttribution package takes). The Python harness turns them into Parquet.
//!
//! `measure` runs, in Rust, the same calls the harness makes through the Python wheel, on the
//! same files, and prints one JSON object of wall times in seconds per step, so the harness
//! can state what calling through Python costs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use qudao::Date;
use qudao::attribution::{AttributionSettings, Journeys, Model, PathRow, synthetic_journeys};
use qudao::clv::{BtydData, fit_bgnbd, fit_gamma_gamma};
use qudao::customer::{CustomerOptions, CustomerSummary, Frequency, TimeUnit};
use qudao::rfm::{RfmRules, analyze};
use qudao::segment::SegmentScheme;

/// Tables `generate` leaves out of the CSV directory.
const OPERATIONAL_TABLES: &[&str] = &[
    "channel_costs",
    "complaints",
    "deliveries",
    "inventory",
    "satisfaction",
    "targets",
    "touchpoints",
];

struct Args {
    command: String,
    dir: PathBuf,
    lines: usize,
    customers: usize,
    journeys: usize,
    channels: usize,
    seed: u64,
    reps: usize,
    as_of: String,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let command = it
        .next()
        .ok_or("usage: qudao-bench-peers generate|measure DIR [options]")?;
    let dir = PathBuf::from(it.next().ok_or("missing DIR")?);
    let mut a = Args {
        command,
        dir,
        lines: 10_000_000,
        customers: 1_000_000,
        journeys: 1_000_000,
        channels: 20,
        seed: 42,
        reps: 5,
        as_of: "2025-12-31".into(),
    };
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = || {
            value
                .replace('_', "")
                .parse::<usize>()
                .map_err(|e| format!("{flag} {value}: {e}"))
        };
        match flag.as_str() {
            "--lines" => a.lines = num()?,
            "--customers" => a.customers = num()?,
            "--journeys" => a.journeys = num()?,
            "--channels" => a.channels = num()?,
            "--seed" => a.seed = num()? as u64,
            "--reps" => a.reps = num()?.max(1),
            "--as-of" => a.as_of = value,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(a)
}

fn main() {
    let result = parse_args().and_then(|a| match a.command.as_str() {
        "generate" => generate(&a),
        "measure" => measure(&a),
        other => Err(format!("unknown command {other}: generate or measure")),
    });
    if let Err(e) = result {
        eprintln!("qudao-bench-peers: {e}");
        std::process::exit(1);
    }
}

fn generate(a: &Args) -> Result<(), String> {
    let mut config = qudao::sample::SampleConfig::with_lines(a.lines);
    config.customers = a.customers;
    config.seed = a.seed;
    let start = Instant::now();
    let sample = qudao::sample::generate(&config).map_err(|e| e.to_string())?;
    let csv = a.dir.join("csv");
    let _ = std::fs::remove_dir_all(&csv);
    qudao::ingest::csv::write_dir(&sample.dataset, &csv).map_err(|e| e.to_string())?;
    // The benchmarks read transactions and master data only: the operational tables would
    // only add bytes that the peers would have to read too.
    for table in OPERATIONAL_TABLES {
        let _ = std::fs::remove_file(csv.join(format!("{table}.csv")));
    }
    eprintln!(
        "wrote {} lines, {} customers to {} in {:.1} s",
        sample.dataset.transactions.len(),
        sample.dataset.master.customers.len(),
        csv.display(),
        start.elapsed().as_secs_f64()
    );
    let journeys = synthetic_journeys(a.journeys, a.channels, a.seed).map_err(|e| e.to_string())?;
    let paths = journeys.without_times().to_path_records();
    let file = a.dir.join("journeys.csv");
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&file).map_err(|e| format!("{}: {e}", file.display()))?,
    );
    let io = |e: std::io::Error| format!("{}: {e}", file.display());
    writeln!(out, "path,conversions,value,nulls").map_err(io)?;
    for p in &paths {
        writeln!(out, "{},{},{},{}", p.path, p.conversions, p.value, p.nulls).map_err(io)?;
    }
    out.flush().map_err(io)?;
    eprintln!(
        "wrote {} journeys as {} paths to {}",
        journeys.len(),
        paths.len(),
        file.display()
    );
    Ok(())
}

/// Wall times of `reps` runs of `f`, in seconds.
fn time<T>(reps: usize, mut f: impl FnMut() -> Result<T, String>) -> Result<Vec<f64>, String> {
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let start = Instant::now();
        std::hint::black_box(f()?);
        times.push(start.elapsed().as_secs_f64());
    }
    Ok(times)
}

fn read_paths(file: &Path) -> Result<Journeys, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |k: usize| {
            f.get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .ok_or_else(|| format!("{}:{}: bad field {k}", file.display(), i + 1))
        };
        rows.push(PathRow {
            path: f.first().copied().unwrap_or_default(),
            conversions: num(1)?,
            value: num(2)?,
            nulls: num(3)?,
        });
    }
    Journeys::from_paths(&rows, None).map_err(|e| e.to_string())
}

fn measure(a: &Args) -> Result<(), String> {
    let csv = a.dir.join("csv");
    let load =
        || qudao::ingest::csv::load_dir(&csv, &Default::default()).map_err(|e| e.to_string());
    let data = load()?;
    let as_of = Date::parse(a.as_of.as_bytes()).map_err(|e| format!("--as-of: {e}"))?;
    let rfm_options = CustomerOptions::new(as_of, Frequency::DistinctOrders);
    let mut btyd_options = CustomerOptions::new(as_of, Frequency::ActivePeriods);
    btyd_options.unit = TimeUnit::Day;
    let scheme = SegmentScheme::eleven_segment();
    let rules = RfmRules::default();
    let journeys = read_paths(&a.dir.join("journeys.csv"))?;
    let settings = attribution_settings()?;
    let scale = 10i64.pow(u32::from(data.currency().exponent));

    let csv_load = time(a.reps, || load().map(|d| d.transactions.len()))?;
    let rfm = time(a.reps, || {
        let s = CustomerSummary::compute(&data, rfm_options).map_err(|e| e.to_string())?;
        analyze(&s, &rules, &scheme).map_err(|e| e.to_string())
    })?;
    let btyd = time(a.reps, || {
        let s = CustomerSummary::compute(&data, btyd_options).map_err(|e| e.to_string())?;
        let d = BtydData::compress(s.btyd_rows()).map_err(|(i, r)| format!("row {i}: {r}"))?;
        let purchases = fit_bgnbd(&d);
        let spend = fit_gamma_gamma(&s.spend_rows(scale).0);
        Ok((purchases, spend))
    })?;
    let attribution = time(a.reps, || {
        qudao::attribution::attribute(&journeys, &settings).map_err(|e| e.to_string())
    })?;
    let json = |v: &[f64]| {
        let items: Vec<String> = v.iter().map(|t| format!("{t:.6}")).collect();
        format!("[{}]", items.join(", "))
    };
    println!(
        "{{\"csv_load\": {}, \"rfm\": {}, \"btyd\": {}, \"attribution\": {}}}",
        json(&csv_load),
        json(&rfm),
        json(&btyd),
        json(&attribution)
    );
    Ok(())
}

/// Heuristic models and first-order Markov, as the harness asks of both tools.
fn attribution_settings() -> Result<AttributionSettings, String> {
    let defaults = AttributionSettings::default();
    Ok(AttributionSettings {
        models: vec![
            Model::FirstTouch,
            Model::LastTouch,
            Model::Linear,
            Model::Markov,
        ],
        markov: qudao::attribution::MarkovOptions {
            order: 1,
            ..defaults.markov
        },
        ..defaults
    })
}
