#!/usr/bin/env bash
# Conformance: starts the release daemon with the echo endpoint on a free port and a
# throw-away data dir, runs the Autobahn Testsuite against /ws/echo (RFC 6455), then
# schemathesis against the daemon's own OpenAPI document, stops the daemon. Passes only on
# `autobahn: 0 failed of N` and 0 schemathesis failures.
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
VITALS_AUTH_ADMIN_TOKENS="$TOKEN" \
VITALS_WEBSOCKET_ECHO_ENDPOINT=true VITALS_SERVER_PORT="$PORT" VITALS_SERVER_LISTEN=127.0.0.1 \
VITALS_GPU_ENABLED=false \
    "$BIN" --config config.json --data-dir "$DATA" >"$LOG" 2>&1 &
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

./scripts/schemathesis.sh "http://127.0.0.1:$PORT" "$TOKEN"
kill -0 "$pid" 2>/dev/null || { echo "conformance: the daemon died during schemathesis:" >&2; tail -20 "$LOG" >&2; exit 1; }
echo "conformance: ok ($last; schemathesis 0 failures)"
