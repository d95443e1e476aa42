"""Every failure answers the same JSON: ``{"error": {"code", "message", "field"}}``.

``code`` is an ``ErrorCode`` value (``internal`` for a bug), so clients can
branch on it; ``message`` is for people; ``field`` names the input at fault
when there is one. The HTTP status comes from ``errors.HTTP_STATUS``, the one
map the CLI's exit codes come from too. A bug answers 500 ``internal`` with no
traceback; the traceback goes to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from perfluence.errors import ErrorCode, PerfluenceError

logger = logging.getLogger("perfluence.web")

INTERNAL: Final = ErrorCode.INTERNAL.value
_LOCATIONS: Final = frozenset({"body", "query", "path", "header", "cookie"})
_STATUS_CODES: Final[Mapping[int, str]] = {
    401: ErrorCode.UNAUTHENTICATED.value,
    403: ErrorCode.FORBIDDEN.value,
    404: ErrorCode.NOT_FOUND.value,
    413: ErrorCode.PAYLOAD_TOO_LARGE.value,
    429: ErrorCode.RATE_LIMITED.value,
    503: ErrorCode.UNAVAILABLE.value,
}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    error: dict[str, object] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return JSONResponse({"error": error}, status_code=status, headers=headers)


async def _perfluence_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PerfluenceError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.code is ErrorCode.UNAUTHENTICATED else None
    return JSONResponse({"error": exc.as_dict()}, status_code=exc.http_status, headers=headers)


def field_path(loc: Sequence[int | str]) -> str:
    """``("body", "lines", 2, "sku")`` → ``lines[2].sku``."""
    parts = list(loc[1:] if loc and loc[0] in _LOCATIONS else loc)
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or (str(loc[0]) if loc else "body")


def _validation_message(error: Mapping[str, Any]) -> tuple[str, str]:
    kind = error.get("type")
    loc = tuple(error.get("loc", ()))
    if kind == "json_invalid":
        detail = (error.get("ctx") or {}).get("error", "malformed")
        return "body", f"the body is not valid JSON: {detail}"
    field = field_path(loc)
    if kind == "extra_forbidden":
        return field, f"{field} is not a field of this request"
    if kind == "missing":
        return field, f"{field} is required"
    if kind in {"model_attributes_type", "dict_type"} and field == "body":
        return field, "the body must be a JSON object (Content-Type: application/json)"
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return field, message if message.startswith(field) else f"{field}: {message}"


_FASTAPI_PARSE_ERROR: Final = "There was an error parsing the body"


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    field, message = _validation_message(errors[0]) if errors else ("body", "invalid request")
    return error_response(422, ErrorCode.INVALID.value, message, field=field)


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _FASTAPI_PARSE_ERROR:
        # FastAPI's answer to a body it cannot decode: an invalid body like any other.
        return error_response(
            422,
            ErrorCode.INVALID.value,
            "the body is not valid JSON: it must be UTF-8 JSON",
            field="body",
        )
    code = _STATUS_CODES.get(exc.status_code)
    if code is None:
        code = INTERNAL if exc.status_code >= 500 else ErrorCode.INVALID.value
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


class CatchAll:
    """ASGI middleware: a bug answers 500 ``internal`` JSON and is logged, once, with its trace.

    Starlette's own last-resort handler answers too, but then re-raises, so the
    server logs the same exception a second time.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            logger.exception("unhandled error answering %s %r", scope["method"], scope["path"])
            if started:
                raise  # half a response is out: only closing the connection is left
            response = error_response(
                500, INTERNAL, "something went wrong on our side; it has been logged"
            )
            await response(scope, receive, send)


def install_error_handling(api: FastAPI) -> None:
    api.add_exception_handler(PerfluenceError, _perfluence_error)
    api.add_exception_handler(RequestValidationError, _validation_error)
    api.add_exception_handler(StarletteHTTPException, _http_error)
    api.add_middleware(CatchAll)
