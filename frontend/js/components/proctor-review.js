// The review of one student's exam (#/proctor/{session}/review/{student}): the recording
// (camera and screen side by side) with every flag and note on its timeline (click to seek),
// the identity photos, the notes and the verdict form.

import { api } from "../api.js";
import { h } from "../dom.js";
import { formatTime, t, tr, trAttr, untr } from "../i18n.js";
import { formatOffset } from "../recordings/timeline.js";
import { studentPath, VERDICTS } from "../proctoring/api.js";
import { percent, placeEvents } from "../proctoring/review-timeline.js";

class ProctorReview extends HTMLElement {
  connectedCallback() {
    this.sessionId = Number(this.getAttribute("session-id"));
    this.studentId = Number((window.location.hash.match(/\/review\/(\d+)/) ?? [])[1]);
    this.status = h("p", { class: "status-line", role: "status", "data-testid": "review-status" });
    this.heading = tr(h("h1", { id: "review-heading", tabindex: "-1" }), "proctoring.review_title");
    this.lead = h("p", { class: "lead", "data-testid": "review-lead" });
    this.body = h("div", { class: "review-body" });
    this.append(h("section", { class: "page proctor-page wide", "aria-labelledby": "review-heading" },
      h("div", { class: "page-head" }, this.heading, this.lead,
        tr(h("a", { href: `#/proctor/${this.sessionId}`, class: "button small" }),
          "proctoring.back_to_grid")),
      this.status, this.body));
    this.load();
  }

  async load() {
    tr(this.status, "proctoring.loading");
    try {
      this.review = await api(studentPath(this.sessionId, this.studentId, "review"));
      this.session = await api(`/api/sessions/${this.sessionId}`).catch(() => null);
    } catch (error) {
      tr(this.status, "proctoring.load_failed_reason", { reason: error.message || t("error.network") });
      return;
    }
    this.zone = this.session?.local?.timezone;
    untr(this.status);
    const review = this.review;
    tr(this.heading, "proctoring.review_of", { name: review.student.name });
    this.lead.textContent = review.title;
    this.playable = review.recordings.filter((r) => r.file);
    this.recording = this.playable.at(-1) ?? null;
    this.render();
  }

  render() {
    const review = this.review;
    this.body.replaceChildren(
      this.decision(review),
      this.player(),
      h("div", { class: "review-columns" },
        this.eventList(),
        h("div", {}, this.photos(review), this.verdictForm(review))));
  }

  decision(review) {
    const d = review.decision;
    const rows = [["proctoring.review_state", t(`proctoring.state_${d.state}`)]];
    if (d.decided_by_name) rows.push(["proctoring.review_decided", `${d.decided_by_name}, ${formatTime(d.decided_at, this.zone)}`]);
    if (d.rejection_reason) rows.push(["proctoring.review_rejection", d.rejection_reason]);
    if (d.end_reason) rows.push(["proctoring.review_end", d.end_reason]);
    return h("dl", { class: "review-facts", "data-testid": "review-decision" },
      rows.map(([key, value]) => [tr(h("dt", {}), key), h("dd", {}, value)]));
  }

