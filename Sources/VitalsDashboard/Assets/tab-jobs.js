// Jobs: running and queued jobs with their progress bar, stage and ETA, then the finished
// ones with their outcome, peak VRAM and duration. Read from GET /api/v1/jobs every second
// while the tab is open (a page of 50; the daemon keeps the full history).

import { el, setText, bytes, num } from "./util.js";
import { getJSON } from "./api.js";

const ACTIVE = new Set(["running", "queued"]);

function eta(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return "–";
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

function duration(ms) { return ms === null || ms === undefined ? "–" : eta(ms / 1000); }

function activeRow(j) {
  const p = j.progress;
  const pct = p?.percent ?? 0;
  const bar = el("div", { class: "bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": Math.round(pct) },
    el("div", { class: "seg" }));
  bar.firstChild.style.width = `${Math.max(0, Math.min(100, pct))}%`;
  const where = j.state === "queued" ? `queued, position ${j.queue_position ?? "?"}` : `GPU ${j.gpu ?? "?"}`;
  return el("article", { class: "job", "data-id": j.id, "data-state": j.state },
    el("h3", { text: `${j.name}` }, el("span", { class: "badge", text: j.state })),
    el("p", { class: "note", text: `${j.kind}, ${where}, ${bytes(j.vram_bytes)} reserved` }),
    bar,
    el("p", { class: "job-progress", text: p
      ? `${num(pct, 1)} %${p.stage ? ` · ${p.stage}` : ""}${p.step !== null ? ` · step ${p.step}/${p.total_steps ?? "?"}` : ""} · ETA ${eta(p.eta_s)}${p.message ? ` · ${p.message}` : ""}`
      : "no progress reported yet" }));
}

function finishedRow(j) {
  return el("tr", { "data-id": j.id, "data-state": j.state },
    el("td", { text: j.name }), el("td", { text: j.state }), el("td", { text: j.gpu === null ? "–" : String(j.gpu) }),
    el("td", { text: j.peak_vram_bytes === null ? "–" : bytes(j.peak_vram_bytes) }), el("td", { text: duration(j.duration_ms) }),
    el("td", { text: j.error ?? "" }));
}

export function create(panel) {
  const status = el("p", { class: "note", role: "status" });
  const active = el("div", { class: "jobs", id: "jobs-active" });
  const body = el("tbody");
  const finished = el("table", { class: "procs", id: "jobs-finished" },
    el("caption", { text: "Finished" }),
    el("thead", {}, el("tr", {}, ...["Job", "State", "GPU", "Peak VRAM", "Duration", "Error"].map((h) => el("th", { text: h })))),
    body);
  panel.append(el("h2", { text: "Running and queued" }), status, active, el("div", { class: "table-wrap" }, finished));

  async function refresh() {
    try {
      const { jobs } = await getJSON("/api/v1/jobs?limit=50");
      const live = jobs.filter((j) => ACTIVE.has(j.state));
      active.replaceChildren(...(live.length ? live.map(activeRow) : [el("p", { class: "note", text: "No job is running or queued." })]));
      body.replaceChildren(...jobs.filter((j) => !ACTIVE.has(j.state)).map(finishedRow));
      setText(status, "");
    } catch (e) {
      setText(status, `Jobs unavailable: ${e.message}`);
    }
  }

  let timer = null;
  return {
    show() { refresh(); timer ??= setInterval(refresh, 1000); },
    hide() { clearInterval(timer); timer = null; },
  };
}
