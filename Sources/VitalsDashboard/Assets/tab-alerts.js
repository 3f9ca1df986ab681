// Alerts: the active ones (pending and firing, worst first) with an acknowledge button
// (an admin action: repeats stop until the alert resolves or the acknowledgement
// expires), then the recently resolved ones. Read from GET /api/v1/alerts every 2 s.

import { el, setText, num } from "./util.js";
import { getJSON, adminButton, adminRequest, token } from "./api.js";

const RANK = { critical: 0, warning: 1 };

export function create(panel) {
  const status = el("p", { class: "note", role: "status", id: "alerts-status" });
  const active = el("div", { class: "alerts", id: "alerts-active" });
  const resolved = el("ol", { class: "activity", id: "alerts-resolved" });
  panel.append(el("h2", { text: "Active" }), status, active, el("h2", { text: "Recently resolved" }), resolved);

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
        refresh(false);
      });
    }
    return el("article", { class: "card", "data-id": a.id, "data-level": a.severity === "critical" ? "crit" : a.severity === "warning" ? "warn" : "none" },
      el("h3", { text: `${a.rule} (${a.state}${a.severity ? `, ${a.severity}` : ""})` }),
      el("div", { class: "sub", text: `${a.summary} · value ${num(a.value, 1)} · since ${a.fired_at ?? a.starts_at}` }),
      el("div", { class: "toolbar" }, ack, note));
  }

  async function refresh(clearStatus = true) {
    try {
      const { alerts } = await getJSON("/api/v1/alerts");
      const live = alerts.filter((a) => a.state === "firing" || a.state === "pending")
        .sort((x, y) => (RANK[x.severity] ?? 2) - (RANK[y.severity] ?? 2) || x.id - y.id);
      active.replaceChildren(...(live.length ? live.map(row) : [el("p", { class: "note", text: "Nothing is firing." })]));
      resolved.replaceChildren(...alerts.filter((a) => a.state === "resolved").map((a) =>
        el("li", { "data-id": a.id }, el("span", { class: "badge", text: a.severity ?? "resolved" }), ` ${a.rule}: ${a.summary} (resolved ${a.resolved_at})`)));
      if (clearStatus) { setText(status, ""); delete status.dataset.result; }
    } catch (e) {
      setText(status, `Alerts unavailable: ${e.message}`);
    }
  }

  let timer = null;
  return {
    show() { refresh(); timer ??= setInterval(() => refresh(false), 2000); },
    hide() { clearInterval(timer); timer = null; },
  };
}
