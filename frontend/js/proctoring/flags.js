// Behaviour flags from the student's browser (POST .../me/flags). FlagReporter keeps a queue
// that survives a short loss of network (and a reload, in sessionStorage) and sends in order;
// BehaviourWatch turns page and track events into flags.

import { base, post } from "./api.js";

const RETRY_MS = [1000, 2000, 4000, 8000, 15000];
const BLUR_GRACE_MS = 400; // a tab switch blurs too: report it once, as tab_hidden
const MUTE_GRACE_MS = 3000; // a camera frozen this long counts as lost
const REPEAT_MS = 2000; // copy/paste bursts: one flag per kind every 2 s
const POLL_MS = 500;

/** Sends flags in order; retries network and server failures; drops what the server refuses. */
export class FlagReporter extends EventTarget {
  constructor(sessionId) {
    super();
    this.sessionId = sessionId;
    this.key = `sabaq.flags.${sessionId}`;
    this.queue = this.load();
    this.sending = false;
    this.attempt = 0;
    this.skewMs = 0;
    this.onOnline = () => this.flush();
    window.addEventListener("online", this.onOnline);
  }

  load() {
    try {
      return JSON.parse(window.sessionStorage.getItem(this.key) ?? "[]");
    } catch {
      return [];
    }
  }

  save() {
    window.sessionStorage.setItem(this.key, JSON.stringify(this.queue));
  }

  /** The server's clock from its Date header: only a large skew matters (flags must not be
   * more than 5 s ahead of the server), and the header has 1 s resolution. */
  async syncClock() {
    try {
      const before = Date.now();
      const response = await fetch(`${base(this.sessionId)}/me`, { credentials: "same-origin" });
      const server = Date.parse(response.headers.get("Date") ?? "");
      const skew = server - (before + Date.now()) / 2;
      this.skewMs = Number.isFinite(skew) && Math.abs(skew) > 3000 ? skew : 0;
    } catch {
      this.skewMs = 0;
    }
  }

  report(kind, detail = null, atMs = Date.now()) {
    const item = { kind, at: new Date(atMs + this.skewMs).toISOString() };
    if (detail) item.detail = String(detail).slice(0, 500);
    this.queue.push(item);
    this.save();
    this.dispatchEvent(new CustomEvent("queued", { detail: item }));
    this.flush();
  }

  get pending() {
    return this.queue.length;
  }

  async flush() {
    if (this.sending) return;
    this.sending = true;
    clearTimeout(this.timer);
    while (this.queue.length) {
      const item = this.queue[0];
      try {
        const flag = await post(this.sessionId, "me/flags", item);
        this.queue.shift();
        this.attempt = 0;
        this.dispatchEvent(new CustomEvent("sent", { detail: flag }));
      } catch (error) {
        if (error.status === 0 || error.status >= 500 || error.status === 429) {
          this.retryLater(error.status === 429 ? 1000 : null);
          break;
        }
        // 4xx: the server refuses this flag for good (too old, exam over): do not resend it.
        this.queue.shift();
        this.dispatchEvent(new CustomEvent("dropped", { detail: { item, error } }));
      }
      this.save();
    }
    this.save();
    this.sending = false;
    this.dispatchEvent(new CustomEvent("idle"));
  }

  retryLater(fixed) {
    const delay = fixed ?? RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
    this.attempt += 1;
    this.timer = setTimeout(() => this.flush(), delay);
  }

  stop() {
    clearTimeout(this.timer);
    window.removeEventListener("online", this.onOnline);
  }
}

/** Watches the page and the exam's tracks; every finding goes to the reporter, and the
 * view hears "screen_lost" / "camera_lost" to ask the student to share again. */
export class BehaviourWatch extends EventTarget {
  constructor(reporter) {
    super();
    this.reporter = reporter;
    this.tracks = new Map(); // label -> track
    this.reported = new WeakSet(); // tracks already reported lost
    this.wrongSurface = new WeakSet();
    this.muteTimers = new Map();
    this.lastAt = new Map();
    this.wasFullscreen = false;
    this.offlineAt = null;
    this.listeners = [];
  }

