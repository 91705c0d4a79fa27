// The receiving connection: the server offers (and re-offers as tracks come and go), the client
// answers. After each answer, "slots" lists what every active m-line carries.

import { iceGathered, newPeerConnection } from "./ice.js";

export class Subscriber extends EventTarget {
  constructor(signal, iceServers) {
    super();
    this.signal = signal;
    this.iceServers = iceServers;
    this.pc = null;
    this.slots = []; // {mid, slot, track_id, publisher_id, label, kind, receiver, track}
    this.chain = Promise.resolve();
  }

  onOffer(message) {
    const run = () => this.answer(message);
    this.chain = this.chain.then(run, run);
    return this.chain;
  }

  async answer({ sdp, slots }) {
    if (!this.pc) this.create();
    const pc = this.pc;
    await pc.setRemoteDescription({ type: "offer", sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await iceGathered(pc);
    if (pc !== this.pc) return;
    this.signal.send({ type: "subscription_answer", sdp: pc.localDescription.sdp });
    const byMid = new Map(pc.getTransceivers().map((t) => [t.mid, t]));
    this.slots = slots
      .filter((slot) => byMid.has(slot.mid))
      .map((slot) => {
        const receiver = byMid.get(slot.mid).receiver;
        return { ...slot, receiver, track: receiver.track };
      });
    this.dispatchEvent(new CustomEvent("slots", { detail: this.slots }));
  }

  create() {
    const pc = newPeerConnection(this.iceServers);
    pc.addEventListener("connectionstatechange", () => {
      this.dispatchEvent(new CustomEvent("state", { detail: pc.connectionState }));
    });
    this.pc = pc;
  }

  /** Forget the connection (the server will offer a new one). */
  reset() {
    this.pc?.close();
    this.pc = null;
    this.slots = [];
    this.dispatchEvent(new CustomEvent("slots", { detail: [] }));
  }
}