  player() {
    const section = h("section", { class: "card review-player", "aria-labelledby": "player-heading" },
      tr(h("h2", { id: "player-heading" }), "proctoring.recording"));
    if (!this.recording) {
      const processing = this.review.recordings.some((r) => r.status !== "ready");
      section.append(tr(h("p", { class: "empty", "data-testid": "review-no-recording" }),
        processing ? "proctoring.recording_processing" : "proctoring.recording_none"));
      return section;
    }
    if (this.playable.length > 1) {
      const select = h("select", { id: "review-recording", onchange: () => {
        this.recording = this.playable.find((r) => String(r.id) === select.value);
        this.render();
      } }, this.playable.map((r) => h("option", { value: r.id, selected: r === this.recording },
        formatTime(r.started_at, this.zone))));
      section.append(h("div", { class: "field-inline" },
        tr(h("label", { for: "review-recording" }), "proctoring.recording_choice"), select));
    }
    const file = this.recording.file;
    this.video = h("video", { class: "review-video", controls: true, preload: "metadata",
      playsInline: true, src: file.play_url, "data-testid": "review-player" });
    trAttr(this.video, { "aria-label": ["proctoring.recording_of", { name: this.review.student.name }] });
    this.bar = h("div", { class: "review-bar", "data-testid": "review-timeline" });
    this.bar.setAttribute("role", "group");
    trAttr(this.bar, { "aria-label": ["proctoring.timeline"] });
    this.cursor = h("div", { class: "review-cursor", "aria-hidden": "true" });
    this.placed = placeEvents(this.review.events, this.recording);
    this.duration = file.duration_seconds;
    this.video.addEventListener("loadedmetadata", () => {
      if (Number.isFinite(this.video.duration)) this.duration = this.video.duration;
      this.drawMarkers();
    });
    this.video.addEventListener("timeupdate", () => {
      this.cursor.style.left = `${percent(this.video.currentTime, this.duration)}%`;
    });
    this.drawMarkers();
    section.append(this.video, this.bar);
    return section;
  }

  drawMarkers() {
    const markers = this.placed.filter((e) => e.offset !== null).map((event) => {
      const label = this.eventLabel(event);
      const button = h("button", { type: "button", class: `review-marker ${event.type}`,
        "data-testid": `marker-${event.type}-${event.id}`, "data-kind": event.kind,
        "data-offset": String(event.offset), onclick: () => this.seek(event.offset) });
      button.style.left = `${percent(event.offset, this.duration)}%`;
      button.setAttribute("aria-label", `${formatOffset(event.offset)} ${label}`);
      button.title = `${formatOffset(event.offset)} ${label}`;
      return button;
    });
    this.bar.replaceChildren(this.cursor, ...markers);
  }

  seek(offset) {
    if (!this.video) return;
    this.video.currentTime = offset;
    this.video.play().catch(() => null);
    this.video.focus();
  }

  eventLabel(event) {
    if (event.type === "flag") return t(`proctoring.flag_${event.kind}`);
    return t(`proctoring.note_${event.kind}`, { text: event.text ?? "" });
  }

  eventList() {
    const placed = this.placed ?? placeEvents(this.review.events, null);
    const items = placed.map((event) => h("li", { class: `review-event ${event.type}`,
      "data-testid": `event-${event.type}-${event.id}`, "data-kind": event.kind },
    h("time", { datetime: event.at }, formatTime(event.at, this.zone)),
    h("div", { class: "review-event-text" },
      h("strong", {}, this.eventLabel(event)),
      event.type === "note" ? h("span", { class: "hint" },
        event.text ? `${event.author_name}: ${event.text}` : event.author_name) : null,
      event.detail ? h("span", { class: "hint" }, event.detail) : null,
      event.source === "server" ? tr(h("span", { class: "badge" }), "proctoring.from_server") : null),
    event.before ? tr(h("span", { class: "hint" }), "proctoring.before_recording") : null,
    event.offset !== null && this.video ? h("button", { type: "button", class: "button small",
      "data-testid": `seek-${event.type}-${event.id}`, onclick: () => this.seek(event.offset) },
    tr(h("span", {}), "proctoring.jump", { time: formatOffset(event.offset) })) : null));
    return h("section", { class: "card review-events", "aria-labelledby": "events-title" },
      tr(h("h2", { id: "events-title" }), "proctoring.events_title"),
      items.length ? h("ol", { class: "review-event-list", "data-testid": "review-events" }, items)
        : tr(h("p", { class: "empty" }), "proctoring.no_flags"));
  }

