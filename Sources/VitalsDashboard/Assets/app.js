// The dashboard shell: the tab bar (buttons with role="tab", arrow keys between them, the
// choice kept in the URL's #fragment), the live feed and its indicator, and the last minute
// of snapshots every live chart draws from. Tab modules are loaded the first time they open.

import { Live } from "./live.js";
import { TABS } from "./tabs.js";
import { getJSON, askToken, token, readToken, readsNeedToken, enterReadToken, onCredentialChange } from "./api.js";
import { chartReady } from "./charts.js";
import { useConstraints } from "./thresholds.js";
import { el, setText } from "./util.js";

const RING = 121; // one minute at 500 ms, plus the point that scrolls out

/// What every tab gets: the latest snapshot, the last minute of them, the route index, and
/// the live feed (tabs subscribe it to their event topics).
export const app = {
  latest: null,
  ring: [],
  routes: [],
  live: null,
  hasRoute(prefix) { return app.routes.some((r) => r.path === prefix || r.path.startsWith(prefix + "/")); },
};

const tabBar = document.getElementById("tabs");
const panels = document.getElementById("panels");
const entries = [];
let active = null;

function addTab(def) {
  const button = el("button", {
    type: "button", role: "tab", id: `tab-${def.id}`, "aria-controls": `panel-${def.id}`,
    "aria-selected": "false", tabindex: "-1", text: def.title,
  });
  const panel = el("section", { role: "tabpanel", id: `panel-${def.id}`, "aria-labelledby": `tab-${def.id}`, class: "panel", hidden: true });
  const entry = { def, button, panel, view: null, loading: null };
  button.addEventListener("click", () => select(entry, true));
  tabBar.append(button);
  panels.append(panel);
  entries.push(entry);
  return entry;
}

async function select(entry, focus) {
  if (active === entry) return;
  if (active) {
    active.button.setAttribute("aria-selected", "false");
    active.button.tabIndex = -1;
    active.panel.hidden = true;
    active.view?.hide?.();
  }
  active = entry;
  entry.button.setAttribute("aria-selected", "true");
  entry.button.tabIndex = 0;
  entry.panel.hidden = false;
  if (focus) entry.button.focus();
  if (location.hash !== `#${entry.def.id}`) history.replaceState(null, "", `#${entry.def.id}`);
  if (!entry.view) {
    entry.loading ??= Promise.all([entry.def.load(), chartReady]).then(([m]) => { entry.view = m.create(entry.panel, app); }).catch((e) => {
      console.error(`tab ${entry.def.id}:`, e);
      entry.panel.replaceChildren(el("p", { class: "note", text: `This tab could not be loaded (${e.message}).` }));
      entry.view = {};
    });
    await entry.loading;
  }
  if (active === entry) entry.view.show?.();
}

// Arrow keys, Home and End move between tabs (WAI-ARIA tabs pattern); Tab leaves the bar.
tabBar.addEventListener("keydown", (e) => {
  const shown = entries.filter((t) => !t.button.hidden);
  const i = shown.indexOf(active);
  const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: shown.length - 1 }[e.key];
  if (to === undefined) return;
  e.preventDefault();
  select(shown[(to + shown.length) % shown.length], true);
});

for (const def of TABS) {
  const entry = addTab(def);
  if (def.needs) entry.button.hidden = true;
}

// The index tells which optional tabs this daemon has the API for. Where reads need a
// token and none was given yet, it is read again once one is.
let indexLoaded = false;
function loadIndex() {
  getJSON("/api/v1").then(useIndex).catch(() => {});
}

function useIndex(index) {
  if (indexLoaded) return;
  indexLoaded = true;
  app.routes = index.routes ?? [];
  // The colours follow the operator's constraints where this daemon has them (re-read every minute).
  if (app.hasRoute("/api/v1/system/constraints")) {
    const load = () => getJSON("/api/v1/system/constraints").then(useConstraints).catch(() => {});
    load();
    setInterval(load, 60000);
  }
  for (const t of entries) if (t.def.needs) t.button.hidden = !app.hasRoute(t.def.needs);
  const wanted = entries.find((t) => `#${t.def.id}` === location.hash && !t.button.hidden);
  if (wanted && wanted !== active) select(wanted, false);
}
loadIndex();
onCredentialChange(() => { if (!indexLoaded && readsNeedToken() && (readToken.get() || token.get())) loadIndex(); });

const conn = document.getElementById("conn");
const host = document.getElementById("host");
const labels = { connecting: "connecting", live: "live", reconnecting: "reconnecting", polling: "polling" };

const live = new Live((snap) => {
  if (!app.latest) performance.mark("vitals:first-snapshot");
  app.latest = snap;
  app.ring.push(snap);
  if (app.ring.length > RING) app.ring.shift();
  setText(host, snap.host?.hostname ?? "");
  document.body.dataset.seq = String(snap.seq);
  active?.view?.update?.(snap);
}, (state) => {
  conn.dataset.state = state;
  conn.textContent = labels[state];
  conn.title = state === "polling" ? "The WebSocket is down; reading /api/v1/system/stats every second" : "";
});

app.live = live;

document.getElementById("token-button").addEventListener("click", () => askToken("Enter the admin token for actions that change state."));
token.onChange((t) => { document.getElementById("token-button").textContent = t ? "Admin token ✓" : "Admin token"; });
// Shown once the daemon has asked for a token to read: to enter one after a cancel, or another.
const readButton = document.getElementById("read-token-button");
readButton.addEventListener("click", () => enterReadToken());
const showReadButton = () => {
  readButton.hidden = !readsNeedToken();
  readButton.textContent = readToken.get() ? "Read token ✓" : "Read token";
};
onCredentialChange(showReadButton);
showReadButton();

// The feed starts now; the first tab is built once the deferred Chart.js script has run
// (deferred scripts all run before DOMContentLoaded).
live.start();
const first = entries.find((t) => `#${t.def.id}` === location.hash && !t.def.needs) ?? entries[0];
if (window.Chart || document.readyState === "complete") select(first, false);
else document.addEventListener("DOMContentLoaded", () => select(first, false), { once: true });
