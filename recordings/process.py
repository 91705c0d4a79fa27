"""Post-processing of one recording, in phases that each leave a marker and can be re-run.

    python -m recordings.process RECORDINGS_DIR/session-7/rec-3 --layout lecture|exam

1. archive: finished segments move from capture/ to archive/; a ``.part`` the recorder left open
   (crash, kill -9, full disk) is salvaged: its readable packets are remuxed into a whole file.
2. check: every archived segment is decoded; what does not decode is left out (and listed).
3. process: one file per session (lecture: screen or presenter large, camera inset, all audio
   mixed) or one per student (exam: camera and screen side by side), into work/.
4. publish: the files move to published/; published.json lists them for the server.

A phase whose marker exists is skipped, so a re-run after a failure (or a crash of this
process) resumes where it stopped; ``--force PHASE`` redoes a phase and the ones after it.
progress.json holds the phase and percent; failed.json the reason when a phase fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av

from recordings.compose import (
    AudioLine,
    Composer,
    FirstOf,
    Layout,
    Pictures,
    Segment,
    TrackFrames,
    encode,
)
from recordings.layout import PHASES, RecordingPaths, read_index, read_json, write_json

WEIGHTS = {"archive": (0, 5), "check": (5, 25), "process": (25, 95), "publish": (95, 100)}
MAX_SIZE = (1280, 720)
Progress = Callable[[float], None]


class ProcessingError(RuntimeError):
    """A phase cannot complete; the message is shown to the tutor."""


def archive(paths: RecordingPaths, _layout: str, progress: Progress) -> dict[str, Any]:
    index = read_index(paths.index)
    clock = read_json(paths.capture / "clock.json") or {}
    paths.archive.mkdir(parents=True, exist_ok=True)
    closed = {r["file"] for r in index if r.get("event") == "close"}
    opened = [r for r in index if r.get("event") == "open"]
    segments = []
    for number, record in enumerate(opened):
        name = str(record["file"])
        final, source = paths.archive / name, paths.capture / name
        part = paths.capture / (name + ".part")
        salvaged = False
        if name in closed and source.exists():
            os.replace(source, final)
        elif name not in closed and part.exists() and not final.exists():
            salvaged = salvage(part, final)
        if final.exists():
            segments.append({**record, "salvaged": salvaged or name not in closed})
        progress((number + 1) / max(len(opened), 1))
    return {"origin": clock.get("origin", 0.0), "segments": segments}


def salvage(part: Path, final: Path) -> bool:
    """Remux the packets that can be read from a segment cut short; False if none."""
    temporary = final.with_name(final.name + ".tmp")
    written = 0
    try:
        with av.open(str(part)) as source:
            stream = source.streams[0]
            kind = "matroska" if final.suffix == ".mkv" else "webm"
            with av.open(str(temporary), "w", format=kind) as out:
                target = out.add_stream_from_template(stream)
                try:
                    for packet in source.demux(stream):
                        if packet.dts is None or packet.size == 0:
                            continue
                        packet.stream = target
                        out.mux(packet)
                        written += 1
                except av.FFmpegError:
                    pass  # the cut: everything before it is kept
    except (av.FFmpegError, OSError, IndexError):
        temporary.unlink(missing_ok=True)
        return False
    if written == 0:
        temporary.unlink(missing_ok=True)
        return False
    os.replace(temporary, final)
    return True


def check(paths: RecordingPaths, _layout: str, progress: Progress) -> dict[str, Any]:
    archived = read_json(paths.marker("archive")) or {}
    good, bad = [], []
    items = archived.get("segments", [])
    for number, record in enumerate(items):
        frames, last = _decode_all(paths.archive / str(record["file"]))
        if frames == 0:
            bad.append({"file": record["file"], "reason": "nothing decodes"})
        else:
            good.append({**record, "frames": frames, "end": float(record["start"]) + last})
        progress((number + 1) / max(len(items), 1))
    return {"origin": archived.get("origin", 0.0), "segments": good, "left_out": bad}


def _decode_all(path: Path) -> tuple[int, float]:
    """Frames that decode, and the time just after the last one (seconds from the start)."""
    frames, last = 0, 0.0
    try:
        with av.open(str(path)) as container:
            stream: Any = container.streams[0]
            try:
                frame: Any
                for frame in container.decode(stream):
                    frames += 1
                    if frame.pts is not None:
                        step = 1 / 30 if stream.type == "video" else frame.samples / 48000
                        last = max(last, float(frame.pts * stream.time_base) + step)
            except av.FFmpegError:
                pass
    except (av.FFmpegError, OSError):
        return 0, 0.0
    return frames, last


def process(paths: RecordingPaths, layout: str, progress: Progress) -> dict[str, Any]:
    checked = read_json(paths.marker("check")) or {}
    tracks: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in checked.get("segments", []):
        tracks[str(record["track"])].append(record)
    if not tracks:
        raise ProcessingError("nothing was recorded that decodes")
    paths.work.mkdir(parents=True, exist_ok=True)
    plans = _exam_plans(tracks) if layout == "exam" else [_lecture_plan(tracks)]
    files = []
    for number, (name, role, participant, chosen) in enumerate(plans):

        def part(fraction: float, number: int = number) -> None:
            progress((number + fraction) / len(plans))

        files.append(_render(paths, name, role, participant, chosen, part))
    t0 = min(f["t0"] for f in files)
    return {"origin": checked.get("origin", 0.0), "t0": t0, "files": files}


Plan = tuple[str, str, str | None, dict[str, list[dict[str, Any]]]]


def _lecture_plan(tracks: dict[str, list[dict[str, Any]]]) -> Plan:
    return ("lecture.mp4", "lecture", None, tracks)


def _exam_plans(tracks: dict[str, list[dict[str, Any]]]) -> list[Plan]:
    by_publisher: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(dict)
    for key, records in tracks.items():
        by_publisher[str(records[0]["publisher_id"])][key] = records
    return [
        (f"student-{publisher}.mp4", "student", publisher, chosen)
        for publisher, chosen in sorted(by_publisher.items())
        if any(r[0]["kind"] == "video" for r in chosen.values())
    ]


def _render(
    paths: RecordingPaths,
    name: str,
    role: str,
    participant: str | None,
    tracks: dict[str, list[dict[str, Any]]],
    progress: Progress,
) -> dict[str, Any]:
    t0 = min(float(r["start"]) for records in tracks.values() for r in records)
    t1 = max(float(r["end"]) for records in tracks.values() for r in records)

    def segments(records: list[dict[str, Any]]) -> list[Segment]:
        ordered = sorted(records, key=lambda r: float(r["start"]))
        return [Segment(paths.archive / str(r["file"]), float(r["start"])) for r in ordered]

    video = {k: r for k, r in tracks.items() if r[0]["kind"] == "video"}
    audio = [AudioLine(segments(r), t0) for r in tracks.values() if r[0]["kind"] == "audio"]
    composer = _composer(video, segments, side_by_side=role == "student")
    encode(paths.work / name, composer, audio, t0, t1, progress)
    return {"name": name, "role": role, "participant_id": participant, "t0": t0, "t1": t1}


def _composer(
    video: dict[str, list[dict[str, Any]]],
    segments: Callable[[list[dict[str, Any]]], list[Segment]],
    side_by_side: bool,
) -> Composer | None:
    if not video:
        return None

    def duration(records: list[dict[str, Any]]) -> float:
        return sum(float(r["end"]) - float(r["start"]) for r in records)

    screens = sorted((r for r in video.values() if r[0]["label"] == "screen"), key=duration)
    cameras = sorted((r for r in video.values() if r[0]["label"] != "screen"), key=duration)
    screens.reverse()
    cameras.reverse()

    def slot(chosen: list[list[dict[str, Any]]]) -> Pictures:
        # A track that stopped and started again is a new track: all of them share the slot.
        return FirstOf([TrackFrames(segments(r)) for r in chosen])

    if side_by_side:
        return Composer(Layout([slot(cameras), slot(screens)], side_by_side=True), 2 * 640, 360)
    mains: list[Pictures] = [TrackFrames(segments(r)) for r in screens + cameras]
    inset = slot(cameras) if screens and cameras else None
    width, height = _size(segments((screens or cameras)[0])[0].path)
    return Composer(Layout(mains, inset, screens=len(screens)), width, height)


def _size(path: Path) -> tuple[int, int]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        width, height = int(stream.codec_context.width), int(stream.codec_context.height)
    if not width or not height:
        return 640, 360
    scale = min(1.0, MAX_SIZE[0] / width, MAX_SIZE[1] / height)
    return int(width * scale) & ~1, int(height * scale) & ~1


def publish(paths: RecordingPaths, _layout: str, progress: Progress) -> dict[str, Any]:
    processed = read_json(paths.marker("process")) or {}
    paths.published.mkdir(parents=True, exist_ok=True)
    files = []
    for item in processed.get("files", []):
        source, target = paths.work / item["name"], paths.published / item["name"]
        if source.exists():
            os.replace(source, target)
        if not target.exists():
            raise ProcessingError(f"{item['name']} is missing: process again")
        duration = float(item["t1"]) - float(item["t0"])
        files.append({**item, "bytes": target.stat().st_size, "duration": round(duration, 3)})
    progress(1.0)
    origin = float(processed.get("origin", 0.0)) + float(processed.get("t0", 0.0))
    longest = max((f["duration"] for f in files), default=0.0)
    return {"files": files, "duration": longest, "media_origin": origin}


PHASE_WORK: dict[str, Callable[[RecordingPaths, str, Progress], dict[str, Any]]] = {
    "archive": archive,
    "check": check,
    "process": process,
    "publish": publish,
}


def run(root: Path, layout: str, force: str | None = None) -> int:
    """All phases not yet done; 0 when published, 2 (and failed.json) when a phase failed."""
    paths = RecordingPaths(root)
    paths.failed.unlink(missing_ok=True)
    forced = PHASES[PHASES.index(force) :] if force else ()
    last_write = 0.0
    for phase in PHASES:
        low, high = WEIGHTS[phase]

        def progress(fraction: float, phase: str = phase, low: int = low, high: int = high) -> None:
            nonlocal last_write
            now = time.monotonic()
            if now - last_write >= 0.5 or fraction >= 1:
                last_write = now
                percent = int(low + (high - low) * min(max(fraction, 0.0), 1.0))
                write_json(paths.progress, {"phase": phase, "percent": percent})

        if paths.marker(phase).exists() and phase not in forced:
            continue
        progress(0.0)
        try:
            write_json(paths.marker(phase), PHASE_WORK[phase](paths, layout, progress))
        except Exception as exc:
            write_json(paths.failed, {"phase": phase, "reason": f"{phase}: {exc}"})
            return 2
    write_json(paths.progress, {"phase": "publish", "percent": 100})
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m recordings.process")
    parser.add_argument("root", type=Path)
    parser.add_argument("--layout", choices=("lecture", "exam"), default="lecture")
    parser.add_argument("--force", choices=PHASES, default=None)
    parser.add_argument("--nice", type=int, default=0, help="lower this process's priority")
    args = parser.parse_args(argv)
    if args.nice:
        os.nice(args.nice)
    return run(args.root, args.layout, args.force)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
