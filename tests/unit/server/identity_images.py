"""Real photos for the identity check, from scikit-image's bundled data (``skimage/data``):
the astronaut Eileen Collins, and the cameraman of ``camera.png`` (another person; his face is
small in that picture, so his frame is the picture cropped around him and enlarged, as a camera
closer to him would show him)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy
import skimage.data

DATA = Path(skimage.data.__file__).parent
SAMPLE_WIDTH = 320  # what the camera watch hands over (server.proctoring_sampler.DECODE_WIDTH)


def photo_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


def _read(name: str, flags: int) -> Any:
    image = cv2.imread(str(DATA / name), flags)
    assert image is not None, name
    return image


def _encoded(image: Any, kind: str = ".jpg") -> bytes:
    ok, encoded = cv2.imencode(kind, image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return bytes(encoded.tobytes())


def astronaut_frame() -> Any:
    """The astronaut, cropped off-centre and resized to 640x480 (colour, BGR)."""
    image = _read("astronaut.png", cv2.IMREAD_COLOR)
    return cv2.resize(image[10:400, 40:500], (640, 480))


def cameraman_frame() -> Any:
    """The cameraman, cropped around his face and enlarged to 640x480 (grayscale)."""
    image = _read("camera.png", cv2.IMREAD_GRAYSCALE)
    return cv2.resize(image[95:260, 165:385], (640, 480), interpolation=cv2.INTER_CUBIC)


def jpeg(image: Any) -> bytes:
    """A camera frame as a browser would post it."""
    return _encoded(image)


def sample(image: Any) -> Any:
    """A frame as the camera watch samples it: grayscale, 320 px wide, from a lossy encode."""
    gray = cv2.imdecode(numpy.frombuffer(jpeg(image), numpy.uint8), cv2.IMREAD_GRAYSCALE)
    assert gray is not None
    height, width = gray.shape[:2]
    return cv2.resize(gray, (SAMPLE_WIDTH, height * SAMPLE_WIDTH // width))
