// The session's chat and raised hands placed on a recording's clock
// (GET /api/recordings/{id}/timeline).

import { t } from "../i18n.js";

/** "m:ss" or "h:mm:ss" for a number of seconds. */
export function formatOffset(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = String(total % 60).padStart(2, "0");
  if (hours) return `${hours}:${String(minutes).padStart(2, "0")}:${secs}`;
  return `${minutes}:${secs}`;
}

function chatItem(event) {
  const entry = event.entry;
  return {
    id: entry.id,
    kind: "chat",
    name: entry.sender_name,
    text: entry.text,
    deleted: Boolean(entry.deleted),
    private: entry.recipient_id !== null && entry.recipient_id !== undefined,
  };
}

function handText(hand) {
  if (hand.raised) return t("recordings.hand_raised");
  if (hand.by_name) return t("recordings.hand_lowered_by", { name: hand.by_name });
  return t("recordings.hand_lowered");
}

function handItem(event, index) {
  const hand = event.hand;
  return {
    id: `hand-${index}`,
    kind: "hand",
    name: hand.name,
    text: handText(hand),
    raised: Boolean(hand.raised),
    deleted: false,
    private: false,
  };
}

/** The chat entries and hand events that fall within the recording, in time order. Each item:
 *  {id, kind: "chat"|"hand", offset, name, text, deleted, private}; hand ids are "hand-N". */
export function timelineItems(events, duration) {
  const end = duration ? duration + 1 : Infinity;
  let hands = 0;
  return events
    .filter((event) => event.kind === "chat" || event.kind === "hand")
    .filter((event) => typeof event.offset_seconds === "number")
    .filter((event) => event.offset_seconds >= -1 && event.offset_seconds <= end)
    .map((event) => ({
      ...(event.kind === "chat" ? chatItem(event) : handItem(event, hands++)),
      offset: Math.max(0, event.offset_seconds),
    }))
    .sort((a, b) => a.offset - b.offset);
}
