"""Recording benchmark: a 20 s synthetic lecture recorded through the real SFU path, processed.

    ./scripts/bench recording [--seconds 20]

A Sabaq server (SQLite, demo data, loopback ICE) runs in this process; the tutor publishes
640x360 VP8 with whole-picture motion, a frame counter (a row of binary blocks) and a white flash
every 2 s, plus Opus with a 1 kHz beep on each flash. Recording is started and stopped over the
HTTP API: the server starts the recorder process, then the processing process. Measured:
duration of the published file, A/V offset (beep onsets minus flash onsets in the file), the
recorder process's CPU (user+sys from /proc, over the steady middle of the lecture, per video
stream: the audio stream's cost is included) and processing speed (media seconds per wall
second, from the recorder's exit to "ready"). The published file must open in ffprobe with a
video and an audio stream (its stream summary is printed), or the benchmark fails. The last line
is the summary.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiortc.codecs.vpx as vpx_codec
import av
import httpx
import uvicorn
import websockets
from aiortc import MediaStreamTrack, RTCSessionDescription

from bench._process import cpu_seconds
from media.aiortc_hooks import restrict_host_addresses
from server.app import create_app
from server.db.engine import make_sessionmaker
from server.db.migrate import upgrade
from server.seed import seed_demo
from server.settings import load_settings
from tests.integration.server.signal_kit import client_pc, free_port, open_now
from tests.support import wait_until

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT, FPS = 640, 360, 30
RATE, AUDIO_FRAME = 48000, 960
FLASH_EVERY = 2.0
PASSWORD = "sabaq-demo"


class Clock:
    """The lecture's capture clock, shared by both tracks so flashes and beeps coincide."""

    def __init__(self) -> None:
        self.t0: float | None = None

    async def wait(self, at: float) -> None:
        if self.t0 is None:
            self.t0 = time.time()
        delay = self.t0 + at - time.time()
        if delay > 0:
            await asyncio.sleep(delay)


