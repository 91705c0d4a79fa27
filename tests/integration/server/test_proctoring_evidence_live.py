"""The server's own evidence in a live exam room, with real aiortc publishers through the SFU:
camera frames from a y4m file sampled for the face check, a spoken wav for speech detection, a
stalled camera, tracks removed without the page saying so, a dropped connection that returns."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy
import pytest
from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.contrib.media import MediaPlayer
from av import VideoFrame

from server.services import Services
from tests.conftest import DEMO_PASSWORD
from tests.integration.server.proctoring_kit import base, checked_in, frame
from tests.integration.server.signal_kit import Peer, client_pc, open_now
from tests.support import wait_until
from tests.unit.server.test_proctoring_voice import silence, voiced

pytestmark = [
    pytest.mark.usefixtures("demo"),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
FPS = 5


@pytest.fixture
def extra_env() -> dict[str, str]:
    return {
        "ICE_LOOPBACK_ONLY": "1",
        "ROOM_RESUME_SECONDS": "2",
        "PROCTORING_REQUIRED": "1",
        "PROCTORING_SAMPLE_SECONDS": "1",
        "PROCTORING_FACE_THRESHOLD_SECONDS": "1",
        "PROCTORING_CAMERA_STALL_SECONDS": "2",
        "PROCTORING_SPEECH_SECONDS": "2",
        "PROCTORING_SPEECH_WINDOW_SECONDS": "3",
        "PROCTORING_TRACK_GRACE_SECONDS": "1",
    }


@pytest.fixture
def base_url(base: str) -> str:
    return base


def write_y4m(path: Path, segments: list[tuple[int, float]]) -> Path:
    """A 320x240 y4m video: ``(faces, seconds)`` segments of the proctoring kit's frames."""
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W320 H240 F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for faces, seconds in segments:
            gray = cv2.imdecode(numpy.frombuffer(frame(faces), numpy.uint8), cv2.IMREAD_GRAYSCALE)
            luma = cv2.resize(gray, (320, 240), interpolation=cv2.INTER_AREA)
            chroma = numpy.full((120, 160), 128, numpy.uint8)
            picture = luma.tobytes() + chroma.tobytes() + chroma.tobytes()
            for _ in range(int(seconds * FPS)):
                out.write(b"FRAME\n" + picture)
    return path


def write_wav(path: Path, pcm: numpy.ndarray) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(pcm.tobytes())
    return path


class StallingCamera(VideoStreamTrack):
    """A camera that stops producing frames while ``stalled`` (still published)."""

    def __init__(self) -> None:
        super().__init__()
        self.flowing = asyncio.Event()
        self.flowing.set()

    async def recv(self) -> VideoFrame:
        await self.flowing.wait()
        video: VideoFrame = await super().recv()
        return video


async def publish(peer: Peer, tracks: list[tuple[MediaStreamTrack, str]]) -> None:
    """Offers ``tracks`` with their labels, as the exam page would."""
    peer.publish_pc = pc = client_pc()
    for track, _ in tracks:
        pc.addTrack(track)
    await pc.setLocalDescription(await pc.createOffer())
    labels = {t.mid: label for t, (_, label) in zip(pc.getTransceivers(), tracks, strict=True)}
    before = len(peer.signal.of("publish_answer"))
    await peer.signal.send({"type": "publish", "sdp": pc.localDescription.sdp, "labels": labels})
    answer = await peer.signal.next("publish_answer", after=before)
    await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))


@dataclass
class Exam:
    session: int
    student_id: int
    student: Peer
    proctor: Peer
    http_student: httpx.AsyncClient
    http_proctor: httpx.AsyncClient

    def server_flags(self, *kinds: str) -> list[dict[str, Any]]:
        """Flags the proctor's room was told of, raised by the server, of these kinds."""
        flags = [m["flag"] for m in self.proctor.signal.of("proctoring_flag")]
        return [f for f in flags if f["source"] == "server" and (not kinds or f["kind"] in kinds)]

    def own_track(self, label: str) -> str:
        tracks = [m["track"] for m in self.student.signal.of("track_added")]
        return str([t for t in tracks if t["label"] == label][-1]["track_id"])

    async def state(self) -> str:
        mine = await self.http_student.get(f"{base(self.session)}/me")
        return str(mine.json()["state"])


async def _client(url: str, login: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=f"http://{url}")
    signed = await client.post("/api/auth/login", json={"login": login, "password": DEMO_PASSWORD})
    client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
    return client


