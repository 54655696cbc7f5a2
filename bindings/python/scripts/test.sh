#!/usr/bin/env bash
# Build the qudao wheel and run the Python tests (warnings are errors).
#
# Usage: bash bindings/python/scripts/test.sh [pytest args...]   (from any directory)
# Uses the virtualenv <repo>/.venv, made on first use; PYTHON picks the interpreter for it.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
venv="$repo/.venv"
py="${PYTHON:-python3}"
start=$SECONDS

if [[ ! -x "$venv/bin/python" ]]; then
    echo "==> creating $venv"
    "$py" -m venv "$venv"
fi
vpy="$venv/bin/python"

echo "==> installing build and test tools"
"$vpy" -m pip install --quiet --disable-pip-version-check \
    "maturin>=1.5,<2" pytest pyarrow polars pandas matplotlib

echo "==> building the wheel (release)"
wheels="$repo/target/wheels"
rm -f "$wheels"/qudao-*.whl
"$venv/bin/maturin" build --release --quiet -m "$repo/bindings/python/Cargo.toml" \
    --interpreter "$vpy" --out "$wheels"
shopt -s nullglob
built=("$wheels"/qudao-*.whl)
if [[ ${#built[@]} -ne 1 ]]; then
    echo "expected one wheel in $wheels, found ${#built[@]}" >&2
    exit 1
fi
"$vpy" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "${built[0]}"

echo "==> pytest"
cd "$repo"
status=0
"$vpy" -W error -m pytest -W error -p no:cacheprovider \
    -c "$repo/bindings/python/pyproject.toml" --rootdir "$repo/bindings/python" \
    "$repo/bindings/python/tests" "$@" || status=$?
if [[ $status -eq 5 ]]; then
    echo "pytest collected no tests: failing" >&2
    exit 1
fi
echo "==> done in $((SECONDS - start)) s (pytest exit $status)"
exit $status
