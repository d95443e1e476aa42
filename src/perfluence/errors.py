"""Stable error codes and the one exception that carries them.

Every failure a user can cause maps to an ``ErrorCode``; the code decides the
HTTP status and the CLI exit code in exactly one place (below).
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    CURRENCY_MISMATCH = "currency_mismatch"
    UNKNOWN_CURRENCY = "unknown_currency"
    FX_RATE_MISSING = "fx_rate_missing"
    IMPORT_FAILED = "import_failed"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    SIGNATURE_INVALID = "signature_invalid"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    CONFIGURATION = "configuration"
    INTERNAL = "internal"  # a bug, never caused by input; the details go to the log only


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID: 422,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.DUPLICATE: 409,
    ErrorCode.CURRENCY_MISMATCH: 422,
    ErrorCode.UNKNOWN_CURRENCY: 422,
    ErrorCode.FX_RATE_MISSING: 422,
    ErrorCode.IMPORT_FAILED: 422,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.SIGNATURE_INVALID: 401,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.CONFIGURATION: 500,
    ErrorCode.INTERNAL: 500,
}

EXIT_CODE: dict[ErrorCode, int] = {
    ErrorCode.INVALID: 2,
    ErrorCode.NOT_FOUND: 3,
    ErrorCode.DUPLICATE: 4,
    ErrorCode.CURRENCY_MISMATCH: 2,
    ErrorCode.UNKNOWN_CURRENCY: 2,
    ErrorCode.FX_RATE_MISSING: 5,
    ErrorCode.IMPORT_FAILED: 6,
    ErrorCode.UNAUTHENTICATED: 7,
    ErrorCode.FORBIDDEN: 7,
    ErrorCode.SIGNATURE_INVALID: 7,
    ErrorCode.PAYLOAD_TOO_LARGE: 2,
    ErrorCode.RATE_LIMITED: 10,
    ErrorCode.UNAVAILABLE: 8,
    ErrorCode.CONFIGURATION: 9,
    ErrorCode.INTERNAL: 70,
}


class PerfluenceError(Exception):
    """A failure with a stable code, a human message and, for files, where it happened."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        field: str | None = None,
        row: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.row = row

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

    @property
    def exit_code(self) -> int:
        return EXIT_CODE[self.code]

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code.value, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.row is not None:
            out["row"] = self.row
        return out
