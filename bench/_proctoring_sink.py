"""The proctor of bench/proctoring.py: one room WebSocket, one subscribe connection for every
student's camera, screen and microphone, packets counted per stream and dropped at the socket.

The subscription offers' `slots` say which publisher and label each mid carries; the offer's
`a=ssrc` lines give each mid's SSRC, so the clear RTP header of each datagram is enough to count
packets and bytes per stream (`media.aiortc_hooks.drop_srtp_datagrams`: no SRTP decryption, no
jitter buffer, no decoding; ICE, DTLS and RTCP stay real). `proctoring_flag` messages are
timed on arrival (time.monotonic, comparable across processes on Linux) by their `detail`.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from typing import Any

from aiortc import RTCSessionDescription

from bench._process import BenchFailure
from media import aiortc_hooks as hooks
from tests.integration.server.signal_kit import SignalClient, client_pc

Stream = tuple[str, str]  # (publisher participant id, label)
MIN_PPS = {"camera": 30.0, "screen": 3.0, "microphone": 40.0}


class SdpCapHit(RuntimeError):
    """The server refused the proctor's subscription answer for its number of media sections
    (the SFU's SDP cap, 16 before it was lifted for subscriptions)."""


def ssrcs_by_mid(sdp: str) -> dict[str, set[int]]:
    """Every m-section's mid and the SSRCs its a=ssrc lines announce."""
    found: dict[str, set[int]] = {}
    for section in sdp.split("\nm=")[1:]:
        mid = re.search(r"^a=mid:(\S+)", section, re.M)
        if mid is not None:
            found[mid.group(1)] = {int(s) for s in re.findall(r"^a=ssrc:(\d+) ", section, re.M)}
    return found


class ProctorSink:
    """The proctor's side of the room: answers offers, counts media, times flags."""

    def __init__(self, signal: SignalClient) -> None:
        self.signal = signal
        self.pc = client_pc()  # max-bundle, as docs/protocol.md asks
        self.packets: Counter[int] = Counter()
        self.octets: Counter[int] = Counter()
        self.streams: dict[int, Stream] = {}  # ssrc -> stream, for the current offer's slots
        self.flags: dict[str, float] = {}  # detail -> arrival time
        self.server_flags: Counter[str] = Counter()
        self.errors: list[dict[str, Any]] = []
        self._hooked = False
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        signal.on_message.append(self._on_message)

    @classmethod
    async def enter(cls, ws_base: str, session: int, token: str) -> ProctorSink:
        signal = await SignalClient.connect(ws_base, session)
        sink = cls(signal)
        await signal.join(token)
        return sink

    def _on_message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "proctoring_flag":
            flag = message["flag"]
            if flag.get("source") == "browser":
                self.flags.setdefault(flag.get("detail", ""), time.monotonic())
            else:
                self.server_flags[flag.get("kind", "?")] += 1
        elif kind == "subscription_offer":
            self._tasks.append(asyncio.create_task(self._answer(message)))
        elif kind == "error":
            self.errors.append(message)

    async def _answer(self, offer: dict[str, Any]) -> None:
        async with self._lock:
            await self.pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
            await self.pc.setLocalDescription(await self.pc.createAnswer())
            if not self._hooked:
                ice = self.pc.getTransceivers()[0].receiver.transport.transport
                hooks.drop_srtp_datagrams(ice, self._on_rtp)
                self._hooked = True
            by_mid = ssrcs_by_mid(offer["sdp"])
            streams = {}
            for slot in offer["slots"]:
                for ssrc in by_mid.get(slot["mid"], ()):
                    streams[ssrc] = (slot["publisher_id"], slot["label"])
            self.streams = streams
            answer = {"type": "subscription_answer", "sdp": self.pc.localDescription.sdp}
            await self.signal.send(answer)

    def _on_rtp(self, data: bytes) -> None:
        ssrc = int.from_bytes(data[8:12], "big")
        self.packets[ssrc] += 1
        self.octets[ssrc] += len(data)

    def snapshot(self) -> tuple[Counter[int], Counter[int]]:
        return Counter(self.packets), Counter(self.octets)

    def flowing(self) -> int:
        """How many known streams delivered a packet so far."""
        return sum(1 for ssrc in self.streams if self.packets[ssrc] > 0)

    async def wait_streams(self, expected: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.flowing() < expected:
            for error in self.errors:
                if error.get("code") == "media_sdp" and "media sections" in error["message"]:
                    raise SdpCapHit(f"the server refused the proctor's answer: {error['message']}")
            if time.monotonic() > deadline:
                raise BenchFailure(
                    f"the proctor receives {self.flowing()} of {expected} streams after "
                    f"{timeout:.0f} s; room errors: {self.errors[:3]}"
                )
            await asyncio.sleep(0.2)

    def rates(
        self,
        before: tuple[Counter[int], Counter[int]],
        after: tuple[Counter[int], Counter[int]],
        wall: float,
    ) -> dict[Stream, float]:
        """Packets per second per stream (RTX SSRCs of a stream add to it)."""
        rates: dict[Stream, float] = {}
        for ssrc, stream in self.streams.items():
            rates[stream] = rates.get(stream, 0.0) + (after[0][ssrc] - before[0][ssrc]) / wall
        return rates

    def kbps(
        self,
        before: tuple[Counter[int], Counter[int]],
        after: tuple[Counter[int], Counter[int]],
        wall: float,
        label: str,
    ) -> float:
        """Mean kbit/s (RTP packets as sent) of the streams with ``label``."""
        ssrcs = [s for s, (_, lab) in self.streams.items() if lab == label]
        publishers = {self.streams[s][0] for s in ssrcs}
        total = sum(after[1][s] - before[1][s] for s in ssrcs)
        return total * 8 / wall / 1000 / max(1, len(publishers))

    def missing(self, rates: dict[Stream, float], expected: int) -> list[str]:
        """What did not flow well enough to count as live media."""
        problems = []
        if len(rates) < expected:
            problems.append(f"the proctor was offered {len(rates)} of {expected} streams")
        for (publisher, label), pps in sorted(rates.items()):
            if pps < MIN_PPS.get(label, 1.0):
                problems.append(f"{label} of {publisher}: {pps:.1f} packets/s")
        return problems

    def server_flag_kinds(self) -> dict[str, int]:
        return dict(self.server_flags)

    async def close(self) -> None:
        self.signal.on_message.remove(self._on_message)  # no new answers from here on
        await self.signal.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.pc.close()
