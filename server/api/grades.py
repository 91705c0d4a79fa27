"""Grades: grade items and grades, submissions' grades, the gradebook and control plan, students
at risk before a midterm, students' own grades, and grade sheets (JSON, XLSX, printable HTML)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from server.errors import ValidationFailed
from server.export import XLSX_TYPE
from server.grades_print import sheet_html, sheet_xlsx
from server.grades_schemas import BulkIn, GradeIn, GradeItemIn, GradeItemUpdate, PlanIn, ReopenIn
from server.grades_services import GradeServices
from server.web import ok, path_id, query_int, read_json, services, viewer

AT_RISK_DAYS = 7
SHEET_FORMATS = ("json", "xlsx", "html")


def grades_routes() -> list[BaseRoute]:
    item = "/api/grade-items/{id:int}"
    pair = "/api/courses/{id:int}/groups/{group_id:int}"
    return [
        Route("/api/grade-items", create_item, methods=["POST"]),
        Route(item, get_item, methods=["GET"]),
        Route(item, update_item, methods=["PATCH"]),
        Route(item + "/release", release, methods=["POST"]),
        Route(item + "/grades/{student_id:int}", set_grade, methods=["PUT"]),
        Route(item + "/grades/{student_id:int}/history", history, methods=["GET"]),
        Route(item + "/sheet", sheet, methods=["GET"]),
        Route(item + "/sheet/sign", sign, methods=["POST"]),
        Route(item + "/sheet/reopen", reopen, methods=["POST"]),
        Route(item + "/sheet/events", sheet_events, methods=["GET"]),
        Route("/api/submissions/{id:int}/grade", grade_submission, methods=["PUT"]),
        Route(pair + "/gradebook", gradebook, methods=["GET"]),
        Route(pair + "/gradebook/grades", set_many, methods=["POST"]),
        Route(pair + "/control-plan", get_plan, methods=["GET"]),
        Route(pair + "/control-plan", put_plan, methods=["PUT"]),
        Route("/api/grades/at-risk", at_risk, methods=["GET"]),
        Route("/api/me/grades", my_grades, methods=["GET"]),
        Route("/api/people/{id:int}/grades", person_grades, methods=["GET"]),
    ]


def _grades(request: Request) -> GradeServices:
    found: GradeServices = services(request).grades
    return found


def _pair(request: Request) -> tuple[int, int]:
    return path_id(request), path_id(request, "group_id")


async def create_item(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, GradeItemIn)
    return ok(await _grades(request).grades.create_item(who, body), 201)


async def get_item(request: Request) -> Response:
    who = await viewer(request)
    return ok(await _grades(request).grades.item(who, path_id(request)))


async def update_item(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, GradeItemUpdate)
    return ok(await _grades(request).grades.update_item(who, path_id(request), body))


async def release(request: Request) -> Response:
    """Shows every grade of the item to its student."""
    who = await viewer(request)
    return ok({"released": await _grades(request).grades.release(who, path_id(request))})


async def set_grade(request: Request) -> Response:
    """Points 0..100 (one decimal at most) with feedback; a change needs a reason."""
    who = await viewer(request)
    body = await read_json(request, GradeIn)
    student = path_id(request, "student_id")
    return ok(await _grades(request).grades.set_grade(who, path_id(request), student, body))


async def history(request: Request) -> Response:
    who = await viewer(request)
    ids = path_id(request), path_id(request, "student_id")
    return ok({"changes": await _grades(request).grades.history(who, *ids)})


async def grade_submission(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, GradeIn)
    return ok(await _grades(request).grades.grade_submission(who, path_id(request), body))


async def gradebook(request: Request) -> Response:
    who = await viewer(request)
    return ok(await _grades(request).book.gradebook(who, *_pair(request)))


async def set_many(request: Request) -> Response:
    """Several gradebook cells at once: all are written or none."""
    who = await viewer(request)
    body = await read_json(request, BulkIn)
    return ok({"grades": await _grades(request).grades.set_many(who, *_pair(request), body)})


async def get_plan(request: Request) -> Response:
    who = await viewer(request)
    return ok(await _grades(request).book.plan(who, *_pair(request)))


async def put_plan(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, PlanIn)
    return ok(await _grades(request).book.set_plan(who, *_pair(request), body))


async def at_risk(request: Request) -> Response:
    """Midterm controls within ``days`` days and the students short of two grades before them."""
    who = await viewer(request)
    days = query_int(request, "days", AT_RISK_DAYS, 0, 366)
    return ok({"days": days, "controls": await _grades(request).book.at_risk(who, days)})


async def my_grades(request: Request) -> Response:
    who = await viewer(request)
    return ok({"courses": await _grades(request).book.student_grades(who, who.person_id)})


async def person_grades(request: Request) -> Response:
    who = await viewer(request)
    found = await _grades(request).book.student_grades(who, path_id(request))
    return ok({"courses": found})


async def sheet(request: Request) -> Response:
    """The grade sheet as JSON, ``?format=xlsx`` or ``?format=html`` (printable)."""
    who = await viewer(request)
    chosen = request.query_params.get("format", "json")
    if chosen not in SHEET_FORMATS:
        raise ValidationFailed("format must be json, xlsx or html")
    doc = await _grades(request).sheets.sheet(who, path_id(request))
    if chosen == "json":
        return ok(doc)
    if chosen == "html":
        return HTMLResponse(sheet_html(doc))
    filename = f"grade-sheet-{doc['item_id']}.xlsx"
    disposition = f'attachment; filename="{filename}"'
    return Response(
        sheet_xlsx(doc), media_type=XLSX_TYPE, headers={"Content-Disposition": disposition}
    )


async def sign(request: Request) -> Response:
    who = await viewer(request)
    return ok(await _grades(request).sheets.sign(who, path_id(request)))


async def reopen(request: Request) -> Response:
    """Staff only, with a reason; audited."""
    who = await viewer(request)
    body = await read_json(request, ReopenIn)
    return ok(await _grades(request).sheets.reopen(who, path_id(request), body.reason))


async def sheet_events(request: Request) -> Response:
    who = await viewer(request)
    return ok({"events": await _grades(request).sheets.events(who, path_id(request))})
