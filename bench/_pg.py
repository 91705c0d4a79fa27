"""The local PostgreSQL's admin connection, shared by the benchmarks that make a scratch
database for one run (attendance, offline, proctoring --postgres)."""

from __future__ import annotations

import os

import asyncpg  # type: ignore[import-untyped]

ADMIN_URL = os.environ.get("BENCH_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


def database_url(name: str) -> str:
    """The URL of database ``name`` on the admin connection's server."""
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


async def admin(statement: str) -> None:
    """One statement on the admin database (CREATE/DROP DATABASE)."""
    connection = await asyncpg.connect(ADMIN_URL, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
