"""Study groups, courses and enrolment."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.api import views
from server.schemas import CourseIn, CourseUpdate, GroupIn, GroupUpdate
from server.web import ok, path_id, read_json, services, viewer


async def list_groups(request: Request) -> Response:
    who = await viewer(request)
    return ok({"groups": [views.group(g) for g in await services(request).catalog.groups(who)]})


async def get_group(request: Request) -> Response:
    who = await viewer(request)
    catalog = services(request).catalog
    group_id = path_id(request)
    group = await catalog.group(who, group_id)
    students = await catalog.group_students(who, group_id)
    return ok({**views.group(group), "students": [views.person(p) for p in students]})


async def create_group(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, GroupIn)
    return ok(views.group(await services(request).catalog.create_group(who, body)), 201)


async def update_group(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, GroupUpdate)
    return ok(
        views.group(await services(request).catalog.update_group(who, path_id(request), body))
    )


async def delete_group(request: Request) -> Response:
    who = await viewer(request)
    await services(request).catalog.delete_group(who, path_id(request))
    return Response(status_code=204)


async def enrol_student(request: Request) -> Response:
    who = await viewer(request)
    group_id, student_id = path_id(request), path_id(request, "student_id")
    await services(request).catalog.enrol_student(who, group_id, student_id)
    return Response(status_code=204)


async def unenrol_student(request: Request) -> Response:
    who = await viewer(request)
    group_id, student_id = path_id(request), path_id(request, "student_id")
    await services(request).catalog.unenrol_student(who, group_id, student_id)
    return Response(status_code=204)


async def list_courses(request: Request) -> Response:
    who = await viewer(request)
    return ok({"courses": [views.course(c) for c in await services(request).catalog.courses(who)]})


async def get_course(request: Request) -> Response:
    who = await viewer(request)
    catalog = services(request).catalog
    course_id = path_id(request)
    course = await catalog.course(who, course_id)
    groups = await catalog.course_groups(who, course_id)
    return ok({**views.course(course), "groups": [views.group(g) for g in groups]})


async def create_course(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, CourseIn)
    return ok(views.course(await services(request).catalog.create_course(who, body)), 201)


async def update_course(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, CourseUpdate)
    course = await services(request).catalog.update_course(who, path_id(request), body)
    return ok(views.course(course))


async def delete_course(request: Request) -> Response:
    who = await viewer(request)
    await services(request).catalog.delete_course(who, path_id(request))
    return Response(status_code=204)


async def enrol_group(request: Request) -> Response:
    who = await viewer(request)
    course_id, group_id = path_id(request), path_id(request, "group_id")
    await services(request).catalog.enrol_group(who, course_id, group_id)
    return Response(status_code=204)


async def unenrol_group(request: Request) -> Response:
    who = await viewer(request)
    course_id, group_id = path_id(request), path_id(request, "group_id")
    await services(request).catalog.unenrol_group(who, course_id, group_id)
    return Response(status_code=204)
