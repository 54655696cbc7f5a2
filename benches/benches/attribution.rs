//! Channel attribution: all five heuristic models plus the first-order exact Markov chain over
//! synthetic journeys (the target: 1,000,000 journeys, 20 channels, 1–10 touches each,
//! in ≤ 1 s). `QUDAO_BENCH_JOURNEYS` sets the number of journeys (default 1,000,000),
//! `QUDAO_BENCH_CHANNELS` the number of channels (default 20; try hundreds for the sparse solve).
//! `attribution_on_sample` builds the journeys from the sample company's touchpoints and first
//! purchases at `QUDAO_BENCH_LINES` lines, then attributes them.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use qudao::attribution::{AttributionSettings, Journeys, Model, attribute, synthetic_journeys};

fn journeys() -> usize {
    std::env::var("QUDAO_BENCH_JOURNEYS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000)
}

fn channels() -> usize {
    std::env::var("QUDAO_BENCH_CHANNELS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

fn attribution(c: &mut Criterion) {
    let n = journeys();
    let channels = channels();
    let started = std::time::Instant::now();
    let set = synthetic_journeys(n, channels, 2025).expect("generates");
    let built = started.elapsed();
    let mut settings = AttributionSettings::default();
    // Shapley is exact up to 15 channels; the target is heuristics plus Markov.
    settings.models.retain(|&m| m != Model::Shapley);
    let result = attribute(&set, &settings).expect("attributes");
    let markov = result.markov.as_ref().expect("markov ran");
    eprintln!(
        "attribution bench: {n} journeys over {channels} channels ({} distinct, {} touches) built in {:.0?}, {} conversions, {} Markov states, P(conversion) {}, {} sweeps",
        set.len(),
        set.touches().len(),
        built,
        set.total_conversions(),
        markov.states.len(),
        markov.conversion_probability,
        markov.sweeps
    );
    let mut g = c.benchmark_group("attribution");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(format!("heuristics_and_markov/{n}x{channels}"), |b| {
        b.iter(|| black_box(attribute(&set, &settings).map(|r| r.models.len())))
    });
    let mut markov_only = settings.clone();
    markov_only.models = vec![Model::Markov];
    g.bench_function(format!("markov/{n}x{channels}"), |b| {
        b.iter(|| black_box(attribute(&set, &markov_only).map(|r| r.models.len())))
    });
    g.finish();
}

/// Journeys as a user gets them from a data set, then the same models.
fn attribution_on_sample(c: &mut Criterion) {
    let lines = qudao_benches::lines();
    let data = qudao_benches::sample_with_customers(lines, qudao_benches::customers_for(lines));
    let mut settings = AttributionSettings::default();
    settings.models.retain(|&m| m != Model::Shapley);
    let options = settings.journey_options();
    let set = Journeys::from_dataset(&data, &options).expect("journeys");
    eprintln!(
        "sample at {lines} lines: {} touchpoints, {} distinct journeys, {} conversions",
        data.ops.touchpoints.len(),
        set.len(),
        set.total_conversions()
    );
    let mut g = c.benchmark_group("attribution");
    g.sample_size(10);
    g.throughput(Throughput::Elements(lines as u64));
    g.bench_function(
        format!("sample/journeys+heuristics_and_markov/{lines}"),
        |b| {
            b.iter(|| {
                let set = Journeys::from_dataset(&data, &options).expect("journeys");
                black_box(attribute(&set, &settings).map(|r| r.models.len()))
            })
        },
    );
    g.finish();
}

criterion_group!(benches, attribution, attribution_on_sample);
criterion_main!(benches);
