"""Logging in and out, the workspace picker and the language switch.

The login form has no session yet, so its CSRF check is a double submit: a
random cookie and the same value in the form. A successful login always gets a
brand-new session id (the one the browser sent before is ended).

Failed logins are counted per client address and per e-mail; over either
limit the form answers 429 with ``Retry-After`` before it looks at the
password, alike for accounts that exist and ones that do not.

Every redirect goes to a fixed path or to ``safe_next``: a path on this site,
never another host however the browser would read it.
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Annotated, Final
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from perfluence.config import Environment
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import users
from perfluence.services.auth_limits import TooManyAttemptsError
from perfluence.services.users import NewSession
from perfluence.web.api.auth import auth_limits, client_address
from perfluence.web.api.state import context_of
from perfluence.web.dashboard.access import (
    CSRF_FIELD,
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    language_of,
    session_of,
)
from perfluence.web.dashboard.errors import error_page
from perfluence.web.dashboard.i18n import pick_language
from perfluence.web.dashboard.render import render

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE: Final = "pf_login_csrf"
DEMO_EMAIL: Final = users.DEMO_EMAIL
MAX_NEXT_LENGTH: Final = 2_000
# Control characters, space, DEL and the backslash.
_UNSAFE_IN_NEXT: Final = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next(value: str | None) -> str:
    """Only a path on this site: never ``//other.example``, ``https://…`` or ``/\\evil``.

    Browsers drop tabs and newlines from a URL and read ``\\`` as ``/``, so a
    value holding either (or any other control character or a space) is refused
    outright rather than cleaned.
    """
    if not value or len(value) > MAX_NEXT_LENGTH or not value.startswith("/"):
        return "/"
    if value.startswith("//") or _UNSAFE_IN_NEXT.search(value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _demo_login_offered(request: Request) -> bool:
    ctx = context_of(request)
    if ctx.settings.env is not Environment.DEV:
        return False
    try:
        users.get_user(ctx, DEMO_EMAIL)
    except PerfluenceError:
        return False
    return True


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    session = session_of(request)
    if session is None:
        return login_form(request)
    members = session.user.memberships
    if len(members) == 1:
        return RedirectResponse(f"/w/{members[0].workspace_slug}/", status_code=303)
    return render(
        request,
        "workspaces.html",
        {"user": session.user, "csrf": session.csrf_token},
        lang=language_of(request),
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/", failed: int = 0) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {
            "login_csrf": token,
            "next": safe_next(next),
            "failed": bool(failed),
            "demo": _demo_login_offered(request),
        },
        lang=language_of(request),
        status=401 if failed else 200,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/login",
    )
    return response


def _check_login_csrf(request: Request, presented: str) -> None:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), presented.encode()):
        raise PerfluenceError(ErrorCode.FORBIDDEN, "the login form expired; reload it")


def _signed_in(request: Request, session: NewSession, next_path: str) -> Response:
    response = RedirectResponse(safe_next(next_path), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        # Relative, so the browser's clock does not matter; the server checks the expiry too.
        max_age=max(0, int((session.expires_at - context_of(request).now()).total_seconds())),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/login")
def login(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    _check_login_csrf(request, csrf)
    ctx = context_of(request)
    try:
        session = users.login(
            ctx,
            email,
            password,
            replacing=request.cookies.get(SESSION_COOKIE),
            client=client_address(request),
            limits=auth_limits(request),
        )
    except TooManyAttemptsError as exc:
        response = error_page(request, exc.http_status, exc.message)
        response.headers["retry-after"] = str(exc.retry_after)
        return response
    except PerfluenceError as exc:
        if exc.code is not ErrorCode.UNAUTHENTICATED:
            raise
        target = quote(safe_next(next), safe="")
        return RedirectResponse(f"/login?failed=1&next={target}", status_code=303)
    return _signed_in(request, session, next)


@router.post("/login/demo")
def demo_login(request: Request, csrf: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    _check_login_csrf(request, csrf)
    if not _demo_login_offered(request):
        raise PerfluenceError(ErrorCode.NOT_FOUND, "there is no demo login here")
    ctx = context_of(request)
    user = users.get_user(ctx, DEMO_EMAIL)
    session = users.start_session(
        ctx, user, replacing=request.cookies.get(SESSION_COOKIE), method="demo"
    )
    return _signed_in(request, session, "/")


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    session = session_of(request)
    if session is not None and not session.csrf_ok(csrf):
        raise PerfluenceError(ErrorCode.FORBIDDEN, "the form's CSRF token is missing or wrong")
    users.end_session(context_of(request), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    """A preference, not a change of data: a plain link sets it."""
    chosen = pick_language(code)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        chosen,
        max_age=365 * 24 * 3600,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    return response
