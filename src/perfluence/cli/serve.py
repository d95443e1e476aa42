"""``perfluence serve``: run the web app and the tracking redirect.

uvicorn (uvloop + httptools, no access log, tracking redirects answered by
``perfluence.web.server.RedirectHttpProtocol`` before ASGI) is the default
server; the figures that chose it are in ``docs/performance.md``. SIGTERM or Ctrl-C stops
accepting connections, finishes the requests in flight, then the app's
lifespan drains the click buffer before the process exits.
"""

from __future__ import annotations

import importlib
from enum import StrEnum
from typing import Annotated, Any

import typer

from perfluence.cli.console import cli_context, console
from perfluence.config import get_settings
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import database

# Import paths rather than imports: servers load them in each worker process.
APP_FACTORY = "perfluence.web.app:create_app"
# httptools, with tracking redirects answered before ASGI (see perfluence.web.server).
HTTP_PROTOCOL = "perfluence.web.server:RedirectHttpProtocol"


class Server(StrEnum):
    UVICORN = "uvicorn"
    GRANIAN = "granian"


def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind (default: PERFLUENCE_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (default: PERFLUENCE_PORT).")
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (keep 1 on SQLite: one writer).")
    ] = 1,
    server: Annotated[Server, typer.Option(help="HTTP server to run the app in.")] = (
        Server.UVICORN
    ),
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated addresses of reverse proxies whose X-Forwarded-For and "
            "X-Forwarded-Proto are trusted (for example 127.0.0.1). Default: none.",
        ),
    ] = None,
) -> None:
    """Serve the dashboard, the API and the tracking links."""
    settings = get_settings()
    bind_host = host or settings.host
    bind_port = port or settings.port
    with cli_context() as ctx:
        current, head = database.status(ctx)
    if current != head:
        raise PerfluenceError(
            ErrorCode.CONFIGURATION,
            f"database schema is at {current or 'nothing'}, not {head}; "
            "run 'perfluence db upgrade' (or 'perfluence init') first",
        )
    granian = _granian(forwarded_allow_ips) if server is Server.GRANIAN else None
    console.print(
        f"perfluence on [bold]http://{bind_host}:{bind_port}[/] "
        f"({server.value}, {workers} worker{'s' if workers > 1 else ''})"
    )
    if granian is not None:
        granian.Granian(
            APP_FACTORY,
            factory=True,
            address=bind_host,
            port=bind_port,
            workers=workers,
            interface=granian.constants.Interfaces.ASGI,
            loop=granian.constants.Loops.uvloop,
            log_access=False,
        ).serve()
    else:
        _run_uvicorn(bind_host, bind_port, workers, forwarded_allow_ips)


def _run_uvicorn(host: str, port: int, workers: int, forwarded_allow_ips: str | None) -> None:
    import uvicorn  # noqa: PLC0415 - only the chosen server is imported

    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http=HTTP_PROTOCOL,
        lifespan="on",
        access_log=False,
        # Off unless asked: trusting X-Forwarded-* from anyone lets clients choose their IP.
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
    )


def _granian(forwarded_allow_ips: str | None) -> Any:
    """The granian package, or a clear error when it cannot be used."""
    if forwarded_allow_ips is not None:
        raise PerfluenceError(
            ErrorCode.CONFIGURATION,
            "--forwarded-allow-ips is supported with --server uvicorn only",
        )
    try:
        granian = importlib.import_module("granian")
        importlib.import_module("granian.constants")
    except ImportError as exc:
        raise PerfluenceError(
            ErrorCode.CONFIGURATION,
            "granian is not installed; 'pip install granian' or use --server uvicorn",
        ) from exc
    return granian
