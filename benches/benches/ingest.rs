//! Loading transactions: from CSV (target ≥ 150 MB/s on one core) and from Arrow batches whose
//! types match (target: no per-row copy — compared with a plain copy of the same columns).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use qudao::Strictness;

fn csv_load(c: &mut Criterion) {
    let lines = qudao_benches::lines();
    let dir = qudao_benches::csv_fixture(lines);
    let tx_bytes = std::fs::metadata(dir.join("transactions.csv"))
        .map(|m| m.len())
        .unwrap_or(0);
    let mut g = c.benchmark_group("csv_load");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(qudao_benches::dir_bytes(&dir)));
    g.bench_function(format!("load_dir/{lines}"), |b| {
        b.iter(|| {
            let d = qudao::ingest::csv::load_dir(black_box(&dir), &Default::default());
            black_box(d.map(|d| d.transactions.len()).unwrap_or(0))
        })
    });
    g.finish();
    eprintln!("(transactions.csv alone is {tx_bytes} bytes)");
}

fn arrow_load(c: &mut Criterion) {
    let lines = qudao_benches::lines();
    let data = qudao_benches::sample(lines);
    let batches = qudao_benches::matching_batches(&data);
    let bytes: usize = batches.iter().map(|b| b.get_array_memory_size()).sum();
    let mut g = c.benchmark_group("arrow_load");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function(format!("dataset_from_batches/{lines}"), |b| {
        b.iter_batched(
            || data.master.clone(),
            |master| {
                let d = qudao::arrow::dataset_from_batches(
                    master,
                    black_box(&batches),
                    Strictness::Strict,
                );
                black_box(d.map(|d| d.transactions.len()).unwrap_or(0))
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function(format!("memcpy_of_the_columns/{lines}"), |b| {
        b.iter(|| {
            let copies: Vec<Vec<u8>> = batches
                .iter()
                .flat_map(|batch| batch.columns().iter())
                .map(|col| col.to_data().buffers()[0].as_slice().to_vec())
                .collect();
            black_box(copies.len())
        })
    });
    g.finish();
}

criterion_group!(benches, csv_load, arrow_load);
criterion_main!(benches);
