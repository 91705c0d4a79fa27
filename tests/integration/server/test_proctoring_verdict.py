"""After the exam: the verdict (who may give it, when, its history as notes), the review's
verdict, the verdict on the control's grade sheet (JSON, XLSX, HTML) and its freeze once the
sheet is signed (409, logged), and the log of every view of a review."""

from __future__ import annotations

import io

import openpyxl
import pytest

from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.grades_kit import refusals
from tests.integration.server.proctoring_kit import base, checked_in, exam, exam_desk
from tests.integration.server.verdict_kit import exam_day, far_proctor, handed_in, session_row

pytestmark = pytest.mark.usefixtures("demo")


async def test_verdict_after_the_exam_changes_kept_as_notes_and_shown_in_review(
    services: Services, client_for: ClientFactory
) -> None:
    session, student, proctor = await exam_desk(services, client_for)
    me = (await checked_in(student, session))["student_id"]
    url = f"{base(session)}/students/{me}"
    early = await proctor.put(f"{url}/verdict", json={"verdict": "no_concerns"})
    assert early.status_code == 409 and "handed in or ended" in early.text
    await proctor.post(f"{url}/approve")
    await student.post(f"{base(session)}/me/start")
    in_exam = await proctor.put(f"{url}/verdict", json={"verdict": "concerns"})
    assert in_exam.status_code == 409
    assert (await student.post(f"{base(session)}/me/hand-in")).status_code == 200
    review = (await proctor.get(f"{url}/review")).json()
    assert review["verdict"] is None

    first = await proctor.put(
        f"{url}/verdict", json={"verdict": "concerns", "comment": "looked away often"}
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) == {"verdict", "comment", "decided_by", "decided_by_name", "decided_at"}
    assert (body["verdict"], body["comment"]) == ("concerns", "looked away often")
    proctor_id = body["decided_by"]
    assert body["decided_at"].endswith("Z")
    same = await proctor.put(
        f"{url}/verdict", json={"verdict": "concerns", "comment": "looked away often"}
    )
    assert same.json() == body  # nothing changed: no new note
    tutor = await client_for("tutor.akhmetova")
    changed = await tutor.put(f"{url}/verdict", json={"verdict": "violation"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["comment"] == "" and changed.json()["decided_by"] != proctor_id
    assert changed.json()["decided_by_name"] == "Айгуль Ахметова"

    review = (await proctor.get(f"{url}/review")).json()
    assert review["verdict"] == changed.json()
    verdict_notes = [e for e in review["events"] if e["kind"] == "verdict"]
    assert [(n["text"], n["author_id"]) for n in verdict_notes] == [
        ("concerns: looked away often", proctor_id),
        ("violation", changed.json()["decided_by"]),
    ]
    assert verdict_notes[1]["author_name"] == "Айгуль Ахметова"
    assert body["decided_by_name"] == verdict_notes[0]["author_name"] != ""
    staff = await client_for("staff.karaganda")
    assert (await staff.put(f"{url}/verdict", json={"verdict": "no_concerns"})).status_code == 200


async def test_verdict_bad_input_and_who_may_give_it(
    services: Services, client_for: ClientFactory
) -> None:
    session, student, proctor = await exam_desk(services, client_for)
    me = await handed_in(student, proctor, session)
    url = f"{base(session)}/students/{me}/verdict"
    for bad in (
        {},
        {"verdict": "guilty"},
        {"verdict": None},
        {"verdict": "violation", "comment": "x" * 2001},
        {"verdict": "violation", "comment": 5},
        {"verdict": "violation", "severity": "high"},
    ):
        refused = await proctor.put(url, json=bad)
        assert refused.status_code == 422, (bad, refused.text)
    not_json = await proctor.put(url, content=b"violation", headers={"Content-Type": "text/plain"})
    assert not_json.status_code == 400
    longest = await proctor.put(url, json={"verdict": "violation", "comment": "я" * 2000})
    assert longest.status_code == 200 and len(longest.json()["comment"]) == 2000

    assert (await student.put(url, json={"verdict": "no_concerns"})).status_code == 403
    other = await client_for("student1.2")
    assert (await other.put(url, json={"verdict": "no_concerns"})).status_code == 404
    for outsider in ("tutor.serikbayev", "staff.astana", await far_proctor(services)):
        client = await client_for(outsider)
        answer = await client.put(url, json={"verdict": "no_concerns"})
        assert answer.status_code == 404, (outsider, answer.text)
    stranger = await client_for("student2.1")
    assert (await stranger.put(url, json={"verdict": "no_concerns"})).status_code == 404
    admin = await client_for("admin")
    assert (await admin.put(url, json={"verdict": "no_concerns"})).status_code == 200
    nobody = await proctor.put(
        f"{base(session)}/students/999999/verdict", json={"verdict": "concerns"}
    )
    assert nobody.status_code == 404
    waiting = (await (await client_for("student1.2")).get(f"{base(session)}/me")).json()
    not_started = await proctor.put(
        f"{base(session)}/students/{waiting['student_id']}/verdict", json={"verdict": "concerns"}
    )
    assert not_started.status_code == 409 and "not_started" in not_started.text
    second = await client_for("student1.2")
    await checked_in(second, session)
    second_url = f"{base(session)}/students/{waiting['student_id']}"
    assert (await proctor.post(f"{second_url}/approve")).status_code == 200
    ended = await proctor.post(f"{second_url}/end", json={"reason": "phone on the desk"})
    assert ended.json()["state"] == "ended_by_proctor"
    after_end = await proctor.put(f"{second_url}/verdict", json={"verdict": "violation"})
    assert after_end.status_code == 200, after_end.text


async def test_the_verdict_is_on_the_controls_sheet_and_frozen_once_signed(
    services: Services, client_for: ClientFactory
) -> None:
    session, student, proctor = await exam_desk(services, client_for)
    row = await session_row(services, session)
    me = await handed_in(student, proctor, session)
    url = f"{base(session)}/students/{me}/verdict"
    assert (await proctor.put(url, json={"verdict": "violation"})).status_code == 200
    tutor = await client_for("tutor.akhmetova")
    item = await tutor.post(
        "/api/grade-items",
        json={
            "course_id": row.course_id,
            "group_id": row.group_id,
            "kind": "final_exam",
            "title": "Экзамен",
            "held_on": (await exam_day(services, session)).isoformat(),
        },
    )
    assert item.status_code == 201, item.text
    item_id = item.json()["id"]
    sheet = (await tutor.get(f"/api/grade-items/{item_id}/sheet")).json()
    assert sheet["proctored"] is True
    verdicts = {r["student_id"]: r["proctoring"] for r in sheet["rows"]}
    assert verdicts[me] == "violation" and set(verdicts.values()) == {"violation", None}

    xlsx = await tutor.get(f"/api/grade-items/{item_id}/sheet", params={"format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [[cell.value for cell in r] for r in book.iter_rows()]
    header = next(r for r in values if r[0] == "№")
    assert header[-1] == "Прокторинг" and header[-2] == "Цифровой эквивалент"
    mine = next(r for r in book.iter_rows() if r[1].value == "Алия Нуржанова")
    assert mine[-1].value == "нарушение" and mine[-2].number_format == "0.00"
    html = (await tutor.get(f"/api/grade-items/{item_id}/sheet", params={"format": "html"})).text
    assert '<th scope="col">Прокторинг</th>' in html and "<td>нарушение</td>" in html

    signed = await tutor.post(f"/api/grade-items/{item_id}/sheet/sign")
    assert signed.status_code == 200, signed.text
    refused = await proctor.put(url, json={"verdict": "no_concerns", "comment": "appeal"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["details"]["sheet_id"] == signed.json()["sheet_id"]
    assert (await refusals(services))[-1] == (
        f"proctoring verdict no_concerns for student {me} in session {session}"
    )
    review = (await proctor.get(f"{base(session)}/students/{me}/review")).json()
    assert review["verdict"]["verdict"] == "violation"
    staff = await client_for("staff.karaganda")
    reopened = await staff.post(
        f"/api/grade-items/{item_id}/sheet/reopen", json={"reason": "апелляция"}
    )
    assert reopened.status_code == 200, reopened.text
    assert (await proctor.put(url, json={"verdict": "no_concerns"})).status_code == 200
    sheet = (await tutor.get(f"/api/grade-items/{item_id}/sheet")).json()
    assert {r["student_id"]: r["proctoring"] for r in sheet["rows"]}[me] == "no_concerns"


async def test_a_sheet_of_a_control_held_in_class_has_no_proctoring_column(
    services: Services, client_for: ClientFactory
) -> None:
    session = await exam(services)
    row = await session_row(services, session)
    tutor = await client_for("tutor.akhmetova")
    day = await exam_day(services, session)
    item = await tutor.post(
        "/api/grade-items",
        json={
            "course_id": row.course_id,
            "group_id": row.group_id,
            "kind": "midterm",  # the exam session does not hold a midterm control
            "title": "РК1",
            "held_on": day.isoformat(),
        },
    )
    sheet = (await tutor.get(f"/api/grade-items/{item.json()['id']}/sheet")).json()
    assert sheet["proctored"] is False and all("proctoring" not in r for r in sheet["rows"])
    html = await tutor.get(f"/api/grade-items/{item.json()['id']}/sheet", params={"format": "html"})
    assert "Прокторинг" not in html.text


async def test_every_view_of_a_review_is_logged(
    services: Services, client_for: ClientFactory
) -> None:
    session, student, proctor = await exam_desk(services, client_for)
    me = await handed_in(student, proctor, session)
    url = f"{base(session)}/students/{me}/review"
    tutor = await client_for("tutor.akhmetova")
    staff = await client_for("staff.karaganda")
    assert (await tutor.get(f"{url}/views")).json()["views"] == []
    for client in (proctor, proctor, tutor):
        assert (await client.get(url)).status_code == 200
    assert (await student.get(url)).status_code == 403  # refused: not a view, not logged
    listed = await staff.get(f"{url}/views")
    assert listed.status_code == 200, listed.text
    views = listed.json()["views"]
    assert [(v["viewer_name"], v["viewer_role"]) for v in views] == [
        ("Гульнара Прокторова", "proctor"),
        ("Гульнара Прокторова", "proctor"),
        ("Айгуль Ахметова", "tutor"),
    ]
    assert views[0]["viewed_at"] <= views[2]["viewed_at"]
    assert (await tutor.get(f"{url}/views")).json()["views"] == views
    admin = await client_for("admin")
    assert len((await admin.get(f"{url}/views")).json()["views"]) == 3

    assert (await proctor.get(f"{url}/views")).status_code == 403
    assert (await student.get(f"{url}/views")).status_code == 403
    other = await client_for("student1.2")
    assert (await other.get(f"{url}/views")).status_code == 404
    for outsider in ("tutor.serikbayev", "staff.astana"):
        answer = await (await client_for(outsider)).get(f"{url}/views")
        assert answer.status_code == 404, outsider
