"""The recorder process: joins a room like any client and writes what it receives to disk.

    python -m recordings.recorder --signal-url ws://127.0.0.1:8000/rooms/7/signal \
        --out RECORDINGS_DIR/session-7/rec-3/capture [--max-bytes N --root RECORDINGS_DIR]
    (the room token is read from the first line of standard input, never from the command line)

It signs in with a room token that only lets it subscribe, answers the SFU's subscription
offers on one RTCPeerConnection, takes the SRTP media off its sockets below aiortc's receive
path (recordings.direct_receive: no aiortc jitter buffer, no decoder) and hands the packets to a
``TrackRecorder`` per m-line, synchronously, in the socket callback. It ends when the
room closes its WebSocket, on SIGTERM/SIGINT, or when the disk (or the size cap) is full; the
exit code says which (``recordings.layout.EXIT_*``). Running as its own process means a crash or
kill -9 here cannot touch the SFU, and loses only the segments still open.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from pathlib import Path
from typing import Any

import websockets
from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCSessionDescription,
)

from media import aiortc_hooks as hooks
from recordings import direct_receive
from recordings.capture import TrackRecorder
from recordings.impair import Impairment, ImpairmentSpec
from recordings.layout import (
    EXIT_CRASHED,
    EXIT_DISK_FULL,
    EXIT_JOIN_FAILED,
    EXIT_OK,
    folder_size,
    safe_name,
    write_json,
)
from recordings.segments import DiskBudget, SegmentWriter, TrackInfo

log = logging.getLogger("recordings.recorder")
TICK_SECONDS = 0.2  # also how often frames go to the writer thread
JOIN_TIMEOUT = 15


def _configuration() -> RTCConfiguration:
    """max-bundle, as docs/protocol.md asks of every client. With aiortc's default ("balanced")
    an offer that brings two video m-lines at once puts the second on the first one's own
    transport before BUNDLE is applied; aiortc then leaves it there (it counts as bundled), that
    transport is discarded, and its receiver never starts: its SSRC is never registered, so
    aiortc's router learns it, by payload type, for the only started video receiver."""
    return RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


class JoinFailed(RuntimeError):
    """The room refused the recorder (bad token, room closed) or did not answer."""


class _Line:
    """One m-line of the recorder's connection: its receiver and the track it carries now."""

    def __init__(self, receiver: RTCRtpReceiver, impairment: Impairment | None) -> None:
        self.receiver = receiver
        self.slot: dict[str, Any] | None = None
        self.track: TrackRecorder | None = None
        self.ssrc = 0
        self.impairment = impairment


