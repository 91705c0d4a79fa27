"""Fan-out benchmark: one publisher through the SFU to N subscribers in other processes.

    .venv/bin/python bench/sfu_fanout.py [--counts 1,8,32,128] [--window 5] [--join-rate 0]

The server process (MediaRoom behind a tiny JSON-lines TCP signalling) is pinned alone to CPU 0;
the publisher (640x360 VP8 at 30 fps with moving content, plus Opus) and the subscriber sinks (4
processes) run on the other CPUs. Sinks keep ICE/DTLS/RTCP alive but drop SRTP media at their
sockets after reading its clear RTP header. Server CPU (user + sys) and RSS come from /proc for
the server process alone; cpu0_softirq (kernel softirq on CPU 0, mostly loopback delivery into
the sinks' sockets) and cpu0_other (other processes on CPU 0: should be ~0) are printed beside.
The baseline is aiortc's MediaRelay (decode once, encode per subscriber) on the same setup.

Join: measured in the sink, from sending the join request to the last packet (marker bit) of the
first video frame, i.e. the first whole frame (the SFU starts every video stream at a keyframe on
a connected transport, so it is a keyframe; decoding is not included). The medians of the phases
are printed per N (offer received, answer sent, connected, first video packet, frame end). By
default all N sinks join in a burst: each sink process joins its sinks back to back (the next
join request as soon as the previous answer is sent), 4 processes at once. --join-rate R spaces
the joins at R per second overall instead.

The last line is the summary: us_per_packet is server CPU per forwarded packet at the largest
N; cores_per_subscriber is the marginal CPU per forwarded packet times one subscriber's packet
rate (n=1); the baseline's is the slope of server cores over its subscriber counts;
max_subscribers is how many subscribers one core would serve; join_p90_ms is the p90 of the join
time above over every join of every N; rss_mb_per_subscriber is the RSS slope.
Other load on the machine distorts all of it: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiortc import (
    AudioStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.contrib.media import MediaRelay
from av import VideoFrame

from bench._process import TICK, cpu_seconds
from media import aiortc_hooks as hooks
from media import messages as m
from media.room import MediaConfig, MediaRoom

WIDTH, HEIGHT = 640, 360
SERVER_CPU = 0
CPUS_VARIABLE = "SFU_BENCH_CPUS"
SINK_PROCESSES = 4


# --- process helpers --------------------------------------------------------------------------


def machine_cpus() -> set[int]:
    """The CPUs the benchmark may use, as the first process saw them. Children inherit the
    variable (and the pinning of the process that started them, which must not shrink this)."""
    if CPUS_VARIABLE not in os.environ:
        os.environ[CPUS_VARIABLE] = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
    return {int(c) for c in os.environ[CPUS_VARIABLE].split(",")}


def pin(cpus: set[int]) -> None:
    available = machine_cpus()
    os.sched_setaffinity(0, cpus & available or available)


def other_cpus() -> set[int]:
    cpus = machine_cpus() - {SERVER_CPU}
    return cpus or {SERVER_CPU}


def cpu_busy_seconds(cpu: int) -> tuple[float, float]:
    """(busy time but softirq, softirq time) of one CPU, from /proc/stat."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{cpu} "):
            user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, line.split()[1:9])
            return (user + nice + system + irq + steal) / TICK, softirq / TICK
    return 0.0, 0.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def send(writer: asyncio.StreamWriter, message: dict[str, Any]) -> None:
    writer.write(json.dumps(message).encode() + b"\n")
    await writer.drain()


async def receive(reader: asyncio.StreamReader) -> dict[str, Any]:
    line = await reader.readline()
    if not line:
        raise ConnectionError("signalling closed")
    message: dict[str, Any] = json.loads(line)
    return message


def pc() -> RTCPeerConnection:
    """A client connection with `bundlePolicy: "max-bundle"`, as docs/protocol.md asks."""
    return RTCPeerConnection(
        RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )


# --- server -------------------------------------------------------------------------------------


