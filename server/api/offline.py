"""The route table of off-line mode: inbox, uploads (one request and tus), assignments."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from server.api import assignments, inbox, tus, uploads


def offline_routes() -> list[BaseRoute]:
    conversation = "/api/inbox/conversations/{id:int}"
    assignment = "/api/assignments/{id:int}"
    return [
        Route("/api/inbox/messages", inbox.send, methods=["POST"]),
        Route("/api/inbox/conversations", inbox.conversations, methods=["GET"]),
        Route(conversation + "/messages", inbox.messages, methods=["GET"]),
        Route(conversation + "/read", inbox.mark_read, methods=["POST"]),
        Route("/api/inbox/unread", inbox.unread, methods=["GET"]),
        Route("/api/inbox/search", inbox.search, methods=["GET"]),
        Route("/api/inbox/since", inbox.since, methods=["GET"]),
        Route("/api/inbox/events", inbox.events, methods=["GET"]),
        Route("/api/uploads", uploads.create_upload, methods=["POST"]),
        Route("/api/uploads/{id:int}", uploads.get_upload, methods=["GET"]),
        Route("/api/uploads/{id:int}/content", uploads.download, methods=["GET"]),
        *tus.tus_routes(),
        Route("/api/assignments", assignments.list_assignments, methods=["GET"]),
        Route("/api/assignments", assignments.create, methods=["POST"]),
        Route(assignment, assignments.get, methods=["GET"]),
        Route(assignment + "/submissions", assignments.roster, methods=["GET"]),
        Route(assignment + "/archive", assignments.archive, methods=["GET"]),
        Route(assignment + "/submission", assignments.my_submission, methods=["GET"]),
        Route(assignment + "/draft", assignments.save_draft, methods=["PUT"]),
        Route(assignment + "/submit", assignments.submit, methods=["POST"]),
        Route("/api/submissions/{id:int}", assignments.get_submission, methods=["GET"]),
    ]
