"""Domain errors that carry their HTTP status.

Services raise these; the app turns them into the one JSON envelope
`{"error": {"code", "message", "details"}}`. A foreseeable condition is never a 500.
"""

from __future__ import annotations

from typing import Any


class SiyuError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code


class BadRequest(SiyuError):
    pass


class Unauthorized(SiyuError):
    status_code = 401
    code = "unauthorized"


class Forbidden(SiyuError):
    status_code = 403
    code = "forbidden"


class NotFound(SiyuError):
    status_code = 404
    code = "not_found"


class Conflict(SiyuError):
    status_code = 409
    code = "conflict"


class Unprocessable(SiyuError):
    status_code = 422
    code = "validation_error"


class TooManyRequests(SiyuError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


class ServiceUnavailable(SiyuError):
    status_code = 503
    code = "unavailable"


class PayloadTooLarge(SiyuError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(SiyuError):
    status_code = 415
    code = "unsupported_media_type"
