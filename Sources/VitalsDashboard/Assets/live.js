// The live feed: one WebSocket (`/ws?topics=system_stats`, a snapshot every tick) with
// reconnection by exponential backoff with full jitter; while it is down the REST snapshot
// is polled every second, and the socket takes over again as soon as it reconnects.
// States: "connecting", "live", "reconnecting" (nothing answers), "polling".
// Tabs subscribe the same socket to event topics (jobs, alerts, activity) while they are
// open, and poll REST themselves while the feed is not live (see `watch`).
// Where reads need a token, the socket carries it as `?token=` (the one place the daemon
// takes a token in the query: a browser cannot set headers on a WebSocket).

import { readRequest, readCredential, onCredentialChange } from "./api.js";

const BASE_MS = 500, CAP_MS = 10000, POLL_MS = 1000;

export class Live {
  constructor(onSnapshot, onState) {
    this.onSnapshot = onSnapshot;
    this.watchers = new Set([onState]);
    this.state = "connecting";
    this.attempt = 0;
    this.ws = null;
    this.pollTimer = null;
    this.retryTimer = null;
    this.lastSeq = -1;
    this.handlers = new Map(); // topic -> Set of functions taking an event's data
    this.confirmed = new Set(); // topics the daemon has said it sends on this socket
  }

  start() {
    this.connect();
    // A token just entered (or needed) opens the socket now, not at the next backoff step.
    onCredentialChange(() => { if (this.state !== "live" && this.retryTimer) { clearTimeout(this.retryTimer); this.attempt = 0; this.connect(); } });
  }

  setState(s) {
    if (this.state !== s) { this.state = s; this.notify(); }
  }

  notify() { this.watchers.forEach((f) => f(this.state, this.confirmed)); }

  /// Calls `f(state, confirmedTopics)` now and on every change; returns the unwatch function.
  watch(f) { this.watchers.add(f); f(this.state, this.confirmed); return () => this.watchers.delete(f); }

  /// Whether every topic named arrives on the open socket.
  isLive(topics) { return this.state === "live" && topics.every((t) => this.confirmed.has(t)); }

  /// Delivers each event of `topics` to `f(topic, data)` until the returned function is called.
  subscribe(topics, f) {
    const added = [];
    for (const t of topics) {
      if (!this.handlers.has(t)) { this.handlers.set(t, new Set()); added.push(t); }
      this.handlers.get(t).add(f);
    }
    if (added.length) this.send({ type: "subscribe", topics: added });
    return () => {
      const gone = [];
      for (const t of topics) {
        const set = this.handlers.get(t);
        set?.delete(f);
        if (set && !set.size) { this.handlers.delete(t); this.confirmed.delete(t); gone.push(t); }
      }
      if (gone.length) this.send({ type: "unsubscribe", topics: gone });
    };
  }

  send(message) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  connect() {
    this.retryTimer = null;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const t = readCredential();
    const auth = t ? `&token=${encodeURIComponent(t)}` : "";
    let ws;
    try { ws = new WebSocket(`${scheme}://${location.host}/ws?topics=system_stats${auth}`); } catch { this.retry(); return; }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.stopPolling();
      if (this.handlers.size) this.send({ type: "subscribe", topics: [...this.handlers.keys()] });
      this.setState("live");
    };
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === "event") {
        if (m.topic === "system_stats") this.deliver(m.data);
        else this.handlers.get(m.topic)?.forEach((f) => f(m.topic, m.data));
      } else if (m.type === "subscribed") {
        for (const t of m.topics ?? []) if (this.handlers.has(t)) this.confirmed.add(t);
        this.notify();
      } else if (m.type === "error") {
        console.warn("live feed:", m.message);
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.confirmed.clear();
      if (this.state === "live" || this.state === "connecting") this.setState("reconnecting");
      else this.notify();
      this.startPolling();
      this.retry();
    };
  }

  /// Full jitter (a delay anywhere in [0.5, 1] of the step) so many pages restarting with the
  /// daemon do not reconnect in step.
  retry() {
    const step = Math.min(CAP_MS, BASE_MS * 2 ** this.attempt);
    this.attempt++;
    this.retryTimer = setTimeout(() => this.connect(), step * (0.5 + Math.random() / 2));
  }

  deliver(snap) {
    // A poll and a late socket message can carry the same tick.
    if (snap.seq === this.lastSeq) return;
    this.lastSeq = snap.seq;
    this.onSnapshot(snap);
  }

  startPolling() {
    if (this.pollTimer) return;
    let inFlight = false; // a poll waiting on the token prompt is not joined by more
    const poll = async () => {
      if (inFlight) return;
      inFlight = true;
      try {
        const r = await readRequest("/api/v1/system/stats");
        if (!r.ok) throw new Error(String(r.status));
        const snap = await r.json();
        if (this.pollTimer) { this.setState("polling"); this.deliver(snap); }
      } catch {
        if (this.pollTimer) this.setState("reconnecting");
      } finally {
        inFlight = false;
      }
    };
    this.pollTimer = setInterval(poll, POLL_MS);
    poll();
  }

  stopPolling() {
    clearInterval(this.pollTimer);
    this.pollTimer = null;
  }
}
