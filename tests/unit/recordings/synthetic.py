"""A capture folder as the recorder leaves it, made without a room: solid-colour VP8 video and
Opus audio segments in WebM, with their ``index.jsonl`` journal and ``clock.json``.

Colours are given as YUV so that a test can tell, after processing, which track's picture ended
up where (see ``yuv_at``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

RED = (81, 90, 240)
BLUE = (41, 240, 110)
GREEN = (145, 54, 34)
FPS = 10


@dataclass(frozen=True)
class Piece:
    """One segment of one track: ``seconds`` long from session time ``start``."""

    publisher: str
    label: str
    track_id: str
    start: float
    seconds: float
    colour: tuple[int, int, int] = GREEN
    size: tuple[int, int] = (320, 240)

    @property
    def kind(self) -> str:
        return "audio" if self.label == "microphone" else "video"

    @property
    def key(self) -> str:
        return f"{self.publisher}-{self.label}-{self.track_id}"


def write_capture(capture: Path, pieces: list[Piece], origin: float = 1_700_000_000.0) -> None:
    """Segments, journal and clock for ``pieces`` (numbered per track in start order)."""
    capture.mkdir(parents=True, exist_ok=True)
    (capture / "clock.json").write_text(json.dumps({"origin": origin}))
    numbers: dict[str, int] = {}
    with (capture / "index.jsonl").open("a") as journal:
        for piece in sorted(pieces, key=lambda p: p.start):
            numbers[piece.key] = numbers.get(piece.key, 0) + 1
            name = f"{piece.key}-{numbers[piece.key]:05d}.webm"
            frames = _write(capture / name, piece)
            meta = {
                "track": piece.key,
                "track_id": piece.track_id,
                "publisher_id": piece.publisher,
                "label": piece.label,
                "kind": piece.kind,
                "mime_type": "audio/opus" if piece.kind == "audio" else "video/VP8",
            }
            journal.write(
                json.dumps({"event": "open", "file": name, "start": piece.start, **meta}) + "\n"
            )
            end = piece.start + piece.seconds
            closed = {"event": "close", "file": name, "start": piece.start, "end": end}
            closed |= {"duration": piece.seconds, "frames": frames, "stats": {}, **meta}
            journal.write(json.dumps(closed) + "\n")


def _write(path: Path, piece: Piece) -> int:
    with av.open(str(path), "w", format="webm") as out:
        if piece.kind == "audio":
            return _audio(out, piece.seconds)
        return _video(out, piece)


def _video(out: Any, piece: Piece) -> int:
    stream = out.add_stream("libvpx", rate=FPS)
    stream.width, stream.height = piece.size
    stream.pix_fmt = "yuv420p"
    count = round(piece.seconds * FPS)
    for index in range(count):
        frame = av.VideoFrame(piece.size[0], piece.size[1], "yuv420p")
        for plane, value in zip(frame.planes, piece.colour, strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts, frame.time_base = index, Fraction(1, FPS)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))
    return count


def _audio(out: Any, seconds: float) -> int:
    stream = out.add_stream("libopus", rate=48000)
    stream.layout = "stereo"
    count = round(seconds * 50)
    for index in range(count):
        frame = av.AudioFrame(format="s16", layout="stereo", samples=960)
        frame.planes[0].update(bytes(960 * 4))
        frame.sample_rate, frame.pts, frame.time_base = 48000, index * 960, Fraction(1, 48000)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))
    return count


def yuv_at(frame: Any, x: int, y: int) -> tuple[int, int, int]:
    """The Y, U, V values of a decoded picture at pixel (x, y)."""
    picture = frame.reformat(format="yuv420p")
    values = []
    for index, plane in enumerate(picture.planes):
        shift = 0 if index == 0 else 1
        data = bytes(plane)
        values.append(data[(y >> shift) * plane.line_size + (x >> shift)])
    return values[0], values[1], values[2]


def near(found: tuple[int, int, int], wanted: tuple[int, int, int], slack: int = 12) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(found, wanted, strict=True))


def frame_at(path: Path, seconds: float) -> Any:
    """The first decoded picture at or after ``seconds`` into the file."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        base = stream.time_base or Fraction(1, 1000)
        for frame in container.decode(stream):
            if frame.pts is not None and float(frame.pts * base) >= seconds:
                return frame
    raise AssertionError(f"no frame at {seconds} s in {path}")
