// The lobby's choices, handed to the room (kept for the browser tab only).

const KEY = "sabaq.media";
let handedStream = null;

export function loadPrefs() {
  try {
    return { audioOnly: false, micId: "", camId: "", ...JSON.parse(sessionStorage.getItem(KEY)) };
  } catch {
    return { audioOnly: false, micId: "", camId: "" };
  }
}

export function savePrefs(prefs) {
  sessionStorage.setItem(KEY, JSON.stringify(prefs));
}

/** The lobby's preview stream, handed over once so the room need not ask again. */
export function handOver(stream) {
  handedStream = stream;
}

export function takeHandedStream() {
  const stream = handedStream;
  handedStream = null;
  return stream;
}
