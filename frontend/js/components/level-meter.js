// A microphone level meter: an analyser on the audio track, shown as a bar (role="meter").

import { h } from "../dom.js";
import { trAttr } from "../i18n.js";

class LevelMeter extends HTMLElement {
  connectedCallback() {
    this.bar = h("span", { class: "level-bar" });
    this.meter = h("div", {
      class: "level-meter", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100",
      "aria-valuenow": "0", "data-testid": "level-meter",
    }, this.bar);
    trAttr(this.meter, { "aria-label": ["lobby.level"] });
    this.append(this.meter);
  }

  disconnectedCallback() {
    this.stop();
  }

  attach(track) {
    this.stop();
    if (!track) return;
    this.context = new AudioContext();
    const source = this.context.createMediaStreamSource(new MediaStream([track]));
    const analyser = this.context.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    let lastReported = -1;
    const tick = () => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      const level = Math.min(100, Math.round(Math.sqrt(sum / samples.length) * 300));
      this.bar.style.transform = `scaleX(${level / 100})`;
      if (Math.abs(level - lastReported) >= 5) {
        this.meter.setAttribute("aria-valuenow", String(level));
        lastReported = level;
      }
      this.frame = requestAnimationFrame(tick);
    };
    tick();
  }

  stop() {
    cancelAnimationFrame(this.frame);
    this.context?.close().catch(() => null);
    this.context = null;
  }
}

customElements.define("sabaq-level-meter", LevelMeter);
