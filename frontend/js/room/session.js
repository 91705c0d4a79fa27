// One person's presence in a live room: signalling, publishing, receiving and the roster.
// The view listens to: "state" (connection), "roster", "slots", "local", "muted", "notice",
// "ended" (detail: reason key), "recording" (a moderators' notice: the recorder stopped).
// The chat lives in this.chat (a ChatStore with its own events).

import { openMedia, openScreen, stopStream } from "../media.js";
import { RoomLink } from "./link.js";
import { collectStats } from "./stats.js";

const ENDINGS = { 4001: "ended", 4002: "replaced", 4003: "removed" };

export class RoomSession extends RoomLink {
  constructor(sessionId, prefs, handedStream, personId) {
    super(sessionId, personId);
    this.prefs = prefs;
    this.handed = handedStream;
    this.ownTracks = new Map(); // label -> track id
    this.wanted = { microphone: true, camera: !prefs.audioOnly };
    this.restarts = 0;
  }

  start() {
    this.signal.addEventListener("message", (event) => this.onMessage(event.detail));
    this.signal.addEventListener("state", (event) => this.onState(event.detail));
    this.roster.addEventListener("change", () => this.emit("roster"));
    this.roster.addEventListener("hand", (event) => this.emit("hand", event.detail));
    this.signal.start();
  }

  onState(detail) {
    if (detail.state === "closed") {
      const reason = ENDINGS[detail.code] ?? (detail.code === 4409 ? "not_open" : "closed");
      this.shutdown();
      this.emit("ended", reason);
    }
    this.emit("state", detail);
  }

  onError(message) {
    if (!String(message.ref ?? "").startsWith("publish-")) this.emit("notice", message);
  }

  onMessage(message) {
    if (this.routeCommon(message)) return;
    switch (message.type) {
      case "track_added":
        this.onTrackAdded(message.track);
        break;
      case "track_removed":
        for (const [label, id] of this.ownTracks) {
          if (id === message.track_id) this.ownTracks.delete(label);
        }
        break;
      case "track_muted":
        this.emit("muted", message);
        break;
      case "floor":
        if (message.granted) this.startPublishing();
        else this.stopPublishing();
        this.emit("notice", { code: message.granted ? "floor_granted" : "floor_revoked" });
        break;
      case "muted_by_moderator":
        this.setMicrophone(false);
        this.emit("notice", { code: "muted_by_moderator" });
        break;
      case "session_ended":
        this.shutdown();
        this.emit("ended", "ended");
        break;
      case "recording":
        this.emit("recording", message);
        break;
      case "peer_closed":
        this.onPeerClosed(message.role);
        break;
      default:
        break;
    }
  }

  onJoined(message) {
    if (!message.resumed) this.ownTracks.clear();
    this.preparePeers(message);
    if (message.resumed && this.subscriber.pc?.connectionState === "failed") {
      this.restartSubscription();
    }
    const exam = this.roster.kind === "exam" || this.roster.kind === "midterm";
    if (exam && this.roster.self?.role === "student" && !this.localTrack("screen")) {
      this.emit("notice", { code: "exam_share_screen" });
    }
    if (this.roster.mayPublish) {
      const alive = this.publisherAlive();
      if (message.resumed && !alive) this.publisher.closePc();
      if (!message.resumed || !alive) this.startPublishing();
    } else {
      stopStream(this.handed);
      this.handed = null;
    }
  }

  onTrackAdded(track) {
    if (track.publisher_id !== this.roster.me) return;
    this.ownTracks.set(track.label, track.track_id);
    const wanted = this.wanted[track.label];
    if (wanted === false) this.signal.send({ type: "mute", track_id: track.track_id, muted: true });
  }

  onPeerClosed(role) {
    if (role === "subscribe") this.restartSubscription();
    else if (this.roster.mayPublish) this.republish();
  }

  onSubscriberState(state) {
    this.emit("connection", state);
    super.onSubscriberState(state);
  }

  onPublisherState(state) {
    this.emit("connection", state);
    if (state === "connected") this.restarts = 0;
    super.onPublisherState(state);
  }

  republish() {
    if (this.restarts > 4) return;
    this.restarts += 1;
    setTimeout(() => {
      this.publisher?.restart().catch(() => this.republish());
    }, 500 * this.restarts);
  }

  async startPublishing() {
    const tracks = this.publisher.tracks;
    if (!tracks.has("microphone") && !tracks.has("camera")) {
      const stream = this.handed ?? (await this.acquire());
      this.handed = null;
      for (const track of stream?.getTracks() ?? []) {
        const label = track.kind === "audio" ? "microphone" : "camera";
        if (this.prefs.audioOnly && label === "camera") {
          track.stop();
          continue;
        }
        track.enabled = this.wanted[label] !== false;
        tracks.set(label, track);
      }
    }
    this.emit("local");
    await this.publisher.sync().catch(() => this.republish());
  }

  async acquire() {
    const video = !this.prefs.audioOnly;
    const { micId, camId } = this.prefs;
    try {
      return await openMedia({ audio: true, video, micId, camId });
    } catch (error) {
      this.emit("notice", { code: `media_${error.reason}` });
      return openMedia({ audio: true, video: false, micId }).catch(() => null);
    }
  }

  stopPublishing() {
    this.publisher?.close();
    this.ownTracks.clear();
    this.emit("local");
  }

  localTrack(label) {
    return this.publisher?.tracks.get(label) ?? null;
  }

  setMicrophone(on) {
    this.wanted.microphone = on;
    this.applyMute("microphone", on);
  }

  async setCamera(on) {
    this.wanted.camera = on;
    if (on && !this.localTrack("camera") && this.roster.mayPublish) {
      try {
        const stream = await openMedia({ audio: false, video: true, camId: this.prefs.camId });
        this.prefs.audioOnly = false;
        await this.publisher.setTrack("camera", stream.getVideoTracks()[0]);
      } catch (error) {
        this.wanted.camera = false;
        this.emit("notice", { code: `media_${error.reason ?? "failed"}` });
      }
      this.emit("local");
      return;
    }
    this.applyMute("camera", on);
  }

  applyMute(label, on) {
    this.publisher?.setEnabled(label, on);
    const trackId = this.ownTracks.get(label);
    if (trackId) this.signal.send({ type: "mute", track_id: trackId, muted: !on });
    this.emit("local");
  }

  async toggleScreen() {
    if (this.localTrack("screen")) {
      await this.publisher.removeTrack("screen");
      this.emit("local");
      return;
    }
    try {
      const stream = await openScreen();
      const track = stream.getVideoTracks()[0];
      track.addEventListener("ended", () => {
        if (this.localTrack("screen") === track) this.toggleScreen();
      });
      await this.publisher.setTrack("screen", track);
    } catch (error) {
      this.emit("notice", { code: `screen_${error.reason ?? "failed"}` });
    }
    this.emit("local");
  }

  raiseHand(raised) {
    this.signal.send({ type: "hand", raised });
  }

  lowerHand(participantId) {
    this.signal.send({ type: "lower_hand", participant_id: participantId });
  }

  setFloor(participantId, granted) {
    this.signal.send({ type: "floor", participant_id: participantId, granted });
  }

  moderate(action, participantId) {
    const message = { type: "moderate", action };
    if (participantId) message.participant_id = participantId;
    this.signal.send(message);
  }

  stats() {
    return collectStats(this.roster.me, this.publisher, this.subscriber);
  }

  shutdown() {
    this.publisher?.close();
    this.subscriber?.reset();
    stopStream(this.handed);
    this.handed = null;
  }

  leave() {
    this.signal.leave();
    this.shutdown();
  }
}
