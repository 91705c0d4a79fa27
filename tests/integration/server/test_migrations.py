"""Migrations run forwards and backwards on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Insert, column, insert, inspect, table, text

from server.db.engine import make_engine
from server.db.migrate import downgrade, upgrade
from server.db.models import Base
from tests.conftest import in_thread


async def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def test_migrations_create_every_model_table_and_roll_back(database_url: str) -> None:
    expected = {table.name for table in Base.metadata.sorted_tables}
    assert await table_names(database_url) == expected
    in_thread(lambda: downgrade(database_url, "base"))
    assert await table_names(database_url) == set()
    in_thread(lambda: upgrade(database_url))
    assert await table_names(database_url) == expected


async def session_columns(url: str) -> set[str]:
    engine = make_engine(url)
    async with engine.connect() as connection:
        columns = await connection.run_sync(
            lambda sync: inspect(sync).get_columns("scheduled_sessions")
        )
    await engine.dispose()
    return {column["name"] for column in columns}


def _rows(**tables: list[dict[str, Any]]) -> list[Insert]:
    """Inserts by table name, each row's columns typed as the models type them."""
    inserts = []
    for name, rows in tables.items():
        model = Base.metadata.tables[name]
        typed = table(name, *(column(key, model.c[key].type) for key in rows[0]))
        inserts.append(insert(typed).values(rows))
    return inserts


async def test_speech_allowed_is_added_forbidden_for_existing_sessions_and_removed(
    database_url: str,
) -> None:
    in_thread(lambda: downgrade(database_url, "0009"))
    assert "speech_allowed" not in await session_columns(database_url)
    now = datetime.now(UTC)
    engine = make_engine(database_url)
    async with engine.begin() as connection:  # an exam scheduled before the migration
        for statement in _rows(
            branches=[{"id": 1, "code": "B", "name": "H", "city": "K", "is_head_office": True}],
            people=[
                {"id": 1, "login": "t", "full_name": "T", "role": "tutor", "branch_id": 1}
                | {"password_hash": "x", "locale": "kk", "active": True, "created_at": now}
            ],
            study_groups=[
                {"id": 1, "name": "G", "speciality": "S", "year": 1, "term": 1, "branch_id": 1}
            ],
            courses=[{"id": 1, "code": "C", "discipline": "D", "credits": 5, "branch_id": 1}],
            scheduled_sessions=[
                {"id": 1, "title": "Exam", "course_id": 1, "group_id": 1, "tutor_id": 1}
                | {"branch_id": 1, "kind": "exam", "mode": "online", "starts_at": now}
                | {"academic_hours": 2, "status": "scheduled"}
            ],
            chat_counters=[{"session_id": 1, "last_seq": 7}],  # a row that cascades from it
            exam_checkins=[
                {"id": 1, "session_id": 1, "student_id": 1, "state": "in_exam"}
                | {"created_at": now, "updated_at": now}
            ],
            proctoring_flags=[
                {"checkin_id": 1, "source": "browser", "kind": "tab_hidden", "at": now}
                | {"received_at": now, "detail": ""}
            ],
        ):
            await connection.execute(statement)
    in_thread(lambda: upgrade(database_url))
    assert "speech_allowed" in await session_columns(database_url)
    async with engine.connect() as connection:
        stored = await connection.scalar(text("SELECT speech_allowed FROM scheduled_sessions"))
    assert stored in (False, 0)  # speech stays forbidden, as before the migration
    in_thread(lambda: downgrade(database_url, "0009"))
    assert "speech_allowed" not in await session_columns(database_url)
    async with engine.connect() as connection:
        titles = await connection.scalars(text("SELECT title FROM scheduled_sessions"))
        assert list(titles) == ["Exam"]
        seqs = await connection.scalars(text("SELECT last_seq FROM chat_counters"))
        assert list(seqs) == [7]  # nothing that hangs on the session was deleted with the column
    # 0009's downgrade drops a column of exam_checkins: the flags that cascade from it stay.
    in_thread(lambda: downgrade(database_url, "0008"))
    async with engine.connect() as connection:
        kinds = await connection.scalars(text("SELECT kind FROM proctoring_flags"))
        assert list(kinds) == ["tab_hidden"]
    await engine.dispose()
    in_thread(lambda: upgrade(database_url))
