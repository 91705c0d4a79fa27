"""Acceptance: a 50 MB resumable upload cut off twice completes with the right SHA-256."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import DEMO_PASSWORD
from tests.support import wait_until

pytestmark = [
    pytest.mark.usefixtures("demo"),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
SIZE = 50 * 1024 * 1024
CHUNK = 256 * 1024
TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture
def extra_env() -> dict[str, str]:
    return {"MAX_UPLOAD_BYTES": str(SIZE)}


def content() -> bytes:
    return b"%PDF-1.7\n" + random.Random(7).randbytes(SIZE - 9)


async def pieces(data: memoryview) -> AsyncIterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield bytes(data[start : start + CHUNK])


async def cut_off_patch(
    base: str, http: httpx.AsyncClient, location: str, data: bytes, offset: int, send: int
) -> None:
    """A PATCH that promises the rest of the file, sends ``send`` bytes and drops the line."""
    host, port = base.split(":")
    _reader, writer = await asyncio.open_connection(host, int(port))
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    head = (
        f"PATCH {location} HTTP/1.1\r\nHost: {base}\r\nTus-Resumable: 1.0.0\r\n"
        f"Upload-Offset: {offset}\r\nContent-Type: application/offset+octet-stream\r\n"
        f"Content-Length: {len(data) - offset}\r\nX-CSRF-Token: {http.headers['x-csrf-token']}\r\n"
        f"Cookie: {cookie}\r\n\r\n"
    )
    writer.write(head.encode())
    view = memoryview(data)
    async for chunk in pieces(view[offset : offset + send]):
        writer.write(chunk)
        await writer.drain()
    writer.close()
    await writer.wait_closed()


async def offset_of(http: httpx.AsyncClient, location: str) -> int:
    return int((await http.head(location, headers=TUS)).headers["upload-offset"])


async def test_a_50_mb_upload_interrupted_twice_completes_with_the_right_sha256(
    base: str,
) -> None:
    import hashlib

    data = content()
    async with httpx.AsyncClient(base_url=f"http://{base}", timeout=60) as http:
        signed = await http.post(
            "/api/auth/login", json={"login": "student1.1", "password": DEMO_PASSWORD}
        )
        http.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
        created = await http.post(
            "/api/tus",
            headers={**TUS, "Upload-Length": str(SIZE), "Upload-Metadata": "filename YmlnLnBkZg=="},
        )
        location = created.headers["location"]
        for cut_at in (SIZE // 5, SIZE // 2):
            offset = await offset_of(http, location)
            await cut_off_patch(base, http, location, data, offset, cut_at - offset)

            async def arrived(expected: int = cut_at) -> bool:
                return await offset_of(http, location) == expected

            await wait_until(arrived, timeout=20)
        offset = await offset_of(http, location)
        finished = await http.patch(
            location,
            content=pieces(memoryview(data)[offset:]),
            headers={
                **TUS,
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        assert finished.status_code == 204, finished.text
        assert finished.headers["upload-offset"] == str(SIZE)
        upload_id = location.rsplit("/", 1)[1]
        done = (await http.get(f"/api/uploads/{upload_id}")).json()
        assert done["state"] == "complete" and done["size"] == SIZE
        assert done["sha256"] == hashlib.sha256(data).hexdigest()
