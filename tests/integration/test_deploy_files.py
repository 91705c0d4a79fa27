"""The campus deployment files: Compose validates them, and they agree with the settings."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

from server.settings import load_settings
from tests.support import require

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "SECRET_KEY": "s" * 40,
    "POSTGRES_PASSWORD": "pw",
    "TURN_SECRET": "turn-secret",
    "PUBLIC_ADDRESS": "203.0.113.10",
}


def compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def test_compose_config_validates() -> None:
    command = compose_command()
    require(command is not None, "docker compose (or docker-compose)")
    assert command is not None
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(ROOT), **SECRETS}
    result = subprocess.run(
        [*command, "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    missing = subprocess.run(
        [*command, "config", "-q"],
        cwd=ROOT,
        env={"PATH": env["PATH"], "HOME": env["HOME"]},
        capture_output=True,
        text=True,
    )
    assert missing.returncode != 0
    assert "SECRET_KEY" in missing.stderr or "POSTGRES_PASSWORD" in missing.stderr


def test_the_app_service_environment_is_a_valid_production_configuration(tmp_path: Path) -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert set(compose["services"]) == {"app", "postgres", "redis", "coturn"}
    environment = {
        key: str(value)
        .replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "pw")
        .replace("${SECRET_KEY:?set SECRET_KEY}", SECRETS["SECRET_KEY"])
        for key, value in compose["services"]["app"]["environment"].items()
    }
    resolved = {k: v for k, v in environment.items() if "${" not in v}
    settings = load_settings({**resolved, "DATA_DIR": str(tmp_path)})
    assert settings.environment == "production"
    assert settings.database_url.startswith("postgresql+asyncpg://sabaq:pw@postgres:5432/")
    assert settings.redis_url == "redis://redis:6379/0"
    assert settings.secure_cookies
