"""Who is asking: the session cookie, the workspace role, the CSRF check, the language.

Every workspace page depends on ``workspace_page``: no session → the login
page; no membership in the workspace → 404 (a workspace you cannot see does
not exist for you). Every POST depends on ``writer_page`` as well: the
session's CSRF token must come back in the form (or ``X-CSRF-Token``), and the
role must allow changes; otherwise 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends, Request
from starlette.datastructures import FormData

from perfluence.core.auth import Permission, Role, allows
from perfluence.core.model import Workspace
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import users, workspaces
from perfluence.services.context import Context
from perfluence.services.users import ActiveSession
from perfluence.web.api.state import context_of
from perfluence.web.dashboard.i18n import pick_language, translate

SESSION_COOKIE: Final = "pf_session"
LANGUAGE_COOKIE: Final = "pf_lang"
CSRF_FIELD: Final = "csrf"
CSRF_HEADER: Final = "x-csrf-token"


class LoginRequiredError(PerfluenceError):
    """No live session: a dashboard page answers with the login page instead."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.UNAUTHENTICATED, "log in to see this page")


def language_of(request: Request, fallback: str | None = None) -> str:
    return pick_language(
        request.cookies.get(LANGUAGE_COOKIE), fallback, request.headers.get("accept-language")
    )


def session_of(request: Request) -> ActiveSession | None:
    return users.resolve_session(context_of(request), request.cookies.get(SESSION_COOKIE))


@dataclass(frozen=True)
class Page:
    """What every workspace page knows about its request."""

    request: Request
    ctx: Context
    session: ActiveSession
    workspace: Workspace
    role: Role
    lang: str

    def t(self, key: str) -> str:
        return translate(self.lang, key)

    @property
    def can_edit(self) -> bool:
        return allows(self.role, Permission.EDIT)

    @property
    def can_manage(self) -> bool:
        return allows(self.role, Permission.MANAGE)

    def require(self, permission: Permission) -> None:
        if not allows(self.role, permission):
            raise PerfluenceError(
                ErrorCode.FORBIDDEN, f"the role {self.role.value} may not do this ({permission})"
            )


def workspace_page(request: Request, ws: str) -> Page:
    session = session_of(request)
    if session is None:
        raise LoginRequiredError
    role = session.user.role_in(ws)
    ctx = context_of(request)
    workspace = workspaces.get_workspace(ctx, ws)
    lang = language_of(request, workspace.default_language)
    return Page(request, ctx, session, workspace, role, lang)


async def posted_form(request: Request) -> FormData:
    return await request.form()


def writer_page(
    page: Annotated[Page, Depends(workspace_page)],
    form: Annotated[FormData, Depends(posted_form)],
) -> Page:
    presented = form.get(CSRF_FIELD) or page.request.headers.get(CSRF_HEADER)
    if not isinstance(presented, str) or not page.session.csrf_ok(presented):
        raise PerfluenceError(ErrorCode.FORBIDDEN, "the form's CSRF token is missing or wrong")
    page.require(Permission.EDIT)
    return page


Viewer = Annotated[Page, Depends(workspace_page)]
Writer = Annotated[Page, Depends(writer_page)]
