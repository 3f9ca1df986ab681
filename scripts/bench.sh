#!/usr/bin/env bash
# Measures the performance figures Vitals promises and prints one table (name, value,
# target, result). Run it through `make bench` (installs wrk, builds release first).
# A full run takes about 3 minutes; the figures are only meaningful on a quiet machine.
#
#   make bench                                  everything, 60 s idle window
#   BENCH_IDLE_SECONDS=10 ./scripts/bench.sh    quick run (shorter idle window)
#   BENCH_WRK_SECONDS=5 BENCH_PEERS=0 ./scripts/bench.sh
#   BENCH_VITALS=path/to/other/vitals ./scripts/bench.sh    bench another build of the daemon
#   BENCH_BASELINE_REF=<git ref> make bench     also build that commit and measure it and this
#                                               build back to back ("before"/"after" rows)
#   BENCH_BASELINE_BIN=path BENCH_BASELINE_LABEL=name   the same with a binary built earlier
#
# BENCH_PEERS=1 (default) also installs prometheus-node-exporter and glances when
# possible and loads them with the same wrk command, for comparison; any failure there
# only skips that row. Exit status: 0 when every target is met, 1 when one is missed,
# 2 when the bench itself could not run.
set -euo pipefail
cd "$(dirname "$0")/.."

VITALS=${BENCH_VITALS:-.build/release/vitals}
TOOL=.build/release/vitals-bench
IDLE_SECONDS=${BENCH_IDLE_SECONDS:-60}
WRK_SECONDS=${BENCH_WRK_SECONDS:-15}
PEERS=${BENCH_PEERS:-1}
WS_CLIENTS=${BENCH_WS_CLIENTS:-1000 10000}
WS_SECONDS=${BENCH_WS_SECONDS:-60}
HISTORY_PATH="/api/v1/system/stats/history?range=7d&metrics=cpu.percent,memory.percent&points=1000"

for f in "$VITALS" "$TOOL"; do
    [ -x "$f" ] || { echo "bench: $f missing; run 'swift build -c release' (make bench does)" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "bench: wrk missing; run ./scripts/deps.sh wrk" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vitals-bench.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
EMPTY_CONFIG="$WORK/empty-config.json"
echo '{}' >"$EMPTY_CONFIG"
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }

# ---- table -------------------------------------------------------------------------------
ROWS=()
MISSED=0
# row NAME VALUE TARGET RESULT
row() { ROWS+=("$1|$2|$3|$4"); }
# check NAME VALUE UNIT OP LIMIT: OP is "<" or ">="; VALUE may be "n/a" (a failed step).
check() {
    local name=$1 value=$2 unit=$3 op=$4 limit=$5 ok
    if [ "$value" = "n/a" ]; then
        row "$name" "n/a" "$op $limit $unit" "FAIL"; MISSED=1; return
    fi
    ok=$(awk -v v="$value" -v l="$limit" -v op="$op" 'BEGIN { print ((op == "<" ? v < l : v >= l) ? "pass" : "FAIL") }')
    [ "$ok" = "pass" ] || MISSED=1
    row "$name" "$value $unit" "$op $limit $unit" "$ok"
}
info() { row "$1" "$2" "-" "info"; }
print_table() {
    echo
    printf '%-44s %-24s %-16s %s\n' "figure" "value" "target" "result"
    printf '%-44s %-24s %-16s %s\n' "------" "-----" "------" "------"
    local r name value target result
    for r in "${ROWS[@]}"; do
        IFS='|' read -r name value target result <<<"$r"
        printf '%-44s %-24s %-16s %s\n' "$name" "$value" "$target" "$result"
    done
}

