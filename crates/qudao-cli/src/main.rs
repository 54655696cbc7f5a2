//! The `qudao` command line: a demo over the bundled sample company, a generator writing it
//! as CSV, and a summary of any CSV data set.
//!
//! Exit codes: 0 on success, 2 for bad data or arguments (the message names the file and
//! line), 1 for anything else (e.g. a failed write). Never a panic or a backtrace.

mod attribution;
mod conflict;
mod customers;
mod evaluation;
mod rebates;
mod report;
mod text;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use qudao::ingest::csv::{LoadOptions, load_dir, write_dir};
use qudao::sample::{SampleConfig, generate};
use qudao::{Currency, Dataset, Strictness};

/// Lines of the sample the demo generates when not told otherwise: big enough to look like a
/// company, small enough to run in a blink.
const DEMO_LINES: usize = 200_000;

#[derive(Debug, Parser)]
#[command(
    name = "qudao",
    version,
    about = "Sales-channel management (渠道管理): channel data summaries and the sample company",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Report on the bundled sample company (generated on the fly) or on a CSV data set.
    Demo(DemoArgs),
    /// Write the sample company as a CSV data set.
    Generate(GenerateArgs),
    /// Load a CSV data set and report on it.
    Summary(SummaryArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A readable report.
    Text,
    /// The summary as JSON.
    Json,
}

#[derive(Debug, clap::Args)]
struct LoadArgs {
    /// Set bad records aside (and report them) instead of stopping at the first.
    #[arg(long)]
    lenient: bool,
    /// Currency of the amounts: an ISO code (`CNY`) or `CODE:EXPONENT` (`XTS:3`); overrides
    /// `dataset.toml`.
    #[arg(long, value_name = "CODE")]
    currency: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, clap::Args)]
struct DemoArgs {
    /// Transaction lines of the generated sample.
    #[arg(long, default_value_t = DEMO_LINES, value_name = "N")]
    lines: usize,
    /// Seed of the generated sample.
    #[arg(long, default_value_t = 42, value_name = "S")]
    seed: u64,
    /// Report on the CSV data set in this directory instead of the generated sample.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    #[command(flatten)]
    load: LoadArgs,
}

#[derive(Debug, clap::Args)]
struct GenerateArgs {
    /// Directory to write the CSV files into (created if needed).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Transaction lines.
    #[arg(long, default_value_t = DEMO_LINES, value_name = "N")]
    lines: usize,
    /// Seed.
    #[arg(long, default_value_t = 42, value_name = "S")]
    seed: u64,
}

#[derive(Debug, clap::Args)]
struct SummaryArgs {
    /// Directory of the CSV data set.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    #[command(flatten)]
    load: LoadArgs,
}

/// A failure, with the exit code it maps to.
#[derive(Debug)]
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    /// Bad data or arguments.
    fn input(message: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: message.into(),
        }
    }

    /// Anything else.
    fn other(message: impl Into<String>) -> Self {
        Failure {
            code: 1,
            message: message.into(),
        }
    }
}

