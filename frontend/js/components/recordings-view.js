// The recordings of one session (#/recordings/session/12) or one course (#/recordings/course/3):
// each recording's status and processing progress (failure reason and retry for the tutor),
// a player streaming the file over HTTP Range, downloads for the tutor and staff, and the
// session's chat along the recording's timeline (a click seeks the video there).

import { api } from "../api.js";
import { currentPerson } from "../auth.js";
import { clear, h } from "../dom.js";
import {
  currentLocale, formatDay, formatNumber, formatTime, has, t, tr, trAttr,
} from "../i18n.js";
import { formatOffset, timelineItems } from "../recordings/timeline.js";

const POLL_MS = 1500;
const BUSY = new Set(["recording", "processing"]);

class RecordingsView extends HTMLElement {
  scope = "session";

  connectedCallback() {
    this.scopeId = Number(this.getAttribute("session-id"));
    this.person = currentPerson();
    this.zone = this.person?.timezone || undefined; // the session's page uses the session's
    this.recordings = [];
    this.selected = null; // {recording, file}
    this.build();
    this.onLocale = () => {
      this.renderHeading();
      this.render();
    };
    window.addEventListener("sabaq:locale", this.onLocale);
    this.loadHeading();
    this.load();
  }

  disconnectedCallback() {
    window.removeEventListener("sabaq:locale", this.onLocale);
    window.clearTimeout(this.timer);
    this.gone = true;
  }

  build() {
    this.lead = h("p", { class: "lead", "data-testid": "recordings-lead" });
    this.courseLink = tr(h("a", { class: "recordings-link", hidden: true,
      "data-testid": "recordings-course-link" }), "recordings.course_link");
    this.status = h("p", { class: "status-line", role: "status",
      "data-testid": "recordings-status" });
    this.list = h("ul", { class: "recording-list", role: "list",
      "data-testid": "recordings-list" });
    this.playerTitle = h("h2", { id: "recording-player-heading", tabindex: "-1" });
    this.video = h("video", { class: "recording-video", controls: true, preload: "metadata",
      playsInline: true, "data-testid": "recording-player",
      "aria-labelledby": "recording-player-heading" });
    this.fileChoice = h("div", { class: "recording-files", role: "group",
      "data-testid": "recording-files" });
    this.timelineHeading = tr(h("h3", { id: "recording-timeline-heading" }),
      "recordings.timeline");
    this.timeline = h("ol", { class: "recording-timeline", "data-testid": "recording-timeline",
      "aria-labelledby": "recording-timeline-heading" });
    this.timelineEmpty = tr(h("p", { class: "empty", hidden: true }), "recordings.timeline_empty");
    this.player = h("section", { class: "card recording-player", hidden: true,
      "aria-labelledby": "recording-player-heading", "data-testid": "recording-player-section" },
    this.playerTitle, this.fileChoice,
    h("div", { class: "recording-watch" },
      h("div", { class: "recording-screen" }, this.video),
      h("div", { class: "recording-chat" }, this.timelineHeading, this.timelineEmpty,
        this.timeline)));
    this.video.addEventListener("timeupdate", () => this.markCurrent());
    this.append(h("section", { class: "page recordings-page",
      "aria-labelledby": "recordings-title" },
      h("div", { class: "page-head" },
        tr(h("h1", { id: "recordings-title", tabindex: "-1" }), `recordings.title_${this.scope}`),
        this.lead, this.courseLink),
      this.status,
      h("section", { "aria-labelledby": "recordings-list-heading" },
        tr(h("h2", { id: "recordings-list-heading", class: "visually-hidden" }),
          "recordings.list"),
        this.list),
      this.player,
      tr(h("a", { href: "#/", class: "button secondary", "data-testid": "recordings-back" }),
        "room.back")));
  }

  async loadHeading() {
    try {
      if (this.scope === "session") {
        this.session = await api(`/api/sessions/${this.scopeId}`);
        this.zone = this.session.local?.timezone;
      } else {
        this.course = await api(`/api/courses/${this.scopeId}`);
      }
      this.renderHeading();
      this.render();
    } catch {
      // The list says whether there is anything to see.
    }
  }

  renderHeading() {
    const { session, course } = this;
    if (session) {
      tr(this.lead, "recordings.lead_session", { title: session.title,
        day: formatDay(session.starts_at, this.zone),
        time: formatTime(session.starts_at, this.zone) });
      document.title = `${t("recordings.title_session")}: ${session.title} — ${t("app.name")}`;
      this.courseLink.href = `#/recordings/course/${session.course_id}`;
      this.courseLink.hidden = !session.course_id;
    } else if (course) {
      tr(this.lead, "recordings.lead_course", { code: course.code, name: course.discipline });
      document.title = `${t("recordings.title_course")}: ${course.code} — ${t("app.name")}`;
    }
    if (this.selected) {
      tr(this.playerTitle, "recordings.player_heading",
        { when: this.when(this.selected.recording.started_at) });
    }
  }

