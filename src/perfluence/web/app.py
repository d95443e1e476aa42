"""The ASGI applications: the redirect handler in front of the FastAPI app, by role.

``create_app()`` is what servers load (``perfluence.web.app:create_app``, a
factory): one process serves everything. The lifespan starts the tracking
runtime (click writer, link cache) and, on shutdown (SIGTERM, Ctrl-C), drains
every buffered click before the process exits.

Scaled out on PostgreSQL (``perfluence serve --role``, docs/deployment.md) the
work splits in two:

- ``create_tracker_app()``: a tracking node. ``/l/{slug}``, ``/healthz`` and the
  ``/t.js`` snippet, nothing else; it holds no state but its link cache and
  click buffer, so as many run side by side as the traffic needs.
- ``create_api_app()``: the dashboard, the API, the S2S track routes, shop
  webhooks, ``/t.js`` and ``/healthz``, but no redirect and no click writer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from perfluence.config import get_settings
from perfluence.services import tracking
from perfluence.services.context import Context, open_context
from perfluence.tracking.redirect import RedirectApp
from perfluence.web.api import install_api, snippet
from perfluence.web.api.errors import install_error_handling
from perfluence.web.dashboard import install_dashboard

Lifespan = Callable[[FastAPI], Any]


def _lifespan(
    ctx: Context, runtime: tracking.TrackingRuntime | None, *, owns_context: bool
) -> Lifespan:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            await runtime.start()
        try:
            yield
        finally:
            if runtime is not None:
                await runtime.stop()
            if owns_context:
                ctx.close()

    return lifespan


def _install_health(
    api: FastAPI, ctx: Context, runtime: tracking.TrackingRuntime | None, role: str | None
) -> None:
    @api.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        if runtime is not None:
            health = await runtime.health()
        else:
            health = {"database": await tracking.database_health(ctx)}
        if role is not None:
            health = {"role": role, **health}
        ok = bool(health["database"])
        return JSONResponse({"status": "ok" if ok else "degraded", **health}, 200 if ok else 503)


def build_api(runtime: tracking.TrackingRuntime, *, owns_context: bool) -> FastAPI:
    """The FastAPI application (everything but ``/l/{slug}``), with the runtime's lifespan."""
    api = FastAPI(
        title="perfluence",
        lifespan=_lifespan(runtime.ctx, runtime, owns_context=owns_context),
        openapi_url="/api/v1/openapi.json",
        # The bundled docs pages load their scripts from a CDN; the dashboard serves its own.
        docs_url=None,
        redoc_url=None,
    )
    _install_health(api, runtime.ctx, runtime, None)
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


def create_tracker_app(ctx: Context | None = None) -> RedirectApp:
    """A tracking node: the redirect, ``/healthz`` and ``/t.js``; every other path is 404."""
    owns_context = ctx is None
    context = ctx if ctx is not None else open_context(get_settings())
    runtime = tracking.open_runtime(context)
    api = FastAPI(
        title="perfluence tracker",
        lifespan=_lifespan(context, runtime, owns_context=owns_context),
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handling(api)
    _install_health(api, context, runtime, "tracker")
    api.include_router(snippet.router)
    return runtime.wrap(api)


def create_api_app(ctx: Context | None = None) -> FastAPI:
    """Everything but the redirect: dashboard, API, webhooks; no link cache, no click writer."""
    owns_context = ctx is None
    context = ctx if ctx is not None else open_context(get_settings())
    api = FastAPI(
        title="perfluence",
        lifespan=_lifespan(context, None, owns_context=owns_context),
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    _install_health(api, context, None, "app")
    install_api(api, context)
    install_dashboard(api)
    return api
