"""Pure file rules: which names are refused, which types are known and what their bytes must look
like, the capped writer, and a safe ``Content-Disposition``.

Names are checked and refused (422), never "repaired": a file is stored under a server-made name
anyway, and the name the person gave is only shown back, RFC 6266-encoded.
"""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from server.errors import TooLarge, ValidationFailed

MAX_NAME_CHARS = 200
MAX_NAME_BYTES = 255
FORBIDDEN_IN_NAMES = frozenset('/\\:*?"<>|')
OOXML_PARTS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
ODF_TYPES = {
    "odt": b"application/vnd.oasis.opendocument.text",
    "ods": b"application/vnd.oasis.opendocument.spreadsheet",
    "odp": b"application/vnd.oasis.opendocument.presentation",
}
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TEXT_TYPES = frozenset({"txt", "md", "csv", "py", "sql", "c", "cpp", "java", "js", "html", "json"})
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "zip": "application/zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "rtf": "application/rtf",
    **{ext: "text/plain; charset=utf-8" for ext in TEXT_TYPES},
}
KNOWN_TYPES = frozenset(MEDIA_TYPES)
MAGIC = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "doc": (OLE,),
    "xls": (OLE,),
    "ppt": (OLE,),
    "rtf": (b"{\\rtf",),
}
CHUNK = 256 * 1024


@dataclass(frozen=True)
class CheckedName:
    """A file name that passed the checks, with its lower-case extension."""

    name: str
    extension: str


def check_name(raw: str, accepted: Iterable[str] = KNOWN_TYPES) -> CheckedName:
    """The name, NFC-normalised, if it is a plain file name of an accepted type; 422 otherwise."""
    name = unicodedata.normalize("NFC", raw)
    if not name or name.strip() != name:
        raise ValidationFailed("a file name must not be empty or start or end with spaces")
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise ValidationFailed("a file name must not contain control characters or NUL")
    if FORBIDDEN_IN_NAMES & set(name) or name.startswith("."):
        raise ValidationFailed('a file name must not be a path or contain / \\ : * ? " < > |')
    if len(name) > MAX_NAME_CHARS or len(name.encode()) > MAX_NAME_BYTES:
        raise ValidationFailed(f"a file name may be at most {MAX_NAME_CHARS} characters")
    stem, dot, extension = name.rpartition(".")
    extension = extension.lower()
    if not dot or not stem:
        raise ValidationFailed("a file name needs an extension, such as report.pdf")
    allowed = set(accepted)
    if extension not in allowed:
        shown = ", ".join(sorted(allowed))
        raise ValidationFailed(f"files of type .{extension} are not accepted here (only {shown})")
    return CheckedName(name, extension)


def parse_types(raw: Iterable[str]) -> tuple[str, ...]:
    """Accepted extensions as a tutor gives them (``.PDF``, ``docx``): known types, lower case."""
    found = []
    for item in raw:
        extension = item.strip().lower().lstrip(".")
        if extension not in KNOWN_TYPES:
            raise ValidationFailed(f"unknown file type {item!r}")
        if extension not in found:
            found.append(extension)
    if not found:
        raise ValidationFailed("give at least one accepted file type")
    return tuple(found)


def check_content(path: Path, extension: str) -> None:
    """422 unless the bytes at ``path`` look like a file of ``extension``; blocking."""
    with path.open("rb") as handle:
        head = handle.read(16)
        ok = _looks_like(handle, head, extension)
    if not ok:
        raise ValidationFailed(f"the content is not a valid .{extension} file")


def _looks_like(handle: BinaryIO, head: bytes, extension: str) -> bool:
    if extension in TEXT_TYPES:
        handle.seek(0)
        return _is_utf8_text(handle)
    if extension in OOXML_PARTS or extension in ODF_TYPES:
        return head.startswith(b"PK\x03\x04") and _office_zip(handle, extension)
    return head.startswith(MAGIC[extension])


def _is_utf8_text(handle: BinaryIO) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := handle.read(CHUNK):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _office_zip(handle: BinaryIO, extension: str) -> bool:
    try:
        with zipfile.ZipFile(handle) as archive:
            names = archive.namelist()
            if extension in ODF_TYPES:
                return "mimetype" in names and archive.read("mimetype") == ODF_TYPES[extension]
    except (zipfile.BadZipFile, OSError, KeyError):
        return False
    return "[Content_Types].xml" in names and any(
        n.startswith(OOXML_PARTS[extension]) for n in names
    )


def media_type(extension: str) -> str:
    return MEDIA_TYPES.get(extension, "application/octet-stream")


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback and the exact name as RFC 5987 ``filename*``."""
    fallback = "".join(
        char if 32 <= ord(char) < 127 and char not in '"\\%' else "_" for char in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


class CappedWriter:
    """Appends chunks to a file, never writing past ``limit`` bytes, hashing as it goes.

    A chunk that would cross the limit is refused whole (413) before any of it is written.
    """

    def __init__(self, handle: BinaryIO, limit: int, already: int = 0) -> None:
        self._handle = handle
        self.limit = limit
        self.size = already
        self.digest = hashlib.sha256()

    def write(self, chunk: bytes) -> None:
        if self.size + len(chunk) > self.limit:
            raise TooLarge(f"the file is larger than {self.limit} bytes")
        self._handle.write(chunk)
        self.digest.update(chunk)
        self.size += len(chunk)


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file on disk; blocking."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
