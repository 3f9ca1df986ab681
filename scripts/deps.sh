#!/usr/bin/env bash
# Installs the system packages the build and tests need, only when something is missing.
# Called by `make run` and `make test`, so a fresh Debian machine needs no manual step.
set -euo pipefail

need=()
[ -f /usr/include/sqlite3.h ] || need+=(libsqlite3-dev)
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
command -v cc >/dev/null 2>&1 || command -v clang >/dev/null 2>&1 || need+=(gcc)
for pkg in "$@"; do
    case "$pkg" in
        wrk) command -v wrk >/dev/null 2>&1 || need+=(wrk) ;;
        systemd) command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd) ;;
        prometheus) { command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || need+=(prometheus) ;;
        *) dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg") ;;
    esac
done

[ ${#need[@]} -eq 0 ] && exit 0

echo "deps: installing ${need[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "deps: need root (or sudo) to install ${need[*]}" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
