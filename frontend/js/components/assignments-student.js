// A student's assignment: the task, the draft editor (text and files, with the accepted types and
// size limit), "submit as final" through the outbox (so it works off-line), and the receipts with
// each file's name and SHA-256.

import { api } from "../api.js";
import { append, clear, h } from "../dom.js";
import { t, tr } from "../i18n.js";
import { enqueue, discard, queuedItems, retry } from "../offline/outbox.js";
import { rawUpload } from "../offline/net.js";
import { announce, field, fileLink, queuedState } from "../offline/ui.js";
import { formatBytes, formatDue } from "../offline/zone.js";

export class StudentAssignment {
  constructor(assignment, ctx) {
    this.a = assignment;
    this.ctx = ctx;
    this.local = []; // Files picked but not uploaded yet
    this.kept = []; // the draft's uploads: {id, name, size}
    this.el = h("div", { class: "assignment-detail", "data-testid": "student-assignment" });
    this.onOutbox = (event) => this.outboxChanged(event.detail ?? {});
    window.addEventListener("sabaq:outbox", this.onOutbox);
  }

  stop() {
    window.removeEventListener("sabaq:outbox", this.onOutbox);
  }

  async start() {
    this.statusLine = h("p", { class: "submission-status", "data-testid": "submission-status" });
    this.queue = h("section", { class: "outbox", "aria-labelledby": "queued-heading",
      "data-testid": "queued-submissions", hidden: true });
    this.receipts = h("section", { "aria-labelledby": "receipts-heading",
      "data-testid": "receipts" });
    clear(this.el).append(this.about(), this.statusLine, this.queue, this.editor(), this.receipts);
    await this.loadSubmission();
    this.renderQueue();
  }

  about() {
    const a = this.a;
    const course = this.ctx.courses.get(a.course_id);
    return h("section", { class: "card assignment-about", "aria-label": a.title },
      h("p", { class: "session-meta" },
        course ? h("span", {}, `${course.code} · ${course.discipline}`) : null,
        tr(h("span", { "data-testid": "assignment-due" }), "assignments.due",
          { time: formatDue(a.due_at, this.ctx.zone) }),
        tr(h("span", {}), "assignments.points", { points: a.max_points }),
        tr(h("span", {}), a.late_accepted ? "assignments.late_ok" : "assignments.late_no")),
      a.instructions ? h("p", { class: "instructions" }, a.instructions) : null,
      a.files?.length ? h("ul", { class: "file-list", role: "list" },
        a.files.map((f) => h("li", {}, fileLink(f)))) : null);
  }

  limits() {
    return {
      types: this.a.accepted_types.map((x) => x.toUpperCase()).join(", "),
      size: formatBytes(this.a.max_file_bytes, t),
    };
  }

  editor() {
    this.text = h("textarea", { rows: 5, maxlength: 10000, "data-testid": "draft-text" });
    this.picker = h("input", { type: "file", multiple: true, "data-testid": "draft-files",
      accept: this.a.accepted_types.map((x) => `.${x}`).join(","),
      onchange: () => this.pick() });
    this.fileList = h("ul", { class: "file-list editable", role: "list",
      "data-testid": "draft-file-list" });
    this.error = h("p", { class: "form-error", role: "alert", "data-testid": "draft-error" });
    this.saveButton = tr(h("button", { type: "button", class: "button secondary",
      "data-testid": "draft-save", onclick: () => this.saveDraft() }), "assignments.save_draft");
    this.submitButton = tr(h("button", { type: "submit", class: "button primary",
      "data-testid": "submit-final" }), "assignments.submit");
    return h("form", { class: "card draft-editor", "aria-labelledby": "editor-heading",
      "data-testid": "draft-editor", novalidate: true,
      onsubmit: (event) => { event.preventDefault(); this.submit(); } },
    tr(h("h2", { id: "editor-heading" }), "assignments.your_work"),
    field("draft-text", "assignments.text", this.text),
    field("draft-files", "assignments.files", this.picker, "assignments.limits", this.limits()),
    this.fileList, this.error,
    h("div", { class: "button-row" }, this.saveButton, this.submitButton),
    tr(h("p", { class: "hint" }), "assignments.submit_hint"));
  }

  pick() {
    this.error.textContent = "";
    const accepted = new Set(this.a.accepted_types);
    for (const file of this.picker.files) {
      const ext = file.name.includes(".") ? file.name.split(".").pop().toLowerCase() : "";
      if (!accepted.has(ext)) {
        tr(this.error, "assignments.wrong_type", { name: file.name, ...this.limits() });
      } else if (file.size > this.a.max_file_bytes) {
        tr(this.error, "assignments.too_big", { name: file.name, ...this.limits() });
      } else this.local.push(file);
    }
    this.picker.value = "";
    this.renderFiles();
  }

  renderFiles() {
    const row = (name, size, remove, testid) => h("li", { "data-testid": testid },
      h("span", { class: "file-name" }, name),
      h("span", { class: "file-size" }, ` (${formatBytes(size, t)}) `),
      tr(h("button", { type: "button", class: "button small", onclick: remove,
        "data-i18n-attrs": JSON.stringify({ "aria-label": ["assignments.remove_file",
          { name }] }), "aria-label": t("assignments.remove_file", { name }) }),
      "assignments.remove"));
    append(clear(this.fileList), [
      this.kept.map((f) => row(f.name, f.size, () => {
        this.kept = this.kept.filter((x) => x !== f);
        this.renderFiles();
      }, "draft-file")),
      this.local.map((f) => row(f.name, f.size, () => {
        this.local = this.local.filter((x) => x !== f);
        this.renderFiles();
      }, "local-file"))]);
  }

