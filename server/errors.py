"""Error types, each mapped once to an HTTP status and a WebSocket close code.

Handlers and services raise these; ``server.app`` translates them into a JSON body
``{"error": {"code": ..., "message": ...}}`` (HTTP) or a close frame (WebSocket).
"""

from __future__ import annotations

from typing import Any, ClassVar


class ConfigError(RuntimeError):
    """A setting is missing or has a bad value; the process must not start."""


class AppError(Exception):
    """An error whose message is meant for the person or client that caused it."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    close_code: ClassVar[int] = 4400

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


class BadRequest(AppError):
    """Malformed input: unparseable JSON, wrong content type."""


class ValidationFailed(AppError):
    status = 422
    code = "validation_failed"
    close_code = 4422


class NotAuthenticated(AppError):
    status = 401
    code = "not_authenticated"
    close_code = 4401


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    close_code = 4403


class NotFound(AppError):
    status = 404
    code = "not_found"
    close_code = 4404


class Conflict(AppError):
    status = 409
    code = "conflict"
    close_code = 4409


class TooLarge(AppError):
    status = 413
    code = "too_large"
    close_code = 1009


class RateLimited(AppError):
    status = 429
    code = "rate_limited"
    close_code = 4429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, {"retry_after": retry_after})
        self.retry_after = retry_after
