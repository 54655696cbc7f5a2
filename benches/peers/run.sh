#!/usr/bin/env bash
# qudao against the tools users would pick instead, side by side, on the same inputs.
#
# Usage: bash benches/peers/run.sh [--lines N] [--customers N] [--journeys N] [--reps N]
#                                  [--slow-reps N] [--only TASK[,TASK...]]
#
# Makes benches/peers/.venv (PYTHON picks the interpreter), installs the peers from
# requirements.txt and the freshly built qudao wheel, generates the inputs once per size into
# target/peers-data/<lines>/, runs every task and writes BENCHMARKS.md and
# benches/peers/ratios.png. Defaults: 10,000,000 lines, 1,000,000 customers and journeys.
# Not part of the test command: at full size it takes about half an hour.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
py="${PYTHON:-python3}"

lines=10000000
customers=""
journeys=1000000
harness_args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --lines) lines="$2"; shift 2 ;;
        --customers) customers="$2"; shift 2 ;;
        --journeys) journeys="$2"; shift 2 ;;
        --reps|--slow-reps|--only) harness_args+=("$1" "$2"); shift 2 ;;
        -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done
customers="${customers:-$((lines / 10))}"

if [[ ! -x "$venv/bin/python" ]]; then
    echo "==> creating $venv"
    "$py" -m venv "$venv"
fi
vpy="$venv/bin/python"
echo "==> installing the peers (channelattribution builds from source the first time)"
"$vpy" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

echo "==> building the qudao wheel and the Rust side (release)"
wheels="$repo/target/peers-wheel"
rm -rf "$wheels"
"$venv/bin/maturin" build --release --quiet -m "$repo/bindings/python/Cargo.toml" \
    --interpreter "$vpy" --out "$wheels"
"$vpy" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
    "$wheels"/qudao-*.whl
cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p qudao-benches \
    --bin qudao-bench-peers
rust_side="$repo/target/release/qudao-bench-peers"

data="$repo/target/peers-data/$lines-$customers-$journeys"
if [[ ! -f "$data/ready" ]]; then
    echo "==> generating the inputs in $data"
    mkdir -p "$data"
    "$rust_side" generate "$data" --lines "$lines" --customers "$customers" --journeys "$journeys"
    touch "$data/ready"
fi
# Bump the number when prepare.py writes something different.
if [[ ! -f "$data/prepared-2" ]]; then
    echo "==> preparing the Parquet inputs in $data"
    "$vpy" "$here/prepare.py" "$data"
    touch "$data/prepared-2"
fi

echo "==> running the tasks"
"$vpy" "$here/harness.py" --data "$data" --rust "$rust_side" \
    --report "$repo/BENCHMARKS.md" --chart "$here/ratios.png" "${harness_args[@]}"