class Recorder:
    """One recording run; ``run()`` returns the process exit code."""

    def __init__(
        self,
        signal_url: str,
        token: str,
        out: Path,
        budget: DiskBudget,
        segment_seconds: float = 4.0,
        impair: ImpairmentSpec | None = None,
    ) -> None:
        self._url = signal_url
        self._token = token
        self._out = out
        self._segment_seconds = segment_seconds
        self._impair = impair if impair is not None and impair.active else None
        self._origin = time.time()
        self._stop = asyncio.Event()
        self._reason = "stopped"
        self._code = EXIT_OK
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "clock.json", {"origin": self._origin})
        self._writer = SegmentWriter(out, budget, self._fatal_from_thread)
        self._loop = asyncio.get_running_loop()
        self._pc = RTCPeerConnection(_configuration())
        self._lines: dict[str, _Line] = {}
        self._answering = asyncio.Lock()

    def stop(self, reason: str = "stopped") -> None:
        self._reason = reason
        self._stop.set()

    async def run(self) -> int:
        try:
            async with websockets.connect(self._url, max_size=None) as socket:
                await self._join(socket)
                ticker = asyncio.create_task(self._tick())
                reader = asyncio.create_task(self._read(socket))
                await self._stop.wait()
                ticker.cancel()
                if not reader.done():
                    with contextlib.suppress(Exception):
                        await socket.send(json.dumps({"type": "leave"}))
                reader.cancel()
                await asyncio.gather(ticker, reader, return_exceptions=True)
        except (JoinFailed, OSError, websockets.WebSocketException) as exc:
            if self._reason == "stopped" and self._code == EXIT_OK:
                log.error("recorder could not join: %s", exc)
                self._reason, self._code = f"join failed: {exc}", EXIT_JOIN_FAILED
        await self._finish()
        return self._code

    async def _join(self, socket: Any) -> None:
        await socket.send(json.dumps({"type": "join", "token": self._token}))
        async with asyncio.timeout(JOIN_TIMEOUT):
            while True:
                message = json.loads(await socket.recv())
                if message.get("type") == "joined":
                    log.info("joined as %s", message.get("participant_id"))
                    return
                if message.get("type") == "error":
                    raise JoinFailed(str(message.get("message")))

    async def _read(self, socket: Any) -> None:
        try:
            async for raw in socket:
                message = json.loads(raw)
                if message.get("type") == "subscription_offer":
                    await self._answer(socket, message)
        except websockets.ConnectionClosed:
            pass
        finally:
            code = socket.close_code
            log.info("signalling closed (%s)", code)
            self.stop("room_closed" if self._reason == "stopped" else self._reason)

    async def _answer(self, socket: Any, offer: dict[str, Any]) -> None:
        async with self._answering:
            await self._pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
            self._tap_new_receivers()  # before any await: receive() runs in a scheduled task
            self._apply_slots(offer.get("slots", []))
            await self._pc.setLocalDescription(await self._pc.createAnswer())
            for line in self._lines.values():  # gathered by now; bundled: one transport
                direct_receive.receive_in_callback(line.receiver.transport)
            answer = {"type": "subscription_answer", "sdp": self._pc.localDescription.sdp}
            await socket.send(json.dumps(answer))

    def _tap_new_receivers(self) -> None:
        for transceiver in self._pc.getTransceivers():
            mid = transceiver.mid or ""
            if mid in self._lines:
                continue
            line = _Line(transceiver.receiver, Impairment(self._impair) if self._impair else None)
            self._lines[mid] = line

            def on_rtp(packet: direct_receive.RtpHeader, line: _Line = line) -> None:
                if line.impairment is None:
                    self._on_rtp(line, packet)
                else:
                    line.impairment.pass_on(lambda: self._on_rtp(line, packet))

            direct_receive.tap_receiver(transceiver.receiver, on_rtp)

    def _apply_slots(self, slots: list[dict[str, Any]]) -> None:
        """An m-line whose track changed or went away closes its track's segment."""
        by_mid = {str(s.get("mid")): s for s in slots}
        for mid, line in self._lines.items():
            slot = by_mid.get(mid)
            if line.slot is not None and (slot is None or slot != line.slot):
                if line.track is not None:
                    line.track.finish()
                line.track = None
            line.slot = slot

    def _on_rtp(self, line: _Line, packet: direct_receive.RtpHeader) -> None:
        if line.slot is None or self._stop.is_set():
            return
        line.ssrc = packet.ssrc
        if line.track is None:
            line.track = self._track_for(line, packet.payload_type)
            if line.track is None:
                return
        line.track.on_packet(
            packet.sequence_number, packet.timestamp, packet.marker == 1, packet.payload
        )

    def _track_for(self, line: _Line, payload_type: int) -> TrackRecorder | None:
        codec = hooks.receiver_codecs(line.receiver).get(payload_type)
        slot = line.slot
        if codec is None or slot is None:
            return None
        track_id, publisher = str(slot.get("track_id")), str(slot.get("publisher_id"))
        label = str(slot.get("label", ""))
        info = TrackInfo(
            key=safe_name(f"{publisher}-{label}-{track_id}"),
            track_id=track_id,
            publisher_id=publisher,
            label=label,
            kind=str(slot.get("kind", "")),
            mime_type=codec.mimeType,
        )

        def keyframe() -> None:
            direct_receive.spawn(self._send_pli(line))

        try:
            return TrackRecorder(
                info,
                codec.clockRate,
                self._origin,
                self._writer,
                keyframe,
                self._segment_seconds,
                time.time,
            )
        except ValueError as exc:
            log.warning("not recording %s: %s", info.key, exc)
            line.slot = None
            return None

    @staticmethod
    async def _send_pli(line: _Line) -> None:
        with contextlib.suppress(Exception):
            await hooks.send_pli(line.receiver, line.ssrc)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            for line in list(self._lines.values()):
                if line.track is not None:
                    line.track.tick()
            self._writer.flush()

    def _fatal_from_thread(self, reason: str, detail: str) -> None:
        self._loop.call_soon_threadsafe(self._fatal, reason, detail)

    def _fatal(self, reason: str, detail: str) -> None:
        log.error("recording stops: %s (%s)", reason, detail)
        self._code = EXIT_DISK_FULL if reason == "disk_full" else EXIT_CRASHED
        self.stop(reason)

    async def _finish(self) -> None:
        for line in self._lines.values():
            if line.track is not None:
                line.track.finish()
        await asyncio.to_thread(self._writer.stop)
        with contextlib.suppress(Exception):
            await self._pc.close()
        stats = {
            mid: line.impairment.dropped
            for mid, line in self._lines.items()
            if line.impairment is not None
        }
        with contextlib.suppress(OSError):  # the disk may be full: the exit code says it too
            write_json(
                self._out / "stopped.json",
                {"reason": self._reason, "at": time.time(), "impairment_dropped": stats},
            )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m recordings.recorder")
    parser.add_argument("--signal-url", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--root", type=Path, help="RECORDINGS_DIR, counted against --max-bytes")
    parser.add_argument("--max-bytes", type=int, default=None)
    parser.add_argument("--segment-seconds", type=float, default=4.0)
    parser.add_argument("--host-address", action="append", default=[])
    parser.add_argument("--impair", default="", help="tests only: loss=0.05,reorder=0.1,seed=1")
    return parser.parse_args(argv)


async def main(argv: list[str]) -> int:
    args = parse_args(argv)
    token = (await asyncio.to_thread(sys.stdin.readline)).strip()
    if args.host_address:
        hooks.restrict_host_addresses(args.host_address)
    limit = args.max_bytes
    if limit is not None and args.root is not None:
        limit = max(0, limit - await asyncio.to_thread(folder_size, args.root))
    recorder = Recorder(
        args.signal_url,
        token,
        args.out,
        DiskBudget(limit),
        args.segment_seconds,
        ImpairmentSpec.parse(args.impair),
    )
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, recorder.stop)
    return await recorder.run()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    sys.exit(asyncio.run(main(sys.argv[1:])))
