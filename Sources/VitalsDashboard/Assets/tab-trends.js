// Trends: history charts, each an average line over a min-max band. Seven ranges: "1 min" is
// real time, drawn from the live feed every tick; the others come from
// /api/v1/system/stats/history and refresh at a pace that fits their bucket width. From 1 h
// up, the forecast comes with them (GET /api/v1/system/trends, a least-squares line over
// the same range): a dashed projection on each chart, and under it the slope and, for what
// fills up (disks, RAM, VRAM), the time until full.

import { el, setText, num, clock, dayClock } from "./util.js";
import { timeChart, pushPoint } from "./charts.js";
import { getJSON } from "./api.js";

export const RANGES = [
  { id: "1m", label: "1 min", spanMs: 60000, live: true },
  { id: "5m", label: "5 min", spanMs: 300000, refreshMs: 2000 },
  { id: "15m", label: "15 min", spanMs: 900000, refreshMs: 2000 },
  { id: "1h", label: "1 h", spanMs: 3600000, refreshMs: 5000, trend: true },
  { id: "6h", label: "6 h", spanMs: 21600000, refreshMs: 30000, trend: true },
  { id: "24h", label: "24 h", spanMs: 86400000, refreshMs: 60000, trend: true },
  { id: "7d", label: "7 days", spanMs: 604800000, refreshMs: 300000, trend: true },
];
const POINTS = 300;
/// How far past now a chart with a forecast reaches, as a share of its range.
const AHEAD = 0.25;

/// The series drawn, from the GPUs the latest snapshot shows. `pick` reads a live snapshot.
function metricsFor(snap) {
  const list = [
    { name: "cpu.percent", title: "CPU %", unit: "%", max: 100, pick: (s) => s.cpu?.percent },
    { name: "memory.percent", title: "RAM %", unit: "%", max: 100, pick: (s) => s.memory?.percent },
    { name: "fs.max_percent", title: "Fullest disk %", unit: "%", max: 100,
      pick: (s) => (s.filesystems?.length ? Math.max(...s.filesystems.map((f) => f.percent)) : null) },
  ];
  const devices = snap?.gpu?.available ? snap.gpu.devices ?? [] : [];
  for (const d of devices) {
    const dev = (s) => s.gpu?.devices?.find((x) => x.index === d.index);
    list.push({ name: `gpu${d.index}.utilization`, title: `GPU ${d.index} utilization %`, unit: "%", max: 100, pick: (s) => dev(s)?.utilization?.gpu });
    list.push({ name: `gpu${d.index}.memory_percent`, title: `GPU ${d.index} VRAM %`, unit: "%", max: 100, pick: (s) => dev(s)?.memory?.percent });
    list.push({ name: `gpu${d.index}.temperature_c`, title: `GPU ${d.index} temperature °C`, unit: "°", rateUnit: "°C", max: 100, pick: (s) => dev(s)?.temperature_c });
  }
  return list;
}

/// "~25 min", "~6 h", "~3 days": a forecast is a rough figure.
export function untilText(s) {
  if (s < 3600) return `~${Math.max(1, Math.round(s / 60))} min`;
  if (s < 48 * 3600) return `~${Math.round(s / 3600)} h`;
  return `~${Math.round(s / 86400)} days`;
}

