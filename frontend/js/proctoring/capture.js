// Still images from a live camera: a video element's current frame → canvas → JPEG blob.

/** The current frame of a playing <video>, scaled to at most maxWidth, as a JPEG blob. */
export function grabFrame(video, maxWidth = 640, quality = 0.85) {
  const width = video.videoWidth;
  const height = video.videoHeight;
  if (!width || !height) return Promise.resolve(null);
  const scale = Math.min(1, maxWidth / width);
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
}

/** Resolves once a <video> has a frame (or after timeoutMs): a new preview needs a moment. */
export function frameReady(video, timeoutMs = 4000) {
  if (video.videoWidth) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok) => {
      clearTimeout(timer);
      video.removeEventListener("loadeddata", onData);
      resolve(ok);
    };
    const onData = () => done(true);
    const timer = setTimeout(() => done(Boolean(video.videoWidth)), timeoutMs);
    video.addEventListener("loadeddata", onData);
  });
}
