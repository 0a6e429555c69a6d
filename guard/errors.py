"""Errors are data: a code, an HTTP status, a message, and details. One handler renders them."""

from __future__ import annotations

from typing import Any


class GuardError(Exception):
    status = 400
    code = "BAD_REQUEST"

    def __init__(
        self, message: str, details: list[dict[str, Any]] | None = None, *, code: str | None = None, **context: Any
    ):
        super().__init__(message)
        self.message = message
        self.details = details
        # Extra fields for the envelope (e.g. the order a hand-over scan resolved to);
        # clients ignore fields they do not know.
        self.context = context
        if code is not None:
            self.code = code

    def envelope(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, **self.context}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


def problem(field: str, message: str, index: int | None = None) -> dict[str, Any]:
    """One validation detail, as the contract spells it."""
    return {"index": index, "field": field, "message": message}


class ValidationFailed(GuardError):
    status = 422
    code = "VALIDATION_ERROR"

    def __init__(self, details: list[dict[str, Any]], message: str | None = None):
        count = len(details)
        super().__init__(message or f"{count} problem{'s' if count != 1 else ''} in the request", details)


class Unauthenticated(GuardError):
    status = 401
    code = "UNAUTHENTICATED"


class Forbidden(GuardError):
    status = 403
    code = "FORBIDDEN"


class NotFound(GuardError):
    status = 404
    code = "NOT_FOUND"


class Conflict(GuardError):
    status = 409
    code = "CONFLICT"


class TooLarge(GuardError):
    status = 413
    code = "TOO_LARGE"


class Unavailable(GuardError):
    status = 503
    code = "UNAVAILABLE"
