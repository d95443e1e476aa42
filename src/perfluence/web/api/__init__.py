"""The HTTP API: the REST resources, the S2S track routes, shop webhooks, ``/t.js``, and one
error shape for all.

``install_api`` puts it on the FastAPI application ``web.app.build_api`` makes.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI

from perfluence.services.context import Context
from perfluence.web.api import resources, snippet, track, webhooks
from perfluence.web.api.errors import install_error_handling
from perfluence.web.api.limits import BodyLimit
from perfluence.web.api.schemas import ErrorBody
from perfluence.web.api.state import attach_context

# Every keyed route: too many wrong keys from one address refuse every key for a while.
KEYED_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    429: {
        "model": ErrorBody,
        "description": "Too many wrong API keys from this address; retry after Retry-After.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


def install_api(api: FastAPI, ctx: Context) -> None:
    """Routes, error handlers and body limits, on ``api``, serving ``ctx``."""
    attach_context(api, ctx)
    install_error_handling(api)
    # Added last, so it runs first: nothing reads a body before its size is known.
    api.add_middleware(
        BodyLimit,
        # The first matching prefix decides: the track routes before the rest of /api/v1.
        limits=[
            ("/api/v1/track/", track.MAX_BODY_BYTES),
            ("/webhooks/", webhooks.MAX_BODY_BYTES),
            ("/api/v1/", resources.MAX_BODY_BYTES),
        ],
    )
    api.include_router(track.router, responses=KEYED_ERRORS)
    api.include_router(webhooks.router)
    api.include_router(snippet.router)
    for router in resources.ROUTERS:
        api.include_router(router, responses=KEYED_ERRORS)