  async load() {
    window.clearTimeout(this.timer);
    if (!this.loaded) tr(this.status, "recordings.loading");
    try {
      const data = await api(`/api/${this.scope === "session" ? "sessions" : "courses"}/`
        + `${this.scopeId}/recordings`);
      if (this.gone) return;
      this.loaded = true;
      this.recordings = data.recordings;
      this.recordingNow = data.recording_now;
      this.render();
    } catch (error) {
      tr(this.status, error.status === 404 ? "recordings.not_found" : "recordings.failed");
    }
    const busy = this.recordings.some((r) => BUSY.has(r.status)) || this.recordingNow;
    if (!this.gone && (busy || !this.loaded)) {
      this.timer = window.setTimeout(() => this.load(), busy ? POLL_MS : POLL_MS * 4);
    }
  }

  render() {
    if (!this.loaded) return;
    const recordings = this.recordings;
    if (!recordings.length) tr(this.status, `recordings.empty_${this.scope}`);
    else tr(this.status, "recordings.count", { count: recordings.length });
    const focused = this.list.contains(document.activeElement)
      ? document.activeElement?.dataset?.testid : null;
    clear(this.list).append(...recordings.map((r) => this.card(r)));
    if (focused) this.list.querySelector(`[data-testid="${focused}"]`)?.focus();
    if (!this.selected) {
      const ready = recordings.find((r) => r.status === "ready" && r.files.length);
      if (ready) this.select(ready, ready.files[0], false);
    } else {
      this.renderFiles();
    }
  }

  when(iso) {
    if (!iso) return "";
    // Mid-sentence: a day name starts in lower case, except in English.
    let day = formatDay(iso, this.zone);
    if (currentLocale() !== "en") day = day.charAt(0).toLowerCase() + day.slice(1);
    return `${day}, ${formatTime(iso, this.zone)}`;
  }

  card(recording) {
    const id = recording.id;
    const titleId = `recording-title-${id}`;
    const body = [];
    if (recording.status === "processing") body.push(this.progress(recording));
    if (recording.status === "recording") {
      body.push(tr(h("p", { class: "recording-live" }), "recordings.in_progress"));
    }
    if (recording.stop_reason && has(`recordings.stop_reason.${recording.stop_reason}`)) {
      body.push(tr(h("p", { class: "notice", "data-testid": `recording-stop-reason-${id}` }),
        `recordings.stop_reason.${recording.stop_reason}`));
    }
    if (recording.status === "failed") body.push(this.failure(recording, titleId));
    if (recording.status === "ready") body.push(this.actions(recording, titleId));
    const duration = recording.duration_seconds
      ? tr(h("span", {}), "recordings.duration",
        { duration: formatOffset(recording.duration_seconds) })
      : null;
    return h("li", { class: `recording-card status-${recording.status}`,
      "data-testid": `recording-${id}`, "data-status": recording.status,
      "aria-labelledby": titleId },
    h("div", { class: "recording-head" },
      h("h3", { id: titleId, class: "recording-title" },
        this.scope === "course" ? `${recording.title} · ` : "",
        tr(h("span", {}), "recordings.started", { when: this.when(recording.started_at) })),
      h("p", { class: "recording-meta" },
        tr(h("span", { class: `badge recording-status-${recording.status}`,
          "data-testid": `recording-status-${id}` }), `recordings.status.${recording.status}`),
        recording.automatic ? tr(h("span", { class: "badge" }), "recordings.automatic") : null,
        duration)),
    body);
  }

  progress(recording) {
    const id = recording.id;
    const percent = Math.max(0, Math.min(100, Math.round(recording.progress ?? 0)));
    const phase = recording.phase && has(`recordings.phase.${recording.phase}`)
      ? t(`recordings.phase.${recording.phase}`) : "";
    const label = tr(h("span", { id: `recording-progress-label-${id}` }), "recordings.progress",
      { percent: formatNumber(percent), phase });
    const bar = h("progress", { max: "100", value: String(percent),
      "aria-labelledby": `recording-progress-label-${id}`,
      "data-testid": `recording-progress-${id}` });
    return h("div", { class: "recording-progress" }, label, bar);
  }

  failure(recording, titleId) {
    const id = recording.id;
    const reason = tr(h("p", { class: "notice error", "data-testid": `recording-failure-${id}` }),
      "recordings.failure", { reason: recording.failure || t("recordings.failure_unknown") });
    // Retrying needs the record grant: the session's tutor (staff see the reason only).
    if (this.person?.role !== "tutor") return reason;
    const button = tr(h("button", { type: "button", class: "button small",
      "data-testid": `recording-retry-${id}`, "aria-describedby": titleId,
      onclick: () => this.retry(recording, button) }), "recordings.retry");
    return h("div", { class: "recording-failed" }, reason, button);
  }

