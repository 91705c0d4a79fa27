// No trickle ICE: offers and answers go out once gathering is complete.

export function iceGathered(pc, timeoutMs = 4000) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      pc.removeEventListener("icegatheringstatechange", check);
      clearTimeout(timer);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === "complete") done();
    };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

export function newPeerConnection(iceServers) {
  return new RTCPeerConnection({ iceServers: iceServers ?? [], bundlePolicy: "max-bundle" });
}
