"""Retention of proctoring data: photos and flags' evidence of exams older than
PROCTORING_RETENTION_DAYS are purged (files and fields, logged); the verdict, the flags' kinds
and times and the notes stay. Driven by a clock the test sets, and from the command line."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from server.cli import main
from server.db.engine import make_sessionmaker
from server.db.models import ExamCheckin, ProctoringFlag, ScheduledSession
from server.proctoring_retention import ProctoringRetention
from server.services import Services
from tests.conftest import TEST_SECRET, ClientFactory, in_thread
from tests.integration.server.proctoring_kit import base, exam_desk
from tests.integration.server.verdict_kit import handed_in, session_row

pytestmark = pytest.mark.usefixtures("demo")


async def _exam_with_evidence(services: Services, client_for: ClientFactory) -> tuple[int, int]:
    """A handed-in exam with photos, a browser flag, a server flag with evidence, a verdict."""
    session, student, proctor = await exam_desk(services, client_for)
    me = await handed_in(student, proctor, session)
    async with make_sessionmaker(services.engine)() as db:
        checkin = await db.scalar(select(ExamCheckin).where(ExamCheckin.student_id == me))
        assert checkin is not None
        at = datetime.now(UTC)
        db.add(ProctoringFlag(checkin_id=checkin.id, source="browser", kind="tab_hidden", at=at))
        db.add(
            ProctoringFlag(
                checkin_id=checkin.id,
                source="server",
                kind="no_face",
                at=at,
                evidence='{"faces": [0, 0, 0], "seconds": 12}',
            )
        )
        await db.commit()
    verdict = await proctor.put(
        f"{base(session)}/students/{me}/verdict", json={"verdict": "concerns", "comment": "?"}
    )
    assert verdict.status_code == 200
    return session, me


async def test_purge_keeps_the_record_and_deletes_photos_and_evidence(
    services: Services, client_for: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    session, me = await _exam_with_evidence(services, client_for)
    folder = services.settings.data_dir / "proctoring" / f"session-{session}" / f"student-{me}"
    assert len(list(folder.iterdir())) == 2
    starts = (await session_row(services, session)).starts_at
    clock = [starts + timedelta(days=365)]
    retention = ProctoringRetention(
        make_sessionmaker(services.engine), services.settings.data_dir, 365, lambda: clock[0]
    )
    assert (await retention.purge()).checkins == 0  # exactly a year: not older yet
    assert len(list(folder.iterdir())) == 2

    clock[0] = starts + timedelta(days=365, minutes=1)
    with caplog.at_level(logging.INFO, logger="server.proctoring_retention"):
        report = await retention.purge()
    assert (report.checkins, report.photos, report.flags, report.sessions) == (1, 2, 1, [session])
    assert f"sessions [{session}]" in caplog.text and "2 photo files deleted" in caplog.text
    assert not folder.exists() and not folder.parent.exists()
    assert (await retention.purge()).checkins == 0  # purged once

    proctor = await client_for("proctor")
    review = (await proctor.get(f"{base(session)}/students/{me}/review")).json()
    checkin = review["checkin"]
    assert checkin["face_photo_url"] is None and checkin["document_photo_url"] is None
    assert checkin["media_purged_at"] == clock[0].isoformat().replace("+00:00", "Z")
    assert review["decision"]["state"] == "handed_in"
    assert review["verdict"]["verdict"] == "concerns"
    flags = [(e["kind"], e["evidence"]) for e in review["events"] if e["type"] == "flag"]
    assert sorted(flags) == [("no_face", None), ("tab_hidden", None)]
    notes = [e["kind"] for e in review["events"] if e["type"] == "note"]
    assert notes == ["approved", "verdict"]
    face = await proctor.get(f"{base(session)}/students/{me}/photos/face")
    assert face.status_code == 404


async def test_zero_days_keeps_everything(services: Services, client_for: ClientFactory) -> None:
    session, me = await _exam_with_evidence(services, client_for)
    far_future = datetime.now(UTC) + timedelta(days=36500)
    retention = ProctoringRetention(
        make_sessionmaker(services.engine), services.settings.data_dir, 0, lambda: far_future
    )
    assert (await retention.purge()).checkins == 0
    folder = services.settings.data_dir / "proctoring" / f"session-{session}" / f"student-{me}"
    assert len(list(folder.iterdir())) == 2


async def test_the_command_line_purge(
    services: Services,
    client_for: ClientFactory,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    session, me = await _exam_with_evidence(services, client_for)
    async with make_sessionmaker(services.engine)() as db:
        await db.execute(
            update(ScheduledSession)
            .where(ScheduledSession.id == session)
            .values(starts_at=datetime.now(UTC) - timedelta(days=40))
        )
        await db.commit()
    for name, value in {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(services.settings.data_dir),
        "SECRET_KEY": TEST_SECRET,
        "SABAQ_ENV": "test",
        "PROCTORING_RETENTION_DAYS": "30",
    }.items():
        monkeypatch.setenv(name, value)
    assert in_thread(lambda: main(["purge-proctoring"])) == 0
    assert "1 check-ins, 2 files, evidence of 1 flags" in capsys.readouterr().out
    folder = services.settings.data_dir / "proctoring" / f"session-{session}" / f"student-{me}"
    assert not folder.exists()
    monkeypatch.setenv("PROCTORING_RETENTION_DAYS", "0")
    assert in_thread(lambda: main(["purge-proctoring"])) == 0
    assert "nothing purged" in capsys.readouterr().out
    monkeypatch.setenv("PROCTORING_RETENTION_DAYS", "-1")
    assert in_thread(lambda: main(["purge-proctoring"])) == 2
    assert "PROCTORING_RETENTION_DAYS" in capsys.readouterr().err
