"""Assignments and submissions: drafts, receipts, versions, idempotency, deadlines, scope."""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from server.db.models import SubmissionVersion
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.lookup import count
from tests.integration.server.offline_kit import (
    PDF,
    PNG,
    docx,
    key,
    set_assignment,
    sha,
    submit,
    upload,
    uploaded,
)

pytestmark = pytest.mark.usefixtures("demo")


async def test_draft_then_final_gives_a_receipt_and_resubmission_keeps_every_version(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    student = await client_for("student1.1")
    assignment = (await set_assignment(services, tutor))["id"]
    first = await uploaded(student, "Эссе 1.pdf", PDF)
    second = await uploaded(student, "essay.docx", docx())

    draft = await student.put(
        f"/api/assignments/{assignment}/draft", json={"text": "v1", "upload_ids": [first]}
    )
    assert draft.status_code == 200 and draft.json()["status"] == "draft"
    receipt = await submit(student, assignment, {}, "final-0001")
    assert receipt.status_code == 201, receipt.text
    body = receipt.json()
    assert body["version"] == 1 and body["late"] is False and body["text"] == "v1"
    assert body["files"] == [
        {"upload_id": first, "name": "Эссе 1.pdf", "size": len(PDF), "sha256": sha(PDF)}
    ]
    again = await submit(student, assignment, {"upload_ids": [first, second]}, "final-0002")
    assert again.status_code == 201 and again.json()["version"] == 2
    mine = (await student.get(f"/api/assignments/{assignment}/submission")).json()
    assert mine["status"] == "submitted"
    assert [v["version"] for v in mine["versions"]] == [1, 2]
    assert [f["name"] for f in mine["versions"][1]["files"]] == ["Эссе 1.pdf", "essay.docx"]


async def test_a_replayed_key_returns_the_original_and_other_content_is_a_conflict(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    student = await client_for("student1.1")
    assignment = (await set_assignment(services, tutor))["id"]
    file_id = await uploaded(student, "a.pdf", PDF)
    body = {"upload_ids": [file_id]}
    first = await submit(student, assignment, body, "same-key-1")
    replay = await submit(student, assignment, body, "same-key-1")
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json() == first.json()
    other = await submit(student, assignment, {"upload_ids": [file_id], "text": "x"}, "same-key-1")
    assert other.status_code == 409
    missing = await student.post(f"/api/assignments/{assignment}/submit", json=body)
    assert missing.status_code == 422
    assert await count(services, SubmissionVersion) == 1


async def test_concurrent_final_submits_make_exactly_one_transition(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    student = await client_for("student1.1")
    assignment = (await set_assignment(services, tutor))["id"]
    file_id = await uploaded(student, "a.pdf", PDF)
    body = {"upload_ids": [file_id], "base_version": 0}
    same = await asyncio.gather(*(submit(student, assignment, body, "dup-key-1") for _ in range(4)))
    assert sorted(r.status_code for r in same) == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in same}) == 1
    racing = await asyncio.gather(
        *(
            submit(student, assignment, {**body, "base_version": 1}, f"race-{i:04d}")
            for i in range(3)
        )
    )
    assert sorted(r.status_code for r in racing) == [201, 409, 409]
    assert await count(services, SubmissionVersion) == 2


async def test_late_work_is_marked_and_a_closed_assignment_refuses(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    student = await client_for("student1.1")
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    late_ok = (await set_assignment(services, tutor, due_at=past, late_accepted=True))["id"]
    closed = (await set_assignment(services, tutor, due_at=past))["id"]
    file_id = await uploaded(student, "a.pdf", PDF)
    late = await submit(student, late_ok, {"upload_ids": [file_id]}, key())
    assert late.status_code == 201 and late.json()["late"] is True
    refused = await submit(student, closed, {"upload_ids": [file_id]}, key())
    assert refused.status_code == 409 and "closed" in refused.json()["error"]["message"]
    mine = (await student.get(f"/api/assignments/{closed}/submission")).json()
    assert mine["status"] == "missing" and mine["versions"] == []


async def test_tutor_sees_who_submitted_who_is_late_and_who_has_not(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    on_time = (await set_assignment(services, tutor))["id"]
    late_one = (await set_assignment(services, tutor, due_at=past, late_accepted=True))["id"]
    first, second = await client_for("student1.1"), await client_for("student1.2")
    await submit(first, on_time, {"upload_ids": [await uploaded(first, "a.pdf", PDF)]}, key())
    await submit(second, late_one, {"upload_ids": [await uploaded(second, "b.pdf", PDF)]}, key())
    roster = (await tutor.get(f"/api/assignments/{on_time}/submissions")).json()
    assert roster["counts"] == {"submitted": 1, "late": 0, "draft": 0, "missing": 2}
    late_roster = (await tutor.get(f"/api/assignments/{late_one}/submissions")).json()
    assert late_roster["counts"]["late"] == 1
    statuses = {row["student"]["login"]: row["status"] for row in late_roster["students"]}
    assert statuses == {"student1.1": "missing", "student1.2": "late", "student1.3": "missing"}
    assert (await first.get(f"/api/assignments/{on_time}/submissions")).status_code == 403


async def test_the_archive_holds_each_students_latest_version(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    assignment = (await set_assignment(services, tutor))["id"]
    student = await client_for("student1.1")
    await submit(
        student, assignment, {"upload_ids": [await uploaded(student, "old.pdf", PDF)]}, key()
    )
    newer = PDF + b"% v2\n"
    await submit(
        student, assignment, {"upload_ids": [await uploaded(student, "Жаңа.pdf", newer)]}, key()
    )
    response = await tutor.get(f"/api/assignments/{assignment}/archive")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == ["student1.1/v2/Жаңа.pdf"]
        assert archive.read("student1.1/v2/Жаңа.pdf") == newer
    assert (await student.get(f"/api/assignments/{assignment}/archive")).status_code == 403


async def test_students_cannot_set_assignments_or_see_other_groups(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    assignment = (await set_assignment(services, tutor))["id"]
    student = await client_for("student1.1")
    created = await student.post("/api/assignments", json={"title": "x"})
    assert created.status_code == 403
    assert (await student.get(f"/api/assignments/{assignment}")).status_code == 200
    other_group = await client_for("student2.1")
    assert (await other_group.get(f"/api/assignments/{assignment}")).status_code == 404
    assert (await submit(other_group, assignment, {"text": "x"}, key())).status_code == 404
    other_tutor = await client_for("tutor.serikbayev")
    assert (await other_tutor.get(f"/api/assignments/{assignment}/submissions")).status_code == 404
    assert (await other_tutor.get("/api/assignments")).json()["assignments"] == []


async def test_a_student_cannot_read_or_change_another_students_submission(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    assignment = (await set_assignment(services, tutor))["id"]
    owner, other = await client_for("student1.1"), await client_for("student1.2")
    file_id = await uploaded(owner, "mine.pdf", PDF)
    receipt = (await submit(owner, assignment, {"upload_ids": [file_id]}, key())).json()
    submission = receipt["submission_id"]
    assert (await other.get(f"/api/submissions/{submission}")).status_code == 404
    assert (await other.get(f"/api/uploads/{file_id}/content")).status_code == 404
    stolen = await submit(other, assignment, {"upload_ids": [file_id]}, key())
    assert stolen.status_code == 404
    drafted = await other.put(
        f"/api/assignments/{assignment}/draft", json={"upload_ids": [file_id]}
    )
    assert drafted.status_code == 404
    assert (await owner.get(f"/api/submissions/{submission}")).status_code == 200
    seen = await tutor.get(f"/api/submissions/{submission}")
    assert seen.status_code == 200 and seen.json()["versions"][0]["files"][0]["sha256"] == sha(PDF)
    assert (await tutor.get(f"/api/uploads/{file_id}/content")).content == PDF


async def test_files_are_checked_against_the_assignment(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    assignment = (await set_assignment(services, tutor, max_file_bytes=2048))["id"]
    student = await client_for("student1.1")
    wrong_type = await upload(student, "photo.png", PNG, assignment)
    assert wrong_type.status_code == 422
    too_big = await upload(student, "big.pdf", PDF + b"0" * 4096, assignment)
    assert too_big.status_code == 413
    png = await uploaded(student, "photo.png", PNG)
    refused = await submit(student, assignment, {"upload_ids": [png]}, key())
    assert refused.status_code == 422
    empty = await submit(student, assignment, {"upload_ids": []}, key())
    assert empty.status_code == 422


async def test_an_unfinished_resumable_upload_never_makes_a_submission(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    assignment = (await set_assignment(services, tutor))["id"]
    student = await client_for("student1.1")
    tus = {"Tus-Resumable": "1.0.0"}
    created = await student.post(
        "/api/tus",
        headers={**tus, "Upload-Length": str(len(PDF)), "Upload-Metadata": "filename YS5wZGY="},
    )
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    half = await student.patch(
        location,
        content=PDF[:100],
        headers={**tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    )
    assert half.status_code == 204 and half.headers["upload-offset"] == "100"
    upload_id = int(location.rsplit("/", 1)[1])
    refused = await submit(student, assignment, {"upload_ids": [upload_id]}, key())
    assert refused.status_code == 409
    mine = (await student.get(f"/api/assignments/{assignment}/submission")).json()
    assert mine["status"] == "missing"


async def test_assignment_inputs_are_validated(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    base = await set_assignment(services, tutor)
    body = {k: base[k] for k in ("course_id", "group_id", "title", "due_at", "accepted_types")}
    cases = [
        {**body, "max_file_bytes": 1000, "max_points": 101},
        {**body, "max_file_bytes": 1000, "accepted_types": ["exe"]},
        {**body, "max_file_bytes": 1000, "due_at": "2026-01-01T10:00:00"},
        {**body, "max_file_bytes": 10**12},
    ]
    for case in cases:
        response = await tutor.post("/api/assignments", json=case)
        assert response.status_code == 422, (case, response.text)