  async retry(recording, button) {
    button.disabled = true;
    try {
      await api(`/api/recordings/${recording.id}/retry`, { method: "POST" });
      tr(this.status, "recordings.retrying");
      this.load();
    } catch (error) {
      button.disabled = false;
      tr(this.status, "recordings.retry_failed", { reason: error.message || error.code });
    }
  }

  actions(recording, titleId) {
    const id = recording.id;
    const items = recording.files.map((file, index) => {
      const name = this.fileName(file, index);
      const play = tr(h("button", { type: "button", class: "button small",
        "data-testid": `recording-play-${id}-${file.id}`,
        onclick: () => this.select(recording, file, true) }), "recordings.play");
      trAttr(play, { "aria-label": ["recordings.play_named", { name }] });
      const download = file.download_url
        ? tr(h("a", { href: file.download_url, class: "button small", download: file.name,
          "data-testid": `recording-download-${id}-${file.id}` }), "recordings.download")
        : null;
      if (download) {
        trAttr(download, { "aria-label": ["recordings.download_named", {
          name, size: formatSize(file.size_bytes) }] });
      }
      return h("li", { class: "recording-file" },
        h("span", { class: "recording-file-name" }, name), play, download);
    });
    if (!items.length) return tr(h("p", { class: "empty" }), "recordings.no_files");
    return h("ul", { class: "recording-file-list", role: "list", "aria-labelledby": titleId },
      items);
  }

  fileName(file, index) {
    if (file.role && has(`recordings.file.${file.role}`)) {
      return t(`recordings.file.${file.role}`, { number: index + 1 });
    }
    return t("recordings.file.other", { number: index + 1 });
  }

  select(recording, file, focus) {
    const same = this.selected?.file.id === file.id;
    this.selected = { recording, file };
    this.player.hidden = false;
    tr(this.playerTitle, "recordings.player_heading",
      { when: this.when(recording.started_at) });
    if (!same) {
      this.video.src = file.play_url;
      this.loadTimeline(recording);
    }
    this.renderFiles();
    if (focus) this.playerTitle.focus();
  }

  renderFiles() {
    const { recording, file } = this.selected;
    const current = this.recordings.find((r) => r.id === recording.id) ?? recording;
    const files = current.files;
    this.fileChoice.hidden = files.length < 2;
    trAttr(this.fileChoice, { "aria-label": ["recordings.files"] });
    clear(this.fileChoice).append(...files.map((f, index) => {
      const button = h("button", { type: "button", class: "button small",
        "aria-pressed": f.id === file.id ? "true" : "false",
        onclick: () => this.select(current, f, false) }, this.fileName(f, index));
      return button;
    }));
  }

  async loadTimeline(recording) {
    clear(this.timeline);
    this.timelineEmpty.hidden = true;
    let events = [];
    try {
      events = (await api(`/api/recordings/${recording.id}/timeline`)).events;
    } catch {
      events = [];
    }
    if (this.selected?.recording.id !== recording.id) return;
    const items = timelineItems(events, recording.duration_seconds);
    this.timelineEmpty.hidden = items.length > 0;
    this.points = items.map((item) => {
      const button = h("button", { type: "button", class: "timeline-seek",
        "data-testid": `timeline-${item.id}`, "data-offset": String(item.offset),
        onclick: () => this.seek(item.offset) },
      h("time", { class: "timeline-time" }, formatOffset(item.offset)),
      h("span", { class: "timeline-name" }, item.name),
      item.private ? tr(h("span", { class: "badge private" }), "recordings.private") : null,
      item.deleted ? tr(h("span", { class: "timeline-text deleted" }), "chat.deleted")
        : h("span", { class: "timeline-text" }, item.text));
      trAttr(button, { title: ["recordings.seek", { time: formatOffset(item.offset) }] });
      const li = h("li", { class: "timeline-item" }, button);
      this.timeline.append(li);
      return { offset: item.offset, li };
    });
  }

  seek(offset) {
    this.video.currentTime = offset;
    this.video.play().catch(() => {});
  }

  markCurrent() {
    const now = this.video.currentTime;
    let current = null;
    for (const point of this.points ?? []) if (point.offset <= now) current = point;
    for (const point of this.points ?? []) point.li.classList.toggle("current", point === current);
  }
}

function formatSize(bytes) {
  if (!bytes) return "";
  return t("recordings.size_mb", { size: formatNumber(bytes / 1e6, { maximumFractionDigits: 1 }) });
}

class CourseRecordingsView extends RecordingsView {
  scope = "course";
}

customElements.define("sabaq-recordings", RecordingsView);
customElements.define("sabaq-course-recordings", CourseRecordingsView);