  start() {
    const on = (target, name, handler) => {
      target.addEventListener(name, handler);
      this.listeners.push([target, name, handler]);
    };
    on(document, "visibilitychange", () => {
      if (document.visibilityState !== "hidden") return;
      this.hiddenAt = Date.now();
      this.flag("tab_hidden", "hidden");
    });
    on(window, "blur", () => {
      const at = Date.now();
      setTimeout(() => {
        // Leaving the tab blurs the window too: that is one event, reported as tab_hidden.
        const tabSwitch = Math.abs((this.hiddenAt ?? -Infinity) - at) < 2 * BLUR_GRACE_MS;
        if (document.visibilityState !== "hidden" && !tabSwitch) {
          this.flag("window_blur", null, at);
        }
      }, BLUR_GRACE_MS);
    });
    on(document, "fullscreenchange", () => {
      if (document.fullscreenElement) this.wasFullscreen = true;
      else if (this.wasFullscreen) {
        this.wasFullscreen = false;
        this.flag("fullscreen_exit");
      }
      this.dispatchEvent(new CustomEvent("fullscreen"));
    });
    for (const name of ["copy", "cut", "paste"]) {
      on(document, name, () => this.once(`copy_paste:${name}`, () => this.flag("copy_paste", name)));
    }
    on(window, "offline", () => {
      this.offlineAt ??= Date.now();
    });
    on(window, "online", () => this.backOnline());
    if (window.screen && "onchange" in window.screen) {
      on(window.screen, "change", () => this.checkDisplays());
    }
    this.checkDisplays();
    this.poller = setInterval(() => this.poll(), POLL_MS);
  }

  stop() {
    for (const [target, name, handler] of this.listeners) target.removeEventListener(name, handler);
    this.listeners = [];
    clearInterval(this.poller);
    for (const timer of this.muteTimers.values()) clearTimeout(timer);
  }

  flag(kind, detail = null, at = Date.now()) {
    this.reporter.report(kind, detail, at);
    this.dispatchEvent(new CustomEvent("flag", { detail: { kind, detail } }));
  }

  once(key, action) {
    const last = this.lastAt.get(key) ?? 0;
    if (Date.now() - last < REPEAT_MS) return;
    this.lastAt.set(key, Date.now());
    action();
  }

  /** A gap in the connection (the browser's offline, or the room's reconnecting). */
  connectionLost(at = Date.now()) {
    this.offlineAt ??= at;
  }

  backOnline() {
    if (this.offlineAt === null) return;
    const seconds = Math.round((Date.now() - this.offlineAt) / 1000);
    const at = this.offlineAt;
    this.offlineAt = null;
    this.flag("connection_dropped", `offline ${seconds} s`, at);
  }

  checkDisplays() {
    if (window.screen?.isExtended && !this.extended) {
      this.extended = true;
      this.flag("second_display", "screen.isExtended");
    } else if (window.screen && window.screen.isExtended === false) this.extended = false;
  }

  /** Starts watching a track; a track that ends (a user's "Stop sharing" fires `ended`;
   * track.stop() from a script does not, hence the poll of readyState too) is flagged once. */
  watch(label, track) {
    this.tracks.set(label, track);
    track.addEventListener("ended", () => this.lost(label, track, "ended"));
    track.addEventListener("mute", () => {
      clearTimeout(this.muteTimers.get(label));
      this.muteTimers.set(label, setTimeout(() => {
        if (track.muted && track.readyState === "live") this.lost(label, track, "muted");
      }, MUTE_GRACE_MS));
    });
    track.addEventListener("unmute", () => clearTimeout(this.muteTimers.get(label)));
  }

  poll() {
    for (const [label, track] of this.tracks) {
      if (track.readyState === "ended") this.lost(label, track, "ended");
      else if (label === "screen") this.checkSurface(track);
    }
  }

  checkSurface(track) {
    const surface = track.getSettings?.().displaySurface;
    if (surface && surface !== "monitor" && !this.wrongSurface.has(track)) {
      this.wrongSurface.add(track);
      this.flag("screen_share_not_monitor", surface);
      this.dispatchEvent(new CustomEvent("screen_lost", { detail: { reason: "not_monitor" } }));
    }
  }

  lost(label, track, how) {
    if (this.reported.has(track) || this.tracks.get(label) !== track) return;
    this.reported.add(track);
    const kind = { screen: "screen_share_stopped", camera: "camera_lost",
      microphone: "microphone_lost" }[label];
    this.flag(kind, how);
    this.dispatchEvent(new CustomEvent(`${label}_lost`, { detail: { how } }));
  }
}
