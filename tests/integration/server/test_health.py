from __future__ import annotations

import httpx
import pytest

from server.app import create_app
from server.settings import Settings, load_settings
from tests.conftest import TEST_SECRET


async def test_healthz_checks_the_database(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_healthz_reports_an_unreachable_database(settings: Settings, tmp_path) -> None:
    broken = load_settings(
        {
            "DATA_DIR": str(tmp_path / "d"),
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
            "SECRET_KEY": TEST_SECRET,
        }
    )
    app = create_app(broken)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client,
    ):
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
