"""The ASGI application: the redirect handler in front of the FastAPI app.

``create_app()`` is what servers load (``perfluence.web.app:create_app``, a
factory). The lifespan starts the tracking runtime (click writer, link cache)
and, on shutdown (SIGTERM, Ctrl-C), drains every buffered click before the
process exits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from perfluence.config import get_settings
from perfluence.services import tracking
from perfluence.services.context import Context, open_context
from perfluence.tracking.redirect import RedirectApp
from perfluence.web.api import install_api
from perfluence.web.dashboard import install_dashboard


def build_api(runtime: tracking.TrackingRuntime, *, owns_context: bool) -> FastAPI:
    """The FastAPI application (everything but ``/l/{slug}``), with the runtime's lifespan."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()
            if owns_context:
                runtime.ctx.close()

    api = FastAPI(
        title="perfluence",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        # The bundled docs pages load their scripts from a CDN; the dashboard serves its own.
        docs_url=None,
        redoc_url=None,
    )

    @api.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        health = await runtime.health()
        ok = bool(health["database"])
        return JSONResponse({"status": "ok" if ok else "degraded", **health}, 200 if ok else 503)

    install_api(api, runtime.ctx)
    # After the API: its HTML error pages wrap the API's JSON handlers for non-API paths.
    install_dashboard(api)
    return api


def create_app(ctx: Context | None = None) -> RedirectApp:
    """The whole application; opens a context from the settings when none is given.

    ``create_app().app`` is the FastAPI application, for adding routers.
    """
    owns_context = ctx is None
    context = ctx if ctx is not None else open_context(get_settings())
    runtime = tracking.open_runtime(context)
    return runtime.wrap(build_api(runtime, owns_context=owns_context))
