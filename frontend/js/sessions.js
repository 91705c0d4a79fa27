// Scheduled sessions as the client sees them: the join window and what a person may do.

const JOIN_OPENS_BEFORE_MS = 10 * 60 * 1000;
const JOIN_CLOSES_AFTER_MS = 15 * 60 * 1000;

export function joinOpensAt(session) {
  return new Date(session.join_opens_at ?? Date.parse(session.starts_at) - JOIN_OPENS_BEFORE_MS);
}

export function canJoinNow(session, now = Date.now()) {
  if (session.mode !== "online") return false;
  if (session.status === "live") return true;
  if (session.status === "ended" || session.status === "cancelled") return false;
  const closes = Date.parse(session.ends_at) + JOIN_CLOSES_AFTER_MS;
  return joinOpensAt(session).getTime() <= now && now <= closes;
}

/** "start" (the session's tutor), "join", or null when there is nothing to do. */
export function actionFor(session, person) {
  if (session.status === "ended" || session.status === "cancelled") return null;
  if (session.mode !== "online") return null;
  if (session.tutor_id === person.id && session.status !== "live") return "start";
  return "join";
}

export const KIND_LAYOUT = {
  lecture: "stage",
  colloquium: "stage",
  practical: "gallery",
  consultation: "gallery",
  midterm: "proctor",
  exam: "proctor",
};
