"""``python -m server run`` on an empty data folder: migrates, seeds once, serves /healthz."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.integration.server.signal_kit import free_port
from tests.support import wait_until

ROOT = Path(__file__).resolve().parents[2]


def environment(data_dir: Path, port: int) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {**keep, "DATA_DIR": str(data_dir), "PORT": str(port), "PASSWORD_HASH_TIME_COST": "1"}


async def test_run_migrates_seeds_once_and_serves_health(tmp_path: Path) -> None:
    port = free_port()
    env = environment(tmp_path / "data", port)
    server = subprocess.Popen(
        [sys.executable, "-m", "server", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def healthy() -> bool:
                try:
                    return (await client.get("/healthz")).json() == {"status": "ok"}
                except httpx.TransportError:
                    return False

            await wait_until(healthy, timeout=60, interval=0.2)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "demo sign-ins" in output and "student1.1" in output and "proctor" in output
    assert (tmp_path / "data" / "sabaq.db").exists()
    assert (tmp_path / "data" / "secret_key").exists()
    again = subprocess.run(
        [sys.executable, "-m", "server", "seed"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert again.returncode == 0
    assert "already present" in again.stdout


def test_bad_configuration_stops_with_a_clear_message(tmp_path: Path) -> None:
    env = {**environment(tmp_path, free_port()), "PORT": "not-a-port"}
    result = subprocess.run(
        [sys.executable, "-m", "server", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "configuration error: PORT must be a whole number" in result.stderr


def test_production_refuses_demo_data_and_creates_a_first_admin(tmp_path: Path) -> None:
    env = {**environment(tmp_path, free_port()), "SABAQ_ENV": "production"}

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "server", *args],
            cwd=ROOT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
        )

    assert cli("migrate").returncode == 0
    refused = cli("seed")
    assert refused.returncode == 1
    assert "refusing to seed demo data in production" in refused.stderr
    too_short = cli("create-admin", "rector", "Ректор", stdin="short\n")
    assert too_short.returncode == 1 and "password" in too_short.stderr
    created = cli("create-admin", "rector", "Ректор", stdin="a-long-enough-secret\n")
    assert created.returncode == 0, created.stderr
    again = cli("create-admin", "rector", "Ректор", stdin="a-long-enough-secret\n")
    assert again.returncode == 1 and "already exists" in again.stderr
