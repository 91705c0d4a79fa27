"""Server-side identity check: is the face in the exam camera the face of the check-in photo?

dlib's frontal face detector, its 5-point shape predictor and its ResNet face descriptor (128-D)
come from the ``dlib-bin`` wheel and the model files of ``face_recognition_models``: nothing is
downloaded at run time. The student's stored check-in face photo (found through ``photos``) is
described (in a worker thread) when the student asks for identity approval, or at the first exam
sample if this process has not seen it (a restart, another process), and again whenever the photo
changes; the descriptor is kept in this process's memory only. A photo without a detectable face
is accepted and noted with one ``face_photo_no_face`` flag (the proctor's eye decides) and
nothing is compared. During the exam, at most once every ``every_seconds``, a camera sample
with exactly one face is compared with it; a distance above ``threshold`` (dlib's usual 0.6) on
two consecutive comparisons raises one ``identity_mismatch`` flag per episode. Both sides are
compared in grayscale because the server's own camera samples are grayscale
(``server.proctoring_sampler``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.clock import iso_utc
from server.db.models import CheckinState, utcnow
from server.errors import ValidationFailed
from server.proctoring_access import find_checkin, proctoring_root, student_folder
from server.proctoring_faces import (
    DEFAULT_THRESHOLD_SECONDS,
    CheckinKey,
    FaceCheck,
    FlagSource,
    RaisedFlag,
)
from server.proctoring_rules import ServerFlag
from server.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_EVERY_SECONDS = 30.0
MATCH_THRESHOLD = 0.6  # dlib's own rule of thumb for its ResNet descriptor
CONSECUTIVE = 2
PHOTO_WIDTH = 640  # the check-in photo is scaled down to this before detection
# The student's current face photo: (its stored name, its bytes), None without one.
PhotoSource = Callable[[CheckinKey], Awaitable[tuple[str, bytes] | None]]


@dataclass(frozen=True)
class Described:
    """How many faces an image holds and the descriptor of the largest (None without a face)."""

    faces: int
    descriptor: Any | None  # a numpy array of 128 floats


class FaceEncoder:
    """dlib's detector, landmarks and descriptor; blocking (run it in a thread)."""

    def __init__(self) -> None:
        import dlib  # type: ignore[import-untyped]  # heavy: imported and loaded on first use
        import face_recognition_models as models  # type: ignore[import-untyped]

        self._dlib: Any = dlib
        self._detector = dlib.get_frontal_face_detector()
        self._landmarks = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
        self._describer = dlib.face_recognition_model_v1(models.face_recognition_model_location())
        self._lock = threading.Lock()  # dlib's models are not documented as thread-safe

    def describe_image(self, image: bytes, width: int = PHOTO_WIDTH) -> Described | None:
        """An encoded JPEG/PNG image; None if it does not decode."""
        import cv2
        import numpy

        gray = cv2.imdecode(numpy.frombuffer(image, numpy.uint8), cv2.IMREAD_GRAYSCALE)
        if gray is None:
            return None
        height, wide = gray.shape[:2]
        if wide > width:
            gray = cv2.resize(gray, (width, max(1, height * width // wide)))
        return self.describe_gray(gray)

    def describe_gray(self, gray: Any) -> Described:
        """A decoded 8-bit grayscale image (numpy); the descriptor of its largest face."""
        import numpy

        rgb = numpy.ascontiguousarray(numpy.stack([gray, gray, gray], axis=-1))
        with self._lock:
            faces = list(self._detector(rgb, 1))  # upsampled once: finds faces from ~40 px
            if not faces:
                return Described(0, None)
            largest = max(faces, key=lambda rect: rect.area())
            shape = self._landmarks(rgb, largest)
            descriptor = numpy.array(self._describer.compute_face_descriptor(rgb, shape))
        return Described(len(faces), descriptor)


class StoredFacePhotos:
    """Finds a student's current check-in face photo where the proctoring service stores it."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], data_dir: Path) -> None:
        self._sessions = sessions
        self._root = proctoring_root(data_dir)

    async def __call__(self, key: CheckinKey) -> tuple[str, bytes] | None:
        session_id, student_id = key
        async with self._sessions() as db:
            checkin = await find_checkin(db, session_id, student_id)
        if checkin is None or checkin.face_photo is None:
            return None
        path = student_folder(self._root, session_id, student_id) / checkin.face_photo
        try:
            return checkin.face_photo, await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:  # replaced or purged meanwhile
            return None


@dataclass
class _Student:
    photo: str | None = None  # the stored name of the photo described
    reference: Any | None = None  # its descriptor; None when it held no face
    looked_up: datetime | None = None
    last_check: datetime | None = None
    misses: list[tuple[datetime, float]] = field(default_factory=list)
    flagged: bool = False


class IdentityCheck:
    """Compares exam camera samples with the check-in face photo (a ``FlagSource``)."""

    name = "identity"

    def __init__(
        self,
        photos: PhotoSource,
        encoder: FaceEncoder | None = None,
        every_seconds: float = DEFAULT_EVERY_SECONDS,
        threshold: float = MATCH_THRESHOLD,
    ) -> None:
        self._photos = photos
        self._encoder = encoder
        self._every = every_seconds
        self._threshold = threshold
        self._students: dict[CheckinKey, _Student] = {}
        self._busy = asyncio.Semaphore(1)  # one dlib run at a time: a bounded CPU share
        self.comparisons = 0
        self._looking = asyncio.Lock()  # photo look-ups and descriptions, one at a time

    def _model(self) -> FaceEncoder:
        if self._encoder is None:
            self._encoder = FaceEncoder()
        return self._encoder

    def _waiting(self, at: datetime | None, seen_at: datetime) -> bool:
        return at is not None and (seen_at - at).total_seconds() < self._every

    async def _due(
        self, key: CheckinKey, seen_at: datetime
    ) -> tuple[_Student | None, list[RaisedFlag]]:
        """The student, if a comparison is due now, and a flag for a photo without a face."""
        student = self._students.setdefault(key, _Student())
        raised: list[RaisedFlag] = []
        if self._waiting(student.last_check, seen_at):
            return None, raised
        async with self._looking:  # after a photo being described at check-in, if any
            if not self._waiting(student.looked_up, seen_at):  # at most once a period
                raised = await self._refresh(key, seen_at)
        return (student if student.reference is not None else None), raised

    async def prepare(self, key: CheckinKey, at: datetime) -> list[RaisedFlag]:
        """Describes the student's current face photo if it is new; flags one without a face."""
        async with self._looking:
            return await self._refresh(key, at)

    async def _refresh(self, key: CheckinKey, at: datetime) -> list[RaisedFlag]:
        student = self._students.setdefault(key, _Student())
        student.looked_up = at
        found = await self._photos(key)
        if found is None or found[0] == student.photo:
            return []
        name, data = found
        async with self._busy:
            described = await asyncio.to_thread(lambda: self._model().describe_image(data))
        student.photo, student.misses, student.flagged = name, [], False
        student.reference = None if described is None else described.descriptor
        if student.reference is not None:
            return []
        detail = "no face found in the check-in photo: identity is left to the proctor's eye"
        faces = None if described is None else described.faces
        evidence = {"source": self.name, "photo": name, "faces": faces}
        return [RaisedFlag(ServerFlag.FACE_PHOTO_NO_FACE, at, detail, evidence)]

    async def observe(self, key: CheckinKey, frame: bytes, seen_at: datetime) -> list[RaisedFlag]:
        student, raised = await self._due(key, seen_at)
        if student is None:
            return raised
        async with self._busy:
            described = await asyncio.to_thread(
                lambda: self._model().describe_image(frame, PHOTO_WIDTH)
            )
        if described is None:
            raise ValidationFailed("the frame is not a readable JPEG or PNG image")
        return self.judge(key, described, seen_at)

    async def observe_gray(self, key: CheckinKey, gray: Any, seen_at: datetime) -> list[RaisedFlag]:
        """A decoded grayscale camera sample (the server's own, from the SFU)."""
        student, raised = await self._due(key, seen_at)
        if student is None:
            return raised
        async with self._busy:
            described = await asyncio.to_thread(lambda: self._model().describe_gray(gray))
        return self.judge(key, described, seen_at)

    def judge(self, key: CheckinKey, described: Described, seen_at: datetime) -> list[RaisedFlag]:
        """Compares one sample; only a sample with exactly one face counts (the face check
        flags none or several)."""
        import numpy

        student = self._students.get(key)
        if student is None or student.reference is None or described.faces != 1:
            return []
        student.last_check = seen_at
        self.comparisons += 1
        distance = round(float(numpy.linalg.norm(described.descriptor - student.reference)), 3)
        if distance <= self._threshold:
            student.misses, student.flagged = [], False  # the episode, if any, is over
            return []
        student.misses = [*student.misses[-9:], (seen_at, distance)]
        if student.flagged or len(student.misses) < CONSECUTIVE:
            return []
        student.flagged = True
        since = student.misses[0][0]
        distances = [d for _, d in student.misses]
        evidence = {
            "source": self.name,
            "threshold": self._threshold,
            "distances": distances,
            "times": [iso_utc(t) for t, _ in student.misses],
            "photo": student.photo,
        }
        detail = (
            f"the face in the camera does not match the check-in photo "
            f"({len(distances)} checks, distance up to {max(distances):.2f})"
        )
        return [RaisedFlag(ServerFlag.IDENTITY_MISMATCH, since, detail, evidence)]

    def forget(self, key: CheckinKey) -> None:
        self._students.pop(key, None)


class IdentityAtCheckin:
    """Describes the face photo as soon as the student asks for identity approval (a state
    listener of the proctoring service), so that a photo without a face is flagged while the
    proctor decides, and the first exam sample need not wait for it."""

    def __init__(
        self,
        identity: IdentityCheck,
        record: Callable[[int, int, list[RaisedFlag]], Awaitable[object]],
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._identity, self._record, self._now = identity, record, now
        self._tasks: set[asyncio.Task[None]] = set()

    def state_changed(self, session_id: int, student_id: int, state: CheckinState) -> None:
        if state == CheckinState.AWAITING_IDENTITY:
            task = asyncio.ensure_future(self._prepare((session_id, student_id)))
            self._tasks.add(task)
            task.add_done_callback(self._done)

    async def _prepare(self, key: CheckinKey) -> None:
        raised = await self._identity.prepare(key, self._now())
        if raised:
            await self._record(*key, raised)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("describing the check-in photo failed", exc_info=task.exception())

    async def idle(self) -> None:
        """Waits for the photos being described (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


class FacesAndIdentity(FaceCheck):
    """The face check that also hands each camera sample to the identity check: the camera
    watch (``server.proctoring_sampler``) feeds exactly one ``FaceCheck``. Its ``forget`` is the
    face check's: the identity check is a flag source of its own and forgets as one
    (``ExamChecks``)."""

    def __init__(
        self, identity: IdentityCheck, threshold: float = DEFAULT_THRESHOLD_SECONDS
    ) -> None:
        super().__init__(threshold=threshold)
        self.identity = identity

    async def observe_gray(self, key: CheckinKey, gray: Any, seen_at: datetime) -> list[RaisedFlag]:
        raised = await super().observe_gray(key, gray, seen_at)
        return raised + await self.identity.observe_gray(key, gray, seen_at)


def build_identity(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> tuple[FaceCheck, list[FlagSource], IdentityCheck | None]:
    """The face check for the camera watch, the flag sources of posted frames and the identity
    check (None when PROCTORING_IDENTITY_SECONDS is 0)."""
    threshold = settings.proctoring_face_threshold_seconds
    if settings.proctoring_identity_seconds <= 0:
        faces = FaceCheck(threshold=threshold)
        return faces, [faces], None
    photos = StoredFacePhotos(sessions, settings.data_dir)
    identity = IdentityCheck(photos, every_seconds=settings.proctoring_identity_seconds)
    both = FacesAndIdentity(identity, threshold)
    return both, [both, identity], identity
