#!/usr/bin/env bash
# Build qudao-ffi, compile the C tests and the C examples against include/qudao.h with
# -std=c99 -Wall -Wextra -Wpedantic -Werror, run each under valgrind and then, where the
# compiler supports it, under ASan/UBSan. Works from any directory. Prints a final
# "N passed, M failed" (C assertions summed over all runs, plus one failure for every step
# that failed as a whole) and exits non-zero on any failure.
#
# Environment: CC (default cc), QUDAO_SKIP_VALGRIND=1 to skip valgrind explicitly.
set -uo pipefail

cd "$(dirname "$0")/../../.." || exit 1
root=$(pwd)
CC=${CC:-cc}

passed=0
failed=0
step_fail() {
    echo "FAIL: $*" >&2
    failed=$((failed + 1))
}

echo "== cargo build -p qudao-ffi"
if ! cargo build -p qudao-ffi; then
    echo "0 passed, 1 failed"
    exit 1
fi
target_dir=$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
target_dir=${target_dir:-$root/target}
libdir="$target_dir/debug"
if [ ! -f "$libdir/libqudao.so" ] && [ ! -f "$libdir/libqudao.dylib" ]; then
    echo "no libqudao shared library in $libdir" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

cflags=(-std=c99 -Wall -Wextra -Wpedantic -Werror -g -pthread
    -I "$root/bindings/c/include" -I "$root/bindings/c/tests")
ldflags=(-L "$libdir" -lqudao "-Wl,-rpath,$libdir" -pthread)

# compile <out> <src> [extra flags...]
compile() {
    local out=$1 src=$2
    shift 2
    "$CC" "${cflags[@]}" "$@" -o "$out" "$src" "${ldflags[@]}"
}

# Run a test binary; add its "N passed, M failed" line to the totals.
# run_test <label> <command...>
run_test() {
    local label=$1
    shift
    local log="$build/log.txt"
    "$@" >"$log" 2>&1
    local rc=$?
    cat "$log"
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -n "$line" ]; then
        local p f
        p=${line%% passed*}
        f=${line#*, }
        f=${f%% failed}
        passed=$((passed + p))
        failed=$((failed + f))
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            step_fail "$label exited with $rc (memory error or leak?)"
        fi
    else
        step_fail "$label printed no result line (exit $rc)"
    fi
}

tests=()
for src in "$root"/bindings/c/tests/*.c; do
    name=$(basename "$src" .c)
    echo "== compile $name"
    if compile "$build/$name" "$src"; then
        tests+=("$name")
    else
        step_fail "compile $name"
    fi
done

echo "== compile examples/c/summary.c"
example_ok=0
if compile "$build/summary" "$root/examples/c/summary.c"; then
    example_ok=1
else
    step_fail "compile examples/c/summary.c"
fi

echo "== compile examples/c/rebates.c"
rebates_ok=0
if compile "$build/rebates" "$root/examples/c/rebates.c"; then
    rebates_ok=1
else
    step_fail "compile examples/c/rebates.c"
fi

echo "== compile examples/c/conflict.c"
conflict_ok=0
if compile "$build/conflict" "$root/examples/c/conflict.c"; then
    conflict_ok=1
else
    step_fail "compile examples/c/conflict.c"
fi

echo "== compile examples/c/attribution.c"
attribution_ok=0
if compile "$build/attribution" "$root/examples/c/attribution.c"; then
    attribution_ok=1
else
    step_fail "compile examples/c/attribution.c"
fi

# The example: loads the fixture, prints JSON with the expected total; usage error without
# arguments. Counted as one assertion each.
check_example() {
    local label=$1
    shift
    local out="$build/example.txt"
    if "$@" "$build/summary" "$root/testdata/tiny" >"$out" 2>"$build/example.err" &&
        grep -q '"net_revenue": 59100' "$out"; then
        passed=$((passed + 1))
    else
        cat "$build/example.err" >&2
        step_fail "$label: example summary on testdata/tiny"
    fi
    "$@" "$build/summary" >/dev/null 2>&1
    if [ $? -eq 2 ]; then
        passed=$((passed + 1))
    else
        step_fail "$label: example usage error"
    fi
}

# The rebates example: settles the sample company's programs over testdata/sample, prints the
# statement line count and the first lines; usage error without arguments. Counted as one
# assertion each.
check_rebates() {
    local label=$1
    shift
    local out="$build/rebates.txt"
    if "$@" "$build/rebates" "$root/testdata/sample" 2025-12-31 5 >"$out" 2>"$build/rebates.err" &&
        grep -Eq '^[1-9][0-9]* statement lines as of 2025-12-31$' "$out" &&
        [ "$(grep -c 'final' "$out")" -ge 1 ]; then
        passed=$((passed + 1))
    else
        cat "$out" "$build/rebates.err" >&2
        step_fail "$label: example rebates on testdata/sample"
    fi
    "$@" "$build/rebates" >/dev/null 2>&1
    if [ $? -eq 2 ]; then
        passed=$((passed + 1))
    else
        step_fail "$label: example rebates usage error"
    fi
}

# The conflict example: detects conflict with the sample policy over testdata/sample, prints
# the finding count and the first findings, cross-region ones (listed first) against the
# planted partner; usage error without arguments. Counted as one assertion each.
cross_partner=$(sed -n 's/.*"cross_region_partner": "\([^"]*\)".*/\1/p' \
    "$root/testdata/sample/planted.json")
