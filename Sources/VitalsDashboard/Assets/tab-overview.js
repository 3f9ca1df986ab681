// Overview: one card per figure (CPU, RAM, each GPU's utilization and VRAM, disks, network),
// coloured by thresholds.js, and live charts of CPU, RAM and GPU utilization over the last
// minute, drawn from the live feed. "Save snapshot" is the admin action of this tab.

import { el, setText, pct, bytes, rate, num } from "./util.js";
import { level, worst } from "./thresholds.js";
import { timeChart, pushPoint } from "./charts.js";
import { adminButton, adminRequest, token } from "./api.js";

const SPAN = 60000;

function card(key, title) {
  const value = el("div", { class: "value", "data-value": "" });
  const sub = el("div", { class: "sub" });
  const node = el("article", { class: "card", "data-key": key, "data-level": "none" }, el("h3", { text: title }), value, sub);
  return { node, value, sub, set(v, text, subText, lvl) {
    value.dataset.value = v === null || v === undefined ? "" : String(v);
    setText(value, text);
    setText(sub, subText);
    if (node.dataset.level !== lvl) node.dataset.level = lvl;
  } };
}

export function create(panel, app) {
  const cards = el("div", { class: "cards" });
  const status = el("p", { class: "note", role: "status" });
  const saveNote = el("span", { class: "note" });
  const save = el("button", { type: "button", id: "save-snapshot", class: "primary", text: "Save snapshot" });
  adminButton(save, saveNote);
  save.addEventListener("click", async () => {
    save.disabled = true;
    const r = await adminRequest("POST", "/api/v1/system/stats/save", { label: "saved from the dashboard" });
    save.disabled = !token.get(); // a refused token was forgotten, and the note says so
    status.textContent = r.ok ? `Saved snapshot #${r.data.id} at ${r.data.timestamp}.` : `Not saved: ${r.message}.`;
    status.dataset.result = r.ok ? "saved" : "refused";
  });
  const chartBox = (title) => {
    const canvas = el("canvas", { role: "img", "aria-label": `${title}, last minute` });
    return { wrap: el("figure", { class: "chart" }, el("figcaption", { text: title }), el("div", { class: "chart-area" }, canvas)), canvas };
  };
  const cpuBox = chartBox("CPU %"), memBox = chartBox("RAM %"), gpuBox = chartBox("GPU utilization %");
  panel.append(
    el("div", { class: "toolbar" }, save, saveNote),
    status, cards,
    el("div", { class: "charts" }, cpuBox.wrap, memBox.wrap, gpuBox.wrap),
  );

  const cpu = card("cpu.percent", "CPU"), mem = card("memory.percent", "RAM");
  const disk = card("fs.max_percent", "Disks"), net = card("net", "Network");
  cards.append(cpu.node, mem.node);
  const gpuCards = [];
  let gpuCount = -1;
  cards.append(disk.node, net.node);

  const cpuChart = timeChart(cpuBox.canvas, { series: [{ label: "CPU" }], unit: "%" });
  const memChart = timeChart(memBox.canvas, { series: [{ label: "RAM" }], unit: "%" });
  let gpuChart = null;
  let drawnOnce = false;

  function gpuDevices(snap) { return snap.gpu?.available ? snap.gpu.devices ?? [] : []; }

  function ensureGPUs(snap) {
    const devices = gpuDevices(snap);
    if (devices.length === gpuCount) return;
    gpuCount = devices.length;
    gpuCards.forEach((c) => { c.util.node.remove(); c.vram.node.remove(); });
    gpuCards.length = 0;
    devices.forEach((d) => {
      const util = card(`gpu${d.index}.utilization`, `GPU ${d.index}`);
      const vram = card(`gpu${d.index}.memory_percent`, `GPU ${d.index} VRAM`);
      disk.node.before(util.node, vram.node);
      gpuCards.push({ util, vram });
    });
    gpuChart?.destroy();
    gpuChart = null;
    gpuBox.wrap.hidden = devices.length === 0;
    if (devices.length) gpuChart = timeChart(gpuBox.canvas, { series: devices.map((d) => ({ label: `GPU ${d.index}` })), unit: "%" });
  }

  function fill(snap) {
    const c = snap.cpu ?? {}, m = snap.memory ?? {};
    cpu.set(c.percent, pct(c.percent), `load ${num(c.load?.["1m"], 2)} · ${snap.host?.cpu_online ?? "?"} cores`, level("cpu", c.percent));
    mem.set(m.percent, pct(m.percent), `${bytes(m.used)} of ${bytes(m.total)}`, level("memory", m.percent));
    gpuDevices(snap).forEach((d, i) => {
      const g = gpuCards[i];
      if (!g) return;
      if (d.state === "asleep") {
        g.util.set(null, "asleep", d.name ?? "", "none");
        g.vram.set(null, "asleep", "not sampled while it sleeps", "none");
        return;
      }
      const temp = d.temperature_c;
      g.util.set(d.utilization?.gpu, pct(d.utilization?.gpu), `${d.name ?? ""} · ${num(temp, 0)} °C`, level("gpuTemp", temp));
      g.vram.set(d.memory?.percent, pct(d.memory?.percent), `${bytes(d.memory?.used)} of ${bytes(d.memory?.total)}`, level("vram", d.memory?.percent));
    });
    const fss = snap.filesystems ?? [];
    const top = fss.reduce((a, f) => (a === null || f.percent > a.percent ? f : a), null);
    disk.set(top?.percent, pct(top?.percent), top ? `fullest: ${top.mount} (${fss.length} mounted)` : "no filesystems", worst(fss.map((f) => level("disk", f.percent))));
    const n = snap.network ?? {};
    net.set(n.rx_bytes_per_s, `↓ ${rate(n.rx_bytes_per_s)}`, `↑ ${rate(n.tx_bytes_per_s)}`, "none");
  }

  function plot(snap) {
    const t = snap.ts;
    pushPoint(cpuChart.line(0), t, snap.cpu?.percent, SPAN);
    pushPoint(memChart.line(0), t, snap.memory?.percent, SPAN);
    if (gpuChart) gpuDevices(snap).forEach((d, i) => pushPoint(gpuChart.line(i), t, d.utilization?.gpu, SPAN));
  }

  function draw(endMs) {
    for (const h of [cpuChart, memChart, gpuChart]) if (h) { h.window(endMs, SPAN); h.draw(); }
    if (!drawnOnce) { drawnOnce = true; performance.mark("vitals:charts-drawn"); }
  }

  let visible = false;
  return {
    show() {
      visible = true;
      if (!app.latest) return;
      ensureGPUs(app.latest);
      for (const h of [cpuChart, memChart, gpuChart]) h?.clear();
      app.ring.forEach(plot);
      fill(app.latest);
      draw(app.latest.ts);
      panel.dataset.seq = String(app.latest.seq);
    },
    hide() { visible = false; },
    update(snap) {
      if (!visible) return;
      const before = gpuCount;
      ensureGPUs(snap);
      if (gpuCount !== before) app.ring.slice(0, -1).forEach((s) => gpuDevices(s).forEach((d, i) => gpuChart && pushPoint(gpuChart.line(i), s.ts, d.utilization?.gpu, SPAN)));
      fill(snap);
      plot(snap);
      draw(snap.ts);
      panel.dataset.seq = String(snap.seq);
    },
  };
}
