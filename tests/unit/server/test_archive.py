"""The streamed ZIP archive reads back whole, in order, with large members intact."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from server.archive import zip_stream


def test_a_streamed_archive_is_a_valid_zip(tmp_path: Path) -> None:
    big = tmp_path / "big.pdf"
    big.write_bytes(bytes(range(256)) * 4096)
    small = tmp_path / "small.txt"
    small.write_bytes("сәлем".encode())
    chunks = list(zip_stream([("a/v1/big.pdf", big), ("b/v2-late/Сәлем.txt", small)]))
    assert len(chunks) > 3
    with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as archive:
        assert archive.namelist() == ["a/v1/big.pdf", "b/v2-late/Сәлем.txt"]
        assert archive.read("a/v1/big.pdf") == big.read_bytes()
        assert archive.testzip() is None


def test_an_empty_archive_is_still_a_zip() -> None:
    with zipfile.ZipFile(io.BytesIO(b"".join(zip_stream([])))) as archive:
        assert archive.namelist() == []