check_conflict() {
    local label=$1
    shift
    local out="$build/conflict.txt"
    if "$@" "$build/conflict" "$root/testdata/sample" 5 >"$out" 2>"$build/conflict.err" &&
        grep -Eq '^[1-9][0-9]* findings$' "$out" &&
        grep -Eq "^cross_region +${cross_partner:-?} " "$out"; then
        passed=$((passed + 1))
    else
        cat "$out" "$build/conflict.err" >&2
        step_fail "$label: example conflict on testdata/sample"
    fi
    "$@" "$build/conflict" >/dev/null 2>&1
    if [ $? -eq 2 ]; then
        passed=$((passed + 1))
    else
        step_fail "$label: example conflict usage error"
    fi
}

# The attribution example: every model over the journeys of testdata/sample side by side,
# the channel economics, and a reallocation of the current spend that adds up exactly to it;
# usage error without arguments. Counted as one assertion each.
check_attribution() {
    local label=$1
    shift
    local out="$build/attribution.txt"
    if "$@" "$build/attribution" "$root/testdata/sample" 2025-12-31 >"$out" 2>"$build/attribution.err" &&
        grep -Eq '^[1-9][0-9]* journeys$' "$out" &&
        grep -Eq '^channel +first_touch +last_touch +linear +time_decay +position_based +markov +shapley$' "$out" &&
        grep -Eq '^allocated ([0-9]+\.[0-9]{2}) of \1$' "$out"; then
        passed=$((passed + 1))
    else
        cat "$out" "$build/attribution.err" >&2
        step_fail "$label: example attribution on testdata/sample"
    fi
    "$@" "$build/attribution" >/dev/null 2>&1
    if [ $? -eq 2 ]; then
        passed=$((passed + 1))
    else
        step_fail "$label: example attribution usage error"
    fi
}

if [ "${QUDAO_SKIP_VALGRIND:-0}" = 1 ]; then
    echo "== valgrind: skipped (QUDAO_SKIP_VALGRIND=1)"
else
    if ! command -v valgrind >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 &&
        [ "$(id -u)" = 0 ]; then
        echo "== installing valgrind"
        apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
    fi
    if command -v valgrind >/dev/null 2>&1; then
        vg=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect
            --errors-for-leak-kinds=definite,indirect --error-exitcode=1)
        for name in "${tests[@]}"; do
            echo "== valgrind $name"
            run_test "valgrind $name" "${vg[@]}" "$build/$name" "$root"
        done
        if [ "$example_ok" = 1 ]; then
            echo "== valgrind examples/c/summary"
            check_example valgrind "${vg[@]}"
        fi
        if [ "$rebates_ok" = 1 ]; then
            echo "== valgrind examples/c/rebates"
            check_rebates valgrind "${vg[@]}"
        fi
        if [ "$conflict_ok" = 1 ]; then
            echo "== valgrind examples/c/conflict"
            check_conflict valgrind "${vg[@]}"
        fi
        if [ "$attribution_ok" = 1 ]; then
            echo "== valgrind examples/c/attribution"
            check_attribution valgrind "${vg[@]}"
        fi
    else
        step_fail "valgrind is not installed (set QUDAO_SKIP_VALGRIND=1 to skip it)"
    fi
fi

# ASan/UBSan, if the compiler and the environment support them.
san=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
printf 'int main(void) { return 0; }\n' >"$build/probe.c"
if "$CC" "${san[@]}" -o "$build/probe" "$build/probe.c" >/dev/null 2>&1 && "$build/probe"; then
    for name in "${tests[@]}"; do
        echo "== asan+ubsan $name"
        if compile "$build/$name-san" "$root/bindings/c/tests/$name.c" "${san[@]}"; then
            run_test "asan $name" "$build/$name-san" "$root"
        else
            step_fail "compile $name with sanitizers"
        fi
    done
    if [ "$example_ok" = 1 ] && compile "$build/summary-san" "$root/examples/c/summary.c" "${san[@]}"; then
        echo "== asan+ubsan examples/c/summary"
        cp "$build/summary-san" "$build/summary"
        check_example asan env
    fi
    if [ "$rebates_ok" = 1 ] && compile "$build/rebates-san" "$root/examples/c/rebates.c" "${san[@]}"; then
        echo "== asan+ubsan examples/c/rebates"
        cp "$build/rebates-san" "$build/rebates"
        check_rebates asan env
    fi
    if [ "$conflict_ok" = 1 ] && compile "$build/conflict-san" "$root/examples/c/conflict.c" "${san[@]}"; then
        echo "== asan+ubsan examples/c/conflict"
        cp "$build/conflict-san" "$build/conflict"
        check_conflict asan env
    fi
    if [ "$attribution_ok" = 1 ] && compile "$build/attribution-san" "$root/examples/c/attribution.c" "${san[@]}"; then
        echo "== asan+ubsan examples/c/attribution"
        cp "$build/attribution-san" "$build/attribution"
        check_attribution asan env
    fi
else
    echo "== asan+ubsan: skipped ($CC cannot build or run -fsanitize=address,undefined here)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
