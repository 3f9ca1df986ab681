// Jobs: running and queued jobs with their progress bar, stage and ETA, then the finished
// ones with their outcome, peak VRAM and duration. Loaded from GET /api/v1/jobs (a page of
// 50; the daemon keeps the full history), then kept current by the live socket's
// `generation_progress` (each job's state and progress) and `queue_updates` (positions);
// polled every second only while the socket is down (see feed.js).

import { el, setText, bytes, num } from "./util.js";
import { getJSON } from "./api.js";
import { topicFeed, perFrame } from "./feed.js";

const ACTIVE = new Set(["running", "queued"]);
const KEEP_FINISHED = 50;

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

/// How far along a job's life is: a later state, then more progress updates, is newer.
const RANK = { queued: 0, running: 1 };
function rank(j) { return RANK[j.state] ?? 2; }
function newer(a, b) {
  return rank(a) !== rank(b) ? rank(a) > rank(b) : (a.progress?.updates ?? 0) > (b.progress?.updates ?? 0);
}

export function create(panel, app) {
  const status = el("p", { class: "note", role: "status" });
  const active = el("div", { class: "jobs", id: "jobs-active" });
  const body = el("tbody");
  const finished = el("table", { class: "procs", id: "jobs-finished" },
    el("caption", { text: "Finished" }),
    el("thead", {}, el("tr", {}, ...["Job", "State", "GPU", "Peak VRAM", "Duration", "Error"].map((h) => el("th", { text: h })))),
    body);
  panel.append(el("h2", { text: "Running and queued" }), status, active, el("div", { class: "table-wrap" }, finished));

  let jobs = new Map(); // id -> the job as GET /api/v1/jobs shows it

  const render = perFrame(() => {
    const all = [...jobs.values()];
    const live = all.filter((j) => ACTIVE.has(j.state))
      .sort((a, b) => rank(b) - rank(a) || (a.queue_position ?? 0) - (b.queue_position ?? 0) || a.id - b.id);
    const done = all.filter((j) => !ACTIVE.has(j.state)).sort((a, b) => (b.ended_ts ?? 0) - (a.ended_ts ?? 0) || b.id - a.id);
    for (const j of done.slice(KEEP_FINISHED)) jobs.delete(j.id);
    active.replaceChildren(...(live.length ? live.map(activeRow) : [el("p", { class: "note", text: "No job is running or queued." })]));
    body.replaceChildren(...done.slice(0, KEEP_FINISHED).map(finishedRow));
  });

  async function load() {
    try {
      const page = await getJSON("/api/v1/jobs?limit=50");
      // The page is the truth as of its request; an event that crossed it may be newer,
      // and a job created since is not in it yet.
      const next = new Map(page.jobs.map((j) => [j.id, j]));
      const newest = Math.max(0, ...page.jobs.map((j) => j.id));
      for (const [id, j] of jobs) {
        const fresh = next.get(id);
        if (fresh ? newer(j, fresh) : id > newest) next.set(id, j);
      }
      jobs = next;
      setText(status, "");
      render();
    } catch (e) {
      setText(status, `Jobs unavailable: ${e.message}`);
    }
  }

  let missing = null;
  function apply(topic, m) {
    if (m.type === "state") {
      const known = jobs.get(m.job_id);
      if (!known || !newer(known, m.job)) jobs.set(m.job_id, m.job);
    } else if (m.type === "progress") {
      const j = jobs.get(m.job_id);
      if (!j) {
        // Started before this tab loaded and not in its page: read the page again, once.
        missing ??= setTimeout(() => { missing = null; load(); }, 1000);
        return;
      }
      if (j.state !== "running" || (j.progress?.updates ?? 0) >= (m.progress.updates ?? 0)) return;
      jobs.set(j.id, { ...j, gpu: m.gpu, progress: m.progress });
    } else if (m.type === "queue") {
      for (const q of m.queue) {
        const j = jobs.get(q.id);
        if (j && j.state === "queued") jobs.set(j.id, { ...j, queue_position: q.position });
      }
    } else {
      return;
    }
    render();
  }

  return topicFeed(app, panel, { topics: ["generation_progress", "queue_updates"], pollMs: 1000, load, apply });
}
