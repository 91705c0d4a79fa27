"""Command line: ``python -m server migrate|seed|serve|run|create-admin|purge-proctoring``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import uvicorn
from pydantic import ValidationError
from sqlalchemy import select

from server.app import create_app
from server.db.engine import make_engine, make_sessionmaker
from server.db.migrate import upgrade
from server.db.models import Branch, Person, Role
from server.errors import ConfigError
from server.passwords import PasswordService
from server.proctoring_retention import PurgeReport, proctoring_retention
from server.schemas import PersonIn
from server.seed import ensure_branches, seed_demo
from server.settings import Settings, load_settings

DEMO_PASSWORD = "sabaq-demo"


class CommandError(RuntimeError):
    """A command that cannot do what was asked; printed, exit status 1."""


def migrate(settings: Settings) -> None:
    upgrade(settings.database_url)
    print(f"database migrated: {_safe_url(settings.database_url)}")


def _safe_url(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"


def _passwords(settings: Settings) -> PasswordService:
    return PasswordService(
        settings.password_hash_concurrency,
        settings.password_hash_time_cost,
        settings.password_hash_memory_kib,
    )


async def _seed(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        sessions = make_sessionmaker(engine)
        created = await seed_demo(sessions, _passwords(settings), DEMO_PASSWORD)
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
        raise CommandError("refusing to seed demo data in production (SABAQ_ENV=production)")
    asyncio.run(_seed(settings))


async def _create_admin(settings: Settings, login: str, full_name: str, password: str) -> None:
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as db:
            await ensure_branches(db)
            head = await db.scalar(select(Branch).where(Branch.is_head_office.is_(True)))
            assert head is not None
            data = PersonIn(
                login=login,
                full_name=full_name,
                role=Role.ADMIN,
                branch_id=head.id,
                password=password,
            )
            if await db.scalar(select(Person.id).where(Person.login == data.login)):
                raise CommandError(f"login {data.login!r} already exists")
            db.add(
                Person(
                    login=data.login,
                    full_name=data.full_name,
                    role=Role.ADMIN.value,
                    branch_id=head.id,
                    password_hash=await _passwords(settings).hash(password),
                )
            )
            await db.commit()
    finally:
        await engine.dispose()
    print(f"admin {login!r} created")


def create_admin(settings: Settings, login: str, full_name: str) -> None:
    """The first admin of a production install; the password is read from standard input."""
    password = sys.stdin.readline().rstrip("\n")
    try:
        asyncio.run(_create_admin(settings, login, full_name, password))
    except ValidationError as exc:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        raise CommandError(problems) from None


async def _purge_proctoring(settings: Settings) -> PurgeReport:
    engine = make_engine(settings.database_url)
    try:
        return await proctoring_retention(settings, engine).purge()
    finally:
        await engine.dispose()


def purge_proctoring(settings: Settings) -> None:
    """Runs the proctoring retention purge once (the server also runs it every hour)."""
    days = settings.proctoring_retention_days
    if days <= 0:
        print("PROCTORING_RETENTION_DAYS is 0: proctoring data is kept; nothing purged")
        return
    report = asyncio.run(_purge_proctoring(settings))
    print(
        f"proctoring data older than {days} days purged: {report.checkins} check-ins, "
        f"{report.photos} files, evidence of {report.flags} flags"
    )


def serve(settings: Settings) -> None:
    print(f"serving on http://{settings.host}:{settings.port}")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        ws_max_size=1024 * 1024,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m server")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in [
        ("migrate", "bring the database schema up to date"),
        ("seed", "add demo data to an empty database (not in production)"),
        ("serve", "serve HTTP and WebSocket"),
        ("run", "migrate, seed demo data outside production, serve"),
        ("purge-proctoring", "delete proctoring photos and evidence past their retention"),
    ]:
        commands.add_parser(name, help=text)
    admin = commands.add_parser("create-admin", help="create an admin; password on stdin")
    admin.add_argument("login")
    admin.add_argument("full_name")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = load_settings()
        if args.command in ("migrate", "run"):
            migrate(settings)
        if args.command == "seed" or (
            args.command == "run" and settings.environment != "production"
        ):
            seed(settings)
        if args.command == "create-admin":
            create_admin(settings, args.login, args.full_name)
        if args.command == "purge-proctoring":
            purge_proctoring(settings)
        if args.command in ("serve", "run"):
            serve(settings)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
