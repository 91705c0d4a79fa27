"""The HTTP route table."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from server import signaling
from server.api import attendance, auth, catalog, chat, grades, health, people, sessions
from server.api.offline import offline_routes
from server.api.proctoring import proctoring_routes
from server.api.recordings import recording_routes

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"


def api_routes() -> list[BaseRoute]:
    return [
        Route("/api/auth/login", auth.login, methods=["POST"]),
        Route("/api/auth/logout", auth.logout, methods=["POST"]),
        Route("/api/me", auth.me, methods=["GET"]),
        Route("/api/me", auth.update_me, methods=["PATCH"]),
        Route("/api/branches", people.list_branches, methods=["GET"]),
        Route("/api/branches", people.create_branch, methods=["POST"]),
        Route("/api/people", people.list_people, methods=["GET"]),
        Route("/api/people", people.create_person, methods=["POST"]),
        Route("/api/people/{id:int}", people.get_person, methods=["GET"]),
        Route("/api/people/{id:int}", people.update_person, methods=["PATCH"]),
        Route("/api/groups", catalog.list_groups, methods=["GET"]),
        Route("/api/groups", catalog.create_group, methods=["POST"]),
        Route("/api/groups/{id:int}", catalog.get_group, methods=["GET"]),
        Route("/api/groups/{id:int}", catalog.update_group, methods=["PATCH"]),
        Route("/api/groups/{id:int}", catalog.delete_group, methods=["DELETE"]),
        Route(
            "/api/groups/{id:int}/students/{student_id:int}", catalog.enrol_student, methods=["PUT"]
        ),
        Route(
            "/api/groups/{id:int}/students/{student_id:int}",
            catalog.unenrol_student,
            methods=["DELETE"],
        ),
        Route("/api/courses", catalog.list_courses, methods=["GET"]),
        Route("/api/courses", catalog.create_course, methods=["POST"]),
        Route("/api/courses/{id:int}", catalog.get_course, methods=["GET"]),
        Route("/api/courses/{id:int}", catalog.update_course, methods=["PATCH"]),
        Route("/api/courses/{id:int}", catalog.delete_course, methods=["DELETE"]),
        Route("/api/courses/{id:int}/groups/{group_id:int}", catalog.enrol_group, methods=["PUT"]),
        Route(
            "/api/courses/{id:int}/groups/{group_id:int}", catalog.unenrol_group, methods=["DELETE"]
        ),
        Route("/api/schedule", sessions.schedule, methods=["GET"]),
        Route("/api/sessions", sessions.list_sessions, methods=["GET"]),
        Route("/api/sessions", sessions.create_session, methods=["POST"]),
        Route("/api/sessions/{id:int}", sessions.get_session, methods=["GET"]),
        Route("/api/sessions/{id:int}", sessions.update_session, methods=["PATCH"]),
        Route("/api/sessions/{id:int}/start", sessions.start_session, methods=["POST"]),
        Route("/api/sessions/{id:int}/end", sessions.end_session, methods=["POST"]),
        Route("/api/sessions/{id:int}/join", sessions.join_session, methods=["POST"]),
        *attendance.attendance_routes(),
        Route("/api/sessions/{id:int}/chat", chat.history, methods=["GET"]),
        Route("/api/sessions/{id:int}/chat/export", chat.export, methods=["GET"]),
        *offline_routes(),
        *recording_routes(),
        *grades.grades_routes(),
        *proctoring_routes(),
    ]


def all_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        Route("/healthz", health.healthz, methods=["GET"]),
        WebSocketRoute("/rooms/{session_id:int}/signal", signaling.signal),
        *api_routes(),
    ]
    if FRONTEND.is_dir():
        routes.append(Mount("/", app=StaticFiles(directory=FRONTEND, html=True), name="frontend"))
    return routes
