// Wall-clock times in a person's zone: show a UTC instant there, and read a
// <input type="datetime-local"> value as a time in that zone.

import { formatDay, formatTime } from "../i18n.js";

export function formatDue(iso, zone) {
  return `${formatDay(iso, zone)}, ${formatTime(iso, zone)}`;
}

function offsetMinutes(instant, zone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(instant).map((part) => [part.type, part.value]));
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute,
    parts.second);
  return Math.round((asUtc - instant.getTime()) / 60_000);
}

/** "2026-12-01T18:00" in ``zone`` → "2026-12-01T18:00:00+05:00". */
export function localInputToIso(value, zone) {
  const [date, time] = value.split("T");
  const [y, m, d] = date.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const guess = new Date(Date.UTC(y, m - 1, d, hh, mm));
  const offset = offsetMinutes(new Date(guess.getTime() - offsetMinutes(guess, zone) * 60_000),
    zone);
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date}T${pad(hh)}:${pad(mm)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The datetime-local value for an instant ``days`` from now at 18:00 in ``zone``. */
export function defaultDueInput(zone, days = 7) {
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: zone })
    .format(new Date(Date.now() + days * 86_400_000));
  return `${day}T18:00`;
}

export function formatBytes(bytes, t) {
  if (bytes >= 1024 * 1024) return t("files.mb", { n: Math.round(bytes / 1024 / 102.4) / 10 });
  if (bytes >= 1024) return t("files.kb", { n: Math.round(bytes / 1024) });
  return t("files.bytes", { n: bytes });
}
