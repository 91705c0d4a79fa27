"""Settings: read once from the environment, frozen, failing loudly on bad values.

Nothing else in the code base reads ``os.environ``; everything is passed in from here.
"""

from __future__ import annotations

import os
import secrets
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from server.errors import ConfigError

ENVIRONMENTS = ("development", "production", "test")


@dataclass(frozen=True)
class TurnServer:
    """One TURN (or STUN) server offered to browsers for ICE."""

    url: str
    username: str = ""
    credential: str = ""


@dataclass(frozen=True)
class IceSettings:
    """How the SFU gathers and offers ICE candidates."""

    udp_port_min: int = 40000
    udp_port_max: int = 40999
    public_address: str | None = None
    turn_servers: tuple[TurnServer, ...] = ()
    loopback_only: bool = False


@dataclass(frozen=True)
class Settings:
    """Every setting of one Sabaq process."""

    database_url: str
    secret_key: str
    data_dir: Path
    recordings_dir: Path
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    environment: str = "development"
    ice: IceSettings = field(default_factory=IceSettings)
    max_upload_bytes: int = 100 * 1024 * 1024
    max_json_bytes: int = 64 * 1024
    session_ttl_hours: int = 12
    room_token_ttl_seconds: int = 300
    login_max_failures: int = 5
    login_window_seconds: int = 300
    password_hash_concurrency: int = 2
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65536
    default_timezone: str = "Asia/Almaty"
    room_resume_seconds: int = 15
    chat_rate_per_second: int = 2
    chat_burst: int = 10
    heartbeat_seconds: int = 30
    attendance_grace_seconds: int = 60
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "sabaq@localhost"
    upload_expiry_hours: int = 24
    inbox_keepalive_seconds: int = 15
    recording_retention_days: int = 365
    recording_max_bytes: int | None = None
    recording_segment_seconds: int = 4
    recording_auto: bool = True
    recorder_signal_url: str | None = None
    proctoring_required: bool = True
    proctoring_sample_seconds: int = 3
    proctoring_face_threshold_seconds: int = 10
    proctoring_camera_stall_seconds: int = 10
    proctoring_speech_seconds: int = 3
    proctoring_speech_window_seconds: int = 5
    proctoring_track_grace_seconds: int = 5
    proctoring_identity_seconds: int = 30
    proctoring_retention_days: int = 365

    @property
    def secure_cookies(self) -> bool:
        return self.environment == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from ``env`` (default: the process environment)."""
    source: Mapping[str, str] = os.environ if env is None else env
    data_dir = Path(source.get("DATA_DIR", "data")).resolve()
    environment = _choice(source, "SABAQ_ENV", ENVIRONMENTS, "development")
    default_tz = source.get("DEFAULT_TIMEZONE", "Asia/Almaty")
    _check_timezone(default_tz)
    speech_seconds = _int(source, "PROCTORING_SPEECH_SECONDS", 3, 0, 60)
    return Settings(
        database_url=_database_url(source, data_dir),
        secret_key=_secret_key(source, data_dir),
        data_dir=data_dir,
        recordings_dir=Path(source.get("RECORDINGS_DIR", str(data_dir / "recordings"))).resolve(),
        redis_url=_redis_url(source),
        host=source.get("HOST", "127.0.0.1"),
        port=_int(source, "PORT", 8000, 1, 65535),
        environment=environment,
        ice=_ice(source),
        max_upload_bytes=_int(source, "MAX_UPLOAD_BYTES", 100 * 1024 * 1024, 1024, 1 << 40),
        max_json_bytes=_int(source, "MAX_JSON_BYTES", 64 * 1024, 1024, 16 * 1024 * 1024),
        session_ttl_hours=_int(source, "SESSION_TTL_HOURS", 12, 1, 24 * 30),
        room_token_ttl_seconds=_int(source, "ROOM_TOKEN_TTL_SECONDS", 300, 10, 86400),
        login_max_failures=_int(source, "LOGIN_MAX_FAILURES", 5, 1, 1000),
        login_window_seconds=_int(source, "LOGIN_WINDOW_SECONDS", 300, 1, 86400),
        password_hash_concurrency=_int(source, "PASSWORD_HASH_CONCURRENCY", 2, 1, 64),
        password_hash_time_cost=_int(source, "PASSWORD_HASH_TIME_COST", 3, 1, 20),
        password_hash_memory_kib=_int(source, "PASSWORD_HASH_MEMORY_KIB", 65536, 8192, 1 << 21),
        default_timezone=default_tz,
        room_resume_seconds=_int(source, "ROOM_RESUME_SECONDS", 15, 1, 600),
        chat_rate_per_second=_int(source, "CHAT_RATE_PER_SECOND", 2, 1, 1000),
        chat_burst=_int(source, "CHAT_BURST", 10, 1, 10000),
        heartbeat_seconds=_int(source, "HEARTBEAT_SECONDS", 30, 1, 300),
        attendance_grace_seconds=_int(source, "ATTENDANCE_GRACE_SECONDS", 60, 0, 3600),
        smtp_host=source.get("SMTP_HOST") or None,
        smtp_port=_int(source, "SMTP_PORT", 25, 1, 65535),
        smtp_from=source.get("SMTP_FROM") or "sabaq@localhost",
        upload_expiry_hours=_int(source, "UPLOAD_EXPIRY_HOURS", 24, 1, 24 * 30),
        inbox_keepalive_seconds=_int(source, "INBOX_KEEPALIVE_SECONDS", 15, 1, 300),
        recording_retention_days=_int(source, "RECORDING_RETENTION_DAYS", 365, 0, 36500),
        recording_max_bytes=_int(source, "RECORDING_MAX_BYTES", 0, 0, 1 << 50) or None,
        recording_segment_seconds=_int(source, "RECORDING_SEGMENT_SECONDS", 4, 1, 60),
        # Midterms and exams record themselves; test runs opt in (RECORDING_AUTO=1).
        recording_auto=_flag(source, "RECORDING_AUTO", environment != "test"),
        recorder_signal_url=source.get("RECORDER_SIGNAL_URL") or None,
        # Exam students publish only once a proctor approved their identity; test runs opt in.
        proctoring_required=_flag(source, "PROCTORING_REQUIRED", environment != "test"),
        # The server's own evidence about exam students (server.proctoring_evidence).
        proctoring_sample_seconds=_int(source, "PROCTORING_SAMPLE_SECONDS", 3, 1, 60),
        proctoring_face_threshold_seconds=_int(
            source, "PROCTORING_FACE_THRESHOLD_SECONDS", 10, 0, 600
        ),
        proctoring_camera_stall_seconds=_int(source, "PROCTORING_CAMERA_STALL_SECONDS", 10, 1, 600),
        proctoring_speech_seconds=speech_seconds,
        proctoring_speech_window_seconds=_speech_window(source, speech_seconds),
        proctoring_track_grace_seconds=_int(source, "PROCTORING_TRACK_GRACE_SECONDS", 5, 0, 120),
        # Camera vs check-in photo comparison at most this often (0: none); test runs opt in.
        proctoring_identity_seconds=_int(
            source, "PROCTORING_IDENTITY_SECONDS", 0 if environment == "test" else 30, 0, 3600
        ),
        # Check-in photos and flags' evidence of older exams are purged (0: kept forever).
        proctoring_retention_days=_int(source, "PROCTORING_RETENTION_DAYS", 365, 0, 36500),
    )


def _int(source: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = source.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _speech_window(source: Mapping[str, str], speech_seconds: int) -> int:
    window = _int(source, "PROCTORING_SPEECH_WINDOW_SECONDS", 5, 1, 120)
    if window < speech_seconds:
        raise ConfigError(
            "PROCTORING_SPEECH_WINDOW_SECONDS must be at least PROCTORING_SPEECH_SECONDS"
        )
    return window


def _flag(source: Mapping[str, str], name: str, default: bool) -> bool:
    raw = source.get(name, "")
    if raw == "":
        return default
    if raw not in ("0", "1", "true", "false", "yes", "no"):
        raise ConfigError(f"{name} must be 1 or 0, got {raw!r}")
    return raw in ("1", "true", "yes")


def _choice(source: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = source.get(name) or default
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _check_timezone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"DEFAULT_TIMEZONE {name!r} is not a known time zone") from None


def _database_url(source: Mapping[str, str], data_dir: Path) -> str:
    url = source.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'sabaq.db'}"
    scheme = url.split("://", 1)[0]
    aliases = {"postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg"}
    scheme = aliases.get(scheme, scheme)
    if scheme == "sqlite":
        scheme = "sqlite+aiosqlite"
    if scheme not in ("sqlite+aiosqlite", "postgresql+asyncpg") or "://" not in url:
        raise ConfigError(
            f"DATABASE_URL must be sqlite+aiosqlite:///PATH or postgresql://..., got {url!r}"
        )
    return scheme + "://" + url.split("://", 1)[1]


def _redis_url(source: Mapping[str, str]) -> str | None:
    url = source.get("REDIS_URL") or None
    if url is not None and urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"REDIS_URL must be redis://HOST:PORT/DB, got {url!r}")
    return url


def _secret_key(source: Mapping[str, str], data_dir: Path) -> str:
    given = source.get("SECRET_KEY")
    if given:
        if len(given) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters long")
        return given
    return _stored_secret(data_dir / "secret_key")


def _stored_secret(path: Path) -> str:
    """The key generated on first run, kept beside the data so restarts keep sessions."""
    if path.exists():
        key = path.read_text().strip()
        if len(key) < 32:
            raise ConfigError(f"{path} holds a key shorter than 32 characters")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return key


def _ice(source: Mapping[str, str]) -> IceSettings:
    low = _int(source, "ICE_UDP_PORT_MIN", 40000, 1024, 65535)
    high = _int(source, "ICE_UDP_PORT_MAX", 40999, 1024, 65535)
    if low > high:
        raise ConfigError(f"ICE_UDP_PORT_MIN ({low}) is above ICE_UDP_PORT_MAX ({high})")
    return IceSettings(
        udp_port_min=low,
        udp_port_max=high,
        public_address=source.get("ICE_PUBLIC_ADDRESS") or None,
        turn_servers=_turn_servers(source.get("TURN_SERVERS", "")),
        loopback_only=source.get("ICE_LOOPBACK_ONLY", "") in ("1", "true", "yes"),
    )


def _turn_servers(raw: str) -> tuple[TurnServer, ...]:
    """Parse ``turn:host:3478?transport=udp|user|secret, ...`` (user and secret optional)."""
    servers = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        url, _, rest = item.partition("|")
        username, _, credential = rest.partition("|")
        if not url.startswith(("turn:", "turns:", "stun:")):
            raise ConfigError(f"TURN_SERVERS entry must start with turn:, turns: or stun:: {url!r}")
        servers.append(TurnServer(url=url, username=username, credential=credential))
    return tuple(servers)