@pytest.fixture
async def exam(base_url: str, services: Services) -> AsyncIterator[Exam]:
    """A student checked in, approved and in the exam (nothing published yet), and the proctor
    in the room."""
    session = await open_now(services, "exam")
    http_student = await _client(base_url, "student1.1")
    http_proctor = await _client(base_url, "proctor")
    proctor = await Peer.enter(base_url, session, "proctor")
    student = await Peer.enter(base_url, session, "student1.1")
    me = (await checked_in(http_student, session))["student_id"]
    await http_proctor.post(f"{base(session)}/students/{me}/approve")
    started = await http_student.post(f"{base(session)}/me/start")
    assert started.json()["state"] == "in_exam"
    running = Exam(session, me, student, proctor, http_student, http_proctor)
    try:
        yield running
    finally:
        for peer in (running.student, proctor):
            await peer.close()
        await http_student.aclose()
        await http_proctor.aclose()


async def test_the_camera_and_microphone_are_judged_from_what_the_sfu_forwards(
    exam: Exam, tmp_path: Path
) -> None:
    segments = [(1, 4), (0, 4), (2, 4), (1, 3)]  # one face, none, two, one again
    camera = MediaPlayer(str(write_y4m(tmp_path / "camera.y4m", segments)))
    speech = numpy.concatenate([silence(1), voiced(4), silence(8)])
    microphone = MediaPlayer(str(write_wav(tmp_path / "microphone.wav", speech)))
    await publish(exam.student, [(camera.video, "camera"), (microphone.audio, "microphone")])
    faces = ("no_face", "multiple_faces")
    await wait_until(lambda: len(exam.server_flags(*faces)) >= 2, timeout=25)
    await asyncio.sleep(2)  # the last one-face segment: nothing more
    flagged = exam.server_flags(*faces)
    assert [f["kind"] for f in flagged] == ["no_face", "multiple_faces"]
    assert set(flagged[0]["evidence"]["faces"]) == {0}
    assert set(flagged[1]["evidence"]["faces"]) == {2}
    assert all(f["evidence"]["source"] == "face" for f in flagged)
    spoken = exam.server_flags("speech_detected")
    assert len(spoken) == 1, exam.server_flags()
    assert spoken[0]["evidence"]["speech_seconds"] >= 2
    assert spoken[0]["evidence"]["window_seconds"] == 3
    review = await exam.http_proctor.get(f"{base(exam.session)}/students/{exam.student_id}/review")
    stored = [e["kind"] for e in review.json()["events"] if e.get("source") == "server"]
    assert sorted(stored) == sorted(["no_face", "multiple_faces", "speech_detected"])


async def test_suppressed_browser_flags_are_raised_by_the_server(
    exam: Exam, base_url: str, tmp_path: Path
) -> None:
    """The page posts no flag at all; the server sees the camera stall, the screen share and the
    camera go, and the connection drop and come back."""
    one_face = write_y4m(tmp_path / "face.y4m", [(1, 2)])
    camera = StallingCamera()
    screen = MediaPlayer(str(one_face), loop=True)
    microphone = AudioStreamTrack()  # still published when the connection drops
    tracks = [(camera, "camera"), (screen.video, "screen"), (microphone, "microphone")]
    await publish(exam.student, tracks)
    await wait_until(lambda: exam.proctor.frames["video"] >= 10, timeout=15)

    camera.flowing.clear()  # frozen, yet still published
    await wait_until(lambda: bool(exam.server_flags("camera_lost")), timeout=10)
    stalled = exam.server_flags("camera_lost")[0]
    assert stalled["evidence"]["source"] == "camera_watch" and stalled["evidence"]["seconds"] >= 2
    camera.flowing.set()

    screen_id = exam.own_track("screen")
    await exam.student.signal.send({"type": "unpublish", "track_id": screen_id})
    await wait_until(lambda: bool(exam.server_flags("screen_share_stopped")), timeout=10)
    stopped = exam.server_flags("screen_share_stopped")[0]
    assert stopped["evidence"] | {"removed_at": None} == {
        "source": "room",
        "track_id": screen_id,
        "label": "screen",
        "removed_at": None,
        "grace_seconds": 1,
    }
    await exam.student.signal.send({"type": "unpublish", "track_id": exam.own_track("camera")})
    await wait_until(lambda: len(exam.server_flags("camera_lost")) == 2, timeout=10)
    assert exam.server_flags("camera_lost")[1]["evidence"]["label"] == "camera"

    # The connection drops for longer than the resume grace (2 s here), then the student is back.
    await exam.student.close()
    await asyncio.sleep(3.5)
    exam.student = await Peer.enter(base_url, exam.session, "student1.1")
    await wait_until(lambda: bool(exam.server_flags("connection_dropped")), timeout=10)
    dropped = exam.server_flags("connection_dropped")[0]
    assert dropped["evidence"]["seconds"] >= 3
    assert dropped["at"] == dropped["evidence"]["from"]
    assert await exam.state() == "in_exam"  # the exam resumes
    await publish(exam.student, [(VideoStreamTrack(), "camera")])  # allowed again
    await asyncio.sleep(1.5)
    kinds = [f["kind"] for f in exam.server_flags("camera_lost", "microphone_lost")]
    assert kinds == ["camera_lost", "camera_lost"]  # nothing more for the drop itself
