"""The error codes of R22, raised anywhere (resolvers, queries, guards) and formatted in one
place, the `ErrorCodes` schema extension, which also hides every unexpected error."""

from __future__ import annotations

from typing import Any, ClassVar


class ServiceError(Exception):
    """An error the client is meant to read: a message and a stable `extensions.code`."""

    code: ClassVar[str] = "INTERNAL"

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra

    @property
    def extensions(self) -> dict[str, Any]:
        extensions: dict[str, Any] = {"code": self.code}
        if self.field is not None:
            extensions["field"] = self.field
        extensions.update(self.extra)
        return extensions


class Unauthenticated(ServiceError):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "Sign in first.", **extra: Any) -> None:
        super().__init__(message, **extra)


class Forbidden(ServiceError):
    code = "FORBIDDEN"


class NotFound(ServiceError):
    code = "NOT_FOUND"

    def __init__(self, message: str = "Not found.", **extra: Any) -> None:
        super().__init__(message, **extra)


class BadUserInput(ServiceError):
    code = "BAD_USER_INPUT"


class Conflict(ServiceError):
    code = "CONFLICT"


class QueryTooComplex(ServiceError):
    code = "QUERY_TOO_COMPLEX"


class RateLimited(ServiceError):
    code = "RATE_LIMITED"


class ResyncRequired(ServiceError):
    code = "RESYNC_REQUIRED"


class AlreadyApplied(ServiceError):
    """A numbered mutation older than the outcomes its device keeps: it was applied, and is
    not run again (R31)."""

    code = "ALREADY_APPLIED"


class OutOfOrder(ServiceError):
    """A numbered mutation past the device's next number: nothing is written (R31)."""

    code = "OUT_OF_ORDER"