# ---- daemon ------------------------------------------------------------------------------
# start_vitals DATA_DIR [BINARY]: starts the daemon on a free port; sets VPID and VPORT.
start_vitals() {
    VPORT=$("$TOOL" free-port)
    # An empty config: the repo's config.json may hold keys an older build (the baseline)
    # does not know, which it would refuse.
    "${2:-$VITALS}" --config "$EMPTY_CONFIG" --listen "127.0.0.1:$VPORT" --data-dir "$1" --log-level warn &
    VPID=$!
    PIDS+=("$VPID")
    local i
    for i in $(seq 1 500); do
        curl -fsS -o /dev/null "http://127.0.0.1:$VPORT/api/v1/system/stats" 2>/dev/null && return 0
        kill -0 "$VPID" 2>/dev/null || { log "vitals exited during start-up"; return 1; }
        sleep 0.01
    done
    log "vitals did not answer on port $VPORT within 5 s"; return 1
}
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# cpu_ticks PID: utime + stime. The fields after "(comm)" start at field 3 (state).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
now_ns() { date +%s%N; }
kib_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# wrk_run URL [HEADER]: sets WRK_RPS and WRK_P99_MS (n/a when wrk fails), and WRK_ERRORS: empty,
# or what went wrong (non-2xx answers, socket errors), which makes the figures suspect.
wrk_run() {
    local out
    log "load average before wrk: $(cut -d' ' -f1-3 /proc/loadavg)"
    WRK_RPS=n/a; WRK_P99_MS=n/a; WRK_ERRORS=""
    if ! out=$(wrk -t2 -c64 -d"${WRK_SECONDS}s" --latency ${2:+-H "$2"} "$1" 2>&1); then
        log "wrk failed on $1: $out"; WRK_ERRORS="wrk failed"; return 0
    fi
    if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
        log "wrk saw errors on $1:"; grep -E 'Non-2xx|Socket errors' <<<"$out" >&2
        # Compact, so the table stays aligned: e.g. "2005 non-2xx, 8 timeout".
        WRK_ERRORS=$(awk '/^  Non-2xx/ { e[++n] = $NF " non-2xx" }
            /Socket errors/ { gsub(",", ""); for (i = 3; i < NF; i += 2) if ($(i + 1) > 0) e[++n] = $(i + 1) " " $i }
            END { for (i = 1; i <= n; i++) printf "%s%s", (i > 1 ? ", " : ""), e[i] }' <<<"$out")
    fi
    WRK_RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
    # wrk prints e.g. "99%  812.00us", "99%    1.23ms" or "99%    1.02s".
    WRK_P99_MS=$(awk '$1 == "99%" {
        v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
        printf "%.2f", (u == "us" ? v / 1000 : (u == "s" ? v * 1000 : (u == "m" ? v * 60000 : v))) }' <<<"$out")
    [ -n "$WRK_RPS" ] || WRK_RPS=n/a
    [ -n "$WRK_P99_MS" ] || WRK_P99_MS=n/a
}

log "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
kv() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }
health_cost() { curl -fsS "http://127.0.0.1:$1/api/v1/system/health" | grep -o '"avg_cost_us":[0-9.]*' | cut -d: -f2; }

