#!/usr/bin/env bash
# deploy/prometheus against the real promtool (Debian's prometheus package): both scrape
# configs load (with the rules they name), the rules parse, and their unit tests pass
# (deploy/prometheus/tests/vitals.rules.test.yml: CPU hysteresis, RAM critical, full
# within 24 h, VRAM per GPU, GPU lost, sampler stalled, target down). Needs no daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v promtool >/dev/null || { echo "prometheus-rules-check: promtool not installed (make deps: prometheus)" >&2; exit 2; }
D=deploy/prometheus

run() {  # quiet on success, the whole output on failure
    local out
    if ! out="$("$@" 2>&1)"; then
        echo "prometheus-rules-check: FAILED: $*" >&2; echo "$out" >&2; exit 1
    fi
}
run promtool check config "$D/prometheus-single.yml"
run promtool check config "$D/prometheus-fleet.yml"
python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); assert all("host" in g.get("labels",{}) for g in t), "a target without a host label"' \
    "$D/targets/vitals.json" || { echo "prometheus-rules-check: FAILED: $D/targets/vitals.json" >&2; exit 1; }
run promtool check rules "$D/rules/vitals.rules.yml"
rules="$(promtool check rules "$D/rules/vitals.rules.yml" | grep -oE '[0-9]+ rules found')"
run promtool test rules "$D/tests/vitals.rules.test.yml"
echo "prometheus-rules-check: promtool check config (single, fleet) ok; check rules ok ($rules); test rules ok"
