"""``POST /api/v1/track/{lead,sale,refund}``: the server-to-server conversion API.

Idempotent on (workspace, source ``api``, kind, external id): the first call
answers 201, every repeat 200 with the first result unchanged (even when its
body differs), so a client can retry a timed-out call safely.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from perfluence.services import conversions
from perfluence.services.api_keys import ApiPrincipal, ApiScope
from perfluence.web.api.auth import require_scope
from perfluence.web.api.schemas import ErrorBody, Kind, TrackBody, TrackResult
from perfluence.web.api.state import context_of

MAX_BODY_BYTES: Final = 64 * 1024

router = APIRouter(prefix="/api/v1/track", tags=["track"])
Tracker = Annotated[ApiPrincipal, Depends(require_scope(ApiScope.TRACK))]

_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    200: {"model": TrackResult, "description": "A repeat: the first result, unchanged."},
    401: {"model": ErrorBody, "description": "No key, or an unknown or revoked one."},
    403: {"model": ErrorBody, "description": "The key lacks the track scope."},
    413: {"model": ErrorBody, "description": f"Body over {MAX_BODY_BYTES} bytes."},
    422: {"model": ErrorBody, "description": "Invalid field (named in error.field)."},
}


def _track(request: Request, principal: ApiPrincipal, kind: Kind, body: TrackBody) -> JSONResponse:
    result = conversions.track(
        context_of(request), principal.workspace_id, conversions.API_SOURCE, body.to_request(kind)
    )
    return JSONResponse(
        TrackResult.of(result).model_dump(mode="json"), status_code=201 if result.created else 200
    )


# Plain functions, not coroutines: FastAPI runs them in worker threads, off the event loop.
@router.post("/lead", status_code=201, response_model=TrackResult, responses=_ERRORS)
def track_lead(request: Request, principal: Tracker, body: TrackBody) -> JSONResponse:
    """Record a lead (a sign-up, a booking); the amount is optional."""
    return _track(request, principal, "lead", body)


@router.post("/sale", status_code=201, response_model=TrackResult, responses=_ERRORS)
def track_sale(request: Request, principal: Tracker, body: TrackBody) -> JSONResponse:
    """Record a sale; amount (or amount_minor) and currency are required."""
    return _track(request, principal, "sale", body)


@router.post("/refund", status_code=201, response_model=TrackResult, responses=_ERRORS)
def track_refund(request: Request, principal: Tracker, body: TrackBody) -> JSONResponse:
    """Record a refund of an earlier sale (reverses_external_id), as a positive amount."""
    return _track(request, principal, "refund", body)
