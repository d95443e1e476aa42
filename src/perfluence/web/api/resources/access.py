"""What every resource route shares: who is asking (and may they), the context, error docs."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import Depends, Request

from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services.api_keys import ApiPrincipal, ApiScope
from perfluence.web.api.auth import require_scope
from perfluence.web.api.schemas import ErrorBody

Reader = Annotated[ApiPrincipal, Depends(require_scope(ApiScope.READ))]
Writer = Annotated[ApiPrincipal, Depends(require_scope(ApiScope.WRITE))]

# Ids are 32-bit in the database; a larger one cannot exist (and must not reach the driver).
MAX_ID: Final = 2**31 - 1


def no_nul_in_url(request: Request) -> None:
    """Refuse NUL in the path or the query: PostgreSQL cannot even compare such text."""
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if "\x00" in str(value) or "\x00" in name:
            raise PerfluenceError(
                ErrorCode.INVALID, f"{name} must not contain the NUL character", field=name
            )


RESOURCE_DEPENDENCIES: Final = [Depends(no_nul_in_url)]

ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    401: {"model": ErrorBody, "description": "No key, or an unknown or revoked one."},
    403: {"model": ErrorBody, "description": "The key lacks the route's scope."},
    404: {"model": ErrorBody, "description": "No such object in the key's workspace."},
    422: {"model": ErrorBody, "description": "Invalid input (named in error.field)."},
}
WRITE_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    **ERRORS,
    409: {"model": ErrorBody, "description": "It exists already."},
}
