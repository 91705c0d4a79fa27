// Cameras and microphones: asking for them, naming what went wrong, listing devices.

export function mediaAvailable() {
  return Boolean(navigator.mediaDevices?.getUserMedia);
}

/** A stream for the choices; throws with .reason = "denied" | "no_device" | "in_use" | "failed". */
export async function openMedia({ audio = true, video = true, micId, camId } = {}) {
  if (!mediaAvailable()) throw withReason(new Error("no mediaDevices"), "unsupported");
  const constraints = {
    audio: audio ? { deviceId: micId ? { exact: micId } : undefined,
      echoCancellation: true, noiseSuppression: true } : false,
    video: video ? { deviceId: camId ? { exact: camId } : undefined,
      width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24 } } : false,
  };
  try {
    return await navigator.mediaDevices.getUserMedia(constraints);
  } catch (error) {
    throw withReason(error, reasonOf(error));
  }
}

function withReason(error, reason) {
  error.reason = reason;
  return error;
}

function reasonOf(error) {
  switch (error?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "denied";
    case "NotFoundError":
    case "OverconstrainedError":
      return "no_device";
    case "NotReadableError":
    case "AbortError":
      return "in_use";
    default:
      return "failed";
  }
}

export async function listDevices() {
  if (!navigator.mediaDevices?.enumerateDevices) return { cameras: [], microphones: [] };
  const devices = await navigator.mediaDevices.enumerateDevices();
  return {
    cameras: devices.filter((d) => d.kind === "videoinput" && d.deviceId),
    microphones: devices.filter((d) => d.kind === "audioinput" && d.deviceId),
  };
}

export function stopStream(stream) {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

export async function openScreen() {
  try {
    return await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 10 } },
      audio: false });
  } catch (error) {
    throw withReason(error, reasonOf(error));
  }
}
