// Activity: the machine's story, newest first: jobs admitted and finished, settings and
// presets changed, the daemon started and stopped, GPUs lost and back, and the
// application's own events. Read from GET /api/v1/activity every 2 s while the tab is open.

import { el, setText, clock } from "./util.js";
import { getJSON } from "./api.js";

export function create(panel) {
  const status = el("p", { class: "note", role: "status" });
  const list = el("ol", { class: "activity", id: "activity-list" });
  panel.append(status, list);

  async function refresh() {
    try {
      const { activity } = await getJSON("/api/v1/activity?limit=100");
      list.replaceChildren(...(activity.length ? activity.map((a) => el("li", { "data-kind": a.kind },
        el("time", { datetime: a.timestamp, text: clock(a.ts) }), " ",
        el("span", { class: "badge", text: a.kind }), " ", a.message,
        ...Object.entries(a.labels).map(([k, v]) => el("span", { class: "note", text: ` ${k}=${v}` }))))
        : [el("li", { class: "note", text: "Nothing has happened yet." })]));
      setText(status, "");
    } catch (e) {
      setText(status, `Activity unavailable: ${e.message}`);
    }
  }

  let timer = null;
  return {
    show() { refresh(); timer ??= setInterval(refresh, 2000); },
    hide() { clearInterval(timer); timer = null; },
  };
}
