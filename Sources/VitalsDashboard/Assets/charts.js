// Chart.js (window.Chart, vendored from Debian's libjs-chart.js) set up for streaming, as its
// performance guide says: data already in {x, y} form (parsing: false, normalized: true), no
// animation, fixed axis limits, no point markers, the decimation plugin where a line can have
// more points than pixels, and a linear x axis of epoch milliseconds with our own tick labels
// (no date adapter needed).

import { clock, dayClock } from "./util.js";

const charts = new Set();

function palette() {
  const s = getComputedStyle(document.documentElement);
  const v = (n) => s.getPropertyValue(n).trim();
  return { text: v("--muted"), grid: v("--grid"), series: [v("--c1"), v("--c2"), v("--c3"), v("--c4")], band: v("--band") };
}

/// A time-series chart. `series`: [{label, color?}]; with `band`, each series also gets a
/// min-max band behind its line (datasets: max, min, avg per series); with `forecast`, a
/// dashed line per series after all of them, for its projection. Returns a handle.
/// Resolves once Chart.js (a deferred classic script) has run. A preloaded tab module can be
/// imported before it does: app.js runs first, and its import() may resolve in the
/// microtask checkpoint before the next deferred script.
export const chartReady = window.Chart ? Promise.resolve() : new Promise((resolve) => {
  const script = document.querySelector('script[src="/ui/chart.min.js"]');
  const done = () => { if (window.Chart) resolve(); };
  script?.addEventListener("load", done, { once: true });
  // The script may have run between the check above and the listener.
  queueMicrotask(done);
  window.addEventListener("DOMContentLoaded", done, { once: true });
});

export function timeChart(canvas, { yMin = 0, yMax = 100, series, band = false, forecast = false, spanMs = 60000, unit = "", interactive = false, digits = 1 }) {
  const p = palette();
  let handle = null;
  const datasets = [];
  series.forEach((s, i) => {
    const color = s.color ?? p.series[i % p.series.length];
    if (band) {
      datasets.push({ label: `${s.label} max`, data: [], borderWidth: 0, pointRadius: 0, backgroundColor: p.band, fill: "+1", band: true });
      datasets.push({ label: `${s.label} min`, data: [], borderWidth: 0, pointRadius: 0, fill: false, band: true });
    }
    datasets.push({ label: s.label, data: [], borderColor: color, backgroundColor: color, borderWidth: 1.5, pointRadius: 0, fill: false });
  });
  const forecastAt = datasets.length;
  if (forecast) series.forEach((s, i) => {
    const color = s.color ?? p.series[i % p.series.length];
    datasets.push({ label: `${s.label} forecast`, data: [], borderColor: color, backgroundColor: color, borderWidth: 1.5, borderDash: [6, 4], pointRadius: 0, fill: false, forecast: true });
  });
  const chart = new window.Chart(canvas.getContext("2d"), {
    type: "line",
    data: { datasets },
    options: {
      parsing: false,
      normalized: true,
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      spanGaps: false,
      events: interactive ? ["mousemove", "mouseout", "touchstart", "touchmove"] : [],
      interaction: { mode: "index", intersect: false, axis: "x" },
      elements: { line: { tension: 0 } },
      scales: {
        x: {
          type: "linear", min: Date.now() - spanMs, max: Date.now(),
          ticks: { color: p.text, maxTicksLimit: 6, maxRotation: 0, callback: (v) => { const s = handle?.spanMs ?? spanMs; return s > 86400000 ? dayClock(v) : clock(v, s <= 900000); } },
          grid: { color: p.grid },
        },
        y: {
          min: yMin, max: yMax,
          ticks: { color: p.text, maxTicksLimit: 5, callback: (v) => `${v}${unit}` },
          grid: { color: p.grid },
        },
      },
      plugins: {
        legend: { display: series.length > 1, labels: { color: p.text, boxWidth: 10, filter: (item, data) => !data.datasets[item.datasetIndex].band && !data.datasets[item.datasetIndex].forecast } },
        tooltip: { enabled: interactive, filter: (item) => !item.dataset.band, callbacks: { title: (items) => items.length ? dayClock(items[0].parsed.x) : "", label: (item) => `${item.dataset.label}: ${item.parsed.y === null ? "–" : item.parsed.y.toFixed(digits)}${unit}` } },
        decimation: { enabled: true, algorithm: "min-max" },
      },
    },
  });
  handle = {
    chart, band, spanMs, canvas,
    /// Dataset of series i: its average line, and with a band its max and min.
    line(i) { return chart.data.datasets[band ? i * 3 + 2 : i].data; },
    max(i) { return chart.data.datasets[i * 3].data; },
    min(i) { return chart.data.datasets[i * 3 + 1].data; },
    /// The projected line of series i (a chart made with `forecast`).
    forecast(i) { return chart.data.datasets[forecastAt + i].data; },
    window(endMs, spanMs = handle.spanMs) {
      chart.options.scales.x.min = endMs - spanMs;
      chart.options.scales.x.max = endMs;
      handle.spanMs = spanMs;
    },
    setY(min, max) { chart.options.scales.y.min = min; chart.options.scales.y.max = max; },
    clear() { chart.data.datasets.forEach((d) => { d.data.length = 0; }); },
    draw() {
      chart.update("none");
      canvas.dataset.points = String(chart.data.datasets[band ? 2 : 0].data.length);
      canvas.dataset.drawn = String(Number(canvas.dataset.drawn ?? 0) + 1);
      if (forecast) canvas.dataset.forecast = String(chart.data.datasets[forecastAt].data.length);
    },
    destroy() { charts.delete(handle); chart.destroy(); },
  };
  charts.add(handle);
  return handle;
}

/// Appends a point to a live line and drops what scrolled out of the window.
export function pushPoint(data, x, y, spanMs) {
  data.push({ x, y: y ?? null });
  const cut = x - spanMs - 1000;
  let n = 0;
  while (n < data.length && data[n].x < cut) n++;
  if (n) data.splice(0, n);
}

// Light/dark follows the system; the charts take the new colours without a reload.
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
  const p = palette();
  for (const h of charts) {
    const o = h.chart.options;
    for (const axis of [o.scales.x, o.scales.y]) { axis.ticks.color = p.text; axis.grid.color = p.grid; }
    o.plugins.legend.labels.color = p.text;
    h.chart.data.datasets.forEach((d) => { if (d.band && d.fill) d.backgroundColor = p.band; });
    h.chart.update("none");
  }
});
