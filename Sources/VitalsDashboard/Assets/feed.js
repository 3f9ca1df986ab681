// A tab fed by event topics on the live socket (jobs, alerts, activity): while it is open
// it subscribes to its topics and, once the daemon confirms them, loads once over REST and
// then applies each event as it comes; while the feed is down it polls REST every
// `pollMs` as before, and loads once more when the feed is back (events may have been
// missed meanwhile). `load` and `apply` must merge, not append: the daemon sends a topic's
// last event again on subscribe, and a load and an event can cross.
// The panel's data-feed says which it is: "live", "subscribing" or "polling".

export function topicFeed(app, panel, { topics, pollMs, load, apply }) {
  let timer = null, unsubscribe = null, unwatch = null, synced = false;

  function onFeed() {
    const socketUp = app.live.state === "live";
    const live = app.live.isLive(topics);
    const mode = live ? "live" : socketUp ? "subscribing" : "polling";
    if (panel.dataset.feed !== mode) panel.dataset.feed = mode;
    if (live) {
      if (timer) { clearInterval(timer); timer = null; }
      if (!synced) { synced = true; load(); }
      return;
    }
    synced = false;
    // Subscribing: the confirmation comes within milliseconds; the poll is only the net.
    if (!timer) { timer = setInterval(load, pollMs); if (!socketUp) load(); }
  }

  return {
    show() {
      unsubscribe = app.live.subscribe(topics, apply);
      unwatch = app.live.watch(onFeed);
    },
    hide() {
      unsubscribe?.(); unwatch?.();
      unsubscribe = unwatch = null;
      clearInterval(timer); timer = null;
      synced = false;
    },
  };
}

/// Runs `f` once before the next frame however many times it is asked meanwhile: a burst
/// of events redraws a tab once.
export function perFrame(f) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; f(); });
  };
}
