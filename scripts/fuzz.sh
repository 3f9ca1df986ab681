#!/usr/bin/env bash
# Runs every libFuzzer harness (Sources/vitals-fuzz) under AddressSanitizer, one after the
# other, from the seed corpus kept in the repo, and prints one table: executions, exec/s,
# coverage (libFuzzer's cov: and ft:), new inputs found, peak RSS, result.
#
#   make fuzz                                   300 s per target
#   FUZZ_SECONDS=30 make fuzz                   shorter
#   FUZZ_TARGETS="http websocket" make fuzz     some targets only
#   make fuzz-ci                                the CI budget (see the Makefile)
#
# FUZZ_PROC_SECONDS (default: FUZZ_SECONDS) caps the /proc targets, which are small and
# reach their coverage within seconds. New corpus entries and crash inputs go under
# .build/fuzz-out/<target>/ (never into the repo): a crash becomes a regression input by
# copying it to Tests/Fuzz/corpus/<target>/crash-<name> once the daemon is fixed, so every
# later run replays it first. Exit status: 0 when every target ran clean, 1 on any crash,
# leak, timeout or out-of-memory, 2 when the harness could not be built.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${FUZZ_SECONDS:-300}
PROC_SECONDS=${FUZZ_PROC_SECONDS:-$SECONDS_EACH}
CORPUS=Tests/Fuzz/corpus
OUT=.build/fuzz-out
BIN=.build/fuzz/debug/vitals-fuzz
TARGETS=${FUZZ_TARGETS:-$(ls "$CORPUS")}

# SwiftPM hands -sanitize=fuzzer to the link only; without coverage flags on the compile
# libFuzzer sees no edges and mutates blind. These are the ones swiftc -sanitize=fuzzer uses.
COVERAGE=edge,trace-cmp,inline-8bit-counters,pc-table
build_start=$(date +%s)
echo "fuzz: building the harness with -sanitize=fuzzer,address (.build/fuzz)" >&2
mkdir -p "$OUT"
# VITALS_FUZZ=1 is what adds the vitals-fuzz target to Package.swift.
if ! VITALS_FUZZ=1 swift build --scratch-path .build/fuzz -c debug --sanitize=fuzzer --sanitize=address \
        -Xswiftc -sanitize-coverage=$COVERAGE --product vitals-fuzz >"$OUT/build.log" 2>&1; then
    grep -v "Cannot export local symbol" "$OUT/build.log" | tail -40 >&2
    echo "fuzz: build failed (log $OUT/build.log)" >&2; exit 2
fi
[ -x "$BIN" ] || { echo "fuzz: $BIN missing after the build" >&2; exit 2; }
echo "fuzz: build took $(( $(date +%s) - build_start )) s" >&2

# The Swift runtime's crash handler would race libFuzzer's own for the signal.
export SWIFT_BACKTRACE=enable=no
# Leaks are errors (libFuzzer turns LeakSanitizer's report into a failure).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
# Objects owned by lazily built globals are not leaks; why in the file.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/Tests/Fuzz/lsan.supp:print_suppressions=0}

ROWS=()
FAILED=0
for t in $TARGETS; do
    [ -d "$CORPUS/$t" ] || { echo "fuzz: no corpus folder $CORPUS/$t" >&2; exit 2; }
    secs=$SECONDS_EACH
    case "$t" in proc-*) secs=$PROC_SECONDS ;; esac
    work="$OUT/$t"
    mkdir -p "$work/corpus" "$work/artifacts"
    log="$work/fuzz.log"
    echo "fuzz: $t for $secs s" >&2
    status=0
    # The first corpus folder receives new entries: the scratch one, never the repo's.
    VITALS_FUZZ_TARGET=$t "$BIN" "$work/corpus" "$CORPUS/$t" \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/" >"$log" 2>&1 || status=$?
    stat() { grep -E "^stat::$1:" "$log" | tail -1 | awk '{print $2}'; }
    last=$(grep -E ' cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
    cov=$(echo "$last" | sed -nE 's/.* cov: ([0-9]+).*/\1/p')
    ft=$(echo "$last" | sed -nE 's/.* ft: ([0-9]+).*/\1/p')
    result=ok
    if [ "$status" -ne 0 ]; then
        FAILED=1
        result="FAIL($status)"
        if grep -q "ERROR: libFuzzer: timeout" "$log"; then result="TIMEOUT"
        elif grep -q "ERROR: LeakSanitizer" "$log"; then result="LEAK"
        elif grep -q "out-of-memory" "$log"; then result="OOM"
        elif grep -qE "ERROR: (AddressSanitizer|libFuzzer: deadly signal)" "$log"; then result="CRASH"
        fi
        echo "fuzz: $t: $result; log $log" >&2
        grep -E "oracle failed|ERROR:|SUMMARY:|Fatal error|artifact_prefix|Test unit written" "$log" | head -8 >&2 || true
        echo "fuzz: replay with: VITALS_FUZZ_TARGET=$t SWIFT_BACKTRACE=enable=no $BIN <input>" >&2
    fi
    ROWS+=("$t|$(stat number_of_executed_units)|$(stat average_exec_per_sec)|${cov:-?}|${ft:-?}|$(stat new_units_added)|$(stat peak_rss_mb)|$secs|$result")
done

printf '\n%-16s %12s %9s %6s %7s %5s %8s %5s  %s\n' target executions exec/s cov ft new rss_mb secs result
for r in "${ROWS[@]}"; do
    IFS='|' read -r t n eps cov ft new rss secs result <<<"$r"
    printf '%-16s %12s %9s %6s %7s %5s %8s %5s  %s\n' "$t" "${n:-?}" "${eps:-?}" "$cov" "$ft" "${new:-?}" "${rss:-?}" "$secs" "$result"
done
exit "$FAILED"
