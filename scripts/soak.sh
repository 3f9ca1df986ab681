#!/usr/bin/env bash
# Soak test: the release daemon under steady load for SOAK_SECONDS, its resident memory
# (VmRSS) and open descriptors sampled every SOAK_SAMPLE_SECONDS, the curve printed as a
# table. It passes when the last sample is within 5 % of the reference sample, taken at
# the 5-minute mark (at 1/12 of the run for runs shorter than an hour), for both: a daemon
# that keeps growing under the same load is leaking. Run through `make soak` (builds
# release, installs wrk); not part of CI (an hour by default).
#
#   make soak                                          one hour, a sample a minute
#   SOAK_SECONDS=360 SOAK_SAMPLE_SECONDS=30 make soak  six minutes
#
# The load, all on loopback and all bounded by SOAK_SECONDS:
#   - wrk (SOAK_WRK_CONNECTIONS connections) rotating over /api/v1/system/stats, /metrics,
#     /api/v1/system/health and a history query (scripts/soak-paths.lua);
#   - SOAK_WS_CLIENTS WebSocket subscribers on system_stats (vitals-bench ws-load);
#   - every 10 s a history query, and every 30 s POST /api/v1/system/stats/save with the
#     admin token, so the history database grows and is read while it does;
#   - job churn: a job every 2 s (no VRAM, so it needs no GPU), five progress updates, then
#     completed, failed or cancelled in turn, with an activity event every tenth job; the
#     jobs table, the activity feed and the generation_progress/queue_updates topics grow
#     and are pruned while the daemon runs.
# The binaries are copied first, so a rebuild during the hour does not change what is soaked.
set -euo pipefail
cd "$(dirname "$0")/.."

SOAK_SECONDS=${SOAK_SECONDS:-3600}
SAMPLE_SECONDS=${SOAK_SAMPLE_SECONDS:-60}
WS_CLIENTS=${SOAK_WS_CLIENTS:-1000}
WRK_CONNECTIONS=${SOAK_WRK_CONNECTIONS:-16}
BUILT_VITALS=.build/release/vitals
BUILT_TOOL=.build/release/vitals-bench
TOKEN=soak-admin-token-$(date +%s%N)
HISTORY="/api/v1/system/stats/history?range=1h&metrics=cpu.percent,memory.percent&points=300"

for f in "$BUILT_VITALS" "$BUILT_TOOL"; do
    [ -x "$f" ] || { echo "soak: $f missing; run 'make release' (make soak does)" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "soak: wrk missing; run ./scripts/deps.sh wrk" >&2; exit 2; }
[ "$SOAK_SECONDS" -ge "$((2 * SAMPLE_SECONDS))" ] || { echo "soak: SOAK_SECONDS must cover at least two samples" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vitals-soak.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "soak: $*" >&2; }
mkdir "$WORK/bin"
cp "$BUILT_VITALS" "$BUILT_TOOL" "$WORK/bin/"
VITALS=$WORK/bin/vitals
TOOL=$WORK/bin/vitals-bench
log "soaking $(git rev-parse --short HEAD 2>/dev/null || echo 'this tree')$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"

# ---- daemon ------------------------------------------------------------------------------
PORT=$("$TOOL" free-port)
VITALS_AUTH_ADMIN_TOKENS=$TOKEN VITALS_LIMITS_MAX_CONNECTIONS=$((WS_CLIENTS + WRK_CONNECTIONS + 64)) \
    "$VITALS" --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" --log-level warn 2>"$WORK/vitals.log" &
VPID=$!
PIDS+=("$VPID")
for i in $(seq 1 500); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/v1/system/stats" 2>/dev/null && break
    kill -0 "$VPID" 2>/dev/null || { log "vitals exited during start-up:"; cat "$WORK/vitals.log" >&2; exit 2; }
    [ "$i" -eq 500 ] && { log "vitals did not answer within 5 s"; exit 2; }
    sleep 0.01
done
log "vitals pid $VPID on port $PORT for $SOAK_SECONDS s, a sample every $SAMPLE_SECONDS s"

