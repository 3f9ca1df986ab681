#!/usr/bin/env bash
# Conformance with the real tools: starts the release daemon with the echo endpoint on a
# free port and a throw-away data dir, runs the Autobahn Testsuite against /ws/echo (passes
# only on `autobahn: 0 failed of N`), checks /metrics with promtool and a real Prometheus
# (scripts/prometheus-check.sh), with GPU series from the fake NVML when a C compiler can
# build it, then schemathesis against the daemon's own OpenAPI document (0 failures), and
# the dashboard in headless Chromium (scripts/browser-check.sh, its own daemon), alerts
# pushed to a real Alertmanager (scripts/alertmanager-check.sh), and the systemd unit with
# systemd-analyze (verify, security) plus make install/uninstall.
# Stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${VITALS_BIN:-.build/release/vitals}"
AUTOBAHN="${AUTOBAHN_SH:-../shared/tools/autobahn.sh}"
[ -x "$BIN" ] || { echo "conformance: $BIN not built (make release)" >&2; exit 2; }
[ -x "$AUTOBAHN" ] || { echo "conformance: $AUTOBAHN not found" >&2; exit 2; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

DATA="$(mktemp -d)"
LOG="$DATA/vitals.log"
PORT="${CONFORMANCE_PORT:-$(free_port)}"
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$DATA"
}
trap cleanup EXIT

# A fresh admin token per run, so schemathesis can exercise the routes that change state.
TOKEN="conformance-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
# The fake libnvidia-ml of the tests, so GPU series are linted, scraped and fuzzed too.
GPU_ENV=(VITALS_GPU_ENABLED=false)
if cc -shared -fPIC -O1 -o "$DATA/libnvidia-ml.so.1" Tests/Fixtures/fake-nvml/fake_nvml.c 2>"$DATA/cc.log"; then
    GPU_ENV=(VITALS_GPU_ENABLED=true VITALS_GPU_NVML_LIBRARY="$DATA/libnvidia-ml.so.1" FAKE_NVML_SCENARIO=two)
else
    echo "conformance: cannot build the fake NVML; GPU disabled" >&2
fi

# Rate limits off: schemathesis is one client sending thousands of state changes and
# wrong tokens on purpose, exactly what the limits stop (their own tests cover them).
env VITALS_AUTH_ADMIN_TOKENS="$TOKEN" VITALS_LIMITS_ADMIN_REQUESTS_PER_MINUTE=0 VITALS_LIMITS_AUTH_FAILURES_PER_MINUTE=0 \
    VITALS_WEBSOCKET_ECHO_ENDPOINT=true VITALS_SERVER_PORT="$PORT" \
    VITALS_SERVER_LISTEN=127.0.0.1 "${GPU_ENV[@]}" "$BIN" --config config.json --data-dir "$DATA" >"$LOG" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
    kill -0 "$pid" 2>/dev/null || { echo "conformance: daemon exited:" >&2; cat "$LOG" >&2; exit 1; }
    sleep 0.1
done

out="$(mktemp)"
set +e
"$AUTOBAHN" "ws://127.0.0.1:$PORT/ws/echo" 2>&1 | tee "$out"
set -e
last="$(grep '^autobahn: ' "$out" | tail -1)"
rm -f "$out"
kill -0 "$pid" 2>/dev/null || { echo "conformance: the daemon died during the run:" >&2; tail -20 "$LOG" >&2; exit 1; }
case "$last" in
    "autobahn: 0 failed of "*) echo "conformance: autobahn ok ($last)" ;;
    *) echo "conformance: FAILED (${last:-no result line})" >&2; exit 1 ;;
esac

if [ "${GPU_ENV[0]}" = VITALS_GPU_ENABLED=true ]; then
    # Into a file first: `curl | grep -q` under pipefail fails when grep stops reading early (SIGPIPE).
    curl -sf "http://127.0.0.1:$PORT/metrics" -o "$DATA/metrics.txt" && grep -q '^vitals_gpu_utilization_ratio{' "$DATA/metrics.txt" \
        || { echo "conformance: FAILED (no GPU series from the fake NVML)" >&2; tail -5 "$LOG" >&2; exit 1; }
fi
./scripts/prometheus-check.sh "http://127.0.0.1:$PORT" || { echo "conformance: FAILED (/metrics)" >&2; exit 1; }
./scripts/prometheus-rules-check.sh || { echo "conformance: FAILED (deploy/prometheus rules)" >&2; exit 1; }
./scripts/grafana-check.sh "http://127.0.0.1:$PORT" || { echo "conformance: FAILED (deploy/grafana dashboard queries)" >&2; exit 1; }
kill -0 "$pid" 2>/dev/null || { echo "conformance: the daemon died during the Prometheus checks:" >&2; tail -20 "$LOG" >&2; exit 1; }
./scripts/schemathesis.sh "http://127.0.0.1:$PORT" "$TOKEN"
kill -0 "$pid" 2>/dev/null || { echo "conformance: the daemon died during schemathesis:" >&2; tail -20 "$LOG" >&2; exit 1; }
./scripts/browser-check.sh || { echo "conformance: FAILED (the dashboard in Chromium)" >&2; exit 1; }
./scripts/alertmanager-check.sh "$BIN" || { echo "conformance: FAILED (Alertmanager)" >&2; exit 1; }
./scripts/systemd-check.sh || { echo "conformance: FAILED (systemd unit or make install)" >&2; exit 1; }
echo "conformance: ok ($last; promtool and Prometheus ok; schemathesis 0 failures; dashboard in Chromium ok; Alertmanager ok; systemd unit ok)"
