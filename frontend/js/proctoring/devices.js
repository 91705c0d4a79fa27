// The three sources an exam needs: camera, microphone and the ENTIRE screen. Each failure is
// named (denied / no_device / in_use / not_monitor) so the page can explain and retry.

import { openMedia, openScreen } from "../media.js";

export class ExamMedia extends EventTarget {
  constructor() {
    super();
    this.camera = null;
    this.microphone = null;
    this.screen = null;
  }

  alive(label) {
    const track = this[label];
    return Boolean(track && track.readyState === "live");
  }

  get ready() {
    return this.alive("camera") && this.alive("microphone") && this.screenOk();
  }

  screenOk() {
    return this.alive("screen") && this.surface() === "monitor";
  }

  surface() {
    return this.screen?.getSettings?.().displaySurface ?? null;
  }

  /** Camera and microphone; throws with .reason. */
  async openDevices() {
    const stream = await openMedia({ audio: true, video: true });
    this.replace("camera", stream.getVideoTracks()[0] ?? null);
    this.replace("microphone", stream.getAudioTracks()[0] ?? null);
  }

  /** The screen; resolves with the surface ("monitor" is the only one accepted). A window or
   * a tab is stopped at once, so nothing but the entire screen is ever kept. */
  async openScreen() {
    const stream = await openScreen();
    const track = stream.getVideoTracks()[0];
    const surface = track?.getSettings?.().displaySurface ?? "unknown";
    if (surface !== "monitor") {
      for (const each of stream.getTracks()) each.stop();
      const error = new Error(`shared ${surface}`);
      error.reason = "not_monitor";
      error.surface = surface;
      throw error;
    }
    this.replace("screen", track);
    return surface;
  }

  replace(label, track) {
    if (this[label] && this[label] !== track) this[label].stop();
    this[label] = track;
    this.dispatchEvent(new CustomEvent("change", { detail: label }));
  }

  /** The media checks report for POST .../me/submit. */
  report() {
    return {
      camera: this.alive("camera"),
      microphone: this.alive("microphone"),
      screen: this.alive("screen"),
      displaySurface: this.surface() ?? "none",
    };
  }

  stop() {
    for (const label of ["camera", "microphone", "screen"]) {
      this[label]?.stop();
      this[label] = null;
    }
  }
}