# ---- load --------------------------------------------------------------------------------
# Every load runs a little past the last sample, so the last sample sees the full load.
"$TOOL" ws-load --port "$PORT" -n "$WS_CLIENTS" --seconds "$SOAK_SECONDS" >"$WORK/ws.out" 2>&1 &
PIDS+=("$!"); WS_PID=$!
wrk -t1 -c"$WRK_CONNECTIONS" -d"$((SOAK_SECONDS + 5))s" -s scripts/soak-paths.lua "http://127.0.0.1:$PORT" >"$WORK/wrk.out" 2>&1 &
PIDS+=("$!"); WRK_PID=$!

admin_loop() {
    local end=$(( $(date +%s) + SOAK_SECONDS )) n=0
    while [ "$(date +%s)" -lt "$end" ]; do
        n=$((n + 1))
        curl -fsS -o /dev/null "http://127.0.0.1:$PORT$HISTORY" && echo history-ok || echo history-fail
        if [ $((n % 3)) -eq 0 ]; then
            curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
                -d "{\"label\": \"soak $n\"}" "http://127.0.0.1:$PORT/api/v1/system/stats/save" && echo save-ok || echo save-fail
        fi
        sleep 10
    done
}
admin_loop >"$WORK/admin.out" 2>/dev/null &
PIDS+=("$!"); ADMIN_PID=$!

# post PATH BODY: an admin POST; prints the answer's body.
post() {
    curl -fsS -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:$PORT$1"
}
job_loop() {
    local end=$(( $(date +%s) + SOAK_SECONDS )) n=0 id step
    while [ "$(date +%s)" -lt "$end" ]; do
        n=$((n + 1))
        id=$(post /api/v1/jobs "{\"name\": \"soak-$n\", \"kind\": \"generation\", \"vram_bytes\": 0, \"queue\": true, \"labels\": {\"soak\": \"yes\"}}" \
             | sed -n 's/.*"id":\([0-9]*\).*/\1/p' | head -1)
        if [ -z "$id" ]; then echo job-fail; sleep 2; continue; fi
        for step in 1 2 3 4 5; do
            post "/api/v1/jobs/$id/progress" "{\"step\": $step, \"total_steps\": 5, \"stage\": \"sampling\", \"message\": \"step $step\"}" >/dev/null || echo job-fail
            sleep 0.2
        done
        case $((n % 3)) in
            0) post "/api/v1/jobs/$id/complete" '{}' >/dev/null && echo job-ok || echo job-fail ;;
            1) post "/api/v1/jobs/$id/fail" '{"error": "soak: planned failure"}' >/dev/null && echo job-ok || echo job-fail ;;
            2) post "/api/v1/jobs/$id/cancel" '{}' >/dev/null && echo job-ok || echo job-fail ;;
        esac
        if [ $((n % 10)) -eq 0 ]; then
            post /api/v1/activity "{\"kind\": \"soak\", \"message\": \"job $n\"}" >/dev/null && echo activity-ok || echo activity-fail
        fi
        sleep 1
    done
}
job_loop >"$WORK/jobs.out" 2>/dev/null &
PIDS+=("$!"); JOB_PID=$!

