// The review's events placed on one student's exam file (flags and notes as timeline markers).

/** Events with an offset on the chosen recording's file, in time order. The server measures
 * every offset from the start of the student's own file; an event before that file's media
 * began (the check-in, the identity decision) has no place on it: offset null, before true. */
export function placeEvents(events, recording) {
  return events.map((event) => {
    const where = (event.recordings ?? []).find((r) => r.recording_id === recording?.id);
    const before = Boolean(where?.before_start);
    const offset = where && !before ? where.offset_seconds : null;
    return { ...event, offset, before };
  });
}

/** The percentage along a bar of a given duration (markers past the end sit at the end). */
export function percent(offset, duration) {
  if (!duration || !Number.isFinite(duration)) return 0;
  return Math.min(100, Math.max(0, (offset / duration) * 100));
}
