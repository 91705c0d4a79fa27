"""The server's face check: OpenCV's shipped Haar cascade on known frames, the threshold, and
frames posted over HTTP turning into flags on the student's timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.proctoring_faces import FaceCheck, HaarFaceCounter
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.proctoring_kit import base, exam, frame

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_the_shipped_cascade_counts_no_one_and_two_faces() -> None:
    count = HaarFaceCounter()
    assert [count(frame(n)) for n in (0, 1, 2)] == [0, 1, 2]
    assert count(frame(1, ".png")) == 1
    assert count(b"\xff\xd8\xff not an image") is None


def test_a_flag_once_the_condition_outlasts_the_threshold() -> None:
    check = FaceCheck(threshold=10)
    key = (1, 9)
    assert check.judge(key, 0, T0) == []
    assert check.judge(key, 0, T0 + timedelta(seconds=6)) == []
    raised = check.judge(key, 0, T0 + timedelta(seconds=12))
    assert [(f.kind, f.at) for f in raised] == [("no_face", T0)]
    assert check.judge(key, 0, T0 + timedelta(seconds=20)) == []  # one flag per episode
    assert check.judge(key, 1, T0 + timedelta(seconds=24)) == []
    assert check.judge(key, 2, T0 + timedelta(seconds=28)) == []
    assert check.judge(key, 1, T0 + timedelta(seconds=32)) == []  # a glimpse: no flag
    check.judge(key, 2, T0 + timedelta(seconds=36))
    two = check.judge(key, 2, T0 + timedelta(seconds=47))
    assert [(f.kind, f.evidence["faces"]) for f in two] == [("multiple_faces", [2, 2])]


@pytest.mark.usefixtures("demo")
async def test_posted_frames_become_server_flags(
    services: Services, client_for: ClientFactory
) -> None:
    services.proctoring._sources[:] = [FaceCheck(threshold=0)]
    session = await exam(services)
    student = await client_for("student1.1")
    assert (await student.post(f"{base(session)}/me/begin")).status_code == 200

    async def post(body: bytes) -> list[str]:
        sent = await student.post(
            f"{base(session)}/me/frames", content=body, headers={"Content-Type": "image/jpeg"}
        )
        assert sent.status_code == 200, sent.text
        return [f["kind"] for f in sent.json()["flags"]]

    assert await post(frame(1)) == []
    assert await post(frame(0)) == ["no_face"]
    assert await post(frame(2)) == ["multiple_faces"]
    junk = await student.post(f"{base(session)}/me/frames", content=b"junk")
    assert junk.status_code in (422, 429)
    big = await student.post(f"{base(session)}/me/frames", content=b"\0" * (600 * 1024))
    assert big.status_code == 413
    proctor = await client_for("proctor")
    me = (await student.get(f"{base(session)}/me")).json()["student_id"]
    events = (await proctor.get(f"{base(session)}/students/{me}/review")).json()["events"]
    assert [(e["source"], e["kind"]) for e in events] == [
        ("server", "no_face"),
        ("server", "multiple_faces"),
    ]
    assert events[0]["evidence"]["source"] == "face"