# ---- 0. before and after: an earlier commit against this build, back to back ---------------
# compare_build LABEL BINARY: idle CPU and RSS, tick cost, /stats under wrk, 1,000 WebSocket clients.
compare_build() {
    local label=$1 bin=$2 c0 c1 t0 t1 out
    mkdir -p "$WORK/cmp-$label"
    VITALS_LIMITS_MAX_CONNECTIONS=2000 start_vitals "$WORK/cmp-$label" "$bin" || { info "$label: daemon" "did not start"; return 0; }
    sleep 3
    c0=$(cpu_ticks "$VPID"); t0=$(now_ns); sleep 20; c1=$(cpu_ticks "$VPID"); t1=$(now_ns)
    info "$label: sampler CPU idle, 20 s" "$(awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v ns="$((t1 - t0))" 'BEGIN { printf "%.3f", 100 * (c / hz) / (ns / 1e9) }') %"
    info "$label: RSS idle (VmRSS)" "$(mib "$(kib_field "$VPID" VmRSS)") MiB"
    info "$label: tick cost (avg_cost_us)" "$(health_cost "$VPORT") us"
    wrk_run "http://127.0.0.1:$VPORT/api/v1/system/stats"
    info "$label: GET /system/stats" "$WRK_RPS req/s, p99 $WRK_P99_MS ms"
    out=$("$TOOL" ws-load --port "$VPORT" -n 1000 --seconds 10 2>/dev/null || true)
    info "$label: ws 1000 clients p99 delay" "$(kv "$out" delay_p99_ms) ms"
    # The hardening issue's case: 300 clients pipeline ten 7-day history queries and never read.
    out=$(python3 scripts/slow-clients.py --port "$VPORT" --pid "$VPID" -n 300 --hold 10 2>/dev/null | tail -1)
    info "$label: 300 non-reading clients, RSS held / peak / after" \
         "$(kv "$out" held_rss_mib) / $(kv "$out" peak_rss_mib) / $(kv "$out" after_rss_mib) MiB"
    stop_pid "$VPID"
}
if [ -n "${BENCH_BASELINE_BIN:-}" ]; then
    # A baseline built earlier (e.g. by a previous BENCH_BASELINE_REF run).
    compare_build "before (${BENCH_BASELINE_LABEL:-baseline})" "$BENCH_BASELINE_BIN"
    compare_build "after ($(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo +))" "$VITALS"
elif [ -n "${BENCH_BASELINE_REF:-}" ]; then
    base_src=.build-baseline/src
    log "building $BENCH_BASELINE_REF into $base_src for the before/after rows"
    rm -rf "$base_src"; mkdir -p "$base_src"
    if git archive "$BENCH_BASELINE_REF" | tar -x -C "$base_src" \
            && swift build -c release --static-swift-stdlib --package-path "$base_src" >"$WORK/baseline-build.log" 2>&1; then
        compare_build "before ($(git rev-parse --short "$BENCH_BASELINE_REF"))" "$base_src/.build/release/vitals"
        compare_build "after ($(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo +))" "$VITALS"
    else
        info "before/after" "baseline $BENCH_BASELINE_REF did not build (see $WORK/baseline-build.log)"
    fi
fi

# ---- 1. idle sampler cost and memory -----------------------------------------------------
log "idle daemon: 5 s settle, then ${IDLE_SECONDS} s of sampling with no clients"
mkdir -p "$WORK/idle"
start_vitals "$WORK/idle" || exit 2
sleep 5
TCK=$(getconf CLK_TCK)
c0=$(cpu_ticks "$VPID"); t0=$(now_ns)
sleep "$IDLE_SECONDS"
c1=$(cpu_ticks "$VPID"); t1=$(now_ns)
idle_pct=$(awk -v c="$((c1 - c0))" -v hz="$TCK" -v ns="$((t1 - t0))" 'BEGIN { printf "%.3f", 100 * (c / hz) / (ns / 1e9) }')
check "sampler CPU, idle (% of one core, ${IDLE_SECONDS} s)" "$idle_pct" "%" "<" 0.3
rss_idle=$(mib "$(kib_field "$VPID" VmRSS)")
hwm_idle=$(mib "$(kib_field "$VPID" VmHWM)")
check "RSS after idle period (VmRSS)" "$rss_idle" "MiB" "<" 15
check "peak RSS after idle period (VmHWM)" "$hwm_idle" "MiB" "<" 15

# ---- 2. request throughput ---------------------------------------------------------------
log "wrk -t2 -c64 -d${WRK_SECONDS}s on /api/v1/system/stats"
wrk_run "http://127.0.0.1:$VPORT/api/v1/system/stats"
check "GET /system/stats throughput" "$WRK_RPS" "req/s" ">=" 50000
STATS_RPS=$WRK_RPS
check "GET /system/stats p99 latency" "$WRK_P99_MS" "ms" "<" 5
if [ -n "$WRK_ERRORS" ]; then row "GET /system/stats errors under load" "$WRK_ERRORS" "none" "FAIL"; MISSED=1; fi
log "wrk -t2 -c64 -d${WRK_SECONDS}s on /metrics"
wrk_run "http://127.0.0.1:$VPORT/metrics"
info "GET /metrics throughput" "$WRK_RPS req/s, p99 $WRK_P99_MS ms${WRK_ERRORS:+ ($WRK_ERRORS)}"
METRICS_RPS=$WRK_RPS
if [ "$WRK_RPS" != "n/a" ] && [ "$STATS_RPS" != "n/a" ]; then
    info "/metrics vs /system/stats rate" "$(awk -v a="$WRK_RPS" -v b="$STATS_RPS" 'BEGIN { printf "%.2fx", a / b }')"
