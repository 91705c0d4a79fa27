// While a student's exam runs: the behaviour watch on the page and the exam's tracks, a camera
// frame for the server's face check every few seconds, and getting a lost source back (sharing
// the entire screen again, reopening the camera and microphone) into the exam room.

import { base, RUNNING, sendImage } from "./api.js";
import { grabFrame } from "./capture.js";
import { BehaviourWatch } from "./flags.js";

const FRAME_EVERY_MS = 5000;
const LABELS = ["camera", "microphone", "screen"];

export class ExamGuard extends EventTarget {
  /** state() gives the check-in's current state; camera() the <video> showing the camera. */
  constructor({ sessionId, media, room, reporter, state, camera }) {
    super();
    Object.assign(this, { sessionId, media, room, reporter, state, camera });
    this.watch = new BehaviourWatch(reporter);
  }

  start() {
    for (const label of LABELS) if (this.media[label]) this.watch.watch(label, this.media[label]);
    for (const name of ["screen_lost", "camera_lost", "microphone_lost", "fullscreen"]) {
      this.watch.addEventListener(name, () => this.changed());
    }
    this.watch.start();
    this.framer = setInterval(() => this.sendFrame(), FRAME_EVERY_MS);
    for (const label of LABELS) this.room.setTrack(label, this.media[label]);
  }

  changed() {
    this.dispatchEvent(new CustomEvent("change"));
  }

  async sendFrame() {
    if (!RUNNING.has(this.state())) return;
    const blob = await grabFrame(this.camera(), 320, 0.7);
    if (blob) await sendImage(`${base(this.sessionId)}/me/frames`, blob, "POST").catch(() => null);
  }

  /** The room's signalling state: a reconnection is a dropped connection, flagged on return. */
  connection(state) {
    if (state === "reconnecting") this.watch.connectionLost();
    else if (state === "open") this.watch.backOnline();
  }

  /** Shares the entire screen again; throws with .reason as ExamMedia does. */
  async reshare() {
    await this.media.openScreen();
    this.watch.watch("screen", this.media.screen);
    await this.room.setTrack("screen", this.media.screen);
    this.changed();
  }

  async reopenDevices() {
    await this.media.openDevices();
    for (const label of ["camera", "microphone"]) {
      this.watch.watch(label, this.media[label]);
      await this.room.setTrack(label, this.media[label]);
    }
    this.changed();
  }

  stop() {
    clearInterval(this.framer);
    this.watch.stop();
  }
}
