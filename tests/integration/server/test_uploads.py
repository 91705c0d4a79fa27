"""Uploads: streamed under a hard cap, hostile names, content checks, safe downloads, tus."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from server.db.engine import make_sessionmaker
from server.db.models import Upload, utcnow
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.offline_kit import PDF, PNG, docx, sha, upload

pytestmark = pytest.mark.usefixtures("demo")
TUS = {"Tus-Resumable": "1.0.0"}
LIMIT = 64 * 1024


@pytest.fixture
def extra_env() -> dict[str, str]:
    return {"MAX_UPLOAD_BYTES": str(LIMIT)}


def stored(services: Services) -> list[Path]:
    uploads = services.offline.uploads
    return [*uploads.files.iterdir(), *uploads.tmp.iterdir()]


async def test_a_file_streams_in_and_comes_back_as_a_safe_attachment(
    client_for: ClientFactory, services: Services
) -> None:
    student = await client_for("student1.1")
    response = await upload(student, "Жауап; 100% final.pdf", PDF)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["sha256"] == sha(PDF) and body["size"] == len(PDF)
    assert body["name"] == "Жауап; 100% final.pdf" and body["state"] == "complete"
    [path] = stored(services)
    assert path.parent.name == "files" and len(path.name) == 32
    download = await student.get(body["url"])
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="_____; 100_ final.pdf"')
    assert disposition.endswith(
        "filename*=UTF-8''%D0%96%D0%B0%D1%83%D0%B0%D0%BF%3B%20100%25%20final.pdf"
    )


async def _chunks(total: int, size: int = 8192) -> AsyncIterator[bytes]:
    yield b"%PDF-"
    sent = 5
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size


async def test_an_oversized_file_is_refused_while_streaming_and_nothing_is_kept(
    client_for: ClientFactory, services: Services
) -> None:
    student = await client_for("student1.1")
    headers = {"X-File-Name": "big.pdf"}
    streamed = await student.post("/api/uploads", content=_chunks(LIMIT * 4), headers=headers)
    assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "too_large"
    declared = await upload(student, "big.pdf", PDF + b"0" * LIMIT)
    assert declared.status_code == 413
    exact = await student.post("/api/uploads", content=_chunks(LIMIT), headers=headers)
    assert exact.status_code == 201 and exact.json()["size"] == LIMIT
    assert len(stored(services)) == 1


@pytest.mark.parametrize(
    "name",
    [
        "../x.pdf",
        "../../etc/passwd",
        "/etc/passwd.pdf",
        "C:\\Windows\\x.pdf",
        "a\x00b.pdf",
        "tab\there.pdf",
        "esc\x1b[31m.pdf",
        "a" * 250 + ".pdf",
        ".htaccess",
        "",
        "no-extension",
        "virus.exe",
        " spaced.pdf",
    ],
)
async def test_hostile_names_are_refused(
    client_for: ClientFactory, services: Services, name: str
) -> None:
    student = await client_for("student1.1")
    response = await upload(student, name, PDF)
    assert response.status_code == 422, response.text
    assert stored(services) == []


async def test_a_missing_or_badly_encoded_name_is_refused(client_for: ClientFactory) -> None:
    student = await client_for("student1.1")
    assert (await student.post("/api/uploads", content=PDF)).status_code == 422
    bad = await student.post("/api/uploads", content=PDF, headers={"X-File-Name": "%FF.pdf"})
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [
        ("report.pdf", PNG, 422),
        ("photo.png", PDF, 422),
        ("notes.txt", "Сәлем, әлем!\n".encode(), 201),
        ("notes.txt", b"\xff\xfe bad utf-8", 422),
        ("notes.txt", b"nul\x00inside", 422),
        ("essay.docx", docx(), 201),
        ("essay.docx", b"PK\x03\x04 not really a zip", 422),
        ("essay.xlsx", docx(), 422),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, 201),
    ],
)
async def test_content_must_match_the_extension(
    client_for: ClientFactory, name: str, data: bytes, status: int
) -> None:
    student = await client_for("student1.1")
    response = await upload(student, name, data)
    assert response.status_code == status, response.text


async def test_another_persons_upload_is_not_found(client_for: ClientFactory) -> None:
    owner, other = await client_for("student1.1"), await client_for("student1.2")
    upload_id = (await upload(owner, "a.pdf", PDF)).json()["id"]
    assert (await other.get(f"/api/uploads/{upload_id}")).status_code == 404
    assert (await other.get(f"/api/uploads/{upload_id}/content")).status_code == 404
    assert (await other.head(f"/api/tus/{upload_id}", headers=TUS)).status_code == 404


async def test_tus_core_protocol(client_for: ClientFactory) -> None:
    student = await client_for("student1.1")
    options = await student.options("/api/tus")
    assert options.status_code == 204
    assert options.headers["tus-version"] == "1.0.0"
    assert "creation" in options.headers["tus-extension"]
    assert options.headers["tus-max-size"] == str(LIMIT)
    meta = "filename " + "0JbQsNGD0LDQvy5wZGY="  # base64 of "Жауап.pdf"
    no_version = await student.post("/api/tus", headers={"Upload-Length": "10"})
    assert no_version.status_code == 412 and no_version.headers["tus-resumable"] == "1.0.0"
    too_big = await student.post(
        "/api/tus", headers={**TUS, "Upload-Length": str(LIMIT + 1), "Upload-Metadata": meta}
    )
    assert too_big.status_code == 413
    created = await student.post(
        "/api/tus", headers={**TUS, "Upload-Length": str(len(PDF)), "Upload-Metadata": meta}
    )
    assert created.status_code == 201 and created.headers["tus-resumable"] == "1.0.0"
    location = created.headers["location"]
    head = await student.head(location, headers=TUS)
    assert head.headers["upload-offset"] == "0"
    assert head.headers["upload-length"] == str(len(PDF))
    assert "upload-expires" in head.headers and head.headers["cache-control"] == "no-store"
    patch = {**TUS, "Content-Type": "application/offset+octet-stream"}
    wrong_type = await student.patch(location, content=PDF, headers={**TUS, "Upload-Offset": "0"})
    assert wrong_type.status_code == 415
    first = await student.patch(location, content=PDF[:50], headers={**patch, "Upload-Offset": "0"})
    assert first.status_code == 204 and first.headers["upload-offset"] == "50"
    stale = await student.patch(location, content=PDF[:50], headers={**patch, "Upload-Offset": "0"})
    assert stale.status_code == 409
    rest = await student.patch(location, content=PDF[50:], headers={**patch, "Upload-Offset": "50"})
    assert rest.status_code == 204 and rest.headers["upload-offset"] == str(len(PDF))
    done = (await student.get(f"/api/uploads/{location.rsplit('/', 1)[1]}")).json()
    assert done["sha256"] == sha(PDF) and done["name"] == "Жауап.pdf"


async def test_tus_termination_and_bad_content_at_the_last_byte(
    client_for: ClientFactory, services: Services
) -> None:
    student = await client_for("student1.1")
    patch = {**TUS, "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
    meta = {**TUS, "Upload-Length": str(len(PNG)), "Upload-Metadata": "filename YS5wZGY="}
    location = (await student.post("/api/tus", headers=meta)).headers["location"]
    wrong = await student.patch(location, content=PNG, headers=patch)
    assert wrong.status_code == 422 and wrong.headers["tus-resumable"] == "1.0.0"
    assert (await student.head(location, headers=TUS)).status_code == 404
    location = (await student.post("/api/tus", headers=meta)).headers["location"]
    assert (await student.delete(location, headers=TUS)).status_code == 204
    assert (await student.head(location, headers=TUS)).status_code == 404
    assert stored(services) == []


async def test_leftovers_are_cleaned_at_start_up(
    client_for: ClientFactory, services: Services
) -> None:
    student = await client_for("student1.1")
    uploads = services.offline.uploads
    meta = {**TUS, "Upload-Length": "100", "Upload-Metadata": "filename YS5wZGY="}
    expired = (await student.post("/api/tus", headers=meta)).headers["location"]
    fresh = (await student.post("/api/tus", headers=meta)).headers["location"]
    kept = (await upload(student, "kept.pdf", PDF)).json()["id"]
    async with make_sessionmaker(services.engine)() as db:
        await db.execute(
            update(Upload)
            .where(Upload.id == int(expired.rsplit("/", 1)[1]))
            .values(expires_at=utcnow() - timedelta(hours=1))
        )
        await db.commit()
    old = time.time() - 3600
    for leftover in (uploads.tmp / "dead.part", uploads.files / ("0" * 32)):
        leftover.write_bytes(b"half")
        os.utime(leftover, (old, old))
    (uploads.tmp / "streaming-now.part").write_bytes(b"busy")
    await services.offline.start()
    names = sorted(p.name for p in stored(services))
    assert "dead.part" not in names and "0" * 32 not in names
    assert "streaming-now.part" in names and len(names) == 3
    assert (await student.head(expired, headers=TUS)).status_code == 404
    assert (await student.head(fresh, headers=TUS)).status_code == 200
    assert (await student.get(f"/api/uploads/{kept}/content")).content == PDF
