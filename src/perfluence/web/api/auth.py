"""API-key authentication for routes: ``Depends(require_scope(ApiScope.TRACK))``.

The key comes in ``Authorization: Bearer pfk_…`` or, for clients that cannot
set that header, ``X-Api-Key: pfk_…``. A missing, unknown or revoked key is
401 ``unauthenticated`` (with ``WWW-Authenticate: Bearer``); a live key
without the route's scope is 403 ``forbidden``. The principal carries the
key's workspace: routes never take a workspace from the request.

Wrong keys count against the client's address (``services.auth_limits``);
over the limit every key, right or wrong, answers 429 with ``Retry-After``
until the address may try again. The counters live on the application, one
set per process, and are shared with the dashboard's login and the portal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, Final

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import api_keys
from perfluence.services.api_keys import ApiPrincipal, ApiScope
from perfluence.services.auth_limits import AuthLimits, TooManyAttemptsError, auth_limits_for
from perfluence.web.api.state import context_of

# Declared for the OpenAPI document; the checks themselves are below.
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer pfk_…")
_header = APIKeyHeader(name="X-Api-Key", auto_error=False, description="X-Api-Key: pfk_…")
_LIMITS_ATTRIBUTE: Final = "perfluence_auth_limits"
_limits_lock = threading.Lock()


def auth_limits(request: Request) -> AuthLimits:
    """The application's failure counters, made on first use."""
    state = request.app.state
    found = getattr(state, _LIMITS_ATTRIBUTE, None)
    if found is None:
        with _limits_lock:
            found = getattr(state, _LIMITS_ATTRIBUTE, None)
            if found is None:
                found = auth_limits_for(context_of(request))
                setattr(state, _LIMITS_ATTRIBUTE, found)
    assert isinstance(found, AuthLimits)
    return found


def client_address(request: Request) -> str | None:
    """The client's address as the server resolved it (the forwarded one behind a trusted proxy).

    Used only as a key of in-memory counters; never logged, never stored.
    """
    return None if request.client is None else request.client.host


def too_many(exc: TooManyAttemptsError) -> HTTPException:
    """The 429 the JSON API answers, with the seconds to wait."""
    return HTTPException(
        exc.http_status, exc.message, headers={"Retry-After": str(exc.retry_after)}
    )


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


def authenticate_request(request: Request, header_key: str | None) -> ApiPrincipal:
    """The principal of the request's key; wrong keys count against the client's address."""
    limits = auth_limits(request)
    client = client_address(request)
    try:
        limits.check_credentials(client)
    except TooManyAttemptsError as exc:
        raise too_many(exc) from None
    presented = _presented_key(request, header_key)
    try:
        return api_keys.authenticate(context_of(request), presented)
    except PerfluenceError as exc:
        # No key at all is a forgotten header, not a guess: only presented keys count.
        if exc.code is ErrorCode.UNAUTHENTICATED and presented:
            limits.credentials_failed(client)
        raise


def require_scope(scope: ApiScope) -> Callable[..., ApiPrincipal]:
    """A dependency answering the request's principal, which holds ``scope``."""

    def principal(
        request: Request,
        _bearer_key: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        header_key: Annotated[str | None, Depends(_header)],
    ) -> ApiPrincipal:
        # A plain function: FastAPI runs it in a worker thread, off the event loop.
        found = authenticate_request(request, header_key)
        found.require(scope)
        return found

    return principal
