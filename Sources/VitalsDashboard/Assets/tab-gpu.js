// GPU: per GPU its utilization, VRAM (stacked by process when NVML gives per-process
// memory), temperature, power against its limit and clocks against their maximum, plus a
// live chart; below, the processes ranked by GPU memory. A sleeping GPU shows as asleep.

import { el, setText, pct, bytes, num } from "./util.js";
import { level } from "./thresholds.js";
import { timeChart, pushPoint } from "./charts.js";
import { getJSON } from "./api.js";

const SPAN = 60000, PROCESS_MS = 3000;

/// A horizontal bar: `parts` [{value, label}] stacked against `total`.
function bar(label) {
  const track = el("div", { class: "bar", role: "img", "aria-label": label });
  return {
    node: track,
    set(parts, total, aria) {
      while (track.children.length < parts.length) track.append(el("span", { class: "seg" }));
      while (track.children.length > parts.length) track.lastChild.remove();
      parts.forEach((p, i) => {
        const s = track.children[i];
        const w = total > 0 && Number.isFinite(p.value) ? Math.max(0, Math.min(100, (p.value / total) * 100)) : 0;
        s.style.width = `${w.toFixed(2)}%`; // CSSOM, which the style-src 'self' policy allows
        s.dataset.level = p.level ?? "";
        s.title = p.label ?? "";
      });
      track.setAttribute("aria-label", aria);
    },
  };
}

function gpuCard(d) {
  const rows = {};
  const row = (key, title) => {
    const value = el("span", { class: "figure" });
    const b = bar(title);
    rows[key] = { value, bar: b };
    return el("div", { class: "gpu-row" }, el("span", { class: "label", text: title }), value, b.node);
  };
  const canvas = el("canvas", { role: "img", "aria-label": `GPU ${d.index} utilization and VRAM, last minute` });
  const state = el("span", { class: "badge" });
  const node = el("article", { class: "gpu", "data-gpu": d.index },
    el("h3", {}, `GPU ${d.index} `, el("span", { class: "name", text: d.name ?? "" }), " ", state),
    row("util", "Utilization"), row("vram", "VRAM"), row("temp", "Temperature"), row("power", "Power"),
    row("sm", "SM clock"), row("mem", "Memory clock"),
    el("div", { class: "chart-area small" }, canvas));
  const chart = timeChart(canvas, { series: [{ label: "utilization %" }, { label: "VRAM %" }], unit: "%" });
  return { node, rows, state, chart };
}

