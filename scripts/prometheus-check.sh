#!/usr/bin/env bash
# /metrics against the real tools (Debian's prometheus package): `promtool check metrics`
# must report nothing on both formats, and a real Prometheus on loopback (own free port,
# own temp data dir, 1 s scrape interval) must find up == 1 and Vitals series through its
# query API. Takes the daemon's base URL; stops everything it started.
set -euo pipefail
BASE="${1:?usage: prometheus-check.sh http://127.0.0.1:PORT}"
command -v promtool >/dev/null || { echo "prometheus-check: promtool not installed (make deps: prometheus)" >&2; exit 2; }
command -v prometheus >/dev/null || { echo "prometheus-check: prometheus not installed" >&2; exit 2; }

WORK="$(mktemp -d)"
ppid_=""
cleanup() {
    if [ -n "$ppid_" ]; then kill "$ppid_" 2>/dev/null || true; wait "$ppid_" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# 1. promtool: the linter prints one line per problem and exits non-zero on any. It reads
# the 0.0.4 text format only (it would misread OpenMetrics' counter families); OpenMetrics
# is proven by step 2: Prometheus asks for it first and fails the scrape (up 0) on bad input.
curl -sf "$BASE/metrics" >"$WORK/text.txt"
curl -sf -H 'Accept: application/openmetrics-text;version=1.0.0' "$BASE/metrics" >"$WORK/openmetrics.txt"
grep -q '^vitals_' "$WORK/text.txt" || { echo "prometheus-check: /metrics has no vitals_ series" >&2; exit 1; }
tail -1 "$WORK/openmetrics.txt" | grep -qx '# EOF' || { echo "prometheus-check: OpenMetrics output lacks # EOF" >&2; exit 1; }
if ! out="$(promtool check metrics <"$WORK/text.txt" 2>&1)" || [ -n "$out" ]; then
    echo "prometheus-check: promtool check metrics:" >&2; echo "$out" >&2; exit 1
fi
echo "prometheus-check: promtool check metrics: clean ($(grep -c '^vitals_' "$WORK/text.txt") samples)"

# 2. A real Prometheus scraping the daemon.
PPORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
target="${BASE#http://}"
cat >"$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: vitals
    static_configs:
      - targets: ['$target']
YML
promtool check config "$WORK/prometheus.yml" >/dev/null
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
    --web.listen-address="127.0.0.1:$PPORT" >"$WORK/prometheus.log" 2>&1 &
ppid_=$!

query() {  # prints the number of result series for a PromQL expression
    curl -sf --get "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["data"]["result"]) if d.get("status")=="success" else -1)' \
        2>/dev/null || echo -1
}
want=('up{job="vitals"} == 1' 'vitals_memory_total_bytes' 'vitals_collector_success' 'vitals_sampler_ticks_total')
for _ in $(seq 1 40); do
    ok=1
    for q in "${want[@]}"; do [ "$(query "$q")" -ge 1 ] 2>/dev/null || { ok=0; break; }; done
    [ "$ok" = 1 ] && break
    kill -0 "$ppid_" 2>/dev/null || { echo "prometheus-check: prometheus exited:" >&2; tail -20 "$WORK/prometheus.log" >&2; exit 1; }
    sleep 0.5
done
if [ "$ok" != 1 ]; then
    echo "prometheus-check: Prometheus did not see the series within 20 s:" >&2
    for q in "${want[@]}"; do echo "  $q -> $(query "$q")" >&2; done
    curl -s "http://127.0.0.1:$PPORT/api/v1/targets" >&2 || true
    exit 1
fi
echo "prometheus-check: Prometheus scraped the daemon: up == 1, $(query '{__name__=~"vitals_.+"}') vitals series"
