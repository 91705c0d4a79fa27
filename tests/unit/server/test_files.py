"""File names, content checks, the capped writer and Content-Disposition."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from server.errors import TooLarge, ValidationFailed
from server.files import CappedWriter, check_content, check_name, content_disposition, parse_types


@pytest.mark.parametrize(
    "name",
    [
        "../x.pdf",
        "/abs.pdf",
        "a/b.pdf",
        "a\\b.pdf",
        "C:x.pdf",
        "nul\x00.pdf",
        "bell\x07.pdf",
        "del\x7f.pdf",
        "я" * 150 + ".pdf",
        ".pdf",
        "x.",
        "noext",
        "run.exe",
        "",
        " a.pdf",
    ],
)
def test_hostile_or_unusable_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationFailed):
        check_name(name)


def test_a_good_name_is_kept_nfc_normalised_with_a_lower_case_extension() -> None:
    checked = check_name("Есеп №2 (соңғы).PDF".replace("ң", "н\u0327"))
    assert checked.extension == "pdf"
    assert check_name("café.pdf".replace("é", "e\u0301")).name == "café.pdf"


def test_an_extension_outside_the_accepted_list_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="only docx, pdf"):
        check_name("a.png", ("pdf", "docx"))


def test_accepted_types_are_normalised_and_unknown_ones_refused() -> None:
    assert parse_types([".PDF", "docx", "pdf"]) == ("pdf", "docx")
    with pytest.raises(ValidationFailed):
        parse_types(["exe"])
    with pytest.raises(ValidationFailed):
        parse_types([])


def test_the_writer_never_writes_past_its_limit() -> None:
    sink = io.BytesIO()
    writer = CappedWriter(sink, limit=10)
    writer.write(b"12345678")
    with pytest.raises(TooLarge):
        writer.write(b"abc")
    assert sink.getvalue() == b"12345678" and writer.size == 8
    writer.write(b"90")
    assert writer.size == 10


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("extension", "data", "good"),
    [
        ("pdf", b"%PDF-1.7 ...", True),
        ("pdf", b"<html>", False),
        ("png", b"\x89PNG\r\n\x1a\n....", True),
        ("gif", b"GIF89a...", True),
        ("txt", "Қазақша мәтін".encode(), True),
        ("csv", b"a,b\n\xc3", False),
        ("docx", _zip("[Content_Types].xml", "word/document.xml"), True),
        ("xlsx", _zip("[Content_Types].xml", "word/document.xml"), False),
        ("pptx", _zip("[Content_Types].xml", "ppt/presentation.xml"), True),
        ("zip", _zip("anything"), True),
        ("doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", True),
        ("rtf", b"{\\rtf1 hello}", True),
    ],
)
def test_content_is_checked_against_the_extension(
    tmp_path: Path, extension: str, data: bytes, good: bool
) -> None:
    path = tmp_path / "f"
    path.write_bytes(data)
    if good:
        check_content(path, extension)
    else:
        with pytest.raises(ValidationFailed):
            check_content(path, extension)


def test_content_disposition_has_an_ascii_fallback_and_the_exact_utf8_name() -> None:
    value = content_disposition('Жауап "1"; 50%.pdf')
    assert value == (
        'attachment; filename="_____ _1_; 50_.pdf"; '
        "filename*=UTF-8''%D0%96%D0%B0%D1%83%D0%B0%D0%BF%20%221%22%3B%2050%25.pdf"
    )
