from __future__ import annotations

from pathlib import Path

import pytest

from server.errors import ConfigError
from server.settings import TurnServer, load_settings


def test_defaults_use_sqlite_under_the_data_dir_and_no_bus(tmp_path: Path) -> None:
    settings = load_settings({"DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'sabaq.db'}"
    assert settings.redis_url is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.recordings_dir == tmp_path / "recordings"
    assert settings.ice.turn_servers == ()
    assert not settings.secure_cookies


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings({"DATA_DIR": str(tmp_path)}).secret_key
    second = load_settings({"DATA_DIR": str(tmp_path)}).secret_key
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "eighty"}, "PORT must be a whole number"),
        ({"PORT": "70000"}, "PORT must be between 1 and 65535"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 32 characters"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must be"),
        ({"REDIS_URL": "http://127.0.0.1"}, "REDIS_URL must be"),
        ({"SABAQ_ENV": "staging"}, "SABAQ_ENV must be one of"),
        ({"ICE_UDP_PORT_MIN": "50000", "ICE_UDP_PORT_MAX": "40000"}, "ICE_UDP_PORT_MIN"),
        ({"TURN_SERVERS": "http://turn"}, "TURN_SERVERS entry"),
        ({"DEFAULT_TIMEZONE": "Nowhere/City"}, "DEFAULT_TIMEZONE"),
        ({"MAX_UPLOAD_BYTES": "-5"}, "MAX_UPLOAD_BYTES"),
    ],
)
def test_bad_values_fail_loudly(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"DATA_DIR": str(tmp_path), **env})


def test_postgres_url_aliases_and_ice_servers(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "DATA_DIR": str(tmp_path),
            "DATABASE_URL": "postgresql://sabaq@db:5432/sabaq",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "TURN_SERVERS": "turn:turn.example:3478?transport=udp|user|secret, stun:stun.example",
            "ICE_PUBLIC_ADDRESS": "203.0.113.7",
            "SABAQ_ENV": "production",
        }
    )
    assert settings.database_url == "postgresql+asyncpg://sabaq@db:5432/sabaq"
    assert settings.ice.turn_servers == (
        TurnServer("turn:turn.example:3478?transport=udp", "user", "secret"),
        TurnServer("stun:stun.example"),
    )
    assert settings.ice.public_address == "203.0.113.7"
    assert settings.secure_cookies
