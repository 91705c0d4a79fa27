"""Checked segments to one playable file: decode, lay out, mix, encode (H.264 + AAC in MP4).

This is post-processing, outside the SFU: decoding and encoding are fine here. Every track is
read segment by segment in session time; the output runs on a fixed frame rate from the first
to the last media of the file. A picture is held until its next frame (at most ``HOLD`` seconds,
then the slot goes black); audio gaps become silence; several audio tracks are mixed by
ffmpeg's ``amix``. Pixels are moved with swscale and plain row copies: no numpy needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import av

FPS = 25
RATE = 48000
CHUNK = 960  # audio samples per step: 20 ms
HOLD = 3.0
BYTES_PER_SAMPLE = 4  # s16 stereo


@dataclass(frozen=True)
class Segment:
    """One checked segment of one track."""

    path: Path
    start: float


class Pictures(Protocol):
    """Anything that answers "which picture at session time t" (None: nothing to show)."""

    def at(self, t: float) -> Any | None: ...


class TrackFrames:
    """A video track's decoded pictures in session time, one look-ahead frame."""

    def __init__(self, segments: list[Segment]) -> None:
        self._frames = _video_frames(segments)
        self._next: tuple[float, Any] | None = next(self._frames, None)
        self._current: tuple[float, Any] | None = None

    def at(self, t: float) -> Any | None:
        while self._next is not None and self._next[0] <= t:
            self._current = self._next
            self._next = next(self._frames, None)
        if self._current is None or t - self._current[0] > HOLD:
            return None
        return self._current[1]


class FirstOf:
    """Several tracks in one slot, the first that has a picture wins: a screen share stopped and
    started again is two tracks, and both belong in the screen slot."""

    def __init__(self, tracks: list[Pictures]) -> None:
        self._tracks = tracks

    def at(self, t: float) -> Any | None:
        pictures = [track.at(t) for track in self._tracks]  # every track keeps up with t
        return next((p for p in pictures if p is not None), None)


def _video_frames(segments: list[Segment]) -> Iterator[tuple[float, Any]]:
    for segment in segments:
        with av.open(str(segment.path)) as container:
            stream: Any = container.streams.video[0]
            try:
                for frame in container.decode(stream):
                    if frame.pts is not None:
                        yield segment.start + float(frame.pts * stream.time_base), frame
            except av.FFmpegError:
                continue  # a damaged tail (salvaged segment): keep what decoded


def _audio_chunks(segments: list[Segment]) -> Iterator[tuple[float, bytes]]:
    """s16 stereo 48 kHz PCM in session time."""
    for segment in segments:
        resampler = av.AudioResampler(format="s16", layout="stereo", rate=RATE)
        with av.open(str(segment.path)) as container:
            stream: Any = container.streams.audio[0]
            try:
                for frame in container.decode(stream):
                    if frame.pts is None:
                        continue
                    at = segment.start + float(frame.pts * stream.time_base)
                    for out in resampler.resample(frame):
                        yield at, bytes(out.planes[0])[: out.samples * BYTES_PER_SAMPLE]
                        at += out.samples / RATE
            except av.FFmpegError:
                continue