  async loadSubmission() {
    try {
      this.submission = await api(`/api/assignments/${this.a.id}/submission`);
    } catch {
      tr(this.statusLine, "assignments.failed");
      return;
    }
    const s = this.submission;
    tr(this.statusLine, `submission.${s.status}`);
    this.statusLine.dataset.status = s.status;
    if (s.draft && !this.text.value) {
      this.text.value = s.draft.text ?? "";
      this.kept = await Promise.all((s.draft.upload_ids ?? []).map((id) =>
        api(`/api/uploads/${id}`).catch(() => ({ id, name: `#${id}`, size: 0 }))));
      this.renderFiles();
    }
    this.renderReceipts();
  }

  renderReceipts() {
    const versions = (this.submission?.versions ?? []).slice().reverse();
    clear(this.receipts).append(tr(h("h2", { id: "receipts-heading" }), "assignments.receipts"));
    if (!versions.length) {
      this.receipts.append(tr(h("p", { class: "empty" }), "assignments.no_receipts"));
      return;
    }
    for (const v of versions) {
      this.receipts.append(h("article", { class: "card receipt-card",
        "data-testid": `receipt-${v.version}`, "aria-labelledby": `receipt-h-${v.version}` },
      tr(h("h3", { id: `receipt-h-${v.version}` }), "assignments.receipt_title",
        { version: v.version, time: formatDue(v.submitted_at, this.ctx.zone) }),
      v.late ? tr(h("p", { class: "badge warn" }), "submission.late") : null,
      v.text ? h("p", { class: "message-text" }, v.text) : null,
      h("table", { class: "receipt-files" },
        h("caption", { class: "visually-hidden" },
          t("assignments.receipt_title", { version: v.version, time: "" })),
        h("thead", {}, h("tr", {},
          tr(h("th", { scope: "col" }), "assignments.file"),
          tr(h("th", { scope: "col" }), "assignments.size"),
          tr(h("th", { scope: "col" }), "assignments.sha256"))),
        h("tbody", {}, v.files.map((f) => h("tr", { "data-testid": "receipt-file" },
          h("td", {}, f.name),
          h("td", {}, formatBytes(f.size, t)),
          h("td", {}, h("code", { class: "sha", "data-testid": "receipt-sha" }, f.sha256))))))));
    }
  }

  async saveDraft() {
    this.error.textContent = "";
    if (!navigator.onLine) {
      tr(this.error, "assignments.draft_offline");
      return;
    }
    this.saveButton.disabled = true;
    try {
      for (const file of this.local) {
        const up = await rawUpload(file, file.name, this.a.id);
        this.kept.push({ id: up.id, name: up.name, size: up.size });
      }
      this.local = [];
      await api(`/api/assignments/${this.a.id}/draft`, { method: "PUT",
        body: { text: this.text.value, upload_ids: this.kept.map((f) => f.id) } });
      this.renderFiles();
      announce(t("assignments.draft_saved"));
      await this.loadSubmission();
    } catch (error) {
      tr(this.error, "assignments.draft_failed", { reason: error.message || "" });
    } finally {
      this.saveButton.disabled = false;
    }
  }

  async submit() {
    this.error.textContent = "";
    if (!this.text.value.trim() && !this.local.length && !this.kept.length) {
      tr(this.error, "assignments.empty");
      return;
    }
    const body = {
      text: this.text.value,
      upload_ids: this.kept.map((f) => f.id),
      base_version: this.submission?.versions?.length ?? 0,
    };
    await enqueue({ kind: "submission", assignmentId: this.a.id, body, files: this.local,
      label: this.a.title });
    announce(t(navigator.onLine ? "assignments.submitting" : "outbox.queued_announce"));
    this.local = [];
    this.kept = [];
    this.text.value = "";
    this.renderFiles();
  }

  async renderQueue() {
    const items = await queuedItems((i) => i.kind === "submission" && i.assignment_id === this.a.id);
    this.queue.hidden = items.length === 0;
    clear(this.queue).append(
      tr(h("h2", { id: "queued-heading" }), "outbox.title"),
      tr(h("p", { class: "hint" }), "outbox.explain"),
      h("ul", { class: "queued-items", role: "list" }, items.map((item) => h("li", {
        class: "queued-item", "data-testid": "queued-submission", "data-state": item.state,
        "data-key": item.key },
      tr(h("p", { class: "queued-what" }), "assignments.queued_files",
        { files: item.files.map((f) => f.name).join(", ") || "—" }),
      queuedState(item, { "data-testid": "queued-state" }),
      h("span", { class: "queue-progress", "data-testid": "queued-progress",
        "data-key": item.key }),
      item.state === "failed" ? [
        tr(h("button", { type: "button", class: "button small",
          onclick: () => retry(item.key) }), "outbox.retry"),
        tr(h("button", { type: "button", class: "button small",
          onclick: () => discard(item.key) }), "outbox.discard"),
      ] : null))));
  }

  async outboxChanged(detail) {
    if (detail.progress) {
      const line = this.queue.querySelector(`[data-testid=queued-progress][data-key="${detail
        .progress.key}"]`);
      if (line) {
        tr(line, "outbox.progress",
          { percent: Math.floor((detail.progress.sent / detail.progress.total) * 100) });
      }
      return;
    }
    await this.renderQueue();
    if (detail.sent?.kind === "submission" && detail.sent.assignment_id === this.a.id) {
      announce(t("assignments.submitted", { version: detail.result.version }));
      await this.loadSubmission();
    }
  }
}
