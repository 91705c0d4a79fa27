"""Server-side evidence: the ``FlagSource`` seam and the face check.

A flag source looks at something the server itself received of a student's exam (here a camera
frame) and raises flags from it, so a student who forges or suppresses the browser's flags is
still flagged. The face check counts faces with OpenCV's Haar cascade, which ships inside the
``opencv-python-headless`` wheel (``cv2.data.haarcascades``): nothing is downloaded at run time.
It flags no face, or more than one, once the condition has lasted ``threshold`` seconds (one flag
per episode, timed at the episode's start). Voice detection would be another ``FlagSource``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from server.clock import iso_utc
from server.db.models import CheckinState
from server.errors import ValidationFailed
from server.proctoring_rules import FINISHED, BrowserFlag, ServerFlag

CheckinKey = tuple[int, int]  # (session id, student id)
FaceCounter = Callable[[bytes], int | None]
DEFAULT_THRESHOLD_SECONDS = 10.0
DETECT_WIDTH = 320


@dataclass(frozen=True)
class RaisedFlag:
    """A flag a source raised: the kind, when the condition began, what it saw. Server-only
    kinds, or a browser's kind (e.g. ``camera_lost``) the server saw for itself."""

    kind: ServerFlag | BrowserFlag
    at: datetime
    detail: str
    evidence: dict[str, Any]


class ExamCheck(Protocol):
    """A server-side check that keeps something about each exam student."""

    def forget(self, key: CheckinKey) -> None:
        """The student's exam is over: drop what is kept about it."""
        ...


class FlagSource(ExamCheck, Protocol):
    """Server-side evidence about one student's exam, turned into flags."""

    name: str

    async def observe(self, key: CheckinKey, frame: bytes, seen_at: datetime) -> list[RaisedFlag]:
        """Looks at one camera frame (JPEG or PNG) seen at ``seen_at``; 422 if unreadable."""
        ...


class ExamChecks:
    """The server's checks of one process, each told once when a student's exam is over (a
    state listener of the proctoring service): the one path by which checks forget. A check
    forgets only what it keeps itself, so one reached through another (the identity check
    behind ``FacesAndIdentity``) is a check in its own right."""

    def __init__(self, sources: list[FlagSource]) -> None:
        self._sources = sources  # the flag intake's list, shared: whatever it holds now counts
        self._others: list[ExamCheck] = []

    def add(self, check: ExamCheck) -> None:
        """A check that is not a flag source of posted frames (e.g. the speech check)."""
        self._others.append(check)

    def all(self) -> list[ExamCheck]:
        """Every check once (one added twice, or also a flag source, is the same object)."""
        distinct: list[ExamCheck] = []
        for check in [*self._sources, *self._others]:
            if all(check is not known for known in distinct):
                distinct.append(check)
        return distinct

    def state_changed(self, session_id: int, student_id: int, state: CheckinState) -> None:
        if state in FINISHED:
            for check in self.all():
                check.forget((session_id, student_id))


class HaarFaceCounter:
    """Counts frontal faces in an image; blocking (run it in a thread)."""

    def __init__(self) -> None:
        import cv2  # a heavy import, paid once, when the first frame arrives

        self._cv2 = cv2
        folder: str = cv2.data.haarcascades  # type: ignore[attr-defined]
        path = folder + "haarcascade_frontalface_default.xml"
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise RuntimeError(f"the face cascade did not load from {path}")
        self._lock = threading.Lock()  # one CascadeClassifier is not safe across threads

    def __call__(self, image: bytes) -> int | None:
        import numpy

        cv2 = self._cv2
        gray = cv2.imdecode(numpy.frombuffer(image, numpy.uint8), cv2.IMREAD_GRAYSCALE)
        if gray is None:
            return None
        return self.count_gray(gray)

    def count_gray(self, gray: Any) -> int:
        """Faces in a decoded 8-bit grayscale image (a numpy array, e.g. a video frame's luma)."""
        cv2 = self._cv2
        height, width = gray.shape[:2]
        if width > DETECT_WIDTH:
            gray = cv2.resize(gray, (DETECT_WIDTH, max(1, height * DETECT_WIDTH // width)))
        with self._lock:
            faces = self._cascade.detectMultiScale(gray, 1.1, 5, minSize=(30, 30))
        return len(faces)


def image_decodes(image: bytes) -> bool:
    """Whether OpenCV can decode these bytes as an image (blocking)."""
    import cv2
    import numpy

    return (
        cv2.imdecode(numpy.frombuffer(image, numpy.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_8)
        is not None
    )


@dataclass
class _Episode:
    kind: ServerFlag | None = None
    since: datetime | None = None
    flagged: bool = False
    frames: int = 0
    faces: list[int] = field(default_factory=list)


class FaceCheck:
    """No face or several faces for longer than ``threshold`` seconds: one flag per episode."""

    name = "face"

    def __init__(
        self, counter: FaceCounter | None = None, threshold: float = DEFAULT_THRESHOLD_SECONDS
    ) -> None:
        self._counter = counter
        self._threshold = threshold
        self._episodes: dict[CheckinKey, _Episode] = {}
        self._busy = asyncio.Semaphore(1)  # one detection at a time: a bounded CPU share

    async def observe(self, key: CheckinKey, frame: bytes, seen_at: datetime) -> list[RaisedFlag]:
        async with self._busy:
            count = await asyncio.to_thread(self._count, frame)
        if count is None:
            raise ValidationFailed("the frame is not a readable JPEG or PNG image")
        return self.judge(key, count, seen_at)

    def _count(self, frame: bytes) -> int | None:
        if self._counter is None:
            self._counter = HaarFaceCounter()
        return self._counter(frame)

    async def observe_gray(self, key: CheckinKey, gray: Any, seen_at: datetime) -> list[RaisedFlag]:
        """Looks at one decoded grayscale frame (the server's own sample of the camera)."""
        async with self._busy:
            count = await asyncio.to_thread(self._count_gray, gray)
        return self.judge(key, count, seen_at)

    def _count_gray(self, gray: Any) -> int:
        if self._counter is None:
            self._counter = HaarFaceCounter()
        if not isinstance(self._counter, HaarFaceCounter):
            raise TypeError("this face check's counter takes encoded images only")
        return self._counter.count_gray(gray)

    def judge(self, key: CheckinKey, faces: int, seen_at: datetime) -> list[RaisedFlag]:
        """Feeds one face count into the student's episode; returns the flag it raised, if any."""
        kind = ServerFlag.NO_FACE if faces == 0 else None
        if faces > 1:
            kind = ServerFlag.MULTIPLE_FACES
        episode = self._episodes.setdefault(key, _Episode())
        if kind != episode.kind:
            episode.kind, episode.since, episode.flagged = kind, seen_at, False
            episode.frames, episode.faces = 0, []
        episode.frames += 1
        episode.faces = [*episode.faces[-9:], faces]
        if kind is None or episode.flagged or episode.since is None:
            return []
        lasted = (seen_at - episode.since).total_seconds()
        if lasted < self._threshold:
            return []
        episode.flagged = True
        what = "no face" if kind == ServerFlag.NO_FACE else f"{faces} faces"
        evidence = {
            "source": self.name,
            "since": iso_utc(episode.since),
            "seen_at": iso_utc(seen_at),
            "seconds": round(lasted, 1),
            "frames": episode.frames,
            "faces": episode.faces,
        }
        return [
            RaisedFlag(kind, episode.since, f"{what} in the camera for {lasted:.0f} s", evidence)
        ]

    def forget(self, key: CheckinKey) -> None:
        self._episodes.pop(key, None)
