// Activity: the machine's story, newest first: jobs admitted and finished, settings and
// presets changed, the daemon started and stopped, GPUs lost and back, and the
// application's own events. Loaded from GET /api/v1/activity, then each new entry comes
// on the live socket's `activity` topic; polled every 2 s only while the socket is down.

import { el, setText, clock } from "./util.js";
import { getJSON } from "./api.js";
import { topicFeed, perFrame } from "./feed.js";

const KEEP = 100;

function item(a) {
  return el("li", { "data-kind": a.kind, "data-id": a.id },
    el("time", { datetime: a.timestamp, text: clock(a.ts) }), " ",
    el("span", { class: "badge", text: a.kind }), " ", a.message,
    ...Object.entries(a.labels).map(([k, v]) => el("span", { class: "note", text: ` ${k}=${v}` })));
}

export function create(panel, app) {
  const status = el("p", { class: "note", role: "status" });
  const list = el("ol", { class: "activity", id: "activity-list" });
  panel.append(status, list);

  let entries = new Map(); // id -> entry; ids grow with time
  let nodes = new Map();   // id -> its list item, kept while shown

  const render = perFrame(() => {
    const ids = [...entries.keys()].sort((a, b) => b - a);
    for (const id of ids.slice(KEEP)) entries.delete(id);
    const shown = ids.slice(0, KEEP);
    const next = new Map(shown.map((id) => [id, nodes.get(id) ?? item(entries.get(id))]));
    nodes = next;
    list.replaceChildren(...(shown.length ? shown.map((id) => next.get(id)) : [el("li", { class: "note", text: "Nothing has happened yet." })]));
  });

  async function load() {
    try {
      const { activity } = await getJSON("/api/v1/activity?limit=100");
      // Entries never change: the page and the events merge by id.
      for (const a of activity) entries.set(a.id, a);
      setText(status, "");
      render();
    } catch (e) {
      setText(status, `Activity unavailable: ${e.message}`);
    }
  }

  function apply(topic, a) {
    if (a?.id === undefined || entries.has(a.id)) return;
    entries.set(a.id, a);
    render();
  }

  return topicFeed(app, panel, { topics: ["activity"], pollMs: 2000, load, apply });
}
