// Trends: history charts, each an average line over a min-max band. Seven ranges: "1 min" is
// real time, drawn from the live feed every tick; the others come from
// /api/v1/system/stats/history and refresh at a pace that fits their bucket width.

import { el } from "./util.js";
import { timeChart, pushPoint } from "./charts.js";
import { getJSON } from "./api.js";

export const RANGES = [
  { id: "1m", label: "1 min", spanMs: 60000, live: true },
  { id: "5m", label: "5 min", spanMs: 300000, refreshMs: 2000 },
  { id: "15m", label: "15 min", spanMs: 900000, refreshMs: 2000 },
  { id: "1h", label: "1 h", spanMs: 3600000, refreshMs: 5000 },
  { id: "6h", label: "6 h", spanMs: 21600000, refreshMs: 30000 },
  { id: "24h", label: "24 h", spanMs: 86400000, refreshMs: 60000 },
  { id: "7d", label: "7 days", spanMs: 604800000, refreshMs: 300000 },
];
const POINTS = 300;

/// The series drawn, from the GPUs the latest snapshot shows. `pick` reads a live snapshot.
function metricsFor(snap) {
  const list = [
    { name: "cpu.percent", title: "CPU %", unit: "%", max: 100, pick: (s) => s.cpu?.percent },
    { name: "memory.percent", title: "RAM %", unit: "%", max: 100, pick: (s) => s.memory?.percent },
  ];
  const devices = snap?.gpu?.available ? snap.gpu.devices ?? [] : [];
  for (const d of devices) {
    const dev = (s) => s.gpu?.devices?.find((x) => x.index === d.index);
    list.push({ name: `gpu${d.index}.utilization`, title: `GPU ${d.index} utilization %`, unit: "%", max: 100, pick: (s) => dev(s)?.utilization?.gpu });
    list.push({ name: `gpu${d.index}.memory_percent`, title: `GPU ${d.index} VRAM %`, unit: "%", max: 100, pick: (s) => dev(s)?.memory?.percent });
    list.push({ name: `gpu${d.index}.temperature_c`, title: `GPU ${d.index} temperature °C`, unit: "°", max: 100, pick: (s) => dev(s)?.temperature_c });
  }
  return list;
}

export function create(panel, app) {
  const buttons = el("div", { class: "ranges", role: "group", "aria-label": "Time range" });
  const info = el("p", { class: "note", role: "status" });
  const grid = el("div", { class: "charts" });
  panel.append(buttons, info, grid);

  let range = RANGES[0];
  let metrics = [];
  let charts = [];
  let timer = null;
  let generation = 0;
  let visible = false;

  for (const r of RANGES) {
    const b = el("button", { type: "button", "data-range": r.id, "aria-pressed": String(r === range), text: r.label });
    b.addEventListener("click", () => choose(r));
    buttons.append(b);
  }

  function build() {
    const wanted = metricsFor(app.latest);
    if (wanted.map((m) => m.name).join() === metrics.map((m) => m.name).join() && charts.length) return;
    charts.forEach((c) => c.destroy());
    grid.replaceChildren();
    metrics = wanted;
    charts = metrics.map((m) => {
      const canvas = el("canvas", { role: "img", "aria-label": m.title, "data-metric": m.name });
      grid.append(el("figure", { class: "chart" }, el("figcaption", { text: m.title }), el("div", { class: "chart-area" }, canvas)));
      return timeChart(canvas, { series: [{ label: m.title }], band: true, yMax: m.max, unit: m.unit, interactive: true, spanMs: range.spanMs });
    });
  }

  function drawLive() {
    const end = app.latest?.ts ?? Date.now();
    charts.forEach((c, i) => {
      c.clear();
      for (const s of app.ring) pushPoint(c.line(0), s.ts, metrics[i].pick(s), range.spanMs);
      c.window(end, range.spanMs);
      c.draw();
    });
    grid.dataset.range = range.id;
  }

  async function load() {
    const gen = ++generation;
    const names = metrics.map((m) => m.name).join(",");
    try {
      const h = await getJSON(`/api/v1/system/stats/history?range=${range.id}&metrics=${names}&points=${POINTS}`);
      if (gen !== generation) return; // a newer range was chosen meanwhile
      charts.forEach((c, i) => {
        const rows = h.series?.[metrics[i].name] ?? [];
        c.clear();
        const avg = c.line(0), lo = c.min(0), hi = c.max(0);
        for (const r of rows) {
          avg.push({ x: r.t, y: r.avg });
          lo.push({ x: r.t, y: r.min });
          hi.push({ x: r.t, y: r.max });
        }
        c.window(h.to, h.to - h.from);
        c.draw();
      });
      grid.dataset.range = range.id;
      info.textContent = `${range.label}: ${h.points} points of ${h.bucket_ms / 1000} s from the ${h.tier} tier, refreshed every ${range.refreshMs / 1000} s.`;
    } catch (e) {
      if (gen === generation) info.textContent = `History is not available: ${e.message}.`;
    }
  }

  function start() {
    clearInterval(timer);
    timer = null;
    build();
    if (range.live) {
      info.textContent = "1 min: real time, every tick from the live feed.";
      drawLive();
    } else {
      load();
      timer = setInterval(load, range.refreshMs);
    }
  }

  function choose(r) {
    if (r === range) return;
    range = r;
    generation++;
    for (const b of buttons.children) b.setAttribute("aria-pressed", String(b.dataset.range === r.id));
    start();
  }

  return {
    show() { visible = true; start(); },
    hide() { visible = false; clearInterval(timer); timer = null; generation++; },
    update(snap) {
      if (!visible || !range.live) return;
      if (metricsFor(snap).length !== metrics.length) { build(); drawLive(); return; }
      charts.forEach((c, i) => {
        pushPoint(c.line(0), snap.ts, metrics[i].pick(snap), range.spanMs);
        c.window(snap.ts, range.spanMs);
        c.draw();
      });
    },
  };
}
