#!/usr/bin/env bash
# Refreshes the vendored Chart.js from Debian's libjs-chart.js package (installed by name
# when missing): copies its UMD build into the dashboard's assets and prints the version
# line, to be written into Sources/VitalsDashboard/ThirdParty/chart.js/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh libjs-chart.js
src=/usr/share/javascript/chart.js/chart.min.js
cp "$src" Sources/VitalsDashboard/Assets/chart.min.js
echo "vendor-chartjs: $(head -c 200 "$src" | grep -o 'Chart.js v[0-9.]*') from libjs-chart.js $(dpkg-query -W -f='${Version}' libjs-chart.js)"
