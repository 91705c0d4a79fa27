// The exam room as the proctoring pages use it: signalling, the roster, the chat, receiving
// (the proctor: every student; the student: the proctor's voice in a private talk) and
// publishing (the student's camera, microphone and screen once approved; the proctor's
// microphone while talking to one student). Emits "message" (every server message), "slots",
// "state" (signalling), "notice" (errors) and "ended".

import { RoomLink } from "../room/link.js";

export class ExamRoom extends RoomLink {
  constructor(sessionId, personId) {
    super(sessionId, personId);
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

  onMessage(message) {
    if (!this.routeCommon(message)) this.onExamMessage(message);
    this.emit("message", message);
  }

  onExamMessage(message) {
    switch (message.type) {
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
  }

  onJoined(message) {
    this.preparePeers(message);
    const alive = this.publisherAlive();
    if (this.outgoing.size && (!message.resumed || !alive)) this.republish();
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
