// The room WebSocket: join with a fresh room token, keep-alive pings, automatic reconnection.
// Emits "message" (detail: the server message) and "state" (detail: {state, code, reason}).

import { api } from "../api.js";

const FINAL_CODES = new Set([1000, 4001, 4002, 4003, 4401, 4403, 4404, 4409]);
const PING_EVERY_MS = 4000;
const PONG_TIMEOUT_MS = 6000;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];

export class Signal extends EventTarget {
  constructor(sessionId) {
    super();
    this.sessionId = sessionId;
    this.attempt = 0;
    this.stopped = false;
    this.socket = null;
    this.joinFields = () => ({}); // extra fields of the join message (the chat cursor)
  }

  start() {
    this.emitState("connecting");
    this.open();
  }

  async open() {
    if (this.stopped) return;
    let token;
    try {
      token = (await api(`/api/sessions/${this.sessionId}/join`, { method: "POST" })).token;
    } catch (error) {
      if (error.status && error.status !== 0 && error.status < 500) {
        this.finish(4409, error.code, error.message);
        return;
      }
      this.retry();
      return;
    }
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${window.location.host}/rooms/${this.sessionId}/signal`);
    this.socket = socket;
    socket.addEventListener("open", () => socket.send(JSON.stringify({
      type: "join", token, ...this.joinFields(),
    })));
    socket.addEventListener("message", (event) => this.receive(socket, event));
    socket.addEventListener("close", (event) => this.closed(socket, event));
  }

  receive(socket, event) {
    if (socket !== this.socket) return;
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    this.lastHeard = Date.now();
    if (message.type === "joined") {
      this.attempt = 0;
      this.keepAlive();
      this.emitState("open");
    }
    this.dispatchEvent(new CustomEvent("message", { detail: message }));
  }

  closed(socket, event) {
    if (socket !== this.socket) return;
    this.socket = null;
    clearInterval(this.pinger);
    if (this.stopped) return;
    if (FINAL_CODES.has(event.code)) {
      this.finish(event.code, "closed", event.reason);
      return;
    }
    // 4422: the join was invalid (a stale chat cursor): say so, then try again from scratch.
    if (event.code === 4422) this.dispatchEvent(new CustomEvent("join_refused"));
    this.retry();
  }

  retry() {
    if (this.stopped) return;
    this.emitState("reconnecting");
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    setTimeout(() => this.open(), delay);
  }

  keepAlive() {
    clearInterval(this.pinger);
    this.lastHeard = Date.now();
    this.pinger = setInterval(() => {
      if (Date.now() - this.lastHeard > PONG_TIMEOUT_MS) {
        this.drop();
        return;
      }
      this.send({ type: "ping" });
    }, PING_EVERY_MS);
  }

  /** The connection looks dead: abandon it and reconnect. */
  drop() {
    const socket = this.socket;
    this.socket = null;
    clearInterval(this.pinger);
    try {
      socket?.close();
    } catch {
      // already closed
    }
    this.retry();
  }

  send(message) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  finish(code, reason, message) {
    this.stopped = true;
    clearInterval(this.pinger);
    this.emitState("closed", code, reason, message);
  }

  leave() {
    if (this.stopped) return;
    this.send({ type: "leave" });
    this.stopped = true;
    clearInterval(this.pinger);
    const socket = this.socket;
    this.socket = null;
    setTimeout(() => socket?.close(1000), 100);
  }

  emitState(state, code = 0, reason = "", message = "") {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, code, reason, message } }));
  }
}