  photos(review) {
    const figure = (kind) => {
      const url = review.checkin[`${kind}_photo_url`];
      const img = url ? h("img", { class: "id-photo", src: url, "data-testid": `review-photo-${kind}` })
        : tr(h("p", { class: "empty" }), "proctoring.photo_missing");
      if (url) trAttr(img, { alt: [`proctoring.photo_${kind}_of`, { name: review.student.name }] });
      return h("figure", { class: "id-figure" }, img, tr(h("figcaption", {}), `proctoring.photo_${kind}`));
    };
    return h("section", { class: "card", "aria-labelledby": "photos-title" },
      tr(h("h2", { id: "photos-title" }), "proctoring.identity_photos"),
      h("div", { class: "id-photos" }, figure("face"), figure("document")));
  }

  verdictForm(review) {
    const current = review.verdict ?? null;
    const message = h("p", { class: "notice", role: "status", "data-testid": "verdict-message" });
    const comment = h("textarea", { id: "verdict-comment", rows: 3, maxlength: 2000,
      "data-testid": "verdict-comment" });
    comment.value = current?.comment ?? "";
    const options = VERDICTS.map((verdict) => h("div", { class: "field checkbox" },
      h("input", { type: "radio", name: "verdict", id: `verdict-${verdict}`, value: verdict,
        "data-testid": `verdict-${verdict}`, checked: current?.verdict === verdict }),
      h("label", { for: `verdict-${verdict}` }, tr(h("span", {}), `proctoring.verdict_${verdict}`),
        tr(h("span", { class: "hint" }), `proctoring.verdict_${verdict}_hint`))));
    const form = h("form", { class: "verdict-form", novalidate: true, "data-testid": "verdict-form",
      onsubmit: (event) => {
        event.preventDefault();
        this.saveVerdict(form, comment, message);
      } },
    h("fieldset", {}, tr(h("legend", {}), "proctoring.verdict_choice"), options),
    h("div", { class: "field" }, tr(h("label", { for: "verdict-comment" }), "proctoring.verdict_comment"),
      comment),
    message,
    tr(h("button", { type: "submit", class: "button primary", "data-testid": "verdict-save" }),
      "proctoring.verdict_save"));
    this.currentVerdict = h("p", { class: "verdict-current", "data-testid": "verdict-current" });
    this.showVerdict(current);
    return h("section", { class: "card", "aria-labelledby": "verdict-title" },
      tr(h("h2", { id: "verdict-title" }), "proctoring.verdict_title"), this.currentVerdict, form);
  }

  showVerdict(current) {
    this.currentVerdict.hidden = !current;
    if (!current) return;
    this.currentVerdict.dataset.verdict = current.verdict;
    const args = { verdict: t(`proctoring.verdict_${current.verdict}`),
      time: current.decided_at ? formatTime(current.decided_at, this.zone) : "" };
    if (current.decided_by_name) {
      tr(this.currentVerdict, "proctoring.verdict_current_by", { ...args, name: current.decided_by_name });
    } else tr(this.currentVerdict, "proctoring.verdict_current", args);
  }

  async saveVerdict(form, comment, message) {
    const chosen = form.querySelector("input[name=verdict]:checked")?.value;
    message.classList.remove("error");
    if (!chosen) {
      message.classList.add("error");
      tr(message, "proctoring.verdict_required");
      form.querySelector("input[name=verdict]").focus();
      return;
    }
    const body = { verdict: chosen };
    if (comment.value.trim()) body.comment = comment.value.trim();
    try {
      const saved = await api(studentPath(this.sessionId, this.studentId, "verdict"),
        { method: "PUT", body });
      this.review.verdict = saved ?? body;
      this.showVerdict(this.review.verdict);
      tr(message, "proctoring.verdict_saved");
    } catch (error) {
      message.classList.add("error");
      tr(message, "proctoring.action_failed", { reason: error.message || t("error.network") });
    }
  }
}

customElements.define("sabaq-proctor-review", ProctorReview);
