"""The identity check in a live exam room: a real aiortc publisher's camera shows another person
than the check-in photo (PUT over HTTP); the server's own samples of it raise identity_mismatch."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy
import pytest
from aiortc.contrib.media import MediaPlayer

from server.services import Services
from tests.integration.server.proctoring_kit import CHECKS, base, frame, put_photo
from tests.integration.server.signal_kit import Peer, open_now
from tests.integration.server.test_proctoring_evidence_live import FPS, _client, publish
from tests.support import wait_until
from tests.unit.server.identity_images import cameraman_frame, photo_bytes

pytestmark = [
    pytest.mark.usefixtures("demo"),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@pytest.fixture
def extra_env() -> dict[str, str]:
    return {
        "ICE_LOOPBACK_ONLY": "1",
        "PROCTORING_REQUIRED": "1",
        "PROCTORING_SAMPLE_SECONDS": "1",
        "PROCTORING_FACE_THRESHOLD_SECONDS": "600",
        "PROCTORING_SPEECH_SECONDS": "0",
        "PROCTORING_IDENTITY_SECONDS": "1",
    }


@pytest.fixture
def base_url(base: str) -> str:
    return base


def write_y4m(path: Path, gray: numpy.ndarray, seconds: float) -> Path:
    """A 640x480 y4m video of one grayscale picture."""
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W640 H480 F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        chroma = numpy.full((240, 320), 128, numpy.uint8)
        picture = gray.tobytes() + chroma.tobytes() + chroma.tobytes()
        for _ in range(int(seconds * FPS)):
            out.write(b"FRAME\n" + picture)
    return path


async def test_another_person_in_the_live_camera_raises_identity_mismatch(
    base_url: str, services: Services, tmp_path: Path
) -> None:
    session = await open_now(services, "exam")
    student_http = await _client(base_url, "student1.1")
    proctor_http = await _client(base_url, "proctor")
    proctor = await Peer.enter(base_url, session, "proctor")
    student = await Peer.enter(base_url, session, "student1.1")
    try:
        url = base(session)
        astronaut = photo_bytes("astronaut.png")
        assert (await put_photo(student_http, session, "face", astronaut, "image/png")).is_success
        papers = frame(0, ".png")
        assert (await put_photo(student_http, session, "document", papers, "image/png")).is_success
        me = (await student_http.post(f"{url}/me/submit", json=CHECKS)).json()["student_id"]
        assert (await proctor_http.post(f"{base(session)}/students/{me}/approve")).is_success
        assert (await student_http.post(f"{base(session)}/me/start")).is_success
        other = cv2.resize(cameraman_frame(), (640, 480))
        camera = MediaPlayer(str(write_y4m(tmp_path / "camera.y4m", other, 2)), loop=True)
        assert camera.video is not None
        await publish(student, [(camera.video, "camera")])

        def mismatches() -> list[dict[str, object]]:
            flags = [m["flag"] for m in proctor.signal.of("proctoring_flag")]
            return [f for f in flags if f["kind"] == "identity_mismatch"]

        await wait_until(lambda: bool(mismatches()), timeout=40)
        flag = mismatches()[0]
        assert flag["source"] == "server"
        evidence = flag["evidence"]
        assert isinstance(evidence, dict) and min(evidence["distances"]) > 0.6
    finally:
        for peer in (student, proctor):
            await peer.close()
        await student_http.aclose()
        await proctor_http.aclose()