class LectureVideo(MediaStreamTrack):
    kind = "video"

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        rng = random.Random(7)
        blocks = [[rng.randrange(40, 200) for _ in range(WIDTH // 8)] for _ in range(HEIGHT // 4)]
        rows = [bytes(v for v in row for _ in range(8)) for row in blocks]
        self.texture = b"".join(row for row in rows for _ in range(8))
        self.chroma = bytes([128]) * (WIDTH * HEIGHT // 4)
        self.white = bytes([235]) * (WIDTH * HEIGHT)
        self.n = 0

    async def recv(self) -> av.VideoFrame:
        n = self.n
        self.n += 1
        await self.clock.wait(n / FPS)
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        luma: bytes | bytearray
        if (n % int(FLASH_EVERY * FPS)) < 3:
            luma = self.white
        else:
            offset = (n * 3 % HEIGHT) * WIDTH
            luma = bytearray(self.texture[offset : offset + WIDTH * HEIGHT])
            for bit in range(16):  # the frame counter: 16 blocks, white for 1, black for 0
                value = 235 if n >> bit & 1 else 16
                for row in range(8, 24):
                    start = row * WIDTH + 8 + bit * 24
                    luma[start : start + 16] = bytes([value]) * 16
        frame.planes[0].update(bytes(luma))
        frame.planes[1].update(self.chroma)
        frame.planes[2].update(self.chroma)
        frame.pts, frame.time_base = n * 3000, Fraction(1, 90000)
        return frame


class LectureAudio(MediaStreamTrack):
    kind = "audio"

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.sample = 0
        cycle = int(FLASH_EVERY * RATE)
        beep = int(0.1 * RATE)
        samples = array(
            "h",
            (
                int(12000 * math.sin(2 * math.pi * 1000 * s / RATE)) if s < beep else 0
                for s in range(cycle)
            ),
        )
        self.cycle = samples.tobytes()

    async def recv(self) -> av.AudioFrame:
        start = self.sample
        self.sample += AUDIO_FRAME
        await self.clock.wait(start / RATE)
        offset = (start % (len(self.cycle) // 2)) * 2
        frame = av.AudioFrame(format="s16", layout="mono", samples=AUDIO_FRAME)
        frame.planes[0].update(self.cycle[offset : offset + AUDIO_FRAME * 2])
        frame.sample_rate, frame.pts, frame.time_base = RATE, start, Fraction(1, RATE)
        return frame


async def publish(
    base: str, session: int, http: httpx.AsyncClient, seconds: float, go: asyncio.Event
) -> None:
    """Join (which opens the room), wait for ``go`` (the recorder is in), publish ``seconds``."""
    joined = await http.post(f"/api/sessions/{session}/join")
    token = joined.json()["token"]
    async with websockets.connect(f"ws://{base}/rooms/{session}/signal", max_size=None) as ws:
        await ws.send(json.dumps({"type": "join", "token": token}))
        while json.loads(await ws.recv())["type"] != "room_updated":
            pass  # the recorder's arrival: {"type": "room_updated", "recording": true}
        await go.wait()
        clock = Clock()
        pc = client_pc()  # max-bundle, as docs/protocol.md asks
        video = pc.addTransceiver(LectureVideo(clock), direction="sendonly")
        audio = pc.addTransceiver(LectureAudio(clock), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        labels = {video.mid: "camera", audio.mid: "microphone"}
        await ws.send(
            json.dumps({"type": "publish", "sdp": pc.localDescription.sdp, "labels": labels})
        )
        while (message := json.loads(await ws.recv()))["type"] != "publish_answer":
            pass
        await pc.setRemoteDescription(RTCSessionDescription(message["sdp"], "answer"))
        await asyncio.sleep(seconds)
        await pc.close()
        await ws.send(json.dumps({"type": "leave"}))


def onsets(times: list[float], flags: list[bool], quiet: float) -> list[float]:
    found, last = [], -1e9
    for t, on in zip(times, flags, strict=True):
        if on and t - last > quiet:
            found.append(t)
        if on:
            last = t
    return found


def measure(path: Path) -> tuple[float, float]:
    """(duration, A/V offset in ms: beep onset minus flash onset, averaged)."""
    vt: list[float] = []
    vf: list[bool] = []
    at: list[float] = []
    af: list[bool] = []
    with av.open(str(path)) as container:
        duration = float(container.duration or 0) / 1_000_000
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        for frame in container.decode(*container.streams):
            if isinstance(frame, av.VideoFrame):
                luma = bytes(frame.planes[0])[::97]
                vt.append(float(frame.time))
                vf.append(sum(luma) / len(luma) > 200)
                continue
            for out in resampler.resample(frame):
                pcm = array("h", bytes(out.planes[0])[: out.samples * 2])
                for k in range(0, len(pcm) - 239, 240):  # 5 ms windows
                    at.append(float(out.time) + k / RATE)
                    af.append(max(pcm[k : k + 240]) > 4000)
    flashes, beeps = onsets(vt, vf, 0.5), onsets(at, af, 0.5)
    offsets = []
    for flash in flashes:
        near = min(beeps, key=lambda b: abs(b - flash), default=None)
        if near is not None and abs(near - flash) < 0.5:
            offsets.append((near - flash) * 1000)
    print(f"flashes={len(flashes)} beeps={len(beeps)} pairs={len(offsets)}")
    return duration, statistics.mean(offsets) if offsets else float("nan")


def probe(path: Path) -> list[dict[str, Any]]:
    """The streams ffprobe finds in ``path``; exits with a message unless there is a video and
    an audio stream (a file PyAV reads may still be one that other players refuse)."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        sys.exit("ffprobe not found: install ffmpeg (apt-get install ffmpeg)")
    entries = "stream=index,codec_type,codec_name,width,height,sample_rate,channels,duration"
    result = subprocess.run(
        [ffprobe, "-v", "error", "-show_entries", entries, "-of", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        sys.exit(f"ffprobe could not open {path}: {result.stderr.strip()}")
    streams: list[dict[str, Any]] = json.loads(result.stdout).get("streams", [])
    for stream in streams:
        print("ffprobe stream " + " ".join(f"{k}={v}" for k, v in stream.items()))
    kinds = {stream.get("codec_type") for stream in streams}
    if not {"video", "audio"} <= kinds:
        sys.exit(f"ffprobe: {path} has streams {sorted(map(str, kinds))}, not video and audio")
    return streams


def video_bitrates(root: Path) -> list[float]:
    """Mbit/s of each captured video segment (file size over duration, from the capture index),
    printed so the stream's real bitrate is visible next to the CPU figure."""
    rates = []
    for line in (root / "capture" / "index.jsonl").read_text().splitlines():
        record = json.loads(line)
        segment = root / "archive" / str(record.get("file"))
        if record["event"] == "close" and record["kind"] == "video" and segment.exists():
            rates.append(segment.stat().st_size * 8 / max(record["duration"], 0.1) / 1e6)
    return rates


def pin_publisher_bitrate(bits_per_second: int) -> None:
    """The target is a 1.5 Mbps video stream, but aiortc's VP8 encoder starts at 500 kbps and
    ramps up on REMB; pinning its bounds makes the measured window carry the stated bitrate.
    Only the synthetic publisher encodes in this process (the SFU and recorder never do)."""
    vpx_codec.DEFAULT_BITRATE = bits_per_second
    vpx_codec.MIN_BITRATE = bits_per_second
    vpx_codec.MAX_BITRATE = bits_per_second


async def main(seconds: float) -> None:
    pin_publisher_bitrate(1_500_000)
    work = Path(tempfile.mkdtemp(prefix="sabaq-bench-recording-"))
    # A fresh database numbers recordings from 1 again: start from an empty folder.
    shutil.rmtree(ROOT / "data" / "bench-recordings", ignore_errors=True)
    port = free_port()
    env = {
        "DATA_DIR": str(work / "data"),
        "RECORDINGS_DIR": str(ROOT / "data" / "bench-recordings"),
        "SABAQ_ENV": "test",
        "PORT": str(port),
        "ICE_LOOPBACK_ONLY": "1",
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_KIB": "8192",
    }
    settings = load_settings(env)
    await asyncio.to_thread(upgrade, settings.database_url)
    app = create_app(settings)
    services: Any = app.state.services
    restriction = restrict_host_addresses(["127.0.0.1"])
    async with app.router.lifespan_context(app):
        await seed_demo(make_sessionmaker(services.engine), services.passwords, PASSWORD)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        )
        serving = asyncio.create_task(server.serve())
        await wait_until(lambda: bool(server.started), timeout=30)
        session = await open_now(services, "lecture")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            login = await http.post(
                "/api/auth/login", json={"login": "tutor.akhmetova", "password": PASSWORD}
            )
            http.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            go = asyncio.Event()
            publisher = asyncio.create_task(
                publish(f"127.0.0.1:{port}", session, http, seconds, go)
            )
            await wait_until(lambda: services.rooms.get(session) is not None, timeout=30)
            started = await http.post(f"/api/sessions/{session}/recording/start")
            recording_id = started.json()["id"]
            pid = services.recordings._runs[session].process.pid
            await wait_until(lambda: services.rooms.get(session).rules.recording, timeout=30)
            go.set()
            await asyncio.sleep(5)
            cpu0, wall0 = cpu_seconds(pid), time.monotonic()
            await asyncio.sleep(max(seconds - 8, 2))
            cpu1, wall1 = cpu_seconds(pid), time.monotonic()
            await publisher
            await asyncio.sleep(0.5)
            await http.post(f"/api/sessions/{session}/recording/stop")
            stopped = time.monotonic()
            state: dict[str, Any] = {}
            while state.get("status") not in ("ready", "failed"):
                await asyncio.sleep(0.1)
                state = (await http.get(f"/api/recordings/{recording_id}")).json()
            processing = time.monotonic() - stopped
        server.should_exit = True
        await serving
    restriction.release()
    if state["status"] != "ready":
        print(f"recording failed: {state.get('failure')}")
        sys.exit(1)
    folder = Path(services.recordings.paths(await services.recordings.find(recording_id)).root)
    path = folder / "published" / state["files"][0]["name"]
    probe(path)
    duration, offset = measure(path)
    cpu = (cpu1 - cpu0) / (wall1 - wall0) * 100
    rates = " ".join(f"{rate:.2f}" for rate in video_bitrates(folder))
    print(f"captured video Mbit/s per segment: {rates}")
    print(f"recorder cpu {cpu:.2f}% of one core (one 640x360 VP8 stream + one Opus stream)")
    print(f"processing {processing:.2f} s for {duration:.2f} s of media")
    with contextlib.suppress(ValueError):
        path = path.relative_to(ROOT)
    print(
        f"recording path={path} duration_s={duration:.2f} av_offset_ms={offset:.1f} "
        f"capture_cpu_pct_per_stream={cpu:.2f} process_x_realtime={duration / processing:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    asyncio.run(main(parser.parse_args().seconds))