fi
# As Prometheus asks for it: gzip, compressed once per tick (~1/5 of the bytes).
log "wrk -t2 -c64 -d${WRK_SECONDS}s on /metrics with Accept-Encoding: gzip"
wrk_run "http://127.0.0.1:$VPORT/metrics" "Accept-Encoding: gzip"
info "GET /metrics (gzip) throughput" "$WRK_RPS req/s, p99 $WRK_P99_MS ms${WRK_ERRORS:+ ($WRK_ERRORS)}"
if [ "$WRK_RPS" != "n/a" ] && [ "$STATS_RPS" != "n/a" ]; then
    info "/metrics (gzip) vs /system/stats rate" "$(awk -v a="$WRK_RPS" -v b="$STATS_RPS" 'BEGIN { printf "%.2fx", a / b }')"
fi
log "wrk -t2 -c64 -d${WRK_SECONDS}s on /api/v1/system/health"
wrk_run "http://127.0.0.1:$VPORT/api/v1/system/health"
info "GET /system/health throughput" "$WRK_RPS req/s"
info "GET /system/health p99 latency" "$WRK_P99_MS ms${WRK_ERRORS:+ ($WRK_ERRORS)}"
info "RSS after load (VmRSS / VmHWM)" "$(mib "$(kib_field "$VPID" VmRSS)") / $(mib "$(kib_field "$VPID" VmHWM)") MiB"
stop_pid "$VPID"

# ---- 3. 7-day history query --------------------------------------------------------------
log "filling 7 days of synthetic history"
mkdir -p "$WORK/history"
"$TOOL" fill-history --db "$WORK/history/vitals.db" --days 7 >&2 || exit 2
start_vitals "$WORK/history" || exit 2
log "timing 50 history queries"
if timing=$("$TOOL" time-get --port "$VPORT" --path "$HISTORY_PATH" -n 50); then
    log "history: $timing"
    hist_median=$(sed -n 's/.*median_ms=\([^ ]*\).*/\1/p' <<<"$timing")
    hist_p99=$(sed -n 's/.*p99_ms=\([^ ]*\).*/\1/p' <<<"$timing")
else
    hist_median=n/a; hist_p99=n/a
fi
check "history 7d, 2 metrics, 1000 pts (median)" "$hist_median" "ms" "<" 20
check "history 7d, 2 metrics, 1000 pts (p99)" "$hist_p99" "ms" "<" 20
info "RSS after history queries (VmRSS / VmHWM)" "$(mib "$(kib_field "$VPID" VmRSS)") / $(mib "$(kib_field "$VPID" VmHWM)") MiB"
stop_pid "$VPID"

# ---- 4. start-up to first 200 ------------------------------------------------------------
log "start-up to first 200, 5 runs (fresh data dir each)"
starts=()
for run in 1 2 3 4 5; do
    port=$("$TOOL" free-port)
    mkdir -p "$WORK/start$run"
    if ms=$("$TOOL" first-200 --port "$port" -- "$VITALS" --listen "127.0.0.1:$port" \
            --data-dir "$WORK/start$run" --log-level warn); then
        starts+=("$ms")
    fi
