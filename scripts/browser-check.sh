#!/usr/bin/env bash
# The dashboard in a real browser: headless Chromium from Debian's `chromium` package, driven
# by Playwright from PyPI (pinned, in a cached virtualenv) with executable_path pointing at
# it: Playwright's own browser download (`playwright install`) is never used. Starts two
# release daemons on free ports with the fake NVML (two GPUs) and throw-away data dirs (one
# as `make run` has it, one whose reads need a token), runs scripts/browser_check.py
# against them, and stops everything it started.
# Screenshots go to .build/screenshots/ (BROWSER_SCREENSHOTS to change); the soak that
# measures the page's CPU and heap lasts BROWSER_SOAK_SECONDS (default 10; 60 for the
# figure the issue asks for).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${VITALS_BIN:-.build/release/vitals}"
[ -x "$BIN" ] || { echo "browser-check: $BIN not built (make release)" >&2; exit 2; }
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] || ./scripts/deps.sh chromium
# Pinned: the version these checks were written against (route_web_socket needs >= 1.48).
VERSION=1.65.2
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/vitals-browser/venv"
if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('playwright') != '$VERSION')" 2>/dev/null; then
    python3 -m venv "$VENV" 2>/dev/null || { ./scripts/deps.sh python3-venv && python3 -m venv "$VENV"; }
    "$VENV/bin/pip" install -q "playwright==$VERSION"
fi

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
DATA="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$DATA"
}
trap cleanup EXIT

TOKEN="browser-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
READ_TOKEN="browser-read-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
cc -shared -fPIC -O1 -o "$DATA/libnvidia-ml.so.1" Tests/Fixtures/fake-nvml/fake_nvml.c

# start NAME [VAR=value...]: a daemon on a free port with its own data dir; sets PORT.
# GPU 1's memory grows by 32 MiB/s (FAKE_NVML_RAMP_MIB_PER_S): a trend the Trends tab forecasts.
start() {
    local name="$1"; shift
    mkdir -p "$DATA/$name"
    PORT="$(free_port)"
    env VITALS_AUTH_ADMIN_TOKENS="$TOKEN" VITALS_SERVER_PORT="$PORT" VITALS_SERVER_LISTEN=127.0.0.1 \
        VITALS_GPU_ENABLED=true VITALS_GPU_NVML_LIBRARY="$DATA/libnvidia-ml.so.1" FAKE_NVML_SCENARIO=two \
        FAKE_NVML_RAMP_MIB_PER_S=32 "$@" \
        "$BIN" --config config.json --data-dir "$DATA/$name" >"$DATA/$name.log" 2>&1 &
    pids+=($!)
    local pid=$!
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/ui/app.js" && return 0
        kill -0 "$pid" 2>/dev/null || { echo "browser-check: daemon $name exited:" >&2; cat "$DATA/$name.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "browser-check: daemon $name did not answer" >&2; exit 1
}
# The main daemon: reads open on loopback, as `make run` has it.
start main
MAIN_PORT="$PORT"
# The token path: reads need a token even on loopback (auth.loopback_reads_need_token), as
# they do on any other bind; the page must load, ask once for the read token, and use it.
start closed VITALS_AUTH_LOOPBACK_READS_NEED_TOKEN=true VITALS_AUTH_READ_TOKENS="$READ_TOKEN"
CLOSED_PORT="$PORT"

SHOTS="${BROWSER_SCREENSHOTS:-.build/screenshots}"
mkdir -p "$SHOTS"
set +e
CHROMIUM="$CHROMIUM" CLOSED_URL="http://127.0.0.1:$CLOSED_PORT" READ_TOKEN="$READ_TOKEN" \
    "$VENV/bin/python" scripts/browser_check.py "http://127.0.0.1:$MAIN_PORT" "$TOKEN" "$SHOTS"
rc=$?
set -e
for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null || { echo "browser-check: a daemon died during the run:" >&2; tail -20 "$DATA"/*.log >&2; exit 1; }
done
[ "$rc" -eq 0 ] || { echo "browser-check: FAILED" >&2; exit 1; }