class SfuServer:
    def __init__(self) -> None:
        self.room = MediaRoom(MediaConfig(host_addresses=("127.0.0.1",)), self.emit)
        self.writers: dict[str, asyncio.StreamWriter] = {}
        self.tracks: list[str] = []

    def emit(self, event: m.Event) -> None:
        if isinstance(event, m.TrackAdded):
            self.tracks.append(event.track_id)
        elif isinstance(event, m.CommandFailed):
            print("server:", event, file=sys.stderr)
        message = None
        if isinstance(event, m.Answer):
            message = {"ev": "answer", "sdp": event.sdp}
        elif isinstance(event, m.SubscriptionOffer):
            message = {"ev": "offer", "sdp": event.sdp}
        writer = self.writers.get(getattr(event, "participant_id", ""))
        if message is not None and writer is not None:
            writer.write(json.dumps(message).encode() + b"\n")

    async def handle(self, pid: str, msg: dict[str, Any], writer: asyncio.StreamWriter) -> None:
        op = msg["op"]
        if op == "join":
            self.writers[pid] = writer
            await self.room.handle(m.Join(pid))
            if pid != "pub":
                await self.room.handle(m.Allow("pub", pid))
        elif op == "publish":
            labels = tuple((mid, label) for mid, label in msg["labels"])
            await self.room.handle(m.PublishOffer(pid, msg["sdp"], labels))
        elif op == "answer":
            await self.room.handle(m.SubscriptionAnswer(pid, msg["sdp"]))
        elif op == "stats":
            forwarded = sum(
                d.stats.packets_sent for t in self.tracks for d in self.room.forwarder(t).downtracks
            )
            incoming = sum(self.room.forwarder(t).packets_in for t in self.tracks)
            await send(writer, {"ev": "stats", "forwarded": forwarded, "in": incoming})


class RelayServer:
    """Baseline: aiortc's MediaRelay, decoding once and encoding for every subscriber."""

    def __init__(self) -> None:
        self.relay = MediaRelay()
        self.sources: list[Any] = []
        self.pcs: dict[str, RTCPeerConnection] = {}
        self.sent = 0

    async def handle(self, pid: str, msg: dict[str, Any], writer: asyncio.StreamWriter) -> None:
        op = msg["op"]
        if op == "publish":
            conn = self.pcs[pid] = pc()
            conn.on("track", self.sources.append)
            await conn.setRemoteDescription(RTCSessionDescription(msg["sdp"], "offer"))
            await conn.setLocalDescription(await conn.createAnswer())
            await send(writer, {"ev": "answer", "sdp": conn.localDescription.sdp})
        elif op == "join" and pid != "pub":
            conn = self.pcs[pid] = pc()
            for source in self.sources:
                conn.addTrack(self.relay.subscribe(source))
            await conn.setLocalDescription(await conn.createOffer())
            await send(writer, {"ev": "offer", "sdp": conn.localDescription.sdp})
        elif op == "answer":
            await self.pcs[pid].setRemoteDescription(RTCSessionDescription(msg["sdp"], "answer"))
        elif op == "stats":
            await send(writer, {"ev": "stats", "forwarded": 0, "in": 0})


def run_server(mode: str, port_queue: Any) -> None:
    pin({SERVER_CPU})
    if os.sched_getaffinity(0) != {SERVER_CPU}:
        print(f"server: not alone on CPU {SERVER_CPU}: figures are not comparable", file=sys.stderr)

    async def main() -> None:
        restriction = hooks.restrict_host_addresses(["127.0.0.1"])
        server: Any = SfuServer() if mode == "sfu" else RelayServer()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                try:
                    msg = await receive(reader)
                except (ConnectionError, asyncio.IncompleteReadError):
                    return
                try:
                    await server.handle(msg.get("id", ""), msg, writer)
                except Exception:
                    traceback.print_exc()

        listener = await asyncio.start_server(connection, "127.0.0.1", 0)
        port_queue.put(listener.sockets[0].getsockname()[1])
        await asyncio.Event().wait()  # until terminated
        restriction.release()

    asyncio.run(main())


