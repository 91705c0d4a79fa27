// RTP statistics per participant and track (window.sabaq.stats()) and a quality estimate.

const INBOUND_FIELDS = ["packetsReceived", "bytesReceived", "packetsLost", "jitter",
  "framesDecoded", "framesReceived", "framesDropped", "frameWidth", "frameHeight",
  "framesPerSecond", "totalSamplesReceived", "audioLevel"];
const OUTBOUND_FIELDS = ["packetsSent", "bytesSent", "framesEncoded", "framesSent",
  "frameWidth", "frameHeight", "framesPerSecond", "qualityLimitationReason"];

function pick(report, fields) {
  const out = {};
  for (const name of fields) if (report[name] !== undefined) out[name] = report[name];
  return out;
}

async function rtpOf(target, type) {
  const found = [];
  let pair = null;
  (await target.getStats()).forEach((report) => {
    if (report.type === type) found.push(report);
    if (report.type === "candidate-pair" && report.nominated && report.state === "succeeded") {
      pair = report;
    }
  });
  return { report: found[0] ?? null, pair };
}

export async function collectStats(myId, publisher, subscriber) {
  const inbound = [];
  const outbound = [];
  let rtt = null;
  for (const slot of subscriber?.slots ?? []) {
    const { report, pair } = await rtpOf(slot.receiver, "inbound-rtp");
    if (pair?.currentRoundTripTime !== undefined) rtt = pair.currentRoundTripTime;
    inbound.push({
      participant_id: slot.publisher_id, label: slot.label, kind: slot.kind,
      track_id: slot.track_id, mid: slot.mid, ...(report ? pick(report, INBOUND_FIELDS) : {}),
    });
  }
  for (const [label, transceiver] of publisher?.transceivers ?? []) {
    if (transceiver.direction !== "sendonly" || !transceiver.sender.track) continue;
    const { report, pair } = await rtpOf(transceiver.sender, "outbound-rtp");
    if (pair?.currentRoundTripTime !== undefined) rtt = pair.currentRoundTripTime;
    outbound.push({
      participant_id: myId, label, kind: transceiver.sender.track.kind, mid: transceiver.mid,
      ...(report ? pick(report, OUTBOUND_FIELDS) : {}),
    });
  }
  return { participant_id: myId, time: Date.now(), rtt, inbound, outbound };
}

/** "good" | "fair" | "poor" | "unknown" from two successive snapshots. */
export function quality(previous, current, connected) {
  if (!connected) return "poor";
  if (!previous) return "unknown";
  let received = 0;
  let lost = 0;
  for (const now of current.inbound) {
    const before = previous.inbound.find((s) => s.mid === now.mid) ?? {};
    received += (now.packetsReceived ?? 0) - (before.packetsReceived ?? 0);
    lost += Math.max(0, (now.packetsLost ?? 0) - (before.packetsLost ?? 0));
  }
  const lossRatio = received + lost > 0 ? lost / (received + lost) : 0;
  const rtt = current.rtt ?? 0;
  if (lossRatio > 0.08 || rtt > 0.6) return "poor";
  if (lossRatio > 0.02 || rtt > 0.25) return "fair";
  return "good";
}
