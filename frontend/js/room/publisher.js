// The publishing connection: the client offers camera, microphone and screen (sendonly, one
// transceiver per label) and the server answers. Negotiations run one at a time.

import { iceGathered, newPeerConnection } from "./ice.js";

const ORDER = ["microphone", "camera", "screen"];

export class Publisher extends EventTarget {
  constructor(signal, iceServers) {
    super();
    this.signal = signal;
    this.iceServers = iceServers;
    this.pc = null;
    this.tracks = new Map(); // label -> MediaStreamTrack
    this.transceivers = new Map(); // label -> RTCRtpTransceiver
    this.labels = new WeakMap(); // RTCRtpTransceiver -> label
    this.chain = Promise.resolve();
    this.pending = null;
    this.serial = 0;
  }

  get active() {
    return this.pc !== null;
  }

  /** Adds (or replaces) the track for a label and renegotiates when the m-line is new. */
  async setTrack(label, track) {
    this.tracks.set(label, track);
    if (!this.pc) return this.restart();
    const transceiver = this.transceivers.get(label);
    if (transceiver && transceiver.direction === "sendonly") {
      await transceiver.sender.replaceTrack(track);
      return undefined;
    }
    if (transceiver) {
      transceiver.direction = "sendonly";
      await transceiver.sender.replaceTrack(track);
    } else {
      this.addTransceiver(label, track);
    }
    return this.negotiate();
  }

  /** Stops sending a label's track (the m-line goes inactive; the server drops the track). */
  async removeTrack(label) {
    const track = this.tracks.get(label);
    this.tracks.delete(label);
    track?.stop();
    const transceiver = this.transceivers.get(label);
    if (!this.pc || !transceiver) return undefined;
    await transceiver.sender.replaceTrack(null);
    transceiver.direction = "inactive";
    return this.negotiate();
  }

  /** Sends every current track: over the live connection if there is one, else a new one. */
  async sync() {
    if (!this.pc) return this.restart();
    let added = false;
    for (const label of ORDER) {
      const track = this.tracks.get(label);
      if (track && !this.transceivers.has(label)) {
        this.addTransceiver(label, track);
        added = true;
      }
    }
    return added ? this.negotiate() : undefined;
  }

  /** A new connection carrying every current track (first publish, or after a failure). */
  async restart() {
    this.closePc();
    if (!this.tracks.size) return undefined;
    this.pc = newPeerConnection(this.iceServers);
    this.pc.addEventListener("connectionstatechange", () => {
      this.dispatchEvent(new CustomEvent("state", { detail: this.pc?.connectionState }));
    });
    for (const label of ORDER) {
      const track = this.tracks.get(label);
      if (track) this.addTransceiver(label, track);
    }
    return this.negotiate();
  }

  addTransceiver(label, track) {
    const transceiver = this.pc.addTransceiver(track, { direction: "sendonly" });
    if (label === "screen" && "contentHint" in track) track.contentHint = "detail";
    this.transceivers.set(label, transceiver);
    this.labels.set(transceiver, label);
  }

  negotiate() {
    const pc = this.pc;
    const run = async () => {
      if (!pc || pc !== this.pc || pc.signalingState === "closed") return;
      await pc.setLocalDescription(await pc.createOffer());
      await iceGathered(pc);
      if (pc !== this.pc) return; // replaced meanwhile: never offer a stale connection
      const labels = {};
      for (const transceiver of pc.getTransceivers()) {
        const label = this.labels.get(transceiver);
        if (label && transceiver.mid !== null && transceiver.direction === "sendonly") {
          labels[transceiver.mid] = label;
        }
      }
      const ref = `publish-${++this.serial}`;
      const answer = new Promise((resolve, reject) => {
        this.pending = { ref, resolve, reject };
      });
      this.signal.send({ type: "publish", sdp: pc.localDescription.sdp, labels, ref });
      const sdp = await answer;
      if (pc === this.pc) await pc.setRemoteDescription({ type: "answer", sdp });
    };
    this.chain = this.chain.then(run, run);
    return this.chain;
  }

  /** Called by the room for publish_answer and error messages. */
  onMessage(message) {
    if (!this.pending) return;
    if (message.type === "publish_answer") {
      this.pending.resolve(message.sdp);
      this.pending = null;
    } else if (message.type === "error"
      && (message.ref === this.pending.ref || message.command === "PublishOffer")) {
      this.pending.reject(Object.assign(new Error(message.message), { code: message.code }));
      this.pending = null;
    }
  }

  setEnabled(label, enabled) {
    const track = this.tracks.get(label);
    if (track) track.enabled = enabled;
  }

  closePc() {
    this.pending?.reject(new Error("closed"));
    this.pending = null;
    this.pc?.close();
    this.pc = null;
    this.transceivers.clear();
  }

  /** Stops publishing altogether; the tracks are stopped too. */
  close() {
    this.closePc();
    for (const track of this.tracks.values()) track.stop();
    this.tracks.clear();
  }
}
