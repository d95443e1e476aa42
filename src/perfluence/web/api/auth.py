"""API-key authentication for routes: ``Depends(require_scope(ApiScope.TRACK))``.

The key comes in ``Authorization: Bearer pfk_…`` or, for clients that cannot
set that header, ``X-Api-Key: pfk_…``. A missing, unknown or revoked key is
401 ``unauthenticated`` (with ``WWW-Authenticate: Bearer``); a live key
without the route's scope is 403 ``forbidden``. The principal carries the
key's workspace: routes never take a workspace from the request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import api_keys
from perfluence.services.api_keys import ApiPrincipal, ApiScope
from perfluence.web.api.state import context_of

# Declared for the OpenAPI document; the checks themselves are below.
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer pfk_…")
_header = APIKeyHeader(name="X-Api-Key", auto_error=False, description="X-Api-Key: pfk_…")


def _presented_key(request: Request, header_key: str | None) -> str | None:
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer":
            raise PerfluenceError(
                ErrorCode.UNAUTHENTICATED,
                f"the Authorization scheme must be Bearer, not {scheme[:20]!r}",
            )
        return token
    return header_key


def require_scope(scope: ApiScope) -> Callable[..., ApiPrincipal]:
    """A dependency answering the request's principal, which holds ``scope``."""

    def principal(
        request: Request,
        _bearer_key: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        header_key: Annotated[str | None, Depends(_header)],
    ) -> ApiPrincipal:
        # A plain function: FastAPI runs it in a worker thread, off the event loop.
        found = api_keys.authenticate(context_of(request), _presented_key(request, header_key))
        found.require(scope)
        return found

    return principal