class AudioLine:
    """One audio track as a gap-free PCM stream from ``t0``: silence where nothing was sent."""

    def __init__(self, segments: list[Segment], t0: float) -> None:
        self._chunks = _audio_chunks(segments)
        self._buffer = bytearray()
        self._cursor = round(t0 * RATE)  # the sample the buffer starts at

    def take(self, samples: int) -> bytes:
        need = samples * BYTES_PER_SAMPLE
        while len(self._buffer) < need:
            item = next(self._chunks, None)
            if item is None:
                self._buffer += bytes(need - len(self._buffer))
                break
            at, pcm = item
            position = round(at * RATE) - (self._cursor + len(self._buffer) // BYTES_PER_SAMPLE)
            if position > CHUNK // 4:  # a gap: silence (small jitter is ignored)
                self._buffer += bytes(position * BYTES_PER_SAMPLE)
            elif position < -CHUNK:  # overlap (segments met early): drop what is already out
                pcm = pcm[min(len(pcm), -position * BYTES_PER_SAMPLE) :]
            self._buffer += pcm
        out = bytes(self._buffer[:need])
        del self._buffer[:need]
        self._cursor += samples
        return out


@dataclass
class Layout:
    """What goes where: ``main`` pictures full size (the first ``screens`` are screen shares,
    then cameras), ``inset`` a small corner picture shown over a screen share, or the two
    ``main`` slots side by side."""

    main: list[Pictures]
    inset: Pictures | None = None
    side_by_side: bool = False
    screens: int = 0


class Composer:
    """Draws one output picture per tick from the layout's tracks."""

    def __init__(self, layout: Layout, width: int, height: int) -> None:
        self._layout = layout
        self.width, self.height = width, height
        half = width // 2 if layout.side_by_side else width
        self._slot = (half - half % 2, height)
        self._black = _black(width, height)

    def draw(self, t: float) -> Any:
        layout = self._layout
        if layout.side_by_side:
            pictures = [track.at(t) for track in layout.main]
            return self._side_by_side(pictures)
        pictures = [track.at(t) for track in layout.main]
        shown = next((i for i, p in enumerate(pictures) if p is not None), None)
        main = pictures[shown] if shown is not None else None
        inset = layout.inset.at(t) if layout.inset is not None else None
        if main is None:
            main, inset = inset, None
        elif shown is not None and shown >= layout.screens:
            inset = None  # the camera is already the main picture: no copy of it in the corner
        if main is None:
            return self._black
        frame = main.reformat(width=self.width, height=self.height, format="yuv420p")
        if inset is not None and inset is not main:
            small_w = (self.width // 4) & ~1
            small_h = (small_w * inset.height // max(inset.width, 1)) & ~1
            small = inset.reformat(width=small_w, height=small_h, format="yuv420p")
            x, y = self.width - small_w - 16, self.height - small_h - 16
            _paste(frame, small, x & ~1, y & ~1)
        return frame

    def _side_by_side(self, pictures: list[Any]) -> Any:
        out = av.VideoFrame(self.width, self.height, "yuv420p")
        _paste(out, self._black, 0, 0)
        w, h = self._slot
        for index, picture in enumerate(pictures[:2]):
            if picture is not None:
                scaled = picture.reformat(width=w, height=h, format="yuv420p")
                _paste(out, scaled, index * w, 0)
        return out


def _black(width: int, height: int) -> Any:
    frame = av.VideoFrame(width, height, "yuv420p")
    for index, value in enumerate((16, 128, 128)):
        plane = frame.planes[index]
        plane.update(bytes([value]) * plane.buffer_size)
    return frame


def _paste(target: Any, source: Any, x: int, y: int) -> None:
    """Copy ``source`` into ``target`` at (x, y), plane by plane, row by row."""
    for index in range(3):
        shift = 0 if index == 0 else 1
        dst, src = target.planes[index], source.planes[index]
        dst_view, src_view = memoryview(dst), memoryview(src)
        w = min(src.width, dst.width - (x >> shift))
        rows = min(src.height, dst.height - (y >> shift))
        for row in range(max(rows, 0)):
            d = (row + (y >> shift)) * dst.line_size + (x >> shift)
            s = row * src.line_size
            dst_view[d : d + w] = src_view[s : s + w]


def encode(
    path: Path,
    composer: Composer | None,
    audio: list[AudioLine],
    t0: float,
    t1: float,
    progress: Callable[[float], None],
) -> None:
    """Write ``path`` (MP4, H.264 + AAC, moov first so playback starts before the download
    ends) covering session time t0..t1."""
    temporary = path.with_name(path.name + ".tmp")
    with av.open(str(temporary), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        video = None
        if composer is not None:
            video = out.add_stream("libx264", rate=FPS)
            video.width, video.height, video.pix_fmt = composer.width, composer.height, "yuv420p"
            video.options = {"preset": "veryfast", "crf": "26", "g": str(FPS * 2)}
        sound = out.add_stream("aac", rate=RATE) if audio else None
        if sound is not None:
            sound.layout = "stereo"
        mixer = _Mixer(len(audio)) if len(audio) > 1 else None
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=RATE)
        ticks = int((t1 - t0) * FPS)
        samples_done = 0
        for tick in range(ticks):
            t = t0 + tick / FPS
            if video is not None and composer is not None:
                frame = composer.draw(t)
                frame.pts, frame.time_base = tick, Fraction(1, FPS)
                out.mux(video.encode(frame))
            target = round((tick + 1) * RATE / FPS)
            while sound is not None and samples_done + CHUNK <= target:
                pcm = [line.take(CHUNK) for line in audio]
                for chunk in _mixed(pcm, mixer, samples_done):
                    for ready in resampler.resample(chunk):
                        out.mux(sound.encode(ready))
                samples_done += CHUNK
            if tick % FPS == 0:
                progress(tick / max(ticks, 1))
        if video is not None:
            out.mux(video.encode(None))
        if sound is not None:
            out.mux(sound.encode(None))
    temporary.replace(path)


def _pcm_frame(pcm: bytes, pts: int) -> Any:
    frame = av.AudioFrame(format="s16", layout="stereo", samples=len(pcm) // BYTES_PER_SAMPLE)
    frame.planes[0].update(pcm)
    frame.sample_rate, frame.pts, frame.time_base = RATE, pts, Fraction(1, RATE)
    return frame


def _mixed(pcm: list[bytes], mixer: _Mixer | None, pts: int) -> list[Any]:
    if mixer is None:
        return [_pcm_frame(pcm[0], pts)]
    return mixer.mix([_pcm_frame(p, pts) for p in pcm])


class _Mixer:
    """ffmpeg's amix over equal chunks of every audio line."""

    def __init__(self, inputs: int) -> None:
        self._graph = av.filter.Graph()
        self._sources = [
            self._graph.add_abuffer(
                format="s16", sample_rate=RATE, layout="stereo", time_base=Fraction(1, RATE)
            )
            for _ in range(inputs)
        ]
        mix = self._graph.add("amix", f"inputs={inputs}:normalize=0:dropout_transition=0")
        self._sink = self._graph.add("abuffersink")
        for index, source in enumerate(self._sources):
            source.link_to(mix, 0, index)
        mix.link_to(self._sink)
        self._graph.configure()

    def mix(self, frames: list[Any]) -> list[Any]:
        for source, frame in zip(self._sources, frames, strict=True):
            source.push(frame)
        out = []
        while True:
            try:
                out.append(self._sink.pull())
            except (av.BlockingIOError, av.EOFError):
                return out