# ---- samples -----------------------------------------------------------------------------
rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$VPID/status"; }
fds() { ls "/proc/$VPID/fd" | wc -l; }
# health_kib JSON FIELD: one byte figure of a health answer, in KiB ("-" if absent): where
# the memory is (SQLite's heap, connection buffers), printed beside RSS.
health_kib() {
    grep -o "\"$2\":[0-9]*" <<<"$1" | head -1 | awk -F: '{ printf "%d", $2 / 1024 }' | grep . || echo -
}
START=$(date +%s)
# The reference: the 5-minute mark, or 1/12 of a shorter run.
REF_AT=$(( SOAK_SECONDS / 12 < 300 ? SOAK_SECONDS / 12 : 300 ))
T=(); RSS=(); FDS=(); SQL=(); BUF=()
for ((at = 0; at <= SOAK_SECONDS; at += SAMPLE_SECONDS)); do
    wait_for=$(( START + at - $(date +%s) ))
    # In the background and waited for, so an interrupt ends the soak at once.
    [ "$wait_for" -gt 0 ] && { sleep "$wait_for" & wait $!; }
    kill -0 "$VPID" 2>/dev/null || { log "vitals died after $(( $(date +%s) - START )) s:"; tail -20 "$WORK/vitals.log" >&2; exit 1; }
    health=$(curl -fsS "http://127.0.0.1:$PORT/api/v1/system/health" 2>/dev/null || true)
    T+=("$at"); RSS+=("$(rss_kib)"); FDS+=("$(fds)"); SQL+=("$(health_kib "$health" memory_bytes)"); BUF+=("$(health_kib "$health" buffer_bytes)")
    log "t=${at}s rss=${RSS[-1]} KiB fds=${FDS[-1]} sqlite=${SQL[-1]} KiB buffers=${BUF[-1]} KiB"
done

# ---- report ------------------------------------------------------------------------------
wait "$ADMIN_PID" 2>/dev/null || true
wait "$JOB_PID" 2>/dev/null || true
wait "$WS_PID" 2>/dev/null || true
# wrk prints its summary only when its -d runs out (a few seconds after the last sample).
wait "$WRK_PID" 2>/dev/null || true

# The first sample at or after the mark (the mark itself with the default sampling).
ref=-1
for i in "${!T[@]}"; do [ "$ref" -lt 0 ] && [ "${T[$i]}" -ge "$REF_AT" ] && ref=$i; done
last=$(( ${#T[@]} - 1 ))

printf '\n%8s %10s %6s %11s %12s\n' t_s rss_mib fds sqlite_kib buffers_kib
for i in "${!T[@]}"; do
    mark=""; [ "$i" -eq "$ref" ] && mark="  <- reference"
    printf '%8s %10s %6s %11s %12s%s\n' "${T[$i]}" "$(awk -v k="${RSS[$i]}" 'BEGIN { printf "%.1f", k / 1024 }')" "${FDS[$i]}" \
        "${SQL[$i]}" "${BUF[$i]}" "$mark"
done

echo
echo "wrk: $(grep -E 'requests in' "$WORK/wrk.out" | sed 's/^ *//')  $(grep -E 'Non-2xx|Socket errors' "$WORK/wrk.out" | tr '\n' ' ')"
echo "ws-load: $(tr '\n' ' ' <"$WORK/ws.out" | cut -c1-400)"
echo "history queries: $(grep -c history-ok "$WORK/admin.out" || true) ok, $(grep -c history-fail "$WORK/admin.out" || true) failed;" \
     "saves: $(grep -c save-ok "$WORK/admin.out" || true) ok, $(grep -c save-fail "$WORK/admin.out" || true) failed"

# within5 A B: B within 5 % of A.
within5() { awk -v a="$1" -v b="$2" 'BEGIN { d = b - a; if (d < 0) d = -d; exit !(d <= a * 0.05) }'; }
status=0
if within5 "${RSS[$ref]}" "${RSS[$last]}"; then r=pass; else r=FAIL; status=1; fi
echo "rss: ${RSS[$ref]} KiB at ${T[$ref]} s, ${RSS[$last]} KiB at ${T[$last]} s: $r (within 5 %)"
if within5 "${FDS[$ref]}" "${FDS[$last]}"; then r=pass; else r=FAIL; status=1; fi
echo "fds: ${FDS[$ref]} at ${T[$ref]} s, ${FDS[$last]} at ${T[$last]} s: $r (within 5 %)"
echo "jobs: $(grep -c job-ok "$WORK/jobs.out" || true) ended, $(grep -c job-fail "$WORK/jobs.out" || true) requests failed;" \
     "activity events: $(grep -c activity-ok "$WORK/jobs.out" || true) ok, $(grep -c activity-fail "$WORK/jobs.out" || true) failed"
if grep -q -- -fail "$WORK/admin.out" "$WORK/jobs.out"; then echo "admin or job loop: some requests failed"; status=1; fi
exit "$status"