# --- publisher ----------------------------------------------------------------------------------


class MovingTexture(VideoStreamTrack):
    """640x360 luma texture sliding by a few rows per frame: whole-picture motion."""

    def __init__(self) -> None:
        super().__init__()
        rng = random.Random(7)
        blocks = [
            [rng.randrange(16, 235) for _ in range(WIDTH // 8)] for _ in range(2 * HEIGHT // 8)
        ]
        rows = [bytes(v for v in row for _ in range(8)) for row in blocks]
        self.texture = b"".join(row for row in rows for _ in range(8))
        self.chroma = bytes([128]) * (WIDTH * HEIGHT // 4)
        self.count = 0

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(WIDTH, HEIGHT, "yuv420p")
        offset = (self.count * 3 % HEIGHT) * WIDTH
        frame.planes[0].update(self.texture[offset : offset + WIDTH * HEIGHT])
        frame.planes[1].update(self.chroma)
        frame.planes[2].update(self.chroma)
        frame.pts, frame.time_base = pts, time_base
        self.count += 1
        return frame


def run_publisher(port: int, ready: Any, stop: Any) -> None:
    pin(other_cpus())

    async def main() -> None:
        restriction = hooks.restrict_host_addresses(["127.0.0.1"])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await send(writer, {"op": "join", "id": "pub"})
        conn = pc()
        video = conn.addTransceiver(MovingTexture(), direction="sendonly")
        audio = conn.addTransceiver(AudioStreamTrack(), direction="sendonly")
        await conn.setLocalDescription(await conn.createOffer())
        labels = [[video.mid, "camera"], [audio.mid, "microphone"]]
        sdp = conn.localDescription.sdp
        await send(writer, {"op": "publish", "id": "pub", "sdp": sdp, "labels": labels})
        answer = await receive(reader)
        await conn.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        ready.set()
        await asyncio.to_thread(stop.wait)
        await conn.close()
        restriction.release()

    asyncio.run(main())


# --- subscriber sinks ---------------------------------------------------------------------------


PHASES = ("offer", "answer", "connected", "first_packet", "frame_end")


class Sink:
    """One subscriber: an aiortc peer whose sockets drop SRTP media after reading its clear RTP
    header (`drop_srtp_datagrams`), so ICE, DTLS and RTCP stay real and media costs little.

    Join timeline (time.monotonic in the sink process): join request sent → offer received →
    answer sent → connection "connected" (ICE + DTLS) → first video packet → first video packet
    with the marker bit, i.e. the end of the first frame (the SFU starts every new video stream
    at a keyframe, on a connected transport, so this frame is a whole keyframe: the earliest
    moment a decoder could show a picture; decoding itself is not included)."""

    def __init__(self, pid: str) -> None:
        self.pid = pid
        self.conn = pc()
        self.packets = 0
        self.video_pt = -1
        self.marks: dict[str, float] = {}
        self.got_video = asyncio.Event()

    def on_rtp(self, data: bytes) -> None:
        self.packets += 1
        if data[1] & 0x7F == self.video_pt and "frame_end" not in self.marks:
            now = time.monotonic()
            self.marks.setdefault("first_packet", now)
            if data[1] & 0x80:
                self.marks["frame_end"] = now
                self.got_video.set()

    def on_state(self) -> None:
        if self.conn.connectionState == "connected":
            self.marks.setdefault("connected", time.monotonic())

    async def join(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        self.conn.on("connectionstatechange", self.on_state)
        self.marks["join"] = time.monotonic()
        await send(writer, {"op": "join", "id": self.pid})
        offer = await receive(reader)
        self.marks["offer"] = time.monotonic()
        video = next(line for line in offer["sdp"].splitlines() if line.startswith("m=video"))
        self.video_pt = int(video.split()[3])
        await self.conn.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
        await self.conn.setLocalDescription(await self.conn.createAnswer())
        ice = self.conn.getTransceivers()[0].receiver.transport.transport
        hooks.drop_srtp_datagrams(ice, self.on_rtp)
        sdp = self.conn.localDescription.sdp
        await send(writer, {"op": "answer", "id": self.pid, "sdp": sdp})
        self.marks["answer"] = time.monotonic()
        self.writer = writer

    def timeline(self) -> dict[str, float]:
        """Milliseconds from the join request to each mark (missing marks left out)."""
        start = self.marks["join"]
        return {k: (self.marks[k] - start) * 1000 for k in PHASES if k in self.marks}


def run_sinks(
    port: int, pids: list[str], interval: float, results: Any, joined: Any, stop: Any
) -> None:
    """`interval`: seconds between join requests of this process (0: one after another, each
    as soon as the previous one has sent its answer)."""
    pin(other_cpus())

    async def main() -> None:
        restriction = hooks.restrict_host_addresses(["127.0.0.1"])
        sinks = [Sink(pid) for pid in pids]
        started = time.monotonic()
        for i, sink in enumerate(sinks):
            await asyncio.sleep(max(0.0, started + i * interval - time.monotonic()))
            await sink.join(port)
        first_frames = asyncio.gather(*(s.got_video.wait() for s in sinks))
        await asyncio.wait_for(first_frames, 30)
        joined.put(len(pids))
        await asyncio.to_thread(stop.wait)
        timelines = [s.timeline() for s in sinks]
        results.put({"timelines": timelines, "packets": sum(s.packets for s in sinks)})
        for sink in sinks:
            await sink.conn.close()
        restriction.release()

    asyncio.run(main())


# --- orchestration ------------------------------------------------------------------------------


async def query_stats(port: int) -> dict[str, Any]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await send(writer, {"op": "stats", "id": "bench"})
    stats = await receive(reader)
    writer.close()
    return stats


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


def trial(mode: str, n: int, window: float, warmup: float, join_rate: float) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    port_queue, results, joined = ctx.Queue(), ctx.Queue(), ctx.Queue()
    ready, stop = ctx.Event(), ctx.Event()
    server = ctx.Process(target=run_server, args=(mode, port_queue), daemon=True)
    server.start()
    port = port_queue.get(timeout=30)
    publisher = ctx.Process(target=run_publisher, args=(port, ready, stop), daemon=True)
    publisher.start()
    ready.wait(30)
    groups = [list(range(i, n, SINK_PROCESSES)) for i in range(min(SINK_PROCESSES, n))]
    interval = len(groups) / join_rate if join_rate > 0 else 0.0
    sinks = [
        ctx.Process(
            target=run_sinks,
            args=(port, [f"s{j}" for j in group], interval, results, joined, stop),
            daemon=True,
        )
        for group in groups
    ]
    for process in sinks:
        process.start()
        time.sleep(interval / len(sinks))  # spread the processes' joins evenly
    for _ in sinks:
        joined.get(timeout=120)
    time.sleep(warmup)
    assert server.pid is not None
    busy0 = cpu_busy_seconds(SERVER_CPU)
    cpu0, stats0, t0 = cpu_seconds(server.pid), asyncio.run(query_stats(port)), time.monotonic()
    time.sleep(window)
    cpu1, stats1, t1 = cpu_seconds(server.pid), asyncio.run(query_stats(port)), time.monotonic()
    busy1 = cpu_busy_seconds(SERVER_CPU)
    rss = rss_mb(server.pid)
    stop.set()
    outcomes = [results.get(timeout=60) for _ in sinks]
    for process in [*sinks, publisher]:
        process.join(10)
    server.terminate()
    server.join(10)
    forwarded = stats1["forwarded"] - stats0["forwarded"]
    return {
        "mode": mode,
        "n": n,
        "cores": (cpu1 - cpu0) / (t1 - t0),
        # other processes on the server's CPU: should be near 0 (else the figures are off)
        "cpu0_other": max(0.0, (busy1[0] - busy0[0]) - (cpu1 - cpu0)) / (t1 - t0),
        # softirq on the server's CPU (not in the server's own time): mostly loopback delivery
        # of the server's datagrams into the sinks' sockets, a receiver-side cost
        "cpu0_softirq": (busy1[1] - busy0[1]) / (t1 - t0),
        "pps": forwarded / (t1 - t0),
        "in_pps": (stats1["in"] - stats0["in"]) / (t1 - t0),
        "us_per_packet": (cpu1 - cpu0) / forwarded * 1e6 if forwarded else float("nan"),
        "rss_mb": rss,
        "timelines": [t for o in outcomes for t in o["timelines"]],
        "sink_packets": sum(o["packets"] for o in outcomes),
    }


def slope(a: dict[str, Any], b: dict[str, Any], key: str) -> float:
    return float((b[key] - a[key]) / (b["n"] - a["n"]))


def join_summary(timelines: list[dict[str, float]]) -> str:
    """Median milliseconds from the join request to each phase, and the p90 to the first frame."""
    parts = []
    for phase in PHASES:
        values = [t[phase] for t in timelines if phase in t]
        if values:
            parts.append(f"{phase}={statistics.median(values):.0f}")
    frames = [t["frame_end"] for t in timelines if "frame_end" in t]
    return (
        f"join_median_ms={statistics.median(frames):.0f} join_p90_ms={percentile(frames, 0.9):.0f} "
        f"join_phases_median_ms=({' '.join(parts)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", default="1,8,32,128")
    parser.add_argument("--baseline-counts", default="1,4")
    parser.add_argument("--window", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument(
        "--join-rate",
        type=float,
        default=0.0,
        help="joins per second over all sinks; 0 (default): a burst, see the module docstring",
    )
    args = parser.parse_args()
    pin(other_cpus())

    runs = []
    for n in [int(x) for x in args.counts.split(",")]:
        result = trial("sfu", n, args.window, args.warmup, args.join_rate)
        runs.append(result)
        print(
            f"sfu n={n} server_cores={result['cores']:.3f} forwarded_pps={result['pps']:.0f} "
            f"pps_per_subscriber={result['pps'] / n:.0f} in_pps={result['in_pps']:.0f} "
            f"us_per_packet={result['us_per_packet']:.1f} rss_mb={result['rss_mb']:.1f} "
            f"cpu0_softirq={result['cpu0_softirq']:.3f} cpu0_other={result['cpu0_other']:.3f} "
            f"{join_summary(result['timelines'])}",
            flush=True,
        )
    baseline = []
    for n in [int(x) for x in args.baseline_counts.split(",")]:
        result = trial("relay", n, args.window, args.warmup, args.join_rate)
        baseline.append(result)
        print(f"relay n={n} server_cores={result['cores']:.3f}", flush=True)

    first, last = runs[0], runs[-1]
    # Marginal server CPU per forwarded packet, times one subscriber's packet rate when the
    # machine is not loaded (n=1): robust to the publisher slowing down under load.
    marginal = (last["cores"] - first["cores"]) / max(last["pps"] - first["pps"], 1.0)
    per_sub = marginal * first["pps"]
    base_per_sub = slope(baseline[0], baseline[-1], "cores")
    frames = [t["frame_end"] for r in runs for t in r["timelines"] if "frame_end" in t]
    max_subs = int((1.0 - first["cores"]) / per_sub) + 1 if per_sub > 0 else 0
    print(
        f"sfu_fanout us_per_packet={last['us_per_packet']:.1f} "
        f"cores_per_subscriber={per_sub:.4f} baseline_cores_per_subscriber={base_per_sub:.4f} "
        f"speedup={base_per_sub / per_sub:.1f} max_subscribers={max_subs} "
        f"join_p90_ms={percentile(frames, 0.9):.0f} "
        f"rss_mb_per_subscriber={slope(first, last, 'rss_mb'):.2f}"
    )


if __name__ == "__main__":
    main()