fn main() -> ExitCode {
    // A bug of ours should read as an error line, not a Rust backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error: {info}");
    }));
    let cli = Cli::parse();
    match std::panic::catch_unwind(|| run(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(f)) => {
            progress_clear();
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
        Err(_) => ExitCode::from(1),
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Demo(a) => {
            let (data, source) = match &a.data {
                Some(dir) => (load(dir, &a.load)?, dir.display().to_string()),
                None => {
                    let config = SampleConfig {
                        seed: a.seed,
                        ..SampleConfig::with_lines(a.lines)
                    };
                    let data = sample(&config)?;
                    let source = format!(
                        "the sample company 茗禾茶业 (Minghe Tea), generated with seed {} ({} lines; `qudao generate` writes it as CSV)",
                        a.seed,
                        text::count(a.lines as u64)
                    );
                    (data, source)
                }
            };
            report(&data, &source, a.load.format)
        }
        Command::Summary(a) => {
            let data = load(&a.data, &a.load)?;
            report(&data, &a.data.display().to_string(), a.load.format)
        }
        Command::Generate(a) => {
            let config = SampleConfig {
                seed: a.seed,
                ..SampleConfig::with_lines(a.lines)
            };
            progress(&format!(
                "generating the sample company ({} lines)",
                text::count(config.lines as u64)
            ));
            let s = generate(&config).map_err(|e| Failure::input(e.to_string()))?;
            let data = s.dataset;
            progress(&format!("writing {}", a.out.display()));
            write_dir(&data, &a.out).map_err(|e| Failure::other(e.to_string()))?;
            // What was planted, for tests of detectors over the files (not a data table:
            // loaders ignore it).
            let planted = serde_json::to_string_pretty(&s.planted)
                .map_err(|e| Failure::other(format!("planted.json: {e}")))?;
            let path = a.out.join("planted.json");
            std::fs::write(&path, planted + "\n")
                .map_err(|e| Failure::other(format!("{}: {e}", path.display())))?;
            progress_clear();
            eprintln!(
                "wrote {} lines, {} customers, {} partners to {}",
                text::count(data.transactions.len() as u64),
                text::count(data.master.customers.len() as u64),
                data.master.partners.len(),
                a.out.display()
            );
            Ok(())
        }
    }
}

fn sample(config: &SampleConfig) -> Result<Dataset, Failure> {
    progress(&format!(
        "generating the sample company ({} lines)",
        text::count(config.lines as u64)
    ));
    let s = generate(config).map_err(|e| Failure::input(e.to_string()))?;
    progress_clear();
    Ok(s.dataset)
}

fn load(dir: &Path, a: &LoadArgs) -> Result<Dataset, Failure> {
    let currency = a.currency.as_deref().map(parse_currency).transpose()?;
    let opts = LoadOptions {
        mode: if a.lenient {
            Strictness::Lenient
        } else {
            Strictness::Strict
        },
        currency,
        progress: std::io::stderr().is_terminal().then(|| {
            let f: qudao::ingest::csv::ProgressFn =
                Arc::new(|table: &str, done: u64, total: u64| {
                    let pct = done.saturating_mul(100).checked_div(total).unwrap_or(100);
                    progress(&format!("loading {table}.csv  {pct:>3}%"));
                });
            f
        }),
        ..LoadOptions::default()
    };
    let data = load_dir(dir, &opts).map_err(|e| Failure::input(e.to_string()))?;
    progress_clear();
    Ok(data)
}

fn parse_currency(text: &str) -> Result<Currency, Failure> {
    let c = match text.split_once(':') {
        Some((code, exp)) => {
            let exp: u8 = exp.parse().map_err(|_| {
                Failure::input(format!("--currency {text:?}: the exponent is not a number"))
            })?;
            Currency::new(code, exp)
        }
        None => Currency::from_code(text),
    };
    c.map_err(|e| Failure::input(format!("--currency {text:?}: {e}")))
}

fn report(data: &Dataset, source: &str, format: Format) -> Result<(), Failure> {
    let summary = data.summary().map_err(|e| Failure::input(e.to_string()))?;
    let out = match format {
        Format::Json => summary.to_json() + "\n",
        Format::Text => {
            let cx = report::Context {
                data,
                summary: &summary,
                source,
            };
            report::render(&cx, &report::sections())
                .map_err(|_| Failure::other("could not format the report"))?
        }
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // A closed pipe (`qudao demo | head`) is the reader's choice, not a failure.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure::other(format!("writing the report: {e}")))
        }
        _ => Ok(()),
    }
}

/// Show a one-line progress message in place on stderr, only when it is a terminal.
fn progress(message: &str) {
    let mut err = std::io::stderr();
    if err.is_terminal() {
        let _ = write!(err, "\r{message}\x1b[K");
        let _ = err.flush();
    }
}

/// Remove the progress line.
fn progress_clear() {
    let mut err = std::io::stderr();
    if err.is_terminal() {
        let _ = write!(err, "\r\x1b[K");
        let _ = err.flush();
    }
}
