#!/usr/bin/env bash
# Alerts against a real Alertmanager (Debian's prometheus-alertmanager): starts it on
# loopback (own free port, own temp data dir), starts a second Vitals with a forced rule
# (RAM above 0.01 %) pushing to it, and checks through Alertmanager's v2 API that the alert
# arrives with Vitals' labels, then that it resolves once the rule is deleted over the API.
# Takes the daemon binary; stops everything it started.
set -euo pipefail
BIN="${1:?usage: alertmanager-check.sh PATH/TO/vitals}"
AM="$(command -v prometheus-alertmanager || command -v alertmanager || true)"
[ -n "$AM" ] || { echo "alertmanager-check: prometheus-alertmanager not installed (make deps)" >&2; exit 2; }

WORK="$(mktemp -d)"
am_pid=""; v_pid=""
cleanup() {
    for p in $v_pid $am_pid; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

AMPORT="$(free_port)"; VPORT="$(free_port)"
cat >"$WORK/alertmanager.yml" <<YML
route:
  receiver: blackhole
  group_wait: 1s
receivers:
  - name: blackhole
YML
"$AM" --config.file="$WORK/alertmanager.yml" --storage.path="$WORK/am" --web.listen-address="127.0.0.1:$AMPORT" \
    --cluster.listen-address= >"$WORK/am.log" 2>&1 &
am_pid=$!
wait_port "$AMPORT" || { echo "alertmanager-check: Alertmanager did not start:" >&2; tail -20 "$WORK/am.log" >&2; exit 1; }

echo "{}" >"$WORK/config.json"
TOKEN="am-check-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
env VITALS_AUTH_ADMIN_TOKENS="$TOKEN" VITALS_SERVER_PORT="$VPORT" VITALS_SERVER_LISTEN=127.0.0.1 VITALS_GPU_ENABLED=false \
    VITALS_ALERTS_ALERTMANAGER_URLS="http://127.0.0.1:$AMPORT" \
    VITALS_ALERTS_RULES='[{"name":"vitals_conformance","metric":"memory.percent","warning":0.01,"labels":{"check":"conformance"},"summary":"forced: RAM {value}%"}]' \
    "$BIN" --data-dir "$WORK/vitals" --config "$WORK/config.json" >"$WORK/vitals.log" 2>&1 &
v_pid=$!
wait_port "$VPORT" || { echo "alertmanager-check: Vitals did not start:" >&2; tail -20 "$WORK/vitals.log" >&2; exit 1; }

count() {  # alerts named vitals_conformance that Alertmanager holds as active
    curl -sf "http://127.0.0.1:$AMPORT/api/v2/alerts?filter=alertname%3D%22vitals_conformance%22" \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len([a for a in d if a["status"]["state"]=="active" and a["labels"].get("check")=="conformance" and a["labels"].get("severity")=="warning"]))' \
        2>/dev/null || echo -1
}
for _ in $(seq 1 60); do [ "$(count)" = 1 ] && break; sleep 0.5; done
if [ "$(count)" != 1 ]; then
    echo "alertmanager-check: the forced alert did not reach Alertmanager within 30 s" >&2
    curl -s "http://127.0.0.1:$VPORT/api/v1/alerts/notifications" >&2 || true
    exit 1
fi
echo "alertmanager-check: the forced alert arrived in Alertmanager (v2 API)"

curl -sf -X DELETE -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$VPORT/api/v1/alerts/rules/vitals_conformance" >/dev/null
for _ in $(seq 1 60); do [ "$(count)" = 0 ] && break; sleep 0.5; done
if [ "$(count)" != 0 ]; then
    echo "alertmanager-check: the alert did not resolve in Alertmanager within 30 s" >&2
    curl -s "http://127.0.0.1:$VPORT/api/v1/alerts/notifications" >&2 || true
    exit 1
fi
echo "alertmanager-check: it resolved when its rule was deleted"
