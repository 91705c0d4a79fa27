"""Fan-out benchmark: one publisher through the SFU to N subscribers in other processes.

    .venv/bin/python bench/sfu_fanout.py [--counts 1,8,32,128] [--window 5]

The server process (MediaRoom behind a tiny JSON-lines TCP signalling) is pinned to CPU 0; the
publisher (640x360 VP8 at 30 fps with moving content, plus Opus) and the subscriber sinks run in
other processes on the other CPUs. Sinks keep ICE/DTLS/RTCP alive but drop SRTP media at the ICE
layer after counting it. Server CPU (user + sys) and RSS come from /proc for the server process
alone. The baseline is aiortc's MediaRelay (decode once, encode per subscriber) on the same setup.
The last line is the summary: us_per_packet is server CPU per forwarded packet at the largest
N; cores_per_subscriber is the marginal CPU per forwarded packet times one subscriber's packet
rate (n=1); the baseline's is the slope of server cores over its subscriber counts;
max_subscribers is how many subscribers one core would serve; join_p90_ms runs from a sink's join
request to its first video packet (a keyframe); rss_mb_per_subscriber is the RSS slope.
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
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.contrib.media import MediaRelay
from av import VideoFrame

from media import aiortc_hooks as hooks
from media import messages as m
from media.room import MediaConfig, MediaRoom

WIDTH, HEIGHT = 640, 360
TICK = os.sysconf("SC_CLK_TCK")
SERVER_CPU = 0


# --- process helpers --------------------------------------------------------------------------


def pin(cpus: set[int]) -> None:
    available = os.sched_getaffinity(0)
    chosen = cpus & available or available
    os.sched_setaffinity(0, chosen)


def other_cpus() -> set[int]:
    cpus = os.sched_getaffinity(0) - {SERVER_CPU}
    return cpus or {SERVER_CPU}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


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
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


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


class Sink:
    def __init__(self, pid: str) -> None:
        self.pid = pid
        self.conn = pc()
        self.packets = 0
        self.video_pt = -1
        self.first_video: float | None = None
        self.got_video = asyncio.Event()
        self.joined_at = 0.0

    def on_rtp(self, data: bytes) -> None:
        self.packets += 1
        if self.first_video is None and data[1] & 0x7F == self.video_pt:
            self.first_video = time.monotonic()
            self.got_video.set()

    async def join(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        self.joined_at = time.monotonic()
        await send(writer, {"op": "join", "id": self.pid})
        offer = await receive(reader)
        video = next(line for line in offer["sdp"].splitlines() if line.startswith("m=video"))
        self.video_pt = int(video.split()[3])
        await self.conn.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
        ice = self.conn.getTransceivers()[0].receiver.transport.transport
        hooks.drop_srtp_media(ice, self.on_rtp)
        await self.conn.setLocalDescription(await self.conn.createAnswer())
        sdp = self.conn.localDescription.sdp
        await send(writer, {"op": "answer", "id": self.pid, "sdp": sdp})
        self.writer = writer


def run_sinks(port: int, pids: list[str], results: Any, joined: Any, stop: Any) -> None:
    pin(other_cpus())

    async def main() -> None:
        restriction = hooks.restrict_host_addresses(["127.0.0.1"])
        sinks = [Sink(pid) for pid in pids]
        for sink in sinks:
            await sink.join(port)
        first_frames = asyncio.gather(*(s.got_video.wait() for s in sinks))
        await asyncio.wait_for(first_frames, 30)
        joined.put(len(pids))
        await asyncio.to_thread(stop.wait)
        joins = [(s.first_video - s.joined_at) * 1000 for s in sinks if s.first_video]
        results.put({"joins_ms": joins, "packets": sum(s.packets for s in sinks)})
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


def trial(mode: str, n: int, window: float, warmup: float) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    port_queue, results, joined = ctx.Queue(), ctx.Queue(), ctx.Queue()
    ready, stop = ctx.Event(), ctx.Event()
    server = ctx.Process(target=run_server, args=(mode, port_queue), daemon=True)
    server.start()
    port = port_queue.get(timeout=30)
    publisher = ctx.Process(target=run_publisher, args=(port, ready, stop), daemon=True)
    publisher.start()
    ready.wait(30)
    groups = [list(range(i, n, 4)) for i in range(min(4, n))]
    sinks = [
        ctx.Process(
            target=run_sinks,
            args=(port, [f"s{j}" for j in group], results, joined, stop),
            daemon=True,
        )
        for group in groups
    ]
    for process in sinks:
        process.start()
    for _ in sinks:
        joined.get(timeout=120)
    time.sleep(warmup)
    assert server.pid is not None
    cpu0, stats0, t0 = cpu_seconds(server.pid), asyncio.run(query_stats(port)), time.monotonic()
    time.sleep(window)
    cpu1, stats1, t1 = cpu_seconds(server.pid), asyncio.run(query_stats(port)), time.monotonic()
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
        "pps": forwarded / (t1 - t0),
        "in_pps": (stats1["in"] - stats0["in"]) / (t1 - t0),
        "us_per_packet": (cpu1 - cpu0) / forwarded * 1e6 if forwarded else float("nan"),
        "rss_mb": rss,
        "joins_ms": [j for o in outcomes for j in o["joins_ms"]],
        "sink_packets": sum(o["packets"] for o in outcomes),
    }


def slope(a: dict[str, Any], b: dict[str, Any], key: str) -> float:
    return float((b[key] - a[key]) / (b["n"] - a["n"]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", default="1,8,32,128")
    parser.add_argument("--baseline-counts", default="1,4")
    parser.add_argument("--window", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    pin(other_cpus())

    runs = []
    for n in [int(x) for x in args.counts.split(",")]:
        result = trial("sfu", n, args.window, args.warmup)
        runs.append(result)
        print(
            f"sfu n={n} server_cores={result['cores']:.3f} forwarded_pps={result['pps']:.0f} "
            f"pps_per_subscriber={result['pps'] / n:.0f} in_pps={result['in_pps']:.0f} "
            f"us_per_packet={result['us_per_packet']:.1f} rss_mb={result['rss_mb']:.1f} "
            f"join_median_ms={statistics.median(result['joins_ms']):.0f}",
            flush=True,
        )
    baseline = []
    for n in [int(x) for x in args.baseline_counts.split(",")]:
        result = trial("relay", n, args.window, args.warmup)
        baseline.append(result)
        print(f"relay n={n} server_cores={result['cores']:.3f}", flush=True)

    first, last = runs[0], runs[-1]
    # Marginal server CPU per forwarded packet, times one subscriber's packet rate when the
    # machine is not loaded (n=1): robust to the publisher slowing down under load.
    marginal = (last["cores"] - first["cores"]) / max(last["pps"] - first["pps"], 1.0)
    per_sub = marginal * first["pps"]
    base_per_sub = slope(baseline[0], baseline[-1], "cores")
    joins = sorted(j for r in runs for j in r["joins_ms"])
    p90 = joins[int(0.9 * (len(joins) - 1))]
    max_subs = int((1.0 - first["cores"]) / per_sub) + 1 if per_sub > 0 else 0
    print(
        f"sfu_fanout us_per_packet={last['us_per_packet']:.1f} "
        f"cores_per_subscriber={per_sub:.4f} baseline_cores_per_subscriber={base_per_sub:.4f} "
        f"speedup={base_per_sub / per_sub:.1f} max_subscribers={max_subs} "
        f"join_p90_ms={p90:.0f} rss_mb_per_subscriber={slope(first, last, 'rss_mb'):.2f}"
    )


if __name__ == "__main__":
    main()