export function create(panel, app) {
  const list = el("div", { class: "gpus" });
  const none = el("p", { class: "note" });
  const table = el("table", { class: "procs" },
    el("caption", { text: "Processes by GPU memory" }),
    el("thead", {}, el("tr", {}, ...["PID", "Name", "User", "GPU memory", "CPU %", "RSS"].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody"));
  panel.append(none, list, el("div", { class: "table-wrap" }, table));
  let cards = [];
  let timer = null;
  let visible = false;

  function ensure(snap) {
    const devices = snap?.gpu?.available ? snap.gpu.devices ?? [] : [];
    none.textContent = snap?.gpu?.available === false ? `No GPU: ${snap.gpu.reason ?? "NVML is not available"}.` : "";
    if (devices.length === cards.length) return devices;
    cards.forEach((c) => c.chart.destroy());
    cards = devices.map(gpuCard);
    list.replaceChildren(...cards.map((c) => c.node));
    return devices;
  }

  function fill(c, d) {
    const asleep = d.state === "asleep";
    setText(c.state, asleep ? "asleep" : d.performance_state ?? "");
    c.node.dataset.state = d.state;
    const r = c.rows;
    if (asleep) {
      for (const k of Object.keys(r)) { setText(r[k].value, "–"); r[k].bar.set([], 0, "asleep"); }
      return;
    }
    const u = d.utilization?.gpu;
    setText(r.util.value, pct(u));
    r.util.bar.set([{ value: u }], 100, `utilization ${pct(u)}`);
    const m = d.memory ?? {};
    const procs = (d.processes ?? []).filter((p) => Number.isFinite(p.used_memory)).sort((a, b) => b.used_memory - a.used_memory);
    const byProcs = procs.reduce((a, p) => a + p.used_memory, 0);
    const parts = procs.map((p) => ({ value: p.used_memory, label: `${p.name ?? p.pid} (${p.pid}): ${bytes(p.used_memory)}` }));
    if (Number.isFinite(m.used) && m.used > byProcs) parts.push({ value: m.used - byProcs, label: `other: ${bytes(m.used - byProcs)}`, level: "other" });
    setText(r.vram.value, `${bytes(m.used)} / ${bytes(m.total)} (${pct(m.percent)})`);
    r.vram.bar.set(parts, m.total ?? 0, `VRAM ${pct(m.percent)}; ${procs.length} processes`);
    r.vram.value.parentElement.dataset.level = level("vram", m.percent);
    const t = d.temperature_c;
    setText(r.temp.value, `${num(t, 0)} °C`);
    r.temp.bar.set([{ value: t, level: level("gpuTemp", t) }], 100, `temperature ${num(t, 0)} °C`);
    const pw = d.power ?? {};
    setText(r.power.value, `${num(pw.draw_w, 0)} / ${num(pw.limit_w, 0)} W`);
    r.power.bar.set([{ value: pw.draw_w }], pw.limit_w ?? 0, `power ${num(pw.draw_w, 0)} of ${num(pw.limit_w, 0)} W`);
    const k = d.clocks ?? {};
    setText(r.sm.value, `${k.sm_mhz ?? "–"} / ${k.sm_max_mhz ?? "–"} MHz`);
    r.sm.bar.set([{ value: k.sm_mhz }], k.sm_max_mhz ?? 0, `SM clock ${k.sm_mhz} MHz`);
    setText(r.mem.value, `${k.mem_mhz ?? "–"} / ${k.mem_max_mhz ?? "–"} MHz`);
    r.mem.bar.set([{ value: k.mem_mhz }], k.mem_max_mhz ?? 0, `memory clock ${k.mem_mhz} MHz`);
  }

  function plot(s) {
    const devices = s.gpu?.available ? s.gpu.devices ?? [] : [];
    devices.forEach((d, i) => {
      const c = cards[i];
      if (!c) return;
      pushPoint(c.chart.line(0), s.ts, d.utilization?.gpu, SPAN);
      pushPoint(c.chart.line(1), s.ts, d.memory?.percent, SPAN);
    });
  }

  async function processes() {
    try {
      const p = await getJSON("/api/v1/system/processes?sort=gpu_memory&limit=20");
      const rows = p.processes.map((x) => el("tr", {},
        el("td", { text: String(x.pid) }), el("td", { text: x.name, title: x.command ?? "" }), el("td", { text: x.user }),
        el("td", { text: x.gpu_memory_bytes === null ? (p.gpu_memory_available ? "0" : "unknown") : bytes(x.gpu_memory_bytes) }),
        el("td", { text: num(x.cpu_percent) }), el("td", { text: bytes(x.rss_bytes) })));
      table.tBodies[0].replaceChildren(...rows);
    } catch { /* the next refresh tries again */ }
  }

  return {
    show() {
      visible = true;
      const devices = ensure(app.latest);
      cards.forEach((c) => c.chart.clear());
      app.ring.forEach(plot);
      devices.forEach((d, i) => fill(cards[i], d));
      cards.forEach((c) => { c.chart.window(app.latest?.ts ?? Date.now(), SPAN); c.chart.draw(); });
      processes();
      timer = setInterval(processes, PROCESS_MS);
    },
    hide() { visible = false; clearInterval(timer); timer = null; },
    update(snap) {
      if (!visible) return;
      const before = cards.length;
      const devices = ensure(snap);
      if (cards.length !== before) app.ring.slice(0, -1).forEach(plot);
      devices.forEach((d, i) => fill(cards[i], d));
      plot(snap);
      cards.forEach((c) => { c.chart.window(snap.ts, SPAN); c.chart.draw(); });
    },
  };
}
