"""Command line: ``python -m server migrate|seed|serve|run``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import uvicorn

from server.app import create_app
from server.db.engine import make_engine, make_sessionmaker
from server.db.migrate import upgrade
from server.errors import ConfigError
from server.passwords import PasswordService
from server.seed import seed_demo
from server.settings import Settings, load_settings

DEMO_PASSWORD = "sabaq-demo"


def migrate(settings: Settings) -> None:
    upgrade(settings.database_url)
    print(f"database migrated: {_safe_url(settings.database_url)}")


def _safe_url(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"


async def _seed(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        created = await seed_demo(
            make_sessionmaker(engine),
            PasswordService(
                settings.password_hash_concurrency,
                settings.password_hash_time_cost,
                settings.password_hash_memory_kib,
            ),
            DEMO_PASSWORD,
        )
    finally:
        await engine.dispose()
    if not created:
        print("demo data already present; not seeding again")
        return
    print(f"demo sign-ins (password for all: {DEMO_PASSWORD}):")
    for entry in created:
        print(f"  {entry.role:<8} {entry.login:<22} {entry.name}")


def seed(settings: Settings) -> None:
    if settings.environment == "production":
        raise ConfigError("refusing to seed demo data in production")
    asyncio.run(_seed(settings))


def serve(settings: Settings) -> None:
    print(f"serving on http://{settings.host}:{settings.port}")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server")
    parser.add_argument("command", choices=["migrate", "seed", "serve", "run"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = load_settings()
        if args.command in ("migrate", "run"):
            migrate(settings)
        if args.command in ("seed", "run") and settings.environment != "production":
            seed(settings)
        if args.command in ("serve", "run"):
            serve(settings)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return 0
