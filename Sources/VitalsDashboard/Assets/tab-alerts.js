// Alerts: the active ones (pending and firing, worst first) with an acknowledge button
// (an admin action: repeats stop until the alert resolves or the acknowledgement
// expires), then the recently resolved ones. Loaded from GET /api/v1/alerts, then kept
// current by the live socket's `alerts` topic (every state change, acknowledgements
// included); polled every 2 s only while the socket is down (see feed.js).

import { el, setText, num } from "./util.js";
import { getJSON, adminButton, adminRequest, token } from "./api.js";
import { topicFeed, perFrame } from "./feed.js";

const RANK = { critical: 0, warning: 1 };
const KEEP_RESOLVED = 50;

export function create(panel, app) {
  const status = el("p", { class: "note", role: "status", id: "alerts-status" });
  const active = el("div", { class: "alerts", id: "alerts-active" });
  const resolved = el("ol", { class: "activity", id: "alerts-resolved" });
  panel.append(el("h2", { text: "Active" }), status, active, el("h2", { text: "Recently resolved" }), resolved);

  let alerts = new Map(); // id -> the alert as GET /api/v1/alerts shows it
  let rows = new Map();   // id -> { updated, node }: a row is rebuilt only when its alert changed

  function row(a) {
    const note = el("span", { class: "note" });
    const ack = el("button", { type: "button", "data-ack": a.id, text: "Acknowledge" });
    if (a.acknowledgement) {
      ack.disabled = true;
      note.textContent = ` Acknowledged by ${a.acknowledgement.by}${a.acknowledgement.comment ? `: ${a.acknowledgement.comment}` : ""}.`;
    } else {
      adminButton(ack, note);
      ack.addEventListener("click", async () => {
        ack.disabled = true;
        const r = await adminRequest("POST", `/api/v1/alerts/${a.id}/acknowledge`, { comment: "acknowledged from the dashboard" });
        ack.disabled = !token.get();
        status.dataset.result = r.ok ? "acknowledged" : "refused";
        status.textContent = r.ok ? `Acknowledged alert ${a.id}.` : `Not acknowledged: ${r.message}.`;
        // The socket brings the acknowledgement; without it, read the list again.
        if (r.ok && !app.live.isLive(["alerts"])) load(false);
        else if (r.ok) apply("alerts", { alert: r.data?.alert ?? r.data });
      });
    }
    return el("article", { class: "card", "data-id": a.id, "data-level": a.severity === "critical" ? "crit" : a.severity === "warning" ? "warn" : "none" },
      el("h3", { text: `${a.rule} (${a.state}${a.severity ? `, ${a.severity}` : ""})` }),
      el("div", { class: "sub", text: `${a.summary} · value ${num(a.value, 1)} · since ${a.fired_at ?? a.starts_at}` }),
      el("div", { class: "toolbar" }, ack, note));
  }

  const render = perFrame(() => {
    const all = [...alerts.values()];
    const live = all.filter((a) => a.state === "firing" || a.state === "pending")
      .sort((x, y) => (RANK[x.severity] ?? 2) - (RANK[y.severity] ?? 2) || x.id - y.id);
    const next = new Map();
    const nodes = live.map((a) => {
      const had = rows.get(a.id);
      const node = had && had.updated === a.updated_at ? had.node : row(a);
      next.set(a.id, { updated: a.updated_at, node });
      return node;
    });
    rows = next;
    active.replaceChildren(...(nodes.length ? nodes : [el("p", { class: "note", text: "Nothing is firing." })]));
    const gone = all.filter((a) => a.state === "resolved").sort((x, y) => Date.parse(y.resolved_at) - Date.parse(x.resolved_at));
    for (const a of gone.slice(KEEP_RESOLVED)) alerts.delete(a.id);
    resolved.replaceChildren(...gone.slice(0, KEEP_RESOLVED).map((a) =>
      el("li", { "data-id": a.id }, el("span", { class: "badge", text: a.severity ?? "resolved" }), ` ${a.rule}: ${a.summary} (resolved ${a.resolved_at})`)));
  });

  const newer = (a, b) => Date.parse(a.updated_at) > Date.parse(b.updated_at);

  async function load(clearStatus = true) {
    try {
      const list = (await getJSON("/api/v1/alerts")).alerts;
      const next = new Map(list.map((a) => [a.id, a]));
      // An event that crossed the request may be newer than the list.
      for (const [id, a] of alerts) if (next.has(id) && newer(a, next.get(id))) next.set(id, a);
      alerts = next;
      if (clearStatus) { setText(status, ""); delete status.dataset.result; }
      render();
    } catch (e) {
      setText(status, `Alerts unavailable: ${e.message}`);
    }
  }

  /// An `alerts` event: {type: "alert_<change>", ts, alert}. A pending alert that cleared
  /// ("alert_inactive") leaves the list.
  function apply(topic, m) {
    const a = m.alert;
    if (!a || a.id === undefined) return;
    const known = alerts.get(a.id);
    if (known && newer(known, a)) return;
    if (a.state === "inactive") alerts.delete(a.id);
    else alerts.set(a.id, a);
    render();
  }

  const feed = topicFeed(app, panel, { topics: ["alerts"], pollMs: 2000, load: () => load(false), apply });
  return {
    show() { setText(status, ""); delete status.dataset.result; feed.show(); },
    hide() { feed.hide(); },
  };
}
