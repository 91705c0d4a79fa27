// Who is in the room, as the signalling messages tell it. Emits "change" and "hand".

const EXAM_KINDS = new Set(["midterm", "exam"]);

export class Roster extends EventTarget {
  constructor() {
    super();
    this.people = new Map();
    this.kind = "lecture";
    this.locked = false;
    this.recording = false;
    this.me = null;
  }

  get self() {
    return this.people.get(this.me) ?? null;
  }

  get moderator() {
    return Boolean(this.self?.grants.includes("moderate"));
  }

  get mayPublish() {
    const self = this.self;
    return Boolean(self && (self.grants.includes("publish") || self.has_floor));
  }

  name(participantId) {
    return this.people.get(participantId)?.name ?? participantId;
  }

  apply(message) {
    switch (message.type) {
      case "joined": {
        this.me = message.participant_id;
        this.kind = message.room.kind;
        this.locked = message.room.locked;
        this.recording = Boolean(message.room.recording);
        const everyone = message.room.participants;
        const self = everyone.find((p) => p.participant_id === this.me);
        // Exam students see nobody but themselves and the people running the exam.
        const hide = EXAM_KINDS.has(this.kind) && self?.role === "student";
        this.people = new Map(everyone
          .filter((p) => !hide || p === self || p.role !== "student")
          .map((p) => [p.participant_id, p]));
        // Older servers send the queue only as room.hands: number the people from it.
        (message.room.hands ?? []).forEach((id, index) => {
          const person = this.people.get(id);
          if (person && person.hand_order == null) person.hand_order = index + 1;
        });
        break;
      }
      case "participant_joined":
      case "participant_updated":
        this.update(message.participant);
        break;
      case "participant_left":
        this.people.delete(message.participant_id);
        break;
      case "room_updated":
        // Each update carries what changed: the lock, or the recorder coming and going.
        if ("locked" in message) this.locked = message.locked;
        if ("recording" in message) this.recording = Boolean(message.recording);
        break;
      case "floor": {
        const self = this.self;
        if (self) self.has_floor = message.granted;
        break;
      }
      default:
        return;
    }
    this.dispatchEvent(new CustomEvent("change", { detail: message }));
  }

  update(participant) {
    const before = this.people.get(participant.participant_id);
    this.people.set(participant.participant_id, participant);
    if (before && before.hand_raised !== participant.hand_raised) {
      this.dispatchEvent(new CustomEvent("hand", { detail: participant }));
    }
  }

  /** The participant of a person id (chat entries name people by person id). */
  byPerson(personId) {
    for (const person of this.people.values()) if (person.person_id === personId) return person;
    return null;
  }

  /** Raised hands in the order they went up. */
  hands() {
    return [...this.people.values()].filter((p) => p.hand_raised)
      .sort((a, b) => (a.hand_order ?? Infinity) - (b.hand_order ?? Infinity)
        || a.name.localeCompare(b.name));
  }

  /** People in display order: moderators, then by name. */
  ordered() {
    const rank = { tutor: 0, proctor: 1, staff: 2, admin: 2, student: 3 };
    return [...this.people.values()].sort((a, b) =>
      (rank[a.role] ?? 4) - (rank[b.role] ?? 4) || a.name.localeCompare(b.name));
  }
}
