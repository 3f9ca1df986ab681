// REST calls and the admin token. The token is asked for once, when an admin action needs
// it, kept in sessionStorage (this tab only, gone when it closes) and sent as a bearer header.

const KEY = "vitals.adminToken";
const listeners = new Set();

export async function getJSON(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

export const token = {
  get() { return sessionStorage.getItem(KEY); },
  set(t) { t ? sessionStorage.setItem(KEY, t) : sessionStorage.removeItem(KEY); listeners.forEach((f) => f(this.get(), null)); },
  /// Called with (token, reason) whenever the token changes or the daemon refuses it.
  onChange(f) { listeners.add(f); f(this.get(), null); return () => listeners.delete(f); },
  refused(reason) { sessionStorage.removeItem(KEY); listeners.forEach((f) => f(null, reason)); },
};

/// Opens the token dialog; resolves with the token, or null when cancelled.
export function askToken(why) {
  const dialog = document.getElementById("token-dialog");
  const input = document.getElementById("token-input");
  if (why) document.getElementById("token-why").firstChild.textContent = why + " ";
  input.value = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "save" && input.value.trim()) token.set(input.value.trim());
      else if (dialog.returnValue === "forget") token.set(null);
      resolve(token.get());
    }, { once: true });
    dialog.showModal();
    input.focus();
  });
}

/// An admin request: asks for the token when there is none; a 401/403 forgets it and says why.
export async function adminRequest(method, path, body) {
  let t = token.get() ?? await askToken("This action needs the admin token.");
  if (!t) return { ok: false, status: 0, message: "no admin token" };
  const r = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${t}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await r.json(); } catch { /* empty body */ }
  if (r.status === 401 || r.status === 403) {
    token.refused(r.status === 401 ? "the daemon refused the token" : "that token cannot change state");
  }
  return { ok: r.ok, status: r.status, data, message: data?.error?.message ?? (r.ok ? "" : `HTTP ${r.status}`) };
}

/// Keeps an admin button's state in step with the token: disabled without one, with the
/// reason shown beside it and a button to enter the token.
export function adminButton(button, note) {
  const enter = document.createElement("button");
  enter.type = "button";
  enter.className = "linkish";
  enter.textContent = "Enter token";
  enter.addEventListener("click", () => askToken("This action needs the admin token."));
  token.onChange((t, reason) => {
    button.disabled = !t;
    button.title = t ? "" : "Needs the admin token";
    note.replaceChildren(t ? "" : `Disabled: ${reason ?? "needs the admin token"}. `);
    if (!t) note.append(enter);
  });
}
