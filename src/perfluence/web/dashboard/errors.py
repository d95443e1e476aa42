"""HTML error pages for the dashboard and portal; the JSON API keeps its JSON errors.

No session on a dashboard page sends the browser to the login page; any other
failure renders a page in the visitor's language with the right status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.web.dashboard.access import language_of
from perfluence.web.dashboard.render import render

Handler = Callable[[Request, Exception], Awaitable[Response] | Response]
JSON_PREFIXES: Final = ("/api/", "/webhooks/", "/t.js", "/healthz")
_TITLES: Final = {404: "not_found", 403: "forbidden", 405: "not_found"}


def answers_json(request: Request) -> bool:
    return request.url.path.startswith(JSON_PREFIXES)


def error_page(request: Request, status: int, message: str | None = None) -> Response:
    key = _TITLES.get(status, "error")
    text_key = {"not_found": "not_found_text", "forbidden": "forbidden_text"}.get(key)
    return render(
        request,
        "error.html",
        {"status": status, "title_key": key, "text_key": text_key, "message": message},
        lang=language_of(request),
        status=status,
    )


async def _delegate(handler: Handler, request: Request, exc: Exception) -> Response:
    answer = handler(request, exc)
    return await answer if isinstance(answer, Awaitable) else answer


def install_html_errors(api: FastAPI) -> None:
    json_perfluence: Handler = api.exception_handlers[PerfluenceError]
    json_http: Handler = api.exception_handlers[StarletteHTTPException]
    json_validation: Handler = api.exception_handlers[RequestValidationError]

    async def perfluence_error(request: Request, exc: Exception) -> Response:
        if answers_json(request):
            return await _delegate(json_perfluence, request, exc)
        assert isinstance(exc, PerfluenceError)
        if exc.code is ErrorCode.UNAUTHENTICATED and request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        # Messages of 4xx errors are written for people; 5xx ones are not shown.
        shown = (
            exc.message if exc.http_status < 500 and exc.code is not ErrorCode.NOT_FOUND else None
        )
        return error_page(request, exc.http_status, shown)

    async def http_error(request: Request, exc: Exception) -> Response:
        if answers_json(request):
            return await _delegate(json_http, request, exc)
        assert isinstance(exc, StarletteHTTPException)
        return error_page(request, exc.status_code)

    async def validation_error(request: Request, exc: Exception) -> Response:
        if answers_json(request):
            return await _delegate(json_validation, request, exc)
        return error_page(request, 422, "the form or address is not valid")

    api.add_exception_handler(PerfluenceError, perfluence_error)
    api.add_exception_handler(StarletteHTTPException, http_error)
    api.add_exception_handler(RequestValidationError, validation_error)
