// REST calls and the two tokens, each kept in sessionStorage (this tab only, gone when it
// closes) and sent as a bearer header:
// - the admin token, asked for when an admin action needs it;
// - the read token, asked for once when the daemon answers a read with 401 (reads need a
//   token off a loopback bind, or with auth.loopback_reads_need_token). The page's own files
//   never need one. Reads present the read token, else the admin token (it reads too), and
//   only once the daemon has asked: on an open daemon no token travels with a read.

const KEYS = { admin: "vitals.adminToken", read: "vitals.readToken" };
const NEEDED = "vitals.readsNeedToken";
const TITLES = { admin: "Admin token", read: "Read token" };
const credentialListeners = new Set();

function stored(kind) {
  const listeners = new Set();
  const notify = (reason) => {
    const t = sessionStorage.getItem(KEYS[kind]);
    listeners.forEach((f) => f(t, reason));
    credentialListeners.forEach((f) => f());
  };
  return {
    get() { return sessionStorage.getItem(KEYS[kind]); },
    set(t) { t ? sessionStorage.setItem(KEYS[kind], t) : sessionStorage.removeItem(KEYS[kind]); notify(null); },
    /// Called with (token, reason) now and whenever the token changes or the daemon refuses it.
    onChange(f) { listeners.add(f); f(this.get(), null); return () => listeners.delete(f); },
    refused(reason) { sessionStorage.removeItem(KEYS[kind]); notify(reason); },
  };
}

export const token = stored("admin");
export const readToken = stored("read");

/// Whether the daemon has answered a read with 401 in this tab.
export function readsNeedToken() { return sessionStorage.getItem(NEEDED) === "1"; }

/// The token a read presents, or null while none is needed (or none is known).
export function readCredential() {
  return readsNeedToken() ? readToken.get() ?? token.get() : null;
}

/// Called whenever the read credential may have changed (a token set, forgotten, needed).
export function onCredentialChange(f) { credentialListeners.add(f); return () => credentialListeners.delete(f); }

// One dialog serves both tokens; a second request to open it waits for the first to close.
let dialogTurn = Promise.resolve();

/// Opens the token dialog for `kind` ("admin" or "read"); resolves with that kind's token,
/// or null when cancelled.
export function askToken(why, kind = "admin") {
  const turn = dialogTurn.then(() => new Promise((resolve) => {
    const dialog = document.getElementById("token-dialog");
    const input = document.getElementById("token-input");
    const store = kind === "read" ? readToken : token;
    document.getElementById("token-title").textContent = TITLES[kind];
    dialog.dataset.kind = kind;
    if (why) document.getElementById("token-why").textContent = why;
    input.value = "";
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "save" && input.value.trim()) store.set(input.value.trim());
      else if (dialog.returnValue === "forget") store.set(null);
      resolve(store.get());
    }, { once: true });
    dialog.showModal();
    input.focus();
  }));
  dialogTurn = turn.catch(() => {});
  return turn;
}

let asking = null;     // the open prompt for a read token, shared by every read that waits
let declined = false;  // cancelled: not asked again until the person opens it from the header

const READ_WHY = "This daemon needs a token to read (a read or an admin token; `vitals token` prints the admin one).";

/// Asks for the read token from the header button, even after a cancel.
export function enterReadToken() {
  declined = false;
  return askToken(READ_WHY, "read");
}

/// After a 401 on a read: the credential to try next, asking for it at most once at a time.
function nextReadCredential() {
  if (!readsNeedToken()) {
    sessionStorage.setItem(NEEDED, "1");
    credentialListeners.forEach((f) => f());
  }
  const known = readCredential();
  if (known) return Promise.resolve(known);
  if (declined) return Promise.resolve(null);
  asking ??= askToken(READ_WHY, "read").then((t) => {
    asking = null;
    if (!t) declined = true;
    return readCredential();
  });
  return asking;
}

function withBearer(init, t) {
  if (!t) return init;
  return { ...init, headers: { ...(init.headers ?? {}), Authorization: `Bearer ${t}` } };
}

/// A read (GET, or a POST that changes nothing): sent with the read credential; a 401
/// forgets the token it carried, asks for one (the prompt is shared by every read waiting
/// for it) and tries again. The last answer is returned, 401 included when none is given.
export async function readRequest(path, init = {}) {
  for (;;) {
    const sent = readCredential();
    const r = await fetch(path, withBearer({ cache: "no-store", ...init }, sent));
    if (r.status !== 401) return r;
    if (sent && sent === readToken.get()) readToken.refused("the daemon refused the read token");
    else if (sent && sent === token.get()) token.refused("the daemon refused the token");
    const next = await nextReadCredential();
    if (!next || next === sent) return r;
  }
}

export async function getJSON(path) {
  const r = await readRequest(path, { headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(r.status === 401 ? "this daemon needs a read token" : `${path}: ${r.status}`);
  return r.json();
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

// Admin buttons, each kept in step with the token. A tab that rebuilds its rows takes its
// old buttons off the page; once a button has been on the page and is off it, it is
// dropped from here (at the next change or the next new button), not kept alive.
const adminButtons = new Set();

function stillShown(b) {
  if (b.button.isConnected) b.shown = true;
  return b.button.isConnected || !b.shown;
}

function showAdmin(b, t, reason) {
  b.button.disabled = !t;
  b.button.title = t ? "" : "Needs the admin token";
  b.note.replaceChildren(t ? "" : `Disabled: ${reason ?? "needs the admin token"}. `);
  if (!t) b.note.append(b.enter);
}

token.onChange((t, reason) => {
  for (const b of adminButtons) {
    if (stillShown(b)) showAdmin(b, t, reason);
    else adminButtons.delete(b);
  }
});

/// Keeps an admin button's state in step with the token: disabled without one, with the
/// reason shown beside it and a button to enter the token.
export function adminButton(button, note) {
  for (const b of adminButtons) if (!stillShown(b)) adminButtons.delete(b);
  const enter = document.createElement("button");
  enter.type = "button";
  enter.className = "linkish";
  enter.textContent = "Enter token";
  enter.addEventListener("click", () => askToken("This action needs the admin token."));
  const b = { button, note, enter, shown: false };
  adminButtons.add(b);
  showAdmin(b, token.get(), null);
}