/// How much history a fit stands on: "40 s", "12 min", "5 h", "3 days".
function spanText(ms) {
  const s = ms / 1000;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

const YEAR_S = 365 * 86400;

/// The forecast's line under a chart: the slope and the history it stands on (a fresh
/// daemon fits a few minutes of a long range, and says so), and for what fills up the time
/// until full at that rate.
function forecastText(t, m, coveredMs) {
  if (t.slope_per_hour === null) return `Trend: not enough history in this range yet (${t.points} points).`;
  const rate = `${t.slope_per_hour >= 0 ? "+" : "−"}${num(Math.abs(t.slope_per_hour), 2)} ${m.rateUnit ?? m.unit}/h`;
  const basis = `over ${spanText(coveredMs)} of history`;
  const fills = t.metric === "fs.max_percent" || t.metric === "memory.percent" || t.metric.endsWith(".memory_percent");
  if (!fills) return `Trend ${rate} ${basis}.`;
  const until = t.time_until_full_s;
  if (until === null) return `Trend ${rate} ${basis}: not filling up.`;
  if (until > YEAR_S || t.full_at === null) return `Trend ${rate} ${basis}: full in over a year at this rate.`;
  const at = Date.parse(t.full_at);
  return `Trend ${rate} ${basis}: full in ${untilText(until)} (${until > 86400 ? dayClock(at) : clock(at, false)}).`;
}

/// The projection from the last point: to 100 % at the forecast's full_at where it has one,
/// else along the slope; cut where it leaves the chart (at endMs, or at yMin/yMax).
function projection(t, fromMs, endMs, yMin, yMax) {
  if (t.slope_per_hour === null || t.current === null) return [];
  let x1, y1;
  const full = t.full_at === null || t.time_until_full_s > YEAR_S ? NaN : Date.parse(t.full_at);
  if (Number.isFinite(full) && full > fromMs) { x1 = full; y1 = 100; }
  else { x1 = endMs; y1 = t.current + (t.slope_per_hour * (endMs - fromMs)) / 3600000; }
  const at = (y) => fromMs + ((x1 - fromMs) * (y - t.current)) / (y1 - t.current);
  if (y1 > yMax) { x1 = at(yMax); y1 = yMax; }
  if (y1 < yMin) { x1 = at(yMin); y1 = yMin; }
  if (x1 > endMs) { y1 = t.current + ((y1 - t.current) * (endMs - fromMs)) / (x1 - fromMs); x1 = endMs; }
  return [{ x: fromMs, y: t.current }, { x: x1, y: y1 }];
}

export function create(panel, app) {
  const buttons = el("div", { class: "ranges", role: "group", "aria-label": "Time range" });
  const info = el("p", { class: "note", role: "status" });
  const grid = el("div", { class: "charts" });
  panel.append(buttons, info, grid);

  let range = RANGES[0];
  let metrics = [];
  let charts = [];
  let notes = [];
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
    notes = metrics.map((m) => el("p", { class: "forecast note", "data-metric": m.name, hidden: true }));
    charts = metrics.map((m, i) => {
      const canvas = el("canvas", { role: "img", "aria-label": m.title, "data-metric": m.name });
      grid.append(el("figure", { class: "chart" }, el("figcaption", { text: m.title }), el("div", { class: "chart-area" }, canvas), notes[i]));
      return timeChart(canvas, { series: [{ label: m.title }], band: true, forecast: true, yMax: m.max, unit: m.unit, interactive: true, spanMs: range.spanMs });
    });
  }

  function drawLive() {
    const end = app.latest?.ts ?? Date.now();
    notes.forEach((n) => { n.hidden = true; });
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
      const [h, trends] = await Promise.all([
        getJSON(`/api/v1/system/stats/history?range=${range.id}&metrics=${names}&points=${POINTS}`),
        // A forecast that cannot be had leaves the charts as they are.
        range.trend ? getJSON(`/api/v1/system/trends?range=${range.id}&metrics=${names}`).catch(() => null) : null,
      ]);
      if (gen !== generation) return; // a newer range was chosen meanwhile
      const span = h.to - h.from;
      const ahead = trends ? span * AHEAD : 0;
      const byMetric = new Map((trends?.trends ?? []).map((t) => [t.metric, t]));
      charts.forEach((c, i) => {
        const m = metrics[i];
        const rows = h.series?.[m.name] ?? [];
        c.clear();
        const avg = c.line(0), lo = c.min(0), hi = c.max(0);
        for (const r of rows) {
          avg.push({ x: r.t, y: r.avg });
          lo.push({ x: r.t, y: r.min });
          hi.push({ x: r.t, y: r.max });
        }
        const t = byMetric.get(m.name);
        const note = notes[i];
        note.hidden = !t;
        if (t) {
          const first = rows.find((r) => r.avg !== null), last = rows.findLast((r) => r.avg !== null);
          c.forecast(0).push(...projection(t, last?.t ?? h.to, h.to + ahead, 0, m.max));
          setText(note, forecastText(t, m, last && first ? last.t - first.t : 0));
          note.dataset.slopePerHour = String(t.slope_per_hour);
          note.dataset.untilS = t.time_until_full_s === null ? "" : String(t.time_until_full_s);
          note.dataset.to = trends.to;
        }
        c.window(h.to + ahead, span + ahead);
        c.draw();
      });
      grid.dataset.range = range.id;
      if (trends) grid.dataset.trendTo = trends.to; else delete grid.dataset.trendTo;
      info.textContent = `${range.label}: ${h.points} points of ${h.bucket_ms / 1000} s from the ${h.tier} tier, refreshed every ${range.refreshMs / 1000} s`
        + (trends ? `; dashed: the ${trends.tier} tier's linear trend, projected ${Math.round(AHEAD * 100)} % of the range ahead.` : ".");
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
