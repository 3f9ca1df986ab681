#!/usr/bin/env bash
# Runs every test and ends with one plain summary line taken from XCTest's own count.
# (`swift test` closes with Swift Testing's "0 tests" line even when XCTest ran them all,
# which reads like an empty run; the summary says what actually ran.)
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp "${TMPDIR:-/tmp}/vitals-test.XXXXXX")
trap 'rm -f "$log"' EXIT
swift test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# "Executed 182 tests, with 3 tests skipped and 0 failures (0 unexpected) in ..." (the last one is the total)
line=$(grep -E '^[[:space:]]*Executed [0-9]+ tests?, with ' "$log" | tail -1)
executed=$(echo "$line" | sed -E 's/.*Executed ([0-9]+) test.*/\1/')
skipped=$(echo "$line" | grep -oE '[0-9]+ tests? skipped' | grep -oE '^[0-9]+' || echo 0)
failed=$(echo "$line" | grep -oE '[0-9]+ failures?' | head -1 | grep -oE '^[0-9]+' || echo 0)
if [ -z "$line" ]; then
    echo "tests: no XCTest summary found (exit status $status)"
    [ "$status" -ne 0 ] && exit "$status"
    exit 1
fi
echo "tests: $((executed - skipped - failed)) passed, $failed failed, $skipped skipped"
exit "$status"
