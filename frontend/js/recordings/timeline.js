// The session's chat placed on a recording's clock (GET /api/recordings/{id}/timeline).

/** "m:ss" or "h:mm:ss" for a number of seconds. */
export function formatOffset(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = String(total % 60).padStart(2, "0");
  if (hours) return `${hours}:${String(minutes).padStart(2, "0")}:${secs}`;
  return `${minutes}:${secs}`;
}

/** The chat entries that fall within the recording, in time order. */
export function timelineItems(events, duration) {
  const end = duration ? duration + 1 : Infinity;
  return events
    .filter((event) => event.kind === "chat" && typeof event.offset_seconds === "number")
    .filter((event) => event.offset_seconds >= -1 && event.offset_seconds <= end)
    .map((event) => ({
      id: event.entry.id,
      offset: Math.max(0, event.offset_seconds),
      name: event.entry.sender_name,
      text: event.entry.text,
      deleted: Boolean(event.entry.deleted),
      private: event.entry.recipient_id !== null && event.entry.recipient_id !== undefined,
    }))
    .sort((a, b) => a.offset - b.offset);
}