done
if [ ${#starts[@]} -eq 5 ]; then
    start_median=$(printf '%s\n' "${starts[@]}" | sort -g | sed -n 3p)
    log "start-up runs (ms): ${starts[*]}"
else
    start_median=n/a
fi
check "start-up to first 200 (median of 5)" "$start_median" "ms" "<" 100

# ---- 5. WebSocket fan-out: N subscribers to system_stats ---------------------------------
# Every client must receive every tick (seq without gaps); the delay is tick (`ts`) to
# arrival at the client, which runs on the same 2 cores as the daemon.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
WS_REF_SECONDS=${BENCH_WS_REF_SECONDS:-20}
WS_REF_ROUNDS=${BENCH_WS_REF_ROUNDS:-3}
# The reference broadcaster and its client run in the bench's own virtualenv (websockets from PyPI).
REF_VENV=${XDG_CACHE_HOME:-$HOME/.cache}/vitals-bench/venv
REF_PY=$REF_VENV/bin/python
ws_reference_ready() {
    if [ ! -x "$REF_PY" ]; then
        python3 -m venv "$REF_VENV" >/dev/null 2>&1 || { ./scripts/deps.sh python3-venv >/dev/null 2>&1 && python3 -m venv "$REF_VENV"; } || return 1
    fi
    "$REF_PY" -c 'import websockets' 2>/dev/null || "$REF_PY" -m pip install -q 'websockets==13.1' >"$WORK/pip.log" 2>&1
}
ws_reference_version() { "$REF_PY" -c 'import websockets; print(websockets.__version__)' 2>/dev/null; }
for n in $WS_CLIENTS; do
    log "WebSocket: $n clients subscribed to system_stats for ${WS_SECONDS} s"
    mkdir -p "$WORK/ws$n"
    VITALS_LIMITS_MAX_CONNECTIONS=$((n + 1000)) start_vitals "$WORK/ws$n"
    "$TOOL" ws-load --port "$VPORT" -n "$n" --seconds "$WS_SECONDS" > "$WORK/ws$n.out" &
    loader=$!
    PIDS+=("$loader")
    sleep 4  # connections open and the loader's 2 s warm-up begins
    c0=$(cpu_ticks "$VPID"); t0=$(now_ns)
    if wait "$loader"; then out=$(cat "$WORK/ws$n.out"); else out=""; fi
    c1=$(cpu_ticks "$VPID"); t1=$(now_ns)
    log "ws-load: $out"
    if [ -n "$out" ]; then
        p99=$(kv "$out" delay_p99_ms); missing=$(kv "$out" clients_missing); upgraded=$(kv "$out" upgraded)
    else
        p99=n/a; missing=n/a; upgraded=0
    fi
    limit=50; [ "$n" -ge 10000 ] && limit=200
    check "ws $n clients: p99 tick-to-receipt delay" "$p99" "ms" "<" "$limit"
    if [ "$missing" = "0" ] && [ "$upgraded" = "$n" ]; then
        row "ws $n clients: every client got every tick" "yes ($(kv "$out" max_per_client) ticks each)" "yes" "pass"
    else
        row "ws $n clients: every client got every tick" "no (missing $missing, upgraded $upgraded)" "yes" "FAIL"; MISSED=1
    fi
    cpu=$(awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (b - a) / hz / ((t1 - t0) / 1e9) * 100 }')
    info "ws $n clients: daemon CPU (% of one core)" "$cpu %"
    rss=$(mib "$(kib_field "$VPID" VmHWM)")
    if [ "$n" -le 1000 ]; then check "ws $n clients: daemon peak RSS" "$rss" "MiB" "<" 40; else info "ws $n clients: daemon peak RSS" "$rss MiB"; fi
    if [ "$n" = "1000" ] && [ "$PEERS" = "1" ] && ws_reference_ready; then
        # One Python client measures Vitals and a Python `websockets` broadcast of the
        # same bytes in the same run; only their difference means anything. Both servers
        # stay up and the client alternates between them, WS_REF_ROUNDS times each, so a
        # busy moment on the machine does not land on one side only; the medians compare.
        curl -fsS "http://127.0.0.1:$VPORT/api/v1/system/stats" >"$WORK/payload.json"
        REF_PORT=$("$TOOL" free-port)
        "$REF_PY" scripts/bench/ws_reference.py serve "$REF_PORT" "$WORK/payload.json" >"$WORK/ref-server.log" 2>&1 &
        ref_pid=$!; PIDS+=("$ref_pid"); sleep 1
        vitals_p99s=(); ref_p99s=()
        for round in $(seq 1 "$WS_REF_ROUNDS"); do
            out=$("$REF_PY" scripts/bench/ws_reference.py measure "ws://127.0.0.1:$VPORT/ws?topics=system_stats" 1000 "$WS_REF_SECONDS" 2>>"$WORK/ref-client.log" || true)
            log "round $round, python client on vitals: $out"
            vitals_p99s+=("$(kv "$out" delay_p99_ms)")
            out=$("$REF_PY" scripts/bench/ws_reference.py measure "ws://127.0.0.1:$REF_PORT/" 1000 "$WS_REF_SECONDS" 2>>"$WORK/ref-client.log" || true)
            log "round $round, python client on websockets: $out"
            ref_p99s+=("$(kv "$out" delay_p99_ms)")
        done
        stop_pid "$ref_pid"
        stop_pid "$VPID"
        median() { printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
        ref_p99=$(median "${ref_p99s[@]}"); vitals_ref_p99=$(median "${vitals_p99s[@]}")
        info "ws 1000, Python client: websockets $(ws_reference_version) p99 per round" "${ref_p99s[*]} ms"
        info "ws 1000, Python client: Vitals p99 per round" "${vitals_p99s[*]} ms"
        info "ws 1000, Python client: websockets $(ws_reference_version) p99, median" "${ref_p99:-n/a} ms"
        check "ws 1000, Python client: Vitals p99, median" "${vitals_ref_p99:-n/a}" "ms" "<" "${ref_p99:-0}"
    else
        stop_pid "$VPID"
    fi
done

# ---- 5b. GPU memory advisor: estimate, presets and resource check at 1,000 req/s ----------
# Debian's wrk has no -R (a fixed rate), so `vitals-bench rate` sends on 4 keep-alive
# connections on a fixed schedule and counts each latency from its scheduled send time (a
# late answer delays the next send and is charged to the figures, not hidden).
ADVISOR_SECONDS=${BENCH_ADVISOR_SECONDS:-10}
log "advisor routes: 1000 req/s for ${ADVISOR_SECONDS} s each"
mkdir -p "$WORK/advisor"
start_vitals "$WORK/advisor" || exit 2
# advisor_rate NAME METHOD PATH [BODY]
advisor_rate() {
    local out p99
    if out=$("$TOOL" rate --port "$VPORT" --method "$2" --path "$3" ${4:+--body "$4"} --rate 1000 --seconds "$ADVISOR_SECONDS"); then
        log "$1: $out"
        p99=$(sed -n 's/.*p99_ms=\([^ ]*\).*/\1/p' <<<"$out")
        if ! grep -qE 'statuses=200:[0-9]+ ' <<<"$out"; then
            row "$1: answers" "$(sed -n 's/.*statuses=\([^ ]*\).*/\1/p' <<<"$out")" "all 200" "FAIL"; MISSED=1
        fi
    else
        p99=n/a
    fi
    check "$1 p99 at 1000 req/s" "$p99" "ms" "<" 1
}
advisor_rate "POST estimate" POST /api/v1/optimization/estimate '{"model":"flux_dev","quantization":"nf4"}'
advisor_rate "GET presets" GET /api/v1/optimization/presets
advisor_rate "GET resource-check" GET "/api/v1/system/resource-check?model=sdxl&offload=model"
stop_pid "$VPID"

# ---- 5c. jobs: admission at 1,000 req/s, progress fan-out --------------------------------
# Admission: POST /api/v1/jobs at a fixed rate (`vitals-bench rate`); two jobs fill
# max_concurrent_jobs, so the rest are decided and refused (409), every one through the
# scheduler's lock and the resource check. Progress: 5,000 updates per second spread over
# 20 jobs, each reaching 100 subscribers of generation_progress, every one checked present
# and in step order per job; the daemon's CPU over that run is given.
JOBS_SECONDS=${BENCH_JOBS_SECONDS:-10}
log "jobs: admission at 1000 req/s, then 5000 progress updates/s to 100 subscribers, ${JOBS_SECONDS} s each"
mkdir -p "$WORK/jobs"
start_vitals "$WORK/jobs" || exit 2
JTOKEN=$(cat "$WORK/jobs/admin.token")
if out=$("$TOOL" rate --port "$VPORT" --method POST --path /api/v1/jobs --token "$JTOKEN" \
        --body '{"name":"bench","vram_bytes":1073741824}' --rate 1000 --seconds "$JOBS_SECONDS"); then
    log "POST jobs: $out"
    p99=$(sed -n 's/.*p99_ms=\([^ ]*\).*/\1/p' <<<"$out")
    info "POST jobs: answers" "$(sed -n 's/.*statuses=\([^ ]*\).*/\1/p' <<<"$out")"
else
    p99=n/a
fi
check "POST jobs (admission) p99 at 1000 req/s" "$p99" "ms" "<" 1
stop_pid "$VPID"
mkdir -p "$WORK/progress"
start_vitals "$WORK/progress" || exit 2
JTOKEN=$(cat "$WORK/progress/admin.token")
curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $JTOKEN" \
     "http://127.0.0.1:$VPORT/api/v1/system/constraints" -d '{"max_concurrent_jobs": 64}'
c0=$(cpu_ticks "$VPID"); t0=$(now_ns)
if out=$("$TOOL" progress-load --port "$VPORT" --token "$JTOKEN" --rate 5000 --jobs 20 --subscribers 100 --seconds "$JOBS_SECONDS"); then
    c1=$(cpu_ticks "$VPID"); t1=$(now_ns)
    log "progress fan-out: $out"
    delivered=$(kv "$out" delivered); expected=$(kv "$out" expected)
    info "progress: updates delivered / expected" "$delivered / $expected"
    check "progress: updates out of order" "$(kv "$out" out_of_order)" "" "<" 1
    check "progress: subscribers missing updates" "$((100 - $(kv "$out" complete_subscribers)))" "" "<" 1
    check "progress POST p99 at 5000/s" "$(kv "$out" post_p99_ms)" "ms" "<" 5
    info "daemon CPU during progress fan-out" "$(awk -v c="$((c1 - c0))" -v hz="$TCK" -v ns="$((t1 - t0))" 'BEGIN { printf "%.1f", 100 * (c / hz) / (ns / 1e9) }') % of one core"
else
    check "progress fan-out ran" "n/a" "" "<" 1
fi
stop_pid "$VPID"

# ---- 6. peers, for comparison ------------------------------------------------------------
# peer_run NAME PATH CMD...: starts CMD (which must listen on $PEER_PORT), loads PATH with wrk.
peer_run() {
    local name=$1 path=$2 pid i
    shift 2
    "$@" >"$WORK/$name.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for i in $(seq 1 300); do
        curl -fsS -o /dev/null "http://127.0.0.1:$PEER_PORT$path" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if ! curl -fsS -o /dev/null "http://127.0.0.1:$PEER_PORT$path" 2>/dev/null; then
        log "$name did not answer on $path; skipped ($(tail -n 2 "$WORK/$name.log" | tr '\n' ' '))"
        info "peer: $name" "skipped (not answering)"
        stop_pid "$pid"; return 0
    fi
    log "wrk -t2 -c64 -d${WRK_SECONDS}s on $name $path"
    wrk_run "http://127.0.0.1:$PEER_PORT$path"
    info "peer: $name $path throughput" "$WRK_RPS req/s"
    info "peer: $name $path p99 latency" "$WRK_P99_MS ms${WRK_ERRORS:+ ($WRK_ERRORS)}"
    stop_pid "$pid"
}
if [ "$PEERS" = "1" ]; then
    if ./scripts/deps.sh prometheus-node-exporter >"$WORK/deps-ne.log" 2>&1 \
            && command -v prometheus-node-exporter >/dev/null; then
        PEER_PORT=$("$TOOL" free-port)
        # Its default cap of 40 concurrent requests would answer most of wrk's 64 with 503.
        peer_run node_exporter /metrics prometheus-node-exporter \
            --web.listen-address="127.0.0.1:$PEER_PORT" --web.max-requests=0
    else
        info "peer: node_exporter" "skipped (not installable)"
    fi
    # Its web server mode needs bottle, which is only a Recommends of the package.
    if ./scripts/deps.sh glances python3-bottle >"$WORK/deps-glances.log" 2>&1 && command -v glances >/dev/null; then
        PEER_PORT=$("$TOOL" free-port)
        # Glances 3.x serves API v3; 4.x serves v4.
        case "$(glances -V 2>/dev/null | head -n 1)" in
            *v3.*|*" 3."*) gpath=/api/3/cpu ;;
            *) gpath=/api/4/cpu ;;
        esac
        peer_run glances "$gpath" glances -w --disable-webui --bind 127.0.0.1 --port "$PEER_PORT"
    else
        info "peer: glances" "skipped (not installable)"
    fi
fi

# nginx serving the very bytes of /api/v1/system/stats from a file, with one worker as
# Vitals has one I/O thread by default: the yardstick for "served from cached bytes".
if [ "$PEERS" = "1" ] && ./scripts/deps.sh nginx >"$WORK/deps-nginx.log" 2>&1 && command -v nginx >/dev/null; then
    mkdir -p "$WORK/nginx/html" "$WORK/nginx/tmp" "$WORK/stats-src"
    start_vitals "$WORK/stats-src" && curl -fsS "http://127.0.0.1:$VPORT/api/v1/system/stats" >"$WORK/nginx/html/stats.json" \
        && curl -fsS "http://127.0.0.1:$VPORT/metrics" >"$WORK/nginx/html/metrics.txt"
    stop_pid "$VPID"
    PEER_PORT=$("$TOOL" free-port)
    cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
# The worker reads the bench's private temporary directory: same user as the bench.
user $(id -un);
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/tmp; proxy_temp_path $WORK/nginx/tmp;
    fastcgi_temp_path $WORK/nginx/tmp; uwsgi_temp_path $WORK/nginx/tmp; scgi_temp_path $WORK/nginx/tmp;
    server { listen 127.0.0.1:$PEER_PORT; root $WORK/nginx/html; default_type application/json; }
}
EOF
    peer_run "nginx (1 worker, same bytes)" /stats.json nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx"
    if [ "$WRK_RPS" != "n/a" ] && [ "${STATS_RPS:-n/a}" != "n/a" ]; then
        info "Vitals /stats vs nginx, same bytes" "$(awk -v a="$STATS_RPS" -v b="$WRK_RPS" 'BEGIN { printf "%.2fx", a / b }')"
    fi
    # The /metrics bytes (~15 KB) from the same nginx: what moving that many bytes per
    # request over loopback costs a server that copies nothing (sendfile).
    NGINX_STATS_RPS=$WRK_RPS
    WRK_RPS=n/a
    peer_run "nginx (1 worker, metrics bytes)" /metrics.txt nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx"
    if [ "$WRK_RPS" != "n/a" ] && [ "${METRICS_RPS:-n/a}" != "n/a" ] && [ "$NGINX_STATS_RPS" != "n/a" ]; then
        info "Vitals /metrics vs nginx, same bytes" "$(awk -v a="$METRICS_RPS" -v b="$WRK_RPS" 'BEGIN { printf "%.2fx", a / b }')"
        info "nginx: /metrics bytes vs /stats bytes rate" "$(awk -v a="$WRK_RPS" -v b="$NGINX_STATS_RPS" 'BEGIN { printf "%.2fx", a / b }')"
    fi
elif [ "$PEERS" = "1" ]; then
    info "peer: nginx" "skipped (not installable)"
fi

print_table
exit "$MISSED"
