"""The identity check with dlib's real models on real photos: the same person passes, another
person is flagged once after two consecutive checks, a photo without a face disables comparing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import pytest

from server.db.models import CheckinState
from server.errors import ConfigError, ValidationFailed
from server.proctoring_faces import CheckinKey, ExamChecks
from server.proctoring_identity import FaceEncoder, FacesAndIdentity, IdentityCheck
from server.settings import load_settings
from tests.unit.server.identity_images import (
    DATA,
    astronaut_frame,
    cameraman_frame,
    jpeg,
    photo_bytes,
    sample,
)

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
KEY: CheckinKey = (1, 9)


@pytest.fixture(scope="module")
def encoder() -> FaceEncoder:
    return FaceEncoder()  # loading the models takes seconds: once for the module


def check_with(encoder: FaceEncoder, photo: bytes | None, every: float = 30) -> IdentityCheck:
    photos: dict[CheckinKey, tuple[str, bytes]] = {}
    if photo is not None:
        photos[KEY] = ("face-1.png", photo)

    async def stored(key: CheckinKey) -> tuple[str, bytes] | None:
        return photos.get(key)

    return IdentityCheck(stored, encoder, every_seconds=every)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_the_photos_hold_the_faces_the_tests_rely_on(encoder: FaceEncoder) -> None:
    astronaut = encoder.describe_image(photo_bytes("astronaut.png"))
    assert astronaut is not None and astronaut.descriptor is not None
    assert astronaut.descriptor.shape == (128,)
    cameraman = encoder.describe_gray(sample(cameraman_frame()))
    assert cameraman.faces == 1
    coffee = encoder.describe_image(photo_bytes("coffee.png"))
    assert coffee is not None and coffee.faces == 0
    assert encoder.describe_image(b"\xff\xd8\xff not an image") is None


async def test_the_same_person_raises_nothing(encoder: FaceEncoder) -> None:
    check = check_with(encoder, photo_bytes("astronaut.png"))
    assert await check.prepare(KEY, at(0)) == []
    for n in range(3):
        assert await check.observe_gray(KEY, sample(astronaut_frame()), at(30 * n)) == []
    assert await check.observe(KEY, jpeg(astronaut_frame()), at(90)) == []
    assert check.comparisons == 4


async def test_another_person_is_flagged_once_after_two_checks(encoder: FaceEncoder) -> None:
    check = check_with(encoder, photo_bytes("astronaut.png"))
    other = sample(cameraman_frame())
    assert await check.observe_gray(KEY, other, at(0)) == []
    assert await check.observe_gray(KEY, other, at(10)) == []  # not due: once every 30 s
    assert check.comparisons == 1
    raised = await check.observe_gray(KEY, other, at(30))
    assert [(f.kind, f.at) for f in raised] == [("identity_mismatch", at(0))]
    evidence = raised[0].evidence
    assert evidence["source"] == "identity" and evidence["threshold"] == 0.6
    assert len(evidence["distances"]) == 2 and min(evidence["distances"]) > 0.6
    assert evidence["times"] == ["2026-11-27T10:00:00Z", "2026-11-27T10:00:30Z"]
    assert await check.observe_gray(KEY, other, at(60)) == []  # one flag per episode
    assert await check.observe_gray(KEY, sample(astronaut_frame()), at(90)) == []  # over
    assert await check.observe_gray(KEY, other, at(120)) == []
    again = await check.observe_gray(KEY, other, at(150))
    assert [f.kind for f in again] == ["identity_mismatch"]


async def test_a_single_stray_mismatch_raises_nothing(encoder: FaceEncoder) -> None:
    check = check_with(encoder, photo_bytes("astronaut.png"), every=1)
    assert await check.observe_gray(KEY, sample(cameraman_frame()), at(0)) == []
    assert await check.observe_gray(KEY, sample(astronaut_frame()), at(1)) == []
    assert await check.observe_gray(KEY, sample(cameraman_frame()), at(2)) == []


async def test_samples_without_exactly_one_face_are_not_compared(encoder: FaceEncoder) -> None:
    check = check_with(encoder, photo_bytes("astronaut.png"))
    empty = cv2.imread(str(DATA / "coffee.png"), cv2.IMREAD_GRAYSCALE)
    assert empty is not None
    assert await check.observe_gray(KEY, empty, at(0)) == []
    assert check.comparisons == 0
    assert await check.observe_gray(KEY, sample(astronaut_frame()), at(3)) == []  # still due
    assert check.comparisons == 1


async def test_a_photo_without_a_face_is_noted_once_and_nothing_compared(
    encoder: FaceEncoder,
) -> None:
    check = check_with(encoder, photo_bytes("coffee.png"))
    noted = await check.prepare(KEY, at(0))
    assert [(f.kind, f.evidence["faces"]) for f in noted] == [("face_photo_no_face", 0)]
    assert await check.observe_gray(KEY, sample(cameraman_frame()), at(40)) == []
    assert await check.observe_gray(KEY, sample(cameraman_frame()), at(80)) == []
    assert check.comparisons == 0


async def test_no_photo_means_no_comparison(encoder: FaceEncoder) -> None:
    check = check_with(encoder, None)
    assert await check.observe_gray(KEY, sample(cameraman_frame()), at(0)) == []
    assert check.comparisons == 0


async def test_an_unreadable_posted_frame_is_refused(encoder: FaceEncoder) -> None:
    check = check_with(encoder, photo_bytes("astronaut.png"))
    with pytest.raises(ValidationFailed, match="not a readable"):
        await check.observe(KEY, b"junk", at(0))


async def test_forget_drops_the_photo_and_the_episode(encoder: FaceEncoder) -> None:
    check = check_with(encoder, photo_bytes("astronaut.png"), every=1)
    other = sample(cameraman_frame())
    assert await check.observe_gray(KEY, other, at(0)) == []
    check.forget(KEY)
    assert await check.observe_gray(KEY, other, at(1)) == []  # a fresh episode: one miss


async def test_the_camera_watch_seam_feeds_both_checks(encoder: FaceEncoder) -> None:
    check = check_with(encoder, photo_bytes("astronaut.png"), every=1)
    both = FacesAndIdentity(check, threshold=600)  # the face check stays quiet here
    other = sample(cameraman_frame())
    assert await both.observe_gray(KEY, other, at(0)) == []
    kinds = [f.kind for f in await both.observe_gray(KEY, other, at(1))]
    assert kinds == ["identity_mismatch"]
    both.forget(KEY)  # the face check's own: the identity check forgets as a check of its own
    assert await both.observe_gray(KEY, other, at(2)) == []  # the episode goes on: flagged
    ExamChecks([both, check]).state_changed(*KEY, CheckinState.HANDED_IN)
    assert await both.observe_gray(KEY, other, at(3)) == []  # a fresh episode: one miss
    kinds = [f.kind for f in await both.observe_gray(KEY, other, at(4))]
    assert kinds == ["identity_mismatch"]


def test_the_setting_defaults_and_bounds(tmp_path: Path) -> None:
    assert load_settings({"DATA_DIR": str(tmp_path)}).proctoring_identity_seconds == 30
    test_run = {"DATA_DIR": str(tmp_path), "SABAQ_ENV": "test"}
    assert load_settings(test_run).proctoring_identity_seconds == 0
    chosen = {"DATA_DIR": str(tmp_path), "PROCTORING_IDENTITY_SECONDS": "0"}
    assert load_settings(chosen).proctoring_identity_seconds == 0
    for bad in ("-1", "3601", "soon"):
        with pytest.raises(ConfigError, match="PROCTORING_IDENTITY_SECONDS"):
            load_settings({"DATA_DIR": str(tmp_path), "PROCTORING_IDENTITY_SECONDS": bad})
