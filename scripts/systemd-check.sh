#!/usr/bin/env bash
# The systemd side of operations, with the real tools: `systemd-analyze verify` is clean on
# the unit, `systemd-analyze security` rates it 2.0 or lower, and `make install` /
# `make uninstall` into a staging DESTDIR put the files where the unit expects them and
# never overwrite an edited config. Needs a release build (make conformance has one).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${VITALS_BIN:-.build/release/vitals}"
command -v systemd-analyze >/dev/null || { echo "systemd-check: systemd-analyze missing (make deps: systemd)" >&2; exit 2; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# verify resolves ExecStart, so point it at the binary just built.
sed "s#^ExecStart=/usr/local/bin/vitals #ExecStart=$(pwd)/$BIN #" deploy/vitals.service >"$WORK/vitals.service"
if ! out="$(systemd-analyze verify "$WORK/vitals.service" 2>&1)" || [ -n "$out" ]; then
    echo "systemd-check: systemd-analyze verify:" >&2; echo "$out" >&2; exit 1
fi
echo "systemd-check: systemd-analyze verify: clean"

level="$(systemd-analyze security --offline=yes "$WORK/vitals.service" 2>/dev/null | sed -n 's/.*Overall exposure level for vitals.service: \([0-9.]*\).*/\1/p')"
[ -n "$level" ] || { echo "systemd-check: no exposure level from systemd-analyze security" >&2; exit 1; }
awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' || { echo "systemd-check: exposure $level > 2.0" >&2; exit 1; }
echo "systemd-check: systemd-analyze security: $level (at most 2.0)"

stage="$WORK/root"
make -s install DESTDIR="$stage" >/dev/null
for f in usr/local/bin/vitals etc/systemd/system/vitals.service etc/vitals/config.json; do
    [ -e "$stage/$f" ] || { echo "systemd-check: make install did not write /$f" >&2; exit 1; }
done
"$stage/usr/local/bin/vitals" --version >/dev/null
echo '{"log": {"level": "debug"}}' >"$stage/etc/vitals/config.json"
make -s install DESTDIR="$stage" >/dev/null
grep -q debug "$stage/etc/vitals/config.json" || { echo "systemd-check: make install overwrote an edited config" >&2; exit 1; }
make -s install DESTDIR="$stage" PREFIX=/opt/vitals >/dev/null
grep -q '^ExecStart=/opt/vitals/bin/vitals ' "$stage/etc/systemd/system/vitals.service" \
    || { echo "systemd-check: the unit does not follow PREFIX" >&2; exit 1; }
make -s uninstall DESTDIR="$stage" PREFIX=/opt/vitals >/dev/null
[ ! -e "$stage/opt/vitals/bin/vitals" ] && [ -e "$stage/etc/vitals/config.json" ] \
    || { echo "systemd-check: make uninstall removed the wrong files" >&2; exit 1; }
echo "systemd-check: make install/uninstall: ok (config kept)"
