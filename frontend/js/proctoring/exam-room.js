// The exam room as the proctoring pages use it: signalling, the roster, the chat, receiving
// (the proctor: every student; the student: the proctor's voice in a private talk) and
// publishing (the student's camera, microphone and screen once approved; the proctor's
// microphone while talking to one student). Emits "message" (every server message), "slots",
// "state" (signalling), "notice" (errors) and "ended".

import { ChatStore } from "../room/chat.js";
import { Publisher } from "../room/publisher.js";
import { Roster } from "../room/roster.js";
import { Signal } from "../room/signal.js";
import { Subscriber } from "../room/subscriber.js";

export class ExamRoom extends EventTarget {
  constructor(sessionId, personId) {
    super();
    this.sessionId = sessionId;
    this.signal = new Signal(sessionId);
    this.roster = new Roster();
    this.chat = new ChatStore(this.signal, personId);
    this.signal.joinFields = () => this.chat.joinFields();
    this.signal.addEventListener("join_refused", () => this.chat.reset());
    this.publisher = null;
    this.subscriber = null;
    this.outgoing = new Map(); // label -> track, published once the room has joined
  }

  start() {
    this.signal.addEventListener("message", (event) => this.onMessage(event.detail));
    this.signal.addEventListener("state", (event) => {
      if (event.detail.state === "closed") this.emit("ended", event.detail);
      this.emit("state", event.detail);
    });
    this.signal.start();
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  onMessage(message) {
    this.roster.apply(message);
    switch (message.type) {
      case "joined":
        this.onJoined(message);
        this.chat.resendPending();
        break;
      case "chat":
      case "chat_history":
      case "chat_ack":
        this.chat.onMessage(message);
        break;
      case "publish_answer":
        this.publisher?.onMessage(message);
        break;
      case "error":
        if (this.chat.onMessage(message)) break;
        this.publisher?.onMessage(message);
        this.emit("notice", message);
        break;
      case "subscription_offer":
        this.subscriber?.onOffer(message).catch((error) => this.emit("notice", error));
        break;
      case "peer_closed":
        if (message.role === "subscribe") this.restartSubscription();
        else this.republish();
        break;
      case "session_ended":
        this.emit("ended", { reason: "ended" });
        break;
      default:
        break;
    }
    this.emit("message", message);
  }

  onJoined(message) {
    if (!this.publisher) {
      this.publisher = new Publisher(this.signal, message.ice_servers);
      this.subscriber = new Subscriber(this.signal, message.ice_servers);
      this.subscriber.addEventListener("slots", (event) => this.emit("slots", event.detail));
      this.subscriber.addEventListener("state", (event) => {
        if (event.detail === "failed" && this.signal.state === "open") this.restartSubscription();
      });
      this.publisher.addEventListener("state", (event) => {
        if (event.detail === "failed" && this.signal.state === "open") this.republish();
      });
    }
    if (!message.resumed) {
      this.subscriber.reset();
      this.publisher.closePc();
    }
    const alive = ["connected", "connecting", "new"].includes(this.publisher.pc?.connectionState);
    if (this.outgoing.size && (!message.resumed || !alive)) this.republish();
  }

  restartSubscription() {
    this.subscriber?.reset();
    this.signal.send({ type: "restart_subscription" });
  }

  republish() {
    if (!this.publisher || !this.outgoing.size) return;
    this.publisher.tracks = new Map(this.outgoing);
    this.publisher.restart().catch((error) => this.emit("notice", error));
  }

  /** Sends (or replaces) one track; it is sent again after every reconnection. */
  async setTrack(label, track) {
    this.outgoing.set(label, track);
    if (!this.publisher) return;
    try {
      await this.publisher.setTrack(label, track);
    } catch (error) {
      this.emit("notice", error);
    }
  }

  async removeTrack(label) {
    const track = this.outgoing.get(label);
    this.outgoing.delete(label);
    if (this.publisher?.tracks.has(label)) await this.publisher.removeTrack(label).catch(() => null);
    else track?.stop();
  }

  send(message) {
    return this.signal.send(message);
  }

  leave() {
    this.signal.leave();
    this.publisher?.close();
    this.subscriber?.reset();
  }
}
