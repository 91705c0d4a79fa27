// The lobby's "this session is being recorded" notice, shown before anyone enters the room.
// The session's recordings list says whether the recorder is in the room now
// (`recording_now`); midterms and exams are recorded from the moment their room opens.

import { api } from "../api.js";
import { h } from "../dom.js";
import { tr } from "../i18n.js";

const AUTO_KINDS = new Set(["midterm", "exam"]);

export class LobbyRecordingNotice {
  constructor(sessionId) {
    this.sessionId = sessionId;
    this.el = h("p", { id: "lobby-recording", class: "notice recording-notice", role: "status",
      hidden: true, "data-testid": "lobby-recording" });
  }

  /** session: the session as the API gives it (its kind), or null when it did not load. */
  async load(session) {
    let now = false;
    try {
      now = (await api(`/api/sessions/${this.sessionId}/recordings`)).recording_now;
    } catch {
      // Proctors and people outside the course do not see recordings: nothing to say.
    }
    if (now) tr(this.el, "recordings.lobby_now");
    else if (AUTO_KINDS.has(session?.kind)) tr(this.el, "recordings.lobby_exam");
    this.el.hidden = !(now || AUTO_KINDS.has(session?.kind));
  }
}
