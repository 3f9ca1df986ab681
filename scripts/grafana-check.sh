#!/usr/bin/env bash
# deploy/grafana/vitals.json against a running daemon: a real Prometheus (Debian's package,
# own free port and temp dir, 1 s scrapes) scrapes it, and every panel query of the
# dashboard, with its template variables substituted ($host -> the daemon's instance,
# $__rate_interval -> 5s), must return at least one series through /api/v1/query. One line
# per panel; fails on any empty query, a panel without queries, or a panel not on the
# dashboard's datasource variable. Takes the daemon's base URL; stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE="${1:?usage: grafana-check.sh http://127.0.0.1:PORT}"
DASH="${GRAFANA_DASHBOARD:-deploy/grafana/vitals.json}"
command -v prometheus >/dev/null || { echo "grafana-check: prometheus not installed (make deps: prometheus)" >&2; exit 2; }

WORK="$(mktemp -d)"
ppid_=""
cleanup() {
    if [ -n "$ppid_" ]; then kill "$ppid_" 2>/dev/null || true; wait "$ppid_" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PPORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
target="${BASE#http://}"
cat >"$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: vitals
    static_configs:
      - targets: ['$target']
        labels: { host: conformance }
YML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
    --web.listen-address="127.0.0.1:$PPORT" >"$WORK/prometheus.log" 2>&1 &
ppid_=$!

python3 - "$DASH" "http://127.0.0.1:$PPORT" "$target" "$ppid_" <<'PY'
import json, os, re, sys, time, urllib.parse, urllib.request
dash_path, prom, instance, prom_pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def query(expr):
    url = prom + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            d = json.load(r)
    except Exception as e:  # Prometheus still starting, or a 400 for a bad expression
        body = getattr(e, "read", lambda: b"")().decode(errors="replace")
        return None, (body or str(e))[:300]
    return (d["data"]["result"] if d.get("status") == "success" else None), d.get("error", "")

def alive():
    try: os.kill(prom_pid, 0); return True
    except OSError: return False

# A few scrapes first: every [5s] window then holds at least 4 samples.
deadline = time.time() + 30
while True:
    r, _ = query('count_over_time(vitals_sampler_ticks_total{instance="%s"}[10s]) >= 6' % instance)
    if r: break
    if time.time() > deadline or not alive():
        sys.exit("grafana-check: Prometheus did not scrape %s 6 times within 30 s" % instance)
    time.sleep(0.5)

# The instance as a regex inside a PromQL string: the backslashes of re.escape doubled.
inst = re.escape(instance).replace("\\", "\\\\")
subst = {"$__rate_interval": "5s", "$__interval": "1s", "$__range": "1m", "${host}": inst, "$host": inst, "$instance": inst}
def substitute(expr):
    for k in sorted(subst, key=len, reverse=True):
        expr = expr.replace(k, subst[k])
    return expr

dash = json.load(open(dash_path))
vars_ = {v["name"] for v in dash["templating"]["list"]}
assert {"datasource", "host"} <= vars_, "the dashboard lacks the datasource or host variable"
panels = [p for p in dash["panels"] if p["type"] != "row"]
panels += [q for p in dash["panels"] if p["type"] == "row" for q in p.get("panels", [])]
failed = 0
for p in panels:
    title, problems, series = p.get("title", "?"), [], 0
    targets = p.get("targets", [])
    if not targets: problems.append("no queries")
    if p.get("datasource", {}).get("uid") != "${datasource}": problems.append("datasource is not ${datasource}")
    for t in targets:
        expr = substitute(t.get("expr", ""))
        if "$" in expr: problems.append("unsubstituted variable in %r" % expr); continue
        end = time.time() + 10
        while True:  # an empty answer may be a window not yet filled; an error is final
            r, err = query(expr)
            if r or r is None or time.time() > end: break
            time.sleep(1)
        if r: series += len(r)
        else: problems.append("%s: %s" % (t.get("refId"), err or "empty result") + " for " + expr)
    if problems:
        failed += 1
        print("grafana-check: FAIL %-28s %s" % (title, "; ".join(problems)))
    else:
        print("grafana-check: ok   %-28s %d quer%s, %d series" % (title, len(targets), "y" if len(targets) == 1 else "ies", series))
if failed:
    sys.exit("grafana-check: %d of %d panels without data" % (failed, len(panels)))
print("grafana-check: all %d panels return data" % len(panels))
PY
